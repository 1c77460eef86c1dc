//===- Router.cpp - yan.router and its gradient ---------------------------===//
//
// Top-k routing per position with a softmax over the picked logits (and the
// routing statistics), and its gradient.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/ops/OpLowerings.h"

namespace yan::lowering {

void lowerRouter(LoweringContext &ctx, y::RouterOp op) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value x = ctx.buffer(op.getInput());
  Value weight = ctx.buffer(op.getWeight());
  Value indices = ctx.bufferFor(op.getIndices());
  Value alphas = ctx.bufferFor(op.getWeights());
  int64_t partitions = ctx.dimOf(op.getWeight(), 0);
  int64_t hidden = ctx.dimOf(op.getWeight(), 1);
  int64_t active = op.getActivePartitions();
  int64_t statsOffset = ctx.routersLowered * ctx.numPartitions;
  ++ctx.routersLowered;
  int64_t scratchOffset;
  Value logits =
      ctx.temporary({partitions}, builder.getF32Type(), scratchOffset);
  Type i32 = builder.getI32Type();

  ctx.serial([&] {
    Value minusOne = builder.create<arith::ConstantIntOp>(loc, -1, 32);
    Value zero32 = builder.create<arith::ConstantIntOp>(loc, 0, 32);
    k.forLoop(k.index(0), ctx.numTokens, 1, [&](Value t) {
      k.dotRows(
          Access{weight, {}},
          [&](Value) {
            return Access{x, {t}};
          },
          k.index(1), k.index(0), k.index(partitions), hidden,
          [&](Value row, Value, Value dot) { k.store(dot, logits, {row}); });
      // Top-k by repeated selection: the j-th pick is the largest logit not
      // yet picked; scanning upwards with a strict '>' keeps the lower index
      // on ties. The first unpicked partition is taken even if its logit is
      // NaN, so an index is always valid.
      k.forLoop(k.index(0), k.index(active), 1, [&](Value j) {
        SmallVector<Value> best = k.forLoop(
            k.index(0), k.index(partitions), 1, {k.f32(0.0f), minusOne},
            [&](Value p, ValueRange acc) -> SmallVector<Value> {
              Value p32 = builder.create<arith::IndexCastOp>(loc, i32, p);
              Value taken = k.forLoop(
                  k.index(0), j, 1,
                  {builder.create<arith::ConstantIntOp>(loc, 0, 1)},
                  [&](Value j2, ValueRange seen) -> SmallVector<Value> {
                    Value picked = builder.create<memref::LoadOp>(
                        loc, indices, ValueRange{t, j2});
                    Value same = builder.create<arith::CmpIOp>(
                        loc, arith::CmpIPredicate::eq, picked, p32);
                    return {builder.create<arith::OrIOp>(loc, seen[0], same)};
                  })[0];
              Value value = builder.create<memref::LoadOp>(loc, logits, p);
              Value none = builder.create<arith::CmpIOp>(
                  loc, arith::CmpIPredicate::slt, acc[1], zero32);
              Value greater = builder.create<arith::CmpFOp>(
                  loc, arith::CmpFPredicate::OGT, value, acc[0]);
              Value better = builder.create<arith::AndIOp>(
                  loc,
                  builder.create<arith::XOrIOp>(
                      loc, taken,
                      builder.create<arith::ConstantIntOp>(loc, 1, 1)),
                  builder.create<arith::OrIOp>(loc, none, greater));
              return {
                  builder.create<arith::SelectOp>(loc, better, value, acc[0]),
                  builder.create<arith::SelectOp>(loc, better, p32, acc[1])};
            });
        k.store(best[1], indices, {t, j});
        k.store(best[0], alphas, {t, j});
        if (ctx.countsStats())
          ctx.bumpStat(statsOffset, best[1]);
      });
      // softmax over the picked logits; the first pick is the largest.
      Value largest = builder.create<memref::LoadOp>(loc, alphas,
                                                     ValueRange{t, k.index(0)});
      Value total =
          k.forLoop(k.index(0), k.index(active), 1, {k.f32(0.0f)},
                    [&](Value j, ValueRange acc) -> SmallVector<Value> {
                      Value r = builder.create<memref::LoadOp>(
                          loc, alphas, ValueRange{t, j});
                      Value e = builder.create<math::ExpOp>(
                          loc, builder.create<arith::SubFOp>(loc, r, largest));
                      k.store(e, alphas, {t, j});
                      return {builder.create<arith::AddFOp>(loc, acc[0], e)};
                    })[0];
      k.forLoop(k.index(0), k.index(active), 1, [&](Value j) {
        Value e = builder.create<memref::LoadOp>(loc, alphas, ValueRange{t, j});
        k.store(builder.create<arith::DivFOp>(loc, e, total), alphas, {t, j});
      });
    });
  });
  ctx.arena.release(scratchOffset);
}

void lowerRouterGrad(LoweringContext &ctx, y::RouterGradOp op) {
  // dr_j = alpha_j (dalpha_j - sum_i alpha_i dalpha_i);
  // dx[t] = sum_j dr_j weight[indices[t, j]].
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value weight = ctx.buffer(op.getWeight()),
        indices = ctx.buffer(op.getIndices());
  Value alphas = ctx.buffer(op.getWeights()), grad = ctx.buffer(op.getGrad());
  Value out = ctx.bufferFor(op.getResult());
  int64_t active = ctx.dimOf(op.getIndices(), 1);
  int64_t hidden = ctx.dimOf(op.getWeight(), 1);
  auto load = [&](Value memref, Value t, Value j) {
    return builder.create<memref::LoadOp>(loc, memref, ValueRange{t, j})
        .getResult();
  };
  Value begin, end;
  std::tie(begin, end) = ctx.shareDynamic(ctx.numTokens);
  {
    k.forLoop(begin, end, 1, [&](Value t) {
      Value dot = k.forLoop(
          k.index(0), k.index(active), 1, {k.f32(0.0f)},
          [&](Value j, ValueRange acc) -> SmallVector<Value> {
            return {k.mulAdd(load(alphas, t, j), load(grad, t, j), acc[0])};
          })[0];
      k.forLoop(k.index(0), k.index(hidden), 1, [&](Value d) {
        k.store(k.f32(0.0f), out, {t, d});
      });
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

} // namespace yan::lowering
