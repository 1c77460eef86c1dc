# Cross build of the runtime and its tools for 64-bit Arm Linux with Debian's
# gcc-aarch64-linux-gnu / g++-aarch64-linux-gnu:
#   cmake -S . -B build-aarch64 -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
# CMAKE_CROSSCOMPILING leaves the compiler (MLIR/LLVM) out. Binaries are
# linked statically, so `qemu-aarch64 build-aarch64/bin/yan-run` needs no
# sysroot (-L); ctest runs the tests through the emulator below.
set(YAN_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
# qemu's default "max" CPU has every extension our presets use.
set(YAN_CROSS_EMULATOR qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-common.cmake)
