//===- LowerLearnApply.cpp - The optimizer step for one chosen partition --===//
//
// @yan_learn_apply updates the partition in one slot of the learn arena:
// it materializes the slot's gradient from its low-rank factors a block of
// a row at a time (LowRankGradient.h), then applies global-norm clipping
// and SGD (momentum) or AdamW, exactly in the order
// of operations of torch.optim's single-tensor path (docs/yan-model.md,
// "Local update"), in place in the weights and in the partition's optimizer
// state. Scalar coefficients are computed in f64 and rounded to f32 once,
// as PyTorch does. The runtime calls it once per chosen slot after LEARN
// reported finite gradients; elements are split among threads. A stored
// value that is not finite clears the learn header's apply-finite flag.
// Every value it replaces is first written to `previous`, the step's
// rollback copy (executable_abi.h): the runtime no longer copies the
// partitions before the call, which read them once more.
//
//===----------------------------------------------------------------------===//
#include "compiler/abi/EntryAbi.h"
#include "compiler/lowering/EntryLowering.h"
#include "compiler/lowering/LowRankGradient.h"

namespace yan::lowering {

namespace {

class LearnApplyEmitter {
public:
  LearnApplyEmitter(OpBuilder &builder, Location loc, const LearnFacts &facts,
                    const KernelShape &shape)
      : b(builder), loc(loc), k(builder, loc, shape), facts(facts),
        lanes(shape.vectorWidth) {}

  void emit(func::FuncOp function);

private:
  /// Enters the code for a slot in range whose partition was chosen, and
  /// finds its layer l, pick j, partition p and the sample's positions.
  void enterChosenSlot();
  /// The slot's three weight matrices (flat) and its gradient factors.
  void viewSlot();
  /// The clipping coefficient and the optimizers' scalars.
  void computeScalars();
  /// One loop nest per update rule, so no chunk branches on the optimizer.
  void emitUpdates();
  /// An element (or the first of a vector) of one of the three matrices:
  /// its index in the flat matrix, and its row and column.
  struct Element {
    Value flat, row, col;
  };
  using Update = function_ref<void(const Element &e, int64_t which,
                                   int64_t width, Value g)>;
  /// update(e, which, width, clipped gradient) over every element of the
  /// three matrices (this thread's rows), when `condition` holds; with
  /// `readsWeights`, prefetching the weights update will read.
  void forEachElement(Value condition, Update update, bool readsWeights = true);
  /// Prefetches matrix `which` at the same columns as `flat`, a row tile
  /// of the gradient on.
  void prefetchNextRows(int64_t which, Value flat, int64_t cols);
  Value stateAt(Value e, int64_t which, int64_t block) {
    return b
        .create<arith::AddIOp>(loc, e, k.index((block * 3 + which) * matrix))
        .getResult();
  }
  Value param(int index) {
    return b.create<memref::LoadOp>(loc, learn, k.index(index));
  }
  Value toIndex(Value f64) {
    Value i = b.create<arith::FPToSIOp>(loc, b.getI64Type(), f64);
    return b.create<arith::IndexCastOp>(loc, b.getIndexType(), i);
  }
  Value toF32(Value f64) {
    return b.create<arith::TruncFOp>(loc, b.getF32Type(), f64);
  }
  Value f64(double value) {
    return b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(value));
  }
  Value equals(Value f64Value, double expected) {
    return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, f64Value,
                                   f64(expected));
  }
  /// values[l] for a run-time layer l (a select chain over the layers).
  Value perLayer(Value l,
                 function_ref<int64_t(const LearnLayerWeights &)> get) {
    Value result = k.index(get(facts.layers.back()));
    for (int64_t i = static_cast<int64_t>(facts.layers.size()) - 2; i >= 0;
         --i) {
      Value is =
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, l, k.index(i));
      result = b.create<arith::SelectOp>(loc, is, k.index(get(facts.layers[i])),
                                         result);
    }
    return result;
  }
  Value view(Value bytes, Value byteOffset, ArrayRef<int64_t> shape,
             Type element, ValueRange dynamicSizes = {}) {
    return b.create<memref::ViewOp>(loc, MemRefType::get(shape, element), bytes,
                                    byteOffset, dynamicSizes);
  }
  /// This thread's rows [begin, end) of `rows`.
  std::pair<Value, Value> share(int64_t rows);
  Value load(Value memref, Value at, int64_t width);
  /// Element(s) e of matrix `which` as the update starts from: the weights
  /// in place, or the partition's f32 copy, which a partition's first
  /// update (STEP 1) starts from the stored weights widened or dequantized
  /// instead.
  Value loadWeight(int64_t which, const Element &e, int64_t width);
  /// Partition p's stored slab of matrix `which` ([rows, cols]) at byte
  /// `start`: its q plane, registered with the kernels with its scales.
  Value quantizedSlab(Value start, int64_t which);
  void store(Value value, Value memref, Value at, int64_t width);
  /// store() of an updated weight or optimizer-state value that also
  /// clears the header's apply-finite flag when a lane is not finite.
  void storeUpdate(Value value, Value memref, Value at, int64_t width);
  /// Writes weight element(s) e of matrix `which` as the update read them
  /// to the rollback copy, and returns them.
  Value keepWeight(int64_t which, const Element &e, int64_t width);
  /// The same for optimizer state at `at` (stateAt).
  Value keepState(Value at, int64_t width);
  void storeCopy(Value value, Value at, int64_t width);
  Value splat(Value scalar, int64_t width) {
    if (width == 0)
      return scalar;
    return b.create<vector::BroadcastOp>(
        loc, VectorType::get({width}, b.getF32Type()), scalar);
  }

  OpBuilder &b;
  Location loc;
  KernelEmitter k;
  const LearnFacts &facts;
  unsigned lanes;
  Value weights, arena, learn, state, threadIndex, threadCount;
  Value applyFinite; // the header's int32 at YAN_LEARN_APPLY_FINITE_OFFSET
  int64_t matrix = 0; // floats of w1[p], w3[p], w2[p]
  Value copyOffsets, copies;
  // The rollback copy: 3 * matrix weights, then up to 6 * matrix of state,
  // as floats, and as whole vectors when every matrix row is (vectorCopy).
  Value previous, vectorCopy;
  Value slot, l, j, p, positions, count;
  Value w[3];
  Value stored[3]; // the stored weights when they are not f32 (w[] the copy):
                   // flat, or a quantized slab's q plane
  Value firstUpdate;
  struct Matrix {
    Value left, right;
    int64_t rows, cols;
  };
  Matrix matrices[3];
  Value coef, optimizer, hasMomentum, momentum32, minusLr, minusStep;
  Value correction2Sqrt, decay, beta1f, beta2f, oneMinusBeta1, oneMinusBeta2;
  Value eps;
};

