//===- BuildLearn.cpp - The local-update graph from the forward graph -----===//
//
// Clones @prefill into @learn (inputs = the sample without its last token,
// targets = the sample without its first), appends the mean cross-entropy,
// then walks the cloned ops in reverse applying GradientRules. The result is
// an ordinary yan function: LowerToLoops plans its arena (the forward
// activations the backward reads stay live: that is the tape) and lowers it
// like the forward entries.
//
//===----------------------------------------------------------------------===//
#include "compiler/autodiff/Activity.h"
#include "compiler/autodiff/GradientRules.h"
#include "compiler/autodiff/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "yan/IR/YanOps.h"

using namespace mlir;

namespace yan {
#define GEN_PASS_DEF_BUILDLEARN
#include "compiler/autodiff/Passes.h.inc"

namespace {

namespace y = mlir::yan;

LogicalResult buildLearn(ModuleOp module, int64_t learnPartitions) {
  auto prefill = module.lookupSymbol<func::FuncOp>("prefill");
  if (!prefill || prefill.isExternal())
    return module.emitError("-yan-build-learn needs a @prefill entry point");
  if (module.lookupSymbol("learn"))
    return module.emitError("the module already has a @learn symbol");
  FunctionType forward = prefill.getFunctionType();
  if (forward.getNumInputs() < 1 || forward.getNumResults() < 1 ||
      !cast<RankedTensorType>(forward.getInput(0)).isDynamicDim(0))
    return prefill.emitError("@prefill must take tensor<?xi32> tokens and "
                             "return the logits first");
  SmallVector<y::RouterOp> routers(prefill.getOps<y::RouterOp>());
  if (routers.empty())
    return prefill.emitError("has no yan.router: nothing to learn");
  int64_t active = routers.front().getActivePartitions();
  int64_t partitions =
      cast<RankedTensorType>(routers.front().getWeight().getType()).getDimSize(0);
  if (learnPartitions == 0)
    learnPartitions = active;
  if (learnPartitions < 0 || learnPartitions > partitions)
    return prefill.emitError() << "learn-partitions " << learnPartitions
                               << " must be in [1, " << partitions
                               << "] (the number of partitions)";

  OpBuilder b(module.getContext());
  b.setInsertionPointAfter(prefill);
  Location loc = prefill.getLoc();
  Type tokens = forward.getInput(0);
  SmallVector<Type> inputs{tokens, tokens, b.getIndexType()};
  llvm::append_range(inputs, forward.getInputs().drop_front());
  // The result types are only known after differentiation; start empty.
  auto learn = b.create<func::FuncOp>(loc, "learn",
                                      b.getFunctionType(inputs, {}));
  learn->setAttr(y::kLearnPartitionsAttr, b.getI64IntegerAttr(learnPartitions));
  Block *body = learn.addEntryBlock();
  b.setInsertionPointToStart(body);

  // The forward, cloned.
  IRMapping mapping;
  mapping.map(prefill.getArgument(0), learn.getArgument(0));
  for (unsigned i = 1; i < prefill.getNumArguments(); ++i)
    mapping.map(prefill.getArgument(i), learn.getArgument(i + 2));
  Value logits;
  for (Operation &op : prefill.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      logits = mapping.lookup(ret.getOperand(0));
      break;
    }
    b.clone(op, mapping);
  }
  Value targets = learn.getArgument(1);
  auto lossType = RankedTensorType::get({}, b.getF32Type());
  Value loss = b.create<y::CrossEntropyOp>(loc, lossType, logits, targets);

  // Reverse sweep. The loss seeds the logits' adjoint directly.
  Activity activity(*body);
  GradientRules rules(b, activity, learn.getArgument(2), learnPartitions);
  rules.accumulate(logits, b.create<y::CrossEntropyGradOp>(
                               loc, logits.getType(), logits, targets));
  SmallVector<Operation *> forwardOps;
  for (Operation &op : *body)
    forwardOps.push_back(&op);
  for (Operation *op : llvm::reverse(forwardOps))
    if (failed(rules.differentiate(op)))
      return failure();

  // Results: loss, norm, then per layer (first to last) the chosen
  // partitions, then per layer their gradients' factors. Each is tagged
  // with what it is and its layer; the lowering reads the tags.
  struct Result {
    Value value;
    StringRef kind;
    int64_t layer; // -1: not per layer
  };
  SmallVector<Result> chosen, gradients;
  SmallVector<Value> squares;
  int64_t layerIndex = 0;
  for (const LayerGradients &layer : llvm::reverse(rules.layers())) {
    chosen.push_back({layer.chosen, "chosen", layerIndex});
    gradients.append({{layer.counts, "counts", layerIndex},
                      {layer.a1, "a1", layerIndex},
                      {layer.a3, "a3", layerIndex},
                      {layer.g, "g", layerIndex},
                      {layer.xs, "xs", layerIndex},
                      {layer.ds, "ds", layerIndex}});
    squares.push_back(b.create<y::PartitionGradSquaresOp>(
        loc, lossType, layer.counts, layer.a1, layer.a3, layer.g, layer.xs,
        layer.ds));
    ++layerIndex;
  }
  if (chosen.size() != routers.size())
    return prefill.emitError() << "only " << chosen.size() << " of "
                               << routers.size()
                               << " routed feed-forwards reach the loss";
  Value norm = b.create<y::GlobalNormOp>(loc, lossType, squares);
  SmallVector<Result> results{{loss, "loss", -1}, {norm, "norm", -1}};
  llvm::append_range(results, chosen);
  llvm::append_range(results, gradients);
  SmallVector<Value> values;
  for (const Result &result : results)
    values.push_back(result.value);
  b.create<func::ReturnOp>(loc, values);
  learn.setFunctionType(
      b.getFunctionType(inputs, ValueRange(values).getTypes()));
  for (auto [i, result] : llvm::enumerate(results)) {
    learn.setResultAttr(i, y::kLearnResultAttr, b.getStringAttr(result.kind));
    if (result.layer >= 0)
      learn.setResultAttr(i, y::kLearnLayerAttr,
                          b.getI64IntegerAttr(result.layer));
  }
  return success();
}

struct BuildLearnPass : impl::BuildLearnBase<BuildLearnPass> {
  using BuildLearnBase::BuildLearnBase;
  void runOnOperation() override {
    if (failed(buildLearn(getOperation(), learnPartitions)))
      signalPassFailure();
  }
};

} // namespace
} // namespace yan
