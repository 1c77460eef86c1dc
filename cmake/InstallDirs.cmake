# The install layout (GNUInstallDirs), with Debian's multiarch library
# directory lib/<triplet> whatever the prefix: the amd64, arm64 and riscv64
# runtime packages then install side by side (Multi-Arch: same), and
# `cmake --install` into any prefix or sysroot gives the layout the packages
# have, which find_package searches (<prefix>/lib/<triplet>/cmake/yan).
# Included right after project(): LLVM's AddLLVM includes GNUInstallDirs too,
# and the first inclusion fixes the cache defaults.
if(CMAKE_LIBRARY_ARCHITECTURE)
  set(CMAKE_INSTALL_LIBDIR lib/${CMAKE_LIBRARY_ARCHITECTURE} CACHE PATH
      "Object code libraries (lib/<multiarch triplet>, as in Debian)")
endif()
include(GNUInstallDirs)
