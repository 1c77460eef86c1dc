# Cross build of the runtime and its tools for RV64 Linux (lp64d) with
# Debian's gcc-riscv64-linux-gnu / g++-riscv64-linux-gnu:
#   cmake -S . -B build-riscv64 -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/riscv64-linux-gnu.cmake
# The runtime itself is plain rv64gc (it must start on any RV64GC CPU to
# tell the user which extensions an image lacks); generated code images use
# V when compiled for it. ctest runs tests on an emulated CPU with 256-bit
# RVV 1.0; override with -DCMAKE_CROSSCOMPILING_EMULATOR="qemu-riscv64;-cpu;...".
set(YAN_CROSS_TRIPLE riscv64-linux-gnu)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(YAN_CROSS_EMULATOR qemu-riscv64 -cpu rv64,v=true,vlen=256,vext_spec=v1.0)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-common.cmake)
