#!/usr/bin/python3
"""Self-checks of the Yan PyTorch reference.

    /usr/bin/python3 -m unittest discover -s test/reference -v
    /usr/bin/python3 test/reference/test_reference.py -v
"""

from __future__ import annotations

import json
import os
import struct
import sys
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gen_model  # noqa: E402
import golden  # noqa: E402
import local_update as lu  # noqa: E402
from yan_model import (YanConfig, YanModel, YanState, read_safetensors,  # noqa: E402
                       safetensors_header, tensor_specs, topk_indices)

torch.set_num_threads(1)   # small tensors: threads only add overhead / noise
F64 = torch.float64

# Odd shapes (overrides of the tiny preset) for the form-equivalence tests.
SHAPES = {
    "tiny": {},
    "K1": dict(slope_window=1),
    "k_eq_P": dict(num_partitions=4, active_partitions=4),
    "C1": dict(num_channels=1),
    "D36_C3": dict(vocab_size=50, hidden_size=36, num_channels=3, num_partitions=5,
                   active_partitions=3, partition_size=20),
    "given_decays_slopes": dict(slope_window=2, num_channels=2,
                                decays=[0.5, 0.99], slopes=[0.0, 0.75]),
}


def make_model(seed: int = 0, dtype=torch.float32, **overrides) -> YanModel:
    """A generator model built in memory (same values as gen_model.py writes)."""
    cfg = gen_model.make_config("tiny", **overrides)
    weights = {name: torch.from_numpy(gen_model.generate_tensor(name, shape, seed))
               for name, shape in tensor_specs(cfg)}
    return YanModel(cfg, weights, dtype)


def sample(n: int, vocab: int, seed: int = 1) -> list:
    return torch.randint(0, vocab, (n,), generator=torch.Generator().manual_seed(seed)).tolist()


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).abs().max() / b.abs().max()).item()


def naive_logits(model: YanModel, tokens) -> np.ndarray:
    """docs/yan-model.md transcribed literally in float64 numpy (full u history)."""
    cfg = model.cfg
    W = {k: v.double().numpy() for k, v in model.w.items()}
    D, K, k, eps = cfg.hidden_size, cfg.slope_window, cfg.active_partitions, cfg.norm_eps
    decay = np.repeat(cfg.decay_values().astype(np.float64), cfg.channel_size)
    slope = np.repeat(cfg.slope_values().astype(np.float64), cfg.channel_size)

    def rms(z, w):
        return z / np.sqrt(np.mean(z * z) + eps) * w

    def silu(z):
        return z / (1.0 + np.exp(-z))

    h = [np.zeros(D) for _ in range(cfg.num_layers)]
    us = [[] for _ in range(cfg.num_layers)]
    out = []
    for t, tok in enumerate(tokens):
        x = W["embed.weight"][tok].copy()
        for l in range(cfg.num_layers):
            p_ = f"layers.{l}."
            a = rms(x, W[p_ + "mix_norm.weight"])
            u, v, q = (W[p_ + f"mix.{n}.weight"] @ a for n in "uvg")
            us[l].append(u)
            s = sum((1 - j * slope) * us[l][t - j] for j in range(K) if t - j >= 0)
            h[l] = decay * h[l] + (1 - decay) * v
            x = x + W[p_ + "mix.o.weight"] @ (s * h[l] * silu(q))
            b = rms(x, W[p_ + "ffn_norm.weight"])
            r = W[p_ + "router.weight"] @ b
            S = sorted(range(cfg.num_partitions), key=lambda p: (-r[p], p))[:k]
            e = np.exp(r[S] - r[S].max())
            alpha = e / e.sum()
            for i, p in enumerate(S):
                w1, w3, w2 = (W[p_ + f"ffn.{n}"][p] for n in ("w1", "w3", "w2"))
                x = x + alpha[i] * (w2 @ (silu(w1 @ b) * (w3 @ b)))
        out.append(W["lm_head.weight"] @ rms(x, W["final_norm.weight"]))
    return np.array(out)


