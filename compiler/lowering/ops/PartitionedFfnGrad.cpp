//===- PartitionedFfnGrad.cpp - yan.partitioned_ffn_grad ------------------===//
//
// Partition by partition over the pairs routed to it (the forward's
// grouping, RoutedPairs.h). Threads own whole partitions (balanced by their
// pair counts), so a partition's small products run on one thread without
// barriers; every per-pair result lives in a pair-indexed buffer. Per
// partition p: h1 = w1 x, h3 = w3 x (the forward's tape), gw = w2^T dout,
// the routing-weight gradient dalpha = gw . g, the pre-activation gradients,
// dx_pair = w1^T dh1 + w3^T dh3, and, for a chosen partition, its weight
// gradients' factors (LowRankGradient.h). Then dx[t] = sum_j dx_pair[t, j]
// in pick order. Only routed partitions' weights are read. No result
// depends on the split.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/LearnEntry.h"
#include "compiler/lowering/ops/OpLowerings.h"
#include "compiler/lowering/ops/RoutedPairs.h"

namespace yan::lowering {
namespace {

class FfnGradLowering {
public:
  FfnGradLowering(LoweringContext &ctx, y::PartitionedFfnGradOp op);
  void lower();

private:
  /// Groups the pairs and maps each chosen partition to its slot.
  void groupAndMapSlots();
  /// Whether this thread owns partition p's pairs [begin, end) of `total`.
  Value ownsPartition(Value begin, Value end, Value count, Value total);
  /// The backward through partition p's pairs (weights `w`), on the owning
  /// thread.
  void partitionBackward(const PartitionWeights &w, Value p, Value begin,
                         Value count);
  /// dalpha and the pre-activation gradients dh1, dh3 of p's pairs.
  void activationGradients(Value begin, Value count);
  /// A chosen partition's weight-gradient factors, in its slot.
  void keepFactors(Value p, Value begin, Value count);
  /// dx[t] = sum over picks j, in order, of dx_pair[t * k + j].
  void sumPicks();
  void release();

  Value load(Value memref, ValueRange at) {
    return builder.create<memref::LoadOp>(loc, memref, at).getResult();
  }

  LoweringContext &ctx;
  y::PartitionedFfnGradOp op;
  OpBuilder &builder;
  Location loc;
  KernelEmitter &k;
  Value x, indices, alphas, dout, chosen;
  Value dx, dalpha, counts, fa1, fa3, fg, fxs, fds;
  int64_t partitions, ffnSize, hidden, active, slots;
  FfnTape tape;
  RoutedPairs routed;
  int64_t slotOffset, dh1Offset, dh3Offset, gwOffset, gOffset, dxOffset;
  Value slotOf, dh1, dh3, gw, gated, dxPair;
};

FfnGradLowering::FfnGradLowering(LoweringContext &ctx,
                                 y::PartitionedFfnGradOp op)
    : ctx(ctx), op(op), builder(ctx.builder), loc(ctx.loc), k(ctx.kernels),
      x(ctx.buffer(op.getInput())), indices(ctx.buffer(op.getIndices())),
      alphas(ctx.buffer(op.getWeights())), dout(ctx.buffer(op.getGrad())),
      chosen(ctx.buffer(op.getChosen())), dx(ctx.bufferFor(op.getDinput())),
      dalpha(ctx.bufferFor(op.getDweights())),
      counts(ctx.bufferFor(op.getCounts())), fa1(ctx.bufferFor(op.getA1())),
      fa3(ctx.bufferFor(op.getA3())), fg(ctx.bufferFor(op.getG())),
      fxs(ctx.bufferFor(op.getXs())), fds(ctx.bufferFor(op.getDs())),
      partitions(ctx.dimOf(op.getW1(), 0)), ffnSize(ctx.dimOf(op.getW1(), 1)),
      hidden(ctx.dimOf(op.getW1(), 2)), active(ctx.dimOf(op.getIndices(), 1)),
      slots(ctx.dimOf(op.getChosen(), 0)),
      tape(ctx.learn.tapes.lookup(op.getInput())),
      routed(ctx, partitions, active) {
  int64_t pairCapacity = ctx.maxTokens * active;
  Type f32 = builder.getF32Type();
  slotOf = ctx.temporary({partitions}, builder.getI32Type(), slotOffset);
  dh1 = ctx.temporary({pairCapacity, ffnSize}, f32, dh1Offset);
  dh3 = ctx.temporary({pairCapacity, ffnSize}, f32, dh3Offset);
  gw = ctx.temporary({pairCapacity, ffnSize}, f32, gwOffset);
  gated = ctx.temporary({pairCapacity, ffnSize}, f32, gOffset);
  dxPair = ctx.temporary({pairCapacity, hidden}, f32, dxOffset);
}

void FfnGradLowering::groupAndMapSlots() {
  routed.group(indices);
  Value minusOne = builder.create<arith::ConstantIntOp>(loc, -1, 32);
  k.forLoop(k.index(0), k.index(partitions), 1,
            [&](Value p) { k.store(minusOne, slotOf, {p}); });
  Value zero32 = builder.create<arith::ConstantIntOp>(loc, 0, 32);
  k.forLoop(k.index(0), k.index(slots), 1, [&](Value i) {
    k.store(zero32, counts, {i});
    Value p32 = load(chosen, {i});
    Value valid = builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge,
                                                p32, zero32);
    auto ifOp = builder.create<scf::IfOp>(loc, valid, false);
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
    Value p =
        builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), p32);
    k.store(builder.create<arith::IndexCastOp>(loc, builder.getI32Type(), i),
            slotOf, {p});
  });
}

