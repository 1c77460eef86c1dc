//===- learn_state.cpp - What a bundle has learned ------------------------===//
#include "learn_state.h"

#include "status.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <sys/mman.h>
#include <unistd.h>

namespace yan::rt {
namespace {

constexpr size_t kAlign = 64;

uint64_t weightSegmentBytes(const yan_bundle_t *bundle) {
  const fb::Bundle &root = *bundle->verified.root;
  return root.segments()->Get(root.weight_segment())->size();
}

// A memory bundle's weights are the caller's: copy the segment once and let
// the code read the copy from now on.
yan_status_t privatizeWeights(yan_bundle_t *bundle, LearnState &state) {
  uint64_t bytes = weightSegmentBytes(bundle);
  // Page alignment keeps page-aligned partitions page-aligned in the copy.
  void *copy = bundle->allocator.allocate(bundle->allocator.self,
                                          static_cast<size_t>(bytes ? bytes : 1), 4096);
  if (!copy)
    return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                      "cannot allocate a private copy of the weight segment (%llu bytes) "
                      "for a bundle opened from memory, whose bytes the runtime never "
                      "writes", static_cast<unsigned long long>(bytes));
  std::memcpy(copy, bundle->verified.weights, static_cast<size_t>(bytes));
  state.privateWeights = static_cast<uint8_t *>(copy);
  bundle->verified.weights = state.privateWeights;
  return nullptr;
}

// Makes the pages spanning [begin, begin + bytes) of the private file
// mapping writable; untouched, they stay shared with the page cache.
yan_status_t unprotect(const uint8_t *begin, uint64_t bytes) {
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0)
    page = 4096;
  uintptr_t mask = static_cast<uintptr_t>(page) - 1;
  uintptr_t start = reinterpret_cast<uintptr_t>(begin) & ~mask;
  uintptr_t end = (reinterpret_cast<uintptr_t>(begin) + bytes + mask) & ~mask;
  if (::mprotect(reinterpret_cast<void *>(start), end - start, PROT_READ | PROT_WRITE) != 0)
    return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                      "cannot make %llu bytes of weights writable (copy-on-write): %s",
                      static_cast<unsigned long long>(end - start), std::strerror(errno));
  return nullptr;
}

// Gives partition (layer, partition) an f32 copy at the end of the copies,
// growing the buffer (moved: entries get its address per call). The copy's
// values are written by the partition's first LEARN_APPLY or by a delta.
yan_status_t allocateCopy(yan_bundle_t *bundle, LearnState &state, int64_t layer,
                          int64_t partition) {
  size_t slots = static_cast<size_t>(state.layers * state.partitions);
  if (!state.copyOffsets) {
    auto *table = static_cast<int64_t *>(
        bundle->allocator.allocate(bundle->allocator.self, slots * sizeof(int64_t), kAlign));
    if (!table)
      return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                        "cannot allocate the partition copy table (%zu bytes)",
                        slots * sizeof(int64_t));
    for (size_t i = 0; i < slots; ++i)
      table[i] = -1;
    state.copyOffsets = table;
    state.copyBytes = (3 * state.sliceFloats * sizeof(float) + kAlign - 1) & ~uint64_t(kAlign - 1);
  }
  uint64_t needed = state.copyUsed + state.copyBytes;
  if (needed > state.copyCapacity) {
    uint64_t capacity = std::max(needed, 2 * state.copyCapacity);
    auto *grown = static_cast<uint8_t *>(bundle->allocator.allocate(
        bundle->allocator.self, static_cast<size_t>(capacity), kAlign));
    if (!grown)
      return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                        "cannot allocate %llu bytes for the f32 copies of trained partitions",
                        static_cast<unsigned long long>(capacity));
    if (state.copies) {
      std::memcpy(grown, state.copies, static_cast<size_t>(state.copyUsed));
      bundle->allocator.free(bundle->allocator.self, state.copies);
    }
    state.copies = grown;
    state.copyCapacity = capacity;
  }
  state.copyOffsets[layer * state.partitions + partition] = static_cast<int64_t>(state.copyUsed);
  state.copyUsed = needed;
  return nullptr;
}

