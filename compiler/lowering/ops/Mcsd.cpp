//===- Mcsd.cpp - yan.mcsd and its gradient -------------------------------===//
//
// The mixer runs a vector of features at a time (features are independent;
// every thread owns a share of them), positions in order, carrying the
// decay state and the last K-1 inputs as loop values; a channel's features
// past its whole vectors run one at a time. Each lane computes exactly what
// the scalar code computes for its feature.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/ops/OpLowerings.h"

namespace yan::lowering {

namespace {

/// The carried values of the features from i (as many as `like` has
/// lanes) at the first position: h[i], then u_hist's rows newest first
/// (u_{t-1}, ..., u_{t-K+1}).
SmallVector<Value> loadWindowStart(LoweringContext &ctx, Value like, Value h,
                                   Value hist, Value i, int64_t window) {
  KernelEmitter &k = ctx.kernels;
  SmallVector<Value> init{k.loadLike(like, h, i)};
  for (int64_t j = 1; j < window; ++j)
    init.push_back(k.loadLike(like, hist, {k.index(window - 1 - j), i}));
  return init;
}

/// x + sum over j in [1, K) of (1 - j * slope) * carried[j]: the slope
/// window (forward over past inputs, backward over later gradients).
Value slopeWindowSum(KernelEmitter &k, Value x, ValueRange carried, float slope,
                     int64_t window) {
  for (int64_t j = 1; j < window; ++j)
    x = k.mulAdd(k.f32Like(1.0f - static_cast<float>(j) * slope, x),
                 carried[j], x);
  return x;
}

/// The next step's carried values: `first`, then `newest` and the older
/// window values shifted by one.
SmallVector<Value> shiftWindow(Value first, Value newest, ValueRange carried,
                               int64_t window) {
  SmallVector<Value> next{first};
  if (window > 1)
    next.push_back(newest);
  for (int64_t j = 1; j + 1 < window; ++j)
    next.push_back(carried[j]);
  return next;
}

/// Calls `body(c, i, like)` for the features from i of this thread's share
/// of the hidden features (whole vectors, so threads write no common cache
/// line), channel by channel (a channel's features share its decay and
/// slope, which are constants of the code): a vector of them where `like`
/// is a vector, else one.
void forEachOwnFeature(LoweringContext &ctx, int64_t hidden, int64_t channels,
                       function_ref<void(int64_t, Value, Value)> body) {
  OpBuilder &builder = ctx.builder;
  KernelEmitter &k = ctx.kernels;
  int64_t perChannel = hidden / channels;
  auto [begin, end] = ctx.share(hidden, k.lanes());
  for (int64_t c = 0; c < channels; ++c) {
    Value lb =
        builder.create<arith::MaxUIOp>(ctx.loc, begin, k.index(c * perChannel));
    // At least lb: a thread whose share starts past this channel has an
    // empty range here, and wholeStepsEnd must not see end < begin.
    Value ub = builder.create<arith::MaxUIOp>(
        ctx.loc, lb,
        builder.create<arith::MinUIOp>(ctx.loc, end,
                                       k.index((c + 1) * perChannel)));
    k.forVectorsThenScalars(lb, ub,
                            [&](Value i, Value like) { body(c, i, like); });
  }
}

} // namespace

void lowerMcsd(LoweringContext &ctx, y::McsdOp op) {
  // Feature by feature (features are independent), positions in order: the
  // decay state and the last K-1 u values travel as loop-carried scalars, so
  // the state buffers can be read once and written once, in place.
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value u = ctx.buffer(op.getU()), v = ctx.buffer(op.getV()),
        q = ctx.buffer(op.getQ());
  // The start state comes from h/u_hist and the final state goes to the
  // results' buffers: the same state view (in place) in prefill/decode,
  // separate buffers in the learn graph, which must not advance the state.
  Value h = ctx.buffer(op.getH()), hist = ctx.buffer(op.getUHist());
  Value hOut = ctx.bufferFor(op.getHOut()),
        histOut = ctx.bufferFor(op.getUHistOut());
  Value m = ctx.bufferFor(op.getM());
  int64_t hidden = ctx.dimOf(op.getH(), 0);
  int64_t channels = op.getNumChannels();
  int64_t window = op.getSlopeWindow();
  forEachOwnFeature(ctx, hidden, channels, [&](int64_t c, Value i,
                                                Value like) {
    float decay = op.getDecays()[c];
    float slope = op.getSlopes()[c];
    // carried: h, then u_{t-1}, u_{t-2}, ..., u_{t-K+1}
    SmallVector<Value> init = loadWindowStart(ctx, like, h, hist, i, window);
    SmallVector<Value> last = k.forLoop(
        k.index(0), ctx.numTokens, 1, init,
        [&](Value t, ValueRange carried) -> SmallVector<Value> {
          Value ut = k.loadLike(like, u, {t, i});
          Value s = slopeWindowSum(k, ut, carried, slope, window);
          Value vt = k.loadLike(like, v, {t, i});
          Value decayed = builder.create<arith::MulFOp>(
              loc, k.f32Like(decay, like), carried[0]);
          Value hNew = k.mulAdd(k.f32Like(1.0f - decay, like), vt, decayed);
          Value qt = k.loadLike(like, q, {t, i});
          Value mixed = builder.create<arith::MulFOp>(
              loc, builder.create<arith::MulFOp>(loc, s, hNew), k.silu(qt));
          k.store(mixed, m, {t, i});
          return shiftWindow(hNew, ut, carried, window);
        });
    k.store(last[0], hOut, {i});
    for (int64_t j = 1; j < window; ++j)
      k.store(last[j], histOut, {k.index(window - 1 - j), i});
  });
}

void lowerMcsdGrad(LoweringContext &ctx, y::McsdGradOp op) {
  // Feature by feature (independent; threads own blocks of features). A
  // forward sweep recomputes h_t and s_t exactly as yan.mcsd does, parking
  // them in dv and du (each is overwritten at position t only after the
  // backward sweep has read it there); the backward sweep runs t = N-1..0
  // carrying dh_{t+1} and ds_{t+1..t+K-1}.
  OpBuilder &builder = ctx.builder;
  Location loc = ctx.loc;
  KernelEmitter &k = ctx.kernels;
  Value u = ctx.buffer(op.getU()), v = ctx.buffer(op.getV()),
        q = ctx.buffer(op.getQ());
  Value h = ctx.buffer(op.getH()), hist = ctx.buffer(op.getUHist());
  Value dm = ctx.buffer(op.getGrad());
  Value du = ctx.bufferFor(op.getDu()), dv = ctx.bufferFor(op.getDv()),
        dq = ctx.bufferFor(op.getDq());
  int64_t hidden = ctx.dimOf(op.getH(), 0);
  int64_t channels = op.getNumChannels();
  int64_t window = op.getSlopeWindow();
  forEachOwnFeature(ctx, hidden, channels, [&](int64_t c, Value i,
                                                Value like) {
    float decay = op.getDecays()[c];
    float slope = op.getSlopes()[c];
    auto load = [&](Value memref, Value t, Value i) {
      return k.loadLike(like, memref, {t, i});
    };
    // Forward: carried h, then u_{t-1}, ..., u_{t-K+1}.
    SmallVector<Value> init = loadWindowStart(ctx, like, h, hist, i, window);
    k.forLoop(k.index(0), ctx.numTokens, 1, init,
              [&](Value t, ValueRange carried) -> SmallVector<Value> {
                Value ut = load(u, t, i);
                Value s = slopeWindowSum(k, ut, carried, slope, window);
                Value decayed = builder.create<arith::MulFOp>(
                    loc, k.f32Like(decay, like), carried[0]);
                Value hNew = k.mulAdd(k.f32Like(1.0f - decay, like),
                                      load(v, t, i), decayed);
                k.store(hNew, dv, {t, i});
                k.store(s, du, {t, i});
                return shiftWindow(hNew, ut, carried, window);
              });
    // Backward: carried dh_{t+1}, then ds_{t+1}, ..., ds_{t+K-1}.
    SmallVector<Value> zeros(window, like); // like is zero
    k.forLoop(
        k.index(0), ctx.numTokens, 1, zeros,
        [&](Value r, ValueRange carried) -> SmallVector<Value> {
          Value t = builder.create<arith::SubIOp>(
              loc, builder.create<arith::SubIOp>(loc, ctx.numTokens, r),
              k.index(1));
          Value ht = load(dv, t, i), st = load(du, t, i);
          Value qt = load(q, t, i), g = load(dm, t, i);
          Value sq = k.silu(qt);
          Value gs = builder.create<arith::MulFOp>(loc, g, st);
          Value ds = builder.create<arith::MulFOp>(
              loc, builder.create<arith::MulFOp>(loc, g, ht), sq);
          Value dh = k.mulAdd(k.f32Like(decay, like), carried[0],
                              builder.create<arith::MulFOp>(loc, gs, sq));
          Value dqt = builder.create<arith::MulFOp>(
              loc, builder.create<arith::MulFOp>(loc, gs, ht), k.siluGrad(qt));
          Value dut = slopeWindowSum(k, ds, carried, slope, window);
          k.store(dut, du, {t, i});
          k.store(builder.create<arith::MulFOp>(
                      loc, k.f32Like(1.0f - decay, like), dh),
                  dv, {t, i});
          k.store(dqt, dq, {t, i});
          return shiftWindow(dh, ds, carried, window);
        });
  });
}

} // namespace yan::lowering
