//===- YanOps.h - yan dialect operations -------------------------*- C++ -*-===//
#ifndef YAN_IR_YANOPS_H
#define YAN_IR_YANOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "yan/IR/YanDialect.h"
#include "yan/IR/YanInterfaces.h"

#define GET_OP_CLASSES
#include "yan/IR/YanOps.h.inc"

namespace mlir::yan {
/// On a learn-graph function (built by -yan-build-learn): M, the most
/// partitions trained per layer and step; the lowering plans for it.
inline constexpr llvm::StringLiteral kLearnPartitionsAttr =
    "yan.learn_partitions";
/// On each result of a learn graph: what the result is, "loss", "norm",
/// "chosen" (a layer's chosen partitions) or one of a layer's gradient
/// factors "counts", "a1", "a3", "g", "xs", "ds" (LowRankGradient.h). The
/// lowering finds results by these tags, never by their position.
inline constexpr llvm::StringLiteral kLearnResultAttr = "yan.learn_result";
/// On the per-layer results of a learn graph: the layer (0 = first).
inline constexpr llvm::StringLiteral kLearnLayerAttr = "yan.learn_layer";
} // namespace mlir::yan

#endif // YAN_IR_YANOPS_H
