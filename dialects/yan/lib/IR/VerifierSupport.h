//===- VerifierSupport.h - Shape checks shared by the yan verifiers -*- C++ -*-===//
//
// Verifiers name the operand and dimension at fault; these helpers phrase
// those messages the same way for every op (forward and gradient ops).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_DIALECT_LIB_IR_VERIFIERSUPPORT_H
#define YAN_DIALECT_LIB_IR_VERIFIERSUPPORT_H

#include "yan/IR/YanOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include <string>

namespace mlir::yan::detail {
/// Two dimensions agree when either is dynamic or they are equal.
inline bool dimsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

inline std::string dimString(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

/// Checks `type` has rank `rank`; reports `what` on failure.
inline LogicalResult expectRank(Operation *op, Type type, int64_t rank,
                         StringRef what) {
  auto tensor = cast<RankedTensorType>(type);
  if (tensor.getRank() != rank)
    return op->emitOpError() << what << " must have rank " << rank
                             << ", got " << type;
  return success();
}

/// Checks dimension `dim` of `type` agrees with `expected`.
inline LogicalResult expectDim(Operation *op, Type type, int64_t dim,
                        int64_t expected, StringRef what, StringRef meaning) {
  int64_t actual = cast<RankedTensorType>(type).getDimSize(dim);
  if (!dimsAgree(actual, expected))
    return op->emitOpError()
           << what << " dimension " << dim << " (" << meaning << ") is "
           << dimString(actual) << ", expected " << dimString(expected);
  return success();
}

/// Checks dimension `dim` of `type` is static (weights, hidden sizes).
inline LogicalResult expectStatic(Operation *op, Type type, StringRef what) {
  auto tensor = cast<RankedTensorType>(type);
  if (!tensor.hasStaticShape())
    return op->emitOpError() << what << " must have a static shape, got "
                             << type;
  return success();
}

inline int64_t dim(Value v, int64_t i) {
  return cast<RankedTensorType>(v.getType()).getDimSize(i);
}

inline SmallVector<WeightAccess> denseAccess(unsigned operandIndex) {
  return {WeightAccess{operandIndex, 1, 1}};
}
} // namespace mlir::yan::detail

#endif // YAN_DIALECT_LIB_IR_VERIFIERSUPPORT_H
