//===- LearnEntry.cpp - The learn entry's arguments and header ------------===//
#include "compiler/lowering/LearnEntry.h"

#include "runtime/include/yan/executable_abi.h"

#include <array>

namespace yan::lowering {
namespace {

/// Row-major strides of `shape`.
SmallVector<int64_t> contiguousStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// The per-layer gradient factors, in the order of yan.partitioned_ffn_grad.
constexpr std::array<llvm::StringLiteral, 6> kFactorNames = {
    "counts", "a1", "a3", "g", "xs", "ds"};
enum Factor { kCounts, kA1, kA3, kG, kXs, kDs };

/// The learn graph's results found by their yan.learn_result and
/// yan.learn_layer tags (result numbers).
struct LearnResults {
  unsigned loss = ~0u, norm = ~0u;
  SmallVector<unsigned> chosen;                 // per layer
  SmallVector<std::array<unsigned, 6>> factors; // per layer
};

FailureOr<LearnResults> findLearnResults(func::FuncOp source,
                                         int64_t numLayers) {
  LearnResults found;
  found.chosen.assign(numLayers, ~0u);
  std::array<unsigned, 6> none;
  none.fill(~0u);
  found.factors.assign(numLayers, none);
  auto fail = [&](unsigned i) {
    return source.emitError()
           << "learn result " << i << " needs a " << y::kLearnResultAttr
           << " tag (loss, norm, chosen or a gradient factor) and, per layer, "
           << "a " << y::kLearnLayerAttr << " in [0, " << numLayers << ")";
  };
  for (unsigned i = 0, e = source.getNumResults(); i < e; ++i) {
    auto kind = source.getResultAttrOfType<StringAttr>(i, y::kLearnResultAttr);
    if (!kind)
      return fail(i);
    if (kind.getValue() == "loss" || kind.getValue() == "norm") {
      (kind.getValue() == "loss" ? found.loss : found.norm) = i;
      continue;
    }
    auto layerAttr =
        source.getResultAttrOfType<IntegerAttr>(i, y::kLearnLayerAttr);
    int64_t layer = layerAttr ? layerAttr.getInt() : -1;
    if (layer < 0 || layer >= numLayers)
      return fail(i);
    if (kind.getValue() == "chosen") {
      found.chosen[layer] = i;
      continue;
    }
    const auto *factor = llvm::find(kFactorNames, kind.getValue());
    if (factor == kFactorNames.end())
      return fail(i);
    found.factors[layer][factor - kFactorNames.begin()] = i;
  }
  bool complete = found.loss != ~0u && found.norm != ~0u &&
                  source.getNumResults() == 2 + 7 * numLayers;
  for (int64_t l = 0; l < numLayers; ++l)
    complete &=
        found.chosen[l] != ~0u && !llvm::is_contained(found.factors[l], ~0u);
  if (!complete)
    return source.emitError("a learn graph returns its loss, its gradient "
                            "norm and, per layer, the chosen partitions and "
                            "six gradient factors, each tagged with ")
           << y::kLearnResultAttr;
  return found;
}

/// Where each routed feed-forward's trainable weights are, per layer, and
/// in which element type they are stored.
LogicalResult recordWeightPlacements(LoweringContext &ctx) {
  LearnFacts &facts = ctx.learn.facts;
  facts.partitions = ctx.numPartitions;
  for (auto ffn : ctx.source.getOps<y::PartitionedFfnOp>()) {
    auto placement = [&](Value weight, int64_t &offset, int64_t &stride) {
      auto ref = weight.getDefiningOp<y::WeightRefOp>();
      auto decl = SymbolTable::lookupNearestSymbolFrom<y::WeightOp>(
          ref, ref.getNameAttr());
      offset = decl->getAttrOfType<IntegerAttr>(kWeightOffsetAttr).getInt();
      int64_t partitions =
          decl->getAttrOfType<IntegerAttr>(kWeightPartitionsAttr).getInt();
      auto strideAttr =
          decl->getAttrOfType<IntegerAttr>(kWeightPartitionStrideAttr);
      auto type = cast<RankedTensorType>(decl.getType());
      stride = strideAttr
                   ? strideAttr.getInt()
                   : type.getNumElements() *
                         (type.getElementTypeBitWidth() / 8) / partitions;
    };
    for (Value w : {ffn.getW1(), ffn.getW3(), ffn.getW2()}) {
      Type element = cast<RankedTensorType>(w.getType()).getElementType();
      auto ref = w.getDefiningOp<y::WeightRefOp>();
      if (!ref || !isa<Float32Type, Float16Type, BFloat16Type>(element))
        return ffn.emitOpError("learning needs f32, f16, bf16, int8 or int4 "
                               "partition weights read by yan.weight_ref");
      auto decl = SymbolTable::lookupNearestSymbolFrom<y::WeightOp>(
          ref, ref.getNameAttr());
      std::optional<QuantFormat> quant;
      if (decl && decl.getStorage())
        quant = parseQuantFormat(*decl.getStorage());
      if (facts.weightElement &&
          (facts.weightElement != element || facts.weightQuant != quant))
        return ffn.emitOpError("learning needs one stored format for every "
                               "partition weight");
      facts.weightElement = element;
      facts.weightQuant = quant;
    }
    LearnLayerWeights layerWeights;
    placement(ffn.getW1(), layerWeights.w1Offset, layerWeights.w1Stride);
    placement(ffn.getW3(), layerWeights.w3Offset, layerWeights.w3Stride);
    placement(ffn.getW2(), layerWeights.w2Offset, layerWeights.w2Stride);
    facts.layers.push_back(layerWeights);
  }
  return success();
}

/// The start state: read-only views of the caller's state.
LogicalResult mapStartState(LoweringContext &ctx) {
  FunctionType type = ctx.source.getFunctionType();
  for (unsigned i = 3; i < ctx.source.getNumArguments(); ++i) {
    auto stateType = dyn_cast<RankedTensorType>(type.getInput(i));
    if (!stateType || !stateType.hasStaticShape() ||
        !stateType.getElementType().isF32())
      return ctx.source.emitError()
             << "state argument " << i << " must be a static f32 tensor";
    SmallVector<int64_t> strides = contiguousStrides(stateType.getShape());
    auto viewType =
        MemRefType::get(stateType.getShape(), stateType.getElementType(),
                        StridedLayoutAttr::get(ctx.builder.getContext(),
                                               ctx.stateFloats, strides));
    ctx.buffers[ctx.source.getArgument(i)] =
        ctx.builder.create<memref::ReinterpretCastOp>(
            ctx.loc, viewType, ctx.args.state, ctx.stateFloats,
            stateType.getShape(), strides);
    ctx.stateFloats += stateType.getNumElements();
  }
  return success();
}

} // namespace

LogicalResult mapLearnArguments(LoweringContext &ctx) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  func::FuncOp source = ctx.source;
  FunctionType type = source.getFunctionType();
  if (type.getNumInputs() < 3 || !type.getInput(2).isIndex())
    return source.emitError("a learn graph takes (inputs, targets, limit, "
                            "state...)");
  FailureOr<LearnResults> results = findLearnResults(source, ctx.numLayers);
  if (failed(results))
    return failure();
  // limit = clamp(learn[PARTITIONS], 0, M).
  LearnState &learn = ctx.learn;
  Value requested = builder.create<memref::LoadOp>(
      loc, ctx.args.learn, k.index(YAN_LEARN_PARAM_PARTITIONS));
  Value asInt =
      builder.create<arith::FPToSIOp>(loc, builder.getI64Type(), requested);
  learn.limit =
      builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), asInt);
  learn.limit = builder.create<arith::MaxSIOp>(loc, learn.limit, k.index(0));
  learn.limit = builder.create<arith::MinSIOp>(loc, learn.limit,
                                               k.index(learn.partitions));
  ctx.buffers[source.getArgument(2)] = learn.limit;
  if (failed(mapStartState(ctx)))
    return failure();

  // The header is the first arena block, at the offsets the ABI fixes.
  int64_t headerBytes =
      YAN_LEARN_CHOSEN_OFFSET + 4 * ctx.numLayers * learn.partitions;
  if (ctx.arena.allocate(headerBytes) != 0)
    return source.emitError("the learn header must start the arena");
  auto ret = cast<func::ReturnOp>(source.getBody().front().getTerminator());
  auto view = [&](int64_t byteOffset, ArrayRef<int64_t> shape, Type element) {
    return builder
        .create<memref::ViewOp>(loc, MemRefType::get(shape, element),
                                ctx.args.arena, k.index(byteOffset),
                                ValueRange{})
        .getResult();
  };
  Type f32 = builder.getF32Type(), i32 = builder.getI32Type();
  learn.lossView = view(YAN_LEARN_LOSS_OFFSET, {1}, f32);
  learn.normView = view(YAN_LEARN_GRAD_NORM_OFFSET, {1}, f32);
  learn.finiteView = view(YAN_LEARN_FINITE_OFFSET, {1}, i32);
  learn.positionsView = view(YAN_LEARN_POSITIONS_OFFSET, {1}, i32);
  learn.routedPairsView = view(YAN_LEARN_ROUTED_PAIRS_OFFSET, {1}, i32);
  learn.chosenView =
      view(YAN_LEARN_CHOSEN_OFFSET, {ctx.numLayers * learn.partitions}, i32);
  ctx.buffers[ret.getOperand(results->loss)] = learn.lossView;
  ctx.buffers[ret.getOperand(results->norm)] = learn.normView;
  for (int64_t l = 0; l < ctx.numLayers; ++l)
    ctx.buffers[ret.getOperand(results->chosen[l])] =
        view(YAN_LEARN_CHOSEN_OFFSET + 4 * l * learn.partitions,
             {learn.partitions}, i32);

  // What the optimizer entry needs: the factors' shapes (all layers share
  // them) and where each layer's trainable weights are.
  LearnFacts &facts = learn.facts;
  facts.learnPartitions = learn.partitions;
  facts.ffnSize = ctx.dimOf(ret.getOperand(results->factors[0][kA1]), 2);
  facts.hidden = ctx.dimOf(ret.getOperand(results->factors[0][kXs]), 2);
  facts.maxPositions = ctx.maxTokens;
  return recordWeightPlacements(ctx);
}