Value LearnApplyEmitter::load(Value memref, Value at, int64_t width) {
  if (width == 0)
    return b.create<memref::LoadOp>(loc, memref, at);
  return b.create<vector::LoadOp>(loc, VectorType::get({width}, b.getF32Type()),
                                  memref, at);
}

void LearnApplyEmitter::store(Value value, Value memref, Value at,
                              int64_t width) {
  if (width == 0)
    b.create<memref::StoreOp>(loc, value, memref, at);
  else
    b.create<vector::StoreOp>(loc, value, memref, at);
}

// The runtime sets the flag to 1 before a step's calls and rolls the step
// back when one cleared it: checked here, where each value is in a
// register, rather than by a second pass over the partitions afterwards
// (that pass read 3 MB a slot and took 5% of `small`'s learn step).
void LearnApplyEmitter::storeUpdate(Value value, Value memref, Value at,
                                    int64_t width) {
  store(value, memref, at, width);
  // |x| >= inf or unordered: inf and NaN.
  Value notFinite = b.create<arith::CmpFOp>(
      loc, arith::CmpFPredicate::UGE, b.create<math::AbsFOp>(loc, value),
      splat(k.f32(std::numeric_limits<float>::infinity()), width));
  if (width)
    notFinite = b.create<vector::ReductionOp>(loc, vector::CombiningKind::OR,
                                              notFinite);
  auto ifOp = b.create<scf::IfOp>(loc, notFinite, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  b.create<memref::StoreOp>(loc, b.create<arith::ConstantIntOp>(loc, 0, 32),
                            applyFinite, k.index(0));
}

Value LearnApplyEmitter::loadWeight(int64_t which, const Element &e,
                                    int64_t width) {
  if (!stored[which])
    return load(w[which], e.flat, width);
  Type type = width ? Type(VectorType::get({width}, b.getF32Type()))
                    : Type(b.getF32Type());
  auto ifOp = b.create<scf::IfOp>(loc, TypeRange{type}, firstUpdate, true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  // The kernels' own widening or dequantization (a quantized vector lies
  // within one group: its column is a multiple of the lanes).
  Access base{stored[which], {}};
  SmallVector<Value> at;
  if (k.quantized(stored[which]))
    at = {e.row, e.col};
  else
    at = {e.flat};
  b.create<scf::YieldOp>(loc, width ? k.loadVectorF32(base, at)
                                    : k.loadF32(base, at));
  b.setInsertionPointToStart(&ifOp.getElseRegion().front());
  b.create<scf::YieldOp>(loc, load(w[which], e.flat, width));
  return ifOp.getResult(0);
}

// Nothing reads the copy unless the step fails: a vector goes around the
// cache (a non-temporal store, which does not first read the line a plain
// store would), and LLVM emits one only for an aligned vector, hence the
// copy's view as vectors (a vector.store's alignment is its element's).
void LearnApplyEmitter::storeCopy(Value value, Value at, int64_t width) {
  if (width && vectorCopy) {
    auto op = b.create<memref::StoreOp>(
        loc, value, vectorCopy,
        ValueRange{b.create<arith::DivUIOp>(loc, at, k.index(width))});
    op.setNontemporal(true);
  } else if (width) {
    b.create<vector::StoreOp>(loc, value, previous, at);
  } else {
    b.create<memref::StoreOp>(loc, value, previous, at);
  }
}

Value LearnApplyEmitter::keepWeight(int64_t which, const Element &e,
                                    int64_t width) {
  Value old = loadWeight(which, e, width);
  storeCopy(old, b.create<arith::AddIOp>(loc, e.flat, k.index(which * matrix)),
            width);
  return old;
}

Value LearnApplyEmitter::keepState(Value at, int64_t width) {
  Value old = load(state, at, width);
  storeCopy(old, b.create<arith::AddIOp>(loc, at, k.index(3 * matrix)), width);
  return old;
}

Value LearnApplyEmitter::quantizedSlab(Value start, int64_t which) {
  int64_t rows = which == 2 ? facts.hidden : facts.ffnSize;
  int64_t cols = which == 2 ? facts.ffnSize : facts.hidden;
  QuantSlabLayout slab = quantSlabLayout(*facts.weightQuant, rows, cols);
  Value q = view(weights, start, {rows, slab.qRowBytes}, b.getI8Type());
  Value scales =
      view(weights, b.create<arith::AddIOp>(loc, start, k.index(slab.scaleOffset)),
           {rows, slab.groups}, b.getF16Type());
  k.registerQuantized(q, QuantizedWeight{*facts.weightQuant, scales});
  return q;
}

std::pair<Value, Value> LearnApplyEmitter::share(int64_t rows) {
  return k.threadShare(k.index(rows), 1, threadIndex, threadCount);
}

void LearnApplyEmitter::enterChosenSlot() {
  int64_t m = facts.learnPartitions;
  int64_t numLayers = static_cast<int64_t>(facts.layers.size());
  Type i32 = b.getI32Type();
  slot = toIndex(param(YAN_LEARN_PARAM_SLOT));
  Value inRange = b.create<arith::AndIOp>(
      loc,
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, slot, k.index(0)),
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, slot,
                              k.index(numLayers * m)));
  auto valid = b.create<scf::IfOp>(loc, inRange, false);
  b.setInsertionPointToStart(&valid.getThenRegion().front());
  Value chosen =
      view(arena, k.index(YAN_LEARN_CHOSEN_OFFSET), {numLayers * m}, i32);
  Value p32 = b.create<memref::LoadOp>(loc, chosen, slot);
  Value used =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, p32,
                              b.create<arith::ConstantIntOp>(loc, 0, 32));
  auto usedIf = b.create<scf::IfOp>(loc, used, false);
  b.setInsertionPointToStart(&usedIf.getThenRegion().front());
  p = b.create<arith::IndexCastOp>(loc, b.getIndexType(), p32);
  l = b.create<arith::DivUIOp>(loc, slot, k.index(m));
  j = b.create<arith::RemUIOp>(loc, slot, k.index(m));
  positions = b.create<arith::IndexCastOp>(
      loc, b.getIndexType(),
      b.create<memref::LoadOp>(
          loc, view(arena, k.index(YAN_LEARN_POSITIONS_OFFSET), {1}, i32),
          k.index(0)));
}

