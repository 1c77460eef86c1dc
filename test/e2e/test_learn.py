#!/usr/bin/python3
"""On-device learning end to end against the PyTorch reference
(test/reference/local_update.py): yan-model-gen -> yanc (learn entries) ->
yan-run --learn, for SGD, SGD with momentum and clipping, and AdamW, over 1
and 5 steps, on several model shapes; then the convergence check (one
32-token sequence on tiny: the loss falls by at least half within 50 steps)
and a delta saved by one process and applied by another.

Run by ctest with YAN_BIN (the build's bin/) and YAN_WORK (a scratch dir)."""

import json
import os
import shutil
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from learn_check import compare, config_of, learn_flags, reference, run  # noqa: E402

BIN = os.environ.get("YAN_BIN", os.path.join(HERE, "..", "..", "build", "bin"))
WORK = os.environ.get("YAN_WORK", "/tmp/yan-e2e-learn")

# name -> yan-model-gen arguments (the shapes of test_numerics.py that are
# f32: learning needs f32 partitions).
SHAPES = {
    "tiny": ["--preset", "tiny"],
    "k1-window": ["--preset", "tiny", "--slope-window", "1", "--seed", "1"],
    "dense-routing": ["--preset", "tiny", "--num-partitions", "4",
                      "--active-partitions", "4", "--seed", "2"],
    "odd-width": ["--preset", "tiny", "--hidden-size", "36", "--num-channels", "1",
                  "--partition-size", "13", "--vocab-size", "101", "--seed", "3"],
}

# (optimizer, steps, clip, extra hyperparameters)
CASES = [
    ("sgd", 1, None, {}),
    ("sgd", 5, None, {}),
    ("sgd", 5, 0.05, {"momentum": 0.9}),
    ("adamw", 1, None, {}),
    ("adamw", 5, 0.1, {"weight_decay": 0.05}),
]


def sample(vocab, length, seed):
    rng = np.random.default_rng(seed)
    return [int(t) for t in rng.integers(0, vocab, size=length)]


class LearnTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORK, ignore_errors=True)
        os.makedirs(WORK)

    def model(self, name, gen_args, *yanc_flags):
        model = os.path.join(WORK, name)
        if not os.path.exists(model):
            run(os.path.join(BIN, "yan-model-gen"), model, *gen_args)
        bundle = os.path.join(WORK, name + ".yanb")
        if not os.path.exists(bundle):
            run(os.path.join(BIN, "yanc"), model, "-o", bundle, *yanc_flags)
        return model, bundle

    def learn_and_compare(self, name, model, bundle, tokens, optimizer, steps, clip,
                          hyper, partitions=None, threads=1):
        label = f"{name} {optimizer} x{steps} clip={clip} {hyper} m={partitions} threads={threads}"
        prefix = os.path.join(WORK, f"{name}-{optimizer}-{steps}-{clip}-{partitions}-{threads}")
        ref_report, ref_tensors = reference(model, tokens, prefix + ".ref", steps, optimizer,
                                            clip, partitions, **hyper)
        run(os.path.join(BIN, "yan-run"), bundle, "--threads", threads,
            *learn_flags(tokens, steps, optimizer, clip, partitions, **hyper),
            "--learn-report", prefix + ".json", "--dump-gradients", prefix,
            "--dump-partitions", prefix + ".ffn.f32")
        compare(self, label, model, prefix, ref_report, ref_tensors, prefix + ".json",
                prefix + ".ffn.f32")
        return ref_report

    def test_shapes_and_optimizers(self):
        for name, gen_args in SHAPES.items():
            model, bundle = self.model(name, gen_args)
            vocab = config_of(model)["vocab_size"]
            tokens = sample(vocab, 24, seed=7)
            cases = CASES if name == "tiny" else CASES[1:2] + CASES[4:5]
            for optimizer, steps, clip, hyper in cases:
                with self.subTest(model=name, optimizer=optimizer, steps=steps, clip=clip):
                    self.learn_and_compare(name, model, bundle, tokens, optimizer, steps,
                                           clip, hyper)

    def test_fewer_partitions_and_threads(self):
        # The runtime asks for fewer partitions than the bundle's M = k; two
        # threads give the same bits as one (checked against the reference).
        model, bundle = self.model("tiny-m4", SHAPES["tiny"], "--learn-partitions", "4")
        tokens = sample(256, 40, seed=9)
        for partitions in (1, 3, 4):
            with self.subTest(partitions=partitions):
                self.learn_and_compare("tiny-m4", model, bundle, tokens, "adamw", 2, None, {},
                                       partitions=partitions, threads=2)

    def test_small_gradients(self):
        # The small preset (V4096 D512 L8 P32 k4 F512): one SGD step on a
        # 64-token sample.
        model, bundle = self.model("small", ["--preset", "small"])
        tokens = sample(4096, 64, seed=64)
        self.learn_and_compare("small", model, bundle, tokens, "sgd", 1, None, {},
                               threads=2)

    def test_loss_halves_within_50_steps(self):
        model, bundle = self.model("tiny", SHAPES["tiny"])
        tokens = sample(256, 32, seed=32)
        report_path = os.path.join(WORK, "converge.json")
        run(os.path.join(BIN, "yan-run"), bundle, "--learn", ",".join(map(str, tokens)),
            "--steps", "50", "--optimizer", "adamw", "--learn-report", report_path)
        with open(report_path) as f:
            report = json.load(f)
        losses = [step["loss"] for step in report["steps"]] + [report["loss_after"]]
        print(f"tiny, 32 tokens, AdamW lr 1e-2: loss {losses[0]:.4f} -> {losses[-1]:.4f}",
              file=sys.stderr)
        self.assertEqual(report["loss_before"], losses[0])
        self.assertLessEqual(losses[-1], 0.5 * losses[0])

    def test_delta_round_trip_across_processes(self):
        # Learn and save in one process; a second process applies the delta
        # and its logits equal the first process's after learning.
        model, bundle = self.model("tiny", SHAPES["tiny"])
        tokens = ",".join(map(str, sample(256, 20, seed=20)))
        delta = os.path.join(WORK, "tiny.delta")
        after = os.path.join(WORK, "after-learn.f32")
        reloaded = os.path.join(WORK, "after-delta.f32")
        run(os.path.join(BIN, "yan-run"), bundle, "--learn", tokens, "--steps", "3",
            "--optimizer", "adamw", "--save-delta", delta, "--prompt", "1,2,3",
            "--max-tokens", "4", "--dump-logits", after)
        run(os.path.join(BIN, "yan-run"), bundle, "--delta", delta, "--prompt", "1,2,3",
            "--max-tokens", "4", "--dump-logits", reloaded)
        fresh = os.path.join(WORK, "fresh.f32")
        run(os.path.join(BIN, "yan-run"), bundle, "--prompt", "1,2,3", "--max-tokens", "4",
            "--dump-logits", fresh)
        a = np.fromfile(after, dtype="<f4")
        self.assertTrue(np.array_equal(a, np.fromfile(reloaded, dtype="<f4")))
        self.assertFalse(np.array_equal(a, np.fromfile(fresh, dtype="<f4")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
