#!/usr/bin/python3
"""Trains a Yan model on a text corpus (the recipe of models/yan-mini).

The network is the model of docs/yan-model.md in its parallel form, batched:
the same equations as yan_model.YanModel.forward (tests check the two agree),
written for training (a batch of windows, each from a fresh state; autograd).
Routing is top-k as in the model; gradients reach the router through alpha =
softmax(r[S]), and a Switch-style load-balancing term (coefficient
--balance) keeps all partitions in use. AdamW, linear warm-up then cosine
decay, fixed seed, one thread count: the run is deterministic.

    train.py CORPUS_DIR TOKENIZER OUT_DIR [--steps N] [--threads T] ...

CORPUS_DIR is text_corpus.py's output. Writes OUT_DIR/config.json,
model.safetensors (--dtype; the weights of the evaluation with the lowest
validation loss) and training-log.json (loss curve, validation and held-out
losses, the step kept). One process uses one core well: torch's threads on
top of OpenBLAS's were 3x slower on 2 cores, so use OPENBLAS_NUM_THREADS=1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from typing import Dict, List

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from text_corpus import read_train_documents  # noqa: E402
from yan_model import YanConfig, YanModel, tensor_specs  # noqa: E402

Tensor = torch.Tensor

# yan-mini's shape: 16 partitions, 4 active (1/4 of the FFN weights a token).
# Decays span time constants of 2..256 tokens (the defaults start at 32,
# which leaves a language model no short memory).
MINI = dict(vocab_size=4096, hidden_size=256, num_layers=4, num_channels=8,
            slope_window=4, num_partitions=16, active_partitions=4, partition_size=128,
            decays=[1.0 - 2.0 ** -(1 + c) for c in range(8)])


def rmsnorm(z: Tensor, weight: Tensor, eps: float) -> Tensor:
    return z * torch.rsqrt((z * z).mean(dim=-1, keepdim=True) + eps) * weight


class Trainer(torch.nn.Module):
    """Parameters named as in the checkpoint; forward over [B, T] windows."""

    def __init__(self, cfg: YanConfig, seed: int):
        super().__init__()
        self.cfg = cfg
        gen = torch.Generator().manual_seed(seed)
        self.names = [name for name, _ in tensor_specs(cfg)]
        self.params = torch.nn.ParameterList()
        D, L = cfg.hidden_size, cfg.num_layers
        for name, shape in tensor_specs(cfg):
            if name.endswith("norm.weight"):
                t = torch.ones(shape)
            elif name == "embed.weight":
                t = torch.randn(shape, generator=gen)
            else:
                fan_in = shape[-1]
                std = fan_in ** -0.5
                if name.endswith("mix.o.weight") or name.endswith("ffn.w2"):
                    std /= math.sqrt(2 * L)
                t = torch.randn(shape, generator=gen) * std
            self.params.append(torch.nn.Parameter(t))
        ref = YanModel(cfg, {n: p.detach() for n, p in zip(self.names, self.params)})
        self.decay = ref.decay.view(cfg.num_channels, -1)[:, 0].clone()      # [C]
        self.one_minus_decay = ref.one_minus_decay.clone()                   # [D]
        self.slope_coef = ref.slope_coef.clone()                             # [K, D]

    def w(self, name: str) -> Tensor:
        return self.params[self.names.index(name)]

    def weights(self) -> Dict[str, Tensor]:
        return {n: p.detach().clone() for n, p in zip(self.names, self.params)}

    def _decay_kernel(self, T: int) -> Tensor:
        idx = torch.arange(T)
        diff = (idx[:, None] - idx[None, :]).clamp(min=0).float()
        lower = (idx[:, None] >= idx[None, :]).float()
        return self.decay[:, None, None] ** diff * lower                        # [C, T, T]

    def forward(self, tokens: Tensor, targets: Tensor, balance: float, dropout: float = 0.0):
        """(cross-entropy, training loss). `dropout` (training only; the
        model's equations have none) drops embedding and branch outputs."""
        cfg = self.cfg
        B, T = tokens.shape
        D, C, K, P, k = (cfg.hidden_size, cfg.num_channels, cfg.slope_window,
                         cfg.num_partitions, cfg.active_partitions)
        eps = cfg.norm_eps
        kernel = self._decay_kernel(T)
        drop = lambda t: F.dropout(t, dropout, training=dropout > 0)  # noqa: E731
        x = drop(F.embedding(tokens, self.w("embed.weight")))                 # [B, T, D]
        aux = x.new_zeros(())
        for l in range(cfg.num_layers):
            pre = f"layers.{l}."
            a = rmsnorm(x, self.w(pre + "mix_norm.weight"), eps)
            u = F.linear(a, self.w(pre + "mix.u.weight"))
            v = F.linear(a, self.w(pre + "mix.v.weight"))
            q = F.linear(a, self.w(pre + "mix.g.weight"))
            s = self.slope_coef[0] * u
            for j in range(1, K):
                s = s + self.slope_coef[j] * F.pad(u, (0, 0, j, 0))[:, :T]
            bv = (self.one_minus_decay * v).view(B, T, C, D // C)
            h = torch.einsum("cij,bjcg->bicg", kernel, bv).reshape(B, T, D)
            x = x + drop(F.linear(s * h * F.silu(q), self.w(pre + "mix.o.weight")))
            b = rmsnorm(x, self.w(pre + "ffn_norm.weight"), eps).reshape(B * T, D)
            r = F.linear(b, self.w(pre + "router.weight"))                    # [BT, P]
            sel = torch.topk(r.detach(), k, dim=-1).indices                    # [BT, k]
            alpha = torch.softmax(torch.gather(r, 1, sel), dim=-1)
            # unbind: each partition's weight gradient is one slice of one
            # stacked gradient (indexing w1[p] would add P full-size zeros).
            w1, w3, w2 = (self.w(pre + "ffn.w1").unbind(0), self.w(pre + "ffn.w3").unbind(0),
                          self.w(pre + "ffn.w2").unbind(0))
            all_rows, all_out = [], []
            for p in range(P):
                rows, slots = (sel == p).nonzero(as_tuple=True)
                if rows.numel() == 0:
                    continue
                bp = b[rows]
                yp = F.linear(F.silu(F.linear(bp, w1[p])) * F.linear(bp, w3[p]), w2[p])
                all_rows.append(rows)
                all_out.append(alpha[rows, slots, None] * yp)
            y = torch.zeros_like(b).index_add(0, torch.cat(all_rows), torch.cat(all_out))
            x = x + drop(y.view(B, T, D))
            # Switch-transformer balance: P * sum_p (share of picks) * (mean prob).
            picks = torch.zeros(P).index_add_(0, sel.reshape(-1),
                                              torch.ones(sel.numel())) / sel.numel()
            aux = aux + P * (picks * torch.softmax(r, dim=-1).mean(0)).sum()
        logits = F.linear(rmsnorm(x, self.w("final_norm.weight"), eps),
                          self.w("lm_head.weight"))
        ce = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(-1))
        return ce, ce + balance * aux / cfg.num_layers


def token_stream(docs: List[str], sp, eos: int) -> np.ndarray:
    """Every document's tokens followed by end-of-document, in corpus order."""
    out: List[int] = []
    for ids in sp.encode(docs):
        out.extend(ids)
        out.append(eos)
    return np.array(out, dtype=np.int64)


def lr_at(step: int, steps: int, peak: float, warmup: int, floor: float) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, steps - warmup)
    return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * t))


