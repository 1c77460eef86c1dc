#!/usr/bin/python3
"""Reference for yan-perplexity: the PyTorch oracle scores a text file.

    perplexity.py MODEL_DIR FILE [--tokenizer T] [--json] [--chunk N]
                  [--dequantize int8|int4 [--keep-f32 LIST]]

Same rules as tools/yan-perplexity: FILE is encoded with the SentencePiece
tokenizer (MODEL_DIR/tokenizer.model by default); the context starts with
the end-of-document id (the begin id without one); the recurrent state
carries across the whole file, fed in chunks; every token is scored.
Prints bits_per_byte (total bits over the file's bytes), perplexity (per
token), nats_per_token, tokens and bytes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Optional, Sequence

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quant_formats import add_dequantize_arguments, apply_dequantize  # noqa: E402
from yan_model import YanModel  # noqa: E402


def score_ids(model: YanModel, context: Sequence[int], chunk: int = 256) -> float:
    """Sum of -log p(context[t+1] | context[..t]) in nats (float64 sums)."""
    state, total = None, 0.0
    with torch.no_grad():
        for begin in range(0, len(context) - 1, chunk):
            n = min(chunk, len(context) - 1 - begin)
            logits, state = model.forward(context[begin:begin + n], state)
            targets = torch.tensor(context[begin + 1:begin + n + 1], dtype=torch.long)
            losses = F.cross_entropy(logits.double(), targets, reduction="none")
            total += float(losses.sum())
    return total


def start_id(sp) -> int:
    return sp.eos_id() if sp.eos_id() >= 0 else sp.bos_id()


def bits_per_byte(model: YanModel, sp, text: str, chunk: int = 256) -> dict:
    ids = sp.encode(text)
    nats = score_ids(model, [start_id(sp)] + ids, chunk)
    size = len(text.encode("utf-8"))
    return {"bits_per_byte": nats / math.log(2) / size,
            "perplexity": math.exp(nats / len(ids)), "nats_per_token": nats / len(ids),
            "tokens": len(ids), "bytes": size}


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("file")
    ap.add_argument("--tokenizer")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--chunk", type=int, default=256)
    add_dequantize_arguments(ap)
    args = ap.parse_args(argv)
    import sentencepiece as spm
    torch.set_num_threads(1)
    sp = spm.SentencePieceProcessor(
        model_file=args.tokenizer or os.path.join(args.model_dir, "tokenizer.model"))
    with open(args.file, "rb") as f:
        text = f.read().decode("utf-8")
    model = apply_dequantize(YanModel.load(args.model_dir), args)
    result = bits_per_byte(model, sp, text, args.chunk)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
