"""Every failure is one exception type, yan.Error, carrying the status
code's name and the runtime's message."""

import numpy as np
import pytest
import yan


def error_of(call, *args, **kwargs):
    with pytest.raises(yan.Error) as info:
        call(*args, **kwargs)
    e = info.value
    assert isinstance(e.code, str) and isinstance(e.message, str) and e.message
    assert str(e) == f"{e.message} [{e.code}]" and isinstance(e.status, int)
    return e


def test_error_is_one_exception_type():
    assert issubclass(yan.Error, Exception) and yan.Error.__module__ == "yan"


def test_token_errors(tiny):
    session = yan.Bundle(tiny).session()
    e = error_of(session.decode, 256)
    assert e.code == "OUT_OF_RANGE" and e.status == 2 and "256" in e.message
    e = error_of(session.prefill, [1, 2, 300, 4])
    assert e.code == "OUT_OF_RANGE" and "position 2" in e.message
    assert not np.any(session.state_floats)  # checked before anything ran
    assert error_of(session.prefill, [1, 2**40]).code == "OUT_OF_RANGE"
    assert error_of(session.prefill, np.array([1, 2**63], dtype=np.uint64)).code == "OUT_OF_RANGE"
    assert error_of(session.decode, -1).code == "OUT_OF_RANGE"
    assert error_of(session.prefill, []).code == "INVALID_ARGUMENT"
    assert error_of(session.prefill, [1.0, 2.0]).code == "INVALID_ARGUMENT"
    assert error_of(session.prefill, [[1, 2]]).code == "INVALID_ARGUMENT"
    assert error_of(session.decode, 1.5).code == "INVALID_ARGUMENT"
    assert error_of(session.decode, True).code == "INVALID_ARGUMENT"
    assert error_of(yan.Bundle(tiny).session, threads=-1).code == "INVALID_ARGUMENT"


def test_open_errors(tiny, work):
    assert error_of(yan.Bundle, work / "missing.yanb").code == "IO_ERROR"
    text = work / "not-a-bundle"
    text.write_bytes(b"hello" * 100)
    assert error_of(yan.Bundle, text).code == "BAD_MAGIC"
    data = tiny.read_bytes()
    cut = work / "cut.yanb"
    cut.write_bytes(data[: len(data) // 2])
    assert error_of(yan.Bundle, cut).code == "TRUNCATED"
    flipped = bytearray(data)
    flipped[-100] ^= 1  # in the last segment (weights or test data)
    damaged = work / "flipped.yanb"
    damaged.write_bytes(bytes(flipped))
    assert error_of(yan.Bundle, damaged).code == "HASH_MISMATCH"
    # Inspection only: verified, no code, no sessions.
    inspected = yan.Bundle(tiny, no_code=True)
    assert error_of(inspected.session).code == "FAILED_PRECONDITION"


def test_trusted_keys(signed, tiny):
    bundle, key, other = signed
    trusted = yan.Bundle(bundle, trusted_keys=[key])
    assert trusted.signature["signed"] and trusted.signature["verified"]
    assert trusted.session().prefill([1, 2]).shape == (2, trusted.vocab_size)
    assert not yan.Bundle(bundle).signature["verified"]  # development mode
    assert error_of(yan.Bundle, bundle, trusted_keys=[other]).code == "UNTRUSTED_KEY"
    assert error_of(yan.Bundle, tiny, trusted_keys=[key]).code == "UNSIGNED"
    e = error_of(yan.Bundle, bundle, trusted_keys=[key], skip_data_hashes=True)
    assert e.code == "INVALID_ARGUMENT"
    assert error_of(yan.Bundle, bundle, trusted_keys=[tiny]).code != "OK"  # not a key file


def test_state_and_delta_errors(tiny, other_tiny, work):
    bundle = yan.Bundle(tiny)
    session = bundle.session()
    blob = session.get_state()
    assert error_of(session.set_state, blob[:-4]).code == "INVALID_ARGUMENT"
    other = yan.Bundle(other_tiny).session()
    assert error_of(other.set_state, blob).code in ("INVALID_ARGUMENT", "FAILED_PRECONDITION")

    session.learn([5, 6, 7, 8], steps=1)
    delta = work / "errors.delta"
    bundle.save_delta(delta)
    data = delta.read_bytes()
    assert error_of(yan.Bundle(other_tiny).apply_delta, data).code == "DELTA_MISMATCH"
    assert error_of(yan.Bundle(tiny).apply_delta, data[:-1]).code == "TRUNCATED"
    assert error_of(yan.Bundle(tiny).apply_delta, b"x" * len(data)).code == "BAD_MAGIC"
    assert error_of(yan.Bundle, tiny, delta=work / "nope.delta").code == "IO_ERROR"
    assert error_of(bundle.save_delta, work / "no-such-dir" / "d.delta").code == "IO_ERROR"
