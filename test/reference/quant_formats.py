"""The quantized weight formats of docs/yan-model.md ("Quantized weight
formats"), in vectorized torch: the oracle the C++ quantizer
(compiler/import/QuantFormats) must match byte for byte.

  quantize(w, fmt)              -> (scales f16 [rows, groups], q int8 [rows, cols])
  dequantize(scales, q)         -> w' f32 [rows, cols]
  pack(scales, q, fmt)          -> bytes of one slab (the storage layout)
  unpack(data, rows, cols, fmt) -> (scales, q)
  quantize_tensor(w, fmt)       -> bytes of a whole tensor ([..., rows, cols])
  dequantize_model(model, fmt, keep) -> the YanModel run on w' (golden.py,
                                        perplexity.py --dequantize)

Every step rounds exactly as the document says: max|w| / QMAX is one float32
division, rounded once more to f16 (nearest even); w / f32(d) is one float32
division, rounded half to even (torch.round).
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Tuple

import torch

GROUP = 32          # elements per group, along a row (the input dimension)
ALIGN = 64          # planes and slabs start at multiples of this many bytes


@dataclasses.dataclass(frozen=True)
class QuantFormat:
    name: str
    qmin: int
    qmax: int
    group_bytes: int    # bytes of one group's q's (a short group is padded)


FORMATS = {"int8": QuantFormat("int8", -127, 127, 32),
           "int4": QuantFormat("int4", -8, 7, 16)}

def is_quantized_weight(name: str) -> bool:
    """Every matrix is quantized; the norm weights (vectors) stay f32."""
    return not name.endswith("norm.weight")


def _format(fmt) -> QuantFormat:
    return fmt if isinstance(fmt, QuantFormat) else FORMATS[fmt]


def _align(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def slab_layout(rows: int, cols: int, fmt) -> Dict[str, int]:
    """Byte offsets of one slab: the q plane at 0 (row r at r * q_row_bytes),
    the scale plane at scale_offset (row r's scales at r * groups * 2)."""
    f = _format(fmt)
    groups = -(-cols // GROUP)
    q_row_bytes = groups * f.group_bytes
    scale_offset = _align(rows * q_row_bytes)
    return {"groups": groups, "q_row_bytes": q_row_bytes, "scale_offset": scale_offset,
            "bytes": _align(scale_offset + rows * groups * 2)}


class QuantError(ValueError):
    pass


def quantize(w: torch.Tensor, fmt, name: str = "tensor") -> Tuple[torch.Tensor, torch.Tensor]:
    """w: float32 [rows, cols] -> (d f16 [rows, groups], q int8 [rows, cols])."""
    f = _format(fmt)
    if w.dtype != torch.float32 or w.dim() != 2:
        raise TypeError("quantize wants a 2-D float32 tensor")
    bad = (~torch.isfinite(w)).nonzero()
    if len(bad):
        r, c = bad[0].tolist()
        raise QuantError(f"{name}[{r}][{c}] is {float(w[r, c])}: "
                         "only finite weights can be quantized")
    rows, cols = w.shape
    groups = -(-cols // GROUP)
    padded = torch.zeros(rows, groups * GROUP, dtype=torch.float32)
    padded[:, :cols] = w
    g = padded.view(rows, groups, GROUP)
    amax = g.abs().amax(dim=-1)                                    # exact
    # One float32 division per group (elementwise, by a tensor), then f16.
    quotient = amax / torch.full_like(amax, float(f.qmax))
    d = quotient.to(torch.float16)
    if bool(torch.isinf(d).any()):
        r, c = torch.isinf(d).nonzero()[0].tolist()
        begin, end = c * GROUP, min(c * GROUP + GROUP, cols)
        raise QuantError(f"{name}[{r}][{begin}:{end}]: the {f.name} scale max|w|/{f.qmax} = "
                         f"{float(quotient[r, c]):g} does not fit in f16")
    df = d.to(torch.float32)
    safe = torch.where(df == 0, torch.ones_like(df), df)
    q = torch.round(g / safe[..., None])                           # half to even
    q = torch.where(df[..., None] == 0, torch.zeros_like(q), q)
    q = q.clamp(f.qmin, f.qmax).to(torch.int8).view(rows, groups * GROUP)[:, :cols]
    return d, q.contiguous()


def dequantize(scales: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """w' = f32(d) * q (exact in float32: 11 by at most 8 significant bits)."""
    cols = q.shape[1]
    if scales.shape != (q.shape[0], -(-cols // GROUP)):
        raise ValueError(f"scales {tuple(scales.shape)} do not fit q {tuple(q.shape)}")
    d = scales.to(torch.float32).repeat_interleave(GROUP, dim=1)[:, :cols]
    return d * q.to(torch.float32)


def _grouped_q(q: torch.Tensor, groups: int) -> torch.Tensor:
    """q padded with zeros to [rows, groups, 32]."""
    rows, cols = q.shape
    out = torch.zeros(rows, groups * GROUP, dtype=torch.int16)
    out[:, :cols] = q.to(torch.int16)
    return out.view(rows, groups, GROUP)


def pack(scales: torch.Tensor, q: torch.Tensor, fmt) -> bytes:
    """One slab: q plane (int8: two's complement bytes; int4: byte j of a
    group = (q[j] + 8) | (q[j + 16] + 8) << 4), zero padding to 64, f16 scale
    plane (little-endian), zero padding to 64."""
    f = _format(fmt)
    rows, cols = q.shape
    lay = slab_layout(rows, cols, f)
    g = _grouped_q(q, lay["groups"])
    if f.name == "int8":
        plane = g.to(torch.int8).view(torch.uint8)
    else:
        u = (g + 8).to(torch.uint8)
        plane = u[..., :16] | (u[..., 16:] << 4)
    out = bytearray(lay["bytes"])
    qbytes = plane.contiguous().numpy().tobytes()
    out[:len(qbytes)] = qbytes
    sbytes = scales.contiguous().view(torch.int16).numpy().astype("<i2").tobytes()
    out[lay["scale_offset"]:lay["scale_offset"] + len(sbytes)] = sbytes
    return bytes(out)


def unpack(data: bytes, rows: int, cols: int, fmt) -> Tuple[torch.Tensor, torch.Tensor]:
    """The inverse of pack (padding ignored)."""
    f = _format(fmt)
    lay = slab_layout(rows, cols, f)
    groups = lay["groups"]
    raw = torch.frombuffer(bytearray(data[:lay["bytes"]]), dtype=torch.uint8)
    plane = raw[:rows * lay["q_row_bytes"]].view(rows, groups, f.group_bytes)
    if f.name == "int8":
        g = plane.view(torch.int8)
    else:
        lo = (plane & 0x0F).to(torch.int16) - 8
        hi = (plane >> 4).to(torch.int16) - 8
        g = torch.cat([lo, hi], dim=-1).to(torch.int8)
    q = g.reshape(rows, groups * GROUP)[:, :cols].contiguous()
    s = lay["scale_offset"]
    scales = raw[s:s + rows * groups * 2].view(torch.float16).view(rows, groups).clone()
    return scales, q


def _slabs(w: torch.Tensor, name: str):
    """(name of the slab, [rows, cols] float32) for a tensor [..., rows, cols];
    a 3-D tensor's slab i (a partition of layers.*.ffn.*) is named NAME[i]."""
    rows, cols = w.shape[-2:]
    for i, slab in enumerate(w.to(torch.float32).reshape(-1, rows, cols)):
        yield (f"{name}[{i}]" if w.dim() > 2 else name), slab.contiguous()


def quantize_tensor(w: torch.Tensor, fmt, name: str = "tensor") -> bytes:
    """A tensor [..., rows, cols] as its slabs back to back (each slab a
    multiple of 64 bytes; for layers.*.ffn.* the slabs are the partitions)."""
    return b"".join(pack(*quantize(slab, fmt, where), fmt) for where, slab in _slabs(w, name))


def roundtrip(w: torch.Tensor, fmt, name: str = "tensor") -> torch.Tensor:
    """w' of a tensor [..., rows, cols]: quantize, then dequantize."""
    slabs = [dequantize(*quantize(slab, fmt, where)) for where, slab in _slabs(w, name)]
    return torch.stack(slabs).reshape(w.shape)


def dequantize_model(model, fmt: str, keep: Dict[str, str] = None):
    """The model with every quantized matrix replaced by its dequantized
    value in `fmt`; `keep` maps a tensor name to another format for it
    ("f32" leaves it as it is)."""
    from yan_model import YanModel  # noqa: E402 (the reference's model)
    keep = keep or {}
    weights = {}
    for name, w in model.w.items():
        own = keep.get(name, fmt)
        if is_quantized_weight(name) and own != "f32":
            w = roundtrip(w, own, name)
        weights[name] = w
    return YanModel(model.cfg, weights, model.dtype)


# yanc --keep-f32's families (compiler/import/ConvertWeights.h says the same).
KEEP_FAMILIES = ("embed", "lm_head", "router", "mix", "ffn")


def in_keep_family(family: str, name: str) -> bool:
    """Whether tensor `name` belongs to --keep-f32 family `family`: embed
    (embed.weight), lm_head (lm_head.weight), router (layers.*.router.weight),
    mix (layers.*.mix.{u,v,g,o}.weight), ffn (layers.*.ffn.{w1,w3,w2})."""
    if family == "embed":
        return name == "embed.weight"
    if family == "lm_head":
        return name == "lm_head.weight"
    if not name.startswith("layers."):
        return False
    rest = name[len("layers."):].partition(".")[2]
    return {"router": rest == "router.weight", "mix": rest.startswith("mix."),
            "ffn": rest.startswith("ffn.")}.get(family, False)


def keep_f32_names(names, text: str) -> List[str]:
    """The tensors of `names` (in their order) that a --keep-f32 LIST selects:
    comma-separated tensor names and families, exactly as yanc --keep-f32; an
    entry naming neither is an error."""
    kept = set()
    for entry in filter(None, (s.strip() for s in (text or "").split(","))):
        family = entry in KEEP_FAMILIES
        hits = [n for n in names if (in_keep_family(entry, n) if family else n == entry)]
        if not hits and not family:
            raise ValueError(f"--keep-f32: '{entry}' is neither a tensor of this model nor one "
                             f"of the families {', '.join(KEEP_FAMILIES)}")
        kept.update(hits)
    return [n for n in names if n in kept]


def add_dequantize_arguments(ap) -> None:
    """--dequantize / --keep-f32 for the reference's command-line tools (the
    spelling of yanc --weights int8|int4 --keep-f32 LIST)."""
    ap.add_argument("--dequantize", choices=sorted(FORMATS),
                    help="run on the weights quantized to this format and dequantized")
    ap.add_argument("--keep-f32", default="", metavar="LIST",
                    help="with --dequantize: tensors left f32, a comma list of tensor names "
                         "and families (" + ", ".join(KEEP_FAMILIES) + "), as yanc --keep-f32")


def apply_dequantize(model, args):
    """The model as --dequantize / --keep-f32 ask (unchanged without them)."""
    if args.keep_f32 and not args.dequantize:
        raise ValueError("--keep-f32 needs --dequantize")
    if not args.dequantize:
        return model
    keep = {n: "f32" for n in keep_f32_names(list(model.w), args.keep_f32)}
    return dequantize_model(model, args.dequantize, keep)
