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
} // namespace mlir::yan

#endif // YAN_IR_YANOPS_H
