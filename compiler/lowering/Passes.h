//===- Passes.h - Lowering the yan dialect -----------------------*- C++ -*-===//
#ifndef YAN_COMPILER_LOWERING_PASSES_H
#define YAN_COMPILER_LOWERING_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
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

/// Tokens one call of a dynamic-length entry (prefill) handles unless the
/// user says otherwise (yanc --prefill-max-tokens). Prefill groups a call's
/// tokens by partition and multiplies each partition once: at 64 tokens,
/// `small` (k 4 of P 32) gave a partition 8 tokens, too few to reuse its
/// weight rows, and a 128-token prefill ran at 0.29-0.31 of the FMA peak; at
/// 256 it runs in one call at 0.38-0.45 (docs/performance.md). The cost is
/// arena memory, linear in it: 2.6 MiB for `small`, about 8 MiB for `3b`.
inline constexpr int64_t kDefaultPrefillMaxTokens = 256;

#define GEN_PASS_DECL
#include "compiler/lowering/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/lowering/Passes.h.inc"

} // namespace yan

#endif // YAN_COMPILER_LOWERING_PASSES_H
