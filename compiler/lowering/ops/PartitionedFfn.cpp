//===- PartitionedFfn.cpp - yan.partitioned_ffn ---------------------------===//
//
// The routed feed-forward: token by token in a Fixed entry (decode), grouped
// by partition in the others (RoutedPairs.h).
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/ops/OpLowerings.h"
#include "compiler/lowering/ops/RoutedPairs.h"

namespace yan::lowering {

namespace {

/// The buffers and sizes of a yan.partitioned_ffn.
struct FfnBuffers {
  Value x, indices, alphas, w1, w3, w2;
  int64_t partitions, ffnSize, hidden, active;
  Value tape1 = {}, tape3 = {}; // learn graphs: w1 x, w3 x per pair
  y::PartitionedFfnOp op = {};
};

FfnBuffers ffnBuffers(LoweringContext &ctx, y::PartitionedFfnOp op) {
  FfnBuffers f = {ctx.buffer(op.getInput()),   ctx.buffer(op.getIndices()),
          ctx.buffer(op.getWeights()), ctx.buffer(op.getW1()),
          ctx.buffer(op.getW3()),      ctx.buffer(op.getW2()),
          ctx.dimOf(op.getW1(), 0),    ctx.dimOf(op.getW1(), 1),
          ctx.dimOf(op.getW1(), 2),    ctx.dimOf(op.getIndices(), 1)};
  f.op = op;
  return f;
}

/// Partition p applied to `count` input rows r (input row inputRow(r), routing
/// weight alphaOf(r), output row tokenOf(r)):
///   gated[r, :] = silu(w1[p] x_r) * (w3[p] x_r)
///   out[tokenOf(r), :] += alphaOf(r) * (w2[p] gated[r, :])
/// Only partition p's slice [p, :, :] of each weight is read. w1 and w3 split
/// their rows the same way, so a thread reads back only the gated values it
/// wrote; the barrier publishes them all before w2 reads them. A learn
/// graph's forward also tapes w1 x and w3 x per pair (pairOf(r)).
void partitionProductOf(LoweringContext &ctx, const FfnBuffers &f,
                        const PartitionWeights &w, Value count, Value gated,
                        Value out, function_ref<Value(Value)> inputRow,
                        function_ref<Value(Value)> alphaOf,
                        function_ref<Value(Value)> tokenOf,
                        function_ref<Value(Value)> pairOf) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  auto [fBegin, fEnd] = ctx.share(f.ffnSize);
  auto [dBegin, dEnd] = ctx.share(f.hidden);
  auto input = [&](Value r) { return Access{f.x, {inputRow(r)}}; };
  k.dotRows(w.w1, input, count, fBegin, fEnd, f.hidden,
            [&](Value row, Value r, Value dot) {
              k.store(k.silu(dot), gated, {r, row});
              if (f.tape1)
                k.store(dot, f.tape1, {pairOf(r), row});
            });
  k.dotRows(
      w.w3, input, count, fBegin, fEnd, f.hidden,
      [&](Value row, Value r, Value dot) {
        Value g =
            builder.create<memref::LoadOp>(loc, gated, ValueRange{r, row});
        k.store(builder.create<arith::MulFOp>(loc, g, dot), gated, {r, row});
        if (f.tape3)
          k.store(dot, f.tape3, {pairOf(r), row});
      });
  ctx.barrier();
  k.dotRows(
      w.w2,
      [&](Value r) {
        return Access{gated, {r}};
      },
      count, dBegin, dEnd, f.ffnSize,
      [&](Value d, Value r, Value dot) {
        Value t = tokenOf(r);
        Value acc = builder.create<memref::LoadOp>(loc, out, ValueRange{t, d});
        k.store(k.mulAdd(alphaOf(r), dot, acc), out, {t, d});
      });
  ctx.barrier();
}

/// The same over partition p as the code reads it: its stored weights, or
/// its f32 copy once trained (PartitionCopies.cpp).
void partitionProduct(LoweringContext &ctx, const FfnBuffers &f, Value p,
                      Value count, Value gated, Value out,
                      function_ref<Value(Value)> inputRow,
                      function_ref<Value(Value)> alphaOf,
                      function_ref<Value(Value)> tokenOf,
                      function_ref<Value(Value)> pairOf = {}) {
  y::PartitionedFfnOp op = f.op;
  ctx.withPartitionWeights(
      op.getW1(), op.getW3(), op.getW2(), p, [&](const PartitionWeights &w) {
        partitionProductOf(ctx, f, w, count, gated, out, inputRow, alphaOf,
                           tokenOf, pairOf);
      });
}

/// Decode: each of the k routed partitions applied to the one token.
void ffnTokenByToken(LoweringContext &ctx, y::PartitionedFfnOp op, Value out) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  FfnBuffers f = ffnBuffers(ctx, op);
  int64_t scratchOffset;
  Value gated =
      ctx.temporary({1, f.ffnSize}, builder.getF32Type(), scratchOffset);
  k.forLoop(k.index(0), ctx.numTokens, 1, [&](Value t) {
    k.forLoop(k.index(0), k.index(f.active), 1, [&](Value j) {
      Value p32 =
          builder.create<memref::LoadOp>(loc, f.indices, ValueRange{t, j});
      Value p =
          builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), p32);
      Value alpha =
          builder.create<memref::LoadOp>(loc, f.alphas, ValueRange{t, j});
      partitionProduct(
          ctx, f, p, k.index(1), gated, out, [&](Value) { return t; },
          [&](Value) { return alpha; }, [&](Value) { return t; });
    });
  });
  ctx.arena.release(scratchOffset);
}

