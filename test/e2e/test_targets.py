#!/usr/bin/python3
"""Compile-and-run on every target against the PyTorch reference.

The host's yanc compiles each model for x86-64, AArch64 and RISC-V (and into
one multi-target bundle); the cross-built yan-run (static, see
cmake/toolchains/) runs each bundle under qemu-user, and the logits must
match test/reference/golden.py as on x86: max |ours - ref| / max(|ref|, 1e-3)
<= 1e-4 over every row, and identical greedy tokens. Also: the runtime's CPU
checks refuse images the emulated CPU cannot run (never SIGILL), and the
static library (yanc --emit=static-lib) runs in examples/firmware without
the runtime.

  test_targets.py setup            models + reference logits (ctest fixture)
  test_targets.py TEST_NAME...     unittest names, e.g. TargetsTest.test_aarch64

Environment (ctest sets it): YAN_BIN (host bin/), YAN_WORK (scratch dir),
YAN_RUN_AARCH64 / YAN_RUN_RISCV64 (cross-built yan-run), YAN_QEMU_AARCH64 /
YAN_QEMU_RISCV64, YAN_SOURCE (checkout), YAN_TIMINGS (optional file: qemu
wall times per decode step are appended to it).
"""

import json
import os
import shutil
import subprocess
import sys
import time
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from learn_check import compare, learn_flags, reference  # noqa: E402
from yan_model import read_safetensors  # noqa: E402  (path set by learn_check)

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("YAN_SOURCE", os.path.join(HERE, "..", ".."))
REFERENCE = os.path.join(SOURCE, "test", "reference")
sys.path.insert(0, os.path.join(SOURCE, "test", "tools", "Inputs"))
import image_choice  # noqa: E402  (selectImage's rule, shared with the lit tests)
from e2e_main import discard_outputs, main  # noqa: E402
BIN = os.environ.get("YAN_BIN", os.path.join(SOURCE, "build", "bin"))
WORK = os.environ.get("YAN_WORK", "/tmp/yan-targets")
TOLERANCE = 1e-4
DECODE_STEPS = 32

# The reference machines' qemu 7.2 with RVV 1.0 at two vector lengths: the
# kernels' fixed 8 x f32 vectors span one register at VLEN 256 and a
# register group of two at VLEN 128.
RISCV_V256 = ["-cpu", "rv64,v=true,vlen=256,vext_spec=v1.0"]
RISCV_V128 = ["-cpu", "rv64,v=true,vlen=128,vext_spec=v1.0"]
RISCV_NO_V = ["-cpu", "rv64"]

# tiny: the preset. mid: every dimension off the kernels' 8-lane vectors and
# 4-row blocks (D=134: 16 vectors + 6-column tail, 2-row tail; F=75; V=1001;
# P=6 router rows), two channels of 67, K=3, and a 70-token prompt that the
# runtime splits into prefill chunks of 64 + 6.
MODELS = {
    "tiny": (["--preset", "tiny"], (1, 7, 64)),
    "mid": (["--preset", "tiny", "--vocab-size", "1001", "--hidden-size", "134",
             "--num-channels", "2", "--slope-window", "3", "--num-partitions", "6",
             "--active-partitions", "2", "--partition-size", "75", "--seed", "11"],
            (1, 7, 70)),
}

# f16 weights on CPUs without a hardware f16 -> f32 conversion (RISC-V
# without Zfhmin, x86-64-v2 without F16C): the kernels widen f16 with
# integer operations, since an image cannot import __extendhfsf2, and must
# match the reference as closely as the conversion instruction does.
F16_MODELS = {
    "tiny-f16": (["--preset", "tiny", "--dtype", "f16", "--seed", "5"], (7, 64)),
}


def run(*args, check=True):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def prompt_of(length, vocab, seed):
    rng = np.random.default_rng(seed)
    return [int(t) for t in rng.integers(0, vocab, size=length)]


def model_dir(name):
    return os.path.join(WORK, "models", name)


def reference_of(name, length):
    base = os.path.join(WORK, "reference", f"{name}-{length}")
    with open(base + ".json") as f:
        golden = json.load(f)
    return golden, base + ".f32"


# The learn check on every target: an AdamW step with clipping then an SGD
# step with momentum would need two runs; one run of 2 AdamW steps with
# clipping exercises the whole learn graph and the optimizer entry.
LEARN_STEPS = 2
LEARN_CLIP = 0.1


def learn_tokens(name):
    with open(os.path.join(model_dir(name), "config.json")) as f:
        vocab = json.load(f)["vocab_size"]
    return prompt_of(30, vocab, 30)


def learn_reference(name):
    return os.path.join(WORK, "reference", f"{name}-learn")


