"""Learning from Python gives yan-run --learn's losses, choices, delta file
and logits afterwards; deltas round trip through files and bytes."""

import numpy as np
import pytest
import yan
from conftest import ids, read_report, read_rows, yan_run
from test_run import generate

SAMPLE = [5, 6, 7, 8, 9, 10, 11, 12, 40, 41, 42, 43]
PROMPT = [5, 6, 7]
NEW_TOKENS = 5
# (Python keywords, the same as yan-run flags)
CASES = {
    "adamw": (dict(steps=5, optimizer="adamw", lr=0.01, weight_decay=0.05, max_norm=1.0),
              ["--steps", 5, "--optimizer", "adamw", "--lr", 0.01, "--weight-decay", 0.05,
               "--clip", 1.0]),
    "sgd-momentum": (dict(steps=3, optimizer="sgd", lr=0.05, momentum=0.9, learn_partitions=1),
                     ["--steps", 3, "--optimizer", "sgd", "--lr", 0.05, "--momentum", 0.9,
                      "--learn-partitions", 1]),
}


def f32(value):
    """A number from the report (%.9g: exact for float32) as float32."""
    return float(np.float32(value))


@pytest.fixture(scope="module", params=sorted(CASES))
def learned(request, tiny, work):
    """yan-run --learn: report, delta and the logits of a prompt afterwards."""
    name = request.param
    report, delta, dump = (work / f"{name}.json", work / f"{name}.delta", work / f"{name}.f32")
    yan_run(tiny, "--learn", ids(SAMPLE), *CASES[name][1], "--learn-report", report,
            "--save-delta", delta, "--prompt", ids(PROMPT), "--max-tokens", NEW_TOKENS,
            "--dump-logits", dump)
    return name, read_report(report), delta, dump


def test_learn_equals_yan_run(tiny, work, learned):
    name, report, tool_delta, dump = learned
    bundle = yan.Bundle(tiny)
    session = bundle.session()
    result = session.learn(SAMPLE, record_steps=True, **CASES[name][0])
    assert isinstance(result, yan.LearnResult)
    assert result.loss_before == f32(report["loss_before"])
    assert result.loss_after == f32(report["loss_after"])
    assert result.loss_after < result.loss_before
    assert result.partitions_touched == report["partitions_touched"]
    # Each step's weight gradients have one pair per position routed to a
    # chosen partition: at most the sample's positions x k picks x L layers.
    config = bundle.config
    per_step = (len(SAMPLE) - 1) * config["active_partitions"] * config["num_layers"]
    assert 0 < result.routed_pairs <= result.steps * per_step
    assert result.routed_pairs == report["routed_pairs"] == sum(
        step["routed_pairs"] for step in report["steps"])
    assert result.steps == len(report["steps"]) == len(result.step_log)
    for ours, theirs in zip(result.step_log, report["steps"]):
        assert ours.loss == f32(theirs["loss"]) and ours.grad_norm == f32(theirs["grad_norm"])
        for layer, chosen in enumerate(theirs["chosen"]):
            assert [p for p in ours.chosen[layer] if p >= 0] == chosen
        assert ours.gradients is None
    assert result.chosen.tolist() == result.step_log[-1].chosen.tolist()
    assert bundle.learn_info["trained_partitions"] > 0

    # The loss the learned weights give the sample, by the forward alone.
    assert session.learn_loss(SAMPLE) == result.loss_after

    # Same delta bytes (deltas are deterministic), same logits afterwards.
    ours_delta = work / f"{name}.py.delta"
    bundle.save_delta(ours_delta)
    assert ours_delta.read_bytes() == tool_delta.read_bytes()
    session.reset()
    _, logits = generate(session, PROMPT, NEW_TOKENS)
    assert logits.tobytes() == read_rows(dump, bundle.vocab_size).tobytes()


