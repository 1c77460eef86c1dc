#!/usr/bin/env bash
# Checks that yan-model-gen (C++) and gen_model.py (the Python reference)
# write the same model: model.safetensors byte for byte, config.json equal as
# JSON (number formatting may differ).
#
#   check_generator_matches_reference.sh YAN_MODEL_GEN PYTHON GEN_MODEL_PY
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 YAN_MODEL_GEN PYTHON GEN_MODEL_PY" >&2
  exit 2
fi
gen_cpp=$1
python=$2
gen_py=$3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One case per line: arguments for both generators. They cover the three
# dtypes, seeds (including the largest uint64), and every override.
cases=(
  "--preset tiny"
  "--preset tiny --dtype f16 --seed 1"
  "--preset tiny --dtype bf16 --seed 18446744073709551615"
  "--preset tiny --seed 7 --vocab-size 100 --hidden-size 48 --num-layers 1 --num-channels 3 --slope-window 1 --num-partitions 5 --active-partitions 5 --partition-size 20 --norm-eps 1e-6"
  "--preset tiny --dtype f16 --decays 0.5,0.25,0.125,0.9 --slopes 0,0.1,0.2,0.3"
)

status=0
for i in "${!cases[@]}"; do
  read -r -a args <<<"${cases[$i]}"
  cpp_dir=$work/cpp$i
  py_dir=$work/py$i
  "$gen_cpp" "$cpp_dir" "${args[@]}"
  "$python" "$gen_py" "$py_dir" "${args[@]}"
  if ! cmp "$cpp_dir/model.safetensors" "$py_dir/model.safetensors"; then
    echo "FAIL: model.safetensors differs for: ${cases[$i]}" >&2
    status=1
  fi
  if ! "$python" -c '
import json, sys
with open(sys.argv[1]) as a, open(sys.argv[2]) as b:
    sys.exit(0 if json.load(a) == json.load(b) else 1)
' "$cpp_dir/config.json" "$py_dir/config.json"; then
    echo "FAIL: config.json differs for: ${cases[$i]}" >&2
    diff "$cpp_dir/config.json" "$py_dir/config.json" >&2 || true
    status=1
  fi
  [ $status -eq 0 ] && echo "ok: ${cases[$i]}"
done
exit $status
