//===- LowRankGradient.h - Weight gradients kept as factors ------*- C++ -*-===//
//
// A chosen partition's weight gradient is a sum of one outer product per
// position routed to it: G[row, c] = sum_{r < count} left[r, row] *
// right[r, c]. The learn graph keeps only the factors (rank <= N, `count`
// rows: the learn header's routed_pairs sums them) and materializes G a few
// vectors of a row at a time, in registers, where it is consumed: the
// optimizer step (LEARN_APPLY) and the dense gradients it writes for tools.
// Its squared norm comes from the factors' Gram matrices instead
// (ops/GradientNorm.cpp). No F x D gradient is ever stored.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LOWERING_LOWRANKGRADIENT_H
#define YAN_COMPILER_LOWERING_LOWRANKGRADIENT_H

#include "compiler/lowering/KernelEmitter.h"

namespace yan {

struct LowRankGradient {
  Access left;       // [count, rows]: element {r, row}
  Access right;      // [count, cols]: element {r, c}
  mlir::Value count; // index
  int64_t cols = 0;
};

/// For rows in [rowBegin, rowEnd) and every column: body(row, col, width,
/// value) with `value` = G[row, col .. col + width) as a vector of `width`
/// lanes, or a scalar when width == 0. Computed in the transposed product's
/// register tiles (KernelShape accumulateOutputs x accumulateVectors); every
/// element's sum runs over r in order, so a value
/// does not depend on the tiling or on how rows are split among threads.
void forEachGradientChunk(
    KernelEmitter &k, const LowRankGradient &gradient, mlir::Value rowBegin,
    mlir::Value rowEnd,
    llvm::function_ref<void(mlir::Value row, mlir::Value col, int64_t width,
                            mlir::Value value)>
        body);

} // namespace yan

#endif // YAN_COMPILER_LOWERING_LOWRANKGRADIENT_H
