# GoogleTest for the runtime's tests (runtime/test, test/runtime): in cross
# builds Debian's sources (libgtest-dev) compiled for the target, once;
# natively the installed package (its imported targets are per directory, so
# each test directory includes this file).
if(CMAKE_CROSSCOMPILING)
  if(NOT TARGET gtest)
    set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
    # (It defines the GTest::gtest, GTest::gtest_main and GTest::gmock aliases.)
    add_subdirectory(/usr/src/googletest ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
  endif()
else()
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
