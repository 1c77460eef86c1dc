//===- learn_state.h - What a bundle has learned ----------------*- C++ -*-===//
//
// Learned weights belong to the bundle (every session sees them), so the
// bundle keeps, per (layer, partition): how many optimizer steps trained it,
// with which optimizer, and its optimizer state. Nothing exists until the
// first learn step or delta; optimizer state only for partitions that were
// trained, allocated zeroed from the bundle's allocator.
//
// Weights are changed in place, in a copy-on-write overlay of the base
// bundle: a file bundle stays mapped MAP_PRIVATE and only the pages of a
// partition about to be trained are made writable, so the kernel copies
// exactly those pages on write (partitions are page-aligned when compiled
// with the default --partition-alignment) and the file is never modified;
// the other pages stay shared with the page cache. A memory bundle
// (yan_bundle_open_memory) borrows the caller's bytes, which we must not
// write: its weight segment is copied once, privately, on first use.
//
// FFN weights that are not f32 (f16, bf16, int8, int4) are never written: a partition is
// trained in an f32 copy made on its first update (executable_abi.h,
// "Partition copies"). The copies live back to back in one buffer from the
// bundle's allocator, found through a table of byte offsets per (layer,
// partition) that every entry call receives; the first LEARN_APPLY of a
// partition fills its copy from the stored weights, widened or dequantized.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_RUNTIME_LEARN_STATE_H
#define YAN_RUNTIME_LEARN_STATE_H

#include "bundle_internal.h"
#include "learn_layout.h"

#include <cstdint>

namespace yan::rt {

struct PartitionRecord {
  uint64_t steps = 0;               // optimizer steps that trained it; 0: never
  float *optimizerState = nullptr;  // stateFloats floats, or nullptr
  uint64_t stateFloats = 0;         // 0, 3*F*D (SGD momentum) or 6*F*D (AdamW)
  uint32_t optimizer = YAN_OPTIMIZER_SGD; // meaningful once steps > 0
  bool writable = false;            // its weight pages may be written (or
                                    // it has an f32 copy)
};

struct LearnState {
  int64_t layers = 0;      // L
  int64_t partitions = 0;  // P
  uint64_t sliceFloats = 0; // F * D: elements of one partition of one tensor
  fb::DType dtype = fb::DType::f32;
  FfnWeight *ffn = nullptr;           // [L * 3]: layer l's w1, w3, w2
  PartitionRecord *records = nullptr; // [L * P]
  uint8_t *privateWeights = nullptr;  // memory bundles: the writable copy
  uint64_t trained = 0;               // records with steps > 0
  uint64_t stateBytes = 0;            // optimizer state held
  // Partition copies (FFN weights not f32): [L * P] byte offsets into
  // `copies` or -1; NULL until the first copy.
  int64_t *copyOffsets = nullptr;
  uint8_t *copies = nullptr;
  uint64_t copyCapacity = 0, copyUsed = 0; // bytes
  uint64_t copyBytes = 0;                  // one copy: 3 * F * D floats, padded

  /// Whether partitions are trained in f32 copies (else in place).
  bool usesCopies() const { return dtype != fb::DType::f32; }
  /// Bytes of a trained partition's w1, w3, w2: f32 whatever the stored
  /// format (what deltas and the rollback copy hold).
  uint64_t learnedPartitionBytes() const { return kFfnTensors * sliceFloats * sizeof(float); }

  PartitionRecord &record(int64_t layer, int64_t partition) {
    return records[layer * partitions + partition];
  }
  const FfnWeight &weight(int64_t layer, int tensor) const {
    return ffn[layer * kFfnTensors + tensor];
  }
};

/// The bundle's learn state, created on first use (one allocation for the
/// FFN table and the records).
yan_status_t learnState(yan_bundle_t *bundle, LearnState **out);
/// Frees the learn state, its optimizer states and any private weights.
void destroyLearnState(yan_bundle_t *bundle);

/// Makes partition `partition` of layer `layer` writable in place (its
/// pages, or the whole segment's private copy for a memory bundle). Changes
/// no weight value.
yan_status_t makeWritable(yan_bundle_t *bundle, LearnState &state, int64_t layer,
                          int64_t partition);

/// The weight segment the code reads, writable (after makeWritable).
uint8_t *writableWeights(yan_bundle_t *bundle);

/// Tensor `tensor` (FfnTensor) of a partition as learning reads and writes
/// it, F * D floats: in the weight segment (f32 weights) or the partition's
/// f32 copy. Only after makeWritable.
float *learnedWeights(yan_bundle_t *bundle, const LearnState &state, int64_t layer,
                      int tensor, int64_t partition);

/// The f32 copy of a partition, or NULL (none, or f32 weights).
const float *partitionCopy(const yan_bundle_t *bundle, int64_t layer, int64_t partition);

/// Sets the entry arguments' partition copies (NULL while there are none).
void setPartitionCopies(const yan_bundle_t *bundle, yan_entry_args_v3 &args);

/// Floats of optimizer state a step with `optimizer` needs (SGD: only with
/// momentum).
uint64_t optimizerStateFloats(const LearnState &state, uint32_t optimizer, bool momentum);

/// Gives `record` `floats` zeroed floats of optimizer state unless it has
/// that many already (0 keeps whatever it has: SGD without momentum leaves a
/// momentum buffer alone). Changes nothing on failure.
yan_status_t reserveOptimizerState(yan_bundle_t *bundle, LearnState &state,
                                   PartitionRecord &record, uint64_t floats);

/// Frees the optimizer state and f32 copies of records never trained
/// (reserved for a step or delta that then failed, or rolled back).
void releaseUntrainedState(yan_bundle_t *bundle, LearnState &state);

/// The bundle's learnBusy flag for the duration of a learn or delta call.
class LearnGuard {
public:
  explicit LearnGuard(yan_bundle_t *bundle);
  ~LearnGuard();
  /// FAILED_PRECONDITION when another call holds the flag.
  yan_status_t status(const char *function) const;

private:
  yan_bundle_t *bundle_;
  bool held_;
};

} // namespace yan::rt

#endif // YAN_RUNTIME_LEARN_STATE_H
