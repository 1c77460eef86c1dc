//===- WeightTraffic.h - Weight bytes read per token -------------*- C++ -*-===//
#ifndef YAN_COMPILER_TRANSFORMS_WEIGHTTRAFFIC_H
#define YAN_COMPILER_TRANSFORMS_WEIGHTTRAFFIC_H

#include "mlir/IR/Operation.h"
#include <cstdint>

namespace yan {

/// Weight traffic of one op or a whole region, split into weights read in
/// full (dense) and weights of which a token reads a fraction (partitioned,
/// including embedding rows).
struct WeightTraffic {
  int64_t denseBytes = 0;
  int64_t partitionedBytes = 0;     // read per token
  int64_t partitionedBytesAll = 0;  // held, all partitions
  int64_t perToken() const { return denseBytes + partitionedBytes; }
  WeightTraffic &operator+=(const WeightTraffic &other);
};

/// Traffic of `op` alone (zero for ops without WeightAccessOpInterface).
WeightTraffic weightTrafficOf(mlir::Operation *op);

/// Traffic of every op nested under `root`, for one token.
WeightTraffic weightTrafficUnder(mlir::Operation *root);

} // namespace yan

#endif // YAN_COMPILER_TRANSFORMS_WEIGHTTRAFFIC_H
