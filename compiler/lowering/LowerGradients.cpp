//===- LowerGradients.cpp - The learn graph's ops to loops ----------------===//
//
// Lowers the ops -yan-build-learn adds (cross-entropy, the gradient ops, the
// choice of trainable partitions, the global norm) and maps the learn
// entry's arguments and results onto the runtime's buffers: the loss, the
// gradient norm, the finite flag, the chosen partitions and the gradients
// live at the fixed places of the learn arena header (executable_abi.h),
// where the runtime and @yan_learn_apply find them.
//
// Threads follow the forward's rules: matrix work is split into fixed
// shares (rows or column blocks) that never change a result bit; small or
// sequential steps run on thread 0.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/EntryLowering.h"

#include "runtime/include/yan/executable_abi.h"

#include "llvm/ADT/TypeSwitch.h"

namespace yan::detail {

namespace {
/// Row-major strides of `shape`.
SmallVector<int64_t> contiguousStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}
} // namespace

//===----------------------------------------------------------------------===//
// Arguments, results and the learn header
//===----------------------------------------------------------------------===//

LogicalResult EntryLowering::mapLearnArguments() {
  KernelEmitter &k = kernels;
  MLIRContext *context = builder.getContext();
  FunctionType type = source.getFunctionType();
  if (type.getNumInputs() < 3 || !type.getInput(2).isIndex() ||
      type.getNumResults() != 2 + 7 * static_cast<size_t>(numLayers))
    return source.emitError("a learn graph takes (inputs, targets, limit, "
                            "state...) and returns (loss, norm, chosen per "
                            "layer, six gradient factors per layer)");
  // limit = clamp(learn[PARTITIONS], 0, M).
  Value requested = builder.create<memref::LoadOp>(
      loc, learnArg, k.index(YAN_LEARN_PARAM_PARTITIONS));
  Value asInt = builder.create<arith::FPToSIOp>(loc, builder.getI64Type(),
                                                requested);
  limit = builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), asInt);
  limit = builder.create<arith::MaxSIOp>(loc, limit, k.index(0));
  limit = builder.create<arith::MinSIOp>(loc, limit, k.index(learnPartitions));
  buffers[source.getArgument(2)] = limit;

  // The start state: read-only views of the caller's state.
  for (unsigned i = 3; i < source.getNumArguments(); ++i) {
    auto stateType = dyn_cast<RankedTensorType>(type.getInput(i));
    if (!stateType || !stateType.hasStaticShape() ||
        !stateType.getElementType().isF32())
      return source.emitError() << "state argument " << i
                                << " must be a static f32 tensor";
    SmallVector<int64_t> strides = contiguousStrides(stateType.getShape());
    auto viewType = MemRefType::get(
        stateType.getShape(), stateType.getElementType(),
        StridedLayoutAttr::get(context, stateFloats, strides));
    buffers[source.getArgument(i)] = builder.create<memref::ReinterpretCastOp>(
        loc, viewType, stateArg, stateFloats, stateType.getShape(), strides);
    stateFloats += stateType.getNumElements();
  }

  // The header is the first arena block, at the offsets the ABI fixes.
  int64_t headerBytes = YAN_LEARN_CHOSEN_OFFSET + 4 * numLayers * learnPartitions;
  if (arena.allocate(headerBytes) != 0)
    return source.emitError("the learn header must start the arena");
  auto ret = cast<func::ReturnOp>(source.getBody().front().getTerminator());
  auto view = [&](int64_t byteOffset, ArrayRef<int64_t> shape, Type element) {
    return builder
        .create<memref::ViewOp>(loc, MemRefType::get(shape, element), arenaArg,
                                k.index(byteOffset), ValueRange{})
        .getResult();
  };
  Type f32 = builder.getF32Type(), i32 = builder.getI32Type();
  lossView = view(YAN_LEARN_LOSS_OFFSET, {1}, f32);
  normView = view(YAN_LEARN_GRAD_NORM_OFFSET, {1}, f32);
  finiteView = view(YAN_LEARN_FINITE_OFFSET, {1}, i32);
  positionsView = view(YAN_LEARN_POSITIONS_OFFSET, {1}, i32);
  chosenView = view(YAN_LEARN_CHOSEN_OFFSET, {numLayers * learnPartitions}, i32);
  buffers[ret.getOperand(0)] = lossView;
  buffers[ret.getOperand(1)] = normView;
  for (int64_t l = 0; l < numLayers; ++l)
    buffers[ret.getOperand(2 + l)] =
        view(YAN_LEARN_CHOSEN_OFFSET + 4 * l * learnPartitions,
             {learnPartitions}, i32);
  auto a1Type = cast<RankedTensorType>(ret.getOperand(2 + numLayers + 1).getType());
  int64_t ffnSize = a1Type.getDimSize(2);
  auto xsType = cast<RankedTensorType>(ret.getOperand(2 + numLayers + 4).getType());
  int64_t hidden = xsType.getDimSize(2);

  // Where each layer's trainable weights are, for the optimizer entry.
  facts.learnPartitions = learnPartitions;
  facts.ffnSize = ffnSize;
  facts.hidden = hidden;
  facts.maxPositions = maxTokens;
  for (auto ffn : source.getOps<y::PartitionedFfnOp>()) {
    auto placement = [&](Value weight, int64_t &offset, int64_t &stride) {
      auto ref = weight.getDefiningOp<y::WeightRefOp>();
      auto decl = SymbolTable::lookupNearestSymbolFrom<y::WeightOp>(
          ref, ref.getNameAttr());
      offset = decl->getAttrOfType<IntegerAttr>(kWeightOffsetAttr).getInt();
      int64_t partitions =
          decl->getAttrOfType<IntegerAttr>(kWeightPartitionsAttr).getInt();
      auto strideAttr =
          decl->getAttrOfType<IntegerAttr>(kWeightPartitionStrideAttr);
      stride = strideAttr ? strideAttr.getInt()
                          : cast<RankedTensorType>(decl.getType())
                                    .getNumElements() *
                                4 / partitions;
    };
    for (Value w : {ffn.getW1(), ffn.getW3(), ffn.getW2()})
      if (!w.getDefiningOp<y::WeightRefOp>() ||
          !cast<RankedTensorType>(w.getType()).getElementType().isF32())
        return ffn.emitOpError(
            "learning needs f32 partition weights read by yan.weight_ref");
    LearnLayerWeights layerWeights;
    placement(ffn.getW1(), layerWeights.w1Offset, layerWeights.w1Stride);
    placement(ffn.getW3(), layerWeights.w3Offset, layerWeights.w3Stride);
    placement(ffn.getW2(), layerWeights.w2Offset, layerWeights.w2Stride);
    facts.layers.push_back(layerWeights);
  }
  return success();
}

