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
// depends on the split. With weight_gradients_only (the lowest trained
// layer) only the chosen partitions are visited, each thread a share of
// each one's pairs, for gw, the pre-activation gradients and the factors.
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
  /// Groups the pairs, maps each chosen partition to its slot and stores
  /// the slots' pair counts.
  void groupAndMapSlots();
  /// Every routed partition on its owning thread: all gradients.
  void allPartitions();
  /// Each chosen partition, every thread a share of its pairs: the factors.
  void chosenPartitionsOnly();
  /// Whether this thread owns partition p's pairs [begin, end) of `total`.
  Value ownsPartition(Value begin, Value end, Value count, Value total);
  /// gw, dalpha and the pre-activation gradients dh1, dh3 of the `count`
  /// pairs from `begin` in the pair order (weights `w`).
  void hiddenGradients(const PartitionWeights &w, Value begin, Value count);
  /// dx_pair of those pairs.
  void inputGradients(const PartitionWeights &w, Value begin, Value count);
  /// dalpha and the pre-activation gradients dh1, dh3 of those pairs.
  void activationGradients(Value begin, Value count);
  /// If p is chosen, the factors of those pairs, rows from `firstRow` of its
  /// slot.
  void keepFactors(Value p, Value begin, Value count, Value firstRow);
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
  if (!op.getWeightGradientsOnly())
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
    Value count = builder.create<arith::SubIOp>(
        loc, routed.start(routed.plusOne(p)), routed.start(p));
    k.store(builder.create<arith::IndexCastOp>(loc, builder.getI32Type(), count),
            counts, {i});
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

