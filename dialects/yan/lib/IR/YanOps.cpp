//===- YanOps.cpp - yan op verifiers and weight-access facts --------------===//
//
// Verifiers name the operand and dimension at fault, so that a malformed
// model imported from disk is reported at the op that reads it.
//
//===----------------------------------------------------------------------===//
#include "yan/IR/YanOps.h"
#include "VerifierSupport.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::yan;

using namespace mlir::yan::detail;

//===----------------------------------------------------------------------===//
// WeightOp / WeightRefOp
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verify() {
  if (getSymName().empty())
    return emitOpError("weight name must not be empty");
  if (failed(expectStatic(*this, getType(), "weight")))
    return failure();
  if (std::optional<llvm::StringRef> storage = getStorage()) {
    if (*storage != "int8" && *storage != "int4")
      return emitOpError() << "storage '" << *storage
                           << "' is not a quantized format (int8 or int4)";
    auto type = llvm::cast<RankedTensorType>(getType());
    if (!type.getElementType().isF32() || type.getRank() < 2)
      return emitOpError() << "storage '" << *storage
                           << "' needs an f32 weight of rank 2 or more, not "
                           << type;
  }
  return success();
}

LogicalResult
WeightRefOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto weight =
      symbolTable.lookupNearestSymbolFrom<WeightOp>(*this, getNameAttr());
  if (!weight)
    return emitOpError() << "'" << getName()
                         << "' does not name a yan.weight";
  if (weight.getType() != getType())
    return emitOpError() << "type " << getType() << " differs from weight '"
                         << getName() << "' declared as " << weight.getType();
  return success();
}

//===----------------------------------------------------------------------===//
// EmbedOp
//===----------------------------------------------------------------------===//

LogicalResult EmbedOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getTable().getType(), 2, "table")) ||
      failed(expectStatic(op, getTable().getType(), "table")) ||
      failed(expectRank(op, getTokens().getType(), 1, "tokens")) ||
      failed(expectRank(op, getType(), 2, "result")))
    return failure();
  if (failed(expectDim(op, getType(), 0, dim(getTokens(), 0), "result",
                       "positions")) ||
      failed(expectDim(op, getType(), 1, dim(getTable(), 1), "result",
                       "hidden size")))
    return failure();
  return success();
}

SmallVector<WeightAccess> EmbedOp::getWeightAccesses() {
  // One row of the V-row table per token.
  return {WeightAccess{0, dim(getTable(), 0), 1}};
}

//===----------------------------------------------------------------------===//
// RmsNormOp / LinearOp
//===----------------------------------------------------------------------===//

LogicalResult RmsNormOp::verify() {
  Operation *op = getOperation();
  if (!(getEps().convertToFloat() > 0.0f))
    return emitOpError("eps must be positive, got ")
           << getEps().convertToFloat();
  if (failed(expectRank(op, getInput().getType(), 2, "input")) ||
      failed(expectRank(op, getWeight().getType(), 1, "weight")) ||
      failed(expectStatic(op, getWeight().getType(), "weight")))
    return failure();
  if (failed(expectDim(op, getInput().getType(), 1, dim(getWeight(), 0),
                       "input", "hidden size")))
    return failure();
  if (getType() != getInput().getType())
    return emitOpError() << "result type " << getType()
                         << " must equal input type " << getInput().getType();
  return success();
}

SmallVector<WeightAccess> RmsNormOp::getWeightAccesses() {
  return denseAccess(1);
}

LogicalResult LinearOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getInput().getType(), 2, "input")) ||
      failed(expectRank(op, getWeight().getType(), 2, "weight")) ||
      failed(expectStatic(op, getWeight().getType(), "weight")) ||
      failed(expectRank(op, getType(), 2, "result")))
    return failure();
  if (failed(expectDim(op, getInput().getType(), 1, dim(getWeight(), 1),
                       "input", "weight in-features")) ||
      failed(expectDim(op, getType(), 0, dim(getInput(), 0), "result",
                       "positions")) ||
      failed(expectDim(op, getType(), 1, dim(getWeight(), 0), "result",
                       "weight out-features")))
    return failure();
  return success();
}

SmallVector<WeightAccess> LinearOp::getWeightAccesses() {
  return denseAccess(1);
}

//===----------------------------------------------------------------------===//
// McsdOp
//===----------------------------------------------------------------------===//

