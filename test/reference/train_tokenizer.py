"""Trains yan-mini's SentencePiece tokenizer (Debian's python3-sentencepiece).

Unigram model, vocabulary 4096, byte fallback on (any UTF-8 input
round-trips: a character outside the vocabulary becomes its UTF-8 bytes), and
the normalization off (`identity`, no whitespace folding), so the runtime's
tokenizer needs no Unicode tables and encodes text exactly as written:
`runtime/src/tokenizer*.cpp` implements this model's encoder and decoder and is
tested for identical output against SentencePiece's own.
Ids: 0 <unk>, 1 <s>, 2 </s> (end of document), then 256 byte pieces.
"""

from __future__ import annotations

import argparse
import os

import sentencepiece as spm

VOCAB_SIZE = 4096


def train(sentences: str, out: str, vocab_size: int = VOCAB_SIZE) -> None:
    """Writes `out`. The model file records the trainer's input and output
    names, so training runs in the sentences' directory with fixed relative
    names: the same sentences give the same bytes wherever they are."""
    cwd = os.getcwd()
    out = os.path.abspath(out)
    os.chdir(os.path.dirname(os.path.abspath(sentences)))
    try:
        _train(os.path.basename(sentences), vocab_size)
        os.replace("tokenizer-spm.model", out)
        os.remove("tokenizer-spm.vocab")
    finally:
        os.chdir(cwd)


def _train(sentences: str, vocab_size: int) -> None:
    spm.SentencePieceTrainer.train(
        input=sentences, model_prefix="tokenizer-spm", vocab_size=vocab_size,
        model_type="unigram", byte_fallback=True, character_coverage=0.9995,
        normalization_rule_name="identity", remove_extra_whitespaces=False,
        add_dummy_prefix=True, split_digits=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        input_sentence_size=0, shuffle_input_sentence=False,
        num_threads=1, seed_sentencepiece_size=1000000,
        minloglevel=2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sentences", help="one training sentence per line (text_corpus.py)")
    ap.add_argument("out", help="where to write tokenizer.model")
    ap.add_argument("--vocab-size", type=int, default=VOCAB_SIZE)
    args = ap.parse_args()
    train(args.sentences, args.out, args.vocab_size)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
