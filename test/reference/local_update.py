#!/usr/bin/python3
"""Reference for the Yan "local update" (docs/yan-model.md, "Local update").

For a sample x_0..x_{N-1} (N >= 2) from a given state:
  loss = mean_{t=0..N-2} cross_entropy(logits_t, x_{t+1})
Routing choices S_t are constants; gradients flow through alpha = softmax(r[S]).
In each layer the m partitions with the largest total routing weight
sum_t alpha_t[p] are trainable (ties: lower index; zero weight: never); only
their w1/w3/w2 change, via torch.optim.SGD or torch.optim.AdamW (one
parameter tensor per partition and matrix, so optimizer state, including the
AdamW step count, is per partition), with optional global clip_grad_norm_.

CLI:
  local_update.py MODEL_DIR --tokens 1,2,3,... [--tokens ...] --out PREFIX
      [--optimizer sgd|adamw] [--lr X] [--momentum X] [--beta1 X] [--beta2 X]
      [--eps X] [--weight-decay X] [--clip X] [--learn-partitions M]
      [--steps S] [--state FILE] [--save-model DIR]
      [--dequantize int8|int4 [--keep-f32 LIST]]
--dequantize trains the model whose matrices are quantized and dequantized
(what an int8/int4 bundle computes with: its trained partitions start from
their dequantized values, docs/learning.md); the final w1/w3/w2 written are
then the dequantized ones for every partition left untrained.
Update s uses sample s mod (number of --tokens), each evaluated from the same
start state: fresh, or --state (raw float32 flat state as golden.py writes).
Writes PREFIX.json (losses, chosen partitions, grad norms, routed pairs) and
PREFIX.safetensors (every update's pre-clip gradients of its chosen
partitions, and the final w1/w3/w2 of every partition a step trained; the
naming is in docs/yan-model.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quant_formats import add_dequantize_arguments, apply_dequantize  # noqa: E402
from yan_model import FfnOverrides, YanModel, YanState, write_safetensors  # noqa: E402

Tensor = torch.Tensor
Key = Tuple[int, int]   # (layer, partition)


@dataclasses.dataclass
class OptimConfig:
    name: str = "sgd"            # "sgd" or "adamw"
    lr: float = 1e-2
    momentum: float = 0.0        # SGD
    beta1: float = 0.9           # AdamW
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 1e-2   # AdamW (decoupled)
    clip: Optional[float] = None  # max global L2 norm of the trainable grads


def local_loss(model: YanModel, tokens: Sequence[int], state: Optional[YanState] = None,
               overrides: Optional[FfnOverrides] = None):
    """(loss, routing) for a sample; the forward runs over tokens[:-1]."""
    tokens = list(tokens)
    if len(tokens) < 2:
        raise ValueError("a local-update sample needs at least 2 tokens")
    logits, _, routing = model.forward(tokens[:-1], state, overrides, return_routing=True)
    loss = F.cross_entropy(logits, torch.tensor(tokens[1:], dtype=torch.long))
    return loss, routing


def routing_totals(routing, num_partitions: int) -> Tensor:
    """[L, P] total routing weight sum_t alpha_t[p] (detached, float64)."""
    rows = []
    for sel, alpha in routing:
        tot = torch.zeros(num_partitions, dtype=torch.float64)
        rows.append(tot.index_add(0, sel.reshape(-1), alpha.detach().reshape(-1).double()))
    return torch.stack(rows)


def routed_pairs(routing, chosen: List[List[int]]) -> int:
    """(position, chosen partition) pairs over all layers: for each chosen
    partition, the positions that picked it (one per pick): the rank of its
    weight gradients."""
    return sum(int((sel == p).sum()) for (sel, _), ps in zip(routing, chosen) for p in ps)


def choose_partitions(totals: Tensor, m: int) -> List[List[int]]:
    """Per layer: the m partitions of largest total weight (ties: lower index),
    never one with zero weight.  Returned in ascending index order."""
    chosen = []
    for row in totals:
        order = torch.sort(row, descending=True, stable=True).indices.tolist()
        chosen.append(sorted(p for p in order[:m] if row[p] > 0))
    return chosen


@dataclasses.dataclass
class UpdateResult:
    loss: float                      # loss before the step
    chosen: List[List[int]]          # trainable partitions per layer
    grads: Dict[Key, Tuple[Tensor, Tensor, Tensor]]   # pre-clip (g1, g3, g2)
    grad_norm: float                 # global L2 norm of the pre-clip grads
    routed_pairs: int                # routed_pairs(routing, chosen)


class LocalTrainer:
    """Holds the trainable copies of all FFN partitions and one torch optimizer.
    The model's weights are updated in place after every step."""

    def __init__(self, model: YanModel, opt: OptimConfig, learn_partitions: Optional[int] = None):
        cfg = model.cfg
        self.model, self.opt = model, opt
        self.m = cfg.active_partitions if learn_partitions is None else learn_partitions
        if not 1 <= self.m <= cfg.num_partitions:
            raise ValueError("need 1 <= learn_partitions <= num_partitions")
        self.params: Dict[Key, Tuple[Tensor, Tensor, Tensor]] = {}
        for l in range(cfg.num_layers):
            pre = f"layers.{l}.ffn."
            for p in range(cfg.num_partitions):
                self.params[(l, p)] = tuple(
                    model.w[pre + n][p].detach().clone().requires_grad_(True)
                    for n in ("w1", "w3", "w2"))
        flat = [t for key in sorted(self.params) for t in self.params[key]]
        if opt.name == "sgd":
            self.optimizer = torch.optim.SGD(flat, lr=opt.lr, momentum=opt.momentum)
        elif opt.name == "adamw":
            self.optimizer = torch.optim.AdamW(flat, lr=opt.lr, betas=(opt.beta1, opt.beta2),
                                               eps=opt.eps, weight_decay=opt.weight_decay)
        else:
            raise ValueError(f"unknown optimizer {opt.name!r}")

    def update(self, tokens: Sequence[int], state: Optional[YanState] = None) -> UpdateResult:
        cfg = self.model.cfg
        loss, routing = local_loss(self.model, tokens, state, self.params)
        chosen = choose_partitions(routing_totals(routing, cfg.num_partitions), self.m)
        keys = [(l, p) for l in range(cfg.num_layers) for p in chosen[l]]
        trainable = [t for key in keys for t in self.params[key]]
        grads = torch.autograd.grad(loss, trainable)
        for t in self.optimizer.param_groups[0]["params"]:
            t.grad = None                      # non-chosen partitions: skipped
        for t, g in zip(trainable, grads):
            t.grad = g.clone()
        grad_norm = torch.norm(torch.stack([torch.norm(g) for g in grads])).item()
        if self.opt.clip is not None:
            torch.nn.utils.clip_grad_norm_(trainable, self.opt.clip)
        self.optimizer.step()
        with torch.no_grad():                  # write back into the model
            for (l, p) in keys:
                pre = f"layers.{l}.ffn."
                for n, t in zip(("w1", "w3", "w2"), self.params[(l, p)]):
                    self.model.w[pre + n][p].copy_(t)
        result_grads = {key: tuple(grads[3 * i:3 * i + 3]) for i, key in enumerate(keys)}
        return UpdateResult(loss.item(), chosen, result_grads, grad_norm,
                            routed_pairs(routing, chosen))