void EntryLowering::writeLearnHeaderDefaults() {
  KernelEmitter &k = kernels;
  k.store(k.f32(0.0f), normView, {k.index(0)});
  Value positions = builder.create<arith::IndexCastOp>(
      loc, builder.getI32Type(), numTokens);
  k.store(positions, positionsView, {k.index(0)});
  Value none = builder.create<arith::ConstantIntOp>(loc, -1, 32);
  k.forLoop(k.index(0), k.index(numLayers * learnPartitions), 1,
            [&](Value i) { k.store(none, chosenView, {i}); });
}

void EntryLowering::writeFiniteFlag() {
  KernelEmitter &k = kernels;
  auto isFinite = [&](Value view) {
    Value v = builder.create<memref::LoadOp>(loc, view, k.index(0));
    Value magnitude = builder.create<math::AbsFOp>(loc, v);
    return builder.create<arith::CmpFOp>(
        loc, arith::CmpFPredicate::OLT, magnitude,
        k.f32(std::numeric_limits<float>::infinity()));
  };
  Value finite = builder.create<arith::AndIOp>(loc, isFinite(lossView),
                                               isFinite(normView));
  k.store(builder.create<arith::ExtUIOp>(loc, builder.getI32Type(), finite),
          finiteView, {k.index(0)});
}

LogicalResult EntryLowering::lowerGradientOp(Operation *op) {
  auto step = [&](auto lower) {
    lower();
    barrier(); // the next step may read what any thread wrote
    return success();
  };
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](y::CrossEntropyOp o) {
        return step([&] { lowerCrossEntropy(o); });
      })
      .Case([&](y::CrossEntropyGradOp o) {
        return step([&] { lowerCrossEntropyGrad(o); });
      })
      .Case([&](y::LinearGradOp o) { return step([&] { lowerLinearGrad(o); }); })
      .Case([&](y::RmsNormGradOp o) {
        return step([&] { lowerRmsNormGrad(o); });
      })
      .Case([&](y::McsdGradOp o) { return step([&] { lowerMcsdGrad(o); }); })
      .Case([&](y::RouterGradOp o) { return step([&] { lowerRouterGrad(o); }); })
      .Case([&](y::ChoosePartitionsOp o) {
        return step([&] { lowerChoosePartitions(o); });
      })
      .Case([&](y::PartitionedFfnGradOp o) {
        return step([&] { lowerPartitionedFfnGrad(o); });
      })
      .Case([&](y::PartitionGradSquaresOp o) {
        return step([&] { lowerPartitionGradSquares(o); });
      })
      .Case([&](y::GlobalNormOp o) { return step([&] { lowerGlobalNorm(o); }); })
      .Default([&](Operation *other) {
        return other->emitOpError("cannot be lowered in a learn entry point");
      });
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

void EntryLowering::zeroColumns(Value buffer, Value rows, int64_t cols) {
  KernelEmitter &k = kernels;
  Value begin, end;
  std::tie(begin, end) = share(cols, k.lanes());
  k.forLoop(k.index(0), rows, 1, [&](Value t) {
    k.forLoop(begin, end, 1,
              [&](Value c) { k.store(k.f32(0.0f), buffer, {t, c}); });
  });
}

//===----------------------------------------------------------------------===//
// Loss
//===----------------------------------------------------------------------===//

namespace {
/// (max, sum of exp(x - max)) of row t of a [T, V] buffer.
std::pair<Value, Value> softmaxStats(OpBuilder &b, Location loc,
                                     KernelEmitter &k, Value logits, Value t,
                                     int64_t vocab) {
  Value first = b.create<memref::LoadOp>(loc, logits, ValueRange{t, k.index(0)});
  Value largest =
      k.forLoop(k.index(1), k.index(vocab), 1, {first},
                [&](Value v, ValueRange acc) -> SmallVector<Value> {
                  Value x = b.create<memref::LoadOp>(loc, logits, ValueRange{t, v});
                  // maximumf propagates NaN: a NaN logit makes the loss NaN.
                  return {b.create<arith::MaximumFOp>(loc, acc[0], x)};
                })[0];
  Value sum = k.forLoop(k.index(0), k.index(vocab), 1, {k.f32(0.0f)},
                        [&](Value v, ValueRange acc) -> SmallVector<Value> {
                          Value x = b.create<memref::LoadOp>(loc, logits,
                                                             ValueRange{t, v});
                          Value e = b.create<math::ExpOp>(
                              loc, b.create<arith::SubFOp>(loc, x, largest));
                          return {k.addReassoc(acc[0], e)};
                        })[0];
  return {largest, sum};
}

Value tokenIndex(OpBuilder &b, Location loc, Value memref, Value at) {
  Value v = b.create<memref::LoadOp>(loc, memref, at);
  return b.create<arith::IndexCastOp>(loc, b.getIndexType(), v);
}

/// The indices of a 0-d tensor's buffer: none for memref<f32>, [0] for the
/// one-element views of the learn header.
SmallVector<Value> scalarAt(KernelEmitter &k, Value memref) {
  if (cast<MemRefType>(memref.getType()).getRank() == 0)
    return {};
  return {k.index(0)};
}

Value indexToF32(OpBuilder &b, Location loc, Value i) {
  Value asInt = b.create<arith::IndexCastOp>(loc, b.getI64Type(), i);
  return b.create<arith::SIToFPOp>(loc, b.getF32Type(), asInt);
}
} // namespace

