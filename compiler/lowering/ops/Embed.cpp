//===- Embed.cpp - yan.embed ----------------------------------------------===//
//
// yan.embed: one row of the embedding table per token, on thread 0.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/ops/OpLowerings.h"

namespace yan::lowering {

void lowerEmbed(LoweringContext &ctx, y::EmbedOp op) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value table = ctx.buffer(op.getTable());
  Value out = ctx.bufferFor(op.getResult());
  int64_t width = ctx.dimOf(op.getTable(), 1);
  ctx.serial([&] {
    k.forLoop(k.index(0), ctx.numTokens, 1, [&](Value t) {
      Value token = builder.create<memref::LoadOp>(loc, ctx.args.tokens, t);
      Value row = builder.create<arith::IndexCastOp>(
          loc, builder.getIndexType(), token);
      k.forLoop(k.index(0), k.index(width), 1, [&](Value d) {
        k.store(k.loadF32(Access{table, {row}}, {d}), out, {t, d});
      });
    });
  });
}

} // namespace yan::lowering
