"""The yan runtime from Python: open a compiled .yanb bundle, run sessions
(prefill/decode to numpy float32 logits), learn on device, save and apply
deltas, save and restore state, and use the bundle's tokenizer.

    import yan
    bundle = yan.Bundle("tiny.yanb")                # trusted_keys=[...], delta=...
    session = bundle.session(threads=1)
    logits = session.prefill([1, 2, 3])             # float32 [3, V]
    row = session.decode(int(logits[-1].argmax()))  # float32 [V]
    result = session.learn([5, 6, 7, 8], steps=20, optimizer="adamw")
    bundle.save_delta("tiny.delta")

Every runtime failure raises yan.Error; e.code is the status code's name
("OUT_OF_RANGE", "BAD_MAGIC", ...) and e.message the runtime's message.
docs/python.md has the whole API.
"""

from ._native import (  # noqa: F401
    Bundle,
    Error,
    LearnResult,
    LearnStep,
    Session,
    Tokenizer,
    host_arch,
)

__all__ = ["Bundle", "Error", "LearnResult", "LearnStep", "Session", "Tokenizer", "host_arch"]
