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

/// The first half of partition p applied to `count` input rows r (input row
/// inputRow(r)), over this thread's share of w1/w3's rows:
///   gated[gatedRow(r), :] = silu(w1[p] x_r) * (w3[p] x_r)
/// Only partition p's slice [p, :, :] of each weight is read. w1 and w3 split
/// their rows the same way, so a thread reads back only the gated values it
/// wrote. A learn graph's forward also tapes w1 x and w3 x per pair
/// (pairOf(r)).
void gateProduct(LoweringContext &ctx, const FfnBuffers &f,
                 const PartitionWeights &w, Value count, Value gated,
                 function_ref<Value(Value)> gatedRow,
                 function_ref<Value(Value)> inputRow,
                 function_ref<Value(Value)> pairOf) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  auto [fBegin, fEnd] = ctx.share(f.ffnSize);
  auto input = [&](Value r) { return Access{f.x, {inputRow(r)}}; };
  // Each result, or a whole row block's as one vector: silu, its product
  // and the stores then run a vector at a time (the same sums; silu's
  // operations are elementwise either way).
  auto gate = [&](Value row, Value r, Value dot) {
    k.store(k.silu(dot), gated, {gatedRow(r), row});
    if (f.tape1)
      k.store(dot, f.tape1, {pairOf(r), row});
  };
  k.dotRows(w.w1, input, count, fBegin, fEnd, f.hidden, gate, gate);
  auto up = [&](Value row, Value r, Value dot) {
    Value at = gatedRow(r);
    Value g = k.loadLike(dot, gated, {at, row});
    k.store(builder.create<arith::MulFOp>(loc, g, dot), gated, {at, row});
    if (f.tape3)
      k.store(dot, f.tape3, {pairOf(r), row});
  };
  k.dotRows(w.w3, input, count, fBegin, fEnd, f.hidden, up, up);
}

/// The second half, after a barrier has published every thread's gated
/// values: over this thread's share of the hidden features d,
///   out[tokenOf(r), d] += alphaOf(r) * (w2[p] gated[gatedRow(r), :])[d]
void downProduct(LoweringContext &ctx, const FfnBuffers &f,
                 const PartitionWeights &w, Value count, Value gated,
                 function_ref<Value(Value)> gatedRow, Value out,
                 function_ref<Value(Value)> alphaOf,
                 function_ref<Value(Value)> tokenOf) {
  KernelEmitter &k = ctx.kernels;
  auto [dBegin, dEnd] = ctx.share(f.hidden);
  // One result, or a row block's as one vector (out's features d.. are
  // contiguous): out[t, d] += alpha * dot.
  auto accumulate = [&](Value d, Value r, Value dot) {
    Value t = tokenOf(r);
    Value acc = k.loadLike(dot, out, {t, d});
    k.store(k.mulAdd(k.splatLike(alphaOf(r), dot), dot, acc), out, {t, d});
  };
  k.dotRows(
      w.w2,
      [&](Value r) {
        return Access{gated, {gatedRow(r)}};
      },
      count, dBegin, dEnd, f.ffnSize, accumulate, accumulate);
}

/// Partition p (as the code reads it: its stored weights, or its f32 copy
/// once trained, PartitionCopies.cpp) applied to `count` input rows:
/// gateProduct, a barrier, downProduct, a barrier (the next partition
/// reuses `gated`).
void partitionProduct(LoweringContext &ctx, const FfnBuffers &f, Value p,
                      Value count, Value gated, Value out,
                      function_ref<Value(Value)> inputRow,
                      function_ref<Value(Value)> alphaOf,
                      function_ref<Value(Value)> tokenOf,
                      function_ref<Value(Value)> pairOf) {
  y::PartitionedFfnOp op = f.op;
  auto sameRow = [](Value r) { return r; };
  ctx.withPartitionWeights(
      op.getW1(), op.getW3(), op.getW2(), p, [&](const PartitionWeights &w) {
        gateProduct(ctx, f, w, count, gated, sameRow, inputRow, pairOf);
        ctx.barrier();
        downProduct(ctx, f, w, count, gated, sameRow, out, alphaOf, tokenOf);
        ctx.barrier();
      });
}

/// Decode: the k routed partitions applied to one token at a time, in two
/// phases with one barrier each (not two per partition): every pick's gated
/// row (gated[j]), then every pick's w2 product summed into the output.
void ffnTokenByToken(LoweringContext &ctx, y::PartitionedFfnOp op, Value out) {
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  FfnBuffers f = ffnBuffers(ctx, op);
  int64_t scratchOffset;
  Value gated = ctx.temporary({f.active, f.ffnSize}, builder.getF32Type(),
                              scratchOffset);
  k.forLoop(k.index(0), ctx.numTokens, 1, [&](Value t) {
    // Pick j of token t: its partition's weights and routing weight.
    auto eachPick = [&](function_ref<void(Value j, Value alpha,
                                          const PartitionWeights &)>
                            body) {
      k.forLoop(k.index(0), k.index(f.active), 1, [&](Value j) {
        Value p = ctx.loadIndex(f.indices, {t, j});
        Value alpha =
            builder.create<memref::LoadOp>(loc, f.alphas, ValueRange{t, j});
        ctx.withPartitionWeights(
            op.getW1(), op.getW3(), op.getW2(), p,
            [&](const PartitionWeights &w) { body(j, alpha, w); });
      });
    };
    auto token = [&](Value) { return t; };
    eachPick([&](Value j, Value, const PartitionWeights &w) {
      gateProduct(
          ctx, f, w, k.index(1), gated, [&](Value) { return j; }, token, {});
    });
    ctx.barrier();
    eachPick([&](Value j, Value alpha, const PartitionWeights &w) {
      downProduct(
          ctx, f, w, k.index(1), gated, [&](Value) { return j; }, out,
          [&](Value) { return alpha; }, token);
    });
    // The next token's gate products overwrite `gated`, which other threads
    // read above.
    ctx.barrier();
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
