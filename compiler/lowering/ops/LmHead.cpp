//===- LmHead.cpp - yan.lm_head -------------------------------------------===//
//
// The final norm (columns shared among threads) and the vocabulary
// projection (rows shared among threads), written straight into the
// caller's logits.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/ops/OpLowerings.h"

namespace yan::lowering {

void lowerLmHead(LoweringContext &ctx, y::LmHeadOp op) {
  OpBuilder &builder = ctx.builder;
  KernelEmitter &k = ctx.kernels;
  Value x = ctx.buffer(op.getInput());
  Value weight = ctx.buffer(op.getWeight());
  Value logits = ctx.bufferFor(op.getLogits());
  int64_t vocab = ctx.dimOf(op.getWeight(), 0),
          hidden = ctx.dimOf(op.getWeight(), 1);
  int64_t scratchOffset;
  Value normed = ctx.temporary({ctx.maxTokens, hidden}, builder.getF32Type(),
                               scratchOffset);
  auto [colBegin, colEnd] = ctx.share(hidden, k.lanes());
  k.forLoop(k.index(0), ctx.numTokens, 1, [&](Value t) {
    rmsNormRow(ctx, Access{x, {t}}, ctx.buffer(op.getNormWeight()), normed, t,
               hidden, op.getEps().convertToFloat(), colBegin, colEnd);
  });
  ctx.barrier();
  matmulTransposed(ctx, normed, weight, logits, vocab, hidden);
  ctx.arena.release(scratchOffset);
}

} // namespace yan::lowering
