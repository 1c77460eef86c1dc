"""The bundle's tokenizer from Python gives yan-tokenize's ids and text."""

import pytest
import yan
from conftest import run, tool

TEXTS = ["the Z", "hello world, the end", "  two  spaces ", "ünïcödé ✓ and bytes",
         "", "\x00nul\x00"]


def tokenize(bundle, mode, data):
    return run(tool("yan-tokenize"), bundle, mode, input=data)


def test_encode_decode_equal_yan_tokenize(with_tokenizer):
    tokenizer = yan.Bundle(with_tokenizer).tokenizer
    assert isinstance(tokenizer, yan.Tokenizer)
    info = tokenizer.info
    assert info["kind"] == "sentencepiece-unigram" and info["vocab_size"] == 300
    assert (tokenizer.bos_id, tokenizer.eos_id, info["pad_id"]) == (1, 2, -1)
    for text in TEXTS + [b"\xff\xfe invalid utf-8 \xc3"]:
        data = text if isinstance(text, bytes) else text.encode()
        ids = tokenizer.encode(text)
        expected = [int(t) for t in tokenize(with_tokenizer, "--encode", data).decode()
                    .replace(",", " ").split()]
        assert ids == expected, text
        decoded = tokenize(with_tokenizer, "--decode", ",".join(map(str, ids)).encode())
        assert tokenizer.decode_bytes(ids) == decoded  # raw bytes, no newline
        assert tokenizer.decode(ids) == tokenizer.decode_bytes(ids).decode()
    assert tokenizer.encode("the Z") == [264, 259, 93]  # as test/tools/yanc-tokenizer.test
    assert tokenizer.decode([1, 264, 259, 93]) == "the Z"
    assert tokenizer.piece(93) == "<0x5A>"


def test_tokenizer_errors(with_tokenizer, tiny):
    tokenizer = yan.Bundle(with_tokenizer).tokenizer
    with pytest.raises(yan.Error) as error:
        tokenizer.decode([5, 300])
    assert error.value.code == "OUT_OF_RANGE" and "position 1" in error.value.message
    with pytest.raises(yan.Error) as error:
        tokenizer.piece(-1)
    assert error.value.code == "OUT_OF_RANGE"
    with pytest.raises(yan.Error) as error:
        tokenizer.encode(42)
    assert error.value.code == "INVALID_ARGUMENT"
    assert yan.Bundle(tiny).tokenizer is None


def test_tokenizer_outlives_its_bundle_object(with_tokenizer):
    tokenizer = yan.Bundle(with_tokenizer).tokenizer  # the Bundle object is gone
    assert tokenizer.decode(tokenizer.encode("hello world")) == "hello world"