LogicalResult McsdOp::verify() {
  Operation *op = getOperation();
  int64_t channels = getNumChannels();
  int64_t window = getSlopeWindow();
  for (auto [value, name] :
       {std::pair{getU(), "u"}, std::pair{getV(), "v"}, std::pair{getQ(), "q"}})
    if (failed(expectRank(op, value.getType(), 2, name)))
      return failure();
  if (failed(expectRank(op, getH().getType(), 1, "h")) ||
      failed(expectRank(op, getUHist().getType(), 2, "u_hist")))
    return failure();
  int64_t hidden = dim(getH(), 0);
  if (ShapedType::isDynamic(hidden))
    return emitOpError("h must have a static hidden size");
  if (hidden % channels != 0)
    return emitOpError() << "hidden size " << hidden
                         << " is not divisible by num_channels " << channels;
  if (static_cast<int64_t>(getDecays().size()) != channels)
    return emitOpError() << "decays has " << getDecays().size()
                         << " entries, expected num_channels = " << channels;
  if (static_cast<int64_t>(getSlopes().size()) != channels)
    return emitOpError() << "slopes has " << getSlopes().size()
                         << " entries, expected num_channels = " << channels;
  for (auto [c, decay] : llvm::enumerate(getDecays()))
    if (!(decay > 0.0f && decay < 1.0f))
      return emitOpError() << "decay of channel " << c << " is " << decay
                           << ", expected a value in (0, 1)";
  for (auto [c, slope] : llvm::enumerate(getSlopes()))
    if (!(slope >= 0.0f) ||
        !(1.0f - static_cast<float>(window - 1) * slope > 0.0f))
      return emitOpError() << "slope of channel " << c << " is " << slope
                           << ", expected slope >= 0 and 1 - (K-1)*slope > 0 "
                              "with K = "
                           << window;
  int64_t positions = dim(getU(), 0);
  for (auto [value, name] :
       {std::pair{getU(), "u"}, std::pair{getV(), "v"}, std::pair{getQ(), "q"}})
    if (failed(expectDim(op, value.getType(), 0, positions, name,
                         "positions")) ||
        failed(expectDim(op, value.getType(), 1, hidden, name,
                         "hidden size")))
      return failure();
  if (failed(expectDim(op, getUHist().getType(), 0, window - 1, "u_hist",
                       "slope_window - 1")) ||
      failed(expectDim(op, getUHist().getType(), 1, hidden, "u_hist",
                       "hidden size")))
    return failure();
  if (getM().getType() != getU().getType())
    return emitOpError() << "result m type " << getM().getType()
                         << " must equal u type " << getU().getType();
  if (getHOut().getType() != getH().getType())
    return emitOpError() << "result h_out type " << getHOut().getType()
                         << " must equal h type " << getH().getType();
  if (getUHistOut().getType() != getUHist().getType())
    return emitOpError() << "result u_hist_out type "
                         << getUHistOut().getType()
                         << " must equal u_hist type " << getUHist().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// RouterOp / PartitionedFfnOp
//===----------------------------------------------------------------------===//

LogicalResult RouterOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getInput().getType(), 2, "input")) ||
      failed(expectRank(op, getWeight().getType(), 2, "weight")) ||
      failed(expectStatic(op, getWeight().getType(), "weight")) ||
      failed(expectRank(op, getIndices().getType(), 2, "indices")) ||
      failed(expectRank(op, getWeights().getType(), 2, "weights")))
    return failure();
  int64_t partitions = dim(getWeight(), 0);
  int64_t active = getActivePartitions();
  if (active > partitions)
    return emitOpError() << "active_partitions " << active
                         << " exceeds the number of partitions " << partitions;
  if (failed(expectDim(op, getInput().getType(), 1, dim(getWeight(), 1),
                       "input", "hidden size")))
    return failure();
  int64_t positions = dim(getInput(), 0);
  for (auto [value, name] : {std::pair{getIndices(), "indices"},
                             std::pair{getWeights(), "weights"}})
    if (failed(expectDim(op, value.getType(), 0, positions, name,
                         "positions")) ||
        failed(expectDim(op, value.getType(), 1, active, name,
                         "active partitions")))
      return failure();
  return success();
}

SmallVector<WeightAccess> RouterOp::getWeightAccesses() {
  return denseAccess(1);
}

