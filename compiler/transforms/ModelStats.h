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

} // namespace yan

#endif // YAN_COMPILER_TRANSFORMS_MODELSTATS_H
