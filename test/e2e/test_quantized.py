#!/usr/bin/python3
"""int8 / int4 bundles end to end against the PyTorch reference run on the
dequantized weights (test/reference/golden.py --dequantize, docs/yan-model.md
section 9): yan-model-gen -> yanc --weights int8|int4 -> yan-run, on every
target's quantized kernels (natively x86-64-v3, -v4 and -v4-bf16, under qemu-user
AArch64 and RISC-V RVV at VLEN 128 and 256).

The same metric as test_numerics.py: max |ours - ref| / max(|ref|, 1e-3)
over all logits <= 1e-4 and identical greedy tokens. A 1-token prompt runs
the fused matrix x vector kernels only; longer prompts run the prefill
kernels over dequantized tiles, then the 32 decode steps the fused ones.
test_learning: on-device learning on an int4 bundle (its trained partitions
in f32 copies of their dequantized values, docs/learning.md) against
test/reference/local_update.py --dequantize int4, natively and under qemu
(AArch64, RISC-V RVV at VLEN 128): the tolerances of test/e2e/learn_check.py.

Run by ctest with YAN_BIN, YAN_WORK and, for the cross targets,
YAN_RUN_AARCH64, YAN_RUN_RISCV64, YAN_QEMU_AARCH64, YAN_QEMU_RISCV64;
`setup` makes the models and reference logits once (a ctest fixture)."""

import json
import os
import shutil
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "reference")
sys.path.insert(0, HERE)
from learn_check import compare, learn_flags, reference, run  # noqa: E402
from e2e_main import discard_outputs, main  # noqa: E402
BIN = os.environ.get("YAN_BIN", os.path.join(HERE, "..", "..", "build", "bin"))
WORK = os.environ.get("YAN_WORK", "/tmp/yan-quantized")
TOLERANCE = 1e-4
DECODE_STEPS = 32
FORMATS = ("int8", "int4")

# name -> (yan-model-gen arguments, prompt lengths natively, under qemu).
# odd: D=196 (six full groups and a 4-column group in every D-wide row: on
# x86-64-v4-bf16 one four-group step of the int4 pair-dot kernel, two groups
# on its f32 path and the short group), F=13 (w2's rows are one short group),
# V=101, K=1, k=P=4.
MODELS = {
    "tiny": (["--preset", "tiny"], (1, 7, 64), (7,)),
    "odd": (["--preset", "tiny", "--hidden-size", "196", "--num-channels", "1",
             "--slope-window", "1", "--num-partitions", "4", "--active-partitions", "4",
             "--partition-size", "13", "--vocab-size", "101", "--seed", "3"],
            (1, 7, 64), (7,)),
    # Natively only: qemu would take minutes per run.
    "small": (["--preset", "small", "--seed", "7"], (1, 64), ()),
}

RISCV_V256 = ["-cpu", "rv64,v=true,vlen=256,vext_spec=v1.0"]
RISCV_V128 = ["-cpu", "rv64,v=true,vlen=128,vext_spec=v1.0"]


def prompt_of(length, vocab, seed):
    rng = np.random.default_rng(seed)
    return [int(t) for t in rng.integers(0, vocab, size=length)]


def model_dir(name):
    return os.path.join(WORK, "models", name)


def reference_base(name, fmt, length):
    return os.path.join(WORK, "reference", f"{name}-{fmt}-{length}")


def setup():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(os.path.join(WORK, "reference"))
    for name, (gen_args, native, cross) in MODELS.items():
        run(os.path.join(BIN, "yan-model-gen"), model_dir(name), *gen_args)
        with open(os.path.join(model_dir(name), "config.json")) as f:
            vocab = json.load(f)["vocab_size"]
        for fmt in FORMATS:
            for length in sorted(set(native) | set(cross)):
                base = reference_base(name, fmt, length)
                run("/usr/bin/python3", os.path.join(REFERENCE, "golden.py"), model_dir(name),
                    "--dequantize", fmt, "--prompt",
                    ",".join(map(str, prompt_of(length, vocab, length))),
                    "--steps", DECODE_STEPS, "--logits", base + ".f32", "--json",
                    base + ".json")


