#!/usr/bin/python3
"""Deterministic random Yan model generator (byte-reproducible; see
docs/yan-model.md, "Deterministic random-model generator").

    gen_model.py OUT_DIR --preset tiny|small [--seed S] [--dtype f32|f16|bf16]
                 [--vocab-size N] [--hidden-size N] ... [--decays a,b,..]

Writes OUT_DIR/config.json and OUT_DIR/model.safetensors.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Iterator, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yan_model import (CONFIG_FILE, WEIGHTS_FILE, YanConfig, encode_f32,  # noqa: E402
                       safetensors_header, tensor_specs)

PRESETS = {
    "tiny": dict(vocab_size=256, hidden_size=64, num_layers=2, num_channels=4,
                 slope_window=4, num_partitions=8, active_partitions=2, partition_size=32),
    "small": dict(vocab_size=4096, hidden_size=512, num_layers=8, num_channels=8,
                  slope_window=4, num_partitions=32, active_partitions=4, partition_size=512),
    # The seeds' size: ~3.0B parameters, ~12% read per token (yan-model-gen
    # writes it far faster; this generator gives the same bytes).
    "3b": dict(vocab_size=32000, hidden_size=1536, num_layers=24, num_channels=16,
               slope_window=4, num_partitions=64, active_partitions=2, partition_size=384),
}
METADATA = {"format": "pt", "generator": "yan-model-gen"}
DTYPES = {"f32": "F32", "f16": "F16", "bf16": "BF16"}

MASK64 = (1 << 64) - 1
U64 = np.uint64
CHUNK = 1 << 16   # elements per numpy batch (cache friendly, bounded memory)


# ---- scalar reference versions (plain Python ints; used by the tests) ----

def fnv1a64(data: bytes) -> int:
    h = 0xcbf29ce484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001b3) & MASK64
    return h


def splitmix64(x: int) -> int:
    z = (x + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def tensor_key(name: str, seed: int) -> int:
    return fnv1a64(name.encode("utf-8")) ^ splitmix64(seed & MASK64)


def uniform_scalar(name: str, seed: int, i: int) -> np.float32:
    """u for element i of tensor `name` (exact, in [-1, 1))."""
    bits = splitmix64((tensor_key(name, seed) + i) & MASK64) >> 40
    return np.float32(bits) / np.float32(2 ** 23) - np.float32(1.0)


# ---- vectorised generator -------------------------------------------------

def _splitmix64_np(x: np.ndarray) -> np.ndarray:
    """splitmix64 on a uint64 array (numpy uint64 arithmetic wraps mod 2^64)."""
    z = x + U64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> U64(30))) * U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> U64(27))) * U64(0x94D049BB133111EB)
    return z ^ (z >> U64(31))


def is_norm(name: str) -> bool:
    return name.endswith("_norm.weight")   # layers.*.{mix,ffn}_norm, final_norm


def tensor_scale(name: str, shape) -> np.float32:
    """Scale for non-norm tensors: 1.0 for embed, else float32(1/sqrt(fan_in))."""
    if name == "embed.weight":
        return np.float32(1.0)
    return np.float32(1.0 / math.sqrt(shape[-1]))   # fan_in = last dimension


def generate_chunks(name: str, shape, seed: int) -> Iterator[np.ndarray]:
    """Yields the float32 values of tensor `name`, flat row-major, in chunks."""
    n = int(np.prod(shape))
    key = U64(tensor_key(name, seed))
    norm = is_norm(name)
    scale = tensor_scale(name, shape)
    with np.errstate(over="ignore"):
        for start in range(0, n, CHUNK):
            i = np.arange(start, min(n, start + CHUNK), dtype=np.uint64)
            bits = _splitmix64_np(key + i) >> U64(40)
            u = bits.astype(np.float32) / np.float32(2 ** 23) - np.float32(1.0)
            if norm:
                yield np.float32(1.0) + u * np.float32(0.125)
            else:
                yield u * scale


def generate_tensor(name: str, shape, seed: int) -> np.ndarray:
    return np.concatenate(list(generate_chunks(name, shape, seed))).reshape(shape)


def write_model(out_dir: str, cfg: YanConfig, seed: int = 0, dtype: str = "f32") -> None:
    """Writes config.json and model.safetensors (streamed, bounded memory)."""
    st_dtype = DTYPES[dtype]
    os.makedirs(out_dir, exist_ok=True)
    cfg.save(os.path.join(out_dir, CONFIG_FILE))
    specs = tensor_specs(cfg)
    with open(os.path.join(out_dir, WEIGHTS_FILE), "wb") as f:
        f.write(safetensors_header([(n, st_dtype, s) for n, s in specs], METADATA))
        for name, shape in specs:
            for chunk in generate_chunks(name, shape, seed):
                f.write(encode_f32(chunk, st_dtype))


def make_config(preset: str = "tiny", **overrides) -> YanConfig:
    fields = dict(PRESETS[preset])
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return YanConfig(**fields)


def _floats(text: str):
    return [float(x) for x in text.split(",")]


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    ap.add_argument("--seed", type=int, default=0, help="uint64 seed (default 0)")
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="f32")
    for name in YanConfig.INT_FIELDS:
        ap.add_argument("--" + name.replace("_", "-"), type=int, dest=name)
    ap.add_argument("--norm-eps", type=float, dest="norm_eps")
    ap.add_argument("--decays", type=_floats, help="comma separated, one per channel")
    ap.add_argument("--slopes", type=_floats, help="comma separated, one per channel")
    args = ap.parse_args(argv)
    if not 0 <= args.seed <= (1 << 64) - 1:
        ap.error("--seed must fit in uint64")
    fields = YanConfig.INT_FIELDS + ("norm_eps", "decays", "slopes")
    overrides = {k: getattr(args, k) for k in fields}
    try:
        cfg = make_config(args.preset, **overrides)
    except ValueError as e:
        ap.error(str(e))
    write_model(args.out_dir, cfg, args.seed, args.dtype)
    return 0


if __name__ == "__main__":
    sys.exit(main())