void recordGradientFactors(LoweringContext &ctx, y::PartitionedFfnGradOp op) {
  auto ret = cast<func::ReturnOp>(ctx.source.getBody().front().getTerminator());
  for (OpOperand &use : op.getCounts().getUses()) {
    if (use.getOwner() != ret.getOperation())
      continue;
    int64_t layer = ctx.source
                        .getResultAttrOfType<IntegerAttr>(
                            use.getOperandNumber(), y::kLearnLayerAttr)
                        .getInt();
    LearnLayerWeights &layerFacts = ctx.learn.facts.layers[layer];
    layerFacts.counts = ctx.arenaOffsets.lookup(op.getCounts());
    layerFacts.a1 = ctx.arenaOffsets.lookup(op.getA1());
    layerFacts.a3 = ctx.arenaOffsets.lookup(op.getA3());
    layerFacts.g = ctx.arenaOffsets.lookup(op.getG());
    layerFacts.xs = ctx.arenaOffsets.lookup(op.getXs());
    layerFacts.ds = ctx.arenaOffsets.lookup(op.getDs());
  }
}

void writeLearnHeaderDefaults(LoweringContext &ctx) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  k.store(k.f32(0.0f), ctx.learn.normView, {k.index(0)});
  Value positions = builder.create<arith::IndexCastOp>(
      loc, builder.getI32Type(), ctx.numTokens);
  k.store(positions, ctx.learn.positionsView, {k.index(0)});
  k.store(builder.create<arith::ConstantIntOp>(loc, 0, 32),
          ctx.learn.routedPairsView, {k.index(0)});
  Value none = builder.create<arith::ConstantIntOp>(loc, -1, 32);
  k.forLoop(k.index(0), k.index(ctx.numLayers * ctx.learn.partitions), 1,
            [&](Value i) { k.store(none, ctx.learn.chosenView, {i}); });
}