Value FfnGradLowering::ownsPartition(Value begin, Value end, Value count,
                                     Value total) {
  Value threadCount = ctx.args.threadCount;
  // The owner: the thread whose share of all pairs holds p's midpoint.
  Value twiceMid = builder.create<arith::AddIOp>(loc, begin, end);
  Value owner = builder.create<arith::MinUIOp>(
      loc,
      builder.create<arith::DivUIOp>(
          loc, builder.create<arith::MulIOp>(loc, twiceMid, threadCount),
          builder.create<arith::MulIOp>(
              loc, builder.create<arith::MaxUIOp>(loc, total, k.index(1)),
              k.index(2))),
      builder.create<arith::SubIOp>(loc, threadCount, k.index(1)));
  return builder.create<arith::AndIOp>(
      loc,
      builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ugt, count,
                                    k.index(0)),
      builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, owner,
                                    ctx.args.threadIndex));
}

/// Row `i` of a partition's matrix.
Access rowOf(const Access &matrix, Value i) {
  Access row = matrix;
  row.leading.push_back(i);
  return row;
}

void FfnGradLowering::partitionBackward(const PartitionWeights &w, Value p,
                                        Value begin, Value count) {
  auto pairOf = [&](Value r) { return routed.pairAt(begin, r); };
  auto tokenOf = [&](Value r) { return routed.tokenAt(begin, r); };
  auto input = [&](Value r) { return Access{x, {tokenOf(r)}}; };
  // h1 = w1 x, h3 = w3 x: the forward's tape, else recomputed into the
  // dh1/dh3 buffers (each element is read before it is overwritten).
  if (!tape.h1) {
    k.dotRows(w.w1, input, count, k.index(0), k.index(ffnSize), hidden,
              [&](Value f, Value r, Value dot) {
                k.store(dot, dh1, {pairOf(r), f});
              });
    k.dotRows(w.w3, input, count, k.index(0), k.index(ffnSize), hidden,
              [&](Value f, Value r, Value dot) {
                k.store(dot, dh3, {pairOf(r), f});
              });
  }
  // gw[pair] = w2[p]^T dout[t].
  k.forLoop(k.index(0), count, 1, [&](Value r) {
    Value pair = pairOf(r);
    k.forLoop(k.index(0), k.index(ffnSize), 1, [&](Value f) {
      k.store(k.f32(0.0f), gw, {pair, f});
    });
  });
  k.accumulateRows(
      [&](Value r) {
        return Access{gw, {pairOf(r)}};
      },
      k.index(0), count, [&](Value d) { return rowOf(w.w2, d); },
      k.index(hidden),
      [&](Value r, Value d) {
        return load(dout, {tokenOf(r), d});
      },
      k.index(0), k.index(ffnSize));
  activationGradients(begin, count);
  // dx_pair = w1[p]^T dh1 + w3[p]^T dh3.
  k.forLoop(k.index(0), count, 1, [&](Value r) {
    Value pair = pairOf(r);
    k.forLoop(k.index(0), k.index(hidden), 1, [&](Value d) {
      k.store(k.f32(0.0f), dxPair, {pair, d});
    });
  });
  for (auto [weight, delta] : {std::pair{w.w1, dh1}, std::pair{w.w3, dh3}})
    k.accumulateRows(
        [&](Value r) {
          return Access{dxPair, {pairOf(r)}};
        },
        k.index(0), count, [&](Value f) { return rowOf(weight, f); },
        k.index(ffnSize),
        [&](Value r, Value f) {
          return load(delta, {pairOf(r), f});
        },
        k.index(0), k.index(hidden));
  keepFactors(p, begin, count);
}

