//===- learn_snapshot.h - Undoing one learn step ----------------*- C++ -*-===//
//
// A learn step is accepted only when what it produced is finite: the
// updated weights and optimizer state, and the loss after it (the next
// step's LEARN, or the loss-after evaluation). Otherwise it is rolled back
// and reported NON_FINITE (issue 14: lr 1e20 left "loss after: nan" and
// saved a broken delta). Rolling back needs the step's chosen partitions as
// they were before it: their weights, optimizer state, step count and
// optimizer, copied here right before LEARN_APPLY runs. The copy costs
// L x M partitions of weights and optimizer state, part of the session's
// learn memory (one allocation on its first learn call; docs/learning.md).
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

/// Copies every chosen partition of `chosen` ([L * M], -1 unused) after
/// prepareSlots (pages writable, optimizer state reserved) and before
/// LEARN_APPLY. Replaces the previous step's copy.
yan_status_t saveStep(yan_session_t *session, LearnMemory &memory, const LearnState &state,
                      const int32_t *chosen, int64_t slotsPerLayer, uint64_t stateFloats);

/// Puts the saved partitions back exactly (weights, optimizer state, step
/// count, optimizer) and forgets the copy. No-op without one.
void restoreStep(yan_session_t *session, LearnMemory &memory, LearnState &state);


} // namespace yan::rt

#endif // YAN_RUNTIME_LEARN_SNAPSHOT_H
