# The install layout (GNUInstallDirs), with Debian's multiarch library
# directory lib/<triplet> whatever the prefix: the amd64, arm64 and riscv64
# runtime packages then have disjoint libraries, and `cmake --install` into
# any prefix or sysroot gives the layout the packages have, which
# find_package searches (<prefix>/lib/<triplet>/cmake/yan).
# Included right after project(): LLVM's AddLLVM and GoogleTest include
# GNUInstallDirs too, and the first inclusion fixes the cache default.
if(CMAKE_LIBRARY_ARCHITECTURE)
  set(_yan_libdir_doc "Object code libraries (lib/<multiarch triplet>, as in Debian)")
  # A build directory configured before this file existed holds
  # GNUInstallDirs' generic default (recognisable by its help string, which
  # an explicit -DCMAKE_INSTALL_LIBDIR does not have): replace it once.
  get_property(_yan_libdir_help CACHE CMAKE_INSTALL_LIBDIR PROPERTY HELPSTRING)
  get_property(_yan_libdir_type CACHE CMAKE_INSTALL_LIBDIR PROPERTY TYPE)
  if(NOT DEFINED CACHE{CMAKE_INSTALL_LIBDIR} OR
     _yan_libdir_help STREQUAL "Object code libraries (lib)")
    set(CMAKE_INSTALL_LIBDIR lib/${CMAKE_LIBRARY_ARCHITECTURE} CACHE PATH "${_yan_libdir_doc}" FORCE)
  elseif(_yan_libdir_type STREQUAL "UNINITIALIZED")
    # Given with -D: kept as given (relative; set(CACHE PATH) would make it
    # absolute), under our help string so it is never taken for the stale
    # default above.
    set_property(CACHE CMAKE_INSTALL_LIBDIR PROPERTY TYPE PATH)
    set_property(CACHE CMAKE_INSTALL_LIBDIR PROPERTY HELPSTRING "${_yan_libdir_doc}")
  endif()
endif()
include(GNUInstallDirs)
