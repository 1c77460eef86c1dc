//===- LearnEntry.h - The learn entry's arguments and header -----*- C++
//-*-===//
//
// What only a learn entry (@learn of -yan-build-learn) has: its arguments
// (targets, the run-time partition limit, a read-only start state), its
// results at the fixed places of the learn arena header (executable_abi.h),
// found by the yan.learn_result tags -yan-build-learn puts on them, and the
// facts the optimizer entry (LowerLearnApply.cpp) needs.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LOWERING_LEARNENTRY_H
#define YAN_COMPILER_LOWERING_LEARNENTRY_H

#include "compiler/lowering/LoweringContext.h"

namespace yan::lowering {

/// Maps the learn graph's arguments and its loss, norm and chosen-partition
/// results onto the entry's buffers and the learn header, and records where
/// each layer's trainable weights are.
LogicalResult mapLearnArguments(LoweringContext &ctx);
/// Once the loss is known: the header says "nothing chosen" (thread 0).
void writeLearnHeaderDefaults(LoweringContext &ctx);
/// After the backward: the learn header's routed_pairs, the sum of every
/// layer's slot counts (thread 0).
void writeRoutedPairs(LoweringContext &ctx);
/// At the end: the finite flag from the loss and the gradient norm.
void writeFiniteFlag(LoweringContext &ctx);
/// Records the arena offsets of the gradient factors `op` produces, in the
/// layer its tagged results name, for the optimizer entry.
void recordGradientFactors(LoweringContext &ctx, y::PartitionedFfnGradOp op);

} // namespace yan::lowering

#endif // YAN_COMPILER_LOWERING_LEARNENTRY_H
