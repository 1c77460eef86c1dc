//===- ExpandMath.cpp - Polynomial math, so code images import nothing ----===//
#include "compiler/lowering/Passes.h"

#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <optional>

namespace yan {
#define GEN_PASS_DEF_EXPANDMATH
#include "compiler/lowering/Passes.h.inc"

namespace {
/// math.fma -> mul + add that may contract: an FMA instruction where the
/// target has one, never a call to libm's fmaf where it has not (x86-64-v2).
struct FmaToMulAdd : mlir::OpRewritePattern<mlir::math::FmaOp> {
  using OpRewritePattern::OpRewritePattern;
  mlir::LogicalResult
  matchAndRewrite(mlir::math::FmaOp op,
                  mlir::PatternRewriter &rewriter) const override {
    auto contract = mlir::arith::FastMathFlags::contract;
    mlir::Value product = rewriter.create<mlir::arith::MulFOp>(
        op.getLoc(), op.getA(), op.getB(), contract);
    rewriter.replaceOpWithNewOp<mlir::arith::AddFOp>(op, product, op.getC(),
                                                     contract);
    return mlir::success();
  }
};

/// The values a float (scalar or splat vector) can take, when known: every
/// one an integer in [low, high] (or NaN, which no pattern here relies on).
struct IntegralRange {
  double low, high;
};

std::optional<double> splatConstant(mlir::Value value) {
  if (auto broadcast = value.getDefiningOp<mlir::vector::BroadcastOp>())
    value = broadcast.getSource();
  mlir::Attribute attr;
  if (!mlir::matchPattern(value, mlir::m_Constant(&attr)))
    return std::nullopt;
  if (auto dense = mlir::dyn_cast<mlir::DenseFPElementsAttr>(attr))
    if (dense.isSplat())
      return dense.getSplatValue<llvm::APFloat>().convertToDouble();
  if (auto scalar = mlir::dyn_cast<mlir::FloatAttr>(attr))
    return scalar.getValueAsDouble();
  return std::nullopt;
}

/// Integral ranges through what the math approximations build: constants,
/// floor (and its kin), and clamps written as select(cmpf(x, c), x, c).
std::optional<IntegralRange> integralRange(mlir::Value value, int depth = 0) {
  using namespace mlir;
  if (depth > 8)
    return std::nullopt;
  if (std::optional<double> c = splatConstant(value)) {
    if (*c != std::floor(*c))
      return std::nullopt;
    return IntegralRange{*c, *c};
  }
  Operation *def = value.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (isa<math::FloorOp, math::CeilOp, math::TruncOp, math::RoundEvenOp,
          math::RoundOp>(def))
    return IntegralRange{-HUGE_VAL, HUGE_VAL};
  auto select = dyn_cast<arith::SelectOp>(def);
  if (!select)
    return std::nullopt;
  auto compare = select.getCondition().getDefiningOp<arith::CmpFOp>();
  if (!compare || compare.getLhs() != select.getTrueValue() ||
      compare.getRhs() != select.getFalseValue())
    return std::nullopt;
  std::optional<double> bound = splatConstant(compare.getRhs());
  std::optional<IntegralRange> kept = integralRange(compare.getLhs(), depth + 1);
  if (!bound || *bound != std::floor(*bound) || !kept)
    return std::nullopt;
  switch (compare.getPredicate()) {
  case arith::CmpFPredicate::OGE:
  case arith::CmpFPredicate::UGE:
  case arith::CmpFPredicate::OGT:
  case arith::CmpFPredicate::UGT: // x kept when x >= c (or x > c), else c
    return IntegralRange{std::max(kept->low, *bound),
                         std::max(kept->high, *bound)};
  case arith::CmpFPredicate::OLE:
  case arith::CmpFPredicate::ULE:
  case arith::CmpFPredicate::OLT:
  case arith::CmpFPredicate::ULT: // x kept when x <= c (or x < c), else c
    return IntegralRange{std::min(kept->low, *bound),
                         std::min(kept->high, *bound)};
  default:
    return std::nullopt;
  }
}

/// f32 -> i32 arith.fptosi (scalar or vector) of a value known to be an
/// integer of at most 2^22 in magnitude (exp's clamped exponent n): t = v +
/// 1.5 * 2^23 is then an exact integer in [2^23, 2^24], whose bits minus
/// those of 1.5 * 2^23 are v. Same result, no conversion instruction. Why:
/// on RVV a vector conversion is vfcvt.rtz.x.f.v, on which Debian 12's
/// qemu-riscv64 (7.2) aborts (`decode_save_opc: Assertion 'ctx->insn_start
/// != NULL'`, fixed upstream in 8.x), and CI runs the RISC-V images under
/// that qemu. Scalars too, because LLVM's vectorizers turn loops of scalar
/// exps into vector code.
struct ExactSmallIntegerToInt : mlir::OpRewritePattern<mlir::arith::FPToSIOp> {
  using OpRewritePattern::OpRewritePattern;
  mlir::LogicalResult
  matchAndRewrite(mlir::arith::FPToSIOp op,
                  mlir::PatternRewriter &rewriter) const override {
    using namespace mlir;
    Type from = op.getIn().getType(), to = op.getType();
    if (!getElementTypeOrSelf(from).isF32() ||
        !getElementTypeOrSelf(to).isInteger(32))
      return failure();
    std::optional<IntegralRange> range = integralRange(op.getIn());
    constexpr double kLimit = 4194304.0; // 2^22
    if (!range || range->low < -kLimit || range->high > kLimit)
      return rewriter.notifyMatchFailure(op, "not a small integer");
    Location loc = op.getLoc();
    constexpr float kMagic = 12582912.0f; // 1.5 * 2^23, bits 0x4B400000
    auto constant = [&](Type type, TypedAttr element) -> Value {
      if (auto vector = dyn_cast<VectorType>(type))
        return rewriter.create<arith::ConstantOp>(
            loc, DenseElementsAttr::get(vector, element));
      return rewriter.create<arith::ConstantOp>(loc, element);
    };
    Value magic = constant(from, rewriter.getF32FloatAttr(kMagic));
    Value magicBits = constant(to, rewriter.getI32IntegerAttr(0x4B400000));
    Value shifted = rewriter.create<arith::AddFOp>(loc, op.getIn(), magic);
    Value bits = rewriter.create<arith::BitcastOp>(loc, to, shifted);
    rewriter.replaceOpWithNewOp<arith::SubIOp>(op, bits, magicBits);
    return success();
  }
};

struct ExpandMathPass : impl::ExpandMathBase<ExpandMathPass> {
  void runOnOperation() override {
    mlir::RewritePatternSet patterns(&getContext());
    mlir::populateMathPolynomialApproximationPatterns(patterns);
    if (failed(mlir::applyPatternsAndFoldGreedily(getOperation(),
                                                  std::move(patterns))))
      return signalPassFailure();
    // The approximations themselves use math.fma: expand those second, and
    // their conversions of small integers (exp's exponent).
    mlir::RewritePatternSet fmaPatterns(&getContext());
    fmaPatterns.add<FmaToMulAdd, ExactSmallIntegerToInt>(&getContext());
    if (failed(mlir::applyPatternsAndFoldGreedily(getOperation(),
                                                  std::move(fmaPatterns))))
      signalPassFailure();
  }
};
} // namespace
} // namespace yan
