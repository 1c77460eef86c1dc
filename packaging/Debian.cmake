# Debian packages with CPack's DEB generator (needs dpkg-deb only):
#   yanc                the tools (host builds; amd64)
#   libyan-runtime-dev  runtime-dev (every build: amd64 here, arm64 and
#                       riscv64 from the cross builds' own `cpack`)
#   cpack -G DEB --config <build>/CPackConfig.cmake -B <dir>
# docs/packaging.md; test/packaging/packages-test.sh installs and uses them.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME yanc)
set(CPACK_PACKAGE_VENDOR "yanc project")
set(CPACK_PACKAGE_CONTACT "yanc maintainers <yanc@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Ahead-of-time compiler and thin runtime for Yan language models")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # <name>_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)

# dpkg-deb writes the build machine's architecture unless told: a cross
# build says which one it built for.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
elseif(CMAKE_SYSTEM_PROCESSOR STREQUAL "riscv64")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE riscv64)
else()
  message(WARNING "No Debian architecture for ${CMAKE_SYSTEM_PROCESSOR}: cpack would mislabel "
                  "the packages")
endif()

if(YAN_BUILD_COMPILER)
  set(CPACK_COMPONENTS_ALL tools runtime-dev)
else()
  set(CPACK_COMPONENTS_ALL runtime-dev)
endif()

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME yanc)
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
    "Yan compiler and tools: yanc, yan-opt, yan-model-gen, yan-run, yan-bench, yan-dump, yan-keygen, yan-tokenize, yan-perplexity")
# dpkg-shlibdeps reads the tools' shared libraries (through their RUNPATH to
# /usr/lib/llvm-19/lib) and names Debian's packages: libmlir-19, libsodium23,
# libc6, libstdc++6, libgcc-s1. It misses libllvm19: through that RUNPATH,
# libLLVM.so.19.1 is a symlink no package's shlibs describe (CPack passes
# --ignore-missing-info), so it is named here. yanc also runs ld.lld-19 as a
# program (compiler/codegen/ImageLinker.cpp), which no library scan can see.
set(CPACK_DEBIAN_TOOLS_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "libllvm19 (>= 1:19.1), lld-19")

set(CPACK_DEBIAN_RUNTIME-DEV_PACKAGE_NAME libyan-runtime-dev)
set(CPACK_DEBIAN_RUNTIME-DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_RUNTIME-DEV_DESCRIPTION
    "Yan runtime: static library, headers, CMake package (find_package(yan)) and pkg-config file")
# Multi-Arch: same (packaging/MultiArch.cmake adds the field, which CPack
# 3.25 cannot write): the amd64, arm64 and riscv64 packages install side by
# side on one build machine; or unpack one into a sysroot (`dpkg-deb -x`).
set(CPACK_POST_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/MultiArch.cmake)
if(NOT YAN_RUNTIME_BUNDLES_SODIUM)
  set(CPACK_DEBIAN_RUNTIME-DEV_PACKAGE_DEPENDS "libsodium-dev")
endif()

# python3-yan: the Python bindings (bindings/python, component `python`),
# built for one Python ABI (YAN_PYTHON's minor version, which sets the
# Depends range in bindings/python/CMakeLists.txt).
if(TARGET yan_python)
  list(APPEND CPACK_COMPONENTS_ALL python)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-yan)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
  set(CPACK_COMPONENT_PYTHON_DESCRIPTION "Python bindings for the Yan runtime (import yan)")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "${YAN_PYTHON_DEB_DEPENDS}")
endif()

include(CPack)
