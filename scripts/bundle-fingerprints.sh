#!/usr/bin/env bash
# Compiles a fixed set of models for every target and prints one SHA-256 per
# output: the proof that a refactoring of the compiler changed no bundle.
#
#   scripts/bundle-fingerprints.sh BIN_DIR WORK_DIR > after.txt
#   diff before.txt after.txt        # empty: every output is byte-identical
#
# The set: tiny, small and an odd shape (every dimension off the 8-lane
# vectors, K=1, k=P) for x86-64 (v3, v4), AArch64 and RISC-V; inference-only
# and learn-enabled; f32, f16 and bf16 weights; a multi-target bundle; a
# signed bundle (WORK_DIR/sign.key is made once and reused, Ed25519 is
# deterministic); the static library and its header; the LLVM IR. The bundle
# records the compiler's version string, so compare builds of one version.
set -euo pipefail
bin=${1:?usage: bundle-fingerprints.sh BIN_DIR WORK_DIR}
work=${2:?usage: bundle-fingerprints.sh BIN_DIR WORK_DIR}
mkdir -p "$work/models" "$work/out"

model() { # name, yan-model-gen flags...
  local name=$1; shift
  [[ -f $work/models/$name/config.json ]] ||
    "$bin/yan-model-gen" "$@" "$work/models/$name" >/dev/null
}
model tiny --preset tiny
model small --preset small
model odd --preset tiny --vocab-size 1001 --hidden-size 134 --num-channels 2 \
  --slope-window 1 --num-partitions 3 --active-partitions 3 \
  --partition-size 75 --seed 11
model tiny-f16 --preset tiny --dtype f16 --seed 5
model odd-bf16 --preset tiny --vocab-size 1001 --hidden-size 134 \
  --num-channels 2 --slope-window 3 --num-partitions 6 --active-partitions 2 \
  --partition-size 75 --seed 12 --dtype bf16
[[ -f $work/sign.key ]] || "$bin/yan-keygen" "$work/sign.key" >/dev/null

compile() { # output name, model, yanc flags...
  local out=$work/out/$1 model=$2; shift 2
  "$bin/yanc" "$work/models/$model" -o "$out" "$@" >/dev/null
}
targets=(
  "x64-v3:--target x86_64 --cpu x86-64-v3"
  "x64-v4:--target x86_64 --cpu x86-64-v4"
  "a64:--target aarch64"
  "rv64:--target riscv64"
)
for m in tiny small odd tiny-f16 odd-bf16; do
  for t in "${targets[@]}"; do
    name=${t%%:*}
    read -r -a flags <<<"${t#*:}"
    compile "$m.$name.yanb" "$m" "${flags[@]}"
  done
done
for m in tiny odd; do
  compile "$m.learn-off.yanb" "$m" --learn off
  compile "$m.learn-m2.yanb" "$m" --learn partitions --learn-partitions 2 \
    --learn-max-tokens 40
done
compile tiny.f16.yanb tiny --weights f16
compile tiny.multi.yanb tiny --target x86_64 --target aarch64 --target riscv64
compile tiny.signed.yanb tiny --sign-key "$work/sign.key"
compile tiny.packed.yanb tiny --partition-alignment 0
compile odd.prefill.yanb odd --prefill-max-tokens 17
compile tiny.a64.a tiny --target aarch64 --emit static-lib \
  --header "$work/out/tiny.a64.h" --symbol-prefix yan_tiny
compile tiny.ll tiny --emit llvm
compile tiny.learn.ll tiny --emit llvm --learn partitions
(cd "$work/out" && sha256sum -- * | sort -k2)
