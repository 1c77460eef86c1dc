#!/usr/bin/env bash
# Configures (once) and builds the project into build/ (or $YAN_BUILD_DIR).
# Two jobs by default: the reference machines have 2 cores and 24 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${YAN_BUILD_DIR:-build}
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja
fi
cmake --build "$build_dir" -j "${YAN_JOBS:-2}"
