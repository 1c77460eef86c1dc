#!/usr/bin/env bash
# README's first command: installs the Debian packages, builds, and runs the
# main job on the committed default model, models/yan-mini (trained on
# Debian's fortunes; MODEL_CARD.md): compile it for this machine with f32
# weights (so it can learn), check it against the PyTorch reference, write
# text, teach it one preference, and show in a fresh process that it
# remembers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build_dir=${YAN_BUILD_DIR:-build}
bin=$build_dir/bin
work=$build_dir/main-job
model=models/yan-mini
rm -rf "$work" && mkdir -p "$work"
bundle=$work/yan-mini.yanb
delta=$work/me.delta
fact_head="I take my coffee"
fact="I take my coffee without sugar."

echo "== 1. Reference test vectors from the PyTorch oracle"
/usr/bin/python3 test/reference/golden.py "$model" --prompt 2,100,200,300 --steps 8 \
  --test-vectors "$work/golden" > /dev/null
echo "== 2. Compiling $model for this machine (f32 weights, tokenizer inside): $bundle"
"$bin/yanc" "$model" --weights f32 -o "$bundle" --test-vectors "$work/golden.json" --report \
  | sed -n '1,6p'
echo "== 3. Self-test against the reference"
"$bin/yan-run" "$bundle" --selftest
echo "== 4. Text in, text out"
echo "\$ yan-run yan-mini.yanb --text \"The trouble with computers is\""
"$bin/yan-run" "$bundle" --text "The trouble with computers is" --max-tokens 40
echo "== 5. Held-out bits per byte (models/yan-mini/heldout.txt)"
"$bin/yan-perplexity" "$bundle" "$model/heldout.txt" | sed -n '1,3p'
echo "== 6. Before teaching: \"$fact_head\" ->"
"$bin/yan-run" "$bundle" --text "$fact_head" --max-tokens 12
echo "== 7. Teaching one preference on the device: \"$fact\""
"$bin/yan-run" "$bundle" --learn-text "$fact" --save-delta "$delta"
echo "== 8. A fresh process with the delta: \"$fact_head\" ->"
"$bin/yan-run" "$bundle" --delta "$delta" --text "$fact_head" --max-tokens 12
echo "== Done. Try: $bin/yan-run $bundle --chat"
