#!/usr/bin/python3
"""The PyTorch side of the learn benchmark (scripts/bench-learn.sh runs it
next to `yan-bench --learn` in one go).

On one sample (the same deterministic 64 tokens yan-bench --learn uses: an
xorshift64 sequence from 0x2545F4914F6CDD1D, each value mod V), in one
process, eager float32 on the CPU:

  forward_s           the forward over tokens[:-1] (no autograd), median
  full_step_s         full backprop of all parameters (every weight requires
                      grad) + torch.optim.SGD step: what a framework does
                      without partition-restricted learning, median
  local_step_s        the reference's partition-restricted update
                      (LocalTrainer.update, SGD), median
  full_extra_peak_bytes / local_extra_peak_bytes
                      peak RSS during the step minus RSS before it (the peak
                      is reset through /proc/self/clear_refs), first step

Prints one JSON object."""

import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from local_update import LocalTrainer, OptimConfig  # noqa: E402
from yan_model import YanModel  # noqa: E402


def sample(vocab, count):
    """tools/yan-bench/LearnBench.cpp's sample."""
    x, mask, out = 0x2545F4914F6CDD1D, (1 << 64) - 1, []
    for _ in range(count):
        x ^= (x << 13) & mask
        x ^= x >> 7
        x ^= (x << 17) & mask
        out.append(x % vocab)
    return out


def rss_bytes(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def measure(step, reps):
    """(median seconds, extra peak bytes of the first call)."""
    before = rss_bytes("VmRSS")
    reset_peak()
    start = time.perf_counter()
    step()
    times = [time.perf_counter() - start]
    extra = rss_bytes("VmHWM") - before
    for _ in range(reps - 1):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2], extra


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = YanModel.load(args.model_dir)
    vocab = model.cfg.vocab_size
    tokens = sample(vocab, args.tokens)
    targets = torch.tensor(tokens[1:], dtype=torch.long)

    def forward():
        with torch.no_grad():
            model.forward(tokens[:-1])

    forward()  # warm up allocator and kernels
    forward_s, _ = measure(forward, args.reps)

    # Partition-restricted update, as yanc's learn entries do it.
    trainer = LocalTrainer(model, OptimConfig("sgd", lr=1e-3))
    local_s, local_extra = measure(lambda: trainer.update(tokens), args.reps)

    # Full backprop of all parameters + SGD.
    params = list(model.w.values())
    for p in params:
        p.requires_grad_(True)
    optimizer = torch.optim.SGD(params, lr=1e-3)

    def full_step():
        optimizer.zero_grad(set_to_none=True)
        logits, _ = model.forward(tokens[:-1])
        F.cross_entropy(logits, targets).backward()
        optimizer.step()

    full_s, full_extra = measure(full_step, args.reps)
    print(json.dumps({
        "model": args.model_dir, "sample_tokens": args.tokens, "threads": args.threads,
        "torch": torch.__version__,
        "forward_s": forward_s,
        "full_step_s": full_s, "full_step_over_forward": full_s / forward_s,
        "full_extra_peak_bytes": full_extra,
        "local_step_s": local_s, "local_step_over_forward": local_s / forward_s,
        "local_extra_peak_bytes": local_extra,
        "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }, indent=2))


if __name__ == "__main__":
    main()
