#!/usr/bin/env bash
# README's first command: installs the Debian packages, builds, and runs the
# main job on the built-in default model: generate it (no Python needed),
# compile it for this machine, check it against the PyTorch reference's
# embedded test vectors, and generate tokens.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build_dir=${YAN_BUILD_DIR:-build}
bin=$build_dir/bin
work=$build_dir/models
model=$work/tiny
rm -rf "$work" && mkdir -p "$work"

echo "== 1. Generating the default model (tiny: V256 D64 L2 C4 K4 P8 k2 F32) in $model"
"$bin/yan-model-gen" "$model" --preset tiny
echo "== 2. Reference test vectors from the PyTorch oracle"
/usr/bin/python3 test/reference/golden.py "$model" --prompt 1,2,3,4,5,6,7 --steps 16 \
  --test-vectors "$work/tiny-golden"
echo "== 3. Compiling for this machine: $work/tiny.yanb"
"$bin/yanc" "$model" -o "$work/tiny.yanb" --test-vectors "$work/tiny-golden.json"
"$bin/yan-dump" "$work/tiny.yanb" | sed -n '1,4p;/code images/,/entry 1/p'
echo "== 4. Self-test against the reference"
"$bin/yan-run" "$work/tiny.yanb" --selftest
echo "== 5. Generating 16 tokens"
"$bin/yan-run" "$work/tiny.yanb" --prompt 1,2,3 --max-tokens 16
echo "== 6. Learning on the device: 20 AdamW steps on one sample, kept in a delta"
"$bin/yan-run" "$work/tiny.yanb" --learn 1,2,3,4,5,6,7,8,9,10,11,12 --steps 20 \
  --optimizer adamw --save-delta "$work/tiny.delta"
echo "== 7. Generating with the learned delta"
"$bin/yan-run" "$work/tiny.yanb" --delta "$work/tiny.delta" --prompt 1,2,3 --max-tokens 16
echo "== Done. Try: $bin/yan-bench $work/tiny.yanb --learn"
