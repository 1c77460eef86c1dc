//===- ModelLayout.cpp - What the bundle must know about compiled code ----===//
#include "compiler/codegen/ModelLayout.h"

#include "compiler/import/Importer.h"
#include "compiler/lowering/Passes.h"
#include "yan/IR/YanOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "yan/executable_abi.h"

using namespace mlir;

namespace yan {
llvm::Error takeLayout(ModuleOp module, ModelLayout &layout) {
  auto weightBytes = module->getAttrOfType<IntegerAttr>(kWeightBytesAttr);
  auto config = module->getAttrOfType<DictionaryAttr>("yan.model");
  if (!weightBytes || !config || !config.getAs<IntegerAttr>("vocab_size"))
    return llvm::createStringError("module lacks yan.weight_bytes or yan.model");
  layout.weights.segmentSize = weightBytes.getInt();
  // The dimensions the code image's plan states (executable_abi.h).
  for (auto [name, field] :
       {std::pair<llvm::StringRef, int64_t *>{"vocab_size", &layout.vocabSize},
        {"hidden_size", &layout.hiddenSize},
        {"num_layers", &layout.numLayers},
        {"num_partitions", &layout.numPartitions},
        {"partition_size", &layout.partitionSize}}) {
    auto value = config.getAs<IntegerAttr>(name);
    if (!value)
      return llvm::createStringError("module attribute yan.model lacks " + name);
    *field = value.getInt();
  }

  SmallVector<Operation *> weights;
  for (auto weight : module.getOps<mlir::yan::WeightOp>()) {
    auto type = cast<RankedTensorType>(weight.getType());
    auto offset = weight->getAttrOfType<IntegerAttr>(kWeightOffsetAttr);
    auto partitions = weight->getAttrOfType<IntegerAttr>(kWeightPartitionsAttr);
    if (!offset || !partitions)
      return llvm::createStringError("weight '" + weight.getSymName() +
                   "' has no layout: run -yan-layout-weights");
    WeightPlacement placement;
    placement.name = weight.getSymName().str();
    Type element = type.getElementType();
    placement.dtype = element.isF16()    ? DType::F16
                      : element.isBF16() ? DType::BF16
                                         : DType::F32;
    placement.shape.assign(type.getShape().begin(), type.getShape().end());
    if (std::optional<llvm::StringRef> storage = weight.getStorage())
      placement.quant = parseQuantFormat(*storage);
    placement.offset = offset.getInt();
    WeightSpec spec{placement.name, placement.dtype, placement.shape, 1, placement.quant};
    uint64_t bytes = 0;
    if (!::yan::weightBytes(spec, bytes))
      return llvm::createStringError("weight '" + weight.getSymName() +
                                     "' has an invalid shape");
    placement.size = bytes;
    placement.numPartitions = partitions.getInt();
    placement.partitionBytes = placement.size / placement.numPartitions;
    placement.partitionStride = placement.partitionBytes;
    if (auto stride = weight->getAttrOfType<IntegerAttr>(kWeightPartitionStrideAttr))
      placement.partitionStride = stride.getInt();
    // The span, padding between partitions included.
    placement.size = (placement.numPartitions - 1) * placement.partitionStride +
                     placement.partitionBytes;
    layout.weights.weights.push_back(std::move(placement));
    weights.push_back(weight);
  }
  for (Operation *weight : weights)
    weight->erase();

  layout.entries.assign(YAN_ENTRY_COUNT, EntryPointInfo{});
  unsigned found = 0;
  for (Operation &op : module.getBody()->getOperations()) {
    auto name = op.getAttrOfType<StringAttr>(kEntryAttr);
    if (!name)
      continue;
    uint32_t index = name.getValue() == kPrefillEntry    ? YAN_ENTRY_PREFILL
                     : name.getValue() == kDecodeEntry  ? YAN_ENTRY_DECODE
                     : name.getValue() == kLearnEntry   ? YAN_ENTRY_LEARN
                     : name.getValue() == kLearnApplyEntry
                         ? YAN_ENTRY_LEARN_APPLY
                         : YAN_ENTRY_COUNT;
    if (index == YAN_ENTRY_COUNT)
      return llvm::createStringError("unknown entry point '" + name.getValue() + "'");
    EntryPointInfo &entry = layout.entries[index];
    entry = {name.str(), index,
             op.getAttrOfType<IntegerAttr>(kMaxTokensAttr).getInt(),
             op.getAttrOfType<IntegerAttr>(kArenaBytesAttr).getInt()};
    layout.stateFloats =
        op.getAttrOfType<IntegerAttr>(kStateFloatsAttr).getInt();
    layout.statsCounters =
        op.getAttrOfType<IntegerAttr>(kStatsCountersAttr).getInt();
    if (auto m = op.getAttrOfType<IntegerAttr>(mlir::yan::kLearnPartitionsAttr))
      layout.learnPartitions = m.getInt();
    found |= 1u << index;
    for (llvm::StringRef attr : {kEntryAttr, kMaxTokensAttr, kArenaBytesAttr,
                                 kStateFloatsAttr, kStatsCountersAttr,
                                 mlir::yan::kLearnPartitionsAttr})
      op.removeAttr(attr);
  }
  // prefill and decode always; the two learn entries together or not at all.
  unsigned forward = (1u << YAN_ENTRY_PREFILL) | (1u << YAN_ENTRY_DECODE);
  unsigned learn = (1u << YAN_ENTRY_LEARN) | (1u << YAN_ENTRY_LEARN_APPLY);
  if (found != forward && found != (forward | learn))
    return llvm::createStringError(
        "expected the prefill and decode entry points, optionally with both "
        "learn entry points");
  if ((found & learn) == 0)
    layout.entries.resize(YAN_ENTRY_LEARN);
  for (llvm::StringRef attr : {"yan.model", kWeightBytesAttr.data()})
    module->removeAttr(attr);
  return llvm::Error::success();
}

} // namespace yan