@torch.no_grad()
def heldout_loss(model: Trainer, stream: np.ndarray, T: int) -> float:
    n = (len(stream) - 1) // T
    total, count = 0.0, 0
    for i in range(0, n, 16):
        idx = np.arange(i, min(n, i + 16))[:, None] * T + np.arange(T)[None, :]
        ce, _ = model(torch.from_numpy(stream[idx]), torch.from_numpy(stream[idx + 1]), 0.0)
        total += ce.item() * idx.size
        count += idx.size
    return total / count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus_dir")
    ap.add_argument("tokenizer")
    ap.add_argument("out_dir")
    ap.add_argument("--steps", type=int, default=1600)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--balance", type=float, default=0.01)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f16")
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--time-steps", type=int, default=0,
                    help="only time this many steps and exit (sizing)")
    args = ap.parse_args()

    import sentencepiece as spm
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    sp = spm.SentencePieceProcessor(model_file=args.tokenizer)
    cfg = YanConfig(**{**MINI, "vocab_size": sp.get_piece_size()})
    train = token_stream(read_train_documents(os.path.join(args.corpus_dir, "train.txt")),
                         sp, sp.eos_id())
    valid = token_stream(read_train_documents(os.path.join(args.corpus_dir, "valid.txt")),
                         sp, sp.eos_id())
    with open(os.path.join(args.corpus_dir, "heldout.txt"), encoding="utf-8") as f:
        held = np.array(sp.encode(f.read()), dtype=np.int64)
    model = Trainer(cfg, args.seed)
    decay, no_decay = [], []
    for name, p in zip(model.names, model.params):
        (no_decay if p.dim() == 1 else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    rng = np.random.default_rng(args.seed)
    T, B = args.seq, args.batch
    log = {"config": vars(args), "train_tokens": int(len(train)),
           "heldout_tokens": int(len(held)), "steps": []}
    start = time.time()
    steps = args.time_steps or args.steps
    best = None   # (validation loss, step, weights)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args.steps, args.lr, args.warmup, args.lr * 0.05)
        offs = rng.integers(0, len(train) - T - 1, size=B)
        idx = offs[:, None] + np.arange(T)[None, :]
        ce, loss = model(torch.from_numpy(train[idx]), torch.from_numpy(train[idx + 1]),
                         args.balance, args.dropout)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        entry = {"step": step + 1, "loss": round(ce.item(), 4),
                 "seconds": round(time.time() - start, 1)}
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            # The checkpoint kept is the one with the best validation loss;
            # the held-out loss is only recorded (for the model card).
            entry["valid_loss"] = round(heldout_loss(model, valid, T), 4)
            entry["heldout_loss"] = round(heldout_loss(model, held, T), 4)
            if best is None or entry["valid_loss"] < best[0]:
                best = (entry["valid_loss"], step + 1, model.weights())
        log["steps"].append(entry)
        if (step + 1) % 50 == 0 or "heldout_loss" in entry:
            print(json.dumps(entry), flush=True)
    if args.time_steps:
        print(f"{(time.time() - start) / steps:.3f} s/step")
        return
    os.makedirs(args.out_dir, exist_ok=True)
    log["kept_step"] = best[1]
    out = YanModel(cfg, best[2])
    out.save(args.out_dir, {"f32": "F32", "f16": "F16", "bf16": "BF16"}[args.dtype])
    with open(os.path.join(args.out_dir, "training-log.json"), "w") as f:
        json.dump(log, f)


if __name__ == "__main__":
    main()
