# Shared part of the Debian cross toolchain files: set YAN_CROSS_TRIPLE,
# CMAKE_SYSTEM_PROCESSOR and YAN_CROSS_EMULATOR, then include this.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${YAN_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${YAN_CROSS_TRIPLE}-g++)
set(CMAKE_AR ${YAN_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${YAN_CROSS_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP ${YAN_CROSS_TRIPLE}-strip CACHE FILEPATH "")

# Libraries and headers come from Debian's cross sysroot only; programs
# (flatc, the emulator) from the build host.
set(CMAKE_FIND_ROOT_PATH /usr/${YAN_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Static executables: qemu-user runs them without a sysroot, and so does a
# device without the matching glibc. The runtime loads code images with its
# own ELF loader, never dlopen, so static linking costs nothing.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

if(NOT DEFINED CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${YAN_CROSS_EMULATOR})
endif()
