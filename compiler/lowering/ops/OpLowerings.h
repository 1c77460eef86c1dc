//===- OpLowerings.h - One lowering per yan op (family) ----------*- C++
//-*-===//
//
// Each function emits one op of an entry point as loops over the buffers of
// the LoweringContext, at the builder's insertion point, and is defined in
// the file named after its op family. The entry lowering (EntryLowering.cpp)
// calls them in program order and puts a barrier after each, since the next
// step may read what any thread wrote.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LOWERING_OPS_OPLOWERINGS_H
#define YAN_COMPILER_LOWERING_OPS_OPLOWERINGS_H

#include "compiler/lowering/LoweringContext.h"

namespace yan::lowering {

// The forward ops (every entry kind).
void lowerEmbed(LoweringContext &ctx, y::EmbedOp op);     // Embed.cpp
void lowerRmsNorm(LoweringContext &ctx, y::RmsNormOp op); // RmsNorm.cpp
void lowerLinear(LoweringContext &ctx, y::LinearOp op);   // Linear.cpp
void lowerAdd(LoweringContext &ctx, arith::AddFOp op);    // Add.cpp
void lowerMcsd(LoweringContext &ctx, y::McsdOp op);       // Mcsd.cpp
void lowerRouter(LoweringContext &ctx, y::RouterOp op);   // Router.cpp
void lowerPartitionedFfn(LoweringContext &ctx,            // PartitionedFfn.cpp
                         y::PartitionedFfnOp op);
void lowerLmHead(LoweringContext &ctx, y::LmHeadOp op); // LmHead.cpp

// The learn graph's ops (Learn entries).
void lowerCrossEntropy(LoweringContext &ctx, // CrossEntropy.cpp
                       y::CrossEntropyOp op);
void lowerCrossEntropyGrad(LoweringContext &ctx, // CrossEntropy.cpp
                           y::CrossEntropyGradOp op);
void lowerLinearGrad(LoweringContext &ctx, y::LinearGradOp op);   // Linear.cpp
void lowerRmsNormGrad(LoweringContext &ctx, y::RmsNormGradOp op); // RmsNorm.cpp
void lowerMcsdGrad(LoweringContext &ctx, y::McsdGradOp op);       // Mcsd.cpp
void lowerRouterGrad(LoweringContext &ctx, y::RouterGradOp op);   // Router.cpp
void lowerChoosePartitions(LoweringContext &ctx, // ChoosePartitions.cpp
                           y::ChoosePartitionsOp op);
void lowerPartitionedFfnGrad(LoweringContext &ctx, // PartitionedFfnGrad.cpp
                             y::PartitionedFfnGradOp op);
void lowerPartitionGradSquares(LoweringContext &ctx, // GradientNorm.cpp
                               y::PartitionGradSquaresOp op);
void lowerGlobalNorm(LoweringContext &ctx,
                     y::GlobalNormOp op); // GradientNorm.cpp

// Lazy trust (VerifyPartitions.cpp), called by the routed feed-forward.
/// Thread 0, before the step's barrier: the runtime's verify callback for
/// every routed partition of `op` not yet verified.
void verifyRoutedPartitions(LoweringContext &ctx, y::PartitionedFfnOp op);
/// After that barrier: moves the insertion point into an scf.if that runs
/// the rest of the entry only when no verification failed.
void continueIfVerified(LoweringContext &ctx);

// Kernels more than one op lowering uses.
/// out[outRow, colBegin:colEnd] = (rms_norm(x[...]) * weight) over those
/// columns of `width` (RmsNorm.cpp; also the LM head's final norm). Every
/// thread sums all `width` squares in the same order, so each thread's
/// columns get the same scale whatever the split: no serial step.
void rmsNormRow(LoweringContext &ctx, const Access &x, Value weight, Value out,
                Value outRow, int64_t width, float eps, Value colBegin,
                Value colEnd);
/// out[t, r] = dot(weight[r, :], x[t, :]) for every position, this thread's
/// share of the rows (Linear.cpp; also the LM head's projection).
void matmulTransposed(LoweringContext &ctx, Value x, Value weight, Value out,
                      int64_t rows, int64_t cols);

} // namespace yan::lowering

#endif // YAN_COMPILER_LOWERING_OPS_OPLOWERINGS_H
