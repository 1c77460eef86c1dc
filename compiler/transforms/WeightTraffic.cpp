//===- WeightTraffic.cpp - Weight bytes read per token --------------------===//
#include "compiler/transforms/WeightTraffic.h"

#include "yan/IR/YanInterfaces.h"

using namespace mlir;

namespace yan {

WeightTraffic &WeightTraffic::operator+=(const WeightTraffic &other) {
  denseBytes += other.denseBytes;
  partitionedBytes += other.partitionedBytes;
  partitionedBytesAll += other.partitionedBytesAll;
  return *this;
}

WeightTraffic weightTrafficOf(Operation *op) {
  WeightTraffic traffic;
  auto reader = dyn_cast<mlir::yan::WeightAccessOpInterface>(op);
  if (!reader)
    return traffic;
  for (const mlir::yan::WeightAccess &access : reader.getWeightAccesses()) {
    Value weight = op->getOperand(access.operandIndex);
    int64_t read = mlir::yan::weightBytesPerToken(weight, access);
    if (access.numPartitions == access.partitionsPerToken) {
      traffic.denseBytes += read;
    } else {
      traffic.partitionedBytes += read;
      traffic.partitionedBytesAll += mlir::yan::weightBytesPerToken(
          weight, {access.operandIndex, access.numPartitions,
                 access.numPartitions});
    }
  }
  return traffic;
}

WeightTraffic weightTrafficUnder(Operation *root) {
  WeightTraffic total;
  root->walk([&](Operation *op) { total += weightTrafficOf(op); });
  return total;
}

} // namespace yan
