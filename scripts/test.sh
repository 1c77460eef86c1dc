#!/usr/bin/env bash
# README's second command (and what .ci/run calls): installs what is missing,
# builds, and runs the whole test suite (lit, GoogleTest, reference checks).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build_dir=${YAN_BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure -j "${YAN_JOBS:-2}"
