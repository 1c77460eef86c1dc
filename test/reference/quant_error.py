#!/usr/bin/python3
"""The accuracy cost of the quantized weight formats: held-out bits per byte
of the PyTorch reference on dequantized weights, per choice of formats.

    OPENBLAS_NUM_THREADS=1 quant_error.py [MODEL_DIR] [FILE] [--bytes N] [--json]

MODEL_DIR defaults to models/yan-mini, FILE to its heldout.txt (the whole
file; --bytes N scores only its first N bytes, cut at a character boundary).
Prints a markdown table: variant, bits per byte, change against f32, and the
weight bytes of the variant (f32 norms, the layout of docs/yan-model.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Dict, List, Optional, Tuple

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from perplexity import bits_per_byte  # noqa: E402
from quant_formats import dequantize_model, is_quantized_weight, slab_layout  # noqa: E402
from yan_model import YanModel  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
WIDE = ("embed.weight", "lm_head.weight")

# (label, format of the matrices, formats kept for some tensors)
VARIANTS: List[Tuple[str, str, Dict[str, str]]] = [
    ("f32", "f32", {}),
    ("int8, all matrices", "int8", {}),
    ("int4, all matrices", "int4", {}),
    ("int4, embed + lm_head int8", "int4", {n: "int8" for n in WIDE}),
    ("int4, embed + lm_head f32", "int4", {n: "f32" for n in WIDE}),
]


def weight_bytes(model: YanModel, fmt: str, keep: Dict[str, str]) -> int:
    """Bytes of all weights stored as the variant says (slabs packed)."""
    total = 0
    for name, w in model.w.items():
        own = keep.get(name, fmt)
        if own == "f32" or not is_quantized_weight(name):
            total += 4 * w.numel()
        else:
            slabs = w.numel() // (w.shape[-2] * w.shape[-1])
            total += slabs * slab_layout(w.shape[-2], w.shape[-1], own)["bytes"]
    return total


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir", nargs="?", default=os.path.join(ROOT, "models", "yan-mini"))
    ap.add_argument("file", nargs="?")
    ap.add_argument("--bytes", type=int, help="score only the first N bytes of FILE")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    import sentencepiece as spm
    torch.set_num_threads(1)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.model_dir, "tokenizer.model"))
    with open(args.file or os.path.join(args.model_dir, "heldout.txt"), "rb") as f:
        data = f.read()
    text = data[:args.bytes].decode("utf-8", errors="ignore") if args.bytes else data.decode()
    model = YanModel.load(args.model_dir)
    rows = []
    for label, fmt, keep in VARIANTS:
        variant = model if fmt == "f32" else dequantize_model(model, fmt, keep)
        rows.append({"variant": label, **bits_per_byte(variant, sp, text),
                     "weight_bytes": weight_bytes(model, fmt, keep)})
    base = rows[0]["bits_per_byte"]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{len(text.encode())} bytes, {rows[0]['tokens']} tokens\n")
    print("| variant | bits per byte | vs f32 | weight bytes | vs f32 |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['variant']} | {r['bits_per_byte']:.5f} | "
              f"{100 * (r['bits_per_byte'] / base - 1):+.2f}% | {r['weight_bytes']:,} | "
              f"{r['weight_bytes'] / rows[0]['weight_bytes']:.3f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
