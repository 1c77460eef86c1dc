# Finds Debian's LLVM/MLIR 19 and sets up the MLIR CMake idioms (TableGen, add_mlir_*).
# Everything we build links the shared libMLIR/libLLVM (targets MLIR and LLVM): links take ~1 s
# instead of ~8 s and tools stay small. Never mix in the static libMLIR*.a: two copies of the
# registries in one process break dialect registration.
set(YAN_LLVM_PREFIX /usr/lib/llvm-19 CACHE PATH "Prefix of the LLVM/MLIR 19 installation")
find_package(MLIR REQUIRED CONFIG HINTS ${YAN_LLVM_PREFIX}/lib/cmake/mlir)
if(NOT LLVM_VERSION_MAJOR EQUAL 19)
  message(FATAL_ERROR "yanc needs LLVM/MLIR 19, found ${LLVM_PACKAGE_VERSION} in ${LLVM_DIR}; "
                      "run scripts/install-deps.sh or set YAN_LLVM_PREFIX")
endif()
message(STATUS "Using MLIRConfig.cmake in: ${MLIR_DIR}")
message(STATUS "Using LLVMConfig.cmake in: ${LLVM_DIR}")

set(LLVM_RUNTIME_OUTPUT_INTDIR ${CMAKE_BINARY_DIR}/bin)
set(LLVM_LIBRARY_OUTPUT_INTDIR ${CMAKE_BINARY_DIR}/lib)
set(MLIR_BINARY_DIR ${CMAKE_BINARY_DIR})
list(APPEND CMAKE_MODULE_PATH "${MLIR_CMAKE_DIR}" "${LLVM_CMAKE_DIR}")
separate_arguments(LLVM_DEFINITIONS_LIST NATIVE_COMMAND ${LLVM_DEFINITIONS})
add_definitions(${LLVM_DEFINITIONS_LIST})
include(TableGen)
include(AddLLVM)
include(AddMLIR)
include(HandleLLVMOptions)

include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})

# Debian's LLVM has no llvm-lit binary; lit ships as a script in llvm-19-tools.
set(LLVM_EXTERNAL_LIT ${YAN_LLVM_PREFIX}/build/utils/lit/lit.py CACHE FILEPATH "lit")
set(YAN_LLVM_TOOLS_DIR ${YAN_LLVM_PREFIX}/bin)

# yan_add_library(name SOURCES... [DEPENDS tablegen-targets...]): a library of ours on the
# shared libMLIR/libLLVM.
function(yan_add_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_link_libraries(${name} PUBLIC MLIR LLVM ${ARG_LINK})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
endfunction()
