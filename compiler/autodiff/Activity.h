//===- Activity.h - Which values depend on the trainable weights -*- C++ -*-===//
//
// Forward activity analysis for the learn graph: a value is *active* when it
// depends on a trainable parameter (a partition's w1/w3/w2, i.e. the result
// of a yan.partitioned_ffn) and so may carry a gradient. Only active values
// get adjoints; everything upstream of the first routed feed-forward (the
// embedding, layer 0's mixer) never does, which is what eliminates most of
// the backward graph at compile time.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_AUTODIFF_ACTIVITY_H
#define YAN_COMPILER_AUTODIFF_ACTIVITY_H

#include "mlir/IR/Block.h"
#include "llvm/ADT/DenseSet.h"

namespace yan {

class Activity {
public:
  /// Analyses the ops of `body` in order (a straight-line graph).
  explicit Activity(mlir::Block &body);

  bool isActive(mlir::Value value) const { return active.contains(value); }

private:
  llvm::DenseSet<mlir::Value> active;
};

} // namespace yan

#endif // YAN_COMPILER_AUTODIFF_ACTIVITY_H