void EntryLowering::lowerCrossEntropy(y::CrossEntropyOp op) {
  KernelEmitter &k = kernels;
  Value logits = buffer(op.getLogits()), targets = buffer(op.getTargets());
  Value loss = bufferFor(op.getLoss());
  int64_t vocab = dimOf(op.getLogits(), 1);
  // Each thread its positions' losses; thread 0 adds them in order.
  int64_t rowsOffset;
  Value rowLoss = temporary({maxTokens}, builder.getF32Type(), rowsOffset);
  Value begin, end;
  std::tie(begin, end) = shareDynamic(numTokens);
  k.forLoop(begin, end, 1, [&](Value t) {
    auto [largest, sum] = softmaxStats(builder, loc, k, logits, t, vocab);
    Value logSum = builder.create<arith::AddFOp>(
        loc, largest, builder.create<math::LogOp>(loc, sum));
    Value target = tokenIndex(builder, loc, targets, t);
    Value picked =
        builder.create<memref::LoadOp>(loc, logits, ValueRange{t, target});
    k.store(builder.create<arith::SubFOp>(loc, logSum, picked), rowLoss, {t});
  });
  barrier();
  serial([&] {
    Value total = k.forLoop(
        k.index(0), numTokens, 1, {k.f32(0.0f)},
        [&](Value t, ValueRange acc) -> SmallVector<Value> {
          return {builder.create<arith::AddFOp>(
              loc, acc[0], builder.create<memref::LoadOp>(loc, rowLoss, t))};
        })[0];
    k.store(builder.create<arith::DivFOp>(loc, total,
                                          indexToF32(builder, loc, numTokens)),
            loss, {k.index(0)});
  });
  arena.release(rowsOffset);
}

void EntryLowering::lowerCrossEntropyGrad(y::CrossEntropyGradOp op) {
  KernelEmitter &k = kernels;
  Value logits = buffer(op.getLogits()), targets = buffer(op.getTargets());
  Value out = bufferFor(op.getResult());
  int64_t vocab = dimOf(op.getLogits(), 1);
  Value begin, end;
  std::tie(begin, end) = shareDynamic(numTokens);
  {
    Value scale = builder.create<arith::DivFOp>(
        loc, k.f32(1.0f), indexToF32(builder, loc, numTokens));
    k.forLoop(begin, end, 1, [&](Value t) {
      auto [largest, sum] = softmaxStats(builder, loc, k, logits, t, vocab);
      Value inverse = builder.create<arith::DivFOp>(loc, k.f32(1.0f), sum);
      k.forLoop(k.index(0), k.index(vocab), 1, [&](Value v) {
        Value x = builder.create<memref::LoadOp>(loc, logits, ValueRange{t, v});
        Value e = builder.create<math::ExpOp>(
            loc, builder.create<arith::SubFOp>(loc, x, largest));
        Value p = builder.create<arith::MulFOp>(loc, e, inverse);
        k.store(builder.create<arith::MulFOp>(loc, p, scale), out, {t, v});
      });
      Value target = tokenIndex(builder, loc, targets, t);
      Value at = builder.create<memref::LoadOp>(loc, out, ValueRange{t, target});
      k.store(builder.create<arith::SubFOp>(loc, at, scale), out, {t, target});
    });
  }
}

//===----------------------------------------------------------------------===//
// Dense backward
//===----------------------------------------------------------------------===//

void EntryLowering::lowerLinearGrad(y::LinearGradOp op) {
  // dx[t, :] = sum_o dy[t, o] W[o, :]: W's rows stream once (inputs outer),
  // each thread owns a block of dx's columns.
  KernelEmitter &k = kernels;
  Value grad = buffer(op.getGrad()), weight = buffer(op.getWeight());
  Value out = bufferFor(op.getResult());
  int64_t outFeatures = dimOf(op.getWeight(), 0);
  int64_t inFeatures = dimOf(op.getWeight(), 1);
  zeroColumns(out, numTokens, inFeatures);
  Value begin, end;
  std::tie(begin, end) = share(inFeatures, k.lanes());
  k.accumulateRows(
      [&](Value t) { return Access{out, {t}}; }, k.index(0), numTokens,
      [&](Value o) { return Access{weight, {o}}; }, k.index(outFeatures),
      [&](Value t, Value o) {
        return builder.create<memref::LoadOp>(loc, grad, ValueRange{t, o})
            .getResult();
      },
      begin, end, /*inputsOuter=*/true);
}

void EntryLowering::lowerRmsNormGrad(y::RmsNormGradOp op) {
  // r = 1/sqrt(mean(x^2) + eps), g = w * dy: dx = r g - x r^3 (g . x) / D.
  KernelEmitter &k = kernels;
  Value x = buffer(op.getInput()), weight = buffer(op.getWeight());
  Value grad = buffer(op.getGrad());
  Value out = bufferFor(op.getResult());
  int64_t width = dimOf(op.getInput(), 1);
  float eps = op.getEps().convertToFloat();
  Value begin, end;
  std::tie(begin, end) = shareDynamic(numTokens);
  {
    k.forLoop(begin, end, 1, [&](Value t) {
      Access row{x, {t}};
      SmallVector<Value> sums = k.forLoop(
          k.index(0), k.index(width), 1, {k.f32(0.0f), k.f32(0.0f)},
          [&](Value i, ValueRange acc) -> SmallVector<Value> {
            Value v = k.loadF32(row, {i});
            Value g = builder.create<arith::MulFOp>(
                loc, k.loadF32(Access{weight, {}}, {i}),
                builder.create<memref::LoadOp>(loc, grad, ValueRange{t, i}));
            return {k.addReassoc(acc[0], builder.create<arith::MulFOp>(loc, v, v)),
                    k.addReassoc(acc[1], builder.create<arith::MulFOp>(loc, g, v))};
          });
      Value mean = builder.create<arith::DivFOp>(
          loc, sums[0], k.f32(static_cast<float>(width)));
      Value root = builder.create<math::SqrtOp>(
          loc, builder.create<arith::AddFOp>(loc, mean, k.f32(eps)));
      Value r = builder.create<arith::DivFOp>(loc, k.f32(1.0f), root);
      Value r3 = builder.create<arith::MulFOp>(
          loc, r, builder.create<arith::MulFOp>(loc, r, r));
      Value coef = builder.create<arith::DivFOp>(
          loc, builder.create<arith::MulFOp>(loc, r3, sums[1]),
          k.f32(static_cast<float>(width)));
      k.forLoop(k.index(0), k.index(width), 1, [&](Value i) {
        Value g = builder.create<arith::MulFOp>(
            loc, k.loadF32(Access{weight, {}}, {i}),
            builder.create<memref::LoadOp>(loc, grad, ValueRange{t, i}));
        Value scaled = builder.create<arith::MulFOp>(loc, r, g);
        Value correction =
            builder.create<arith::MulFOp>(loc, k.loadF32(row, {i}), coef);
        k.store(builder.create<arith::SubFOp>(loc, scaled, correction), out,
                {t, i});
      });
    });
  }
}

