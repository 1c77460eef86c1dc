//===- LayoutWeights.cpp - Weight offsets in the weight segment -----------===//
//
// The offsets come from the bundle's one layout algorithm
// (compiler/layout/WeightLayout.h); this pass only states them in the IR,
// where generated code and the bundle writer both read them.
//
//===----------------------------------------------------------------------===//
#include "compiler/layout/WeightLayout.h"
#include "compiler/lowering/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "yan/IR/YanOps.h"

namespace yan {
#define GEN_PASS_DEF_LAYOUTWEIGHTS
#include "compiler/lowering/Passes.h.inc"

namespace {
std::optional<DType> dtypeOf(mlir::Type element) {
  if (element.isF32())
    return DType::F32;
  if (element.isF16())
    return DType::F16;
  if (element.isBF16())
    return DType::BF16;
  return std::nullopt;
}

/// A weight is partitioned when a partitioned FFN reads it: its leading
/// dimension is then the partition count (WeightAccessOpInterface).
int64_t partitionsOf(mlir::yan::WeightOp weight, mlir::ModuleOp module) {
  int64_t partitions = 1;
  module.walk([&](mlir::yan::PartitionedFfnOp ffn) {
    for (const mlir::yan::WeightAccess &access :
         llvm::cast<mlir::yan::WeightAccessOpInterface>(ffn.getOperation())
             .getWeightAccesses()) {
      auto ref = ffn->getOperand(access.operandIndex)
                     .getDefiningOp<mlir::yan::WeightRefOp>();
      if (ref && ref.getName() == weight.getSymName())
        partitions = access.numPartitions;
    }
  });
  return partitions;
}

struct LayoutWeightsPass : impl::LayoutWeightsBase<LayoutWeightsPass> {
  using LayoutWeightsBase::LayoutWeightsBase;

  void runOnOperation() override {
    mlir::ModuleOp module = getOperation();
    std::vector<WeightSpec> specs;
    llvm::SmallVector<mlir::yan::WeightOp> weights;
    for (auto weight : module.getOps<mlir::yan::WeightOp>()) {
      auto type = llvm::cast<mlir::RankedTensorType>(weight.getType());
      std::optional<DType> dtype = dtypeOf(type.getElementType());
      if (!dtype) {
        weight.emitOpError("has an element type the bundle cannot store");
        return signalPassFailure();
      }
      std::optional<QuantFormat> quant;
      if (std::optional<llvm::StringRef> storage = weight.getStorage())
        quant = parseQuantFormat(*storage); // the verifier allows int8/int4 only
      specs.push_back({weight.getSymName().str(), *dtype,
                       std::vector<int64_t>(type.getShape().begin(),
                                            type.getShape().end()),
                       partitionsOf(weight, module), quant});
      weights.push_back(weight);
    }
    WeightLayoutOptions options;
    options.tensorAlignment = alignment;
    options.partitionAlignment = partitionAlignment;
    llvm::Expected<WeightLayout> layout = computeWeightLayout(specs, options);
    if (!layout) {
      module.emitError() << llvm::toString(layout.takeError());
      return signalPassFailure();
    }
    mlir::Builder builder(module.getContext());
    for (auto [weight, placement] : llvm::zip(weights, layout->weights)) {
      weight->setAttr(kWeightOffsetAttr,
                      builder.getI64IntegerAttr(placement.offset));
      weight->setAttr(kWeightPartitionsAttr,
                      builder.getI64IntegerAttr(placement.numPartitions));
      weight->setAttr(kWeightPartitionStrideAttr,
                      builder.getI64IntegerAttr(placement.partitionStride));
    }
    module->setAttr(kWeightBytesAttr,
                    builder.getI64IntegerAttr(layout->segmentSize));
  }
};
} // namespace
} // namespace yan
