#!/usr/bin/python3
"""The fact-memory experiment of issue 11: does the device remember what it
is taught, and what does it forget?

    fact_memory.py BUNDLE MODEL_DIR --bin build/bin --out DIR
                   [--facts test/reference/facts.txt] [--heldout FILE]
                   [--steps N --lr X] [--torch]

Ours (the compiled runtime, fresh processes, as a device would run it):
  1. before: greedy continuation of every fact's beginning (yan-run --text);
  2. teach the facts one after another into one delta
     (yan-run --learn-text "FACT" [--delta D] --save-delta D);
  3. after: the same continuations with the delta, each in a new process;
  4. held-out bits per byte with and without the delta (yan-perplexity).
--torch adds the same experiment with full fine-tuning of every parameter
in the PyTorch reference (AdamW, the same steps and lr, one optimizer across
the facts): its recall and its held-out bits per byte.
Writes DIR/fact-memory.json and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_TOKENS = 16


def read_facts(path: str) -> List[Tuple[str, str]]:
    facts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                head, tail = line.split("|")
                facts.append((head, tail))
    return facts


def remembered(continuation: str, tail: str) -> bool:
    return continuation.lstrip().startswith(tail.strip())


def run(cmd: List[str]) -> str:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out.stdout


def continuation(bindir: str, bundle: str, head: str, delta: Optional[str]) -> str:
    cmd = [os.path.join(bindir, "yan-run"), bundle, "--text", head,
           "--max-tokens", str(MAX_TOKENS), "--threads", "1"]
    if delta:
        cmd += ["--delta", delta]
    return run(cmd).rstrip("\n")


def heldout_bpb(bindir: str, bundle: str, heldout: str, delta: Optional[str]) -> float:
    cmd = [os.path.join(bindir, "yan-perplexity"), bundle, heldout, "--json"]
    if delta:
        cmd += ["--delta", delta]
    return json.loads(run(cmd))["bits_per_byte"]


def ours(args, facts) -> dict:
    delta = os.path.join(args.out, "facts.delta")
    if os.path.exists(delta):
        os.remove(delta)
    before = [continuation(args.bin, args.bundle, h, None) for h, _ in facts]
    losses = []
    for head, tail in facts:
        cmd = [os.path.join(args.bin, "yan-run"), args.bundle, "--learn-text", head + tail,
               "--save-delta", delta, "--threads", "1"]
        if os.path.exists(delta):
            cmd += ["--delta", delta]
        if args.steps:
            cmd += ["--steps", str(args.steps)]
        if args.lr:
            cmd += ["--lr", str(args.lr)]
        if args.learn_partitions:
            cmd += ["--learn-partitions", str(args.learn_partitions)]
        if args.optimizer:
            cmd += ["--optimizer", args.optimizer]
        if args.target_loss:
            cmd += ["--target-loss", str(args.target_loss)]
        out = run(cmd)
        losses.append([float(l.split(":")[1]) for l in out.splitlines()
                       if l.startswith("loss ")] +
                      [int(l.split()[1]) for l in out.splitlines() if l.startswith("learn:")])
    after = [continuation(args.bin, args.bundle, h, delta) for h, _ in facts]
    result = {"before": before, "after": after, "losses": losses,
              "recall_before": sum(remembered(c, t) for c, (_, t) in zip(before, facts)),
              "recall_after": sum(remembered(c, t) for c, (_, t) in zip(after, facts))}
    if args.heldout:
        result["bpb_base"] = heldout_bpb(args.bin, args.bundle, args.heldout, None)
        result["bpb_delta"] = heldout_bpb(args.bin, args.bundle, args.heldout, delta)
    return result


def torch_full_finetune(args, facts, steps: int, lr: float, target: float) -> dict:
    """Every parameter trainable, AdamW (torch defaults but lr), one optimizer
    across the facts, the same samples and stopping rule as --learn-text: the
    sentence's ids from the state after end-of-document, steps until the
    sentence's loss is below `target` (at most `steps`)."""
    import sentencepiece as spm
    import torch
    import torch.nn.functional as F
    from perplexity import bits_per_byte
    from yan_model import YanModel
    torch.set_num_threads(1)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.model_dir, "tokenizer.model"))
    model = YanModel.load(args.model_dir)
    params = [t.requires_grad_(True) for t in model.w.values()]
    optimizer = torch.optim.AdamW(params, lr=lr)
    eos = sp.eos_id()
    steps_taken = []
    for head, tail in facts:
        ids = sp.encode(head + tail)
        context, targets = [eos] + ids[:-1], torch.tensor(ids)
        taken = 0
        while taken < steps:
            logits, _ = model.forward(context)
            loss = F.cross_entropy(logits, targets)
            if loss.item() < target:
                break
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            taken += 1
        steps_taken.append(taken)
    for t in params:
        t.requires_grad_(False)
    after = []
    with torch.no_grad():
        for head, _ in facts:
            ids = [eos] + sp.encode(head)
            logits, state = model.forward(ids)
            out = []
            token = int(torch.argmax(logits[-1]))
            while token != eos and len(out) < MAX_TOKENS:
                out.append(token)
                row, state = model.step(token, state)
                token = int(torch.argmax(row))
            after.append(sp.decode(out))
    result = {"after": after, "steps": steps_taken,
              "recall_after": sum(remembered(c, t) for c, (_, t) in zip(after, facts))}
    if args.heldout:
        with open(args.heldout, encoding="utf-8") as f:
            result["bpb_after"] = bits_per_byte(model, sp, f.read())["bits_per_byte"]
    return result


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bundle")
    ap.add_argument("model_dir")
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--facts", default=os.path.join(HERE, "facts.txt"))
    ap.add_argument("--heldout")
    ap.add_argument("--steps", type=int, default=0, help="0: yan-run's default")
    ap.add_argument("--lr", type=float, default=0.0, help="0: yan-run's default")
    ap.add_argument("--learn-partitions", type=int, default=0)
    ap.add_argument("--optimizer", choices=("sgd", "adamw"), help="default: yan-run's")
    ap.add_argument("--target-loss", type=float, default=0.0, help="0: yan-run's default")
    ap.add_argument("--torch", action="store_true")
    # yan-run --learn-text's defaults (tools/yan-run/Learning.h).
    ap.add_argument("--torch-steps", type=int, default=100)
    ap.add_argument("--torch-lr", type=float, default=1.5e-4)
    ap.add_argument("--torch-target-loss", type=float, default=0.25)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    facts = read_facts(args.facts)
    report = {"facts": facts, "ours": ours(args, facts)}
    o = report["ours"]
    print(f"ours: recall {o['recall_before']}/10 before, {o['recall_after']}/10 after")
    if "bpb_base" in o:
        print(f"ours: held-out bits/byte {o['bpb_base']:.4f} -> {o['bpb_delta']:.4f} "
              f"({100 * (o['bpb_delta'] / o['bpb_base'] - 1):+.2f}%)")
    if args.torch:
        t = torch_full_finetune(args, facts, args.steps or args.torch_steps,
                                args.lr or args.torch_lr,
                                args.target_loss or args.torch_target_loss)
        report["torch_full"] = t
        print(f"torch full fine-tuning: recall {t['recall_after']}/10 after "
              f"(steps per fact {t['steps']})")
        if "bpb_after" in t and "bpb_base" in o:
            print(f"torch full fine-tuning: held-out bits/byte {t['bpb_after']:.4f} "
                  f"({100 * (t['bpb_after'] / o['bpb_base'] - 1):+.2f}%)")
    for (head, tail), b, a in zip(facts, o["before"], o["after"]):
        print(f"  {head!r}: before {b!r} | after {a!r}")
    with open(os.path.join(args.out, "fact-memory.json"), "w") as f:
        json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