def make_loss_fn(model: YanModel, tokens: Sequence[int], keys: Sequence[Key],
                 state: Optional[YanState] = None):
    """f(w1, w3, w2, w1, w3, w2, ...) -> loss with the partitions `keys`
    replaced by the arguments (for gradcheck / finite differences)."""
    def f(*flat):
        overrides = {key: tuple(flat[3 * i:3 * i + 3]) for i, key in enumerate(keys)}
        return local_loss(model, tokens, state, overrides)[0]
    return f


def _tokens(text: str) -> List[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--tokens", type=_tokens, action="append", required=True)
    ap.add_argument("--out", required=True, help="output prefix")
    ap.add_argument("--optimizer", choices=("sgd", "adamw"), default="sgd")
    d = OptimConfig()
    for name in ("lr", "momentum", "beta1", "beta2", "eps", "weight_decay"):
        ap.add_argument("--" + name.replace("_", "-"), type=float, default=getattr(d, name))
    ap.add_argument("--clip", type=float, default=None)
    ap.add_argument("--learn-partitions", type=int, default=None)
    ap.add_argument("--steps", type=int, default=1)
    ap.add_argument("--state", default=None, help="start state (raw float32, flat layout)")
    ap.add_argument("--save-model", default=None, help="write the updated model here")
    add_dequantize_arguments(ap)
    args = ap.parse_args(argv)

    model = apply_dequantize(YanModel.load(args.model_dir), args)
    state = None
    if args.state:
        flat = torch.from_numpy(np.fromfile(args.state, dtype="<f4").astype(np.float32))
        state = YanState.from_flat(flat, model.cfg)
    opt = OptimConfig(args.optimizer, args.lr, args.momentum, args.beta1, args.beta2,
                      args.eps, args.weight_decay, args.clip)
    trainer = LocalTrainer(model, opt, args.learn_partitions)
    cfg = model.cfg
    updates, tensors = [], []
    for s in range(args.steps):
        sample = args.tokens[s % len(args.tokens)]
        res = trainer.update(sample, state)
        updates.append({"tokens": sample, "loss": res.loss, "grad_norm": res.grad_norm,
                        "chosen": res.chosen, "routed_pairs": res.routed_pairs})
        # Only the chosen partitions: a full [P, ...] tensor per step would
        # be mostly zeros (1.6 GB for the small preset's single step).
        for (l, p), g in sorted(res.grads.items()):
            for i, n in enumerate(("w1", "w3", "w2")):
                tensors.append((f"update.{s}.grad.layers.{l}.ffn.{n}.{p}",
                            g[i].detach().numpy()))
    # The final weights of every partition some step trained; the others are
    # the model's own, unchanged.
    trained = sorted({(l, p) for u in updates for l, ps in enumerate(u["chosen"]) for p in ps})
    for l, p in trained:
        for n in ("w1", "w3", "w2"):
            tensors.append((f"layers.{l}.ffn.{n}.{p}",
                            model.w[f"layers.{l}.ffn.{n}"][p].detach().numpy()))
    write_safetensors(args.out + ".safetensors", tensors, "F32",
                      {"format": "pt", "generator": "yan-local-update"})
    report = {"format": "yan-local-update-v2", "model": args.model_dir, "state": args.state,
              "optimizer": dataclasses.asdict(opt),
              "learn_partitions": trainer.m, "updates": updates,
              "tensors": os.path.basename(args.out) + ".safetensors"}
    with open(args.out + ".json", "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    if args.save_model:
        model.save(args.save_model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
