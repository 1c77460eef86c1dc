//===- Passes.td - yan-level passes --------------------------------------===//
#ifndef YAN_COMPILER_TRANSFORMS_PASSES_TD
#define YAN_COMPILER_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def WeightTraffic : Pass<"yan-weight-traffic", "::mlir::ModuleOp"> {
  let summary = "reports the weight bytes one token reads, per function";
  let description = [{
    Uses WeightAccessOpInterface to compute, for every function, the bytes of
    weights one token reads: all of a dense weight, one row of an embedding
    table, k of P partitions of a partitioned FFN weight. Emits one remark per
    function (and, with `per-op`, one per op). The same analysis feeds
    `yanc --report` and the runtime's bytes-per-token statistics.
  }];
  let options = [
    Option<"perOp", "per-op", "bool", /*default=*/"false",
           "Also emit a remark for every op that reads weights">,
  ];
}

#endif // YAN_COMPILER_TRANSFORMS_PASSES_TD
