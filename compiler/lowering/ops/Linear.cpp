//===- Linear.cpp - yan.linear and its gradient ---------------------------===//
//
// The forward is the dot-product kernel over this thread's share of the
// weight rows (matmulTransposed, shared with the LM head); the gradient is the
// transposed product over this thread's block of input columns.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/ops/OpLowerings.h"

namespace yan::lowering {

/// out[t, r] = dot(weight[r, :], x[t, :]) for all positions: this thread's
/// share of the weight rows, every position (rows outer: weights stream
/// once per call, not once per position).
void matmulTransposed(LoweringContext &ctx, Value x, Value weight, Value out,
                      int64_t rows, int64_t cols) {
  KernelEmitter &k = ctx.kernels;
  auto [begin, end] = ctx.share(rows);
  // One result, or a row block's as one vector (out[t, row..] is
  // contiguous).
  auto storeOut = [&](Value row, Value t, Value dot) {
    k.store(dot, out, {t, row});
  };
  k.dotRows(
      Access{weight, {}},
      [&](Value t) {
        return Access{x, {t}};
      },
      ctx.numTokens, begin, end, cols,
      storeOut, storeOut);
}

void lowerLinear(LoweringContext &ctx, y::LinearOp op) {
  matmulTransposed(ctx, ctx.buffer(op.getInput()), ctx.buffer(op.getWeight()),
                   ctx.bufferFor(op.getResult()), ctx.dimOf(op.getWeight(), 0),
                   ctx.dimOf(op.getWeight(), 1));
}

namespace {
/// Zeroes `rows` x `cols` of a 2-D f32 buffer, columns split among threads.
void zeroColumns(LoweringContext &ctx, Value buffer, Value rows, int64_t cols) {
  KernelEmitter &k = ctx.kernels;
  Value begin, end;
  std::tie(begin, end) = ctx.share(cols, k.lanes());
  k.forLoop(k.index(0), rows, 1, [&](Value t) {
    k.forLoop(begin, end, 1, [&](Value c) {
      k.store(k.f32(0.0f), buffer, {t, c});
    });
  });
}
} // namespace

void lowerLinearGrad(LoweringContext &ctx, y::LinearGradOp op) {
  // dx[t, :] = sum_o dy[t, o] W[o, :]: W's rows stream once (inputs outer),
  // each thread owns a block of dx's columns.
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value grad = ctx.buffer(op.getGrad()), weight = ctx.buffer(op.getWeight());
  Value out = ctx.bufferFor(op.getResult());
  int64_t outFeatures = ctx.dimOf(op.getWeight(), 0);
  int64_t inFeatures = ctx.dimOf(op.getWeight(), 1);
  zeroColumns(ctx, out, ctx.numTokens, inFeatures);
  Value begin, end;
  std::tie(begin, end) = ctx.share(inFeatures, k.lanes());
  k.accumulateRows(
      [&](Value t) {
        return Access{out, {t}};
      },
      k.index(0), ctx.numTokens,
      [&](Value o) {
        return Access{weight, {o}};
      },
      k.index(outFeatures),
      [&](Value t, Value o) {
        return builder.create<memref::LoadOp>(loc, grad, ValueRange{t, o})
            .getResult();
      },
      begin, end);
}

} // namespace yan::lowering
