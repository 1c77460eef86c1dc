//===- WeightLayout.h - Where each weight lives in the bundle ----*- C++ -*-===//
//
// The weight segment's layout, computed once and shared: codegen bakes these
// offsets into the code image, the bundle writer copies bytes to them, and
// the runtime's weight table (which doubles as the partition table) records
// them. Tensors appear in the canonical order of yan::expectedTensors.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LAYOUT_WEIGHTLAYOUT_H
#define YAN_COMPILER_LAYOUT_WEIGHTLAYOUT_H

#include "compiler/import/Checkpoint.h"
#include "compiler/import/QuantFormats.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <string>
#include <vector>

namespace yan {

struct WeightLayoutOptions {
  /// Every tensor starts at a multiple of this (the alignment generated code
  /// may assume for vector loads). Power of two.
  uint64_t tensorAlignment = 64;
  /// Each partition of a partitioned weight starts at a multiple of this
  /// (e.g. the page size, so inactive partitions are never touched). 0 packs
  /// partitions back to back. Power of two when non-zero.
  uint64_t partitionAlignment = 0;
};

struct WeightPlacement {
  std::string name;
  DType dtype;
  /// Set for a quantized weight (dtype is then F32, the values' type): its
  /// bytes are slabs of docs/yan-model.md section 9, one per [rows, cols]
  /// matrix (one per partition of a partitioned weight).
  std::optional<QuantFormat> quant;
  std::vector<int64_t> shape;
  uint64_t offset = 0;          // in the weight segment
  uint64_t size = 0;            // bytes spanned, padding between partitions included
  int64_t numPartitions = 1;    // slices along the leading dimension
  uint64_t partitionBytes = 0;  // bytes of one slice (unpadded)
  uint64_t partitionStride = 0; // bytes from one slice to the next
};

struct WeightLayout {
  std::vector<WeightPlacement> weights; // canonical order, ascending offsets
  uint64_t segmentSize = 0;             // end of the last weight

  /// nullptr if absent.
  const WeightPlacement *find(llvm::StringRef name) const;
};

/// One tensor to place: its partition count comes from whoever knows how it
/// is read (the IR's WeightAccessOpInterface, or the checkpoint's naming).
struct WeightSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  int64_t numPartitions = 1; // slices along the leading dimension
  std::optional<QuantFormat> quant; // see WeightPlacement::quant
};

/// The bytes `spec` occupies unpadded: elements * dtypeSize, or for a
/// quantized weight (rank >= 2) one quantSlabLayout(...).bytes per matrix.
/// False on an invalid shape or overflow.
bool weightBytes(const WeightSpec &spec, uint64_t &bytes);

/// The one layout algorithm: tensors in the given order, each at a multiple
/// of tensorAlignment, partitions of partitioned tensors at multiples of
/// partitionAlignment. Both the compiler's -yan-layout-weights pass (whose
/// offsets generated code bakes in) and tests use it.
llvm::Expected<WeightLayout> computeWeightLayout(llvm::ArrayRef<WeightSpec> specs,
                                                 const WeightLayoutOptions &options = {});

/// Places every tensor of `checkpoint` (which must have passed
/// checkTensors). Errors only on invalid options or sizes that overflow.
llvm::Expected<WeightLayout>
computeWeightLayout(const Checkpoint &checkpoint, const WeightLayoutOptions &options = {});

} // namespace yan

#endif // YAN_COMPILER_LAYOUT_WEIGHTLAYOUT_H
