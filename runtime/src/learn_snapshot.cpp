//===- learn_snapshot.cpp - Undoing one learn step ------------------------===//
#include "learn_snapshot.h"

#include "status.h"

#include <algorithm>
#include <cstring>

namespace yan::rt {
namespace {

constexpr size_t kAlign = 64;

// Per saved slot, before its values; padded to a cache line so that the
// values LEARN_APPLY writes are 64-byte aligned (executable_abi.h).
struct alignas(64) SlotRecord {
  int64_t layer = 0, partition = 0;
  uint64_t steps = 0;
  uint32_t optimizer = 0;
  uint32_t reserved = 0;
  uint64_t stateFloats = 0; // of optimizer state saved
};
static_assert(sizeof(SlotRecord) == kAlign, "a slot's values start a cache line on");

uint64_t slotBytes(uint64_t weightBytes, uint64_t stateFloats) {
  uint64_t bytes = sizeof(SlotRecord) + weightBytes + stateFloats * sizeof(float);
  return (bytes + kAlign - 1) / kAlign * kAlign;
}

struct PoolCopy {
  uint8_t *to;
  const uint8_t *from;
  uint64_t bytes;
  uint32_t threads;
};

// Thread i copies the i-th of `threads` 64-byte aligned pieces.
void copyPiece(void *context, uint32_t index) {
  const PoolCopy &c = *static_cast<const PoolCopy *>(context);
  uint64_t lines = (c.bytes + kAlign - 1) / kAlign;
  uint64_t begin = lines * index / c.threads * kAlign;
  uint64_t end = std::min(lines * (index + 1) / c.threads * kAlign, c.bytes);
  if (begin < end)
    std::memcpy(c.to + begin, c.from + begin, end - begin);
}

// A restored partition's slice is megabytes: copied by all of the
// session's threads (when the step's copy was made here, one thread's copy
// took ~8% of `small`'s 2-thread learn step while the other waited).
void copyOnPool(yan_session_t *session, void *to, const void *from, uint64_t bytes) {
  PoolCopy copy{static_cast<uint8_t *>(to), static_cast<const uint8_t *>(from), bytes,
                session->pool->threads()};
  if (copy.threads == 1)
    std::memcpy(to, from, bytes);
  else
    session->pool->run(copyPiece, &copy);
}

} // namespace

uint64_t stepSnapshotBytes(const fb::ModelConfig &c, int64_t slotsPerLayer) {
  // Dimensions were bounded at verification: no overflow.
  uint64_t slice = static_cast<uint64_t>(c.partition_size()) *
                   static_cast<uint64_t>(c.hidden_size());
  return static_cast<uint64_t>(c.num_layers()) * static_cast<uint64_t>(slotsPerLayer) *
         slotBytes(3 * slice * sizeof(float), 6 * slice);
}

yan_status_t beginStepCopy(LearnMemory &memory, const LearnState &state, const int32_t *chosen,
                           int64_t slotsPerLayer, uint64_t stateFloats) {
  uint64_t perSlot = slotBytes(state.learnedPartitionBytes(), stateFloats);
  uint64_t slots = static_cast<uint64_t>(state.layers * slotsPerLayer);
  memory.snapshotSlots = 0;
  memory.pendingSlots = 0;
  if (slots * perSlot > memory.snapshotCapacity)
    return makeStatus(YAN_STATUS_INTERNAL,
                      "a step's rollback copy needs %llu bytes, the learn memory has %llu; "
                      "nothing was updated",
                      static_cast<unsigned long long>(slots * perSlot),
                      static_cast<unsigned long long>(memory.snapshotCapacity));
  uint8_t *out = memory.snapshot;
  for (int64_t l = 0; l < state.layers; ++l)
    for (int64_t j = 0; j < slotsPerLayer; ++j) {
      int32_t p = chosen[l * slotsPerLayer + j];
      if (p < 0)
        continue;
      const PartitionRecord &r = state.records[l * state.partitions + p];
      // LEARN_APPLY writes exactly the state this step's optimizer updates
      // (SGD without momentum none: it leaves a momentum buffer alone), and
      // prepareSlots reserved exactly that much.
      if (stateFloats && (!r.optimizerState || r.stateFloats != stateFloats))
        return makeStatus(YAN_STATUS_INTERNAL,
                          "partition %d of layer %lld has %llu floats of optimizer state, the "
                          "step updates %llu; nothing was updated", p,
                          static_cast<long long>(l),
                          static_cast<unsigned long long>(r.stateFloats),
                          static_cast<unsigned long long>(stateFloats));
      SlotRecord slot;
      slot.layer = l;
      slot.partition = p;
      slot.steps = r.steps;
      slot.optimizer = r.optimizer;
      slot.stateFloats = stateFloats;
      std::memcpy(out, &slot, sizeof slot);
      out += perSlot;
      ++memory.pendingSlots;
    }
  memory.snapshotSlotBytes = perSlot;
  return nullptr;
}

uint8_t *stepCopyValues(LearnMemory &memory, uint64_t index) {
  return memory.snapshot + index * memory.snapshotSlotBytes + sizeof(SlotRecord);
}

void completeStepCopy(LearnMemory &memory) {
  memory.snapshotSlots = memory.pendingSlots;
  memory.pendingSlots = 0;
}

void restoreStep(yan_session_t *session, LearnMemory &memory, LearnState &state) {
  yan_bundle_t *bundle = session->bundle;
  const uint8_t *in = memory.snapshot;
  for (uint64_t s = 0; s < memory.snapshotSlots; ++s, in += memory.snapshotSlotBytes) {
    SlotRecord slot;
    std::memcpy(&slot, in, sizeof slot);
    const uint8_t *bytes = in + sizeof slot;
    // A partition's first update in an f32 copy saved the stored weights,
    // widened: the copy holds nothing to restore and is released below.
    uint64_t n = state.sliceFloats * sizeof(float);
    for (int t = 0; t < kFfnTensors; ++t, bytes += n)
      if (slot.steps > 0 || !state.usesCopies())
        copyOnPool(session, learnedWeights(bundle, state, slot.layer, t, slot.partition), bytes,
                   n);
    PartitionRecord &r = state.record(slot.layer, slot.partition);
    if (r.optimizerState && slot.stateFloats == r.stateFloats)
      copyOnPool(session, r.optimizerState, bytes, slot.stateFloats * sizeof(float));
    if (r.steps > 0 && slot.steps == 0)
      --state.trained;
    r.steps = slot.steps;
    r.optimizer = slot.optimizer;
  }
  memory.snapshotSlots = 0;
  releaseUntrainedState(bundle, state);
}

} // namespace yan::rt
