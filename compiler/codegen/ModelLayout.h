//===- ModelLayout.h - What the bundle must know about compiled code -*- C++ -*-===//
//
// The facts the compiler decides and the bundle records for the runtime:
// where each weight sits in the weight segment, the recurrent state layout,
// and each entry point's token limit and scratch arena size.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_CODEGEN_MODELLAYOUT_H
#define YAN_COMPILER_CODEGEN_MODELLAYOUT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <string>
#include <vector>

namespace yan {

struct WeightSlot {
  std::string name;
  int64_t offset = 0; // bytes from the weight segment's start
  int64_t bytes = 0;
};

struct StateSlot {
  std::string name; // e.g. "layers.0.h"
  std::vector<int64_t> shape;
  int64_t offset = 0; // floats from the state buffer's start
};

struct EntryPointInfo {
  std::string name;   // "prefill", "decode"
  uint32_t index = 0; // yan_entry_index_v1
  int64_t maxTokens = 0;
  int64_t arenaBytes = 0;
};

struct ModelLayout {
  int64_t vocabSize = 0;
  int64_t weightBytes = 0;
  int64_t stateFloats = 0;
  std::vector<WeightSlot> weights;
  std::vector<StateSlot> state;
  std::vector<EntryPointInfo> entries; // by index
};

/// The state layout of a yan-level module: the `yan.state` arguments of its
/// decode entry, one after the other.
llvm::Expected<std::vector<StateSlot>> describeState(mlir::ModuleOp module);

/// Reads weight offsets and entry facts from a module after
/// buildLowerToLoopsPipeline, then removes the yan.weight declarations and
/// yan.* attributes, which LLVM translation does not know.
llvm::Error takeLayout(mlir::ModuleOp module, ModelLayout &layout);

} // namespace yan

#endif // YAN_COMPILER_CODEGEN_MODELLAYOUT_H
