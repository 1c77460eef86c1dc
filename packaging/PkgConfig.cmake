# yan-runtime.pc for pkg-config users. libyan-runtime.a is static only, so
# Libs carries everything it needs (libstdc++, libm, threads; libsodium
# through Requires when it is not inside the archive).
#
# The prefix is written at install time, not configure time: CPack installs
# into /usr whatever CMAKE_INSTALL_PREFIX the build was configured with, and
# `cmake --install --prefix` may choose another. An absolute prefix (as in
# Debian's own .pc files) lets PKG_CONFIG_SYSROOT_DIR relocate it into an
# unpacked sysroot.
if(YAN_RUNTIME_BUNDLES_SODIUM)
  set(YAN_PC_REQUIRES "")
else()
  set(YAN_PC_REQUIRES libsodium) # Debian's libsodium-dev ships libsodium.pc
endif()
set(_pc_template ${CMAKE_CURRENT_BINARY_DIR}/yan-runtime.pc.template)
set(_pc ${CMAKE_CURRENT_BINARY_DIR}/yan-runtime.pc)
# Everything but the prefix now; @YAN_PC_PREFIX@ survives for install time.
set(YAN_PC_PREFIX "@YAN_PC_PREFIX@")
configure_file(yan-runtime.pc.in ${_pc_template} @ONLY)
install(CODE "
  set(YAN_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${_pc_template}\" \"${_pc}\" @ONLY)"
  COMPONENT runtime-dev)
install(FILES ${_pc} DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT runtime-dev)
