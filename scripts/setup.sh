#!/usr/bin/env bash
# README's first command: installs the Debian packages, builds, and runs the
# main job on the built-in default model (tiny, generated without Python).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build_dir=${YAN_BUILD_DIR:-build}
bin=$build_dir/bin
model=$build_dir/models/tiny

echo "== Generating the default model (tiny) in $model"
"$bin/yan-model-gen" "$model" --preset tiny
echo "== Importing it: $model/tiny.yan.mlir"
"$bin/yanc" "$model" --emit=yan -o "$model/tiny.yan.mlir"
echo "== Verifying and measuring weight traffic per token"
"$bin/yan-opt" "$model/tiny.yan.mlir" --verify-roundtrip --yan-weight-traffic -o /dev/null
echo "== Done. Next: $bin/yanc $model --emit=yan | $bin/yan-opt"