void writeRoutedPairs(LoweringContext &ctx) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  int64_t slots = ctx.learn.partitions;
  auto countsType = MemRefType::get({slots}, builder.getI32Type());
  Value total = builder.create<arith::ConstantIntOp>(loc, 0, 32);
  for (const LearnLayerWeights &layer : ctx.learn.facts.layers) {
    if (layer.counts < 0) // no gradient op: nothing chosen in this layer
      continue;
    // Unused slots hold 0 (yan.partitioned_ffn_grad).
    Value counts = builder.create<memref::ViewOp>(
        loc, countsType, ctx.args.arena, k.index(layer.counts), ValueRange{});
    total = k.forLoop(k.index(0), k.index(slots), 1, {total},
                      [&](Value j, ValueRange sum) -> SmallVector<Value> {
                        Value count =
                            builder.create<memref::LoadOp>(loc, counts, j);
                        return {builder.create<arith::AddIOp>(loc, sum[0],
                                                              count)};
                      })[0];
  }
  k.store(total, ctx.learn.routedPairsView, {k.index(0)});
}

void writeFiniteFlag(LoweringContext &ctx) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  auto isFinite = [&](Value view) {
    Value v = builder.create<memref::LoadOp>(loc, view, k.index(0));
    Value magnitude = builder.create<math::AbsFOp>(loc, v);
    return builder.create<arith::CmpFOp>(
        loc, arith::CmpFPredicate::OLT, magnitude,
        k.f32(std::numeric_limits<float>::infinity()));
  };
  Value finite = builder.create<arith::AndIOp>(
      loc, isFinite(ctx.learn.lossView), isFinite(ctx.learn.normView));
  k.store(builder.create<arith::ExtUIOp>(loc, builder.getI32Type(), finite),
          ctx.learn.finiteView, {k.index(0)});
}

} // namespace yan::lowering
