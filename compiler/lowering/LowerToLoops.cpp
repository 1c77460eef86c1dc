//===- LowerToLoops.cpp - The -yan-lower-to-loops pass --------------------===//
//
// Lowers every yan function of the module (EntryLowering.h) with the pass
// options as its EntryOptions, and pairs a learn entry with its optimizer
// entry. See Passes.td for the calling convention.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/EntryLowering.h"

using namespace mlir;

namespace yan {
#define GEN_PASS_DEF_LOWERTOLOOPS
#include "compiler/lowering/Passes.h.inc"

namespace {

struct LowerToLoopsPass : impl::LowerToLoopsBase<LowerToLoopsPass> {
  using LowerToLoopsBase::LowerToLoopsBase;

  void runOnOperation() override {
    if (vectorWidth == 0 || quantLanes == 0 || rowBlock <= 0 ||
        dotVectors <= 0 || accumulateOutputs <= 0 || accumulateVectors <= 0 ||
        dequantRows <= 0) {
      getOperation().emitError(
          "vector-width, quant-lanes, row-block, dot-vectors, "
          "accumulate-outputs, accumulate-vectors and dequant-rows must be "
          "positive");
      return signalPassFailure();
    }
    if (bf16DotIntrinsic.empty() != wordLookupIntrinsic.empty() ||
        (!bf16DotIntrinsic.empty() && quantLanes != 16)) {
      getOperation().emitError(
          "bf16-dot-intrinsic and word-lookup-intrinsic go together, and "
          "need quant-lanes 16 (the pair dot's f32 lanes)");
      return signalPassFailure();
    }
    // A vector of a quantized weight must lie within one 32-element group.
    for (auto weight : getOperation().getOps<mlir::yan::WeightOp>()) {
      if (!weight.getStorage())
        continue;
      if (kQuantGroupSize % vectorWidth != 0 ||
          kQuantGroupSize % quantLanes != 0) {
        weight.emitOpError()
            << "is stored " << *weight.getStorage()
            << ", whose kernels need vector-width (" << vectorWidth
            << ") and quant-lanes (" << quantLanes << ") to divide the group "
            << "of " << kQuantGroupSize;
        return signalPassFailure();
      }
    }
    SmallVector<func::FuncOp> entries;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal())
        entries.push_back(func);
    for (func::FuncOp func : entries) {
      lowering::EntryKind kind = lowering::entryKindOf(func);
      bool learn = kind == lowering::EntryKind::Learn;
      if (learn && learnMaxTokens < 2) {
        func.emitError("learn-max-tokens must be at least 2");
        return signalPassFailure();
      }
      lowering::EntryOptions options;
      options.maxTokens = learn ? learnMaxTokens : prefillMaxTokens;
      options.kernels.vectorWidth = vectorWidth;
      options.kernels.rowBlock = rowBlock;
      options.kernels.dotVectors = dotVectors;
      options.kernels.accumulateOutputs = accumulateOutputs;
      options.kernels.accumulateVectors = accumulateVectors;
      options.kernels.quantLanes = quantLanes;
      options.kernels.dequantRows = dequantRows;
      options.kernels.nativeF16 = nativeF16;
      options.kernels.bf16DotIntrinsic = bf16DotIntrinsic;
      options.kernels.wordLookupIntrinsic = wordLookupIntrinsic;
      lowering::LearnFacts facts;
      if (failed(lowering::lowerEntry(func, options, &facts)))
        return signalPassFailure();
      // The optimizer step that consumes the learn entry's gradients.
      if (learn)
        lowering::emitLearnApply(getOperation(), facts, options.kernels);
    }
  }
};

} // namespace
} // namespace yan