# --------------------------------------------------------------------------
class TestForms(unittest.TestCase):
    """Recurrent (step) vs parallel (forward) forms, prefill/decode, state."""

    def test_recurrent_equals_parallel(self):
        for name, ov in SHAPES.items():
            m32 = make_model(**ov)
            toks = sample(40, m32.cfg.vocab_size)
            for model, tol in ((m32, 2e-5), (m32.to(F64), 1e-12)):
                with self.subTest(shape=name, dtype=model.dtype):
                    a, sa = model.forward(toks, chunk=16)      # 3 scan chunks
                    b, sb = model.run_steps(toks)
                    self.assertEqual(tuple(a.shape), (40, model.cfg.vocab_size))
                    self.assertLess(rel_err(a, b), tol)
                    self.assertLess(rel_err(sa.flat(), sb.flat()), tol)

    def test_matches_naive_transcription_of_docs(self):
        for name in ("tiny", "K1", "D36_C3", "given_decays_slopes"):
            with self.subTest(shape=name):
                model = make_model(dtype=F64, **SHAPES[name])
                toks = sample(12, model.cfg.vocab_size, seed=3)
                ref = naive_logits(model, toks)
                got = model.forward(toks)[0].numpy()
                self.assertLess(np.abs(got - ref).max() / np.abs(ref).max(), 1e-12)

    def test_parallel_from_nonfresh_state(self):
        model = make_model(dtype=F64)
        _, st = model.run_steps(sample(7, 256, seed=5))
        toks = sample(20, 256, seed=6)
        a, sa = model.forward(toks, st.clone())
        b, sb = model.run_steps(toks, st.clone())
        self.assertLess(rel_err(a, b), 1e-12)
        self.assertLess(rel_err(sa.flat(), sb.flat()), 1e-12)
        # The state actually matters: a fresh start gives different logits.
        self.assertGreater(rel_err(model.forward(toks)[0], b), 1e-3)

    def test_prefill_then_decode_equals_steps(self):
        for dtype, tol in ((torch.float32, 2e-5), (F64, 1e-12)):
            model = make_model(dtype=dtype)
            toks = sample(13, 256, seed=7)          # n = 9 prefill + m = 4 decode
            ref, ref_state = model.run_steps(toks)
            rows, st = model.prefill(toks[:9])
            rows = [rows]
            for t in toks[9:]:
                row, st = model.decode(t, st)
                rows.append(row[None])
            self.assertLess(rel_err(torch.cat(rows), ref), tol)
            self.assertLess(rel_err(st.flat(), ref_state.flat()), tol)
            # Two chained prefills equal one.
            a, sa = model.prefill(toks[:5])
            b, sb = model.prefill(toks[5:], sa)
            self.assertLess(rel_err(torch.cat([a, b]), ref), tol)

    def test_state_layout(self):
        model = make_model(dtype=F64)
        cfg = model.cfg
        K, D = cfg.slope_window, cfg.hidden_size
        toks = [5, 17]
        _, st = model.run_steps(toks)
        # u_t of layer 0 computed directly from the weights.
        w = model.w
        def u0(tok):
            x = w["embed.weight"][tok]
            a = x / torch.sqrt((x * x).mean() + cfg.norm_eps) * w["layers.0.mix_norm.weight"]
            return w["layers.0.mix.u.weight"] @ a
        self.assertEqual(tuple(st.u.shape), (cfg.num_layers, K - 1, D))
        self.assertTrue(torch.allclose(st.u[0, K - 2], u0(17), rtol=0, atol=1e-12))   # u_{t-1}
        self.assertTrue(torch.allclose(st.u[0, K - 3], u0(5), rtol=0, atol=1e-12))
        self.assertTrue(torch.equal(st.u[0, 0], torch.zeros(D)))                       # before t=0
        flat = st.flat()
        self.assertEqual(flat.numel(), cfg.num_layers * K * D)
        self.assertTrue(torch.equal(flat[:D], st.h[0]))
        self.assertTrue(torch.equal(flat[D:2 * D], st.u[0, 0]))
        self.assertTrue(torch.equal(flat[K * D:K * D + D], st.h[1]))
        back = YanState.from_flat(flat, cfg)
        self.assertTrue(torch.equal(back.h, st.h) and torch.equal(back.u, st.u))