void LearnApplyEmitter::viewSlot() {
  int64_t m = facts.learnPartitions;
  int64_t ffnSize = facts.ffnSize, hidden = facts.hidden;
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  Type element = facts.weightElement;
  auto startOf = [&](auto offset, auto stride) -> Value {
    return b.create<arith::AddIOp>(
        loc, perLayer(l, offset),
        b.create<arith::MulIOp>(loc, p, perLayer(l, stride)));
  };
  Value starts[3] = {
      startOf([](const LearnLayerWeights &x) { return x.w1Offset; },
              [](const LearnLayerWeights &x) { return x.w1Stride; }),
      startOf([](const LearnLayerWeights &x) { return x.w3Offset; },
              [](const LearnLayerWeights &x) { return x.w3Stride; }),
      startOf([](const LearnLayerWeights &x) { return x.w2Offset; },
              [](const LearnLayerWeights &x) { return x.w2Stride; })};
  for (int which = 0; which < 3; ++which)
    w[which] = facts.weightQuant
                   ? Value()
                   : view(weights, starts[which], {matrix}, element);
  if (facts.trainsInCopies()) {
    // Trained in the partition's f32 copy (w1, w3, w2 back to back), which
    // the runtime gave it before this call; the stored weights stay as
    // they are.
    Value copy = b.create<arith::IndexCastOp>(
        loc, b.getIndexType(),
        partitionCopyOffset(b, loc, k, copyOffsets, l, facts.partitions, p));
    for (int which = 0; which < 3; ++which) {
      stored[which] = facts.weightQuant ? quantizedSlab(starts[which], which)
                                        : w[which];
      w[which] =
          view(copies,
               b.create<arith::AddIOp>(loc, copy, k.index(which * matrix * 4)),
               {matrix}, f32);
    }
    firstUpdate = equals(param(YAN_LEARN_PARAM_STEP), 1.0);
  }
  auto factor = [&](auto offset, int64_t width) {
    return view(arena, perLayer(l, offset), {m, ShapedType::kDynamic, width},
                f32, ValueRange{positions});
  };
  Value counts = view(
      arena, perLayer(l, [](const LearnLayerWeights &x) { return x.counts; }),
      {m}, i32);
  count = b.create<arith::IndexCastOp>(
      loc, b.getIndexType(), b.create<memref::LoadOp>(loc, counts, j));
  Value a1 = factor([](const LearnLayerWeights &x) { return x.a1; }, ffnSize);
  Value a3 = factor([](const LearnLayerWeights &x) { return x.a3; }, ffnSize);
  Value g = factor([](const LearnLayerWeights &x) { return x.g; }, ffnSize);
  Value xs = factor([](const LearnLayerWeights &x) { return x.xs; }, hidden);
  Value ds = factor([](const LearnLayerWeights &x) { return x.ds; }, hidden);
  matrices[0] = {a1, xs, ffnSize, hidden};
  matrices[1] = {a3, xs, ffnSize, hidden};
  matrices[2] = {ds, g, hidden, ffnSize};
}

