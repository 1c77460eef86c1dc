#!/usr/bin/python3
"""The C++ quantizer (compiler/import/QuantFormats, through the test tool
quantize-tensors) against the PyTorch reference (test/reference/
quant_formats.py): byte-identical storage, identical dequantized values,
identical error messages, in int8 and int4.

    check_quant_matches_reference.py QUANTIZE_TENSORS SOURCE_DIR

Inputs: random matrices of odd shapes made here (tails, fewer columns than
a group, a 3-D tensor, exact ties, subnormal and underflowing scales, the f16
limit of the scale, a tie of the f16 rounding of the scale, NaN, inf), and
models/yan-mini's own weights (F16, widened).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

tool, source = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(source, "test", "reference"))
import quant_formats as qf  # noqa: E402
from yan_model import read_safetensors, write_safetensors  # noqa: E402


def ties(rows: int, qmax: int, step: float) -> np.ndarray:
    """Each row: max|w| = qmax * step (so d = step, a power of two) and
    the other elements at (k + 1/2) * step, exact ties of w / d."""
    gen = np.random.default_rng(qmax)
    k = gen.integers(-qmax, qmax, size=(rows, 40))
    w = (k + 0.5) * step
    w[:, 0] = qmax * step
    w[:, 33] = -qmax * step       # the short group's own max
    return w.astype(np.float32)


def inputs() -> list:
    gen = np.random.default_rng(13)
    normal = lambda *shape: gen.standard_normal(shape).astype(np.float32)
    shapes = [(1, 1), (3, 31), (5, 33), (7, 64), (2, 100), (3, 17, 45), (64, 96), (1, 5)]
    out = [(f"normal.{'x'.join(map(str, s))}", normal(*s) * 0.05) for s in shapes]
    mixed = normal(6, 70) * np.exp(gen.uniform(-30, 10, size=(6, 1))).astype(np.float32)
    out += [("mixed_row_scales", mixed.astype(np.float32)),
            ("subnormal_scales", normal(4, 40) * np.float32([[1e-4], [1e-5], [3e-6], [1e-6]])),
            ("underflowing_scales", normal(4, 40) * 1e-9),
            ("zeros", np.zeros((3, 33), np.float32)),
            ("ties.int8", ties(4, 127, 2.0 ** -4)),
            ("ties.int4", ties(4, 7, 2.0 ** -3))]
    # The f16 rounding of max|w| / QMAX at a tie (1 + 2^-11 -> 1, even).
    tie = normal(2, 32) * 0.1
    tie[:, 7] = np.float32(127 * (1 + 2.0 ** -11))
    tie[1, 7] = np.float32(7 * (1 + 2.0 ** -11))
    out.append(("f16_tie_of_scale", tie.astype(np.float32)))
    # The largest int8 scale (65504 exactly; int4 refuses it), then too large.
    limit = normal(2, 40)
    limit[1, 35] = np.float32(65504.0 * 127)
    out.append(("scale_limit", limit))
    over = normal(3, 40)
    over[2, 3] = np.float32(1e7)
    out.append(("layers.0.mix.o.weight", over))
    over3 = normal(2, 3, 40)
    over3[1, 2, 39] = np.float32(-9e6)
    out.append(("layers.0.ffn.w2", over3))
    for name, value in (("nan", np.nan), ("inf", np.inf), ("-inf", -np.inf)):
        bad = normal(3, 50)
        bad[2, 45] = value
        bad[1, 3] = 1e9               # an overflowing group before it: NaN still wins
        out.append((f"non_finite.{name}", bad))
    return out


def compare(name: str, w: torch.Tensor, fmt: str, out_dir: str) -> list:
    base = os.path.join(out_dir, name)
    try:
        expected = qf.quantize_tensor(w, fmt, name)
    except qf.QuantError as error:
        if not os.path.exists(base + ".error"):
            return [f"{name} ({fmt}): the reference refuses it ({error}), C++ does not"]
        with open(base + ".error") as f:
            message = f.read()
        return [] if message == str(error) else \
            [f"{name} ({fmt}): messages differ:\n  C++: {message}\n  ref: {error}"]
    if not os.path.exists(base + ".q"):
        return [f"{name} ({fmt}): C++ refuses it, the reference does not"]
    failures = []
    with open(base + ".q", "rb") as f:
        got = f.read()
    if got != expected:
        diff = next(i for i in range(min(len(got), len(expected)) + 1)
                    if i >= min(len(got), len(expected)) or got[i] != expected[i])
        failures.append(f"{name} ({fmt}): storage differs ({len(got)} vs {len(expected)} "
                        f"bytes, first difference at byte {diff})")
    deq = qf.roundtrip(w, fmt, name).numpy().astype("<f4").tobytes()
    with open(base + ".f32", "rb") as f:
        if f.read() != deq:
            failures.append(f"{name} ({fmt}): dequantized values differ")
    return failures


def main() -> int:
    torch.set_num_threads(1)
    failures, checked, disagreeing = [], 0, 0
    with tempfile.TemporaryDirectory() as work:
        made = os.path.join(work, "inputs.safetensors")
        write_safetensors(made, inputs())
        mini = os.path.join(source, "models", "yan-mini", "model.safetensors")
        for index, path in enumerate((made, mini)):
            tensors, _ = read_safetensors(path)
            for fmt in sorted(qf.FORMATS):
                out_dir = os.path.join(work, f"{index}.{fmt}")
                os.makedirs(out_dir)
                subprocess.run([tool, fmt, path, out_dir], check=True)
                for name, array in tensors.items():
                    if array.ndim >= 2:
                        found = compare(name, torch.from_numpy(array.copy()), fmt, out_dir)
                        failures += found
                        disagreeing += bool(found)
                        checked += 1
    for failure in failures:
        print("FAIL:", failure)
    print(f"{checked - disagreeing} of {checked} tensor/format pairs agree")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