# --------------------------------------------------------------------------
class TestRouting(unittest.TestCase):

    def test_topk_tie_rule(self):
        r = torch.tensor([1.0, 3.0, 2.0, 3.0, 0.5, 3.0])
        self.assertEqual(topk_indices(r, 2).tolist(), [1, 3])
        self.assertEqual(topk_indices(r, 4).tolist(), [1, 3, 5, 2])
        self.assertEqual(topk_indices(torch.zeros(2, 5), 3).tolist(), [[0, 1, 2]] * 2)

    def test_equal_router_logits_pick_lowest_indices(self):
        model = make_model(dtype=F64)
        k = model.cfg.active_partitions
        for l in range(model.cfg.num_layers):
            model.w[f"layers.{l}.router.weight"].zero_()   # every logit equal (0)
        toks = sample(6, 256, seed=8)
        _, _, routing = model.forward(toks, return_routing=True)
        for sel, alpha in routing:
            self.assertEqual(sel.tolist(), [list(range(k))] * len(toks))
            self.assertTrue(torch.allclose(alpha, torch.full_like(alpha, 1.0 / k)))
        # The recurrent form agrees (it uses the same rule).
        self.assertLess(rel_err(model.forward(toks)[0], model.run_steps(toks)[0]), 1e-12)
        # Reference: partitions 0..k-1 with equal weight, transcribed naively.
        self.assertLess(np.abs(naive_logits(model, toks) - model.forward(toks)[0].numpy()).max(),
                        1e-12)


