//===- ModelLayout.h - What the bundle must know about compiled code -*- C++ -*-===//
//
// The facts the compiler decides and the bundle records for the runtime:
// where each weight sits in the weight segment, the state size, and each
// entry point's token limit and scratch arena size. Read from the IR after
// lowering, so the bundle describes exactly what the code assumes.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_CODEGEN_MODELLAYOUT_H
#define YAN_COMPILER_CODEGEN_MODELLAYOUT_H

#include "compiler/layout/WeightLayout.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <string>
#include <vector>

namespace yan {

struct EntryPointInfo {
  std::string name;   // "prefill", "decode", "learn", "learn_apply"
  uint32_t index = 0; // yan_entry_index
  int64_t maxTokens = 0;
  int64_t arenaBytes = 0;
};

struct ModelLayout {
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0, numLayers = 0, numPartitions = 0, partitionSize = 0;
  int64_t stateFloats = 0;
  int64_t statsCounters = 0; // 2 * L * P (executable_abi.h)
  WeightLayout weights;
  std::vector<EntryPointInfo> entries; // by index; 2 without learning
  int64_t learnPartitions = 0;         // M of the learn entry, 0 without
};

/// Reads weight placements and entry facts from a module after
/// buildLowerToLoopsPipeline, then removes the yan.weight declarations and
/// yan.* attributes, which LLVM translation does not know.
llvm::Error takeLayout(mlir::ModuleOp module, ModelLayout &layout);

} // namespace yan

#endif // YAN_COMPILER_CODEGEN_MODELLAYOUT_H
