#!/usr/bin/env bash
# The sanitizer and fuzzing half of CI (scripts/test.sh runs it after the
# main suite; docs/security.md). Needs a main build (for yanc/yan-model-gen,
# which compile the test bundles and seed corpora; the compiler itself is
# not rebuilt here).
#
#   build-asan: runtime, tools, runtime tests, bundle writer + checkpoint
#               readers, all with ASan + UBSan (+ libFuzzer coverage), clang-19.
#               Runs the runtime's GoogleTest suites and yan-run/yan-dump on
#               fixture and yanc-compiled bundles, then each fuzzer for
#               YAN_FUZZ_SECONDS (default 60) and prints its executions.
#   build-tsan: the same with TSan; runs the multi-session / multi-thread
#               tests on a compiled bundle.
#
# Environment: YAN_BUILD_DIR (main build, default build), YAN_JOBS (2),
# YAN_FUZZ_SECONDS (60), YAN_SANITIZERS ("asan tsan fuzz": any subset).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
main=${YAN_BUILD_DIR:-build}
jobs=${YAN_JOBS:-2}
fuzz_seconds=${YAN_FUZZ_SECONDS:-60}
what=${YAN_SANITIZERS:-asan tsan fuzz}
tools=$root/$main/bin
[ -x "$tools/yanc" ] && [ -x "$tools/yan-model-gen" ] || {
  echo "sanitizer-ci: no $tools/yanc: build the main tree first (scripts/build.sh)" >&2; exit 1; }

configure() { # DIR SANITIZERS [extra cmake args]
  local dir=$1 san=$2; shift 2
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 \
      -DYAN_BUILD_COMPILER=OFF -DYAN_BUILD_WRITER=ON -DYAN_HOST_TOOLS_DIR="$tools" \
      -DYAN_SANITIZER="$san" "$@" >/dev/null
  fi
}

elapsed() { echo $(( $(date +%s) - $1 ))s; }

# A build's output is kept out of the log unless it fails.
quiet_ninja() { # DIR [targets...]
  local dir=$1; shift
  if ! ninja -C "$dir" -j "$jobs" "$@" > "$dir.ninja.log" 2>&1; then
    tail -60 "$dir.ninja.log"
    echo "sanitizer-ci: building $dir failed (whole log: $dir.ninja.log)" >&2
    exit 1
  fi
}

# UBSan: print a stack and fail; ASan: leaks are findings too.
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

if [[ " $what " == *" asan "* || " $what " == *" fuzz "* ]]; then
  t0=$(date +%s)
  configure build-asan address,undefined -DYAN_BUILD_FUZZERS=ON
  quiet_ninja build-asan
  echo "sanitizer-ci: build-asan (ASan+UBSan) built in $(elapsed "$t0")"
fi

if [[ " $what " == *" asan "* ]]; then
  t0=$(date +%s)
  # Everything registered in this build: GoogleTest (bundle reader, every
  # rejection, signatures, hostile values, sessions, SHA-256, CPU features),
  # compiled-bundle tests (tiny and mid models from the main build's yanc),
  # yan-run / yan-dump on the fixture bundle, fuzz regressions, and the
  # end-to-end runs below.
  ctest --test-dir build-asan --output-on-failure -j "$jobs"
  echo "sanitizer-ci: ASan+UBSan tests passed in $(elapsed "$t0")"
fi

if [[ " $what " == *" tsan "* ]]; then
  t0=$(date +%s)
  configure build-tsan thread
  quiet_ninja build-tsan yan-compiled-bundle-tests yan-learn-compiled-tests yan-run \
    yan-dump yan-keygen yan-lazy-trust-tests
  # Sessions on threads, thread pools of 1..N threads, one bundle shared;
  # learn steps on thread pools; lazy trust's verify callback on 3 threads.
  ctest --test-dir build-tsan --output-on-failure -j "$jobs" \
    -R '^(compiled-tiny-bundle|yan-compiled-bundle-tests|yan-learn-compiled-tests|compiled-lazy-signed-bundle|yan-lazy-trust-tests|e2e-.*)$'
  echo "sanitizer-ci: TSan tests passed in $(elapsed "$t0")"
fi

if [[ " $what " == *" fuzz "* ]]; then
  total=0
  for fuzzer in fuzz-bundle fuzz-elf fuzz-checkpoint fuzz-delta fuzz-tokenizer; do
    name=${fuzzer#fuzz-}
    work=build-asan/test/fuzz/work/$name
    rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
    dict=()
    [ -f "test/fuzz/$name.dict" ] && dict=(-dict="test/fuzz/$name.dict")
    log=$work/log.txt
    set +e
    # New inputs go to work/corpus; seeds (made by the build) are read only.
    "build-asan/bin/$fuzzer" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 \
      -malloc_limit_mb=1024 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "${dict[@]}" \
      "$work/corpus" "build-asan/test/fuzz/seeds/$name" >"$log" 2>&1
    status=$?
    set -e
    runs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -1 || true)
    echo "sanitizer-ci: $fuzzer: ${runs:-0} executions in ${fuzz_seconds}s, exit $status"
    if [ "$status" -ne 0 ] || [ -z "$runs" ]; then
      tail -60 "$log"
      echo "sanitizer-ci: $fuzzer found a problem; reproducers in $work/artifacts:" >&2
      ls -l "$work/artifacts" >&2 || true
      # Regressions live beside the harness (runtime-internal ones: runtime/test).
      regressions=test/fuzz/regressions
      [ -f "runtime/test/$(echo "$fuzzer" | tr - _).cpp" ] && regressions=runtime/test/regressions
      echo "(copy them to $regressions/$fuzzer/ and fix)" >&2
      exit 1
    fi
    total=$((total + runs))
  done
  echo "sanitizer-ci: fuzzing: $total executions in total, no findings"
fi
