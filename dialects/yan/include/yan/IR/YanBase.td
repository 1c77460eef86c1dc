//===- YanBase.td - The yan dialect and its type constraints -------------===//
//
// Yan graphs are written on builtin tensors (value semantics) so that the
// upstream pipeline (linalg -> bufferization -> vector -> llvm) applies.
// Activations are f32; weights may be stored as f32, f16 or bf16.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_BASE_TD
#define YAN_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Yan_Dialect : Dialect {
  let name = "yan";
  let cppNamespace = "::mlir::yan";
  let summary = "Yan models: MCSD mixers and partition-activated feed-forward";
  let description = [{
    The `yan` dialect describes Yan language models: attention-free blocks
    built from multi-channel slope/decay (MCSD) mixers with O(1) recurrent
    state, and feed-forward layers with partition activation, where a router
    picks `k` of `P` weight partitions per token. Weights are module-level
    symbols (`yan.weight`) referenced by `yan.weight_ref`; their bytes live
    outside the IR. Ops that read weights implement `WeightAccessOpInterface`,
    which states per weight how many partitions it has and how many one token
    reads: analyses derive weight traffic per token from it.
    See docs/yan-model.md for the equations.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

class Yan_Op<string mnemonic, list<Trait> traits = []>
    : Op<Yan_Dialect, mnemonic, traits>;

// Stored weights: any float type the importer accepts.
def Yan_WeightTensor : RankedTensorOf<[F32, F16, BF16]>;
// Activations, logits and recurrent state are always f32.
def Yan_F32Tensor : RankedTensorOf<[F32]>;
// Token ids and partition indices.
def Yan_IndexTensor : RankedTensorOf<[I32]>;

#endif // YAN_BASE_TD
