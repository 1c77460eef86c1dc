//===- RoutedPairs.cpp - (position, pick) pairs grouped by partition ------===//
#include "compiler/lowering/ops/RoutedPairs.h"

namespace yan::lowering {

RoutedPairs::RoutedPairs(LoweringContext &ctx, int64_t partitions,
                         int64_t active)
    : partitions(partitions), active(active), ctx(ctx) {
  starts =
      ctx.temporary({partitions + 1}, ctx.builder.getI64Type(), startsOffset);
  pairs = ctx.temporary({ctx.maxTokens * active}, ctx.builder.getI32Type(),
                        pairsOffset);
}

void RoutedPairs::release() {
  ctx.arena.release(pairsOffset);
  ctx.arena.release(startsOffset);
}

Value RoutedPairs::plusOne(Value i) {
  OpBuilder &builder = ctx.builder;
  return builder.create<arith::AddIOp>(ctx.loc, i, ctx.kernels.index(1))
      .getResult();
}

Value RoutedPairs::pairAt(Value begin, Value r) {
  OpBuilder &builder = ctx.builder;
  return ctx.loadIndex(pairs,
                       {builder.create<arith::AddIOp>(ctx.loc, begin, r)});
}

Value RoutedPairs::tokenAt(Value begin, Value r) {
  OpBuilder &builder = ctx.builder;
  KernelEmitter &k = ctx.kernels;
  return builder
      .create<arith::DivUIOp>(ctx.loc, pairAt(begin, r), k.index(active))
      .getResult();
}

Value RoutedPairs::alphaAt(Value alphas, Value begin, Value r) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value pair = pairAt(begin, r);
  Value t = builder.create<arith::DivUIOp>(loc, pair, k.index(active));
  Value j = builder.create<arith::RemUIOp>(loc, pair, k.index(active));
  return builder.create<memref::LoadOp>(loc, alphas, ValueRange{t, j})
      .getResult();
}

void RoutedPairs::group(Value indices) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  auto storeIndex = [&](Value v, Value memref, ValueRange at) {
    Type element = cast<MemRefType>(memref.getType()).getElementType();
    k.store(builder.create<arith::IndexCastOp>(loc, element, v), memref, at);
  };
  // starts[p + 1] = pairs routed to p; prefix sums make [starts[p],
  // starts[p + 1]) partition p's range of pairs.
  k.forLoop(k.index(0), k.index(partitions + 1), 1,
            [&](Value p) { storeIndex(k.index(0), starts, {p}); });
  k.forLoop(k.index(0), ctx.numTokens, 1, [&](Value t) {
    k.forLoop(k.index(0), k.index(active), 1, [&](Value j) {
      Value slot = plusOne(ctx.loadIndex(indices, {t, j}));
      storeIndex(plusOne(ctx.loadIndex(starts, {slot})), starts, {slot});
    });
  });
  k.forLoop(k.index(1), k.index(partitions + 1), 1, [&](Value p) {
    Value previous = ctx.loadIndex(
        starts, {builder.create<arith::SubIOp>(loc, p, k.index(1))});
    storeIndex(builder.create<arith::AddIOp>(loc, previous,
                                             ctx.loadIndex(starts, {p})),
               starts, {p});
  });
  // Fill, position order kept within a partition; cursor[p] walks p's range.
  int64_t cursorOffset;
  Value cursor =
      ctx.temporary({partitions}, builder.getI64Type(), cursorOffset);
  k.forLoop(k.index(0), k.index(partitions), 1, [&](Value p) {
    storeIndex(ctx.loadIndex(starts, {p}), cursor, {p});
  });
  k.forLoop(k.index(0), ctx.numTokens, 1, [&](Value t) {
    k.forLoop(k.index(0), k.index(active), 1, [&](Value j) {
      Value p = ctx.loadIndex(indices, {t, j});
      Value position = ctx.loadIndex(cursor, {p});
      Value pair = builder.create<arith::AddIOp>(
          loc, builder.create<arith::MulIOp>(loc, t, k.index(active)), j);
      storeIndex(pair, pairs, {position});
      storeIndex(plusOne(position), cursor, {p});
    });
  });
  ctx.arena.release(cursorOffset);
}

} // namespace yan::lowering
