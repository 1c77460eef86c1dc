"""Checks yan-bench --learn's compute figures against each other and the
compiler's count.

Usage: check_bench_learn.py BENCH.json REPORT.json

BENCH.json is `yan-bench BUNDLE --json --learn`, REPORT.json `yanc
--report=json` of the same bundle. Every run must carry the learn step's
FLOPs (the compiler's count per position x the sample's N-1 positions,
plus its count per routed pair x the step's routed pairs),
its FLOP/s (those FLOPs over the step time) and the ratios to the FMA peak
and the forward pass, all finite and positive. Prints one line per run;
exits 1 on the first inconsistency.
"""
import json
import math
import sys


# Half a unit in the last printed place of each kind of figure: yan-bench
# prints milliseconds to 6 decimals, FLOP/s to integers, ratios to 3 or 4.
MS_HALF_ULP = 0.5e-6
FLOPS_HALF_ULP = 0.5


def quotient_range(num, num_err, den, den_err):
    """The range of a / b over a in num +- num_err, b in den +- den_err (b > 0)."""
    if den - den_err <= 0:
        return 0.0, math.inf
    return (num - num_err) / (den + den_err), (num + num_err) / (den - den_err)


def within(printed, printed_err, bounds, rel=1e-9):
    low, high = bounds
    return low * (1 - rel) - printed_err <= printed <= high * (1 + rel) + printed_err


def check(run, report):
    def positive(name):
        value = run[name]
        if not (math.isfinite(value) and value > 0):
            raise SystemExit(f"threads {run['threads']}: {name} = {value}, not finite and > 0")
        return value

    names = ["learn_flops_per_token", "learn_flops_per_routed_pair", "learn_routed_pairs",
             "learn_flops", "learn_flops_per_s", "learn_over_peak",
             "learn_over_forward", "learn_step_ms", "forward_ms", "peak_flops_per_s"]
    v = {name: positive(name) for name in names}
    for name in ["learn_flops_per_token", "learn_flops_per_routed_pair"]:
        if v[name] != report[name]:
            raise SystemExit(f"{name} is not yanc --report's")
    if run["flops_per_token"] != report["flops_per_token"]:
        raise SystemExit("flops_per_token is not yanc --report's")
    if v["learn_flops"] != (v["learn_flops_per_token"] * (run["learn_tokens"] - 1) +
                            v["learn_flops_per_routed_pair"] * v["learn_routed_pairs"]):
        raise SystemExit("learn_flops != learn_flops_per_token x (learn_tokens - 1) + "
                         "learn_flops_per_routed_pair x learn_routed_pairs")
    # Each derived figure must lie in the range its printed inputs allow
    # once their rounding is accounted for: a tight check however short
    # the times are.
    per_s = quotient_range(v["learn_flops"] * 1e3, 0, v["learn_step_ms"], MS_HALF_ULP)
    if not within(v["learn_flops_per_s"], FLOPS_HALF_ULP, per_s):
        raise SystemExit("learn_flops_per_s != learn_flops / learn_step_ms")
    over_peak = quotient_range(v["learn_flops_per_s"], FLOPS_HALF_ULP,
                               v["peak_flops_per_s"], FLOPS_HALF_ULP)
    if not within(v["learn_over_peak"], 0.5e-4, over_peak):
        raise SystemExit("learn_over_peak != learn_flops_per_s / peak_flops_per_s")
    over_forward = quotient_range(v["learn_step_ms"], MS_HALF_ULP, v["forward_ms"], MS_HALF_ULP)
    if not within(v["learn_over_forward"], 0.5e-3, over_forward):
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