void EntryLowering::lowerMcsdGrad(y::McsdGradOp op) {
  // Feature by feature (independent; threads own blocks of features). A
  // forward sweep recomputes h_t and s_t exactly as yan.mcsd does, parking
  // them in dv and du (each is overwritten at position t only after the
  // backward sweep has read it there); the backward sweep runs t = N-1..0
  // carrying dh_{t+1} and ds_{t+1..t+K-1}.
  KernelEmitter &k = kernels;
  Value u = buffer(op.getU()), v = buffer(op.getV()), q = buffer(op.getQ());
  Value h = buffer(op.getH()), hist = buffer(op.getUHist());
  Value dm = buffer(op.getGrad());
  Value du = bufferFor(op.getDu()), dv = bufferFor(op.getDv()),
        dq = bufferFor(op.getDq());
  int64_t hidden = dimOf(op.getH(), 0);
  int64_t channels = op.getNumChannels();
  int64_t window = op.getSlopeWindow();
  int64_t perChannel = hidden / channels;
  auto load = [&](Value memref, Value t, Value i) {
    return builder.create<memref::LoadOp>(loc, memref, ValueRange{t, i})
        .getResult();
  };
  Value begin, end;
  std::tie(begin, end) = share(hidden);
  for (int64_t c = 0; c < channels; ++c) {
    float decay = op.getDecays()[c];
    float slope = op.getSlopes()[c];
    Value lb = builder.create<arith::MaxUIOp>(loc, begin, k.index(c * perChannel));
    Value ub =
        builder.create<arith::MinUIOp>(loc, end, k.index((c + 1) * perChannel));
    k.forLoop(lb, ub, 1, [&](Value i) {
      // Forward: carried h, then u_{t-1}, ..., u_{t-K+1}.
      SmallVector<Value> init{builder.create<memref::LoadOp>(loc, h, i)};
      for (int64_t j = 1; j < window; ++j)
        init.push_back(builder.create<memref::LoadOp>(
            loc, hist, ValueRange{k.index(window - 1 - j), i}));
      k.forLoop(k.index(0), numTokens, 1, init,
                [&](Value t, ValueRange carried) -> SmallVector<Value> {
                  Value ut = load(u, t, i);
                  Value s = ut;
                  for (int64_t j = 1; j < window; ++j)
                    s = k.mulAdd(k.f32(1.0f - static_cast<float>(j) * slope),
                                 carried[j], s);
                  Value decayed = builder.create<arith::MulFOp>(
                      loc, k.f32(decay), carried[0]);
                  Value hNew = k.mulAdd(k.f32(1.0f - decay), load(v, t, i), decayed);
                  k.store(hNew, dv, {t, i});
                  k.store(s, du, {t, i});
                  SmallVector<Value> next{hNew};
                  if (window > 1)
                    next.push_back(ut);
                  for (int64_t j = 1; j + 1 < window; ++j)
                    next.push_back(carried[j]);
                  return next;
                });
      // Backward: carried dh_{t+1}, then ds_{t+1}, ..., ds_{t+K-1}.
      SmallVector<Value> zeros(window, k.f32(0.0f));
      k.forLoop(k.index(0), numTokens, 1, zeros,
                [&](Value r, ValueRange carried) -> SmallVector<Value> {
                  Value t = builder.create<arith::SubIOp>(
                      loc, builder.create<arith::SubIOp>(loc, numTokens, r),
                      k.index(1));
                  Value ht = load(dv, t, i), st = load(du, t, i);
                  Value qt = load(q, t, i), g = load(dm, t, i);
                  Value sq = k.silu(qt);
                  Value gs = builder.create<arith::MulFOp>(loc, g, st);
                  Value ds = builder.create<arith::MulFOp>(
                      loc, builder.create<arith::MulFOp>(loc, g, ht), sq);
                  Value dh = k.mulAdd(k.f32(decay), carried[0],
                                      builder.create<arith::MulFOp>(loc, gs, sq));
                  Value dqt = builder.create<arith::MulFOp>(
                      loc, builder.create<arith::MulFOp>(loc, gs, ht),
                      k.siluGrad(qt));
                  Value dut = ds;
                  for (int64_t j = 1; j < window; ++j)
                    dut = k.mulAdd(k.f32(1.0f - static_cast<float>(j) * slope),
                                   carried[j], dut);
                  k.store(dut, du, {t, i});
                  k.store(builder.create<arith::MulFOp>(loc, k.f32(1.0f - decay),
                                                        dh),
                          dv, {t, i});
                  k.store(dqt, dq, {t, i});
                  SmallVector<Value> next{dh};
                  if (window > 1)
                    next.push_back(ds);
                  for (int64_t j = 1; j + 1 < window; ++j)
                    next.push_back(carried[j]);
                  return next;
                });
    });
  }
}

//===----------------------------------------------------------------------===//
// Routing
//===----------------------------------------------------------------------===//

