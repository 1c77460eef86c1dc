"""The bindings enforce the C API's thread rules: sessions on one bundle run
from Python threads at once, and a learn step never overlaps them (each
prefill sees the weights either before or after a step, never a mix)."""

import threading

import yan

PROMPT = [1, 2, 3, 4, 5, 6, 7, 8]
SAMPLE = [5, 6, 7, 8, 9, 10, 11, 12]


def test_learn_never_overlaps_prefill(tiny):
    # The logits after 0, 1, 2, ... steps, from a bundle learning alone.
    steps = 6
    reference = yan.Bundle(tiny)
    learner = reference.session()
    expected = [reference.session().prefill(PROMPT).tobytes()]
    for _ in range(steps):
        learner.learn(SAMPLE, optimizer="adamw", lr=0.05)
        expected.append(reference.session().prefill(PROMPT).tobytes())
    assert len(set(expected)) == steps + 1

    bundle = yan.Bundle(tiny)
    seen, failures = [], []

    def reader():
        try:
            session = bundle.session(threads=2)
            for _ in range(40):
                session.reset()
                seen.append(session.prefill(PROMPT).tobytes())
        except Exception as e:  # reported below
            failures.append(e)

    def writer():
        try:
            session = bundle.session()
            for _ in range(steps):
                session.learn(SAMPLE, optimizer="adamw", lr=0.05)
        except Exception as e:
            failures.append(e)

    threads = [threading.Thread(target=reader) for _ in range(2)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert len(seen) == 80 and set(seen) <= set(expected)
    assert bundle.session().prefill(PROMPT).tobytes() == expected[-1]