void freeState(yan_bundle_t *bundle, LearnState &state, PartitionRecord &record) {
  if (!record.optimizerState)
    return;
  bundle->allocator.free(bundle->allocator.self, record.optimizerState);
  state.stateBytes -= record.stateFloats * sizeof(float);
  record.optimizerState = nullptr;
  record.stateFloats = 0;
}

} // namespace

yan_status_t learnState(yan_bundle_t *bundle, LearnState **out) {
  if (bundle->learned) {
    *out = bundle->learned;
    return nullptr;
  }
  const fb::Bundle &root = *bundle->verified.root;
  const fb::ModelConfig &c = *root.config();
  size_t layers = static_cast<size_t>(c.num_layers());
  size_t partitions = static_cast<size_t>(c.num_partitions());
  // L, P < 2^31 and L * P counters fit the session budget (bundle_verify).
  size_t ffnOffset = (sizeof(LearnState) + kAlign - 1) & ~(kAlign - 1);
  size_t recordsOffset = ffnOffset + layers * kFfnTensors * sizeof(FfnWeight);
  recordsOffset = (recordsOffset + kAlign - 1) & ~(kAlign - 1);
  size_t total = recordsOffset + layers * partitions * sizeof(PartitionRecord);
  auto *memory = static_cast<uint8_t *>(
      bundle->allocator.allocate(bundle->allocator.self, total, kAlign));
  if (!memory)
    return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                      "cannot allocate the learn state (%zu bytes)", total);
  auto *state = new (memory) LearnState();
  state->layers = c.num_layers();
  state->partitions = c.num_partitions();
  state->sliceFloats =
      static_cast<uint64_t>(c.partition_size()) * static_cast<uint64_t>(c.hidden_size());
  state->ffn = reinterpret_cast<FfnWeight *>(memory + ffnOffset);
  state->records = reinterpret_cast<PartitionRecord *>(memory + recordsOffset);
  for (size_t i = 0; i < layers * kFfnTensors; ++i)
    new (&state->ffn[i]) FfnWeight();
  for (size_t i = 0; i < layers * partitions; ++i)
    new (&state->records[i]) PartitionRecord();
  // Checked at open for bundles with a learn table; a bundle without one
  // (deltas only) is checked here.
  for (int64_t l = 0; l < state->layers; ++l) {
    if (yan_status_t status = findFfnWeights(root, l, &state->ffn[l * kFfnTensors],
                                             &state->dtype)) {
      bundle->allocator.free(bundle->allocator.self, memory);
      return status;
    }
  }
  bundle->learned = state;
  *out = state;
  return nullptr;
}

void destroyLearnState(yan_bundle_t *bundle) {
  LearnState *state = bundle->learned;
  if (!state)
    return;
  for (int64_t i = 0; i < state->layers * state->partitions; ++i)
    freeState(bundle, *state, state->records[i]);
  if (state->copyOffsets)
    bundle->allocator.free(bundle->allocator.self, state->copyOffsets);
  if (state->copies)
    bundle->allocator.free(bundle->allocator.self, state->copies);
  if (state->privateWeights)
    bundle->allocator.free(bundle->allocator.self, state->privateWeights);
  bundle->learned = nullptr;
  bundle->allocator.free(bundle->allocator.self, state);
}

yan_status_t makeWritable(yan_bundle_t *bundle, LearnState &state, int64_t layer,
                          int64_t partition) {
  PartitionRecord &record = state.record(layer, partition);
  if (record.writable)
    return nullptr;
  // Lazy trust: never copy or change a partition before it is verified
  // (a no-op when open hashed the weights).
  YAN_RETURN_IF_ERROR(verifyPartition(bundle, layer, partition));
  if (state.usesCopies()) {
    YAN_RETURN_IF_ERROR(allocateCopy(bundle, state, layer, partition));
  } else if (!bundle->mapping.data) {
    if (!state.privateWeights)
      YAN_RETURN_IF_ERROR(privatizeWeights(bundle, state));
  } else {
    for (int t = 0; t < kFfnTensors; ++t) {
      const FfnWeight &w = state.weight(layer, t);
      YAN_RETURN_IF_ERROR(unprotect(bundle->verified.weights + w.offset +
                                        static_cast<uint64_t>(partition) * w.stride,
                                    w.bytes));
    }
  }
  record.writable = true;
  return nullptr;
}

