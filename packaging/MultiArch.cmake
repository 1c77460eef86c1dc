# CPack post-build script (CPACK_POST_BUILD_SCRIPTS, packaging/Debian.cmake):
# marks libyan-runtime-dev `Multi-Arch: same`, which CPack 3.25's DEB
# generator has no variable for. The package qualifies: its static library,
# CMake package and pkg-config file sit under lib/<triplet>/ and its headers
# are the same bytes on every architecture (the packages test compares
# them), so a build machine can hold the amd64, arm64 and riscv64 packages
# side by side (`dpkg --add-architecture arm64`), as Debian's own -dev
# libraries allow. The package is unpacked, the field added after
# Architecture, and packed again with the same file list and checksums.
find_program(YAN_DPKG_DEB dpkg-deb REQUIRED)
foreach(deb IN LISTS CPACK_PACKAGE_FILES)
  get_filename_component(name "${deb}" NAME)
  if(NOT name MATCHES "^libyan-runtime-dev_.*\\.deb$")
    continue()
  endif()
  set(tree "${deb}.multiarch")
  file(REMOVE_RECURSE "${tree}")
  execute_process(COMMAND ${YAN_DPKG_DEB} -R "${deb}" "${tree}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dpkg-deb -R ${deb} failed (${rc})")
  endif()
  file(READ "${tree}/DEBIAN/control" control)
  if(NOT control MATCHES "\nMulti-Arch:")
    string(REGEX REPLACE "(^|\n)(Architecture: [^\n]*\n)" "\\1\\2Multi-Arch: same\n"
           control "${control}")
    file(WRITE "${tree}/DEBIAN/control" "${control}")
  endif()
  execute_process(COMMAND ${YAN_DPKG_DEB} --root-owner-group -b "${tree}" "${deb}"
                  OUTPUT_QUIET RESULT_VARIABLE rc)
  file(REMOVE_RECURSE "${tree}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dpkg-deb -b ${deb} failed (${rc})")
  endif()
endforeach()
