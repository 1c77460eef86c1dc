//===- DeltaSupport.h - Deltas written by the tests themselves --*- C++ -*-===//
//
// A second, independent writer of the delta format, from its description in
// docs/learning.md (not from runtime/src/delta_*.cpp), so tests can make
// deltas with chosen contents, damage them on purpose, and check that what
// the runtime saves is byte for byte what the format says. No gtest (the
// delta fuzzer's seed maker links it too): API failures abort.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TEST_RUNTIME_DELTASUPPORT_H
#define YAN_TEST_RUNTIME_DELTASUPPORT_H

#include "yan/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace yan::test {

/// What a delta binds to, read from an open bundle through the C API.
struct DeltaModel {
  uint8_t weightsSha256[32] = {};
  int64_t layers = 0, partitions = 0, partitionSize = 0, hidden = 0;
  uint32_t dtype = 0;
  uint64_t tensorBytes = 0; // one partition of one FFN tensor: F * D * dtype bytes
  /// Offset / stride of layer l's tensor t (0 w1, 1 w3, 2 w2).
  std::vector<uint64_t> offsets, strides;

  static DeltaModel of(const yan_bundle_t *bundle);
  uint64_t sliceFloats() const { return uint64_t(partitionSize) * uint64_t(hidden); }
};

struct DeltaRecord {
  int32_t layer = 0, partition = 0;
  uint32_t optimizer = YAN_LEARN_SGD;
  uint64_t steps = 1;
  std::vector<uint8_t> weights; // w1[p], w3[p], w2[p]
  std::vector<float> state;     // 0, 3*F*D or 6*F*D floats
};

/// A record with deterministic pseudo-random weights and state.
DeltaRecord randomRecord(const DeltaModel &model, int32_t layer, int32_t partition,
                         uint32_t optimizer, uint64_t steps, bool withState, uint32_t seed);

/// Header + records + checksum, per the format.
std::vector<uint8_t> buildDelta(const DeltaModel &model, const std::vector<DeltaRecord> &records);

/// Recomputes the trailing checksum (after a test changed the contents).
void resign(std::vector<uint8_t> &delta);

/// Byte offsets in a delta built by buildDelta.
constexpr size_t kDeltaHeaderBytes = 96;
constexpr size_t kDeltaRecordHeaderBytes = 40;

/// w1[p], w3[p], w2[p] as the bundle's code reads them now.
std::vector<uint8_t> partitionBytes(const yan_bundle_t *bundle, const DeltaModel &model,
                                    int64_t layer, int64_t partition);

/// The whole weight segment as the bundle's code reads it now.
std::vector<uint8_t> weightSegment(const yan_bundle_t *bundle);
/// The weights as the code reads them, as bytes to compare: the weight
/// segment, then the f32 copy of every partition that has one (FFN weights
/// stored in f16/bf16 are trained in copies), in (layer, partition) order.
std::vector<uint8_t> learnedWeights(const yan_bundle_t *bundle);

std::vector<uint8_t> readFileBytes(const std::string &path);
void writeFileBytes(const std::string &path, const std::vector<uint8_t> &bytes);

} // namespace yan::test

#endif // YAN_TEST_RUNTIME_DELTASUPPORT_H
