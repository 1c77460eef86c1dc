#!/usr/bin/python3
"""End to end against the PyTorch reference: yan-model-gen -> yanc -> bundle
-> yan-run, compared with test/reference/golden.py.

For every model shape and prompt length (1, 7 and 64 tokens, then 32 greedy
decode steps): max |ours - ref| / max(|ref|, 1e-3) over all logits <= 1e-4,
and the generated tokens are identical.

Run by ctest with YAN_BIN (the build's bin/) and YAN_WORK (a scratch dir)."""

import json
import os
import shutil
import subprocess
import sys
import unittest

import numpy as np
from e2e_main import main  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "reference")
BIN = os.environ.get("YAN_BIN", os.path.join(HERE, "..", "..", "build", "bin"))
WORK = os.environ.get("YAN_WORK", "/tmp/yan-e2e")
TOLERANCE = 1e-4
DECODE_STEPS = 32
PROMPT_LENGTHS = (1, 7, 64)

# name -> yan-model-gen arguments. Beyond the presets: K=1 (no slope
# history), k=P (dense routing), C=1 with D not a multiple of the vector
# width (scalar tails everywhere), and f16 weights.
SHAPES = {
    "tiny": ["--preset", "tiny"],
    "small": ["--preset", "small"],
    "k1-window": ["--preset", "tiny", "--slope-window", "1", "--seed", "1"],
    "dense-routing": ["--preset", "tiny", "--num-partitions", "4",
                      "--active-partitions", "4", "--seed", "2"],
    "odd-width": ["--preset", "tiny", "--hidden-size", "36", "--num-channels", "1",
                  "--partition-size", "13", "--vocab-size", "101", "--seed", "3"],
    "tiny-f16": ["--preset", "tiny", "--dtype", "f16", "--seed", "4"],
    "tiny-bf16": ["--preset", "tiny", "--dtype", "bf16", "--seed", "5"],
    # Hugging Face's layout: the reference reads the shards on its own
    # (yan_model.read_checkpoint_weights).
    "tiny-bf16-sharded": ["--preset", "tiny", "--dtype", "bf16", "--seed", "6",
                          "--shards", "3"],
}


def run(*args):
    result = subprocess.run(list(args), capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result.stdout


def prompt_of(length, vocab, seed):
    rng = np.random.default_rng(seed)
    return [int(t) for t in rng.integers(0, vocab, size=length)]


class NumericsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORK, ignore_errors=True)
        os.makedirs(WORK)

    def check_shape(self, name, gen_args):
        model = os.path.join(WORK, name)
        run(os.path.join(BIN, "yan-model-gen"), model, *gen_args)
        bundle = os.path.join(WORK, name + ".yanb")
        run(os.path.join(BIN, "yanc"), model, "-o", bundle)
        with open(os.path.join(model, "config.json")) as f:
            vocab = json.load(f)["vocab_size"]
        for length in PROMPT_LENGTHS:
            with self.subTest(model=name, prompt_length=length):
                prompt = ",".join(map(str, prompt_of(length, vocab, length)))
                ref_logits = os.path.join(WORK, f"{name}-{length}.ref.f32")
                golden = json.loads(run(
                    "/usr/bin/python3", os.path.join(REFERENCE, "golden.py"), model,
                    "--prompt", prompt, "--steps", str(DECODE_STEPS),
                    "--logits", ref_logits))
                ours_logits = os.path.join(WORK, f"{name}-{length}.ours.f32")
                out = run(os.path.join(BIN, "yan-run"), bundle, "--prompt", prompt,
                          "--max-tokens", str(DECODE_STEPS),
                          "--dump-logits", ours_logits)
                ref = np.fromfile(ref_logits, "<f4").reshape(-1, vocab)
                ours = np.fromfile(ours_logits, "<f4").reshape(-1, vocab)
                self.assertEqual(ours.shape, ref.shape)
                error = np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-3)
                print(f"{name} prompt={length}: max relative error {error:.2e}",
                      file=sys.stderr)
                self.assertLessEqual(error, TOLERANCE)
                line = next(l for l in out.splitlines() if l.startswith("generated:"))
                generated = [int(t) for t in line.split(":", 1)[1].split()]
                self.assertEqual(generated, golden["generated"])
        os.remove(bundle)
        shutil.rmtree(model)


def _make_test(name, gen_args):
    return lambda self: self.check_shape(name, gen_args)


for _name, _args in SHAPES.items():
    setattr(NumericsTest, "test_" + _name.replace("-", "_"), _make_test(_name, _args))

if __name__ == "__main__":
    main(WORK)
