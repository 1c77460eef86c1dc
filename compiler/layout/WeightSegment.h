//===- WeightSegment.h - A checkpoint's bytes placed per the layout -*- C++ -*-===//
//
// What the weight segment holds: each tensor, where it goes, and how to
// produce its bytes. The bundle writer streams them into a .yanb and
// `yanc --emit=static-lib` into an object file, so both outputs carry the
// same segment, byte for byte. Bytes are produced one partition at a time
// from the mapped checkpoint (converted or quantized on the way when the
// stored format is not the file's: streamPartition), never the whole model.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LAYOUT_WEIGHTSEGMENT_H
#define YAN_COMPILER_LAYOUT_WEIGHTSEGMENT_H

#include "compiler/import/Checkpoint.h"
#include "compiler/import/ConvertWeights.h"
#include "compiler/layout/WeightLayout.h"

#include "llvm/ADT/ArrayRef.h"
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace yan {

/// One tensor of the weight segment (the bundle's weight table records the
/// same fields).
struct BundleWeight {
  std::string name;
  WeightFormat format;
  std::vector<int64_t> shape;
  uint64_t offset = 0;          // in the weight segment, 64-byte aligned
  int64_t numPartitions = 1;
  uint64_t partitionBytes = 0;  // one partition's bytes, unpadded
  uint64_t partitionStride = 0; // bytes; >= partitionBytes
  /// Hands partition p's partitionBytes bytes (written at
  /// offset + p * partitionStride) to the sink, in pieces. Views the mapped
  /// checkpoint: keep it alive until the segment is written.
  std::function<llvm::Error(int64_t p, ByteSink sink)> writePartition;
};

/// The weights of `checkpoint`, stored as it says (Checkpoint::storedFormat),
/// placed per `layout`.
std::vector<BundleWeight> bundleWeights(const WeightLayout &layout,
                                        const Checkpoint &checkpoint);

} // namespace yan

#endif // YAN_COMPILER_LAYOUT_WEIGHTSEGMENT_H
