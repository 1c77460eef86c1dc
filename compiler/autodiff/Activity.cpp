//===- Activity.cpp - Which values depend on the trainable weights --------===//
#include "compiler/autodiff/Activity.h"

#include "yan/IR/YanOps.h"

using namespace mlir;

namespace yan {

Activity::Activity(Block &body) {
  for (Operation &op : body) {
    // Trainable parameters enter through the routed feed-forward; any op
    // reading an active value is active in turn. Integer results (router
    // picks) are constants of the step: they never carry a gradient.
    bool isActive = isa<mlir::yan::PartitionedFfnOp>(op) ||
                    llvm::any_of(op.getOperands(), [&](Value operand) {
                      return active.contains(operand);
                    });
    if (!isActive)
      continue;
    for (Value result : op.getResults())
      if (!isa<IntegerType>(getElementTypeOrSelf(result.getType())))
        active.insert(result);
  }
}

} // namespace yan
