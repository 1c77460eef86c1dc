//===- ModelStats.cpp - What one token costs, from the IR -----------------===//
#include "compiler/transforms/ModelStats.h"
#include "compiler/transforms/WeightTraffic.h"

#include "mlir/IR/BuiltinTypes.h"
#include "yan/IR/YanOps.h"

namespace yan {

ModelStats modelStatsOf(mlir::Operation *entry) {
  ModelStats stats;
  stats.weightBytesPerToken = weightTrafficUnder(entry).perToken();
  entry->walk([&](mlir::yan::WeightAccessOpInterface reader) {
    for (const mlir::yan::WeightAccess &access : reader.getWeightAccesses()) {
      auto type = llvm::dyn_cast<mlir::RankedTensorType>(
          reader->getOperand(access.operandIndex).getType());
      if (!type || !type.hasStaticShape())
        continue;
      int64_t elements = type.getNumElements();
      int64_t active =
          elements / access.numPartitions * access.partitionsPerToken;
      stats.parameters += elements;
      stats.activeParametersPerToken += active;
      if (type.getRank() >= 2 && !llvm::isa<mlir::yan::EmbedOp>(reader))
        stats.flopsPerToken += 2 * active;
    }
  });
  return stats;
}

int64_t weightGradientFlopsPerPair(mlir::Operation *learnEntry) {
  int64_t perPair = 0;
  learnEntry->walk([&](mlir::yan::PartitionedFfnGradOp grad) {
    int64_t flops = 0;
    for (mlir::Value w : {grad.getW1(), grad.getW3(), grad.getW2()}) {
      auto type = llvm::cast<mlir::RankedTensorType>(w.getType());
      // [P, rows, cols]: one partition is a [rows, cols] matrix.
      flops += 2 * type.getNumElements() / type.getDimSize(0);
    }
    if (perPair != 0 && flops != perPair)
      perPair = -1;
    else if (perPair == 0)
      perPair = flops;
  });
  return perPair;
}

} // namespace yan
