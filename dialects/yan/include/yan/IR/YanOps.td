//===- YanOps.td - yan dialect operations --------------------------------===//
//
// One op per piece of the model in docs/yan-model.md. Sequence length N may be
// dynamic (`?`); every other dimension is static and checked by the verifiers.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_OPS_TD
#define YAN_OPS_TD

include "yan/IR/YanBase.td"
include "yan/IR/YanInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"

def WeightAccess : DeclareOpInterfaceMethods<Yan_WeightAccessOpInterface>;

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Yan_WeightOp : Yan_Op<"weight", [Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "declares a named model weight whose bytes live outside the IR";
  let description = [{
    Declares a weight tensor by name (the checkpoint's tensor name) and type.
    Its bytes are never inlined into the IR: the importer keeps the mapped
    checkpoint and later stages write them into aligned bundle segments.

    ```mlir
    yan.weight @"layers.0.ffn.w1" : tensor<8x32x64xf32>
    yan.weight @"lm_head.weight" : tensor<256x64xf32> {storage = "int4"}
    ```

    `storage` (optional) names a quantized storage format of
    docs/yan-model.md section 9 ("int8" or "int4"): the weight's values are
    then the dequantized f32 values of its type, and its bytes in the bundle
    are slabs of groups and f16 scales. Without it the weight is stored in
    its type's element type (f32, f16 or bf16).
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<Yan_WeightTensor>:$type,
                       OptionalAttr<StrAttr>:$storage);
  let assemblyFormat = "$sym_name `:` $type attr-dict";
  let hasVerifier = 1;
}

def Yan_WeightRefOp : Yan_Op<"weight_ref",
    [Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "the value of a declared weight";
  let description = [{
    ```mlir
    %w = yan.weight_ref @"embed.weight" : tensor<256x64xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs Yan_WeightTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Model pieces
//===----------------------------------------------------------------------===//

def Yan_EmbedOp : Yan_Op<"embed", [Pure, WeightAccess]> {
  let summary = "embedding lookup: out[t] = table[tokens[t]]";
  let description = [{
    Token ids outside [0, V) are an error reported by the runtime. For weight
    traffic the table is V partitions (rows), of which a token reads one.
  }];
  let arguments = (ins Yan_WeightTensor:$table, Yan_IndexTensor:$tokens);
  let results = (outs Yan_F32Tensor:$result);
  let assemblyFormat = "$table `,` $tokens attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Yan_RmsNormOp : Yan_Op<"rms_norm", [Pure, WeightAccess]> {
  let summary = "out = x / sqrt(mean(x^2) + eps) * weight, over the last dimension";
  let arguments = (ins Yan_F32Tensor:$input, Yan_WeightTensor:$weight, F32Attr:$eps);
  let results = (outs Yan_F32Tensor:$result);
  let assemblyFormat = "$input `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Yan_LinearOp : Yan_Op<"linear", [Pure, WeightAccess]> {
  let summary = "out = input * weight^T with weight [out, in]";
  let arguments = (ins Yan_F32Tensor:$input, Yan_WeightTensor:$weight);
  let results = (outs Yan_F32Tensor:$result);
  let assemblyFormat = "$input `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Yan_McsdOp : Yan_Op<"mcsd", [Pure]> {
  let summary = "multi-channel slope/decay mixer with explicit recurrent state";
  let description = [{
    For feature i in channel c = i div (D/C), at each position t of the N
    positions, in order:

        s[i]   = sum_{j=0..K-1} (1 - j*slope_c) * u_{t-j}[i]
        h_t[i] = decay_c * h_{t-1}[i] + (1 - decay_c) * v_t[i]
        m_t[i] = s[i] * h_t[i] * silu(q_t[i])

    `h` is h_{-1}; `u_hist` holds the K-1 u vectors before the first position,
    oldest first (zeros at the start of a stream). The results are m, the new
    h and the new u history: running N positions at once equals running them
    one at a time with the state threaded through.
  }];
  let arguments = (ins Yan_F32Tensor:$u, Yan_F32Tensor:$v, Yan_F32Tensor:$q,
                       Yan_F32Tensor:$h, Yan_F32Tensor:$u_hist,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_channels,
                       ConfinedAttr<I64Attr, [IntPositive]>:$slope_window,
                       DenseF32ArrayAttr:$decays, DenseF32ArrayAttr:$slopes);
  let results = (outs Yan_F32Tensor:$m, Yan_F32Tensor:$h_out,
                      Yan_F32Tensor:$u_hist_out);
  let assemblyFormat = [{
    $u `,` $v `,` $q `,` $h `,` $u_hist attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Yan_RouterOp : Yan_Op<"router", [Pure, WeightAccess]> {
  let summary = "picks the k largest of P router logits and softmaxes them";
  let description = [{
    r = input * weight^T (P logits per position); indices = the k largest r in
    descending order, ties broken by the lower index; weights = softmax(r[indices]).
    The choice of indices is not differentiated; the weights are.
  }];
  let arguments = (ins Yan_F32Tensor:$input, Yan_WeightTensor:$weight,
                       ConfinedAttr<I64Attr, [IntPositive]>:$active_partitions);
  let results = (outs Yan_IndexTensor:$indices, Yan_F32Tensor:$weights);
  let assemblyFormat = "$input `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Yan_PartitionedFfnOp : Yan_Op<"partitioned_ffn", [Pure, WeightAccess]> {
  let summary = "feed-forward over the k routed partitions of P";
  let description = [{
    out[t] = sum_j weights[t,j] * w2[p]( silu(w1[p] x[t]) * (w3[p] x[t]) ) with
    p = indices[t,j]. The weights are partition-major: w1, w3 [P,F,D] and
    w2 [P,D,F], so one partition's rows are contiguous and a token reads k of
    the P partitions.
  }];
  let arguments = (ins Yan_F32Tensor:$input, Yan_IndexTensor:$indices,
                       Yan_F32Tensor:$weights, Yan_WeightTensor:$w1,
                       Yan_WeightTensor:$w3, Yan_WeightTensor:$w2);
  let results = (outs Yan_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $indices `,` $weights `,` $w1 `,` $w3 `,` $w2 attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Yan_LmHeadOp : Yan_Op<"lm_head", [Pure, WeightAccess]> {
  let summary = "logits = (rmsnorm(x) * norm_weight) * weight^T";
  let description = [{
    The final norm and the vocabulary projection, kept together because they
    end every forward pass and are the natural place to fuse and to tile over
    a large vocabulary.
  }];
  let arguments = (ins Yan_F32Tensor:$input, Yan_WeightTensor:$norm_weight,
                       Yan_WeightTensor:$weight, F32Attr:$eps);
  let results = (outs Yan_F32Tensor:$logits);
  let assemblyFormat = [{
    $input `,` $norm_weight `,` $weight attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Yan_CrossEntropyOp : Yan_Op<"cross_entropy", [Pure]> {
  let summary = "mean over positions of -log softmax(logits[t])[targets[t]]";
  let arguments = (ins Yan_F32Tensor:$logits, Yan_IndexTensor:$targets);
  let results = (outs 0DTensorOf<[F32]>:$loss);
  let assemblyFormat = "$logits `,` $targets attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

include "yan/IR/YanGradOps.td"

#endif // YAN_OPS_TD