void FfnGradLowering::hiddenGradients(const PartitionWeights &w, Value begin,
                                      Value count) {
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
    k.forVectorsThenScalars(k.index(0), k.index(ffnSize),
                            [&](Value f, Value zero) {
                              k.store(zero, gw, {pair, f});
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
}

void FfnGradLowering::inputGradients(const PartitionWeights &w, Value begin,
                                     Value count) {
  auto pairOf = [&](Value r) { return routed.pairAt(begin, r); };
  // dx_pair = w1[p]^T dh1 + w3[p]^T dh3.
  k.forLoop(k.index(0), count, 1, [&](Value r) {
    Value pair = pairOf(r);
    k.forVectorsThenScalars(k.index(0), k.index(hidden),
                            [&](Value d, Value zero) {
                              k.store(zero, dxPair, {pair, d});
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
}

void FfnGradLowering::activationGradients(Value begin, Value count) {
  Value h1 = tape.h1 ? tape.h1 : dh1, h3 = tape.h3 ? tape.h3 : dh3;
  // g = silu(h1) h3; dg = alpha gw; dh1 = dg h3 silu'(h1); dh3 = dg silu(h1);
  // dalpha = gw . g. Elementwise but for dalpha, so a vector of features
  // at a time (each lane the scalar code's operations).
  k.forLoop(k.index(0), count, 1, [&](Value r) {
    Value pair = routed.pairAt(begin, r);
    Value alpha = routed.alphaAt(alphas, begin, r);
    Value dot = k.sumVectorsThenScalars(
        k.index(0), k.index(ffnSize), [&](Value f, Value like, Value acc) {
          auto mul = [&](Value a, Value b) {
            return builder.create<arith::MulFOp>(loc, a, b).getResult();
          };
          Value a = k.loadLike(like, h1, {pair, f});
          Value b3 = k.loadLike(like, h3, {pair, f});
          Value sa = k.silu(a);
          Value up = k.loadLike(like, gw, {pair, f});
          Value g = mul(sa, b3);
          Value dg = mul(k.splatLike(alpha, like), up);
          k.store(g, gated, {pair, f});
          k.store(mul(mul(dg, b3), k.siluGrad(a)), dh1, {pair, f});
          k.store(mul(dg, sa), dh3, {pair, f});
          return k.mulAdd(up, g, acc);
        });
    Value t = builder.create<arith::DivUIOp>(loc, pair, k.index(active));
    Value j = builder.create<arith::RemUIOp>(loc, pair, k.index(active));
    k.store(dot, dalpha, {t, j});
  });
}

void FfnGradLowering::keepFactors(Value p, Value begin, Value count,
                                  Value firstRow) {
  Value slot32 = load(slotOf, {p});
  Value isChosen = builder.create<arith::CmpIOp>(
      loc, arith::CmpIPredicate::sge, slot32,
      builder.create<arith::ConstantIntOp>(loc, 0, 32));
  auto chosenIf = builder.create<scf::IfOp>(loc, isChosen, false);
  OpBuilder::InsertionGuard inner(builder);
  builder.setInsertionPointToStart(&chosenIf.getThenRegion().front());
  Value slot =
      builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), slot32);
  k.forLoop(k.index(0), count, 1, [&](Value r) {
    Value pair = routed.pairAt(begin, r);
    Value row = builder.create<arith::AddIOp>(loc, firstRow, r);
    k.forVectorsThenScalars(
        k.index(0), k.index(ffnSize), [&](Value f, Value like) {
          k.store(k.loadLike(like, dh1, {pair, f}), fa1, {slot, row, f});
          k.store(k.loadLike(like, dh3, {pair, f}), fa3, {slot, row, f});
          k.store(k.loadLike(like, gated, {pair, f}), fg, {slot, row, f});
        });
    Value t = routed.tokenAt(begin, r),
          alpha = routed.alphaAt(alphas, begin, r);
    k.forVectorsThenScalars(
        k.index(0), k.index(hidden), [&](Value d, Value like) {
          k.store(k.loadLike(like, x, {t, d}), fxs, {slot, row, d});
          k.store(builder.create<arith::MulFOp>(loc, k.splatLike(alpha, like),
                                                k.loadLike(like, dout, {t, d})),
                  fds, {slot, row, d});
        });
  });
}

void FfnGradLowering::sumPicks() {
  Value tBegin, tEnd;
  std::tie(tBegin, tEnd) = ctx.shareDynamic(ctx.numTokens);
  k.forLoop(tBegin, tEnd, 1, [&](Value t) {
    Value first = builder.create<arith::MulIOp>(loc, t, k.index(active));
    // A vector of features at a time, each lane the same sum in pick order.
    k.forVectorsThenScalars(k.index(0), k.index(hidden), [&](Value d,
                                                             Value zero) {
      Value sum = k.forLoop(k.index(0), k.index(active), 1, {zero},
                            [&](Value j, ValueRange acc) -> SmallVector<Value> {
                              Value pair =
                                  builder.create<arith::AddIOp>(loc, first, j);
                              return {builder.create<arith::AddFOp>(
                                  loc, acc[0],
                                  k.loadLike(zero, dxPair, {pair, d}))};
                            })[0];
      k.store(sum, dx, {t, d});
    });
  });
}

void FfnGradLowering::release() {
  if (dxPair)
    ctx.arena.release(dxOffset);
  for (int64_t offset : {gOffset, gwOffset, dh3Offset, dh1Offset, slotOffset})
    ctx.arena.release(offset);
  routed.release();
  if (tape.h1) {
    ctx.arena.release(tape.h1Offset);
    ctx.arena.release(tape.h3Offset);
    ctx.learn.tapes.erase(op.getInput());
  }
}

void FfnGradLowering::allPartitions() {
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
                               hiddenGradients(w, begin, count);
                               inputGradients(w, begin, count);
                               keepFactors(p, begin, count, k.index(0));
                             });
  });
  ctx.barrier();
  sumPicks();
}

void FfnGradLowering::chosenPartitionsOnly() {
  // A few partitions: splitting each one's pairs keeps the threads even
  // (each reads the partition's w2; its pairs' sums do not depend on the
  // split).
  k.forLoop(k.index(0), k.index(slots), 1, [&](Value i) {
    Value p32 = load(chosen, {i});
    auto ifOp = builder.create<scf::IfOp>(
        loc,
        builder.create<arith::CmpIOp>(
            loc, arith::CmpIPredicate::sge, p32,
            builder.create<arith::ConstantIntOp>(loc, 0, 32)),
        false);
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
    Value p =
        builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), p32);
    Value start = routed.start(p);
    Value count =
        builder.create<arith::SubIOp>(loc, routed.start(routed.plusOne(p)), start);
    auto [rowBegin, rowEnd] = ctx.shareDynamic(count);
    Value begin = builder.create<arith::AddIOp>(loc, start, rowBegin);
    Value rows = builder.create<arith::SubIOp>(loc, rowEnd, rowBegin);
    ctx.withPartitionWeights(op.getW1(), op.getW3(), op.getW2(), p,
                             [&](const PartitionWeights &w) {
                               hiddenGradients(w, begin, rows);
                               keepFactors(p, begin, rows, rowBegin);
                             });
  });
}

void FfnGradLowering::lower() {
  ctx.serial([&] { groupAndMapSlots(); });
  ctx.barrier();
  if (op.getWeightGradientsOnly())
    chosenPartitionsOnly();
  else
    allPartitions();
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