class QuantizedTest(unittest.TestCase):
    def compile(self, name, fmt, label, *flags):
        path = os.path.join(WORK, "bundles", f"{name}-{fmt}-{label}.yanb")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        run(os.path.join(BIN, "yanc"), model_dir(name), "-o", path, "--weights", fmt, *flags)
        return path

    def check(self, label, command, bundle, name, fmt, length):
        base = reference_base(name, fmt, length)
        with open(base + ".json") as f:
            golden = json.load(f)
        vocab = golden["config"]["vocab_size"]
        ours_path = os.path.join(WORK, "out", f"{label}-{name}-{fmt}-{length}.f32")
        os.makedirs(os.path.dirname(ours_path), exist_ok=True)
        out = run(*command, bundle, "--prompt", ",".join(map(str, golden["prompt"])),
                  "--max-tokens", DECODE_STEPS, "--dump-logits", ours_path)
        ref = np.fromfile(base + ".f32", "<f4").reshape(-1, vocab)
        ours = np.fromfile(ours_path, "<f4").reshape(-1, vocab)
        what = f"{label} {name} {fmt} prompt={length}"
        self.assertEqual(ours.shape, ref.shape, what)
        error = np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-3)
        print(f"{what}: max relative error {error:.2e}", file=sys.stderr)
        self.assertLessEqual(error, TOLERANCE, what)
        line = next(l for l in out.splitlines() if l.startswith("generated:"))
        self.assertEqual([int(t) for t in line.split(":", 1)[1].split()],
                         golden["generated"], what)

    def check_target(self, label, command, flags, native):
        for name, (_, native_lengths, cross_lengths) in MODELS.items():
            lengths = native_lengths if native else cross_lengths
            if not lengths:
                continue
            for fmt in FORMATS:
                bundle = self.compile(name, fmt, label, *flags)
                for length in lengths:
                    self.check(label, command, bundle, name, fmt, length)

    def test_x86_64_v3(self):
        self.check_target("x86-64-v3", [os.path.join(BIN, "yan-run")],
                          ["--target", "x86_64-linux-gnu", "--cpu", "x86-64-v3"], True)

    @unittest.skipUnless("avx512f" in open("/proc/cpuinfo").read(),
                         "this machine has no AVX-512")
    def test_x86_64_v4(self):
        self.check_target("x86-64-v4", [os.path.join(BIN, "yan-run")],
                          ["--target", "x86_64-linux-gnu", "--cpu", "x86-64-v4"], True)

    # The int4 decode kernel on bf16 pair dots (docs/codegen.md): q looked up
    # as bf16, x in two bf16 limbs, each product within 2^-18 of f32's.
    @unittest.skipUnless("avx512_bf16" in open("/proc/cpuinfo").read(),
                         "this machine has no AVX512-BF16")
    def test_x86_64_v4_bf16(self):
        self.check_target("x86-64-v4-bf16", [os.path.join(BIN, "yan-run")],
                          ["--target", "x86_64-linux-gnu", "--cpu", "x86-64-v4-bf16"], True)

    def test_aarch64(self):
        command = [os.environ["YAN_QEMU_AARCH64"], os.environ["YAN_RUN_AARCH64"]]
        self.check_target("aarch64", command,
                          ["--target", "aarch64-linux-gnu", "--cpu", "cortex-a76"], False)

    def test_riscv64(self):
        flags = ["--target", "riscv64-linux-gnu", "--cpu", "rv64gcv"]
        for vlen, cpu in (("vlen256", RISCV_V256), ("vlen128", RISCV_V128)):
            command = [os.environ["YAN_QEMU_RISCV64"], *cpu, os.environ["YAN_RUN_RISCV64"]]
            self.check_target(f"riscv64-{vlen}", command, flags, False)

    def check_learning(self, label, command, bundle, name, fmt):
        prefix = os.path.join(WORK, "out", f"{label}-{name}-{fmt}-learn")
        os.makedirs(os.path.dirname(prefix), exist_ok=True)
        with open(os.path.join(model_dir(name), "config.json")) as f:
            vocab = json.load(f)["vocab_size"]
        tokens = prompt_of(24, vocab, 24)
        hyper = {"weight_decay": 0.05}
        ref_report, ref_tensors = reference(model_dir(name), tokens, prefix + ".ref", 3,
                                            "adamw", 0.1, None, fmt, **hyper)
        run(*command, bundle, *learn_flags(tokens, 3, "adamw", 0.1, **hyper),
            "--learn-report", prefix + ".json", "--dump-gradients", prefix,
            "--dump-partitions", prefix + ".ffn.f32")
        compare(self, f"{label} {name} {fmt} learn", model_dir(name), prefix, ref_report,
                ref_tensors, prefix + ".json", prefix + ".ffn.f32", dequantize=fmt)
        discard_outputs(prefix)
        print(f"{label} {name} {fmt}: learn gradients and weights match the reference",
              file=sys.stderr)

    def test_learning(self):
        targets = [("x86-64-v3", [os.path.join(BIN, "yan-run")],
                    ["--target", "x86_64-linux-gnu", "--cpu", "x86-64-v3"])]
        if "YAN_QEMU_RISCV64" in os.environ:
            targets += [
                ("aarch64", [os.environ["YAN_QEMU_AARCH64"], os.environ["YAN_RUN_AARCH64"]],
                 ["--target", "aarch64-linux-gnu", "--cpu", "cortex-a76"]),
                ("riscv64-vlen128", [os.environ["YAN_QEMU_RISCV64"], *RISCV_V128,
                                     os.environ["YAN_RUN_RISCV64"]],
                 ["--target", "riscv64-linux-gnu", "--cpu", "rv64gcv"])]
        for label, command, flags in targets:
            for name in ("tiny", "odd"):
                bundle = self.compile(name, "int4", label, *flags)
                self.check_learning(label, command, bundle, name, "int4")


if __name__ == "__main__":
    main(WORK, setup)
