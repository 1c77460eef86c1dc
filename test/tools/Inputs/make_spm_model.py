#!/usr/bin/python3
"""Writes a small SentencePiece tokenizer.model (a serialized ModelProto,
protobuf wire format by hand: no protobuf or sentencepiece module needed)
for yanc's tokenizer tests. By default a valid unigram model with identity
normalization and byte fallback: <unk>, <s>, </s>, the 256 byte pieces,
then normal pieces up to --vocab. Each flag introduces one defect."""

import argparse
import struct


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_bytes(number, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(number << 3 | 2) + varint(len(data)) + data


def field_float(number, value):
    return varint(number << 3 | 5) + struct.pack("<f", value)


def piece(text, score, kind):
    return field_bytes(1, field_bytes(1, text) + field_float(2, score) + field_varint(3, kind))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--vocab", type=int, default=300)
    ap.add_argument("--model-type", type=int, default=1)
    ap.add_argument("--charsmap", action="store_true")
    ap.add_argument("--remove-extra-whitespaces", action="store_true",
                    help="leave the field out: its default is true")
    ap.add_argument("--no-escape-whitespaces", action="store_true")
    ap.add_argument("--whitespace-suffix", action="store_true")
    ap.add_argument("--missing-byte", action="store_true")
    ap.add_argument("--duplicate", action="store_true")
    ap.add_argument("--empty-piece", action="store_true")
    ap.add_argument("--no-byte-fallback", action="store_true",
                    help="no byte pieces, byte_fallback false (vocabularies under 259)")
    ap.add_argument("--truncate", type=int, default=0, help="drop this many final bytes")
    args = ap.parse_args()

    pieces = [piece("<unk>", 0, 2), piece("<s>", 0, 3), piece("</s>", 0, 3)]
    for b in range(0 if args.no_byte_fallback else 256):
        if args.missing_byte and b == 0x41:
            pieces.append(piece("A", -1, 1))
        else:
            pieces.append(piece(f"<0x{b:02X}>", 0, 6))
    words = ["\u2581", "e", "t", "a", "o", "\u2581the", "\u2581a", "he", "in", "er"]
    i = 0
    while len(pieces) < args.vocab:
        text = words[i] if i < len(words) else f"w{i}"
        if args.duplicate and i == 3:
            text = "e"
        if args.empty_piece and i == 4:
            text = ""
        pieces.append(piece(text, -1.0 - i * 0.01, 1))
        i += 1

    trainer = field_varint(3, args.model_type) + field_varint(4, args.vocab)
    trainer += field_varint(35, 0 if args.no_byte_fallback else 1)  # byte_fallback
    trainer += field_varint(24, 1 if args.whitespace_suffix else 0)
    normalizer = field_bytes(1, "identity")
    if args.charsmap:
        normalizer += field_bytes(2, b"\x04\x00\x00\x00abcdnormalized\x00")
    normalizer += field_varint(3, 1)  # add_dummy_prefix
    if not args.remove_extra_whitespaces:
        normalizer += field_varint(4, 0)
    normalizer += field_varint(5, 0 if args.no_escape_whitespaces else 1)
    data = b"".join(pieces) + field_bytes(2, trainer) + field_bytes(3, normalizer)
    if args.truncate:
        data = data[:-args.truncate]
    with open(args.out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
