//===- Pipeline.cpp - yan -> LLVM dialect ---------------------------------===//
#include "compiler/codegen/Pipeline.h"

#include "compiler/autodiff/Passes.h"
#include "compiler/lowering/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace yan {

void buildLowerToLoopsPipeline(OpPassManager &pm, const KernelTiles &tiles,
                               int64_t prefillMaxTokens,
                               int64_t partitionAlignment,
                               const LearnOptions &learn, bool nativeF16,
                               const Bf16PairDot &pairDot) {
  LayoutWeightsOptions layout;
  layout.partitionAlignment = partitionAlignment;
  pm.addPass(createLayoutWeights(layout));
  if (learn.enabled) {
    BuildLearnOptions build;
    build.learnPartitions = learn.partitions;
    pm.addPass(createBuildLearn(build));
  }
  LowerToLoopsOptions lowering;
  lowering.vectorWidth = tiles.f32Lanes;
  lowering.rowBlock = tiles.rowBlock;
  lowering.dotVectors = tiles.dotVectors;
  lowering.accumulateOutputs = tiles.accumulateOutputs;
  lowering.accumulateVectors = tiles.accumulateVectors;
  lowering.quantLanes = tiles.quantLanes;
  lowering.dequantRows = tiles.dequantRows;
  lowering.prefillMaxTokens = prefillMaxTokens;
  lowering.learnMaxTokens = learn.maxTokens;
  lowering.nativeF16 = nativeF16;
  lowering.bf16DotIntrinsic = pairDot.dotIntrinsic;
  lowering.wordLookupIntrinsic = pairDot.lookupIntrinsic;
  pm.addPass(createLowerToLoops(lowering));
  pm.addPass(createExpandMath());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createOutlineLoopNests());
}

void buildLoopsToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(arith::createArithExpandOpsPass()); // ceildivui and friends
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

namespace {
struct LowerToLLVMOptions : PassPipelineOptions<LowerToLLVMOptions> {
  Option<unsigned> vectorWidth{*this, "vector-width",
                               llvm::cl::desc("f32 lanes per vector"),
                               llvm::cl::init(8)};
  Option<int64_t> prefillMaxTokens{
      *this, "prefill-max-tokens",
      llvm::cl::desc("Most tokens per prefill call"),
      llvm::cl::init(kDefaultPrefillMaxTokens)};
  Option<int64_t> partitionAlignment{
      *this, "partition-alignment",
      llvm::cl::desc("Byte alignment of weight partitions (0: packed)"),
      llvm::cl::init(0)};
  Option<bool> nativeF16{
      *this, "native-f16",
      llvm::cl::desc("The target converts f16 to f32 in hardware"),
      llvm::cl::init(true)};
};
} // namespace

void registerYanPipelines() {
  PassPipelineRegistration<LowerToLLVMOptions>(
      "yan-lower-to-llvm",
      "Lowers yan entry points to the LLVM dialect (weight layout, loops, "
      "vector kernels, polynomial math, upstream conversions). yan.weight "
      "declarations are kept for the bundle writer.",
      [](OpPassManager &pm, const LowerToLLVMOptions &options) {
        KernelTiles tiles;
        tiles.f32Lanes = options.vectorWidth;
        buildLowerToLoopsPipeline(pm, tiles,
                                  options.prefillMaxTokens,
                                  options.partitionAlignment, LearnOptions{},
                                  options.nativeF16);
        buildLoopsToLLVMPipeline(pm);
      });
}

} // namespace yan
