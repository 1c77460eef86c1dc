//===- Passes.td - Building the learn graph -------------------------------===//
#ifndef YAN_COMPILER_AUTODIFF_PASSES_TD
#define YAN_COMPILER_AUTODIFF_PASSES_TD

include "mlir/Pass/PassBase.td"

def BuildLearn : Pass<"yan-build-learn", "::mlir::ModuleOp"> {
  let summary = "builds the local-update graph @learn from @prefill";
  let description = [{
    Reverse-mode differentiation of the forward graph at compile time
    (docs/learning.md): @learn runs the forward over the sample's inputs,
    the mean cross-entropy against the targets, then the gradient rule of
    every op in reverse. Activity analysis starts from the trainable
    parameters (the partitions' w1/w3/w2) and propagates forward, so only
    values that depend on them get adjoints: the mixer of layer 0, every
    frozen weight's gradient and every non-chosen partition's weight
    gradient are never built.

        func.func @learn(%inputs: tensor<?xi32>, %targets: tensor<?xi32>,
                         %limit: index, <state args of @prefill>)
            -> (loss: tensor<f32>, grad_norm: tensor<f32>,
                chosen_l: tensor<Mxi32> for each layer l,
                counts_l, a1_l, a3_l, g_l, xs_l, ds_l for each layer l)

    The chosen partitions' weight gradients are kept as low-rank factors
    (yan.partitioned_ffn_grad): rank at most N instead of F x D floats.

    `%limit` is the number of partitions to train per layer (<= M, chosen
    at run time); M = `learn-partitions` (0: the model's k).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
  let options = [
    Option<"learnPartitions", "learn-partitions", "int64_t",
           /*default=*/"0",
           "Most partitions trained per layer and step, M (0: k)">,
  ];
}

#endif // YAN_COMPILER_AUTODIFF_PASSES_TD
