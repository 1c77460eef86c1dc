//===- Pipeline.h - yan -> LLVM dialect ----------------------------*- C++ -*-===//
#ifndef YAN_COMPILER_CODEGEN_PIPELINE_H
#define YAN_COMPILER_CODEGEN_PIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace yan {

/// yan entry points -> loops over runtime buffers (layout, lowering, math
/// expansion, cleanup). After it, entry functions carry their metadata.
void buildLowerToLoopsPipeline(mlir::OpPassManager &pm, unsigned f32Lanes,
                               int64_t prefillMaxTokens,
                               int64_t partitionAlignment);

/// Loops over memrefs -> the LLVM dialect (upstream conversions only).
void buildLoopsToLLVMPipeline(mlir::OpPassManager &pm);

/// Registers `yan-lower-to-llvm` (both of the above) for yan-opt and lit.
void registerYanPipelines();

} // namespace yan

#endif // YAN_COMPILER_CODEGEN_PIPELINE_H
