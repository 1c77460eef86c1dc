"""PyTorch reference (numerical oracle) for the Yan v1 language model.

The equations implemented here are the ones written down in docs/yan-model.md,
which is the single source of truth.  This module provides:

  * YanConfig          -- config.json (load / validate / save)
  * safetensors I/O    -- a small reader (F32/F16/BF16) and writer of our own
  * YanState           -- the recurrent state (h and the last K-1 u vectors)
  * YanModel           -- the model in two forms:
        step(token, state)       per-token recurrent form (== decode)
        forward(tokens, state)   parallel form over a sequence (== prefill)
    Both return the final state; a prefill over N tokens equals N steps.

All computation happens in float32 unless the model is built with
dtype=torch.float64 (used for gradient checks and tight equivalence tests).
"""

from __future__ import annotations

import dataclasses
import json
import os
import struct
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

Tensor = torch.Tensor

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
SHARD_INDEX_FILE = "model.safetensors.index.json"


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------

@dataclasses.dataclass
class YanConfig:
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_channels: int
    slope_window: int
    num_partitions: int
    active_partitions: int
    partition_size: int
    norm_eps: float = 1e-5
    decays: Optional[List[float]] = None   # [C], each in (0, 1)
    slopes: Optional[List[float]] = None   # [C], each >= 0, 1-(K-1)*slope > 0

    # Order in which the integer fields are written to config.json.
    INT_FIELDS = ("vocab_size", "hidden_size", "num_layers", "num_channels",
                  "slope_window", "num_partitions", "active_partitions",
                  "partition_size")

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        for name in self.INT_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.hidden_size % self.num_channels:
            raise ValueError("hidden_size must be a multiple of num_channels")
        if not 1 <= self.active_partitions <= self.num_partitions:
            raise ValueError("need 1 <= active_partitions <= num_partitions")
        if not self.norm_eps > 0:
            raise ValueError("norm_eps must be > 0")
        C, K = self.num_channels, self.slope_window
        if self.decays is not None:
            if len(self.decays) != C or not all(0.0 < d < 1.0 for d in self.decays):
                raise ValueError("decays must be num_channels values in (0, 1)")
        if self.slopes is not None:
            if len(self.slopes) != C or not all(
                    s >= 0.0 and 1.0 - (K - 1) * s > 0.0 for s in self.slopes):
                raise ValueError("slopes must be num_channels values >= 0 "
                                 "with 1 - (slope_window-1)*slope > 0")

    # Derived per-channel parameters, float32 (computed in float64, cast once).
    def decay_values(self) -> np.ndarray:
        C = self.num_channels
        if self.decays is not None:
            return np.array(self.decays, dtype=np.float64).astype(np.float32)
        return np.array([1.0 - 2.0 ** -(5.0 + 5.0 * c / max(C - 1, 1)) for c in range(C)],
                        dtype=np.float64).astype(np.float32)

    def slope_values(self) -> np.ndarray:
        C, K = self.num_channels, self.slope_window
        if self.slopes is not None:
            return np.array(self.slopes, dtype=np.float64).astype(np.float32)
        return np.array([(c + 1) / (C * K) for c in range(C)],
                        dtype=np.float64).astype(np.float32)

    @property
    def channel_size(self) -> int:
        return self.hidden_size // self.num_channels

    def to_dict(self) -> dict:
        d = {"model_type": "yan"}
        for name in self.INT_FIELDS:
            d[name] = getattr(self, name)
        d["norm_eps"] = float(self.norm_eps)
        if self.decays is not None:
            d["decays"] = [float(x) for x in self.decays]
        if self.slopes is not None:
            d["slopes"] = [float(x) for x in self.slopes]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "YanConfig":
        if d.get("model_type") != "yan":
            raise ValueError(f"model_type must be 'yan', got {d.get('model_type')!r}")
        kwargs = {name: d[name] for name in cls.INT_FIELDS}
        kwargs["norm_eps"] = float(d.get("norm_eps", 1e-5))
        for key in ("decays", "slopes"):
            if d.get(key) is not None:
                kwargs[key] = [float(x) for x in d[key]]
        return cls(**kwargs)

    def save(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump(self.to_dict(), f, indent=2)
            f.write("\n")

    @classmethod
    def load(cls, path: str) -> "YanConfig":
        with open(path) as f:
            return cls.from_dict(json.load(f))


def tensor_specs(cfg: YanConfig) -> List[Tuple[str, Tuple[int, ...]]]:
    """All weight tensors, in the canonical (spec / file) order, with shapes."""
    V, D, P, Fs = cfg.vocab_size, cfg.hidden_size, cfg.num_partitions, cfg.partition_size
    specs = [("embed.weight", (V, D))]
    for l in range(cfg.num_layers):
        p = f"layers.{l}."
        specs += [
            (p + "mix_norm.weight", (D,)),
            (p + "mix.u.weight", (D, D)),
            (p + "mix.v.weight", (D, D)),
            (p + "mix.g.weight", (D, D)),
            (p + "mix.o.weight", (D, D)),
            (p + "ffn_norm.weight", (D,)),
            (p + "router.weight", (P, D)),
            (p + "ffn.w1", (P, Fs, D)),
            (p + "ffn.w3", (P, Fs, D)),
            (p + "ffn.w2", (P, D, Fs)),
        ]
    specs += [("final_norm.weight", (D,)), ("lm_head.weight", (V, D))]
    return specs


# --------------------------------------------------------------------------
# safetensors reader / writer (no dependency on the safetensors package)
# --------------------------------------------------------------------------

DTYPE_SIZES = {"F32": 4, "F16": 2, "BF16": 2}


def _decode(raw: np.ndarray, dtype: str) -> np.ndarray:
    """Little-endian bytes (uint8 array) -> float32 array."""
    if dtype == "F32":
        return raw.view("<f4").astype(np.float32)
    if dtype == "F16":
        return raw.view("<f2").astype(np.float32)   # exact widening
    if dtype == "BF16":                               # bf16 = top 16 bits of f32
        return (raw.view("<u2").astype(np.uint32) << np.uint32(16)).view(np.float32)
    raise ValueError(f"unsupported safetensors dtype {dtype}")


def read_safetensors(path: str) -> Tuple[Dict[str, np.ndarray], dict]:
    """Returns ({name: float32 array}, metadata).  Accepts F32, F16, BF16."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * DTYPE_SIZES[info["dtype"]]:
            raise ValueError(f"{name}: data_offsets do not match shape/dtype")
        out[name] = _decode(np.array(data[begin:end]), info["dtype"]).reshape(shape)
    return out, meta


def read_checkpoint_weights(model_dir: str) -> Tuple[Dict[str, np.ndarray], dict]:
    """A model directory's weights: model.safetensors, or the shards a
    Hugging Face index (model.safetensors.index.json) names, read
    independently of the C++ importer (docs/yan-model.md, "Sharded
    checkpoints"; ShardedCheckpoint.cpp checks the same rules)."""
    index_path = os.path.join(model_dir, SHARD_INDEX_FILE)
    if not os.path.exists(index_path):
        return read_safetensors(os.path.join(model_dir, WEIGHTS_FILE))
    with open(index_path, encoding="utf-8") as f:
        weight_map = json.load(f)["weight_map"]
    out, meta = {}, {}
    for shard in sorted(set(weight_map.values())):
        arrays, shard_meta = read_safetensors(os.path.join(model_dir, shard))
        meta = meta or shard_meta
        for name, array in arrays.items():
            if name in out or weight_map.get(name) != shard:
                raise ValueError(f"{shard}: tensor {name} is not the index's or is in two shards")
            out[name] = array
    missing = set(weight_map) - set(out)
    if missing:
        raise ValueError(f"{index_path}: tensors in no shard: {sorted(missing)}")
    return out, meta


def safetensors_header(entries: Sequence[Tuple[str, str, Tuple[int, ...]]],
                       metadata: Optional[dict]) -> bytes:
    """The 8-byte length + JSON header (space padded to a multiple of 8)."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape in entries:
        size = int(np.prod(shape, dtype=np.int64)) * DTYPE_SIZES[dtype]
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text


def encode_f32(values: np.ndarray, dtype: str) -> bytes:
    """float32 values -> little-endian bytes of `dtype` (round to nearest even)."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    if dtype == "F32":
        return values.astype("<f4").tobytes()
    t = torch.from_numpy(values)
    if dtype == "F16":
        return t.to(torch.float16).view(torch.int16).numpy().astype("<i2").tobytes()
    if dtype == "BF16":
        return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(f"unsupported dtype {dtype}")


def write_safetensors(path: str, tensors: Sequence[Tuple[str, np.ndarray]],
                      dtype: str = "F32", metadata: Optional[dict] = None) -> None:
    """Writes float32 arrays (in the given order) as `dtype`."""
    entries = [(name, dtype, tuple(arr.shape)) for name, arr in tensors]
    with open(path, "wb") as f:
        f.write(safetensors_header(entries, metadata))
        for _, arr in tensors:
            f.write(encode_f32(arr, dtype))


# --------------------------------------------------------------------------
# Recurrent state
# --------------------------------------------------------------------------

@dataclasses.dataclass
class YanState:
    """h: [L, D] decay state; u: [L, K-1, D] last K-1 u vectors, oldest first
    (row 0 is u_{t-K+1}, row K-2 is u_{t-1}).  The serialized (flat) layout is,
    layer by layer: h (D floats) then the K-1 u rows ((K-1)*D floats)."""
    h: Tensor
    u: Tensor

    @classmethod
    def fresh(cls, cfg: YanConfig, dtype=torch.float32) -> "YanState":
        L, D, K = cfg.num_layers, cfg.hidden_size, cfg.slope_window
        return cls(torch.zeros(L, D, dtype=dtype), torch.zeros(L, K - 1, D, dtype=dtype))

    def clone(self) -> "YanState":
        return YanState(self.h.clone(), self.u.clone())

    def detach(self) -> "YanState":
        return YanState(self.h.detach(), self.u.detach())

    def flat(self) -> Tensor:
        L = self.h.shape[0]
        return torch.cat([self.h.reshape(L, -1), self.u.reshape(L, -1)], dim=1).reshape(-1)

    @classmethod
    def from_flat(cls, flat: Tensor, cfg: YanConfig) -> "YanState":
        L, D, K = cfg.num_layers, cfg.hidden_size, cfg.slope_window
        rows = flat.reshape(L, K * D)
        return cls(rows[:, :D].clone(), rows[:, D:].reshape(L, K - 1, D).clone())


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------

def rmsnorm(z: Tensor, weight: Tensor, eps: float) -> Tensor:
    """rmsnorm(z) * weight, rmsnorm(z) = z / sqrt(mean(z^2) + eps)."""
    return z / torch.sqrt((z * z).mean(dim=-1, keepdim=True) + eps) * weight


def topk_indices(r: Tensor, k: int) -> Tensor:
    """Indices of the k largest values along the last dim, largest first;
    ties go to the lower index (stable descending sort)."""
    return torch.sort(r.detach(), dim=-1, descending=True, stable=True).indices[..., :k]


# ffn overrides: {(layer, partition): (w1 [F,D], w3 [F,D], w2 [D,F])}
FfnOverrides = Dict[Tuple[int, int], Tuple[Tensor, Tensor, Tensor]]


class YanModel:
    """The Yan v1 model with weights held as tensors of one compute dtype."""

    def __init__(self, cfg: YanConfig, weights: Dict[str, Tensor],
                 dtype: torch.dtype = torch.float32):
        self.cfg = cfg
        self.dtype = dtype
        self.w: Dict[str, Tensor] = {}
        for name, shape in tensor_specs(cfg):
            if name not in weights:
                raise KeyError(f"missing tensor {name}")
            t = torch.as_tensor(weights[name])
            if tuple(t.shape) != shape:
                raise ValueError(f"{name}: shape {tuple(t.shape)} != {shape}")
            self.w[name] = t.to(dtype, copy=True).contiguous()   # never aliases the input
        # Per-feature mixer constants.  Feature i belongs to channel i // (D/C).
        # Derived coefficients are computed in float64 from the float32 decays /
        # slopes and rounded once to the compute dtype.
        G, K = cfg.channel_size, cfg.slope_window
        decay = cfg.decay_values().astype(np.float64)
        slope = cfg.slope_values().astype(np.float64)
        self.decay = torch.tensor(np.repeat(decay, G), dtype=dtype)              # [D]
        self.one_minus_decay = torch.tensor(np.repeat(1.0 - decay, G), dtype=dtype)
        coef = np.array([1.0 - j * slope for j in range(K)])                        # [K, C]
        self.slope_coef = torch.tensor(np.repeat(coef, G, axis=1), dtype=dtype)    # [K, D]

    # ---- construction helpers -------------------------------------------
    @classmethod
    def load(cls, model_dir: str, dtype: torch.dtype = torch.float32) -> "YanModel":
        cfg = YanConfig.load(os.path.join(model_dir, CONFIG_FILE))
        arrays, _ = read_checkpoint_weights(model_dir)
        extra = set(arrays) - {name for name, _ in tensor_specs(cfg)}
        if extra:
            raise ValueError(f"unexpected tensors: {sorted(extra)}")
        return cls(cfg, {k: torch.from_numpy(v) for k, v in arrays.items()}, dtype)

    def to(self, dtype: torch.dtype) -> "YanModel":
        return YanModel(self.cfg, self.w, dtype)

    def fresh_state(self) -> YanState:
        return YanState.fresh(self.cfg, self.dtype)

    def save(self, model_dir: str, dtype: str = "F32") -> None:
        """Writes config.json + model.safetensors (weights rounded to `dtype`)."""
        os.makedirs(model_dir, exist_ok=True)
        self.cfg.save(os.path.join(model_dir, CONFIG_FILE))
        tensors = [(name, self.w[name].detach().to(torch.float32).numpy())
                   for name, _ in tensor_specs(self.cfg)]
        write_safetensors(os.path.join(model_dir, WEIGHTS_FILE), tensors, dtype,
                          {"format": "pt", "generator": "yan-model-gen"})

    def _ffn(self, l: int, p: int, b: Tensor, overrides: Optional[FfnOverrides]) -> Tensor:
        """Partition p of layer l: w2[p](silu(w1[p] b) * (w3[p] b))."""
        if overrides is not None and (l, p) in overrides:
            w1, w3, w2 = overrides[(l, p)]
        else:
            pre = f"layers.{l}.ffn."
            w1, w3, w2 = self.w[pre + "w1"][p], self.w[pre + "w3"][p], self.w[pre + "w2"][p]
        return F.linear(F.silu(F.linear(b, w1)) * F.linear(b, w3), w2)

    # ---- (a) per-token recurrent form ------------------------------------
    def step(self, token: int, state: Optional[YanState] = None,
             overrides: Optional[FfnOverrides] = None) -> Tuple[Tensor, YanState]:
        """One token: returns (logits [V], new state).  `state` is not modified."""
        cfg, w = self.cfg, self.w
        K, k, eps = cfg.slope_window, cfg.active_partitions, cfg.norm_eps
        state = state if state is not None else self.fresh_state()
        new_h, new_u = [], []
        x = w["embed.weight"][int(token)]
        for l in range(cfg.num_layers):
            pre = f"layers.{l}."
            # Mixer.
            a = rmsnorm(x, w[pre + "mix_norm.weight"], eps)
            u = F.linear(a, w[pre + "mix.u.weight"])
            v = F.linear(a, w[pre + "mix.v.weight"])
            q = F.linear(a, w[pre + "mix.g.weight"])
            window = torch.cat([state.u[l], u[None]], dim=0)   # [K, D], row K-1 = u_t
            s = self.slope_coef[0] * window[K - 1]
            for j in range(1, K):
                s = s + self.slope_coef[j] * window[K - 1 - j]
            h = self.decay * state.h[l] + self.one_minus_decay * v
            m = s * h * F.silu(q)
            x = x + F.linear(m, w[pre + "mix.o.weight"])
            new_h.append(h)
            new_u.append(window[1:])
            # Routed FFN.
            b = rmsnorm(x, w[pre + "ffn_norm.weight"], eps)
            r = F.linear(b, w[pre + "router.weight"])
            sel = topk_indices(r, k)
            alpha = torch.softmax(r[sel], dim=-1)
            y = None
            for j in range(k):
                term = alpha[j] * self._ffn(l, int(sel[j]), b, overrides)
                y = term if y is None else y + term
            x = x + y
        logits = F.linear(rmsnorm(x, w["final_norm.weight"], eps), w["lm_head.weight"])
        return logits, YanState(torch.stack(new_h), torch.stack(new_u))

    decode = step

    # ---- (b) parallel form over a sequence -------------------------------
    def _decay_scan(self, v: Tensor, h0: Tensor, chunk: int) -> Tensor:
        """h_t = decay*h_{t-1} + (1-decay)*v_t for all t, in closed form per chunk:
        h_{t0+i} = decay^(i+1) h_{t0-1} + sum_{j<=i} decay^(i-j) (1-decay) v_{t0+j}."""
        N, D = v.shape
        C, G = self.cfg.num_channels, self.cfg.channel_size
        a = self.decay.view(C, G)[:, 0]                       # [C]
        bv = (self.one_minus_decay * v).view(N, C, G)
        out, h = [], h0.view(C, G)
        for t0 in range(0, N, chunk):
            n = min(chunk, N - t0)
            idx = torch.arange(n)
            diff = (idx[:, None] - idx[None, :]).clamp(min=0).to(self.dtype)   # i - j
            lower = (idx[:, None] >= idx[None, :]).to(self.dtype)
            pw = a[:, None, None] ** diff * lower                              # [C, n, n]
            carry = a[:, None] ** (idx.to(self.dtype)[None, :] + 1)            # [C, n]
            hc = torch.einsum("cij,jcg->icg", pw, bv[t0:t0 + n]) \
                + carry.t()[:, :, None] * h[None]
            out.append(hc)
            h = hc[-1]
        return torch.cat(out, dim=0).reshape(N, D)

    def forward(self, tokens: Sequence[int], state: Optional[YanState] = None,
                overrides: Optional[FfnOverrides] = None, return_routing: bool = False,
                chunk: int = 64):
        """Parallel form.  Returns (logits [N, V], final state[, routing]) where
        routing is a list over layers of (sel [N, k] indices, alpha [N, k])."""
        cfg, w = self.cfg, self.w
        K, k, P, eps = cfg.slope_window, cfg.active_partitions, cfg.num_partitions, cfg.norm_eps
        state = state if state is not None else self.fresh_state()
        tok = torch.as_tensor(list(tokens), dtype=torch.long)
        N = tok.numel()
        if N == 0:
            raise ValueError("forward needs at least one token")
        x = w["embed.weight"][tok]                                  # [N, D]
        new_h, new_u, routing = [], [], []
        for l in range(cfg.num_layers):
            pre = f"layers.{l}."
            a = rmsnorm(x, w[pre + "mix_norm.weight"], eps)
            u = F.linear(a, w[pre + "mix.u.weight"])
            v = F.linear(a, w[pre + "mix.v.weight"])
            q = F.linear(a, w[pre + "mix.g.weight"])
            # Slope sum as a causal depthwise filter: shifted sums over the
            # history-extended sequence ue[t + K-1] = u_t, ue[0..K-2] = state.
            ue = torch.cat([state.u[l], u], dim=0)                  # [N+K-1, D]
            s = self.slope_coef[0] * ue[K - 1:]
            for j in range(1, K):
                s = s + self.slope_coef[j] * ue[K - 1 - j:K - 1 - j + N]
            h = self._decay_scan(v, state.h[l], chunk)
            m = s * h * F.silu(q)
            x = x + F.linear(m, w[pre + "mix.o.weight"])
            new_h.append(h[-1])
            new_u.append(ue[N:])                                    # last K-1 rows
            # Routed FFN: group tokens by partition, accumulate per rank slot
            # (slot order = the order step() sums in).
            b = rmsnorm(x, w[pre + "ffn_norm.weight"], eps)
            r = F.linear(b, w[pre + "router.weight"])               # [N, P]
            sel = topk_indices(r, k)                                # [N, k]
            alpha = torch.softmax(torch.gather(r, 1, sel), dim=-1)  # [N, k]
            ys = torch.zeros(k, N, cfg.hidden_size, dtype=x.dtype)
            for p in range(P):
                rows, slots = (sel == p).nonzero(as_tuple=True)
                if rows.numel():
                    yp = alpha[rows, slots, None] * self._ffn(l, p, b[rows], overrides)
                    ys = ys.index_put((slots, rows), yp, accumulate=True)
            y = ys[0]
            for j in range(1, k):
                y = y + ys[j]
            x = x + y
            routing.append((sel, alpha))
        logits = F.linear(rmsnorm(x, w["final_norm.weight"], eps), w["lm_head.weight"])
        final = YanState(torch.stack(new_h), torch.stack(new_u))
        return (logits, final, routing) if return_routing else (logits, final)

    def prefill(self, tokens: Sequence[int], state: Optional[YanState] = None):
        """Parallel prefill: (logits [N, V], state after the last token)."""
        return self.forward(tokens, state)

    def run_steps(self, tokens: Iterable[int], state: Optional[YanState] = None):
        """Recurrent form over a sequence: N calls to step()."""
        rows = []
        for t in tokens:
            logits, state = self.step(t, state)
            rows.append(logits)
        return torch.stack(rows), state