void EntryLowering::lowerRouterGrad(y::RouterGradOp op) {
  // dr_j = alpha_j (dalpha_j - sum_i alpha_i dalpha_i);
  // dx[t] = sum_j dr_j weight[indices[t, j]].
  KernelEmitter &k = kernels;
  Value weight = buffer(op.getWeight()), indices = buffer(op.getIndices());
  Value alphas = buffer(op.getWeights()), grad = buffer(op.getGrad());
  Value out = bufferFor(op.getResult());
  int64_t active = dimOf(op.getIndices(), 1);
  int64_t hidden = dimOf(op.getWeight(), 1);
  auto load = [&](Value memref, Value t, Value j) {
    return builder.create<memref::LoadOp>(loc, memref, ValueRange{t, j})
        .getResult();
  };
  Value begin, end;
  std::tie(begin, end) = shareDynamic(numTokens);
  {
    k.forLoop(begin, end, 1, [&](Value t) {
      Value dot = k.forLoop(k.index(0), k.index(active), 1, {k.f32(0.0f)},
                            [&](Value j, ValueRange acc) -> SmallVector<Value> {
                              return {k.mulAdd(load(alphas, t, j),
                                               load(grad, t, j), acc[0])};
                            })[0];
      k.forLoop(k.index(0), k.index(hidden), 1,
                [&](Value d) { k.store(k.f32(0.0f), out, {t, d}); });
      k.forLoop(k.index(0), k.index(active), 1, [&](Value j) {
        Value dr = builder.create<arith::MulFOp>(
            loc, load(alphas, t, j),
            builder.create<arith::SubFOp>(loc, load(grad, t, j), dot));
        Value p = builder.create<arith::IndexCastOp>(
            loc, builder.getIndexType(),
            builder.create<memref::LoadOp>(loc, indices, ValueRange{t, j}));
        k.forLoop(k.index(0), k.index(hidden), 1, [&](Value d) {
          Value acc = load(out, t, d);
          k.store(k.mulAdd(dr, k.loadF32(Access{weight, {p}}, {d}), acc), out,
                  {t, d});
        });
      });
    });
  }
}

void EntryLowering::lowerChoosePartitions(y::ChoosePartitionsOp op) {
  KernelEmitter &k = kernels;
  Value indices = buffer(op.getIndices()), alphas = buffer(op.getWeights());
  Value chosen = bufferFor(op.getChosen());
  int64_t partitions = op.getNumPartitions();
  int64_t active = dimOf(op.getIndices(), 1);
  int64_t slots = dimOf(op.getChosen(), 0);
  Type f64 = builder.getF64Type();
  int64_t totalsOffset;
  Value totals = temporary({partitions}, f64, totalsOffset);
  auto f64Const = [&](double value) {
    return builder.create<arith::ConstantOp>(loc, builder.getF64FloatAttr(value))
        .getResult();
  };
  serial([&] {
    // T[p] = sum of p's routing weights (f64, as the reference sums them).
    k.forLoop(k.index(0), k.index(partitions), 1,
              [&](Value p) { k.store(f64Const(0.0), totals, {p}); });
    k.forLoop(k.index(0), numTokens, 1, [&](Value t) {
      k.forLoop(k.index(0), k.index(active), 1, [&](Value j) {
        Value p = builder.create<arith::IndexCastOp>(
            loc, builder.getIndexType(),
            builder.create<memref::LoadOp>(loc, indices, ValueRange{t, j}));
        Value alpha32 =
            builder.create<memref::LoadOp>(loc, alphas, ValueRange{t, j});
        Value alpha = builder.create<arith::ExtFOp>(loc, f64, alpha32);
        Value sum = builder.create<memref::LoadOp>(loc, totals, p);
        k.store(builder.create<arith::AddFOp>(loc, sum, alpha), totals, {p});
      });
    });
    // `limit` picks: the largest positive total not yet picked (strict '>'
    // scanning upwards keeps the lower index on ties); a pick is marked by
    // setting its total to -1, below every unpicked total.
    Value none = builder.create<arith::ConstantIndexOp>(loc, -1);
    k.forLoop(k.index(0), limit, 1, [&](Value) {
      SmallVector<Value> best = k.forLoop(
          k.index(0), k.index(partitions), 1, {f64Const(0.0), none},
          [&](Value p, ValueRange acc) -> SmallVector<Value> {
            Value total = builder.create<memref::LoadOp>(loc, totals, p);
            Value better = builder.create<arith::CmpFOp>(
                loc, arith::CmpFPredicate::OGT, total, acc[0]);
            return {builder.create<arith::SelectOp>(loc, better, total, acc[0]),
                    builder.create<arith::SelectOp>(loc, better, p, acc[1])};
          });
      Value found = builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge,
                                                  best[1], k.index(0));
      auto ifOp = builder.create<scf::IfOp>(loc, found, false);
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
      k.store(f64Const(-1.0), totals, {best[1]});
    });
    // The picks in ascending order, then -1 padding.
    Value minusOne = builder.create<arith::ConstantIntOp>(loc, -1, 32);
    k.forLoop(k.index(0), k.index(slots), 1,
              [&](Value i) { k.store(minusOne, chosen, {i}); });
    k.forLoop(k.index(0), k.index(partitions), 1, {k.index(0)},
              [&](Value p, ValueRange acc) -> SmallVector<Value> {
                Value total = builder.create<memref::LoadOp>(loc, totals, p);
                Value picked = builder.create<arith::CmpFOp>(
                    loc, arith::CmpFPredicate::OLT, total, f64Const(0.0));
                auto ifOp = builder.create<scf::IfOp>(loc, picked, false);
                {
                  OpBuilder::InsertionGuard guard(builder);
                  builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
                  k.store(builder.create<arith::IndexCastOp>(
                              loc, builder.getI32Type(), p),
                          chosen, {acc[0]});
                }
                Value one = builder.create<arith::SelectOp>(
                    loc, picked, k.index(1), k.index(0));
                return {builder.create<arith::AddIOp>(loc, acc[0], one)};
              });
  });
  arena.release(totalsOffset);
}

//===----------------------------------------------------------------------===//
// The routed feed-forward
//===----------------------------------------------------------------------===//

