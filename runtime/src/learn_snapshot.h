//===- learn_snapshot.h - Undoing one learn step ----------------*- C++ -*-===//
//
// A learn step is accepted only when what it produced is finite: the
// updated weights and optimizer state, and the loss after it (the next
// step's LEARN, or the loss-after evaluation). Otherwise it is rolled back
// and reported NON_FINITE (issue 14: lr 1e20 left "loss after: nan" and
// saved a broken delta). Rolling back needs the step's chosen partitions as
// they were before it: their weights, optimizer state, step count and
// optimizer. The counts are recorded here before LEARN_APPLY runs; the
// values are written by LEARN_APPLY itself as it replaces them (`previous`,
// executable_abi.h), so a step reads its partitions once: a copy made
// beforehand read every one of them once more (~6 ms of `small`'s ~100 ms
// f32 learn step at 1 thread). The copy takes L x M partitions of weights and
// optimizer state, part of the session's learn memory (one allocation on
// its first learn call; docs/learning.md).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_RUNTIME_LEARN_SNAPSHOT_H
#define YAN_RUNTIME_LEARN_SNAPSHOT_H

#include "learn_state.h"
#include "session_internal.h"

namespace yan::rt {

/// Bytes of a copy of L x M partitions: f32 weights (what learning needs)
/// and the largest optimizer state (AdamW, 6 x F x D floats).
uint64_t stepSnapshotBytes(const fb::ModelConfig &config, int64_t slotsPerLayer);

/// Starts the copy of a step that updates every chosen partition of
/// `chosen` ([L * M], -1 unused) with `stateFloats` floats of optimizer
/// state each: records their step counts and optimizers, after prepareSlots
/// (pages writable, optimizer state reserved) and before LEARN_APPLY.
/// Forgets the previous step's copy.
yan_status_t beginStepCopy(LearnMemory &memory, const LearnState &state, const int32_t *chosen,
                           int64_t slotsPerLayer, uint64_t stateFloats);

/// Where the LEARN_APPLY of the step's `index`-th chosen slot (in the order
/// of `chosen`) writes the values it replaces (its `previous` argument).
uint8_t *stepCopyValues(LearnMemory &memory, uint64_t index);

/// Every chosen slot's LEARN_APPLY has returned: the copy is whole, and
/// restoreStep may use it.
void completeStepCopy(LearnMemory &memory);

/// Puts the saved partitions back exactly (weights, optimizer state, step
/// count, optimizer) and forgets the copy. No-op without a whole one.
void restoreStep(yan_session_t *session, LearnMemory &memory, LearnState &state);


} // namespace yan::rt

#endif // YAN_RUNTIME_LEARN_SNAPSHOT_H
