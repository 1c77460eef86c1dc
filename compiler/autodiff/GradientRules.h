//===- GradientRules.h - Reverse-mode rules for the yan ops ------*- C++ -*-===//
//
// One rule per differentiable op: given the adjoints of an op's results,
// emit the yan gradient ops that give its active operands' adjoints, and,
// for the routed feed-forward, the gradients of the chosen partitions. The
// caller (BuildLearn) walks the forward graph in reverse and calls
// `differentiate` on every op with an adjoint.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_AUTODIFF_GRADIENTRULES_H
#define YAN_COMPILER_AUTODIFF_GRADIENTRULES_H

#include "compiler/autodiff/Activity.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

namespace yan {

/// The trainable partitions of one layer and their weight gradients, as
/// the low-rank factors yan.partitioned_ffn_grad describes.
struct LayerGradients {
  mlir::Value chosen;         // tensor<Mxi32>
  mlir::Value counts;         // tensor<Mxi32>: rows of each slot's factors
  mlir::Value a1, a3, g;      // tensor<Mx?xFxf32>
  mlir::Value xs, ds;         // tensor<Mx?xDxf32>
};

class GradientRules {
public:
  /// `limit`: the run-time number of partitions to train per layer;
  /// `learnPartitions`: M, the slots per layer.
  GradientRules(mlir::OpBuilder &builder, const Activity &activity,
                mlir::Value limit, int64_t learnPartitions)
      : b(builder), activity(activity), limit(limit),
        learnPartitions(learnPartitions) {}

  /// Adds `contribution` to the adjoint of `value` (if `value` is active).
  void accumulate(mlir::Value value, mlir::Value contribution);
  mlir::Value adjointOf(mlir::Value value) const { return adjoints.lookup(value); }

  /// Applies `op`'s rule if any of its results has an adjoint; fails with a
  /// diagnostic at `op` when an op on the gradient path has no rule.
  mlir::LogicalResult differentiate(mlir::Operation *op);

  /// Weight gradients, one entry per routed feed-forward, from the last
  /// layer to the first (the order the reverse walk meets them).
  llvm::ArrayRef<LayerGradients> layers() const { return layerGradients; }

private:
  mlir::OpBuilder &b;
  const Activity &activity;
  mlir::Value limit;
  int64_t learnPartitions;
  llvm::DenseMap<mlir::Value, mlir::Value> adjoints;
  llvm::SmallVector<LayerGradients> layerGradients;
};

} // namespace yan

#endif // YAN_COMPILER_AUTODIFF_GRADIENTRULES_H
