#!/usr/bin/env bash
# README's second command (and what .ci/run calls): installs what is missing,
# builds, and runs the whole test suite (lit, GoogleTest, reference checks),
# then the sanitizer builds and fuzzers (scripts/sanitizer-ci.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build_dir=${YAN_BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure -j "${YAN_JOBS:-2}"
# ASan+UBSan and TSan builds of the runtime and its tests, and the fuzzers
# (~60 s each): docs/security.md. YAN_SANITIZERS=none skips them locally.
if [ "${YAN_SANITIZERS:-}" != none ]; then
  scripts/sanitizer-ci.sh
fi
