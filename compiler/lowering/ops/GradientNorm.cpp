//===- GradientNorm.cpp - yan.partition_grad_squares, yan.global_norm -----===//
//
// The global gradient norm for clipping: each chosen partition's squared
// norms from its low-rank factors' Gram matrices (never materializing the
// gradient), then their sum's square root.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/ops/OpLowerings.h"

namespace yan::lowering {

namespace {

/// The indices of a 0-d tensor's buffer: none for memref<f32>, [0] for the
/// one-element views of the learn header.
SmallVector<Value> scalarAt(KernelEmitter &k, Value memref) {
  if (cast<MemRefType>(memref.getType()).getRank() == 0)
    return {};
  return {k.index(0)};
}

} // namespace

void lowerPartitionGradSquares(LoweringContext &ctx,
                               y::PartitionGradSquaresOp op) {
  // ||sum_r l_r r_r^T||^2 = sum_{r,s} (l_r . l_s)(r_r . r_s): from the
  // factors' Gram matrices, in f64 (f32 products are exact in f64, so the
  // only rounding is the f64 sums'), never materializing the gradient. The
  // five Grams of a slot (a1, a3, xs, ds, g) are count x count; threads own
  // rows of them. Each matrix's norm is rounded to f32 and squared in f32,
  // as the reference squares its per-tensor norms.
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value counts = ctx.buffer(op.getCounts());
  Value a1 = ctx.buffer(op.getA1()), a3 = ctx.buffer(op.getA3()),
        g = ctx.buffer(op.getG());
  Value xs = ctx.buffer(op.getXs()), ds = ctx.buffer(op.getDs());
  Value result = ctx.bufferFor(op.getSquares());
  int64_t slots = ctx.dimOf(op.getA1(), 0), ffnSize = ctx.dimOf(op.getA1(), 2);
  int64_t hidden = ctx.dimOf(op.getXs(), 2);
  Type f64 = builder.getF64Type();
  int64_t gramOffset;
  Value grams =
      ctx.temporary({5, ctx.maxTokens, ctx.maxTokens}, f64, gramOffset);
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
    Value acc = k.forLoop(
        k.index(0), k.index(vectorized), lanes, {zero},
        [&](Value c, ValueRange a) -> SmallVector<Value> {
          auto narrow = VectorType::get({lanes}, builder.getF32Type());
          Value xn = builder.create<vector::LoadOp>(loc, narrow, factor,
                                                    ValueRange{i, r, c});
          Value yn = builder.create<vector::LoadOp>(loc, narrow, factor,
                                                    ValueRange{i, s, c});
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
  Factor factors[5] = {
      {a1, ffnSize}, {a3, ffnSize}, {xs, hidden}, {ds, hidden}, {g, ffnSize}};
  ctx.serial([&] { k.store(k.f32(0.0f), result, scalarAt(k, result)); });
  k.forLoop(k.index(0), k.index(slots), 1, [&](Value i) {
    Value count = ctx.loadIndex(counts, {i});
    Value begin, end;
    std::tie(begin, end) = ctx.shareDynamic(count);
    k.forLoop(begin, end, 1, [&](Value r) {
      k.forLoop(k.index(0), count, 1, [&](Value s) {
        for (int64_t f = 0; f < 5; ++f)
          k.store(dot(factors[f].memref, i, r, s, factors[f].width), grams,
                  {k.index(f), r, s});
      });
    });
    ctx.barrier();
    ctx.serial([&] {
      // (left Gram, right Gram) of w1 = a1 x^T, w3 = a3 x^T, w2 = ds g^T.
      for (auto [left, right] :
           {std::pair{0, 2}, std::pair{1, 2}, std::pair{3, 4}}) {
        Value squares = k.forLoop(
            k.index(0), count, 1, {f64Const(0.0)},
            [&](Value r, ValueRange acc) -> SmallVector<Value> {
              return {k.forLoop(
                  k.index(0), count, 1, {acc[0]},
                  [&](Value s, ValueRange inner) -> SmallVector<Value> {
                    Value l = builder.create<memref::LoadOp>(
                        loc, grams, ValueRange{k.index(left), r, s});
                    Value rr = builder.create<memref::LoadOp>(
                        loc, grams, ValueRange{k.index(right), r, s});
                    return {k.mulAdd(l, rr, inner[0])};
                  })[0]};
            })[0];
        // Rounding can make a tiny true value slightly negative.
        squares =
            builder.create<arith::MaximumFOp>(loc, squares, f64Const(0.0));
        Value norm = builder.create<arith::TruncFOp>(
            loc, builder.getF32Type(),
            builder.create<math::SqrtOp>(loc, squares));
        Value sum =
            builder.create<memref::LoadOp>(loc, result, scalarAt(k, result));
        k.store(k.mulAdd(norm, norm, sum), result, scalarAt(k, result));
      }
    });
    ctx.barrier();
  });
  ctx.arena.release(gramOffset);
}

void lowerGlobalNorm(LoweringContext &ctx, y::GlobalNormOp op) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value norm = ctx.bufferFor(op.getNorm());
  ctx.serial([&] {
    Value total = k.f32(0.0f);
    for (Value squares : op.getSquares()) {
      Value partial = ctx.buffer(squares);
      total = builder.create<arith::AddFOp>(
          loc, total,
          builder.create<memref::LoadOp>(loc, partial, scalarAt(k, partial)));
    }
    k.store(builder.create<math::SqrtOp>(loc, total), norm, scalarAt(k, norm));
  });
}

} // namespace yan::lowering
