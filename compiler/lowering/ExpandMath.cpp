//===- ExpandMath.cpp - Polynomial math, so code images import nothing ----===//
#include "compiler/lowering/Passes.h"

#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

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

struct ExpandMathPass : impl::ExpandMathBase<ExpandMathPass> {
  void runOnOperation() override {
    mlir::RewritePatternSet patterns(&getContext());
    mlir::populateMathPolynomialApproximationPatterns(patterns);
    if (failed(mlir::applyPatternsAndFoldGreedily(getOperation(),
                                                  std::move(patterns))))
      return signalPassFailure();
    // The approximations themselves use math.fma: expand those second.
    mlir::RewritePatternSet fmaPatterns(&getContext());
    fmaPatterns.add<FmaToMulAdd>(&getContext());
    if (failed(mlir::applyPatternsAndFoldGreedily(getOperation(),
                                                  std::move(fmaPatterns))))
      signalPassFailure();
  }
};
} // namespace
} // namespace yan
