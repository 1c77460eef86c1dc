"""Prefill and decode from Python give exactly yan-run's logits."""

import numpy as np
import yan
from conftest import ids, read_rows, yan_run

PROMPT = [1, 2, 3, 4, 5, 250, 7]
NEW_TOKENS = 6


def generate(session, prompt, count):
    """What yan-run does: prefill, then feed each greedy pick (ties to the
    lowest id, as np.argmax); every fed token's logits are a row."""
    rows = [session.prefill(prompt)]
    picked = []
    for _ in range(count):
        picked.append(int(np.argmax(rows[-1][-1])))
        rows.append(session.decode(picked[-1])[None, :])
    return picked, np.concatenate(rows)


def test_logits_equal_yan_run(tiny, work):
    dump = work / "run.f32"
    generated, _ = yan_run(tiny, "--prompt", ids(PROMPT), "--max-tokens", NEW_TOKENS,
                           "--dump-logits", dump)
    bundle = yan.Bundle(tiny)
    vocab = bundle.config["vocab_size"]
    picked, logits = generate(bundle.session(), PROMPT, NEW_TOKENS)
    assert logits.dtype == np.float32 and logits.shape == (len(PROMPT) + NEW_TOKENS, vocab)
    assert picked == generated
    assert logits.tobytes() == read_rows(dump, vocab).tobytes()  # bit for bit


def test_threads_give_identical_logits(tiny):
    bundle = yan.Bundle(tiny)
    one, two = bundle.session(threads=1), bundle.session(threads=2)
    assert (one.threads, two.threads) == (1, 2)
    assert generate(one, PROMPT, 3)[1].tobytes() == generate(two, PROMPT, 3)[1].tobytes()


def test_prefill_takes_numpy_and_tuples(tiny):
    session = yan.Bundle(tiny).session()
    a = session.prefill(np.array(PROMPT, dtype=np.uint16))
    session.reset()
    b = session.prefill(tuple(PROMPT))
    assert a.tobytes() == b.tobytes()


def test_state_round_trip(tiny):
    bundle = yan.Bundle(tiny)
    first = bundle.session()
    first.prefill(PROMPT)
    blob = first.get_state()
    assert isinstance(blob, bytes) and len(blob) == 32 + 4 * bundle.state_floats
    floats = first.state_floats
    assert floats.shape == (bundle.state_floats,) and np.any(floats != 0)
    expected = first.decode(9)

    second = bundle.session()
    second.set_state(bytearray(blob))
    assert second.state_floats.tobytes() == floats.tobytes()
    assert second.decode(9).tobytes() == expected.tobytes()

    second.reset()
    assert not np.any(second.state_floats)
    fresh = bundle.session()
    assert second.prefill(PROMPT).tobytes() == fresh.prefill(PROMPT).tobytes()


def test_stats_count_tokens(tiny):
    bundle = yan.Bundle(tiny)
    config = bundle.config
    session = bundle.session()
    session.prefill(PROMPT)
    session.decode(3)
    stats = session.stats()
    assert stats["prefill_tokens"] == len(PROMPT) and stats["decode_tokens"] == 1
    tokens = stats["partition_tokens"]
    assert tokens.shape == (config["num_layers"], config["num_partitions"])
    # every token of every layer picks k partitions
    assert (tokens.sum(axis=1) == (len(PROMPT) + 1) * config["active_partitions"]).all()
    session.reset_stats()
    assert session.stats()["prefill_tokens"] == 0


def test_bundle_describes_itself(tiny):
    bundle = yan.Bundle(tiny)
    config = bundle.config
    assert bundle.vocab_size == config["vocab_size"] == 256
    assert len(config["decays"]) == config["num_channels"]
    image = bundle.images[bundle.selected_image]
    assert image["arch"] == yan.host_arch
    assert {e["name"] for e in image["entries"]} >= {"prefill", "decode", "learn"}
    assert bundle.weight_bytes_per_token > 0
    # The compiler's counts (yanc --report): the learn entry's forward is the
    # decode's count, and its backward adds more.
    assert bundle.learn_flops_per_token > bundle.flops_per_token > 0
    # A routed pair's weight gradients: 2 x one partition of w1, w3, w2.
    assert bundle.learn_flops_per_routed_pair == (
        2 * 3 * config["hidden_size"] * config["partition_size"])
    assert bundle.learn_info["has_learn"] and bundle.learn_info["trained_partitions"] == 0
    assert bundle.signature == {"signed": False, "key_id": "", "verified": False}
    assert bundle.tokenizer is None


def test_session_keeps_its_bundle(tiny):
    expected = yan.Bundle(tiny).session().prefill(PROMPT).tobytes()
    session = yan.Session(yan.Bundle(tiny), threads=1)  # the Bundle object is gone
    assert session.prefill(PROMPT).tobytes() == expected
