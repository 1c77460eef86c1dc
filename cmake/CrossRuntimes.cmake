# The runtime, yan-run, yan-bench, yan-dump and the runtime's unit tests,
# cross-built for AArch64 and RISC-V as part of the host build, so that ctest
# can run the three targets' compile-and-run tests under qemu-user (the
# host's yanc compiles for every target; cross builds are runtime-only and
# take about a minute each). Each is an ordinary cross build with
# cmake/toolchains/<arch>-linux-gnu.cmake in ${CMAKE_BINARY_DIR}/cross/<arch>.
# Like any build of this tree, each installs (component runtime-dev: the
# runtime, headers, CMake package, .pc; packaging/) into a sysroot with
# `DESTDIR=<sysroot> cmake --install build/cross/<arch> --prefix /usr`, and
# `cpack --config build/cross/<arch>/CPackConfig.cmake` makes its
# libyan-runtime-dev .deb (docs/packaging.md).
#
# Sets YAN_CROSS_ARCHS (the architectures built) and, per arch,
# YAN_CROSS_<arch>_DIR and YAN_QEMU_<arch>.
include(ExternalProject)

option(YAN_CROSS_RUNTIMES
  "Cross-build the runtime for AArch64 and RISC-V and test it under qemu-user" ON)

set(YAN_CROSS_ARCHS)
if(NOT YAN_CROSS_RUNTIMES)
  return()
endif()
foreach(arch aarch64 riscv64)
  find_program(YAN_CROSS_${arch}_CXX ${arch}-linux-gnu-g++)
  find_program(YAN_QEMU_${arch} qemu-${arch})
  if(NOT YAN_CROSS_${arch}_CXX OR NOT YAN_QEMU_${arch})
    message(WARNING "No ${arch}-linux-gnu-g++ or qemu-${arch}: the ${arch} runtime "
                    "is not built and its tests are skipped (scripts/install-deps.sh "
                    "installs both)")
    continue()
  endif()
  set(YAN_CROSS_${arch}_DIR ${CMAKE_BINARY_DIR}/cross/${arch})
  ExternalProject_Add(yan-cross-${arch}
    SOURCE_DIR ${YAN_SOURCE_DIR}
    BINARY_DIR ${YAN_CROSS_${arch}_DIR}
    CMAKE_GENERATOR Ninja
    CMAKE_ARGS
      -DCMAKE_TOOLCHAIN_FILE=${YAN_SOURCE_DIR}/cmake/toolchains/${arch}-linux-gnu.cmake
      -DCMAKE_BUILD_TYPE=Release
    # Two jobs: the reference machines have two cores, shared with the
    # outer build.
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> -j 2
    # Always ask the inner build (a no-op when nothing changed), so edits to
    # the runtime reach the cross binaries.
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    # The source tree is ours: nothing to download or update.
    DOWNLOAD_COMMAND "" UPDATE_COMMAND "")
  list(APPEND YAN_CROSS_ARCHS ${arch})
endforeach()
