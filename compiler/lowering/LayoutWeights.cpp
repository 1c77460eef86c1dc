//===- LayoutWeights.cpp - Weight offsets in the weight segment -----------===//
#include "compiler/lowering/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "yan/IR/YanOps.h"

namespace yan {
#define GEN_PASS_DEF_LAYOUTWEIGHTS
#include "compiler/lowering/Passes.h.inc"

namespace {
struct LayoutWeightsPass : impl::LayoutWeightsBase<LayoutWeightsPass> {
  using LayoutWeightsBase::LayoutWeightsBase;

  void runOnOperation() override {
    mlir::ModuleOp module = getOperation();
    if (alignment <= 0 || (alignment & (alignment - 1)) != 0) {
      module.emitError() << "alignment must be a power of two, got "
                         << alignment;
      return signalPassFailure();
    }
    mlir::Builder builder(module.getContext());
    int64_t offset = 0;
    for (auto weight : module.getOps<mlir::yan::WeightOp>()) {
      auto type = llvm::cast<mlir::RankedTensorType>(weight.getType());
      int64_t bytes =
          type.getNumElements() * (type.getElementTypeBitWidth() / 8);
      offset = (offset + alignment - 1) / alignment * alignment;
      weight->setAttr(kWeightOffsetAttr, builder.getI64IntegerAttr(offset));
      offset += bytes;
    }
    module->setAttr(kWeightBytesAttr, builder.getI64IntegerAttr(offset));
  }
};
} // namespace
} // namespace yan