void LearnApplyEmitter::computeScalars() {
  Type f32 = b.getF32Type();
  // Clipping: coef = min(max_norm / (norm + 1e-6), 1) when max_norm > 0.
  Value norm = b.create<memref::LoadOp>(
      loc, view(arena, k.index(YAN_LEARN_GRAD_NORM_OFFSET), {1}, f32),
      k.index(0));
  Value maxNorm = param(YAN_LEARN_PARAM_MAX_NORM);
  Value clipping = b.create<arith::AndIOp>(
      loc,
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, maxNorm,
                              f64(0.0)),
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, maxNorm,
                              f64(std::numeric_limits<double>::infinity())));
  Value rawCoef = b.create<arith::DivFOp>(
      loc, toF32(maxNorm), b.create<arith::AddFOp>(loc, norm, k.f32(1e-6f)));
  coef = b.create<arith::SelectOp>(
      loc, clipping, b.create<arith::MinimumFOp>(loc, rawCoef, k.f32(1.0f)),
      k.f32(1.0f));

  // The scalars of each optimizer, in f64 and rounded to f32 once.
  Value lr = param(YAN_LEARN_PARAM_LR);
  optimizer = param(YAN_LEARN_PARAM_OPTIMIZER);
  Value momentum = param(YAN_LEARN_PARAM_MOMENTUM);
  hasMomentum = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE,
                                        momentum, f64(0.0));
  momentum32 = toF32(momentum);
  minusLr = toF32(b.create<arith::NegFOp>(loc, lr));
  Value beta1 = param(YAN_LEARN_PARAM_BETA1),
        beta2 = param(YAN_LEARN_PARAM_BETA2);
  Value n = toIndex(param(YAN_LEARN_PARAM_STEP));
  SmallVector<Value> powers =
      k.forLoop(k.index(0), n, 1, {f64(1.0), f64(1.0)},
                [&](Value, ValueRange acc) -> SmallVector<Value> {
                  return {b.create<arith::MulFOp>(loc, acc[0], beta1),
                          b.create<arith::MulFOp>(loc, acc[1], beta2)};
                });
  Value correction1 = b.create<arith::SubFOp>(loc, f64(1.0), powers[0]);
  Value correction2 = b.create<arith::SubFOp>(loc, f64(1.0), powers[1]);
  minusStep = toF32(b.create<arith::NegFOp>(
      loc, b.create<arith::DivFOp>(loc, lr, correction1)));
  correction2Sqrt = toF32(b.create<math::SqrtOp>(loc, correction2));
  decay = toF32(b.create<arith::SubFOp>(
      loc, f64(1.0),
      b.create<arith::MulFOp>(loc, lr, param(YAN_LEARN_PARAM_WEIGHT_DECAY))));
  beta1f = toF32(beta1), beta2f = toF32(beta2);
  oneMinusBeta1 = toF32(b.create<arith::SubFOp>(loc, f64(1.0), beta1));
  oneMinusBeta2 = toF32(b.create<arith::SubFOp>(loc, f64(1.0), beta2));
  eps = toF32(param(YAN_LEARN_PARAM_EPS));
}

