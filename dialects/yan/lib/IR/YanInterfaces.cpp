//===- YanInterfaces.cpp - Partition activation facts ---------------------===//
#include "yan/IR/YanInterfaces.h"
#include "yan/IR/YanOps.h"
#include "yan/quant_format.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace {

/// The bytes a quantized weight's slabs take (0 when `weight` is not a
/// weight_ref of a yan.weight with `storage`).
int64_t quantizedBytes(Value weight, RankedTensorType tensor) {
  auto ref = weight.getDefiningOp<mlir::yan::WeightRefOp>();
  if (!ref || tensor.getRank() < 2)
    return 0;
  auto declared =
      SymbolTable::lookupNearestSymbolFrom<mlir::yan::WeightOp>(ref, ref.getNameAttr());
  std::optional<llvm::StringRef> storage = declared ? declared.getStorage() : std::nullopt;
  if (!storage)
    return 0;
  ArrayRef<int64_t> shape = tensor.getShape();
  int64_t rows = shape[shape.size() - 2], cols = shape.back();
  yan_quant_slab_t slab = yan_quant_slab_layout(*storage == "int8" ? 8 : 4, rows, cols);
  return static_cast<int64_t>(slab.bytes) * (tensor.getNumElements() / (rows * cols));
}

} // namespace

int64_t mlir::yan::weightBytesPerToken(Value weight, const WeightAccess &access) {
  auto tensor = dyn_cast<RankedTensorType>(weight.getType());
  if (!tensor || !tensor.hasStaticShape() || access.numPartitions <= 0)
    return 0;
  int64_t bytes = quantizedBytes(weight, tensor);
  if (!bytes)
    bytes = tensor.getNumElements() *
            static_cast<int64_t>(tensor.getElementTypeBitWidth() / 8);
  // Partitions are equal slices: exact division (verifiers ensure the leading
  // dimension is the partition count; a quantized partition is whole slabs).
  return bytes / access.numPartitions * access.partitionsPerToken;
}

#include "yan/IR/YanInterfaces.cpp.inc"
