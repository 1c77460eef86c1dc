//===- YanGradOps.cpp - verifiers of the yan gradient ops -----------------===//
//
// Each gradient op is checked against the shapes of the forward op it
// differentiates: a malformed learn graph is reported at the op at fault,
// not discovered as wrong numbers.
//
//===----------------------------------------------------------------------===//
#include "VerifierSupport.h"

using namespace mlir;
using namespace mlir::yan;
using namespace mlir::yan::detail;

namespace {
/// `value` has the type of `like` (same shape, f32).
LogicalResult expectSameType(Operation *op, Value value, Value like,
                             StringRef what, StringRef likeName) {
  if (value.getType() != like.getType())
    return op->emitOpError() << what << " type " << value.getType()
                             << " must equal " << likeName << " type "
                             << like.getType();
  return success();
}
} // namespace

LogicalResult CrossEntropyGradOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getLogits().getType(), 2, "logits")) ||
      failed(expectRank(op, getTargets().getType(), 1, "targets")) ||
      failed(expectDim(op, getTargets().getType(), 0, dim(getLogits(), 0),
                       "targets", "positions")))
    return failure();
  return expectSameType(op, getResult(), getLogits(), "result", "logits");
}

LogicalResult LinearGradOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getGrad().getType(), 2, "grad")) ||
      failed(expectRank(op, getWeight().getType(), 2, "weight")) ||
      failed(expectStatic(op, getWeight().getType(), "weight")) ||
      failed(expectRank(op, getType(), 2, "result")))
    return failure();
  if (failed(expectDim(op, getGrad().getType(), 1, dim(getWeight(), 0),
                       "grad", "weight out-features")) ||
      failed(expectDim(op, getType(), 0, dim(getGrad(), 0), "result",
                       "positions")) ||
      failed(expectDim(op, getType(), 1, dim(getWeight(), 1), "result",
                       "weight in-features")))
    return failure();
  return success();
}

SmallVector<WeightAccess> LinearGradOp::getWeightAccesses() {
  return denseAccess(1);
}

LogicalResult RmsNormGradOp::verify() {
  Operation *op = getOperation();
  if (!(getEps().convertToFloat() > 0.0f))
    return emitOpError("eps must be positive, got ")
           << getEps().convertToFloat();
  if (failed(expectRank(op, getInput().getType(), 2, "input")) ||
      failed(expectRank(op, getWeight().getType(), 1, "weight")) ||
      failed(expectStatic(op, getWeight().getType(), "weight")) ||
      failed(expectDim(op, getInput().getType(), 1, dim(getWeight(), 0),
                       "input", "hidden size")) ||
      failed(expectSameType(op, getGrad(), getInput(), "grad", "input")))
    return failure();
  return expectSameType(op, getResult(), getInput(), "result", "input");
}

SmallVector<WeightAccess> RmsNormGradOp::getWeightAccesses() {
  return denseAccess(1);
}

LogicalResult McsdGradOp::verify() {
  Operation *op = getOperation();
  int64_t channels = getNumChannels();
  if (failed(expectRank(op, getU().getType(), 2, "u")) ||
      failed(expectRank(op, getH().getType(), 1, "h")) ||
      failed(expectRank(op, getUHist().getType(), 2, "u_hist")))
    return failure();
  for (auto [value, name] : {std::pair{getV(), "v"}, std::pair{getQ(), "q"},
                             std::pair{getGrad(), "grad"}})
    if (failed(expectSameType(op, value, getU(), name, "u")))
      return failure();
  int64_t hidden = dim(getH(), 0);
  if (ShapedType::isDynamic(hidden) || hidden % channels != 0)
    return emitOpError() << "hidden size " << dimString(hidden)
                         << " must be static and divisible by num_channels "
                         << channels;
  if (static_cast<int64_t>(getDecays().size()) != channels ||
      static_cast<int64_t>(getSlopes().size()) != channels)
    return emitOpError() << "decays and slopes need num_channels = "
                         << channels << " entries";
  if (failed(expectDim(op, getU().getType(), 1, hidden, "u", "hidden size")) ||
      failed(expectDim(op, getUHist().getType(), 0, getSlopeWindow() - 1,
                       "u_hist", "slope_window - 1")) ||
      failed(expectDim(op, getUHist().getType(), 1, hidden, "u_hist",
                       "hidden size")))
    return failure();
  for (Value result : getResults())
    if (failed(expectSameType(op, result, getU(), "result", "u")))
      return failure();
  return success();
}

LogicalResult RouterGradOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getWeight().getType(), 2, "weight")) ||
      failed(expectStatic(op, getWeight().getType(), "weight")) ||
      failed(expectRank(op, getIndices().getType(), 2, "indices")) ||
      failed(expectRank(op, getType(), 2, "result")))
    return failure();
  if (failed(expectSameType(op, getGrad(), getWeights(), "grad", "weights")) ||
      failed(expectDim(op, getWeights().getType(), 0, dim(getIndices(), 0),
                       "weights", "positions")) ||
      failed(expectDim(op, getWeights().getType(), 1, dim(getIndices(), 1),
                       "weights", "active partitions")) ||
      failed(expectDim(op, getType(), 0, dim(getIndices(), 0), "result",
                       "positions")) ||
      failed(expectDim(op, getType(), 1, dim(getWeight(), 1), "result",
                       "hidden size")))
    return failure();
  return success();
}

