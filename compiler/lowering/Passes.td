//===- Passes.td - Lowering the yan dialect -------------------------------===//
#ifndef YAN_COMPILER_LOWERING_PASSES_TD
#define YAN_COMPILER_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def LayoutWeights : Pass<"yan-layout-weights", "::mlir::ModuleOp"> {
  let summary = "assigns every yan.weight its byte offset in the weight segment";
  let description = [{
    Lays the weights out in declaration order (the importer declares them in
    the canonical order of docs/yan-model.md) with the bundle's layout
    algorithm (compiler/bundle/WeightLayout.h), each at a multiple of
    `alignment` (partitions of partitioned weights at multiples of
    `partition-alignment`), and records `yan.offset`, `yan.partitions` and
    `yan.partition_stride` on each `yan.weight` and `yan.weight_bytes` on
    the module. Generated code bakes
    these offsets in; the bundle writer reads the same attributes, so code
    and bundle cannot disagree.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "Byte alignment of every weight (a power of two)">,
    Option<"partitionAlignment", "partition-alignment", "int64_t",
           /*default=*/"0",
           "Byte alignment of every partition of a partitioned weight, e.g. "
           "the target's page size so that a token touches only the pages "
           "of its routed partitions (0: partitions back to back)">,
  ];
}

def LowerToLoops : Pass<"yan-lower-to-loops", "::mlir::ModuleOp"> {
  let summary = "lowers yan entry points to loops over the runtime's buffers";
  let description = [{
    Rewrites every function built of yan ops into a function with the
    runtime's calling convention (runtime/include/yan/executable_abi.h):

        func.func @yan_<name>(%weights: memref<?xi8>, %state: memref<?xf32>,
                              %arena: memref<?xi8>, %tokens: memref<?xi32>,
                              %logits: memref<?xf32>)

    Each intermediate tensor becomes a view of the scratch arena, planned
    statically (buffers with overlapping lifetimes never share bytes); the
    recurrent state is updated in place; logits are written straight into
    the caller's buffer. Matrix-vector work becomes vector-dialect FMA
    kernels of `vector-width` lanes; the rest becomes scf loops over memrefs.
    Records `yan.entry`, `yan.max_tokens` and `yan.arena_bytes` on each
    function. Needs `yan-layout-weights` first.

    A learn graph (@learn from -yan-build-learn) becomes @yan_learn, with
    the same convention plus the learn parameters, leaving its loss,
    chosen partitions and gradients in the learn arena header
    (executable_abi.h); the pass adds @yan_learn_apply, the clipping and
    optimizer step for one chosen partition (LowerLearnApply.cpp).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"vectorWidth", "vector-width", "unsigned", /*default=*/"8",
           "f32 lanes per vector (8 for AVX2, 4 for NEON, VLEN/32 for RVV)">,
    Option<"prefillMaxTokens", "prefill-max-tokens", "int64_t",
           /*default=*/"64",
           "Most tokens one call of a dynamic-length entry handles; the "
           "arena is planned for it and the runtime splits longer prompts">,
    Option<"learnMaxTokens", "learn-max-tokens", "int64_t",
           /*default=*/"128",
           "Longest sample the learn entry accepts (its arena is planned "
           "for it)">,
  ];
}

def ExpandMath : Pass<"yan-expand-math"> {
  let summary = "expands transcendental math ops into polynomials";
  let description = [{
    Rewrites math.exp, math.tanh, math.log, ... into MLIR's polynomial
    approximations, so generated code never calls libm: code images have no
    imports. math.sqrt stays (every target has a square-root instruction).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // YAN_COMPILER_LOWERING_PASSES_TD
