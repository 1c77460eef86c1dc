//===- GradientRules.cpp - Reverse-mode rules for the yan ops -------------===//
//
// The math of each rule is in the gradient op's description (YanGradOps.td);
// this file only wires operands and adjoints together.
//
//===----------------------------------------------------------------------===//
#include "compiler/autodiff/GradientRules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "yan/IR/YanOps.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace yan {

namespace y = mlir::yan;

void GradientRules::accumulate(Value value, Value contribution) {
  if (!activity.isActive(value))
    return;
  Value &adjoint = adjoints[value];
  adjoint = adjoint ? b.create<arith::AddFOp>(contribution.getLoc(), adjoint,
                                              contribution)
                          .getResult()
                    : contribution;
}

LogicalResult GradientRules::differentiate(Operation *op) {
  if (llvm::none_of(op->getResults(),
                    [&](Value r) { return adjoints.contains(r); }))
    return success();
  Location loc = op->getLoc();
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](arith::AddFOp add) {
        Value g = adjointOf(add.getResult());
        accumulate(add.getLhs(), g);
        accumulate(add.getRhs(), g);
        return success();
      })
      .Case([&](y::LmHeadOp head) {
        Value dLogits = adjointOf(head.getLogits());
        Value dNormed = b.create<y::LinearGradOp>(loc, head.getInput().getType(),
                                                  dLogits, head.getWeight());
        accumulate(head.getInput(),
                   b.create<y::RmsNormGradOp>(loc, head.getInput().getType(),
                                              head.getInput(),
                                              head.getNormWeight(), dNormed,
                                              head.getEpsAttr()));
        return success();
      })
      .Case([&](y::RmsNormOp norm) {
        accumulate(norm.getInput(),
                   b.create<y::RmsNormGradOp>(
                       loc, norm.getType(), norm.getInput(), norm.getWeight(),
                       adjointOf(norm.getResult()), norm.getEpsAttr()));
        return success();
      })
      .Case([&](y::LinearOp linear) {
        accumulate(linear.getInput(),
                   b.create<y::LinearGradOp>(loc, linear.getInput().getType(),
                                             adjointOf(linear.getResult()),
                                             linear.getWeight()));
        return success();
      })
      .Case([&](y::PartitionedFfnOp ffn) {
        // The layer's trainable partitions are chosen from its routing
        // weights; only they get weight gradients (M slots).
        auto w1 = cast<RankedTensorType>(ffn.getW1().getType());
        Type f32 = b.getF32Type();
        auto slotsType =
            RankedTensorType::get({learnPartitions}, b.getI32Type());
        Value chosen = b.create<y::ChoosePartitionsOp>(
            loc, slotsType, ffn.getIndices(), ffn.getWeights(), limit,
            b.getI64IntegerAttr(w1.getDimSize(0)));
        int64_t positions =
            cast<RankedTensorType>(ffn.getInput().getType()).getDimSize(0);
        auto factors = [&](int64_t width) {
          return RankedTensorType::get({learnPartitions, positions, width}, f32);
        };
        Type ffnRows = factors(w1.getDimSize(1)), hiddenRows = factors(w1.getDimSize(2));
        auto grad = b.create<y::PartitionedFfnGradOp>(
            loc,
            TypeRange{ffn.getInput().getType(), ffn.getWeights().getType(),
                      slotsType, ffnRows, ffnRows, ffnRows, hiddenRows,
                      hiddenRows},
            ffn.getInput(), ffn.getIndices(), ffn.getWeights(), ffn.getW1(),
            ffn.getW3(), ffn.getW2(), adjointOf(ffn.getResult()), chosen);
        // The lowest trained layer: nothing below it needs a gradient.
        if (!activity.isActive(ffn.getInput()) &&
            !activity.isActive(ffn.getWeights()))
          grad.setWeightGradientsOnly(true);
        accumulate(ffn.getInput(), grad.getDinput());
        accumulate(ffn.getWeights(), grad.getDweights());
        layerGradients.push_back({chosen, grad.getCounts(), grad.getA1(),
                                  grad.getA3(), grad.getG(), grad.getXs(),
                                  grad.getDs()});
        return success();
      })
      .Case([&](y::RouterOp router) -> LogicalResult {
        // Only the routing weights carry a gradient; the picks are constants.
        Value dWeights = adjointOf(router.getWeights());
        if (!dWeights)
          return success();
        accumulate(router.getInput(),
                   b.create<y::RouterGradOp>(
                       loc, router.getInput().getType(), router.getWeight(),
                       router.getIndices(), router.getWeights(), dWeights));
        return success();
      })
      .Case([&](y::McsdOp mcsd) -> LogicalResult {
        // The learn graph does not return the updated state, so only m has
        // an adjoint; the start state is not differentiated.
        if (adjointOf(mcsd.getHOut()) || adjointOf(mcsd.getUHistOut()))
          return mcsd.emitOpError("state results cannot be differentiated");
        Type t = mcsd.getU().getType();
        auto grad = b.create<y::McsdGradOp>(
            loc, TypeRange{t, t, t}, mcsd.getU(), mcsd.getV(), mcsd.getQ(),
            mcsd.getH(), mcsd.getUHist(), adjointOf(mcsd.getM()),
            mcsd.getNumChannelsAttr(), mcsd.getSlopeWindowAttr(),
            mcsd.getDecaysAttr(), mcsd.getSlopesAttr());
        accumulate(mcsd.getU(), grad.getDu());
        accumulate(mcsd.getV(), grad.getDv());
        accumulate(mcsd.getQ(), grad.getDq());
        return success();
      })
      .Default([&](Operation *other) {
        return other->emitOpError("has no gradient rule");
      });
}

} // namespace yan
