# libsodium (Ed25519 for signed bundles, docs/security.md) as the target
# `yan_sodium`, for the runtime and the host tools.
#
# Native builds use Debian's libsodium-dev. Cross builds compile libsodium's
# own sources for the target: Debian bookworm has no riscv64 architecture
# (no libsodium-dev:riscv64), and one way for both cross targets is simpler
# than two. The sources are Debian's source package (upstream 1.0.18 plus
# Debian's security patches), fetched by scripts/fetch-sodium-source.sh
# (scripts/install-deps.sh runs it) into YAN_SODIUM_SOURCE_DIR. Without them
# a cross build fails here, loudly: the runtime never runs without signature
# verification.
if(TARGET yan_sodium)
  return()
endif()

if(NOT CMAKE_CROSSCOMPILING)
  find_path(YAN_SODIUM_INCLUDE_DIR sodium.h)
  find_library(YAN_SODIUM_LIBRARY sodium)
  if(NOT YAN_SODIUM_INCLUDE_DIR OR NOT YAN_SODIUM_LIBRARY)
    message(FATAL_ERROR "libsodium not found (sodium.h / libsodium): the runtime verifies "
                        "bundle signatures with it. Install Debian's libsodium-dev "
                        "(scripts/install-deps.sh does).")
  endif()
  add_library(yan_sodium INTERFACE)
  if(NOT YAN_SODIUM_INCLUDE_DIR STREQUAL "/usr/include")
    target_include_directories(yan_sodium SYSTEM INTERFACE ${YAN_SODIUM_INCLUDE_DIR})
  endif()
  target_link_libraries(yan_sodium INTERFACE ${YAN_SODIUM_LIBRARY})
  return()
endif()

set(YAN_SODIUM_SOURCE_DIR /usr/local/src/yan-libsodium CACHE PATH
    "libsodium source tree (Debian's source package) for cross builds")
set(_sodium ${YAN_SODIUM_SOURCE_DIR}/src/libsodium)
if(NOT EXISTS ${_sodium}/include/sodium.h OR NOT EXISTS ${YAN_SODIUM_SOURCE_DIR}/configure.ac)
  message(FATAL_ERROR
    "Cross build for ${CMAKE_SYSTEM_PROCESSOR}: libsodium's source is missing at "
    "YAN_SODIUM_SOURCE_DIR=${YAN_SODIUM_SOURCE_DIR}. The runtime verifies bundle signatures "
    "with libsodium and Debian has no libsodium for every cross target, so the build "
    "compiles libsodium from Debian's source package. Run scripts/fetch-sodium-source.sh "
    "(scripts/install-deps.sh does; it needs a deb-src entry and 'apt-get source "
    "libsodium'), or pass -DYAN_SODIUM_SOURCE_DIR=<a libsodium 1.0.18 source tree>.")
endif()

file(READ ${YAN_SODIUM_SOURCE_DIR}/configure.ac _sodium_ac)
string(REGEX MATCH "AC_INIT\\(\\[libsodium\\],\\[([0-9.]+)\\]" _m "${_sodium_ac}")
set(VERSION ${CMAKE_MATCH_1})
string(REGEX MATCH "SODIUM_LIBRARY_VERSION_MAJOR=([0-9]+)" _m "${_sodium_ac}")
set(SODIUM_LIBRARY_VERSION_MAJOR ${CMAKE_MATCH_1})
string(REGEX MATCH "SODIUM_LIBRARY_VERSION_MINOR=([0-9]+)" _m "${_sodium_ac}")
set(SODIUM_LIBRARY_VERSION_MINOR ${CMAKE_MATCH_1})
set(SODIUM_LIBRARY_MINIMAL_DEF "")
set(_sodium_gen ${CMAKE_BINARY_DIR}/libsodium-include)
# The public headers plus the generated version.h in one tree (version.h
# includes its neighbours by relative path).
file(COPY ${_sodium}/include/ DESTINATION ${_sodium_gen} PATTERN "*.in" EXCLUDE)
configure_file(${_sodium}/include/sodium/version.h.in ${_sodium_gen}/sodium/version.h @ONLY)

file(GLOB_RECURSE _sodium_sources ${_sodium}/*.c)
add_library(yan_sodium STATIC ${_sodium_sources})
target_include_directories(yan_sodium SYSTEM PUBLIC ${_sodium_gen})
target_include_directories(yan_sodium PRIVATE ${_sodium_gen}/sodium)
# What libsodium's configure finds on Linux/glibc for a 64-bit little-endian
# target without x86 intrinsics (AArch64, RISC-V): portable C code only.
target_compile_definitions(yan_sodium PRIVATE
  CONFIGURED=1 SODIUM_STATIC=1 NATIVE_LITTLE_ENDIAN=1 HAVE_TI_MODE=1 HAVE_PTHREAD=1
  HAVE_SYS_RANDOM_H=1 HAVE_GETRANDOM=1 HAVE_SYS_MMAN_H=1 HAVE_MMAP=1 HAVE_MPROTECT=1
  HAVE_MLOCK=1 HAVE_MADVISE=1 HAVE_POSIX_MEMALIGN=1 HAVE_GETPID=1 HAVE_NANOSLEEP=1
  HAVE_EXPLICIT_BZERO=1 HAVE_WEAK_SYMBOLS=1 HAVE_C_VARARRAYS=1 _GNU_SOURCE=1)
target_compile_definitions(yan_sodium PUBLIC SODIUM_STATIC=1)
set_target_properties(yan_sodium PROPERTIES POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden)
target_compile_options(yan_sodium PRIVATE -O2 -w -fno-strict-aliasing)
find_package(Threads REQUIRED)
target_link_libraries(yan_sodium PUBLIC Threads::Threads)
