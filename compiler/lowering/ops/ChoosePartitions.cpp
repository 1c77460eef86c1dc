//===- ChoosePartitions.cpp - yan.choose_partitions -----------------------===//
//
// The partitions to train: the `limit` largest sums of routing weights
// (f64, as the reference sums them), listed in ascending order.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/ops/OpLowerings.h"

namespace yan::lowering {

void lowerChoosePartitions(LoweringContext &ctx, y::ChoosePartitionsOp op) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value indices = ctx.buffer(op.getIndices()),
        alphas = ctx.buffer(op.getWeights());
  Value chosen = ctx.bufferFor(op.getChosen());
  int64_t partitions = op.getNumPartitions();
  int64_t active = ctx.dimOf(op.getIndices(), 1);
  int64_t slots = ctx.dimOf(op.getChosen(), 0);
  Type f64 = builder.getF64Type();
  int64_t totalsOffset;
  Value totals = ctx.temporary({partitions}, f64, totalsOffset);
  auto f64Const = [&](double value) {
    return builder
        .create<arith::ConstantOp>(loc, builder.getF64FloatAttr(value))
        .getResult();
  };
  ctx.serial([&] {
    // T[p] = sum of p's routing weights (f64, as the reference sums them).
    k.forLoop(k.index(0), k.index(partitions), 1,
              [&](Value p) { k.store(f64Const(0.0), totals, {p}); });
    k.forLoop(k.index(0), ctx.numTokens, 1, [&](Value t) {
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
    k.forLoop(k.index(0), ctx.learn.limit, 1, [&](Value) {
      SmallVector<Value> best = k.forLoop(
          k.index(0), k.index(partitions), 1, {f64Const(0.0), none},
          [&](Value p, ValueRange acc) -> SmallVector<Value> {
            Value total = builder.create<memref::LoadOp>(loc, totals, p);
            Value better = builder.create<arith::CmpFOp>(
                loc, arith::CmpFPredicate::OGT, total, acc[0]);
            return {builder.create<arith::SelectOp>(loc, better, total, acc[0]),
                    builder.create<arith::SelectOp>(loc, better, p, acc[1])};
          });
      Value found = builder.create<arith::CmpIOp>(
          loc, arith::CmpIPredicate::sge, best[1], k.index(0));
      auto ifOp = builder.create<scf::IfOp>(loc, found, false);
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
      k.store(f64Const(-1.0), totals, {best[1]});
    });
    // The picks in ascending order, then -1 padding.
    Value minusOne = builder.create<arith::ConstantIntOp>(loc, -1, 32);
    k.forLoop(k.index(0), k.index(slots), 1,
              [&](Value i) { k.store(minusOne, chosen, {i}); });
    k.forLoop(
        k.index(0), k.index(partitions), 1, {k.index(0)},
        [&](Value p, ValueRange acc) -> SmallVector<Value> {
          Value total = builder.create<memref::LoadOp>(loc, totals, p);
          Value picked = builder.create<arith::CmpFOp>(
              loc, arith::CmpFPredicate::OLT, total, f64Const(0.0));
          auto ifOp = builder.create<scf::IfOp>(loc, picked, false);
          {
            OpBuilder::InsertionGuard guard(builder);
            builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
            k.store(builder.create<arith::IndexCastOp>(loc,
                                                       builder.getI32Type(), p),
                    chosen, {acc[0]});
          }
          Value one = builder.create<arith::SelectOp>(loc, picked, k.index(1),
                                                      k.index(0));
          return {builder.create<arith::AddIOp>(loc, acc[0], one)};
        });
  });
  ctx.arena.release(totalsOffset);
}

} // namespace yan::lowering
