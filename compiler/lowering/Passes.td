//===- Passes.td - Lowering the yan dialect -------------------------------===//
#ifndef YAN_COMPILER_LOWERING_PASSES_TD
#define YAN_COMPILER_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def LayoutWeights : Pass<"yan-layout-weights", "::mlir::ModuleOp"> {
  let summary = "assigns every yan.weight its byte offset in the weight segment";
  let description = [{
    Lays the weights out in declaration order (the importer declares them in
    the canonical order of docs/yan-model.md) with the bundle's layout
    algorithm (compiler/layout/WeightLayout.h), each at a multiple of
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
    runtime's calling convention: one argument per field of
    yan_entry_args_v3 (runtime/include/yan/executable_abi.h), as described
    once in compiler/abi/EntryAbi.h, num_tokens being the tokens' length:

        func.func @yan_<name>(%weights: memref<?xi8>, %state: memref<?xf32>,
            %arena: memref<?xi8>, %tokens: memref<?xi32>,
            %logits: memref<?xf32>, %stats: memref<?xi64>,
            %learn: memref<?xf64>, %optimizer_state: memref<?xf32>,
            %thread_index: index, %thread_count: index, %pool: i64,
            %barrier: (i64) -> (), %verified: memref<?xi8>,
            %verify: (i64, i64) -> (), %verifier: i64)

    No linalg and no bufferization: each op is emitted directly as scf
    loops over memref views (compiler/lowering/ops/, one file per op
    family). Each intermediate tensor becomes a view of the scratch arena,
    planned statically (buffers with overlapping lifetimes never share
    bytes); the recurrent state is updated in place; logits are written
    straight into the caller's buffer. Matrix work goes through the
    vector-dialect FMA kernels of KernelEmitter, `vector-width` lanes wide;
    matrix products split their rows among the threads, the rest runs on
    thread 0, with barriers between steps. Records `yan.entry`,
    `yan.max_tokens`, `yan.arena_bytes`, `yan.state_floats` and
    `yan.stats_counters` on each function. Needs `yan-layout-weights`
    first.

    An entry with a static token count (decode) runs the routed
    feed-forward token by token; one with a dynamic count (prefill, at most
    `prefill-max-tokens` per call) groups tokens by partition.

    A learn graph (@learn from -yan-build-learn, results tagged with
    `yan.learn_result`) becomes @yan_learn, with the same convention,
    leaving its loss, chosen partitions and gradients in the learn arena
    header (executable_abi.h); the pass adds @yan_learn_apply, the clipping
    and optimizer step for one chosen partition (LowerLearnApply.cpp).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"vectorWidth", "vector-width", "unsigned", /*default=*/"8",
           "f32 lanes per vector (the target preset's f32Lanes: 16 on "
           "x86-64-v4, 8 on x86-64-v3, AArch64 and RISC-V, 4 on x86-64-v2)">,
    Option<"rowBlock", "row-block", "int64_t", /*default=*/"4",
           "Matrix rows per block of the dot-product kernels (the target "
           "preset's rowBlock)">,
    Option<"dotVectors", "dot-vectors", "int64_t", /*default=*/"3",
           "Vectors (tokens) per register tile of the dot-product kernel, "
           "row-block x dot-vectors accumulators (the target preset's "
           "dotVectors)">,
    Option<"accumulateOutputs", "accumulate-outputs", "int64_t",
           /*default=*/"4",
           "Output rows per register tile of the transposed product (the "
           "target preset's accumulateOutputs)">,
    Option<"accumulateVectors", "accumulate-vectors", "int64_t",
           /*default=*/"3",
           "Column vectors per register tile of the transposed product (the "
           "target preset's accumulateVectors)">,
    Option<"quantLanes", "quant-lanes", "unsigned", /*default=*/"8",
           "f32 lanes of the fused int8/int4 matrix x vector kernel (the "
           "target preset's quantLanes; a divisor of 32)">,
    Option<"dequantRows", "dequant-rows", "int64_t", /*default=*/"16",
           "Rows of an int8/int4 matrix dequantized at once into an f32 "
           "tile when several vectors share them (prefill, learning; the "
           "target preset's dequantRows)">,
    Option<"prefillMaxTokens", "prefill-max-tokens", "int64_t",
           /*default=*/"::yan::kDefaultPrefillMaxTokens",
           "Most tokens one call of a dynamic-length entry handles; the "
           "arena is planned for it and the runtime splits longer prompts">,
    Option<"learnMaxTokens", "learn-max-tokens", "int64_t",
           /*default=*/"128",
           "Longest sample the learn entry accepts (its arena is planned "
           "for it)">,
    Option<"nativeF16", "native-f16", "bool", /*default=*/"true",
           "Whether the target converts f16 to f32 in hardware (x86 F16C, "
           "RISC-V Zfhmin, AArch64). When false, f16 weights are widened "
           "with integer operations, since a code image cannot import the "
           "__extendhfsf2 library call">,
    Option<"bf16DotIntrinsic", "bf16-dot-intrinsic", "std::string",
           /*default=*/"",
           "LLVM intrinsic of a 16-lane bf16 pair dot product (x86: "
           "llvm.x86.avx512bf16.dpbf16ps.512). With word-lookup-intrinsic "
           "and quant-lanes 16, the fused int4 decode kernel multiplies "
           "nibbles looked up as bf16 with two bf16 limbs of x instead of "
           "widening them to f32 (docs/codegen.md). Empty: not used">,
    Option<"wordLookupIntrinsic", "word-lookup-intrinsic", "std::string",
           /*default=*/"",
           "LLVM intrinsic of a 32-entry lookup of 16-bit words (x86: "
           "llvm.x86.avx512.permvar.hi.512); given with bf16-dot-intrinsic">,
  ];
}

def ExpandMath : Pass<"yan-expand-math"> {
  let summary = "expands transcendental math ops into polynomials";
  let description = [{
    Rewrites math.exp, math.tanh, math.log, ... into MLIR's polynomial
    approximations, so generated code never calls libm: code images have no
    imports. math.sqrt stays (every target has a square-root instruction).
    An arith.fptosi of a value proven to be an integer of at most 2^22
    (exp's clamped exponent) becomes an exact add, bitcast and subtract, so
    no RVV vfcvt.rtz.x.f.v is emitted (Debian 12's qemu-riscv64 aborts on
    it).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def OutlineLoopNests : Pass<"yan-outline-loop-nests", "::mlir::ModuleOp"> {
  let summary = "moves each outermost loop nest of an entry into its own function";
  let description = [{
    An entry point is one function with every layer's kernels in it, and
    LLVM's function passes (loop rotation, instcombine) cost more than
    linearly in a function's size: a 24-layer learn entry took minutes.
    This pass moves every outermost scf.for of a lowered entry (a kernel,
    with its loops) into a private function marked noinline, called in its
    place: the same operations in the same order, so results are bit for
    bit those of the inline code. Values the loop uses from outside become
    arguments, except constants, which are cloned in (the kernels' shapes
    stay constants). Runs after -yan-lower-to-loops.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // YAN_COMPILER_LOWERING_PASSES_TD
