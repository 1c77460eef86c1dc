#!/usr/bin/env bash
# The learn benchmark of issue 6, ours and the PyTorch reference's side by
# side in one run, on the same model and the same 64-token sample:
#   scripts/bench-learn.sh [MODEL_DIR] [THREADS]
# MODEL_DIR defaults to models/small (generated with yan-model-gen --preset
# small if missing). Prints yan-bench --learn's JSON, the reference's JSON
# (test/reference/bench_learn.py) and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/small}
threads=${2:-1}
bin=${YAN_BUILD_DIR:-build}/bin
if [ ! -f "$model/config.json" ]; then
  "$bin/yan-model-gen" "$model" --preset small
fi
bundle="$model.yanb"
if [ ! -f "$bundle" ] || [ "$bundle" -ot "$bin/yanc" ]; then
  "$bin/yanc" "$model" -o "$bundle"
fi
ours=$("$bin/yan-bench" "$bundle" --learn --threads "$threads" --json)
theirs=$(/usr/bin/python3 test/reference/bench_learn.py "$model" --threads "$threads")
echo "$ours"
echo "$theirs"
/usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, ref = json.loads(sys.argv[1]), json.loads(sys.argv[2])
run = ours["runs"][0] if "runs" in ours else ours
mib = 1 << 20
print(f"ours:    learn step / forward = {run['learn_over_forward']:.2f} "
      f"(step {run['learn_step_ms']:.1f} ms, forward {run['forward_ms']:.1f} ms); "
      f"extra peak memory {ours['learn_extra_peak_bytes'] / mib:.1f} MiB")
print(f"PyTorch: full backprop step / forward = {ref['full_step_over_forward']:.2f}, "
      f"extra peak {ref['full_extra_peak_bytes'] / mib:.1f} MiB; "
      f"partition-restricted step / forward = {ref['local_step_over_forward']:.2f}, "
      f"extra peak {ref['local_extra_peak_bytes'] / mib:.1f} MiB")
print(f"extra peak memory, ours over PyTorch full backprop: "
      f"{ours['learn_extra_peak_bytes'] / ref['full_extra_peak_bytes']:.3f} "
      f"(aim <= 0.125)")
PY
