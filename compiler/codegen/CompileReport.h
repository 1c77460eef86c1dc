//===- CompileReport.h - Will it fit the chip? -------------------*- C++ -*-===//
//
// What `yanc --report` prints and `yanc --max-memory` checks: per code image,
// the memory a running session needs (weights mapped + arena + state) next
// to the per-token costs from the IR.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_CODEGEN_COMPILEREPORT_H
#define YAN_COMPILER_CODEGEN_COMPILEREPORT_H

#include "compiler/codegen/ModelLayout.h"
#include "compiler/transforms/ModelStats.h"
#include "targets/TargetDescription.h"

#include "llvm/Support/raw_ostream.h"

namespace yan {

struct TargetFootprint {
  ResolvedTarget target;
  int64_t codeBytes = 0;
  int64_t arenaBytes = 0; // the largest inference entry's plan
  /// The learn entries' arena (0 without learning): allocated by a session
  /// on its first learn call, in addition to the inference arena.
  int64_t learnArenaBytes = 0;
};

/// The weights stored in one format (yanc --weights / --keep-f32).
struct FormatBytes {
  std::string format; // "f32", "f16", "bf16", "int8", "int4"
  int64_t tensors = 0;
  int64_t bytes = 0;  // their stored bytes (scales included), padding excluded
};

struct CompileReport {
  ModelStats stats; // of the decode entry
  /// stats.flopsPerToken's count over the learn entry, per predicted
  /// position: its forward and the backward's products through the weights
  /// (0 without learning). The trained partitions' weight gradients stay
  /// low-rank factors there; LEARN_APPLY multiplies them out, which costs
  /// learnFlopsPerRoutedPair for each (position, chosen partition) pair, a
  /// number only the step knows (the learn header's routed_pairs).
  int64_t learnFlopsPerToken = 0;
  int64_t learnFlopsPerRoutedPair = 0;
  int64_t weightBytes = 0; // the weight segment, padding included
  std::vector<FormatBytes> weightFormats; // in order of first use
  int64_t stateBytes = 0;  // per session
  int64_t bundleBytes = -1; // -1 until written
  std::vector<TargetFootprint> targets;

  /// Weights + arena + state for `target`: what one session needs.
  int64_t memoryBytes(const TargetFootprint &target) const {
    return weightBytes + target.arenaBytes + target.learnArenaBytes + stateBytes;
  }
};

TargetFootprint footprintOf(const ResolvedTarget &target, const ModelLayout &layout,
                            int64_t codeBytes);

/// An error naming the target and each term when any target's footprint
/// exceeds `budget` bytes.
llvm::Error checkMemoryBudget(const CompileReport &report, int64_t budget);

void printReport(llvm::raw_ostream &os, const CompileReport &report, bool json);

} // namespace yan

#endif // YAN_COMPILER_CODEGEN_COMPILEREPORT_H