uint8_t *writableWeights(yan_bundle_t *bundle) {
  // File bundles: the pages made writable are inside the private mapping;
  // memory bundles: verified.weights is the private copy by now.
  return const_cast<uint8_t *>(bundle->verified.weights);
}

float *learnedWeights(yan_bundle_t *bundle, const LearnState &state, int64_t layer,
                      int tensor, int64_t partition) {
  if (state.usesCopies()) {
    int64_t offset = state.copyOffsets[layer * state.partitions + partition];
    return reinterpret_cast<float *>(state.copies + offset) +
           static_cast<uint64_t>(tensor) * state.sliceFloats;
  }
  const FfnWeight &w = state.weight(layer, tensor);
  return reinterpret_cast<float *>(writableWeights(bundle) + w.offset +
                                   static_cast<uint64_t>(partition) * w.stride);
}

const float *partitionCopy(const yan_bundle_t *bundle, int64_t layer, int64_t partition) {
  const LearnState *state = bundle->learned;
  if (!state || !state->copyOffsets)
    return nullptr;
  int64_t offset = state->copyOffsets[layer * state->partitions + partition];
  return offset < 0 ? nullptr : reinterpret_cast<const float *>(state->copies + offset);
}

void setPartitionCopies(const yan_bundle_t *bundle, yan_entry_args_v3 &args) {
  const LearnState *state = bundle->learned;
  args.partition_copy_offsets = state ? state->copyOffsets : nullptr;
  args.partition_copies = state ? state->copies : nullptr;
}

uint64_t optimizerStateFloats(const LearnState &state, uint32_t optimizer, bool momentum) {
  if (optimizer == YAN_OPTIMIZER_ADAMW)
    return 6 * state.sliceFloats; // exp_avg, exp_avg_sq for w1, w3, w2
  return momentum ? 3 * state.sliceFloats : 0;
}

yan_status_t reserveOptimizerState(yan_bundle_t *bundle, LearnState &state,
                                   PartitionRecord &record, uint64_t floats) {
  if (floats == 0 || record.stateFloats == floats)
    return nullptr;
  void *memory = bundle->allocator.allocate(bundle->allocator.self,
                                            static_cast<size_t>(floats * sizeof(float)),
                                            kAlign);
  if (!memory)
    return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                      "cannot allocate %llu bytes of optimizer state for a partition",
                      static_cast<unsigned long long>(floats * sizeof(float)));
  std::memset(memory, 0, static_cast<size_t>(floats * sizeof(float)));
  // Only a partition never trained can hold state of another size (reserved
  // for a step that failed): the optimizer of a trained one never changes.
  freeState(bundle, state, record);
  record.optimizerState = static_cast<float *>(memory);
  record.stateFloats = floats;
  state.stateBytes += floats * sizeof(float);
  return nullptr;
}

void releaseUntrainedState(yan_bundle_t *bundle, LearnState &state) {
  for (int64_t i = 0; i < state.layers * state.partitions; ++i)
    if (state.records[i].steps == 0) {
      freeState(bundle, state, state.records[i]);
      if (state.copyOffsets && state.copyOffsets[i] >= 0) {
        state.copyOffsets[i] = -1;
        state.records[i].writable = false;
      }
    }
  // Copies are handed out at the end of the buffer and only the newest
  // (those of the failed step or delta) are ever released: the space after
  // the last copy still held is free again.
  if (state.copyOffsets) {
    uint64_t used = 0;
    for (int64_t i = 0; i < state.layers * state.partitions; ++i)
      if (state.copyOffsets[i] >= 0)
        used = std::max(used, static_cast<uint64_t>(state.copyOffsets[i]) + state.copyBytes);
    state.copyUsed = used;
  }
}

LearnGuard::LearnGuard(yan_bundle_t *bundle) : bundle_(bundle), held_(false) {
  uint32_t expected = 0;
  held_ = bundle->learnBusy.compare_exchange_strong(expected, 1, std::memory_order_acquire);
}

LearnGuard::~LearnGuard() {
  if (held_)
    bundle_->learnBusy.store(0, std::memory_order_release);
}

yan_status_t LearnGuard::status(const char *function) const {
  if (held_)
    return nullptr;
  return makeStatus(YAN_STATUS_FAILED_PRECONDITION,
                    "%s: another learn or delta call is running on this bundle (learning "
                    "must not run concurrently with other calls on the bundle)", function);
}

} // namespace yan::rt
