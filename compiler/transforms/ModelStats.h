//===- ModelStats.h - What one token costs, from the IR ----------*- C++ -*-===//
#ifndef YAN_COMPILER_TRANSFORMS_MODELSTATS_H
#define YAN_COMPILER_TRANSFORMS_MODELSTATS_H

#include "mlir/IR/Operation.h"
#include <cstdint>

namespace yan {

/// Per-token costs of one entry point (the decode entry for a model), from
/// WeightAccessOpInterface: every weight an op reads, which fraction of it a
/// token reads.
struct ModelStats {
  int64_t parameters = 0;              // elements of every weight read
  int64_t activeParametersPerToken = 0; // elements one token reads
  int64_t weightBytesPerToken = 0;      // bytes one token reads
  /// 2 x the multiply-adds with weight matrices (rank >= 2 weights of ops
  /// that multiply: not embedding lookups); element-wise work is excluded.
  int64_t flopsPerToken = 0;
};

ModelStats modelStatsOf(mlir::Operation *entry);

/// FLOPs of one (position, chosen partition) pair's weight-gradient
/// products in a learn entry: 2 x one partition's elements of w1, w3 and w2
/// of a yan.partitioned_ffn_grad (the outer products LEARN_APPLY sums;
/// LowRankGradient.h). 0 without gradient ops; -1 when the layers'
/// partitions differ in size (the runtime counts pairs over all layers).
int64_t weightGradientFlopsPerPair(mlir::Operation *learnEntry);

} // namespace yan

#endif // YAN_COMPILER_TRANSFORMS_MODELSTATS_H
