//===- RmsNorm.cpp - yan.rms_norm and its gradient ------------------------===//
//
// The forward normalizes row by row, every thread its share of the columns
// (rmsNormRow is shared with the LM head); the gradient splits positions
// among threads.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/ops/OpLowerings.h"

namespace yan::lowering {

void rmsNormRow(LoweringContext &ctx, const Access &x, Value weight, Value out,
                Value outRow, int64_t width, float eps, Value colBegin,
                Value colEnd) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value sumSquares =
      k.forLoop(k.index(0), k.index(width), 1, {k.f32(0.0f)},
                [&](Value i, ValueRange acc) -> SmallVector<Value> {
                  Value v = k.loadF32(x, {i});
                  Value sq = builder.create<arith::MulFOp>(loc, v, v);
                  return {k.addReassoc(acc[0], sq)};
                })[0];
  Value mean = builder.create<arith::DivFOp>(loc, sumSquares,
                                             k.f32(static_cast<float>(width)));
  Value root = builder.create<math::SqrtOp>(
      loc, builder.create<arith::AddFOp>(loc, mean, k.f32(eps)));
  Value scale = builder.create<arith::DivFOp>(loc, k.f32(1.0f), root);
  k.forLoop(colBegin, colEnd, 1, [&](Value i) {
    Value v = builder.create<arith::MulFOp>(loc, k.loadF32(x, {i}), scale);
    Value w = k.loadF32(Access{weight, {}}, {i});
    k.store(builder.create<arith::MulFOp>(loc, v, w), out, {outRow, i});
  });
}

void lowerRmsNorm(LoweringContext &ctx, y::RmsNormOp op) {
  KernelEmitter &k = ctx.kernels;
  Value x = ctx.buffer(op.getInput());
  Value out = ctx.bufferFor(op.getResult());
  float eps = op.getEps().convertToFloat();
  int64_t width = ctx.dimOf(op.getInput(), 1);
  auto [colBegin, colEnd] = ctx.share(width, k.lanes());
  k.forLoop(k.index(0), ctx.numTokens, 1, [&](Value t) {
    rmsNormRow(ctx, Access{x, {t}}, ctx.buffer(op.getWeight()), out, t, width,
               eps, colBegin, colEnd);
  });
}

void lowerRmsNormGrad(LoweringContext &ctx, y::RmsNormGradOp op) {
  // r = 1/sqrt(mean(x^2) + eps), g = w * dy: dx = r g - x r^3 (g . x) / D.
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value x = ctx.buffer(op.getInput()), weight = ctx.buffer(op.getWeight());
  Value grad = ctx.buffer(op.getGrad());
  Value out = ctx.bufferFor(op.getResult());
  int64_t width = ctx.dimOf(op.getInput(), 1);
  float eps = op.getEps().convertToFloat();
  Value begin, end;
  std::tie(begin, end) = ctx.shareDynamic(ctx.numTokens);
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
            return {
                k.addReassoc(acc[0], builder.create<arith::MulFOp>(loc, v, v)),
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

} // namespace yan::lowering