# --------------------------------------------------------------------------
class TestGenerator(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.cfg = gen_model.make_config("tiny")
        cls.paths = {}
        for tag, seed, dtype in (("a", 0, "f32"), ("b", 0, "f32"), ("c", 1, "f32"),
                                 ("f16", 0, "f16"), ("bf16", 0, "bf16")):
            d = os.path.join(cls.tmp.name, tag)
            gen_model.main([d, "--preset", "tiny", "--seed", str(seed), "--dtype", dtype])
            cls.paths[tag] = d

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def read(self, tag, name="model.safetensors") -> bytes:
        with open(os.path.join(self.paths[tag], name), "rb") as f:
            return f.read()

    def test_hash_primitives(self):
        self.assertEqual(gen_model.fnv1a64(b""), 0xcbf29ce484222325)
        self.assertEqual(gen_model.fnv1a64(b"a"), 0xaf63dc4c8601ec8c)   # published FNV-1a vector
        self.assertEqual(gen_model.splitmix64(0), 0xE220A8397B1DCDAF)   # first SplitMix64 output
        with np.errstate(over="ignore"):
            xs = np.array([0, 1, 2 ** 63, 2 ** 64 - 1], dtype=np.uint64)
            got = gen_model._splitmix64_np(xs).tolist()
        self.assertEqual(got, [gen_model.splitmix64(int(x)) for x in xs])

    def test_pinned_reference_files(self):
        # Values published in docs/yan-model.md for the C++ generator to match.
        import hashlib
        self.assertEqual(hashlib.sha256(self.read("a")).hexdigest(),
                         "c9a05a58901825d1f9cfaf79038b892c9b21369a94bb5c98b6a671f01fbcfb85")
        self.assertEqual(hashlib.sha256(self.read("a", "config.json")).hexdigest(),
                         "dcaf47193a1e98cb70078ffb19ec3ecde51141aca372c516ec37d4ac7e3c09fe")
        self.assertEqual(hashlib.sha256(self.read("bf16")).hexdigest(),
                         "4a21e54176951e330b323796163d64cc3946372182a95a4c341f15175abfa86c")
        self.assertEqual(gen_model.tensor_key("embed.weight", 0), 0x78e3d3f3b9c147af)
        self.assertEqual(gen_model.uniform_scalar("layers.1.ffn.w2", 0, 5).view(np.uint32),
                         np.float32(-0.7632407).view(np.uint32))

    def test_same_seed_same_bytes_different_seed_differs(self):
        a, b, c = self.read("a"), self.read("b"), self.read("c")
        self.assertEqual(a, b)
        self.assertEqual(self.read("a", "config.json"), self.read("b", "config.json"))
        self.assertNotEqual(a, c)
        n = struct.unpack("<Q", a[:8])[0]
        self.assertEqual(a[:8 + n], c[:8 + n])        # same header, different data

    def test_header_layout(self):
        data = self.read("a")
        n = struct.unpack("<Q", data[:8])[0]
        self.assertEqual(n % 8, 0)
        raw = data[8:8 + n]
        text = raw.rstrip(b" ")
        self.assertTrue(len(raw) - len(text) < 8)
        header = json.loads(text)
        self.assertEqual(text, json.dumps(header, separators=(",", ":")).encode())
        specs = tensor_specs(self.cfg)
        self.assertEqual(list(header), ["__metadata__"] + [s[0] for s in specs])
        self.assertEqual(header["__metadata__"], {"format": "pt", "generator": "yan-model-gen"})
        offset = 0
        for name, shape in specs:
            info = header[name]
            self.assertEqual(list(info), ["dtype", "shape", "data_offsets"])
            self.assertEqual((info["dtype"], info["shape"]), ("F32", list(shape)))
            size = 4 * int(np.prod(shape))
            self.assertEqual(info["data_offsets"], [offset, offset + size])
            offset += size
        self.assertEqual(len(data), 8 + n + offset)

    def test_values_match_scalar_spec(self):
        arrays, meta = read_safetensors(os.path.join(self.paths["a"], "model.safetensors"))
        self.assertEqual(meta["generator"], "yan-model-gen")
        rng = np.random.default_rng(0)
        for name, shape in tensor_specs(self.cfg):
            flat = arrays[name].reshape(-1)
            norm = name.endswith("_norm.weight")
            scale = np.float32(1.0) if name == "embed.weight" else \
                np.float32(1.0 / np.sqrt(np.float64(shape[-1])))
            for i in [0, flat.size - 1] + rng.integers(0, flat.size, 3).tolist():
                u = gen_model.uniform_scalar(name, 0, i)
                want = np.float32(1) + u * np.float32(0.125) if norm else u * scale
                self.assertEqual(flat[i].view(np.uint32), np.float32(want).view(np.uint32), name)
            if norm:
                self.assertTrue(((flat >= 0.875) & (flat < 1.125)).all())
            else:
                self.assertTrue((np.abs(flat) <= scale).all())
                self.assertGreater(np.abs(flat).max(), 0.9 * scale)

    def test_config_json(self):
        text = self.read("a", "config.json").decode()
        self.assertIn('"norm_eps": 1e-05', text)
        d = json.loads(text)
        self.assertEqual(list(d), ["model_type", *YanConfig.INT_FIELDS, "norm_eps"])
        self.assertEqual(d["hidden_size"], 64)
        with tempfile.TemporaryDirectory() as tmp:
            gen_model.main([tmp, "--preset", "tiny", "--num-channels", "2",
                            "--decays", "0.5,0.9", "--slopes", "0.1,0.2", "--vocab-size", "10"])
            with open(os.path.join(tmp, "config.json")) as f:
                d2 = json.load(f)
            self.assertEqual((d2["decays"], d2["slopes"], d2["vocab_size"]),
                             ([0.5, 0.9], [0.1, 0.2], 10))
            self.assertEqual(YanConfig.from_dict(d2).to_dict(), d2)
        with self.assertRaises(ValueError):   # 1 - (K-1)*slope must be > 0 (K = 4)
            gen_model.make_config("tiny", num_channels=1, slopes=[0.5])

    def test_f16_bf16_files(self):
        ref, _ = read_safetensors(os.path.join(self.paths["a"], "model.safetensors"))
        for tag, tdt, tol in (("f16", torch.float16, 2e-3), ("bf16", torch.bfloat16, 3e-2)):
            with self.subTest(dtype=tag):
                data = self.read(tag)
                n = struct.unpack("<Q", data[:8])[0]
                header = json.loads(data[8:8 + n])
                self.assertEqual(header["embed.weight"]["dtype"], tag.upper())
                self.assertEqual(len(data), 8 + n + 2 * sum(int(np.prod(s)) for _, s in
                                                            tensor_specs(self.cfg)))
                arrays, _ = read_safetensors(os.path.join(self.paths[tag], "model.safetensors"))
                for name, arr in ref.items():
                    want = torch.from_numpy(arr).to(tdt).to(torch.float32).numpy()
                    self.assertTrue(np.array_equal(arrays[name], want), name)
                # The loaded low-precision model computes close to the f32 one.
                toks = sample(8, 256, seed=9)
                lo = YanModel.load(self.paths[tag]).forward(toks)[0]
                hi = YanModel.load(self.paths["a"]).forward(toks)[0]
                self.assertLess(rel_err(lo, hi), tol)
                self.assertGreater(rel_err(lo, hi), 0.0)
        # bf16 bytes are the round-to-nearest-even top half of the f32 bits.
        f32 = np.frombuffer(self.read("a")[-64:], "<u4")
        bf = np.frombuffer(self.read("bf16")[-32:], "<u2").astype(np.uint32)
        rne = (f32 + 0x7FFF + ((f32 >> 16) & 1)) >> 16
        self.assertTrue(np.array_equal(bf, rne))

    def test_small_preset_generates_and_runs(self):
        with tempfile.TemporaryDirectory() as tmp:
            gen_model.main([tmp, "--preset", "small"])
            cfg = YanConfig.load(os.path.join(tmp, "config.json"))
            self.assertEqual((cfg.vocab_size, cfg.hidden_size, cfg.num_layers,
                              cfg.num_partitions, cfg.partition_size), (4096, 512, 8, 32, 512))
            n_params = sum(int(np.prod(s)) for _, s in tensor_specs(cfg))
            size = os.path.getsize(os.path.join(tmp, "model.safetensors"))
            header = safetensors_header([(n, "F32", s) for n, s in tensor_specs(cfg)],
                                        gen_model.METADATA)
            self.assertEqual(size, len(header) + 4 * n_params)
            model = YanModel.load(tmp)
        toks = [1, 4000, 17, 4095]
        a, sa = model.forward(toks)
        b, sb = model.run_steps(toks)
        self.assertTrue(torch.isfinite(a).all())
        self.assertLess(rel_err(a, b), 1e-4)
        self.assertLess(rel_err(sa.flat(), sb.flat()), 1e-4)


# --------------------------------------------------------------------------
class TestLocalUpdate(unittest.TestCase):

    def test_choose_partitions(self):
        totals = torch.tensor([[0.5, 2.0, 0.5, 0.0, 2.0],
                               [0.0, 0.0, 0.0, 0.7, 0.0],
                               [1.0, 1.0, 1.0, 1.0, 1.0]], dtype=F64)
        self.assertEqual(lu.choose_partitions(totals, 3), [[0, 1, 4], [3], [0, 1, 2]])
        self.assertEqual(lu.choose_partitions(totals, 1), [[1], [3], [0]])

    def test_routing_totals(self):
        model = make_model()
        toks = sample(10, 256, seed=10)
        loss, routing = lu.local_loss(model, toks)
        totals = lu.routing_totals(routing, model.cfg.num_partitions)
        # Forward runs over tokens[:-1]: each layer's weights sum to N-1.
        self.assertTrue(torch.allclose(totals.sum(1), torch.full((2,), 9.0, dtype=F64)))
        # Loss is the mean next-token cross entropy of the recurrent logits.
        logits = model.run_steps(toks[:-1])[0]
        ce = torch.nn.functional.cross_entropy(logits, torch.tensor(toks[1:]))
        self.assertAlmostEqual(loss.item(), ce.item(), places=5)

    def test_gradcheck_float64(self):
        model = make_model(dtype=F64, vocab_size=16, hidden_size=8, num_channels=2,
                           slope_window=3, num_partitions=4, active_partitions=2,
                           partition_size=4)
        toks = sample(7, 16, seed=11)
        state = model.run_steps(sample(3, 16, seed=12))[1]    # non-fresh start
        _, routing = lu.local_loss(model, toks, state)
        chosen = lu.choose_partitions(lu.routing_totals(routing, 4), 2)
        keys = [(l, p) for l in range(2) for p in chosen[l]]
        self.assertGreaterEqual(len(keys), 3)
        inputs = [model.w[f"layers.{l}.ffn.{n}"][p].clone().requires_grad_(True)
                  for (l, p) in keys for n in ("w1", "w3", "w2")]
        f = lu.make_loss_fn(model, toks, keys, state)
        self.assertTrue(torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-8, rtol=1e-6))
        # The trainer's gradients are the same autograd gradients.
        trainer = lu.LocalTrainer(model.to(F64), lu.OptimConfig("sgd", lr=0.0))
        res = trainer.update(toks, state)
        self.assertEqual(res.chosen, chosen)
        want = torch.autograd.grad(f(*inputs), inputs)
        got = [g for key in keys for g in res.grads[key]]
        for g, w in zip(got, want):
            self.assertTrue(torch.allclose(g, w, rtol=1e-12, atol=1e-15))

    def test_only_chosen_partitions_change(self):
        for opt in (lu.OptimConfig("sgd", lr=0.1, momentum=0.9),
                    lu.OptimConfig("adamw", lr=1e-2, weight_decay=0.1, clip=0.5)):
            with self.subTest(optimizer=opt.name):
                before = make_model()
                model = make_model()
                res = lu.LocalTrainer(model, opt).update(sample(20, 256, seed=13))
                self.assertTrue(all(len(c) == 2 for c in res.chosen))
                for name, w0 in before.w.items():
                    w1 = model.w[name]
                    if ".ffn.w" not in name:
                        self.assertTrue(torch.equal(w0, w1), name)
                        continue
                    l = int(name.split(".")[1])
                    for p in range(model.cfg.num_partitions):
                        same = torch.equal(w0[p], w1[p])
                        self.assertEqual(same, p not in res.chosen[l], (name, p))

    def _manual_run(self, opt, samples, m=2):
        """The optimizer equations of docs/yan-model.md, written out by hand."""
        model = make_model()
        state = {}   # (l, p, n) -> dict
        for toks in samples:
            keys, grads = None, None
            params = {(l, p, n): model.w[f"layers.{l}.ffn.{n}"][p].clone().requires_grad_(True)
                      for l in range(2) for p in range(8) for n in ("w1", "w3", "w2")}
            overrides = {(l, p): tuple(params[(l, p, n)] for n in ("w1", "w3", "w2"))
                         for l in range(2) for p in range(8)}
            loss, routing = lu.local_loss(model, toks, None, overrides)
            chosen = lu.choose_partitions(lu.routing_totals(routing, 8), m)
            keys = [(l, p, n) for l in range(2) for p in chosen[l] for n in ("w1", "w3", "w2")]
            grads = torch.autograd.grad(loss, [params[k] for k in keys])
            if opt.clip is not None:
                total = torch.norm(torch.stack([torch.norm(g) for g in grads]))
                coef = min(1.0, (opt.clip / (total + 1e-6)).item())
                grads = [g * torch.tensor(coef, dtype=torch.float32) for g in grads]
            with torch.no_grad():
                for key, g in zip(keys, grads):
                    w = model.w[f"layers.{key[0]}.ffn.{key[2]}"][key[1]]
                    st = state.setdefault(key, {"step": 0})
                    if opt.name == "sgd":
                        st["buf"] = g.clone() if "buf" not in st else opt.momentum * st["buf"] + g
                        w -= opt.lr * st["buf"]
                    else:
                        st["step"] += 1
                        t = st["step"]
                        m0, v0 = st.get("m", 0 * g), st.get("v", 0 * g)
                        st["m"] = opt.beta1 * m0 + (1 - opt.beta1) * g
                        st["v"] = opt.beta2 * v0 + (1 - opt.beta2) * g * g
                        w *= 1 - opt.lr * opt.weight_decay
                        denom = st["v"].sqrt() / np.sqrt(1 - opt.beta2 ** t) + opt.eps
                        w -= opt.lr / (1 - opt.beta1 ** t) * st["m"] / denom
        return model, state

    def test_optimizers_match_documented_equations(self):
        samples = [sample(16, 256, seed=s) for s in (20, 21, 22, 20)]
        for opt in (lu.OptimConfig("sgd", lr=0.2, momentum=0.9, clip=1.0),
                    lu.OptimConfig("adamw", lr=3e-3, weight_decay=0.05, clip=0.3)):
            with self.subTest(optimizer=opt.name):
                model = make_model()
                trainer = lu.LocalTrainer(model, opt)
                chosen_sets = [trainer.update(s).chosen for s in samples]
                manual, state = self._manual_run(opt, samples)
                # Per-partition counts differ (some partitions skip updates).
                if opt.name == "adamw":
                    self.assertGreater(len({st["step"] for st in state.values()}), 1)
                self.assertGreater(len({str(c) for c in chosen_sets}), 1)
                for name in model.w:
                    self.assertTrue(torch.allclose(model.w[name], manual.w[name],
                                                   rtol=1e-5, atol=1e-7), name)

    def test_loss_decreases_on_tiny_sample(self):
        toks = sample(32, 256, seed=30)
        for opt in (lu.OptimConfig("sgd", lr=1.0, momentum=0.5),
                    lu.OptimConfig("adamw", lr=1e-2)):
            with self.subTest(optimizer=opt.name):
                trainer = lu.LocalTrainer(make_model(), opt)
                losses = [trainer.update(toks).loss for _ in range(5)]
                final = lu.local_loss(trainer.model, toks)[0].item()
                self.assertTrue(all(b < a for a, b in zip(losses, losses[1:] + [final])), losses)
                self.assertLess(final, losses[0] - 0.2)

    def test_cli(self):
        with tempfile.TemporaryDirectory() as tmp:
            gen_model.main([os.path.join(tmp, "m"), "--preset", "tiny"])
            s1, s2 = sample(10, 256, seed=40), sample(12, 256, seed=41)
            start = make_model().run_steps(sample(5, 256, seed=42))[1]
            start.flat().numpy().astype("<f4").tofile(os.path.join(tmp, "state.f32"))
            lu.main([os.path.join(tmp, "m"), "--state", os.path.join(tmp, "state.f32"),
                     "--tokens", ",".join(map(str, s1)),
                     "--tokens", ",".join(map(str, s2)), "--optimizer", "adamw",
                     "--lr", "0.01", "--steps", "3", "--out", os.path.join(tmp, "out"),
                     "--save-model", os.path.join(tmp, "m2")])
            with open(os.path.join(tmp, "out.json")) as f:
                rep = json.load(f)
            arrays, _ = read_safetensors(os.path.join(tmp, "out.safetensors"))
            updated = YanModel.load(os.path.join(tmp, "m2"))
        trainer = lu.LocalTrainer(make_model(), lu.OptimConfig("adamw", lr=0.01))
        for i, s in enumerate((s1, s2, s1)):
            res = trainer.update(s, start)
            self.assertEqual(rep["updates"][i]["tokens"], s)
            self.assertEqual(rep["updates"][i]["chosen"], res.chosen)
            self.assertAlmostEqual(rep["updates"][i]["loss"], res.loss, places=6)
            for (l, p), g in res.grads.items():
                self.assertTrue(np.array_equal(arrays[f"update.{i}.grad.layers.{l}.ffn.w1.{p}"],
                                               g[0].numpy()))
        trained = {(l, p) for u in rep["updates"] for l, ps in enumerate(u["chosen"]) for p in ps}
        for name, w in trainer.model.w.items():
            self.assertTrue(torch.equal(updated.w[name], w), name)
        written = {name for name in arrays if not name.startswith("update.")}
        self.assertEqual(written, {f"layers.{l}.ffn.{n}.{p}" for l, p in trained
                                   for n in ("w1", "w3", "w2")})
        for name in written:
            base, p = name.rsplit(".", 1)
            self.assertTrue(np.array_equal(arrays[name], trainer.model.w[base][int(p)].numpy()),
                            name)