void FfnGradLowering::activationGradients(Value begin, Value count) {
  Value h1 = tape.h1 ? tape.h1 : dh1, h3 = tape.h3 ? tape.h3 : dh3;
  // g = silu(h1) h3; dg = alpha gw; dh1 = dg h3 silu'(h1); dh3 = dg silu(h1);
  // dalpha = gw . g.
  k.forLoop(k.index(0), count, 1, [&](Value r) {
    Value pair = routed.pairAt(begin, r);
    Value alpha = routed.alphaAt(alphas, begin, r);
    Value dot = k.forLoop(
        k.index(0), k.index(ffnSize), 1, {k.f32(0.0f)},
        [&](Value f, ValueRange acc) -> SmallVector<Value> {
          Value a = load(h1, {pair, f}), b3 = load(h3, {pair, f});
          Value sa = k.silu(a);
          Value up = load(gw, {pair, f});
          Value g = builder.create<arith::MulFOp>(loc, sa, b3);
          Value dg = builder.create<arith::MulFOp>(loc, alpha, up);
          k.store(g, gated, {pair, f});
          k.store(builder.create<arith::MulFOp>(
                      loc, builder.create<arith::MulFOp>(loc, dg, b3),
                      k.siluGrad(a)),
                  dh1, {pair, f});
          k.store(builder.create<arith::MulFOp>(loc, dg, sa), dh3, {pair, f});
          return {k.mulAdd(up, g, acc[0])};
        })[0];
    Value t = builder.create<arith::DivUIOp>(loc, pair, k.index(active));
    Value j = builder.create<arith::RemUIOp>(loc, pair, k.index(active));
    k.store(dot, dalpha, {t, j});
  });
}

void FfnGradLowering::keepFactors(Value p, Value begin, Value count) {
  Value slot32 = load(slotOf, {p});
  Value isChosen = builder.create<arith::CmpIOp>(
      loc, arith::CmpIPredicate::sge, slot32,
      builder.create<arith::ConstantIntOp>(loc, 0, 32));
  auto chosenIf = builder.create<scf::IfOp>(loc, isChosen, false);
  OpBuilder::InsertionGuard inner(builder);
  builder.setInsertionPointToStart(&chosenIf.getThenRegion().front());
  Value slot =
      builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), slot32);
  k.store(builder.create<arith::IndexCastOp>(loc, builder.getI32Type(), count),
          counts, {slot});
  k.forLoop(k.index(0), count, 1, [&](Value r) {
    Value pair = routed.pairAt(begin, r);
    k.forLoop(k.index(0), k.index(ffnSize), 1, [&](Value f) {
      k.store(load(dh1, {pair, f}), fa1, {slot, r, f});
      k.store(load(dh3, {pair, f}), fa3, {slot, r, f});
      k.store(load(gated, {pair, f}), fg, {slot, r, f});
    });
    Value t = routed.tokenAt(begin, r),
          alpha = routed.alphaAt(alphas, begin, r);
    k.forLoop(k.index(0), k.index(hidden), 1, [&](Value d) {
      k.store(load(x, {t, d}), fxs, {slot, r, d});
      k.store(builder.create<arith::MulFOp>(loc, alpha, load(dout, {t, d})),
              fds, {slot, r, d});
    });
  });
}

void FfnGradLowering::sumPicks() {
  Value tBegin, tEnd;
  std::tie(tBegin, tEnd) = ctx.shareDynamic(ctx.numTokens);
  k.forLoop(tBegin, tEnd, 1, [&](Value t) {
    Value first = builder.create<arith::MulIOp>(loc, t, k.index(active));
    k.forLoop(k.index(0), k.index(hidden), 1, [&](Value d) {
      Value sum = k.forLoop(k.index(0), k.index(active), 1, {k.f32(0.0f)},
                            [&](Value j, ValueRange acc) -> SmallVector<Value> {
                              Value pair =
                                  builder.create<arith::AddIOp>(loc, first, j);
                              return {builder.create<arith::AddFOp>(
                                  loc, acc[0], load(dxPair, {pair, d}))};
                            })[0];
      k.store(sum, dx, {t, d});
    });
  });
}

void FfnGradLowering::release() {
  for (int64_t offset :
       {dxOffset, gOffset, gwOffset, dh3Offset, dh1Offset, slotOffset})
    ctx.arena.release(offset);
  routed.release();
  if (tape.h1) {
    ctx.arena.release(tape.h1Offset);
    ctx.arena.release(tape.h3Offset);
    ctx.learn.tapes.erase(op.getInput());
  }
}

void FfnGradLowering::lower() {
  ctx.serial([&] { groupAndMapSlots(); });
  ctx.barrier();
  Value total = routed.start(k.index(partitions));
  k.forLoop(k.index(0), k.index(partitions), 1, [&](Value p) {
    Value begin = routed.start(p);
    Value end = routed.start(routed.plusOne(p));
    Value count = builder.create<arith::SubIOp>(loc, end, begin);
    Value mine = ownsPartition(begin, end, count, total);
    auto ifOp = builder.create<scf::IfOp>(loc, mine, false);
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
    // The stored partition, or its f32 copy once trained.
    ctx.withPartitionWeights(op.getW1(), op.getW3(), op.getW2(), p,
                             [&](const PartitionWeights &w) {
                               partitionBackward(w, p, begin, count);
                             });
  });
  ctx.barrier();
  sumPicks();
  release();
}

} // namespace

void lowerPartitionedFfnGrad(LoweringContext &ctx, y::PartitionedFfnGradOp op) {
  FfnGradLowering lowering(ctx, op);
  // The factors outlive the entry (LEARN_APPLY reads them): record where
  // this layer's are.
  recordGradientFactors(ctx, op);
  lowering.lower();
}

} // namespace yan::lowering