void EntryLowering::lowerPartitionedFfnGrad(y::PartitionedFfnGradOp op) {
  // Partition by partition over the pairs routed to it (the forward's
  // grouping). Threads own whole partitions (balanced by their pair counts),
  // so a partition's small products run on one thread without barriers;
  // every per-pair result lives in a pair-indexed buffer. Per partition p:
  // h1 = w1 x, h3 = w3 x (the forward's tape), gw = w2^T dout, the
  // routing-weight gradient dalpha = gw . g, the pre-activation gradients,
  // dx_pair = w1^T dh1 + w3^T dh3, and, for a chosen partition, its weight
  // gradients' factors. Then dx[t] = sum_j dx_pair[t, j] in pick order. Only
  // routed partitions' weights are read. No result depends on the split.
  KernelEmitter &k = kernels;
  Value x = buffer(op.getInput()), indices = buffer(op.getIndices());
  Value alphas = buffer(op.getWeights()), dout = buffer(op.getGrad());
  Value w1 = buffer(op.getW1()), w3 = buffer(op.getW3()), w2 = buffer(op.getW2());
  Value chosen = buffer(op.getChosen());
  Value dx = bufferFor(op.getDinput()), dalpha = bufferFor(op.getDweights());
  Value counts = bufferFor(op.getCounts());
  Value fa1 = bufferFor(op.getA1()), fa3 = bufferFor(op.getA3()),
        fg = bufferFor(op.getG()), fxs = bufferFor(op.getXs()),
        fds = bufferFor(op.getDs());
  // The factors outlive the entry (LEARN_APPLY reads them): record where
  // this layer's are. The return lists layers first to last.
  auto ret = cast<func::ReturnOp>(source.getBody().front().getTerminator());
  for (OpOperand &use : op.getCounts().getUses())
    if (use.getOwner() == ret.getOperation()) {
      int64_t layerIndex = (use.getOperandNumber() - 2 - numLayers) / 6;
      LearnLayerWeights &layerFacts = facts.layers[layerIndex];
      layerFacts.counts = arenaOffsets.lookup(op.getCounts());
      layerFacts.a1 = arenaOffsets.lookup(op.getA1());
      layerFacts.a3 = arenaOffsets.lookup(op.getA3());
      layerFacts.g = arenaOffsets.lookup(op.getG());
      layerFacts.xs = arenaOffsets.lookup(op.getXs());
      layerFacts.ds = arenaOffsets.lookup(op.getDs());
    }
  int64_t partitions = dimOf(op.getW1(), 0), ffnSize = dimOf(op.getW1(), 1);
  int64_t hidden = dimOf(op.getW1(), 2), active = dimOf(op.getIndices(), 1);
  int64_t slots = dimOf(op.getChosen(), 0);
  int64_t pairCapacity = maxTokens * active;
  Type f32 = builder.getF32Type();
  FfnTape tape = ffnTapes.lookup(op.getInput());
  int64_t startsOffset, pairsOffset, slotOffset, dh1Offset, dh3Offset, gwOffset,
      gOffset, dxOffset;
  Value starts = temporary({partitions + 1}, builder.getI64Type(), startsOffset);
  Value pairs = temporary({pairCapacity}, builder.getI32Type(), pairsOffset);
  Value slotOf = temporary({partitions}, builder.getI32Type(), slotOffset);
  Value dh1 = temporary({pairCapacity, ffnSize}, f32, dh1Offset);
  Value dh3 = temporary({pairCapacity, ffnSize}, f32, dh3Offset);
  Value gw = temporary({pairCapacity, ffnSize}, f32, gwOffset);
  Value gated = temporary({pairCapacity, ffnSize}, f32, gOffset);
  Value dxPair = temporary({pairCapacity, hidden}, f32, dxOffset);
  auto plusOne = [&](Value i) {
    return builder.create<arith::AddIOp>(loc, i, k.index(1)).getResult();
  };
  auto load = [&](Value memref, ValueRange at) {
    return builder.create<memref::LoadOp>(loc, memref, at).getResult();
  };

  serial([&] {
    groupPairs(indices, partitions, active, starts, pairs);
    Value minusOne = builder.create<arith::ConstantIntOp>(loc, -1, 32);
    k.forLoop(k.index(0), k.index(partitions), 1,
              [&](Value p) { k.store(minusOne, slotOf, {p}); });
    Value zero32 = builder.create<arith::ConstantIntOp>(loc, 0, 32);
    k.forLoop(k.index(0), k.index(slots), 1, [&](Value i) {
      k.store(zero32, counts, {i});
      Value p32 = load(chosen, {i});
      Value valid = builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge,
                                                  p32, zero32);
      auto ifOp = builder.create<scf::IfOp>(loc, valid, false);
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
      Value p = builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), p32);
      k.store(builder.create<arith::IndexCastOp>(loc, builder.getI32Type(), i),
              slotOf, {p});
    });
  });
  barrier();

  Value total = loadIndex(starts, {k.index(partitions)});
  k.forLoop(k.index(0), k.index(partitions), 1, [&](Value p) {
    Value begin = loadIndex(starts, {p});
    Value end = loadIndex(starts, {plusOne(p)});
    Value count = builder.create<arith::SubIOp>(loc, end, begin);
    // The owner: the thread whose share of all pairs holds p's midpoint.
    Value twiceMid = builder.create<arith::AddIOp>(loc, begin, end);
    Value owner = builder.create<arith::MinUIOp>(
        loc,
        builder.create<arith::DivUIOp>(
            loc, builder.create<arith::MulIOp>(loc, twiceMid, threadCount),
            builder.create<arith::MulIOp>(
                loc, builder.create<arith::MaxUIOp>(loc, total, k.index(1)),
                k.index(2))),
        builder.create<arith::SubIOp>(loc, threadCount, k.index(1)));
    Value mine = builder.create<arith::AndIOp>(
        loc,
        builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ugt, count,
                                      k.index(0)),
        builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, owner,
                                      threadIndex));
    auto ifOp = builder.create<scf::IfOp>(loc, mine, false);
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
    auto pairOf = [&](Value r) {
      return loadIndex(pairs, {builder.create<arith::AddIOp>(loc, begin, r)});
    };
    auto tokenOf = [&](Value r) {
      return builder.create<arith::DivUIOp>(loc, pairOf(r), k.index(active))
          .getResult();
    };
    auto alphaOf = [&](Value r) {
      Value pair = pairOf(r);
      Value t = builder.create<arith::DivUIOp>(loc, pair, k.index(active));
      Value j = builder.create<arith::RemUIOp>(loc, pair, k.index(active));
      return load(alphas, {t, j});
    };
    auto input = [&](Value r) { return Access{x, {tokenOf(r)}}; };
    // h1 = w1 x, h3 = w3 x: the forward's tape, else recomputed into the
    // dh1/dh3 buffers (each element is read before it is overwritten).
    Value h1 = tape.h1 ? tape.h1 : dh1, h3 = tape.h3 ? tape.h3 : dh3;
    if (!tape.h1) {
      k.dotRows(Access{w1, {p}}, input, count, k.index(0), k.index(ffnSize), hidden,
                [&](Value f, Value r, Value dot) { k.store(dot, dh1, {pairOf(r), f}); });
      k.dotRows(Access{w3, {p}}, input, count, k.index(0), k.index(ffnSize), hidden,
                [&](Value f, Value r, Value dot) { k.store(dot, dh3, {pairOf(r), f}); });
    }
    // gw[pair] = w2[p]^T dout[t].
    k.forLoop(k.index(0), count, 1, [&](Value r) {
      Value pair = pairOf(r);
      k.forLoop(k.index(0), k.index(ffnSize), 1,
                [&](Value f) { k.store(k.f32(0.0f), gw, {pair, f}); });
    });
    k.accumulateRows(
        [&](Value r) { return Access{gw, {pairOf(r)}}; }, k.index(0), count,
        [&](Value d) { return Access{w2, {p, d}}; }, k.index(hidden),
        [&](Value r, Value d) { return load(dout, {tokenOf(r), d}); }, k.index(0),
        k.index(ffnSize), /*inputsOuter=*/true);
    // g = silu(h1) h3; dg = alpha gw; dh1 = dg h3 silu'(h1); dh3 = dg silu(h1);
    // dalpha = gw . g.
    k.forLoop(k.index(0), count, 1, [&](Value r) {
      Value pair = pairOf(r);
      Value alpha = alphaOf(r);
      Value dot = k.forLoop(
          k.index(0), k.index(ffnSize), 1, {k.f32(0.0f)},
          [&](Value f, ValueRange acc) -> SmallVector<Value> {
            Value a = load(h1, {pair, f}), b3 = load(h3, {pair, f});
            Value sa = k.silu(a);
            Value up = load(gw, {pair, f});
            Value g = builder.create<arith::MulFOp>(loc, sa, b3);
            Value dg = builder.create<arith::MulFOp>(loc, alpha, up);
            k.store(g, gated, {pair, f});
            k.store(builder.create<arith::MulFOp>(
                        loc, builder.create<arith::MulFOp>(loc, dg, b3),
                        k.siluGrad(a)),
                    dh1, {pair, f});
            k.store(builder.create<arith::MulFOp>(loc, dg, sa), dh3, {pair, f});
            return {k.mulAdd(up, g, acc[0])};
          })[0];
      Value t = builder.create<arith::DivUIOp>(loc, pair, k.index(active));
      Value j = builder.create<arith::RemUIOp>(loc, pair, k.index(active));
      k.store(dot, dalpha, {t, j});
    });
    // dx_pair = w1[p]^T dh1 + w3[p]^T dh3.
    k.forLoop(k.index(0), count, 1, [&](Value r) {
      Value pair = pairOf(r);
      k.forLoop(k.index(0), k.index(hidden), 1,
                [&](Value d) { k.store(k.f32(0.0f), dxPair, {pair, d}); });
    });
    for (auto [weight, delta] : {std::pair{w1, dh1}, std::pair{w3, dh3}})
      k.accumulateRows(
          [&](Value r) { return Access{dxPair, {pairOf(r)}}; }, k.index(0), count,
          [&](Value f) { return Access{weight, {p, f}}; }, k.index(ffnSize),
          [&](Value r, Value f) { return load(delta, {pairOf(r), f}); },
          k.index(0), k.index(hidden), /*inputsOuter=*/true);
    // A chosen partition keeps its weight gradients' factors.
    Value slot32 = load(slotOf, {p});
    Value isChosen = builder.create<arith::CmpIOp>(
        loc, arith::CmpIPredicate::sge, slot32,
        builder.create<arith::ConstantIntOp>(loc, 0, 32));
    auto chosenIf = builder.create<scf::IfOp>(loc, isChosen, false);
    OpBuilder::InsertionGuard inner(builder);
    builder.setInsertionPointToStart(&chosenIf.getThenRegion().front());
    Value slot =
        builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), slot32);
    k.store(builder.create<arith::IndexCastOp>(loc, builder.getI32Type(), count),
            counts, {slot});
    k.forLoop(k.index(0), count, 1, [&](Value r) {
      Value pair = pairOf(r);
      k.forLoop(k.index(0), k.index(ffnSize), 1, [&](Value f) {
        k.store(load(dh1, {pair, f}), fa1, {slot, r, f});
        k.store(load(dh3, {pair, f}), fa3, {slot, r, f});
        k.store(load(gated, {pair, f}), fg, {slot, r, f});
      });
      Value t = tokenOf(r), alpha = alphaOf(r);
      k.forLoop(k.index(0), k.index(hidden), 1, [&](Value d) {
        k.store(load(x, {t, d}), fxs, {slot, r, d});
        k.store(builder.create<arith::MulFOp>(loc, alpha, load(dout, {t, d})), fds,
                {slot, r, d});
      });
    });
  });
  barrier();
  // dx[t] = sum over picks j, in order, of dx_pair[t * k + j].
  Value tBegin, tEnd;
  std::tie(tBegin, tEnd) = shareDynamic(numTokens);
  k.forLoop(tBegin, tEnd, 1, [&](Value t) {
    Value first = builder.create<arith::MulIOp>(loc, t, k.index(active));
    k.forLoop(k.index(0), k.index(hidden), 1, [&](Value d) {
      Value sum = k.forLoop(k.index(0), k.index(active), 1, {k.f32(0.0f)},
                            [&](Value j, ValueRange acc) -> SmallVector<Value> {
                              Value pair = builder.create<arith::AddIOp>(loc, first, j);
                              return {builder.create<arith::AddFOp>(
                                  loc, acc[0], load(dxPair, {pair, d}))};
                            })[0];
      k.store(sum, dx, {t, d});
    });
  });
  arena.release(dxOffset);
  arena.release(gOffset);
  arena.release(gwOffset);
  arena.release(dh3Offset);
  arena.release(dh1Offset);
  arena.release(slotOffset);
  arena.release(pairsOffset);
  arena.release(startsOffset);
  if (tape.h1) {
    arena.release(tape.h1Offset);
    arena.release(tape.h3Offset);
    ffnTapes.erase(op.getInput());
  }
}