def setup():
    """Generates the models and their reference logits once for all tests."""
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(os.path.join(WORK, "reference"))
    for name, (gen_args, lengths) in {**MODELS, **F16_MODELS}.items():
        run(os.path.join(BIN, "yan-model-gen"), model_dir(name), *gen_args)
        with open(os.path.join(model_dir(name), "config.json")) as f:
            vocab = json.load(f)["vocab_size"]
        for length in lengths:
            base = os.path.join(WORK, "reference", f"{name}-{length}")
            prompt = prompt_of(length, vocab, length)
            run("/usr/bin/python3", os.path.join(REFERENCE, "golden.py"), model_dir(name),
                "--prompt", ",".join(map(str, prompt)), "--steps", DECODE_STEPS,
                "--logits", base + ".f32", "--json", base + ".json")
        reference(model_dir(name), learn_tokens(name), learn_reference(name), LEARN_STEPS,
                  "adamw", LEARN_CLIP)


class TargetsTest(unittest.TestCase):
    def compile(self, name, out, *flags):
        path = os.path.join(WORK, "bundles", out)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        run(os.path.join(BIN, "yanc"), model_dir(name), "-o", path, *flags)
        return path

    def check_logits(self, label, ours_path, ref_path, vocab, generated, golden):
        ref = np.fromfile(ref_path, "<f4").reshape(-1, vocab)
        ours = np.fromfile(ours_path, "<f4").reshape(-1, vocab)
        self.assertEqual(ours.shape, ref.shape, label)
        error = np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-3)
        print(f"{label}: max relative error {error:.2e}", file=sys.stderr)
        self.assertLessEqual(error, TOLERANCE, label)
        self.assertEqual(generated, golden["generated"], label)

    def check_runs(self, label, command, bundle, name):
        """yan-run `bundle` through `command` for every prompt of `name`."""
        _, lengths = {**MODELS, **F16_MODELS}[name]
        for length in lengths:
            golden, ref_path = reference_of(name, length)
            vocab = golden["config"]["vocab_size"]
            ours_path = os.path.join(WORK, "out", f"{label}-{name}-{length}.f32")
            os.makedirs(os.path.dirname(ours_path), exist_ok=True)
            start = time.monotonic()
            out = run(*command, bundle, "--prompt", ",".join(map(str, golden["prompt"])),
                      "--max-tokens", DECODE_STEPS, "--dump-logits", ours_path).stdout
            seconds = time.monotonic() - start
            line = next(l for l in out.splitlines() if l.startswith("generated:"))
            generated = [int(t) for t in line.split(":", 1)[1].split()]
            self.check_logits(f"{label} {name} prompt={length}", ours_path, ref_path, vocab,
                              generated, golden)
            timings = os.environ.get("YAN_TIMINGS")
            if timings:
                with open(timings, "a") as f:
                    f.write(f"{label} {name} prompt={length}: {seconds:.2f} s wall "
                            f"(process, prefill + {DECODE_STEPS} decode steps)\n")

    def check_learning(self, label, command, bundle, name):
        """yan-run --learn on `bundle` through `command` (qemu for cross
        targets): gradients and updated weights against local_update.py."""
        prefix = os.path.join(WORK, "out", f"{label}-{name}-learn")
        os.makedirs(os.path.dirname(prefix), exist_ok=True)
        run(*command, bundle, *learn_flags(learn_tokens(name), LEARN_STEPS, "adamw",
                                           LEARN_CLIP),
            "--learn-report", prefix + ".json", "--dump-gradients", prefix,
            "--dump-partitions", prefix + ".ffn.f32")
        ref_prefix = learn_reference(name)
        with open(ref_prefix + ".json") as f:
            ref_report = json.load(f)
        ref_tensors, _ = read_safetensors(ref_prefix + ".safetensors")
        compare(self, f"{label} {name} learn", model_dir(name), prefix, ref_report,
                ref_tensors, prefix + ".json", prefix + ".ffn.f32")
        discard_outputs(prefix)
        print(f"{label} {name}: learn gradients and weights match the reference",
              file=sys.stderr)

    def refused(self, command, bundle, *fragments):
        result = run(*command, bundle, "--prompt", "1,2,3", check=False)
        self.assertEqual(result.returncode, 1, result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, result.stderr)
        self.assertNotIn("generated:", result.stdout)

    @staticmethod
    def aarch64():
        return [os.environ["YAN_QEMU_AARCH64"], os.environ["YAN_RUN_AARCH64"]]

    @staticmethod
    def riscv64(cpu):
        return [os.environ["YAN_QEMU_RISCV64"], *cpu, os.environ["YAN_RUN_RISCV64"]]

    def test_x86_64(self):
        for name in MODELS:
            bundle = self.compile(name, f"{name}-x86.yanb", "--target", "x86_64-linux-gnu",
                                  "--cpu", "x86-64-v3")
            self.check_runs("x86_64", [os.path.join(BIN, "yan-run")], bundle, name)
            self.check_learning("x86_64", [os.path.join(BIN, "yan-run")], bundle, name)

    def test_aarch64(self):
        for name in MODELS:
            bundle = self.compile(name, f"{name}-a76.yanb", "--target", "aarch64-linux-gnu",
                                  "--cpu", "cortex-a76")
            self.check_runs("aarch64-cortex-a76", self.aarch64(), bundle, name)
            self.check_learning("aarch64-cortex-a76", self.aarch64(), bundle, name)
        # The in-order preset's code runs too (qemu's CPU has its features).
        bundle = self.compile("tiny", "tiny-a53.yanb", "--target", "aarch64-linux-gnu",
                              "--cpu", "cortex-a53")
        self.check_runs("aarch64-cortex-a53", self.aarch64(), bundle, "tiny")

    def test_riscv64(self):
        for name in MODELS:
            bundle = self.compile(name, f"{name}-rvv.yanb", "--target", "riscv64-linux-gnu",
                                  "--cpu", "rv64gcv")
            self.check_runs("riscv64-rvv-vlen256", self.riscv64(RISCV_V256), bundle, name)
            self.check_runs("riscv64-rvv-vlen128", self.riscv64(RISCV_V128), bundle, name)
            self.check_learning("riscv64-rvv-vlen256", self.riscv64(RISCV_V256), bundle, name)
            self.check_learning("riscv64-rvv-vlen128", self.riscv64(RISCV_V128), bundle, name)
        # A bundle holding only RVV code on a CPU without V: a clear refusal
        # naming the extension, not SIGILL.
        self.refused(self.riscv64(RISCV_NO_V), os.path.join(WORK, "bundles", "tiny-rvv.yanb"),
                     "UNSUPPORTED_CPU",
                     "needs the V vector extension (v, RVV 1.0), which this CPU lacks")

    def test_f16_without_native_conversion(self):
        yan_run = [os.path.join(BIN, "yan-run")]
        for name in F16_MODELS:
            # rv64gcv has no Zfhmin; x86-64-v2 has no F16C. x86-64-v3 (F16C)
            # converts in hardware: the same reference for both paths.
            bundle = self.compile(name, f"{name}-rvv.yanb", "--target", "riscv64-linux-gnu",
                                  "--cpu", "rv64gcv")
            self.check_runs("riscv64-rvv-f16", self.riscv64(RISCV_V256), bundle, name)
            # f16 partitions are trained in f32 copies, widened without the
            # conversion instruction here too.
            self.check_learning("riscv64-rvv-f16", self.riscv64(RISCV_V256), bundle, name)
            bundle = self.compile(name, f"{name}-rv64gc.yanb", "--target",
                                  "riscv64-linux-gnu", "--cpu", "rv64gc")
            self.check_runs("riscv64-no-v-f16", self.riscv64(RISCV_NO_V), bundle, name)
            bundle = self.compile(name, f"{name}-v2.yanb", "--target", "x86_64-linux-gnu",
                                  "--cpu", "x86-64-v2")
            self.check_runs("x86_64-v2-f16", yan_run, bundle, name)
            self.check_learning("x86_64-v2-f16", yan_run, bundle, name)
            bundle = self.compile(name, f"{name}-v3.yanb", "--target", "x86_64-linux-gnu",
                                  "--cpu", "x86-64-v3")
            self.check_runs("x86_64-v3-f16", yan_run, bundle, name)
            self.check_learning("x86_64-v3-f16", yan_run, bundle, name)
            bundle = self.compile(name, f"{name}-a76.yanb", "--target", "aarch64-linux-gnu",
                                  "--cpu", "cortex-a76")
            self.check_learning("aarch64-cortex-a76-f16", self.aarch64(), bundle, name)

    def test_riscv64_vlen_requirements(self):
        # spacemit-x60 code assumes VLEN >= 256: refused at VLEN 128 (and,
        # on qemu 7.2, its scalar extensions cannot be proven either).
        bundle = self.compile("tiny", "tiny-x60.yanb", "--target", "riscv64-linux-gnu",
                              "--cpu", "spacemit-x60")
        self.refused(self.riscv64(RISCV_V128), bundle, "UNSUPPORTED_CPU",
                     "needs VLEN >= 256 bits (zvl256b), but this CPU's VLEN is 128")

    def test_multi_target_bundle(self):
        # One bundle, four images; each CPU gets the best image it can run:
        # the rv64gc fallback where V is missing.
        flags = ["--target", "x86_64-linux-gnu", "--cpu", "x86-64-v3",
                 "--target", "aarch64-linux-gnu", "--cpu", "cortex-a76",
                 "--target", "riscv64-linux-gnu", "--cpu", "rv64gcv",
                 "--target", "riscv64-linux-gnu", "--cpu", "rv64gc"]
        for name in MODELS:
            bundle = self.compile(name, f"{name}-multi.yanb", *flags)
            dump = run(os.path.join(BIN, "yan-dump"), bundle).stdout
            self.assertEqual(dump.count("requires "), 4, dump)
            self.check_runs("multi-x86_64", [os.path.join(BIN, "yan-run")], bundle, name)
            self.check_runs("multi-aarch64", self.aarch64(), bundle, name)
            self.check_runs("multi-riscv64-vlen256", self.riscv64(RISCV_V256), bundle, name)
            self.check_runs("multi-riscv64-no-v", self.riscv64(RISCV_NO_V), bundle, name)

    def test_aarch64_image_selection(self):
        # A cortex-a53 and a cortex-a76 image: each emulated CPU loads the
        # image with the most required features it has (qemu's default CPU
        # has the a76's, a cortex-a53 lacks lse, rdm, dotprod, ...), decided
        # here from the features the cross-built runtime detects under that
        # CPU (test/tools/Inputs/image_choice.py, selectImage's rule).
        bundle = self.compile("tiny", "tiny-a53-a76.yanb",
                              "--target", "aarch64-linux-gnu", "--cpu", "cortex-a53",
                              "--target", "aarch64-linux-gnu", "--cpu", "cortex-a76")
        qemu, yan_run = self.aarch64()
        yan_dump = os.path.join(os.path.dirname(yan_run), "yan-dump")
        loaded = {}
        os.makedirs(os.path.join(WORK, "out"), exist_ok=True)
        for label, cpu in [("max", []), ("cortex-a53", ["-cpu", "cortex-a53"])]:
            files = os.path.join(WORK, "out", f"selection-{label}")
            with open(files + ".cpu-info", "w") as f:
                f.write(run(qemu, *cpu, yan_run, "--cpu-info").stdout)
            with open(files + ".json", "w") as f:
                f.write(run(qemu, *cpu, yan_dump, bundle, "--json").stdout)
            expected = image_choice.expected(files + ".json", files + ".cpu-info")
            loaded[label] = image_choice.loaded(files + ".json")
            self.assertEqual(loaded[label], expected, label)
            self.check_runs(f"aarch64-select-{label}", [qemu, *cpu, yan_run], bundle, "tiny")
        # The two emulated CPUs exercise both images.
        self.assertEqual(loaded, {"max": "cortex-a76 '+dotprod'", "cortex-a53": "cortex-a53 ''"})

    def check_firmware(self, label, target_flags, compiler, emulator):
        """examples/firmware linked with yanc's static library, no runtime."""
        out = os.path.join(WORK, "firmware", label)
        os.makedirs(out, exist_ok=True)
        # Firmware keeps weights in flash: pack partitions (no page padding).
        run(os.path.join(BIN, "yanc"), model_dir("mid"), "--emit=static-lib",
            "--partition-alignment", "0", *target_flags, "-o", os.path.join(out, "libmodel.a"))
        program = os.path.join(out, "firmware")
        run(compiler, "-static", "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", out,
            os.path.join(SOURCE, "examples", "firmware", "main.c"),
            os.path.join(out, "libmodel.a"), "-o", program)
        for length in MODELS["mid"][1]:
            golden, ref_path = reference_of("mid", length)
            ours_path = os.path.join(out, f"{length}.f32")
            stdout = run(*emulator, program, ",".join(map(str, golden["prompt"])),
                         DECODE_STEPS, ours_path).stdout
            line = next(l for l in stdout.splitlines() if l.startswith("generated:"))
            generated = [int(t) for t in line.split(":", 1)[1].split()]
            self.check_logits(f"firmware {label} prompt={length}", ours_path, ref_path,
                              golden["config"]["vocab_size"], generated, golden)

    def test_firmware_aarch64(self):
        self.check_firmware("aarch64", ["--target", "aarch64-linux-gnu", "--cpu", "cortex-a76"],
                            "aarch64-linux-gnu-gcc", [os.environ["YAN_QEMU_AARCH64"]])

    def test_firmware_x86_64(self):
        self.check_firmware("x86_64", ["--target", "x86_64-linux-gnu", "--cpu", "x86-64-v3"],
                            "gcc", [])


if __name__ == "__main__":
    main(WORK, setup)