/// Prefill and learn: tokens grouped by partition (RoutedPairs); each
/// partition with any tokens is multiplied once, as a GEMM over its gathered
/// rows, and the result is scatter-added back with the routing weights.
/// Partitions no token routed to are skipped and their weights never read.
void ffnGrouped(LoweringContext &ctx, y::PartitionedFfnOp op, Value out) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  FfnBuffers f = ffnBuffers(ctx, op);
  // A learn graph differentiates this FFN: tape its pre-activations.
  if (ctx.isLearn() &&
      llvm::any_of(op.getInput().getUsers(), [](Operation *user) {
        return isa<y::PartitionedFfnGradOp>(user);
      })) {
    FfnTape tape;
    tape.h1 = ctx.temporary({ctx.maxTokens * f.active, f.ffnSize},
                            builder.getF32Type(), tape.h1Offset);
    tape.h3 = ctx.temporary({ctx.maxTokens * f.active, f.ffnSize},
                            builder.getF32Type(), tape.h3Offset);
    ctx.learn.tapes[op.getInput()] = tape;
    f.tape1 = tape.h1;
    f.tape3 = tape.h3;
  }
  int64_t partitions = f.partitions;
  int64_t gatedOffset;
  Value gated = ctx.temporary({ctx.maxTokens, f.ffnSize}, builder.getF32Type(),
                              gatedOffset);
  // The stats counter of this layer's grouped multiplications.
  int64_t statsOffset = ctx.numLayers * ctx.numPartitions +
                        (ctx.routersLowered - 1) * ctx.numPartitions;
  RoutedPairs routed(ctx, partitions, f.active);
  ctx.serial([&] {
    routed.group(f.indices);
    // One grouped multiplication per partition that any token routed to.
    if (ctx.countsStats())
      k.forLoop(k.index(0), k.index(partitions), 1, [&](Value p) {
        Value count = builder.create<arith::SubIOp>(
            loc, routed.start(routed.plusOne(p)), routed.start(p));
        Value used = builder.create<arith::CmpIOp>(
            loc, arith::CmpIPredicate::ugt, count, k.index(0));
        auto ifOp = builder.create<scf::IfOp>(loc, used, false);
        OpBuilder::InsertionGuard guard(builder);
        builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
        ctx.bumpStat(statsOffset, p);
      });
  });
  ctx.barrier();

  k.forLoop(k.index(0), k.index(partitions), 1, [&](Value p) {
    Value begin = routed.start(p);
    Value count = builder.create<arith::SubIOp>(
        loc, routed.start(routed.plusOne(p)), begin);
    Value used = builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ugt,
                                               count, k.index(0));
    // Every thread sees the same count (written before the barrier), so all
    // take the same branch and meet at the same barriers.
    auto ifOp = builder.create<scf::IfOp>(loc, used, false);
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
    auto token = [&](Value r) { return routed.tokenAt(begin, r); };
    partitionProduct(
        ctx, f, p, count, gated, out, token,
        [&](Value r) { return routed.alphaAt(f.alphas, begin, r); }, token,
        [&](Value r) { return routed.pairAt(begin, r); });
  });
  ctx.arena.release(gatedOffset);
  routed.release();
}

} // namespace

/// The routed feed-forward: out = sum over a token's k picks j of
/// alpha_j * ffn_{p_j}(x). Zeroes the output, then picks the strategy of
/// the entry kind.
void lowerPartitionedFfn(LoweringContext &ctx, y::PartitionedFfnOp op) {
  Value out = ctx.bufferFor(op.getResult());
  KernelEmitter &k = ctx.kernels;
  int64_t hidden = ctx.dimOf(op.getW1(), 2);
  ctx.serial([&] {
    verifyRoutedPartitions(ctx, op);
    k.forLoop(k.index(0), ctx.numTokens, 1, [&](Value t) {
      k.forLoop(k.index(0), k.index(hidden), 1, [&](Value d) {
        k.store(k.f32(0.0f), out, {t, d});
      });
    });
  });
  ctx.barrier();
  continueIfVerified(ctx);
  if (ctx.hasDynamicTokens())
    ffnGrouped(ctx, op, out);
  else
    ffnTokenByToken(ctx, op, out);
}

} // namespace yan::lowering