SmallVector<WeightAccess> RouterGradOp::getWeightAccesses() {
  // k rows of the [P, D] router weight per position.
  return {WeightAccess{0, dim(getWeight(), 0), dim(getIndices(), 1)}};
}

LogicalResult ChoosePartitionsOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getIndices().getType(), 2, "indices")) ||
      failed(expectRank(op, getChosen().getType(), 1, "chosen")) ||
      failed(expectStatic(op, getChosen().getType(), "chosen")))
    return failure();
  if (getWeights().getType().getShape() != getIndices().getType().getShape())
    return emitOpError() << "weights " << getWeights().getType()
                         << " must have the shape of indices "
                         << getIndices().getType();
  if (dim(getChosen(), 0) > static_cast<int64_t>(getNumPartitions()))
    return emitOpError() << "chooses up to " << dim(getChosen(), 0)
                         << " partitions of only " << getNumPartitions();
  return success();
}

LogicalResult PartitionedFfnGradOp::verify() {
  Operation *op = getOperation();
  if (failed(expectRank(op, getInput().getType(), 2, "input")) ||
      failed(expectRank(op, getChosen().getType(), 1, "chosen")) ||
      failed(expectStatic(op, getChosen().getType(), "chosen")))
    return failure();
  for (auto [value, name] : {std::pair{getW1(), "w1"}, std::pair{getW3(), "w3"},
                             std::pair{getW2(), "w2"}})
    if (failed(expectRank(op, value.getType(), 3, name)) ||
        failed(expectStatic(op, value.getType(), name)))
      return failure();
  if (failed(expectSameType(op, getGrad(), getInput(), "grad", "input")) ||
      failed(expectSameType(op, getDinput(), getInput(), "dinput", "input")) ||
      failed(expectSameType(op, getDweights(), getWeights(), "dweights",
                            "weights")) ||
      failed(expectDim(op, getInput().getType(), 1, dim(getW1(), 2), "input",
                       "hidden size")) ||
      failed(expectDim(op, getW2().getType(), 1, dim(getW1(), 2), "w2",
                       "hidden size")) ||
      failed(expectDim(op, getW2().getType(), 2, dim(getW1(), 1), "w2",
                       "partition size")))
    return failure();
  if (getWeightGradientsOnly() &&
      !(getDinput().use_empty() && getDweights().use_empty()))
    return emitOpError("with weight_gradients_only, dinput and dweights are "
                       "not computed and must have no uses");
  int64_t slots = dim(getChosen(), 0);
  int64_t positions = dim(getInput(), 0);
  auto f32 = Float32Type::get(getContext());
  auto countsType = RankedTensorType::get({slots}, IntegerType::get(getContext(), 32));
  if (getCounts().getType() != countsType)
    return emitOpError() << "counts type " << getCounts().getType() << " must be "
                         << countsType;
  auto expectFactor = [&](Value result, int64_t width,
                          StringRef name) -> LogicalResult {
    auto expected = RankedTensorType::get({slots, positions, width}, f32);
    if (result.getType() != expected)
      return op->emitOpError() << name << " type " << result.getType()
                               << " must be " << expected
                               << " (slots x positions x width)";
    return success();
  };
  int64_t ffnSize = dim(getW1(), 1), hidden = dim(getW1(), 2);
  if (failed(expectFactor(getA1(), ffnSize, "a1")) ||
      failed(expectFactor(getA3(), ffnSize, "a3")) ||
      failed(expectFactor(getG(), ffnSize, "g")) ||
      failed(expectFactor(getXs(), hidden, "xs")) ||
      failed(expectFactor(getDs(), hidden, "ds")))
    return failure();
  return success();
}

SmallVector<WeightAccess> PartitionedFfnGradOp::getWeightAccesses() {
  // Only the chosen partitions' weights, for their positions: at most M a
  // step, not a fraction of every token's picks. Counted as none, so the
  // learn FLOP count stays a lower bound.
  if (getWeightGradientsOnly())
    return {};
  int64_t partitions = dim(getW1(), 0);
  int64_t active = dim(getIndices(), 1);
  return {WeightAccess{3, partitions, active},
          WeightAccess{4, partitions, active},
          WeightAccess{5, partitions, active}};
}

LogicalResult PartitionGradSquaresOp::verify() {
  Operation *op = getOperation();
  for (auto [value, name] :
       {std::pair{getA1(), "a1"}, std::pair{getA3(), "a3"}, std::pair{getG(), "g"},
        std::pair{getXs(), "xs"}, std::pair{getDs(), "ds"}})
    if (failed(expectRank(op, value.getType(), 3, name)) ||
        failed(expectDim(op, value.getType(), 0, dim(getCounts(), 0), name,
                         "slots")))
      return failure();
  if (getA3().getType() != getA1().getType() ||
      getG().getType() != getA1().getType() ||
      getDs().getType() != getXs().getType())
    return emitOpError("a1, a3 and g must share a type, and xs and ds");
  return success();
}

LogicalResult GlobalNormOp::verify() {
  if (getSquares().empty())
    return emitOpError("needs at least one squared norm");
  return success();
}
