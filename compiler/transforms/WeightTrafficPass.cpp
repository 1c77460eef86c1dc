//===- WeightTrafficPass.cpp - Remarks with weight bytes per token --------===//
#include "compiler/transforms/Passes.h"
#include "compiler/transforms/WeightTraffic.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace yan {
#define GEN_PASS_DEF_WEIGHTTRAFFIC
#include "compiler/transforms/Passes.h.inc"

namespace {
struct WeightTrafficPass : impl::WeightTrafficBase<WeightTrafficPass> {
  using WeightTrafficBase::WeightTrafficBase;

  void runOnOperation() override {
    getOperation().walk([&](mlir::func::FuncOp func) {
      if (perOp)
        func.walk([&](mlir::Operation *op) {
          WeightTraffic traffic = weightTrafficOf(op);
          if (traffic.perToken() != 0)
            op->emitRemark() << "weight bytes per token: "
                             << traffic.perToken();
        });
      WeightTraffic total = weightTrafficUnder(func);
      func.emitRemark() << "weight bytes per token: " << total.perToken()
                        << " (dense " << total.denseBytes << ", partitioned "
                        << total.partitionedBytes << " of "
                        << total.partitionedBytesAll << ")";
    });
    markAllAnalysesPreserved();
  }
};
} // namespace
} // namespace yan
