//===- WeightSegment.h - A checkpoint's bytes placed per the layout -*- C++ -*-===//
//
// What the weight segment holds: each tensor's bytes and where they go. The
// bundle writer copies them into a .yanb and `yanc --emit=static-lib` into
// an object file, so both outputs carry the same segment, byte for byte.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LAYOUT_WEIGHTSEGMENT_H
#define YAN_COMPILER_LAYOUT_WEIGHTSEGMENT_H

#include "compiler/import/Checkpoint.h"
#include "compiler/layout/WeightLayout.h"

#include "llvm/ADT/ArrayRef.h"
#include <cstdint>
#include <string>
#include <vector>

namespace yan {

/// One tensor of the weight segment (the bundle's weight table records the
/// same fields).
struct BundleWeight {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t offset = 0;          // in the weight segment, 64-byte aligned
  int64_t numPartitions = 1;
  uint64_t partitionStride = 0; // bytes; >= bytes.size() / numPartitions
  /// The tensor's bytes, unpadded; partition p (bytes.size() / numPartitions
  /// bytes) is written at offset + p * partitionStride.
  llvm::ArrayRef<uint8_t> bytes;
};

/// The weights of `checkpoint` placed per `layout` (views into the mapped
/// checkpoint: keep it alive until the segment is written).
std::vector<BundleWeight> bundleWeights(const WeightLayout &layout,
                                        const Checkpoint &checkpoint);

} // namespace yan

#endif // YAN_COMPILER_LAYOUT_WEIGHTSEGMENT_H
