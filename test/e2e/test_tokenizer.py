#!/usr/bin/python3
"""The bundle's tokenizer against SentencePiece's own (python3-sentencepiece).

A model directory = a random checkpoint with vocabulary 4096
(yan-model-gen) + yan-mini's tokenizer.model; yanc embeds the tokenizer;
yan-tokenize encodes and decodes through the runtime. Encoding must equal
SentencePieceProcessor.encode and decoding DecodeIds, id for id and byte for
byte: on the whole held-out file (line by line and as one text), on hostile
strings (whitespace, control characters, invalid UTF-8, emoji, CJK, a 1 MB
line) and on random id sequences (byte pieces forming invalid UTF-8,
control pieces, unk).

Tokenizer and held-out text: models/yan-mini/{tokenizer.model,heldout.txt};
YAN_TOKENIZER_MODEL / YAN_HELDOUT override them; without either, a
tokenizer is trained here with test/reference/train_tokenizer.py on
text_corpus.py's corpus.

Run by ctest with YAN_BIN (the build's bin/) and YAN_WORK (a scratch dir)."""

import os
import random
import shutil
import subprocess
import sys
import unittest

import sentencepiece as spm
from e2e_main import main  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
REFERENCE = os.path.join(ROOT, "test", "reference")
BIN = os.environ.get("YAN_BIN", os.path.join(ROOT, "build", "bin"))
WORK = os.environ.get("YAN_WORK", "/tmp/yan-e2e-tokenizer")
MINI = os.path.join(ROOT, "models", "yan-mini")


def run(args, data=b""):
    result = subprocess.run(args, input=data, capture_output=True)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stderr.decode(errors='replace')}")
    return result.stdout


def tokenizer_files():
    """(tokenizer.model, heldout.txt): committed, overridden, or trained here."""
    model = os.environ.get("YAN_TOKENIZER_MODEL", os.path.join(MINI, "tokenizer.model"))
    heldout = os.environ.get("YAN_HELDOUT", os.path.join(MINI, "heldout.txt"))
    if os.path.exists(model) and os.path.exists(heldout):
        return model, heldout
    corpus = os.path.join(WORK, "corpus")
    run([sys.executable, os.path.join(REFERENCE, "text_corpus.py"), corpus])
    model = os.path.join(WORK, "tokenizer.model")
    run([sys.executable, os.path.join(REFERENCE, "train_tokenizer.py"),
         os.path.join(corpus, "sentences.txt"), model])
    return model, os.path.join(corpus, "heldout.txt")


def hostile_strings():
    yield b""
    yield b" "
    yield b"     "
    yield b"\t\t  \n\n \r\n"
    yield b"a  b   c    d"
    yield b"  leading and trailing  "
    yield bytes(range(0, 32)) + b"\x7f"
    yield b"nul\x00in\x00the\x00middle\x00"
    yield b"\x00"
    yield b"\x80"                       # lone continuation bytes
    yield b"abc\x80\xbf\x80def"
    yield b"\xc3"                       # truncated sequences
    yield b"\xe2\x82"
    yield b"\xf0\x9f\x98"
    yield b"x\xe2\x82y\xf0\x9fz"
    yield b"\xc0\xaf\xe0\x80\xaf\xf0\x80\x80\xaf"  # overlong encodings
    yield b"\xc1\xbf"
    yield b"\xed\xa0\x80\xed\xbf\xbf"   # surrogates encoded in UTF-8
    yield b"\xf4\x90\x80\x80"           # above U+10FFFF
    yield b"\xff\xfe\xfd\xf8\xf9"
    yield b"\xef\xbf\xbd literal replacement \xef\xbf\xbd"
    yield "emoji 😀👍🏽🇩🇪 👨‍👩‍👧‍👦".encode()
    yield "漢字かなカナ한국어 中文测试".encode()
    yield "e\u0301 a\u0308\u0308 combining \u0338\u20dd".encode()
    yield "\u2581already\u2581escaped \u2581".encode()
    yield "<s></s><unk><0x41> pieces as text".encode()
    yield "Ünïcödé ΑΒΓ кириллица العربية עברית".encode()
    yield b"digits 0123456789 3.14159 1,000,000"
    rng = random.Random(11)
    for _ in range(40):
        yield bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60)))
    yield ("a few words, " * 80000).encode()[:1 << 20]   # a 1 MB line
    yield bytes(rng.randrange(256) for _ in range(1 << 20))


class TokenizerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shutil.rmtree(WORK, ignore_errors=True)
        os.makedirs(WORK)
        model, heldout = tokenizer_files()
        cls.sp = spm.SentencePieceProcessor(model_file=model)
        with open(heldout, "rb") as f:
            cls.heldout = f.read()
        model_dir = os.path.join(WORK, "model")
        run([os.path.join(BIN, "yan-model-gen"), model_dir, "--preset", "tiny",
             "--vocab-size", str(cls.sp.get_piece_size())])
        shutil.copy(model, os.path.join(model_dir, "tokenizer.model"))
        cls.bundle = os.path.join(WORK, "model.yanb")
        run([os.path.join(BIN, "yanc"), model_dir, "-o", cls.bundle])

    def encode(self, data: bytes):
        out = run([os.path.join(BIN, "yan-tokenize"), self.bundle, "--encode"], data)
        line = out.decode().strip()
        return [int(t) for t in line.split(",")] if line else []

    def decode(self, ids) -> bytes:
        return run([os.path.join(BIN, "yan-tokenize"), self.bundle, "--decode"],
                   ",".join(map(str, ids)).encode())

    def check_text(self, data: bytes):
        expected = self.sp.encode(data)
        ids = self.encode(data)
        self.assertEqual(ids, expected, f"encode({data[:80]!r}...)")
        self.assertEqual(self.decode(ids), self.sp.decode_ids(expected).encode(),
                         f"decode(encode({data[:80]!r}...))")

    def test_dump_shows_tokenizer(self):
        out = run([os.path.join(BIN, "yan-dump"), self.bundle]).decode()
        self.assertIn(f"tokenizer: sentencepiece-unigram, {self.sp.get_piece_size()} pieces, "
                      f"unk {self.sp.unk_id()}, bos {self.sp.bos_id()}, eos {self.sp.eos_id()}",
                      out)

    def test_heldout_as_one_text(self):
        self.check_text(self.heldout)

    def test_heldout_line_by_line(self):
        lines = self.heldout.split(b"\n")
        self.assertGreater(len(lines), 100)
        # Each line is its own text (one yan-tokenize process per line), as
        # a caller encoding a prompt sees it.
        for line in lines:
            self.check_text(line)

    def test_hostile_strings(self):
        for data in hostile_strings():
            self.check_text(data)

    def test_decode_random_ids(self):
        rng = random.Random(5)
        size = self.sp.get_piece_size()
        byte_ids = [i for i in range(size) if self.sp.is_byte(i)]
        special = [i for i in range(size) if self.sp.is_control(i) or self.sp.is_unknown(i)]
        for _ in range(150):
            ids = []
            for _ in range(rng.randrange(0, 40)):
                kind = rng.random()
                if kind < 0.4:
                    ids.append(rng.choice(byte_ids))
                elif kind < 0.55:
                    ids.append(rng.choice(special))
                else:
                    ids.append(rng.randrange(size))
            self.assertEqual(self.decode(ids), self.sp.decode_ids(ids).encode(),
                             f"decode({ids})")

    def test_out_of_range_id_is_an_error(self):
        size = self.sp.get_piece_size()
        for bad in (-1, size, 2**31 - 1):
            result = subprocess.run([os.path.join(BIN, "yan-tokenize"), self.bundle, "--decode"],
                                    input=f"1,{bad}".encode(), capture_output=True)
            self.assertEqual(result.returncode, 1)
            self.assertIn(b"[OUT_OF_RANGE]", result.stderr)


if __name__ == "__main__":
    main(WORK)
