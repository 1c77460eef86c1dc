#!/usr/bin/python3
"""The loss curve of a training run (train.py's training-log.json) as
OUT_DIR/loss-curve.png and OUT_DIR/training-summary.json (for the model card).
OUT_DIR holds the model's tokenizer.model and heldout.txt: their bytes per
token convert nats per token into bits per byte on the right axis.

    model_card_figures.py TRAINING_LOG OUT_DIR
"""

from __future__ import annotations

import argparse
import json
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log")
    ap.add_argument("out_dir")
    args = ap.parse_args()
    with open(args.log) as f:
        log = json.load(f)
    steps = log["steps"]
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.out_dir, "tokenizer.model"))
    with open(os.path.join(args.out_dir, "heldout.txt"), encoding="utf-8") as f:
        heldout = f.read()
    # Every held-out token is scored after the end-of-document start token.
    bpt = len(heldout.encode("utf-8")) / len(sp.encode(heldout))
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    window = 25
    xs = [s["step"] for s in steps]
    ys = [s["loss"] for s in steps]
    smooth = [sum(ys[max(0, i - window + 1):i + 1]) / len(ys[max(0, i - window + 1):i + 1])
              for i in range(len(ys))]
    ax.plot(xs, ys, color="#bbbbbb", linewidth=0.6, label="training batch loss")
    ax.plot(xs, smooth, color="#1f77b4", linewidth=1.5, label=f"training ({window}-step mean)")
    held = [(s["step"], s["heldout_loss"]) for s in steps if "heldout_loss" in s]
    valid = [(s["step"], s["valid_loss"]) for s in steps if "valid_loss" in s]
    if valid:
        ax.plot([v[0] for v in valid], [v[1] for v in valid], "s--", color="#2ca02c",
                label="validation (picks the checkpoint)")
    if held:
        ax.plot([h[0] for h in held], [h[1] for h in held], "o-", color="#d62728",
                label="held-out (never used in training)")
    ax.set_xlabel("step (16 x 128 tokens)")
    ax.set_ylabel("cross-entropy (nats / token)")
    ax.set_title("yan-mini training on Debian fortunes")
    ax.grid(alpha=0.3)
    ax.legend()
    if bpt:
        sec = ax.secondary_yaxis("right", functions=(lambda n: n / math.log(2) / bpt,
                                                     lambda b: b * math.log(2) * bpt))
        sec.set_ylabel("bits / byte")
    fig.tight_layout()
    fig.savefig(os.path.join(args.out_dir, "loss-curve.png"))
    summary = {"steps": len(steps), "seconds": steps[-1]["seconds"],
               "final_train_loss_mean25": smooth[-1], "heldout_bytes_per_token": bpt,
               "heldout_loss": held[-1][1] if held else None,
               "train_tokens": log["train_tokens"], "heldout_tokens": log["heldout_tokens"]}
    with open(os.path.join(args.out_dir, "training-summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