void LearnApplyEmitter::forEachElement(Value condition, Update update,
                                       bool readsWeights) {
  auto ifOp = b.create<scf::IfOp>(loc, condition, false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  for (int64_t which = 0; which < 3; ++which) {
    const Matrix &mx = matrices[which];
    auto [begin, end] = share(mx.rows);
    LowRankGradient gradient{Access{mx.left, {j}}, Access{mx.right, {j}}, count,
                             mx.cols};
    forEachGradientChunk(
        k, gradient, begin, end,
        [&](Value row, Value col, int64_t width, Value value) {
          Value flat = b.create<arith::AddIOp>(
              loc, b.create<arith::MulIOp>(loc, row, k.index(mx.cols)), col);
          Value clipped =
              b.create<arith::MulFOp>(loc, value, splat(coef, width));
          if (width && readsWeights)
            prefetchNextRows(which, flat, mx.cols);
          update(Element{flat, row, col}, which, width, clipped);
        });
  }
}

// Each weight is read once, from memory, in row tiles of a few rows that
// walk the columns: prefetching the next tile's rows at the same columns
// has them arrive while this tile's gradient is multiplied out.
void LearnApplyEmitter::prefetchNextRows(int64_t which, Value flat,
                                         int64_t cols) {
  int64_t rows = k.tiles().accumulateOutputs;
  Value ahead = b.create<arith::MinUIOp>(
      loc, b.create<arith::AddIOp>(loc, flat, k.index(rows * cols)),
      k.index(matrix - 1));
  b.create<memref::PrefetchOp>(loc, w[which], ValueRange{ahead},
                               /*isWrite=*/false, /*localityHint=*/3,
                               /*isDataCache=*/true);
}

void LearnApplyEmitter::emitUpdates() {
  Value isSgd = equals(optimizer, YAN_OPTIMIZER_SGD);
  Value notMomentum = b.create<arith::XOrIOp>(
      loc, hasMomentum, b.create<arith::ConstantIntOp>(loc, 1, 1));
  // The gradient itself (tests and tools): nothing else changes.
  forEachElement(equals(optimizer, YAN_OPTIMIZER_GRADIENT),
                 [&](const Element &e, int64_t which, int64_t width, Value g) {
                   store(g, state, stateAt(e.flat, which, 0), width);
                 },
                 /*readsWeights=*/false);
  // SGD: w = w - lr * g.
  forEachElement(b.create<arith::AndIOp>(loc, isSgd, notMomentum),
                 [&](const Element &e, int64_t which, int64_t width, Value g) {
                   Value updated = k.mulAdd(splat(minusLr, width), g,
                                            keepWeight(which, e, width));
                   storeUpdate(updated, w[which], e.flat, width);
                 });
  // SGD with momentum: buf = momentum * buf + g (buf starts at 0, so the
  // first step gives g exactly, as torch's clone); w = w - lr * buf.
  forEachElement(b.create<arith::AndIOp>(loc, isSgd, hasMomentum),
                 [&](const Element &e, int64_t which, int64_t width, Value g) {
                   Value at = stateAt(e.flat, which, 0);
                   Value buf = b.create<arith::AddFOp>(
                       loc,
                       b.create<arith::MulFOp>(loc, keepState(at, width),
                                               splat(momentum32, width)),
                       g);
                   storeUpdate(buf, state, at, width);
                   Value updated = k.mulAdd(splat(minusLr, width), buf,
                                            keepWeight(which, e, width));
                   storeUpdate(updated, w[which], e.flat, width);
                 });
  // AdamW (decoupled weight decay), bias corrections for the partition's
  // own step count n.
  forEachElement(equals(optimizer, YAN_OPTIMIZER_ADAMW), [&](const Element &e,
                                                             int64_t which,
                                                             int64_t width,
                                                             Value g) {
    Value mAt = stateAt(e.flat, which, 0), vAt = stateAt(e.flat, which, 1);
    Value weight = b.create<arith::MulFOp>(loc, keepWeight(which, e, width),
                                           splat(decay, width));
    Value mNew = k.mulAdd(splat(oneMinusBeta1, width), g,
                          b.create<arith::MulFOp>(loc, keepState(mAt, width),
                                                  splat(beta1f, width)));
    Value vNew = k.mulAdd(splat(oneMinusBeta2, width),
                          b.create<arith::MulFOp>(loc, g, g),
                          b.create<arith::MulFOp>(loc, keepState(vAt, width),
                                                  splat(beta2f, width)));
    Value denominator = b.create<arith::AddFOp>(
        loc,
        b.create<arith::DivFOp>(loc, b.create<math::SqrtOp>(loc, vNew),
                                splat(correction2Sqrt, width)),
        splat(eps, width));
    Value updated =
        k.mulAdd(splat(minusStep, width),
                 b.create<arith::DivFOp>(loc, mNew, denominator), weight);
    storeUpdate(mNew, state, mAt, width);
    storeUpdate(vNew, state, vAt, width);
    storeUpdate(updated, w[which], e.flat, width);
  });
}

void LearnApplyEmitter::emit(func::FuncOp function) {
  Block *block = &function.getBody().front();
  weights = block->getArgument(abi::kWeightsArg);
  arena = block->getArgument(abi::kArenaArg);
  learn = block->getArgument(abi::kLearnArg);
  state = block->getArgument(abi::kOptimizerStateArg);
  threadIndex = block->getArgument(abi::kThreadIndexArg);
  threadCount = block->getArgument(abi::kThreadCountArg);
  copyOffsets = block->getArgument(abi::kPartitionCopyOffsetsArg);
  copies = block->getArgument(abi::kPartitionCopiesArg);
  matrix = facts.ffnSize * facts.hidden;
  Value copyBytes = block->getArgument(abi::kPreviousArg);
  previous = view(copyBytes, k.index(0), {9 * matrix}, b.getF32Type());
  // Every chunk of a row at a multiple of the lanes (forEachGradientChunk)
  // is then at a multiple of the lanes from the copy's 64-byte start.
  if (facts.hidden % lanes == 0 && facts.ffnSize % lanes == 0)
    vectorCopy = view(copyBytes, k.index(0), {9 * matrix / lanes},
                      VectorType::get({lanes}, b.getF32Type()));
  applyFinite = view(arena, k.index(YAN_LEARN_APPLY_FINITE_OFFSET), {1},
                     b.getI32Type());
  enterChosenSlot();
  viewSlot();
  computeScalars();
  emitUpdates();
}

} // namespace

void emitLearnApply(ModuleOp module, const LearnFacts &facts,
                    const KernelShape &shape) {
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  Location loc = module.getLoc();
  FunctionType type = LoweringContext::entryFunctionType(b);
  auto function = b.create<func::FuncOp>(loc, "yan_learn_apply", type);
  Block *block = function.addEntryBlock();
  b.setInsertionPointToStart(block);
  LearnApplyEmitter(b, loc, facts, shape).emit(function);
  b.setInsertionPointToEnd(block);
  b.create<func::ReturnOp>(loc);
  function->setAttr(kEntryAttr, b.getStringAttr("learn_apply"));
  // One slot per call; the bundle records max_tokens 1 (no tokens are read).
  function->setAttr(kMaxTokensAttr, b.getI64IntegerAttr(1));
  function->setAttr(kArenaBytesAttr, b.getI64IntegerAttr(0));
  function->setAttr(kStateFloatsAttr, b.getI64IntegerAttr(facts.stateFloats));
  function->setAttr(kStatsCountersAttr,
                    b.getI64IntegerAttr(facts.statsCounters));
}

} // namespace yan::lowering
