//===- YanInterfaces.h - Partition activation facts --------------*- C++ -*-===//
#ifndef YAN_IR_YANINTERFACES_H
#define YAN_IR_YANINTERFACES_H

#include "mlir/IR/OpDefinition.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>

namespace mlir::yan {

/// How an op reads one weight operand: the weight is split into
/// `numPartitions` equal slices along its leading dimension, and one token
/// reads `partitionsPerToken` of them.
struct WeightAccess {
  unsigned operandIndex;
  int64_t numPartitions;
  int64_t partitionsPerToken;
};

/// Bytes of `weight` one token reads under `access`: its type's elements, or
/// for a yan.weight_ref of a weight with `storage` int8/int4 its stored
/// slabs, scales included (yan/quant_format.h); 0 if the type is not a
/// static tensor of a byte-sized float type.
int64_t weightBytesPerToken(Value weight, const WeightAccess &access);

} // namespace mlir::yan

#include "yan/IR/YanInterfaces.h.inc"

#endif // YAN_IR_YANINTERFACES_H
