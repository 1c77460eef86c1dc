//===- RoutedPairs.h - (position, pick) pairs grouped by partition -*- C++
//-*-===//
//
// A routed feed-forward over many positions works partition by partition:
// a counting sort of the router's picks [T, k] lists, for every partition,
// the pairs t*k + j routed to it, in position order. The forward
// (PartitionedFfn.cpp) multiplies each used partition once over its pairs;
// the gradient (PartitionedFfnGrad.cpp) walks the same grouping, so both
// read a partition's weights for exactly the pairs routed to it.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LOWERING_OPS_ROUTEDPAIRS_H
#define YAN_COMPILER_LOWERING_OPS_ROUTEDPAIRS_H

#include "compiler/lowering/LoweringContext.h"

namespace yan::lowering {

class RoutedPairs {
public:
  /// Plans starts (i64 [P+1]) and pairs (i32 [maxTokens*k]) in the arena.
  /// Construct before serial(), so every thread has the views.
  RoutedPairs(LoweringContext &ctx, int64_t partitions, int64_t active);

  /// Counting sort of `indices` [T, k]: pairs[starts[p] .. starts[p+1]) are
  /// p's pairs. Runs on one thread (call inside serial()).
  void group(Value indices);
  /// Returns the arena slots.
  void release();

  /// starts[p] as an index.
  Value start(Value p) { return ctx.loadIndex(starts, {p}); }
  Value plusOne(Value i);
  /// The pair at position r of the range that begins at `begin`.
  Value pairAt(Value begin, Value r);
  /// The position (t) of that pair.
  Value tokenAt(Value begin, Value r);
  /// The routing weight alphas[t, j] of that pair.
  Value alphaAt(Value alphas, Value begin, Value r);

  int64_t partitions, active;
  Value starts, pairs;

private:
  LoweringContext &ctx;
  int64_t startsOffset, pairsOffset;
};

} // namespace yan::lowering

#endif // YAN_COMPILER_LOWERING_OPS_ROUTEDPAIRS_H
