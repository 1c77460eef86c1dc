//===- Add.cpp - arith.addf on activations --------------------------------===//
//
// The residual additions: elementwise, every thread its share of the
// columns (whole vectors, so no two threads write one cache line).
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/ops/OpLowerings.h"

namespace yan::lowering {

void lowerAdd(LoweringContext &ctx, arith::AddFOp op) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value lhs = ctx.buffer(op.getLhs()), rhs = ctx.buffer(op.getRhs());
  Value out = ctx.bufferFor(op.getResult());
  int64_t width = ctx.dimOf(op.getResult(), 1);
  auto [colBegin, colEnd] = ctx.share(width, k.lanes());
  k.forLoop(k.index(0), ctx.numTokens, 1, [&](Value t) {
    k.forLoop(colBegin, colEnd, 1, [&](Value d) {
      Value a = builder.create<memref::LoadOp>(loc, lhs, ValueRange{t, d});
      Value b = builder.create<memref::LoadOp>(loc, rhs, ValueRange{t, d});
      k.store(builder.create<arith::AddFOp>(loc, a, b), out, {t, d});
    });
  });
}

} // namespace yan::lowering
