"""The yan-mini text corpus: Debian's `fortunes` package, split into a
training part and a fixed held-out part.

Why fortunes: it is free (BSD fortune-mod data, Debian main), English prose of
many registers (quotes, jokes, definitions, poems, dialogue) in short
self-contained documents, small enough (2.5 MB) to train on for an hour on two
cores and large enough that a 100 KB held-out part is a fair sample.

Documents are the `%`-separated entries of every fortune file except the
ASCII-art ones. Overstrike sequences (`X\\bX`, `_\\bX`, from old bold and
underline) are reduced to the printed character; trailing spaces are dropped;
each document ends with exactly one newline. Identical documents are kept once.
A document is held out when the first byte of its SHA-256 is below
HELDOUT_BYTE (about 5%), so the split does not depend on file order or on the
package version's other entries; the next VALID_BYTES (about 3%) are the
validation part, which the training run uses to pick its checkpoint (the
held-out part is never looked at while training).

Outputs (OUT_DIR):
  train.txt    training documents, each followed by a line `%` (fortune format)
  valid.txt    validation documents, the same format
  heldout.txt  held-out documents separated by one blank line (the file
               yan-perplexity and the reference measure)
  sentences.txt one line per sentence of the training and validation parts,
               for the tokenizer trainer
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
from typing import Dict, List

FORTUNE_DIR = "/usr/share/games/fortunes"
EXCLUDED = {"art", "ascii-art"}          # pictures, not language
HELDOUT_BYTE = 13                        # 13/256 = 5.1% of documents
VALID_BYTES = 8                          # the next 8/256 = 3.1%

_OVERSTRIKE = re.compile(r"(.)\x08(.)", re.S)


def clean(doc: str) -> str:
    prev = None
    while prev != doc:                   # repeated overstrikes (X\bX\bX)
        prev = doc
        doc = _OVERSTRIKE.sub(lambda m: m.group(2), doc)
    doc = doc.replace("\x08", "")
    lines = [line.rstrip() for line in doc.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def read_documents(fortune_dir: str = FORTUNE_DIR) -> List[str]:
    docs: List[str] = []
    seen = set()
    for name in sorted(os.listdir(fortune_dir)):
        path = os.path.join(fortune_dir, name)
        if "." in name or name in EXCLUDED or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for raw in re.split(r"^%\n", text, flags=re.M):
            doc = clean(raw)
            if doc and doc not in seen:
                seen.add(doc)
                docs.append(doc)
    return docs


def part_of(doc: str) -> str:
    first = hashlib.sha256(doc.encode("utf-8")).digest()[0]
    if first < HELDOUT_BYTE:
        return "heldout"
    return "valid" if first < HELDOUT_BYTE + VALID_BYTES else "train"


def split(docs: List[str]) -> Dict[str, List[str]]:
    out: Dict[str, List[str]] = {"train": [], "valid": [], "heldout": []}
    for doc in docs:
        out[part_of(doc)].append(doc)
    return out


def docs_in_order(parts: Dict[str, List[str]]) -> List[str]:
    """Training and validation documents in corpus order (the tokenizer's
    input: the validation part only picks a checkpoint)."""
    keep = set(parts["train"]) | set(parts["valid"])
    return [d for d in read_documents() if d in keep]


def write_corpus(out_dir: str) -> Dict[str, List[str]]:
    parts = split(read_documents())
    os.makedirs(out_dir, exist_ok=True)
    for name in ("train", "valid"):
        with open(os.path.join(out_dir, name + ".txt"), "w", encoding="utf-8") as f:
            f.write("".join(doc + "%\n" for doc in parts[name]))
    with open(os.path.join(out_dir, "heldout.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(parts["heldout"]))
    with open(os.path.join(out_dir, "sentences.txt"), "w", encoding="utf-8") as f:
        for doc in docs_in_order(parts):
            f.write("".join(line + "\n" for line in doc.split("\n") if line.strip()))
    return parts


def read_train_documents(path: str) -> List[str]:
    with open(path, encoding="utf-8") as f:
        return [d for d in re.split(r"^%\n", f.read(), flags=re.M) if d]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    args = ap.parse_args()
    parts = write_corpus(args.out_dir)
    for name, docs in parts.items():
        print(f"{name}: {len(docs)} documents, "
              f"{sum(len(d.encode()) for d in docs)} bytes")


if __name__ == "__main__":
    main()
