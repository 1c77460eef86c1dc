"""Fixtures for the Python bindings' tests: bundles compiled once per run
with this build's yan-model-gen and yanc (YAN_BIN), and helpers that run the
C tools the bindings are compared with.

ctest sets YAN_BIN, puts the yan package under test on PYTHONPATH and names
it in YAN_EXPECT_PACKAGE (test/python/CMakeLists.txt, install-test.sh). Nothing here skips: a missing tool or module
is a failure, and so is a run that collects no tests."""

import json
import os
import subprocess

import numpy as np
import pytest

BIN = os.environ.get("YAN_BIN")
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tool(name):
    assert BIN, "YAN_BIN (the build's bin/) is not set"
    path = os.path.join(BIN, name)
    assert os.access(path, os.X_OK), f"{path} is not built"
    return path


def run(*args, **kwargs):
    """Runs a C tool; returns its stdout (fails the test on a non-zero exit)."""
    proc = subprocess.run([str(a) for a in args], capture_output=True, **kwargs)
    assert proc.returncode == 0, (
        f"{' '.join(map(str, args))} exited {proc.returncode}:\n"
        f"{proc.stderr.decode(errors='replace')}")
    return proc.stdout


def ids(tokens):
    return ",".join(str(t) for t in tokens)


def yan_run(bundle, *flags):
    """yan-run BUNDLE FLAGS; returns (generated ids, stdout text)."""
    out = run(tool("yan-run"), bundle, "--threads", 1, *flags).decode()
    generated = []
    for line in out.splitlines():
        if line.startswith("generated:"):
            generated = [int(t) for t in line.split(":", 1)[1].split()]
    return generated, out


def read_rows(path, vocab):
    """yan-run --dump-logits: raw little-endian float32 rows of V."""
    data = np.fromfile(path, dtype="<f4")
    assert data.size % vocab == 0
    return data.reshape(-1, vocab)


def read_report(path):
    with open(path) as f:
        return json.load(f)


def compile_model(work, name, gen_args=(), yanc_args=(), tokenizer=False):
    model = work / name
    run(tool("yan-model-gen"), model, "--preset", "tiny", *gen_args)
    if tokenizer:
        run("/usr/bin/python3", os.path.join(SOURCE, "test/tools/Inputs/make_spm_model.py"),
            model / "tokenizer.model")
    bundle = work / (name + ".yanb")
    run(tool("yanc"), model, "-o", bundle, *yanc_args)
    return bundle


@pytest.fixture(scope="session", autouse=True)
def module_under_test():
    """The copy of yan the caller meant (build tree, pip target, prefix)."""
    import yan
    expected = os.environ.get("YAN_EXPECT_PACKAGE")
    assert expected, "YAN_EXPECT_PACKAGE (the yan package directory under test) is not set"
    assert os.path.dirname(os.path.realpath(yan.__file__)) == os.path.realpath(expected)


@pytest.fixture(scope="session")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("yan-python")


@pytest.fixture(scope="session")
def tiny(work):
    """The tiny preset (V 256, learn entries, no tokenizer)."""
    return compile_model(work, "tiny")


@pytest.fixture(scope="session")
def other_tiny(work):
    """Same shape, other weights: deltas from `tiny` do not belong to it."""
    return compile_model(work, "tiny-seed7", gen_args=("--seed", "7"))


@pytest.fixture(scope="session")
def with_tokenizer(work):
    """V 300 with test/tools/Inputs/make_spm_model.py's tokenizer."""
    return compile_model(work, "tok", gen_args=("--vocab-size", "300"), tokenizer=True)


@pytest.fixture(scope="session")
def signed(work):
    """(bundle signed by key, key.pub, another key's .pub)."""
    key, other = work / "key", work / "other"
    run(tool("yan-keygen"), key)
    run(tool("yan-keygen"), other)
    bundle = compile_model(work, "signed", yanc_args=("--sign-key", key))
    return bundle, work / "key.pub", work / "other.pub"


def pytest_sessionfinish(session, exitstatus):
    # ctest fails on any non-zero exit, pytest's 5 (no tests) included; say so
    # plainly rather than pass on a selection that matched nothing.
    if session.testscollected == 0:
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED
