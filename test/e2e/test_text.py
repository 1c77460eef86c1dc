#!/usr/bin/python3
"""Text in, text out, end to end against the PyTorch reference and
SentencePiece: yan-run --text / --chat, yan-perplexity, --learn-text.

The model is models/yan-mini when its checkpoint is committed (the real
one), else a random model of the same vocabulary with the committed
tokenizer; either way every output is checked against the reference:
  * --text: the greedy continuation, decoded, equals the reference's
    (context = end-of-document + the prompt's ids; stops at end-of-document);
  * --chat: two turns from a pipe, the state carried between them;
  * yan-perplexity: bits_per_byte, tokens and bytes on the held-out file
    equal test/reference/perplexity.py's to 1e-4 (relative);
  * --learn-text: the sentence's loss falls, two calls accumulate in one
    delta, and a fresh process with the delta has the lower loss; on the
    trained model, a taught fact is recalled by a fresh process;
  * clear errors: a bundle without a tokenizer, a FIFO as the text file;
  * 10,000 random byte strings through --chat (tokenizer, runtime and
    streaming decoder) without a failure.

Run by ctest with YAN_BIN (the build's bin/) and YAN_WORK (a scratch dir)."""

import json
import os
import shutil
import subprocess
import sys
import unittest
from e2e_main import main  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
REFERENCE = os.path.join(ROOT, "test", "reference")
MINI = os.path.join(ROOT, "models", "yan-mini")
BIN = os.environ.get("YAN_BIN", os.path.join(ROOT, "build", "bin"))
WORK = os.environ.get("YAN_WORK", "/tmp/yan-e2e-text")
TOLERANCE = 1e-4

sys.path.insert(0, REFERENCE)
import sentencepiece as spm  # noqa: E402
import torch  # noqa: E402
from perplexity import bits_per_byte  # noqa: E402
from yan_model import YanModel  # noqa: E402


def run(*args, stdin=None, check=True):
    result = subprocess.run([str(a) for a in args], capture_output=True, input=stdin)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({result.returncode}):\n"
                             f"{result.stdout!r}\n{result.stderr!r}")
    return result


def reference_continuation(model, sp, state, context, max_tokens):
    """Greedy ids after `context` from `state`; stops at end-of-document
    (not fed). Returns (ids, state after the last fed token)."""
    logits, state = model.forward(context, state)
    row, out = logits[-1], []
    while len(out) < max_tokens:
        token = int(torch.argmax(row))
        if token == sp.eos_id():
            break
        out.append(token)
        row, state = model.step(token, state)
    return out, state


class TextTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORK, ignore_errors=True)
        os.makedirs(WORK)
        cls.model_dir = os.path.join(WORK, "model")
        # A random tiny model with the committed tokenizer: cheap, for the
        # tests that need any model (hostile input).
        cls.random_dir = os.path.join(WORK, "random")
        run(os.path.join(BIN, "yan-model-gen"), cls.random_dir, "--preset", "tiny",
            "--vocab-size", "4096", "--seed", "11")
        shutil.copy(os.path.join(MINI, "tokenizer.model"), cls.random_dir)
        cls.random_bundle = os.path.join(WORK, "random.yanb")
        run(os.path.join(BIN, "yanc"), cls.random_dir, "-o", cls.random_bundle)
        cls.trained = os.path.exists(os.path.join(MINI, "model.safetensors"))
        if cls.trained:
            shutil.copytree(MINI, cls.model_dir)
            cls.bundle = os.path.join(WORK, "model.yanb")
            run(os.path.join(BIN, "yanc"), cls.model_dir, "-o", cls.bundle, "--weights", "f32")
        else:
            cls.model_dir, cls.bundle = cls.random_dir, cls.random_bundle
        cls.sp = spm.SentencePieceProcessor(
            model_file=os.path.join(cls.model_dir, "tokenizer.model"))
        torch.set_num_threads(1)
        cls.model = YanModel.load(cls.model_dir)

    def yan_run(self, *args, stdin=None, check=True):
        return run(os.path.join(BIN, "yan-run"), self.bundle, "--threads", "1", *args,
                   stdin=stdin, check=check)

    def test_text_matches_reference(self):
        for prompt in ["I take my coffee", "A computer is", "  Two spaces\tand a tab"]:
            ids = [self.sp.eos_id()] + self.sp.encode(prompt)
            expected, _ = reference_continuation(self.model, self.sp, None, ids, 24)
            got = self.yan_run("--text", prompt, "--max-tokens", "24").stdout
            text = self.sp.decode(expected)
            if not text.endswith("\n"):
                text += "\n"
            self.assertEqual(got.decode("utf-8", "replace"), text, prompt)

    def test_chat_keeps_state_between_turns(self):
        turns = ["Hello there.", "What is a computer?"]
        state, expected = None, ""
        for turn in turns:
            ids = [self.sp.eos_id()] + self.sp.encode(turn)
            out, state = reference_continuation(self.model, self.sp, state, ids, 12)
            text = self.sp.decode(out)
            expected += text if text.endswith("\n") else text + "\n"
        got = self.yan_run("--chat", "--max-tokens", "12",
                           stdin="\n".join(turns).encode() + b"\n").stdout
        self.assertEqual(got.decode("utf-8", "replace"), expected)

    def test_perplexity_matches_reference(self):
        heldout = os.path.join(MINI, "heldout.txt")
        got = json.loads(run(os.path.join(BIN, "yan-perplexity"), self.bundle, heldout,
                             "--json", "--threads", "1").stdout)
        with open(heldout, encoding="utf-8") as f:
            ref = bits_per_byte(self.model, self.sp, f.read())
        self.assertEqual(got["tokens"], ref["tokens"])
        self.assertEqual(got["bytes"], ref["bytes"])
        # bits_per_byte is the figure compared; perplexity = exp(nats per
        # token) amplifies the same difference by nats per token.
        for key in ("bits_per_byte", "nats_per_token"):
            self.assertLess(abs(got[key] - ref[key]) / ref[key], TOLERANCE, (key, got, ref))

    def test_learn_text_accumulates_in_one_delta(self):
        delta = os.path.join(WORK, "facts.delta")
        facts = ["My dog is called Biscuit.", "I take my coffee without sugar."]
        for i, fact in enumerate(facts):
            args = ["--learn-text", fact, "--save-delta", delta]
            if i:
                args += ["--delta", delta]
            out = self.yan_run(*args).stdout.decode()
            before = float(out.split("loss before:")[1].split()[0])
            after = float(out.split("loss after:")[1].split()[0])
            self.assertLess(after, before, out)
        # A fresh process: the first fact is still learned (lower loss than
        # the base model on it).
        ids = [self.sp.eos_id()] + self.sp.encode(facts[0]) + [self.sp.eos_id()]
        sample = ",".join(map(str, ids))
        # AdamW at lr 0 (the taught partitions' optimizer) only measures.
        measure = ["--learn", sample, "--steps", "1", "--optimizer", "adamw", "--lr", "0"]
        base = self.yan_run(*measure).stdout.decode()
        taught = self.yan_run("--delta", delta, *measure).stdout.decode()
        loss = lambda out: float(out.split("loss before:")[1].split()[0])  # noqa: E731
        self.assertLess(loss(taught), loss(base) * 0.7, (base, taught))

    def test_taught_fact_is_recalled(self):
        """The product promise on the trained model: one --learn-text call,
        then a fresh process completes the sentence's beginning with its
        end (greedy), which the base model did not."""
        if not self.trained:
            self.skipTest("needs the trained models/yan-mini")
        head, tail = "I take my coffee", " without sugar."
        before = self.yan_run("--text", head, "--max-tokens", "8").stdout.decode()
        self.assertFalse(before.lstrip().startswith(tail.strip()), before)
        delta = os.path.join(WORK, "coffee.delta")
        self.yan_run("--learn-text", head + tail, "--save-delta", delta)
        after = self.yan_run("--delta", delta, "--text", head, "--max-tokens", "8").stdout.decode()
        self.assertTrue(after.lstrip().startswith(tail.strip()), after)

    def test_hostile_prompts(self):
        """10,000 random byte strings (invalid UTF-8, NUL and control bytes,
        lone continuation bytes) as chat turns of one session: the tokenizer,
        the runtime and the streaming decoder take every one (exit 0, nothing
        on stderr)."""
        import random
        rng = random.Random(1234)
        lines = []
        for _ in range(10000):
            n = rng.randrange(0, 120)
            lines.append(bytes(rng.choice([b for b in range(256) if b != 10])
                               for _ in range(n)))
        result = run(os.path.join(BIN, "yan-run"), self.random_bundle, "--threads", "1",
                     "--chat", "--max-tokens", "1", stdin=b"\n".join(lines) + b"\n")
        self.assertEqual(result.stderr, b"")

    def test_clear_errors(self):
        plain = os.path.join(WORK, "plain")
        run(os.path.join(BIN, "yan-model-gen"), plain, "--preset", "tiny")
        run(os.path.join(BIN, "yanc"), plain, "-o", plain + ".yanb")
        result = run(os.path.join(BIN, "yan-run"), plain + ".yanb", "--text", "hi", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"has no tokenizer", result.stderr)
        fifo = os.path.join(WORK, "fifo")
        os.mkfifo(fifo)
        result = run(os.path.join(BIN, "yan-perplexity"), self.bundle, fifo, check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"is not a regular file", result.stderr)
        result = run(os.path.join(BIN, "yan-perplexity"), "--help")
        self.assertIn(b"usage: yan-perplexity", result.stdout)


if __name__ == "__main__":
    main(WORK)
