//===- Passes.h - Lowering the yan dialect -----------------------*- C++ -*-===//
#ifndef YAN_COMPILER_LOWERING_PASSES_H
#define YAN_COMPILER_LOWERING_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace yan {

/// Attribute names the lowering writes and the bundle writer reads.
inline constexpr llvm::StringLiteral kWeightOffsetAttr = "yan.offset";
inline constexpr llvm::StringLiteral kWeightPartitionsAttr = "yan.partitions";
inline constexpr llvm::StringLiteral kWeightPartitionStrideAttr = "yan.partition_stride";
inline constexpr llvm::StringLiteral kWeightBytesAttr = "yan.weight_bytes";
inline constexpr llvm::StringLiteral kEntryAttr = "yan.entry";
inline constexpr llvm::StringLiteral kMaxTokensAttr = "yan.max_tokens";
inline constexpr llvm::StringLiteral kArenaBytesAttr = "yan.arena_bytes";
inline constexpr llvm::StringLiteral kStateFloatsAttr = "yan.state_floats";
inline constexpr llvm::StringLiteral kStatsCountersAttr = "yan.stats_counters";

#define GEN_PASS_DECL
#include "compiler/lowering/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/lowering/Passes.h.inc"

} // namespace yan

#endif // YAN_COMPILER_LOWERING_PASSES_H
