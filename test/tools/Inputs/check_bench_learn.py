"""Checks yan-bench --learn's compute figures against each other and the
compiler's count.

Usage: check_bench_learn.py BENCH.json REPORT.json

BENCH.json is `yan-bench BUNDLE --json --learn`, REPORT.json `yanc
--report=json` of the same bundle. Every run must carry the learn step's
FLOPs (the compiler's count per position x the sample's N-1 positions),
its FLOP/s (those FLOPs over the step time) and the ratios to the FMA peak
and the forward pass, all finite and positive. Prints one line per run;
exits 1 on the first inconsistency.
"""
import json
import math
import sys


def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b))


def check(run, report):
    def positive(name):
        value = run[name]
        if not (math.isfinite(value) and value > 0):
            raise SystemExit(f"threads {run['threads']}: {name} = {value}, not finite and > 0")
        return value

    names = ["learn_flops_per_token", "learn_flops", "learn_flops_per_s", "learn_over_peak",
             "learn_over_forward", "learn_step_ms", "forward_ms", "peak_flops_per_s"]
    v = {name: positive(name) for name in names}
    if v["learn_flops_per_token"] != report["learn_flops_per_token"]:
        raise SystemExit("learn_flops_per_token is not yanc --report's")
    if run["flops_per_token"] != report["flops_per_token"]:
        raise SystemExit("flops_per_token is not yanc --report's")
    if v["learn_flops"] != v["learn_flops_per_token"] * (run["learn_tokens"] - 1):
        raise SystemExit("learn_flops != learn_flops_per_token x (learn_tokens - 1)")
    # ms are printed to 4 decimals, FLOP/s to integers, ratios to 4 decimals.
    step = v["learn_step_ms"] / 1e3
    if not close(v["learn_flops_per_s"], v["learn_flops"] / step, 2e-3):
        raise SystemExit("learn_flops_per_s != learn_flops / learn_step_ms")
    expected = v["learn_flops_per_s"] / v["peak_flops_per_s"]
    if abs(v["learn_over_peak"] - expected) > 1e-4 + 1e-3 * expected:
        raise SystemExit("learn_over_peak != learn_flops_per_s / peak_flops_per_s")
    expected = v["learn_step_ms"] / v["forward_ms"]
    if abs(v["learn_over_forward"] - expected) > 1e-3 + 1e-3 * expected:
        raise SystemExit("learn_over_forward != learn_step_ms / forward_ms")
    print(f"threads {run['threads']}: consistent")


def main(bench_path, report_path):
    with open(bench_path) as f:
        bench = json.load(f)
    with open(report_path) as f:
        report = json.load(f)
    for run in bench["runs"]:
        check(run, report)


if __name__ == "__main__":
    main(*sys.argv[1:])
