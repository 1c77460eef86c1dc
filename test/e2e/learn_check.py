"""Shared by test_learn.py and test_targets.py: run `yan-run --learn` and
compare what it learned with test/reference/local_update.py.

Gradients of the chosen partitions: max |ours - ref| / max |ref| per tensor
<= 1e-4 (the issue's bound). Weights after the steps, per tensor the
reference changed: |ours - ref| <= 1e-4 * max |ref - original| plus four
units in the last place of the tensor's largest weight (the updated weight
is rounded to f32 once per step, in either implementation). AdamW divides
each element's step by that element's own running gradient magnitude, which
amplifies the ~1e-6 relative differences of the gradients (summation order)
where an element's gradients are small or cancel across steps: its bound is
2e-3 of the largest change, and where the reference's gradient is at
float-noise level (below 1e-4 of the tensor's largest, in any step that
trained it) the step is noise in both implementations: there the bound is
AdamW's largest step, lr per step.
Every partition the reference left alone must be bit-identical to the
original (an int8/int4 bundle's: to its dequantized values, which is what
yan-run --dump-partitions writes for a partition without an f32 copy). Losses, chosen partitions and gradient norms per step match too."""

import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("YAN_SOURCE", os.path.join(HERE, "..", ".."))
REFERENCE = os.path.join(SOURCE, "test", "reference")
sys.path.insert(0, REFERENCE)
from yan_model import read_safetensors  # noqa: E402

GRAD_TOLERANCE = 1e-4
WEIGHT_TOLERANCE = {"sgd": 1e-4, "adamw": 2e-3}
NOISE_LEVEL = 1e-4
LOSS_TOLERANCE = 1e-5

OPTIMIZER_FLAGS = ("lr", "momentum", "beta1", "beta2", "eps", "weight_decay")


def run(*args):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result.stdout


def reference(model, tokens, prefix, steps, optimizer, clip=None, partitions=None,
              dequantize=None, **hyper):
    args = ["/usr/bin/python3", os.path.join(REFERENCE, "local_update.py"), model,
            "--tokens", ",".join(map(str, tokens)), "--out", prefix,
            "--steps", str(steps), "--optimizer", optimizer]
    if dequantize:
        args += ["--dequantize", dequantize]
    for name, value in hyper.items():
        args += ["--" + name.replace("_", "-"), repr(value)]
    if clip is not None:
        args += ["--clip", repr(clip)]
    if partitions is not None:
        args += ["--learn-partitions", str(partitions)]
    run(*args)
    with open(prefix + ".json") as f:
        report = json.load(f)
    tensors, _ = read_safetensors(prefix + ".safetensors")
    return report, tensors


def learn_flags(tokens, steps, optimizer, clip=None, partitions=None, **hyper):
    flags = ["--learn", ",".join(map(str, tokens)), "--steps", str(steps),
             "--optimizer", optimizer]
    for name, value in hyper.items():
        flags += ["--" + name.replace("_", "-"), repr(value)]
    if clip is not None:
        flags += ["--clip", repr(clip)]
    if partitions is not None:
        flags += ["--learn-partitions", str(partitions)]
    return flags


def config_of(model):
    with open(os.path.join(model, "config.json")) as f:
        return json.load(f)


def start_weights(model, dequantize=None):
    """The checkpoint's tensors as a bundle computes with them: as stored,
    or (an int8/int4 bundle) every FFN partition quantized and dequantized."""
    original, _ = read_safetensors(os.path.join(model, "model.safetensors"))
    if dequantize:
        import torch
        from quant_formats import roundtrip
        for name in original:
            if ".ffn." in name:
                original[name] = roundtrip(torch.from_numpy(original[name].astype(np.float32)),
                                           dequantize, name).numpy()
    return original


def compare(test, label, model, prefix, ref_report, ref_tensors, ours_report_path,
            ours_partitions_path=None, check_weights=True, dequantize=None):
    optimizer = ref_report["optimizer"]
    adamw = optimizer["name"] == "adamw"
    """Compares a yan-run learn run (its --learn-report, --dump-gradients
    PREFIX.s.f32 files and --dump-partitions file) with the reference."""
    cfg = config_of(model)
    L, P, F, D = (cfg["num_layers"], cfg["num_partitions"], cfg["partition_size"],
                  cfg["hidden_size"])
    m_limit = None
    with open(ours_report_path) as f:
        ours = json.load(f)
    test.assertEqual(len(ours["steps"]), len(ref_report["updates"]), label)
    for s, (mine, ref) in enumerate(zip(ours["steps"], ref_report["updates"])):
        where = f"{label} step {s}"
        test.assertEqual(mine["chosen"], ref["chosen"], where)
        test.assertEqual(mine["routed_pairs"], ref["routed_pairs"], where)
        for layer in mine["chosen"]:
            m_limit = max(m_limit or 0, len(layer))
        test.assertLessEqual(abs(mine["loss"] - ref["loss"]),
                             LOSS_TOLERANCE * max(1.0, abs(ref["loss"])), where)
        test.assertLessEqual(abs(mine["grad_norm"] - ref["grad_norm"]),
                             GRAD_TOLERANCE * max(ref["grad_norm"], 1e-30), where)
        grads = np.fromfile(f"{prefix}.{s}.f32", dtype="<f4")
        offset = 0
        for l in range(L):
            for p in ref["chosen"][l]:
                for n in ("w1", "w3", "w2"):
                    name = f"update.{s}.grad.layers.{l}.ffn.{n}.{p}"
                    expected = ref_tensors[name].reshape(-1)
                    got = grads[offset:offset + F * D]
                    offset += F * D
                    err = np.abs(got - expected).max() / max(np.abs(expected).max(), 1e-30)
                    test.assertLessEqual(err, GRAD_TOLERANCE, f"{where} layer {l} partition {p} {n}")
        test.assertEqual(offset, grads.size, f"{where}: gradient file size")
    if not check_weights:
        return
    original = start_weights(model, dequantize)
    dumped = np.fromfile(ours_partitions_path, dtype="<f4").reshape(L, 3, P, F * D)
    for l in range(L):
        for i, n in enumerate(("w1", "w3", "w2")):
            name = f"layers.{l}.ffn.{n}"
            base = original[name].reshape(P, -1)
            for p in range(P):
                # The reference writes the partitions some step trained; the
                # others it left as they were.
                final = ref_tensors.get(f"{name}.{p}", base[p]).reshape(-1)
                change = np.abs(final - base[p]).max()
                if change == 0:
                    test.assertTrue(np.array_equal(dumped[l, i, p], base[p]),
                                    f"{label}: untrained {name}[{p}] changed")
                    continue
                ulps = 4 * np.spacing(np.float32(np.abs(final).max()))
                bound = np.full(final.shape,
                                WEIGHT_TOLERANCE[optimizer["name"]] * change + ulps)
                if adamw:
                    noise = np.zeros(final.shape, dtype=bool)
                    for s, update in enumerate(ref_report["updates"]):
                        if p in update["chosen"][l]:
                            grad = ref_tensors[f"update.{s}.grad.{name}.{p}"].reshape(-1)
                            noise |= np.abs(grad) < NOISE_LEVEL * np.abs(grad).max()
                    bound[noise] = optimizer["lr"] * len(ref_report["updates"])
                err = np.abs(dumped[l, i, p] - final)
                worst = int(np.argmax(err - bound))
                test.assertTrue((err <= bound).all(),
                                f"{label}: {name}[{p}] element {worst}: |ours - ref| = "
                                f"{err[worst]:.3e} > bound {bound[worst]:.3e} "
                                f"(largest change {change:.3e})")