# --------------------------------------------------------------------------
class TestGolden(unittest.TestCase):

    def test_test_vectors(self):
        prompt, M = [3, 1, 4, 1, 5, 9, 2], 6
        with tempfile.TemporaryDirectory() as tmp:
            gen_model.main([os.path.join(tmp, "m"), "--preset", "tiny"])
            prefix = os.path.join(tmp, "tv", "tiny")
            golden.main([os.path.join(tmp, "m"), "--prompt", ",".join(map(str, prompt)),
                         "--steps", str(M), "--test-vectors", prefix])
            golden.main([os.path.join(tmp, "m"), "--prompt", ",".join(map(str, prompt)),
                         "--steps", str(M), "--logits", os.path.join(tmp, "l.f32"),
                         "--json", os.path.join(tmp, "l.json")])
            with open(prefix + ".json") as f:
                doc = json.load(f)
            load = lambda name: np.fromfile(os.path.join(tmp, "tv", name), "<f4")  # noqa: E731
            logits = load(doc["logits"]).reshape(doc["logits_shape"])
            pre_state, fin_state = load(doc["prefill_state"]), load(doc["final_state"])
            self.assertTrue(np.array_equal(np.fromfile(os.path.join(tmp, "l.f32"), "<f4"),
                                           logits.reshape(-1)))
        self.assertEqual(doc["logits_shape"], [len(prompt) + M, 256])
        self.assertEqual(doc["prompt"], prompt)
        self.assertEqual(doc["tokens"], prompt + doc["generated"])
        self.assertEqual(len(doc["generated"]), M)
        # Greedy: each generated token is the argmax of the previous row.
        preds = logits.argmax(axis=1).tolist()
        self.assertEqual(doc["generated"], preds[len(prompt) - 1:-1])
        self.assertEqual(doc["next_token"], preds[-1])
        # Logits and states equal the all-recurrent computation.
        model = make_model()
        ref, ref_state = model.run_steps(doc["tokens"])
        self.assertLess(rel_err(torch.from_numpy(logits), ref), 2e-5)
        self.assertLess(rel_err(torch.from_numpy(fin_state), ref_state.flat()), 2e-5)
        self.assertEqual(doc["state_shape"], [2, 4 * 64])
        pre_ref = model.run_steps(prompt)[1].flat()
        self.assertLess(rel_err(torch.from_numpy(pre_state), pre_ref), 2e-5)


if __name__ == "__main__":
    unittest.main()
