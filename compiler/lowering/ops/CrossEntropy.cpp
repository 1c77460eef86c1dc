//===- CrossEntropy.cpp - yan.cross_entropy and its gradient --------------===//
//
// The mean cross-entropy of the logits against the targets (each thread
// its positions, thread 0 sums them in order) and its gradient
// (softmax - one-hot) / N, seeding the backward.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/ops/OpLowerings.h"

namespace yan::lowering {

namespace {

/// (max, sum of exp(x - max)) of row t of a [T, V] buffer.
std::pair<Value, Value> softmaxStats(OpBuilder &b, Location loc,
                                     KernelEmitter &k, Value logits, Value t,
                                     int64_t vocab) {
  Value first =
      b.create<memref::LoadOp>(loc, logits, ValueRange{t, k.index(0)});
  Value largest = k.forLoop(
      k.index(1), k.index(vocab), 1, {first},
      [&](Value v, ValueRange acc) -> SmallVector<Value> {
        Value x = b.create<memref::LoadOp>(loc, logits, ValueRange{t, v});
        // maximumf propagates NaN: a NaN logit makes the loss NaN.
        return {b.create<arith::MaximumFOp>(loc, acc[0], x)};
      })[0];
  Value sum = k.forLoop(
      k.index(0), k.index(vocab), 1, {k.f32(0.0f)},
      [&](Value v, ValueRange acc) -> SmallVector<Value> {
        Value x = b.create<memref::LoadOp>(loc, logits, ValueRange{t, v});
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

Value indexToF32(OpBuilder &b, Location loc, Value i) {
  Value asInt = b.create<arith::IndexCastOp>(loc, b.getI64Type(), i);
  return b.create<arith::SIToFPOp>(loc, b.getF32Type(), asInt);
}

} // namespace

void lowerCrossEntropy(LoweringContext &ctx, y::CrossEntropyOp op) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value logits = ctx.buffer(op.getLogits()),
        targets = ctx.buffer(op.getTargets());
  Value loss = ctx.bufferFor(op.getLoss());
  int64_t vocab = ctx.dimOf(op.getLogits(), 1);
  // Each thread its positions' losses; thread 0 adds them in order.
  int64_t rowsOffset;
  Value rowLoss =
      ctx.temporary({ctx.maxTokens}, builder.getF32Type(), rowsOffset);
  Value begin, end;
  std::tie(begin, end) = ctx.shareDynamic(ctx.numTokens);
  k.forLoop(begin, end, 1, [&](Value t) {
    auto [largest, sum] = softmaxStats(builder, loc, k, logits, t, vocab);
    Value logSum = builder.create<arith::AddFOp>(
        loc, largest, builder.create<math::LogOp>(loc, sum));
    Value target = tokenIndex(builder, loc, targets, t);
    Value picked =
        builder.create<memref::LoadOp>(loc, logits, ValueRange{t, target});
    k.store(builder.create<arith::SubFOp>(loc, logSum, picked), rowLoss, {t});
  });
  ctx.barrier();
  ctx.serial([&] {
    Value total = k.forLoop(
        k.index(0), ctx.numTokens, 1, {k.f32(0.0f)},
        [&](Value t, ValueRange acc) -> SmallVector<Value> {
          return {builder.create<arith::AddFOp>(
              loc, acc[0], builder.create<memref::LoadOp>(loc, rowLoss, t))};
        })[0];
    k.store(builder.create<arith::DivFOp>(
                loc, total, indexToF32(builder, loc, ctx.numTokens)),
            loss, {k.index(0)});
  });
  ctx.arena.release(rowsOffset);
}

void lowerCrossEntropyGrad(LoweringContext &ctx, y::CrossEntropyGradOp op) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value logits = ctx.buffer(op.getLogits()),
        targets = ctx.buffer(op.getTargets());
  Value out = ctx.bufferFor(op.getResult());
  int64_t vocab = ctx.dimOf(op.getLogits(), 1);
  Value begin, end;
  std::tie(begin, end) = ctx.shareDynamic(ctx.numTokens);
  {
    Value scale = builder.create<arith::DivFOp>(
        loc, k.f32(1.0f), indexToF32(builder, loc, ctx.numTokens));
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
      Value at =
          builder.create<memref::LoadOp>(loc, out, ValueRange{t, target});
      k.store(builder.create<arith::SubFOp>(loc, at, scale), out, {t, target});
    });
  }
}

} // namespace yan::lowering
