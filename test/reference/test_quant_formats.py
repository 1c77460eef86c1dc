#!/usr/bin/python3
"""Self-checks of the quantized weight formats' reference (quant_formats.py).

    /usr/bin/python3 -m unittest discover -s test/reference -v
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gen_model  # noqa: E402
import golden  # noqa: E402
import quant_formats as qf  # noqa: E402
from yan_model import YanModel, tensor_specs  # noqa: E402

torch.set_num_threads(1)


def scalar_quantize(w: np.ndarray, qmin: int, qmax: int):
    """docs/yan-model.md section 9, element by element in numpy float32 /
    float16 scalars: the literal transcription the vectorized code must match."""
    rows, cols = w.shape
    groups = -(-cols // 32)
    d = np.zeros((rows, groups), np.float16)
    q = np.zeros((rows, cols), np.int8)
    for r in range(rows):
        for g in range(groups):
            part = w[r, 32 * g:32 * g + 32]
            amax = max((abs(np.float32(x)) for x in part), default=np.float32(0))
            d[r, g] = np.float16(np.float32(amax) / np.float32(qmax))
            df = np.float32(d[r, g])
            for j, x in enumerate(part):
                v = 0.0 if df == 0 else float(np.rint(np.float32(x) / df))
                q[r, 32 * g + j] = int(min(max(v, qmin), qmax))
    return d, q


class TestQuantFormats(unittest.TestCase):

    def test_matches_scalar_transcription(self):
        gen = np.random.default_rng(3)
        for shape, scale in (((5, 70), 0.05), ((3, 17), 1e-6), ((4, 64), 3.0)):
            w = (gen.standard_normal(shape) * scale).astype(np.float32)
            w[0, 0] = 0.5 * w[0, 1]
            for fmt, f in qf.FORMATS.items():
                d, q = qf.quantize(torch.from_numpy(w), fmt)
                sd, sq = scalar_quantize(w, f.qmin, f.qmax)
                np.testing.assert_array_equal(d.view(torch.int16).numpy(), sd.view(np.int16))
                np.testing.assert_array_equal(q.numpy(), sq)

    def test_ties_round_to_even(self):
        w = torch.tensor([[0.5, 1.5, 2.5, -0.5, -2.5, 3.5, 0.0, 127.0]]) / 16
        d, q = qf.quantize(w, "int8")
        self.assertEqual(float(d[0, 0]), 1 / 16)
        self.assertEqual(q[0].tolist(), [0, 2, 2, 0, -2, 4, 0, 127])

    def test_layout_and_pack_round_trip(self):
        self.assertEqual(qf.slab_layout(3, 70, "int8"),
                         {"groups": 3, "q_row_bytes": 96, "scale_offset": 320, "bytes": 384})
        self.assertEqual(qf.slab_layout(3, 70, "int4"),
                         {"groups": 3, "q_row_bytes": 48, "scale_offset": 192, "bytes": 256})
        w = torch.randn(7, 45, generator=torch.Generator().manual_seed(2))
        for fmt in qf.FORMATS:
            d, q = qf.quantize(w, fmt)
            data = qf.pack(d, q, fmt)
            self.assertEqual(len(data), qf.slab_layout(7, 45, fmt)["bytes"])
            d2, q2 = qf.unpack(data, 7, 45, fmt)
            self.assertTrue(torch.equal(d.view(torch.int16), d2.view(torch.int16)))
            self.assertTrue(torch.equal(q, q2))

    def test_int4_nibbles(self):
        # d = 1, q = w: byte j = (q_j + 8) | (q_{j+16} + 8) << 4, padding q = 0.
        w = torch.tensor([[1.0, -2.0, 0.25, 0.0, 7.0, -7.0]])
        data = qf.pack(*qf.quantize(w, "int4"), "int4")
        self.assertEqual(list(data[:7]), [0x89, 0x86, 0x88, 0x88, 0x8F, 0x81, 0x88])
        self.assertEqual(data[64:66], bytes([0x00, 0x3C]))   # f16 1.0

    def test_errors_name_tensor_and_place(self):
        w = torch.ones(2, 40)
        w[1, 35] = 1e7
        with self.assertRaisesRegex(qf.QuantError, r"^m\[1\]\[32:40\]: the int8 scale "
                                    r"max\|w\|/127 = 78740.2 does not fit in f16$"):
            qf.quantize(w, "int8", "m")
        w[0, 2] = float("nan")
        with self.assertRaisesRegex(qf.QuantError, r"^m\[0\]\[2\] is nan: only finite"):
            qf.quantize(w, "int4", "m")

    def test_keep_f32_vocabulary_is_yancs(self):
        """The same list selects the same tensors as yanc --keep-f32
        (test/unit/ConvertWeightsTest.cpp, KeepF32NamesTensorsAndFamilies)."""
        cfg = gen_model.make_config("tiny")
        names = [n for n, _ in tensor_specs(cfg)]
        kept = qf.keep_f32_names(names, "lm_head, router,layers.1.ffn.w2,embed")
        self.assertEqual(kept, ["embed.weight", "layers.0.router.weight",
                                "layers.1.router.weight", "layers.1.ffn.w2", "lm_head.weight"])
        self.assertEqual(len(qf.keep_f32_names(names, "mix")), 4 * cfg.num_layers)
        self.assertEqual(len(qf.keep_f32_names(names, "ffn")), 3 * cfg.num_layers)
        self.assertEqual(qf.keep_f32_names(names, ""), [])
        with self.assertRaisesRegex(ValueError, "'lm-head' is neither a tensor of this model "
                                                "nor one of the families"):
            qf.keep_f32_names(names, "embed,lm-head")

    def test_dequantized_model_and_golden_option(self):
        cfg = gen_model.make_config("tiny")
        weights = {n: torch.from_numpy(gen_model.generate_tensor(n, s, 0))
                   for n, s in tensor_specs(cfg)}
        model = YanModel(cfg, weights)
        deq = qf.dequantize_model(model, "int4", {"lm_head.weight": "f32"})
        self.assertTrue(torch.equal(deq.w["lm_head.weight"], model.w["lm_head.weight"]))
        self.assertTrue(torch.equal(deq.w["final_norm.weight"], model.w["final_norm.weight"]))
        w1 = model.w["layers.1.ffn.w1"]
        self.assertTrue(torch.equal(deq.w["layers.1.ffn.w1"][3],
                                    qf.dequantize(*qf.quantize(w1[3].contiguous(), "int4"))))
        self.assertFalse(torch.equal(deq.w["layers.1.ffn.w1"], w1))
        with tempfile.TemporaryDirectory() as tmp:
            model.save(tmp)
            out = os.path.join(tmp, "g")
            golden.main([tmp, "--prompt", "1,2,3", "--steps", "2", "--test-vectors", out,
                         "--dequantize", "int4", "--keep-f32", "lm_head"])
            logits = np.fromfile(out + ".logits.f32", dtype="<f4").reshape(5, -1)
            with open(out + ".json") as f:
                self.assertEqual(json.load(f)["logits_shape"], [5, cfg.vocab_size])
        expect, _ = deq.prefill([1, 2, 3])
        np.testing.assert_array_equal(logits[:3], expect.numpy())


if __name__ == "__main__":
    unittest.main()