def test_delta_round_trip(tiny, learned):
    _, _, delta, dump = learned
    vocab = yan.Bundle(tiny).vocab_size
    expected = read_rows(dump, vocab).tobytes()
    at_open = yan.Bundle(tiny, delta=delta)
    assert generate(at_open.session(), PROMPT, NEW_TOKENS)[1].tobytes() == expected
    from_bytes = yan.Bundle(tiny)
    from_bytes.apply_delta(delta.read_bytes())
    assert generate(from_bytes.session(), PROMPT, NEW_TOKENS)[1].tobytes() == expected
    assert from_bytes.learn_info == at_open.learn_info
    # A bundle that learned (or took a delta) takes no other delta.
    with pytest.raises(yan.Error) as error:
        from_bytes.apply_delta(str(delta))
    assert error.value.code == "FAILED_PRECONDITION"


def test_step_gradients(tiny):
    config = yan.Bundle(tiny).config
    session = yan.Bundle(tiny).session()
    result = session.learn(SAMPLE, steps=2, step_gradients=True, loss_after=False)
    assert np.isnan(result.loss_after)
    slots = result.chosen.shape[1]
    per_slot = 3 * config["partition_size"] * config["hidden_size"]
    for step in result.step_log:
        assert step.gradients.shape == (config["num_layers"], slots, per_slot)
        assert step.gradients.dtype == np.float32
        used = step.chosen >= 0
        assert np.abs(step.gradients[used]).sum(axis=-1).min() > 0
        assert not step.gradients[~used].any()


@pytest.mark.parametrize("options, code", [
    (dict(lr=-1.0), "INVALID_ARGUMENT"),
    (dict(optimizer="adam"), "INVALID_ARGUMENT"),
    (dict(optimizer="sgd", beta1=0.5), "INVALID_ARGUMENT"),   # AdamW-only field
    (dict(steps=-1), "INVALID_ARGUMENT"),
    (dict(learn_partitions=99), "INVALID_ARGUMENT"),
])
def test_learn_options_refused(tiny, options, code):
    bundle = yan.Bundle(tiny)
    with pytest.raises(yan.Error) as error:
        bundle.session().learn(SAMPLE, **options)
    assert error.value.code == code, error.value.message
    assert bundle.learn_info["trained_partitions"] == 0


def test_learn_sample_checks(tiny):
    session = yan.Bundle(tiny).session()
    with pytest.raises(yan.Error) as error:
        session.learn([5])
    assert error.value.code == "INVALID_ARGUMENT"
    with pytest.raises(yan.Error) as error:
        session.learn([5, 6, 256])
    assert error.value.code == "OUT_OF_RANGE"


def test_signed_delta_equals_yan_run(tiny, signed, work):
    """save_delta(sign_key=...) writes yan-run --sign-key's bytes (Ed25519 is
    deterministic); trusted_delta_keys accepts it and refuses others."""
    _, device_pub, other_pub = signed
    device = device_pub.with_suffix("")  # the secret key beside KEY.pub
    case = CASES["adamw"]
    tool_delta = work / "signed-tool.delta"
    yan_run(tiny, "--learn", ids(SAMPLE), *case[1], "--save-delta", tool_delta,
            "--sign-key", device)
    bundle = yan.Bundle(tiny)
    bundle.session().learn(SAMPLE, **case[0])
    ours, unsigned = work / "signed-py.delta", work / "unsigned-py.delta"
    bundle.save_delta(ours, sign_key=device)
    bundle.save_delta(unsigned)
    assert ours.read_bytes() == tool_delta.read_bytes()

    trusted = yan.Bundle(tiny, trusted_delta_keys=[device_pub], delta=ours)
    assert trusted.learn_info["trained_partitions"] == bundle.learn_info["trained_partitions"]
    with pytest.raises(yan.Error) as error:
        yan.Bundle(tiny, trusted_delta_keys=[other_pub], delta=ours)
    assert error.value.code == "UNTRUSTED_KEY"
    with pytest.raises(yan.Error) as error:
        yan.Bundle(tiny, trusted_delta_keys=[device_pub]).apply_delta(unsigned.read_bytes())
    assert error.value.code == "UNSIGNED"
    with pytest.raises(yan.Error) as error:
        bundle.save_delta(work / "x.delta", sign_key=device_pub)  # a public key
    assert error.value.code != "OK"