void EntryLowering::lowerPartitionGradSquares(y::PartitionGradSquaresOp op) {
  // ||sum_r l_r r_r^T||^2 = sum_{r,s} (l_r . l_s)(r_r . r_s): from the
  // factors' Gram matrices, in f64 (f32 products are exact in f64, so the
  // only rounding is the f64 sums'), never materializing the gradient. The
  // five Grams of a slot (a1, a3, xs, ds, g) are count x count; threads own
  // rows of them. Each matrix's norm is rounded to f32 and squared in f32,
  // as the reference squares its per-tensor norms.
  KernelEmitter &k = kernels;
  Value counts = buffer(op.getCounts());
  Value a1 = buffer(op.getA1()), a3 = buffer(op.getA3()), g = buffer(op.getG());
  Value xs = buffer(op.getXs()), ds = buffer(op.getDs());
  Value result = bufferFor(op.getSquares());
  int64_t slots = dimOf(op.getA1(), 0), ffnSize = dimOf(op.getA1(), 2);
  int64_t hidden = dimOf(op.getXs(), 2);
  Type f64 = builder.getF64Type();
  int64_t gramOffset;
  Value grams = temporary({5, maxTokens, maxTokens}, f64, gramOffset);
  auto f64Const = [&](double v) {
    return builder.create<arith::ConstantOp>(loc, builder.getF64FloatAttr(v))
        .getResult();
  };
  int64_t lanes = k.lanes();
  auto wide = VectorType::get({lanes}, f64);
  // dot(factor[i, r, :], factor[i, s, :]) in f64.
  auto dot = [&](Value factor, Value i, Value r, Value s, int64_t width) {
    int64_t vectorized = width / lanes * lanes;
    Value zero = builder.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(wide, builder.getF64FloatAttr(0.0)));
    Value acc = k.forLoop(k.index(0), k.index(vectorized), lanes, {zero},
                          [&](Value c, ValueRange a) -> SmallVector<Value> {
                            auto narrow = VectorType::get({lanes}, builder.getF32Type());
                            Value xn = builder.create<vector::LoadOp>(
                                loc, narrow, factor, ValueRange{i, r, c});
                            Value yn = builder.create<vector::LoadOp>(
                                loc, narrow, factor, ValueRange{i, s, c});
                            Value x = builder.create<arith::ExtFOp>(loc, wide, xn);
                            Value y = builder.create<arith::ExtFOp>(loc, wide, yn);
                            return {k.mulAdd(x, y, a[0])};
                          })[0];
    Value sum = builder.create<vector::ReductionOp>(
        loc, vector::CombiningKind::ADD, acc, arith::FastMathFlags::reassoc);
    return k.forLoop(k.index(vectorized), k.index(width), 1, {sum},
                     [&](Value c, ValueRange a) -> SmallVector<Value> {
                       Value xn = builder.create<memref::LoadOp>(
                           loc, factor, ValueRange{i, r, c});
                       Value yn = builder.create<memref::LoadOp>(
                           loc, factor, ValueRange{i, s, c});
                       Value x = builder.create<arith::ExtFOp>(loc, f64, xn);
                       Value y = builder.create<arith::ExtFOp>(loc, f64, yn);
                       return {k.mulAdd(x, y, a[0])};
                     })[0];
  };
  struct Factor {
    Value memref;
    int64_t width;
  };
  Factor factors[5] = {{a1, ffnSize}, {a3, ffnSize}, {xs, hidden}, {ds, hidden},
                       {g, ffnSize}};
  serial([&] { k.store(k.f32(0.0f), result, scalarAt(k, result)); });
  k.forLoop(k.index(0), k.index(slots), 1, [&](Value i) {
    Value count = loadIndex(counts, {i});
    Value begin, end;
    std::tie(begin, end) = shareDynamic(count);
    k.forLoop(begin, end, 1, [&](Value r) {
      k.forLoop(k.index(0), count, 1, [&](Value s) {
        for (int64_t f = 0; f < 5; ++f)
          k.store(dot(factors[f].memref, i, r, s, factors[f].width), grams,
                  {k.index(f), r, s});
      });
    });
    barrier();
    serial([&] {
      // (left Gram, right Gram) of w1 = a1 x^T, w3 = a3 x^T, w2 = ds g^T.
      for (auto [left, right] : {std::pair{0, 2}, std::pair{1, 2}, std::pair{3, 4}}) {
        Value squares = k.forLoop(
            k.index(0), count, 1, {f64Const(0.0)},
            [&](Value r, ValueRange acc) -> SmallVector<Value> {
              return {k.forLoop(k.index(0), count, 1, {acc[0]},
                                [&](Value s, ValueRange inner) -> SmallVector<Value> {
                                  Value l = builder.create<memref::LoadOp>(
                                      loc, grams, ValueRange{k.index(left), r, s});
                                  Value rr = builder.create<memref::LoadOp>(
                                      loc, grams, ValueRange{k.index(right), r, s});
                                  return {k.mulAdd(l, rr, inner[0])};
                                })[0]};
            })[0];
        // Rounding can make a tiny true value slightly negative.
        squares = builder.create<arith::MaximumFOp>(loc, squares, f64Const(0.0));
        Value norm = builder.create<arith::TruncFOp>(
            loc, builder.getF32Type(), builder.create<math::SqrtOp>(loc, squares));
        Value sum = builder.create<memref::LoadOp>(loc, result, scalarAt(k, result));
        k.store(k.mulAdd(norm, norm, sum), result, scalarAt(k, result));
      }
    });
    barrier();
  });
  arena.release(gramOffset);
}

void EntryLowering::lowerGlobalNorm(y::GlobalNormOp op) {
  KernelEmitter &k = kernels;
  Value norm = bufferFor(op.getNorm());
  serial([&] {
    Value total = k.f32(0.0f);
    for (Value squares : op.getSquares()) {
      Value partial = buffer(squares);
      total = builder.create<arith::AddFOp>(
          loc, total,
          builder.create<memref::LoadOp>(loc, partial, scalarAt(k, partial)));
    }
    k.store(builder.create<math::SqrtOp>(loc, total), norm, scalarAt(k, norm));
  });
}

} // namespace yan::detail
