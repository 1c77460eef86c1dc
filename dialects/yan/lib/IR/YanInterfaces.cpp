//===- YanInterfaces.cpp - Partition activation facts ---------------------===//
#include "yan/IR/YanInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

int64_t mlir::yan::weightBytesPerToken(Type weightType,
                                       const WeightAccess &access) {
  auto tensor = dyn_cast<RankedTensorType>(weightType);
  if (!tensor || !tensor.hasStaticShape() || access.numPartitions <= 0)
    return 0;
  unsigned bits = tensor.getElementTypeBitWidth();
  int64_t bytes = tensor.getNumElements() * static_cast<int64_t>(bits / 8);
  // Partitions are equal slices: exact division (verifiers ensure the leading
  // dimension is the partition count).
  return bytes / access.numPartitions * access.partitionsPerToken;
}

#include "yan/IR/YanInterfaces.cpp.inc"
