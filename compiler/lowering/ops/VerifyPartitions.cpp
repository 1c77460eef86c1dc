//===- VerifyPartitions.cpp - Lazy trust: ask before reading a partition --===//
//
// In trusted mode the runtime does not hash the weights at open; it hashes a
// partition the first time a token routes to it (docs/security.md, "Lazy
// trust"). The routed feed-forward therefore asks first: thread 0 calls the
// runtime's verify callback for every routed partition whose byte in the
// `verified` map is still 0, before the barrier that ends the step; then
// every thread reads the failure byte and the rest of the entry runs only
// when it is clear. So no partition's bytes are read unverified, and the
// threads agree on the branch (only thread 0 of this session writes the
// map, before the barrier). A NULL map (development mode, static
// libraries) skips all of it.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/ops/OpLowerings.h"

namespace yan::lowering {

namespace {

/// True when the entry got a verified map (the runtime verifies lazily).
Value hasVerifiedMap(LoweringContext &ctx) {
  OpBuilder &builder = ctx.builder;
  Value address = builder.create<memref::ExtractAlignedPointerAsIndexOp>(
      ctx.loc, ctx.args.verified);
  return builder.create<arith::CmpIOp>(ctx.loc, arith::CmpIPredicate::ne,
                                       address, ctx.kernels.index(0));
}

} // namespace

void verifyRoutedPartitions(LoweringContext &ctx, y::PartitionedFfnOp op) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value indices = ctx.buffer(op.getIndices());
  int64_t active = ctx.dimOf(op.getIndices(), 1);
  // The feed-forward of layer l follows its router: slots l*P .. l*P+P-1.
  int64_t layerSlots = (ctx.routersLowered - 1) * ctx.numPartitions;
  auto lazy = builder.create<scf::IfOp>(loc, hasVerifiedMap(ctx), false);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&lazy.getThenRegion().front());
  k.forLoop(k.index(0), ctx.numTokens, 1, [&](Value t) {
    k.forLoop(k.index(0), k.index(active), 1, [&](Value j) {
      Value slot = builder.create<arith::AddIOp>(
          loc, ctx.loadIndex(indices, {t, j}), k.index(layerSlots));
      Value byte = builder.create<memref::LoadOp>(loc, ctx.args.verified, slot);
      Value unverified = builder.create<arith::CmpIOp>(
          loc, arith::CmpIPredicate::eq, byte,
          builder.create<arith::ConstantIntOp>(loc, 0, 8));
      auto ask = builder.create<scf::IfOp>(loc, unverified, false);
      OpBuilder::InsertionGuard inner(builder);
      builder.setInsertionPointToStart(&ask.getThenRegion().front());
      Value slot64 = builder.create<arith::IndexCastOp>(
          loc, builder.getI64Type(), slot);
      builder.create<func::CallIndirectOp>(
          loc, ctx.args.verify, ValueRange{ctx.args.verifier, slot64});
    });
  });
}

void continueIfVerified(LoweringContext &ctx) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  auto check = builder.create<scf::IfOp>(loc, TypeRange{builder.getI1Type()},
                                         hasVerifiedMap(ctx), true);
  {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(&check.getThenRegion().front());
    Value failure = builder.create<memref::LoadOp>(
        loc, ctx.args.verified,
        k.index(ctx.numLayers * ctx.numPartitions));
    Value clear = builder.create<arith::CmpIOp>(
        loc, arith::CmpIPredicate::eq, failure,
        builder.create<arith::ConstantIntOp>(loc, 0, 8));
    builder.create<scf::YieldOp>(loc, clear);
    builder.setInsertionPointToStart(&check.getElseRegion().front());
    builder.create<scf::YieldOp>(
        loc, ValueRange{builder.create<arith::ConstantIntOp>(loc, 1, 1)});
  }
  // The rest of the entry goes inside; EntryLowering returns after the
  // outermost of these.
  auto rest = builder.create<scf::IfOp>(loc, check.getResult(0), false);
  builder.setInsertionPointToStart(&rest.getThenRegion().front());
}

} // namespace yan::lowering