LogicalResult PartitionedFfnOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getInput().getType(), 2, "input")) ||
      failed(expectRank(op, getIndices().getType(), 2, "indices")) ||
      failed(expectRank(op, getWeights().getType(), 2, "weights")))
    return failure();
  for (auto [value, name] : {std::pair{getW1(), "w1"}, std::pair{getW3(), "w3"},
                             std::pair{getW2(), "w2"}})
    if (failed(expectRank(op, value.getType(), 3, name)) ||
        failed(expectStatic(op, value.getType(), name)))
      return failure();
  int64_t partitions = dim(getW1(), 0);
  int64_t ffnSize = dim(getW1(), 1);
  int64_t hidden = dim(getW1(), 2);
  if (getW3().getType() != getW1().getType())
    return emitOpError() << "w3 type " << getW3().getType()
                         << " must equal w1 type " << getW1().getType();
  if (cast<RankedTensorType>(getW2().getType()).getElementType() !=
      cast<RankedTensorType>(getW1().getType()).getElementType())
    return emitOpError("w2 element type must equal w1 element type");
  if (failed(expectDim(op, getW2().getType(), 0, partitions, "w2",
                       "partitions")) ||
      failed(expectDim(op, getW2().getType(), 1, hidden, "w2",
                       "hidden size")) ||
      failed(expectDim(op, getW2().getType(), 2, ffnSize, "w2",
                       "partition size")) ||
      failed(expectDim(op, getInput().getType(), 1, hidden, "input",
                       "hidden size")))
    return failure();
  int64_t active = dim(getIndices(), 1);
  if (ShapedType::isDynamic(active))
    return emitOpError("indices must have a static number of active "
                       "partitions");
  if (active > partitions)
    return emitOpError() << "indices select " << active
                         << " partitions per position, more than the "
                         << partitions << " partitions of w1";
  int64_t positions = dim(getInput(), 0);
  if (failed(expectDim(op, getIndices().getType(), 0, positions, "indices",
                       "positions")) ||
      failed(expectDim(op, getWeights().getType(), 0, positions, "weights",
                       "positions")) ||
      failed(expectDim(op, getWeights().getType(), 1, active, "weights",
                       "active partitions")))
    return failure();
  if (getType() != getInput().getType())
    return emitOpError() << "result type " << getType()
                         << " must equal input type " << getInput().getType();
  return success();
}

SmallVector<WeightAccess> PartitionedFfnOp::getWeightAccesses() {
  int64_t partitions = dim(getW1(), 0);
  int64_t active = dim(getIndices(), 1);
  return {WeightAccess{3, partitions, active},
          WeightAccess{4, partitions, active},
          WeightAccess{5, partitions, active}};
}

//===----------------------------------------------------------------------===//
// LmHeadOp / CrossEntropyOp
//===----------------------------------------------------------------------===//

LogicalResult LmHeadOp::verify() {
  Operation *op = getOperation();
  if (!(getEps().convertToFloat() > 0.0f))
    return emitOpError("eps must be positive, got ")
           << getEps().convertToFloat();
  if (failed(expectRank(op, getInput().getType(), 2, "input")) ||
      failed(expectRank(op, getNormWeight().getType(), 1, "norm_weight")) ||
      failed(expectStatic(op, getNormWeight().getType(), "norm_weight")) ||
      failed(expectRank(op, getWeight().getType(), 2, "weight")) ||
      failed(expectStatic(op, getWeight().getType(), "weight")) ||
      failed(expectRank(op, getType(), 2, "logits")))
    return failure();
  int64_t hidden = dim(getWeight(), 1);
  if (failed(expectDim(op, getInput().getType(), 1, hidden, "input",
                       "hidden size")) ||
      failed(expectDim(op, getNormWeight().getType(), 0, hidden,
                       "norm_weight", "hidden size")) ||
      failed(expectDim(op, getType(), 0, dim(getInput(), 0), "logits",
                       "positions")) ||
      failed(expectDim(op, getType(), 1, dim(getWeight(), 0), "logits",
                       "vocabulary size")))
    return failure();
  return success();
}

SmallVector<WeightAccess> LmHeadOp::getWeightAccesses() {
  return {WeightAccess{1, 1, 1}, WeightAccess{2, 1, 1}};
}

LogicalResult CrossEntropyOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getLogits().getType(), 2, "logits")) ||
      failed(expectRank(op, getTargets().getType(), 1, "targets")))
    return failure();
  return expectDim(op, getTargets().getType(), 0, dim(getLogits(), 0),
                   "targets", "positions");
}

// The op classes of YanOps.td and YanGradOps.td; the gradient ops' verifiers
// are in YanGradOps.cpp.
#define GET_OP_CLASSES
#include "yan/IR/YanOps.cpp.inc"
