//===- Pipeline.h - yan -> LLVM dialect ----------------------------*- C++ -*-===//
#ifndef YAN_COMPILER_CODEGEN_PIPELINE_H
#define YAN_COMPILER_CODEGEN_PIPELINE_H

#include "compiler/lowering/Passes.h"
#include "targets/TargetDescription.h"

#include "mlir/Pass/PassManager.h"

namespace yan {

/// The compiled local-update graph (docs/learning.md).
struct LearnOptions {
  bool enabled = false;
  int64_t partitions = 0; // M; 0: the model's k
  int64_t maxTokens = 128; // longest sample
};

/// yan entry points -> loops over runtime buffers (layout, the learn graph
/// when enabled, lowering, math expansion, cleanup). After it, entry
/// functions carry their metadata. `tiles`: the target preset's kernel
/// shapes; `nativeF16`: the target converts f16 to f32 in hardware
/// (hasNativeF16Conversion); `pairDot`: the target's bf16 pair-dot
/// intrinsics when the int4 decode kernel may use them (hasBf16PairDot),
/// else empty.
void buildLowerToLoopsPipeline(mlir::OpPassManager &pm, const KernelTiles &tiles,
                               int64_t prefillMaxTokens,
                               int64_t partitionAlignment,
                               const LearnOptions &learn = {},
                               bool nativeF16 = true,
                               const Bf16PairDot &pairDot = {});

/// Loops over memrefs -> the LLVM dialect (upstream conversions only).
void buildLoopsToLLVMPipeline(mlir::OpPassManager &pm);

/// Registers `yan-lower-to-llvm` (both of the above) for yan-opt and lit.
void registerYanPipelines();

} // namespace yan

#endif // YAN_COMPILER_CODEGEN_PIPELINE_H
