# The CMake package `yan` (find_package(yan CONFIG)): yanConfig.cmake
# (yan::runtime and where yanc is), its version file, and the build rules
# running yanc (YanModelRules.cmake). Relocatable: paths are relative to the
# installed config, so a prefix, /usr (the packages) and an unpacked sysroot
# all work.
include(CMakePackageConfigHelpers)

set(YAN_CMAKE_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/yan)
configure_package_config_file(yanConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/yanConfig.cmake
  INSTALL_DESTINATION ${YAN_CMAKE_PACKAGE_DIR}
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR)
# 0.x: a minor version may change the API (docs/packaging.md).
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/yanConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
    ${CMAKE_CURRENT_BINARY_DIR}/yanConfig.cmake
    ${CMAKE_CURRENT_BINARY_DIR}/yanConfigVersion.cmake
    YanModelRules.cmake
  DESTINATION ${YAN_CMAKE_PACKAGE_DIR} COMPONENT runtime-dev)
