# yan_fuzzer(NAME SOURCE LIBS...): a libFuzzer harness (YAN_BUILD_FUZZERS;
# scripts/sanitizer-ci.sh builds them with ASan + UBSan and runs each for a
# bounded time). Reproducers of past findings, in regressions/NAME/ beside
# the harness, run once each as the ctest test NAME-regressions.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "YAN_BUILD_FUZZERS needs clang (e.g. -DCMAKE_CXX_COMPILER=clang++-19)")
endif()

set(YAN_FUZZ_FLAGS -fsanitize=fuzzer)
function(yan_fuzzer name source)
  add_executable(${name} ${source})
  target_compile_options(${name} PRIVATE ${YAN_FUZZ_FLAGS})
  target_link_options(${name} PRIVATE ${YAN_FUZZ_FLAGS})
  target_link_libraries(${name} PRIVATE ${ARGN})
  # Past findings, each run once (libFuzzer runs files given as arguments).
  file(GLOB regressions ${CMAKE_CURRENT_SOURCE_DIR}/regressions/${name}/*)
  if(regressions)
    add_test(NAME ${name}-regressions COMMAND ${name} ${regressions})
  endif()
endfunction()
