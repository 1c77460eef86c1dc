#!/usr/bin/python3
"""Golden logits for a Yan model: parallel prefill of a prompt, then M greedy
decode steps with the recurrent form.

  golden.py MODEL_DIR --prompt 1,2,3 [--steps M] --logits OUT.f32 [--json OUT.json]
  golden.py MODEL_DIR --prompt 1,2,3 [--steps M] --test-vectors PREFIX

Logits file: raw little-endian float32, one row of vocab_size values per
evaluated position: each prompt position, then each generated (fed) token;
rows = len(prompt) + M.  Greedy = argmax, ties to the lowest token id.

JSON ("yan-golden-v1"): config, prompt, generated (the M tokens fed to
decode), next_token (argmax of the last row), tokens (the input token of each
logits row), logits (file name, relative to the JSON) and logits_shape.
--test-vectors PREFIX writes PREFIX.json, PREFIX.logits.f32 and additionally
PREFIX.prefill_state.f32 / PREFIX.final_state.f32: the state after the prompt
and after the last decode step, float32 in the flat layout (per layer: h[D],
then u rows oldest first [(K-1)*D]), referenced by the JSON keys
"prefill_state" / "final_state" with "state_shape" [L, K*D].
--dequantize int8|int4 [--keep-f32 LIST] runs the model on its weights
quantized and dequantized (docs/yan-model.md, "Quantized weight formats").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import List, Optional, Sequence

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quant_formats import add_dequantize_arguments, apply_dequantize  # noqa: E402
from yan_model import YanModel  # noqa: E402


def run_golden(model: YanModel, prompt: Sequence[int], steps: int) -> dict:
    """Returns dict with logits [rows, V] (float32 numpy), generated tokens,
    next_token, and the prefill / final states (YanState)."""
    if not prompt:
        raise ValueError("empty prompt")
    with torch.no_grad():
        logits, state = model.prefill(list(prompt))
        prefill_state = state.clone()
        rows = [logits]
        generated: List[int] = []
        nxt = int(np.argmax(logits[-1].numpy()))       # first maximum
        for _ in range(steps):
            generated.append(nxt)
            row, state = model.decode(nxt, state)
            rows.append(row[None])
            nxt = int(np.argmax(row.numpy()))
    return {"logits": torch.cat(rows).to(torch.float32).numpy(), "generated": generated,
            "next_token": nxt, "prefill_state": prefill_state, "final_state": state}


def write_f32(path: str, array) -> None:
    np.ascontiguousarray(array, dtype="<f4").tofile(path)


def describe(model: YanModel, prompt, res: dict, logits_name: str) -> dict:
    return {"format": "yan-golden-v1", "config": model.cfg.to_dict(),
            "prompt": list(prompt), "generated": res["generated"],
            "next_token": res["next_token"], "tokens": list(prompt) + res["generated"],
            "logits": logits_name, "logits_shape": list(res["logits"].shape)}


def _tokens(text: str) -> List[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--prompt", type=_tokens, required=True, help="comma separated token ids")
    ap.add_argument("--steps", type=int, default=0, help="greedy decode steps M")
    ap.add_argument("--logits", help="raw float32 logits output")
    ap.add_argument("--json", help="JSON output (default: stdout)")
    ap.add_argument("--test-vectors", metavar="PREFIX", help="write a test-vector set")
    add_dequantize_arguments(ap)
    args = ap.parse_args(argv)
    if not args.logits and not args.test_vectors:
        ap.error("need --logits or --test-vectors")

    model = apply_dequantize(YanModel.load(args.model_dir), args)
    V = model.cfg.vocab_size
    if any(not 0 <= t < V for t in args.prompt):
        ap.error(f"prompt tokens must be in [0, {V})")
    res = run_golden(model, args.prompt, args.steps)

    if args.logits:
        write_f32(args.logits, res["logits"])
        doc = describe(model, args.prompt, res, os.path.basename(args.logits))
        text = json.dumps(doc, indent=2) + "\n"
        if args.json:
            with open(args.json, "w") as f:
                f.write(text)
        else:
            sys.stdout.write(text)
    if args.test_vectors:
        prefix = args.test_vectors
        base = os.path.basename(prefix)
        os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
        write_f32(prefix + ".logits.f32", res["logits"])
        write_f32(prefix + ".prefill_state.f32", res["prefill_state"].flat().to(torch.float32))
        write_f32(prefix + ".final_state.f32", res["final_state"].flat().to(torch.float32))
        doc = describe(model, args.prompt, res, base + ".logits.f32")
        cfg = model.cfg
        doc.update({"prefill_state": base + ".prefill_state.f32",
                    "final_state": base + ".final_state.f32",
                    "state_shape": [cfg.num_layers, cfg.slope_window * cfg.hidden_size]})
        with open(prefix + ".json", "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
