//===- YanGradOps.td - yan gradient and learning operations ---------------===//
//
// The ops the learn graph is built from (compiler/autodiff): one backward op
// per forward op that gradients flow through, plus the choice of trainable
// partitions and the global gradient norm. They are produced by
// -yan-build-learn, never by the importer. Shapes follow the forward op they
// differentiate; N (positions) may be dynamic.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_GRAD_OPS_TD
#define YAN_GRAD_OPS_TD

def Yan_CrossEntropyGradOp : Yan_Op<"cross_entropy_grad", [Pure]> {
  let summary = "d(mean cross-entropy)/d(logits) = (softmax(logits[t]) - onehot(targets[t])) / N";
  let arguments = (ins Yan_F32Tensor:$logits, Yan_IndexTensor:$targets);
  let results = (outs Yan_F32Tensor:$result);
  let assemblyFormat = "$logits `,` $targets attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Yan_LinearGradOp : Yan_Op<"linear_grad", [Pure, WeightAccess]> {
  let summary = "input gradient of yan.linear: out = grad * weight";
  let description = [{
    For `y = x W^T` with W [out, in]: dx[t, i] = sum_o dy[t, o] W[o, i]. The
    weight is frozen, so no weight gradient exists.
  }];
  let arguments = (ins Yan_F32Tensor:$grad, Yan_WeightTensor:$weight);
  let results = (outs Yan_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Yan_RmsNormGradOp : Yan_Op<"rms_norm_grad", [Pure, WeightAccess]> {
  let summary = "input gradient of yan.rms_norm";
  let description = [{
    With r = 1/sqrt(mean(x^2) + eps) and g = weight * grad (per position):
    dx = r g - x r^3 (sum_i g_i x_i) / D.
  }];
  let arguments = (ins Yan_F32Tensor:$input, Yan_WeightTensor:$weight,
                       Yan_F32Tensor:$grad, F32Attr:$eps);
  let results = (outs Yan_F32Tensor:$result);
  let assemblyFormat = "$input `,` $weight `,` $grad attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Yan_McsdGradOp : Yan_Op<"mcsd_grad", [Pure]> {
  let summary = "gradients of yan.mcsd's m with respect to u, v and q";
  let description = [{
    Backpropagation through time over the N positions from the given start
    state (which is not differentiated): with s, h_t as in yan.mcsd,

        ds_t  = dm_t h_t silu(q_t)
        dh_t  = dm_t s_t silu(q_t) + decay dh_{t+1}          (dh_N = 0)
        dv_t  = (1 - decay) dh_t
        dq_t  = dm_t s_t h_t silu'(q_t)
        du_t  = sum_{j=0..K-1, t+j<N} (1 - j*slope) ds_{t+j}
  }];
  let arguments = (ins Yan_F32Tensor:$u, Yan_F32Tensor:$v, Yan_F32Tensor:$q,
                       Yan_F32Tensor:$h, Yan_F32Tensor:$u_hist,
                       Yan_F32Tensor:$grad,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_channels,
                       ConfinedAttr<I64Attr, [IntPositive]>:$slope_window,
                       DenseF32ArrayAttr:$decays, DenseF32ArrayAttr:$slopes);
  let results = (outs Yan_F32Tensor:$du, Yan_F32Tensor:$dv, Yan_F32Tensor:$dq);
  let assemblyFormat = [{
    $u `,` $v `,` $q `,` $h `,` $u_hist `,` $grad attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Yan_RouterGradOp : Yan_Op<"router_grad", [Pure, WeightAccess]> {
  let summary = "input gradient of yan.router through softmax(r[indices])";
  let description = [{
    The picks are constants; the routing weights alpha = softmax(r[S]) are
    differentiated: dr_j = alpha_j (dalpha_j - sum_i alpha_i dalpha_i), and
    dx[t] = sum_j dr_j weight[indices[t, j]]. Reads k router rows per position.
  }];
  let arguments = (ins Yan_WeightTensor:$weight, Yan_IndexTensor:$indices,
                       Yan_F32Tensor:$weights, Yan_F32Tensor:$grad);
  let results = (outs Yan_F32Tensor:$result);
  let assemblyFormat = [{
    $weight `,` $indices `,` $weights `,` $grad attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Yan_ChoosePartitionsOp : Yan_Op<"choose_partitions", [Pure]> {
  let summary = "the trainable partitions of a layer: largest total routing weight";
  let description = [{
    T[p] = sum over positions and picks j with indices[t, j] = p of
    weights[t, j] (accumulated in f64). Takes the `limit` (a runtime value,
    0 <= limit <= max_count) partitions of largest T, ties to the lower
    index, never one with T[p] = 0; the result lists them in ascending
    order, padded with -1 to max_count entries.
  }];
  let arguments = (ins Yan_IndexTensor:$indices, Yan_F32Tensor:$weights,
                       Index:$limit,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_partitions);
  let results = (outs Yan_IndexTensor:$chosen);
  let assemblyFormat = [{
    $indices `,` $weights `,` $limit attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Yan_PartitionedFfnGradOp : Yan_Op<"partitioned_ffn_grad", [Pure, WeightAccess]> {
  let summary = "gradients of yan.partitioned_ffn; chosen partitions' weight gradients as low-rank factors";
  let description = [{
    For out[t] = sum_j alpha[t,j] w2[p] g_{t,j}, g = silu(w1[p] x) * (w3[p] x),
    p = indices[t,j], and the incoming gradient dout:

        dalpha[t,j] = dout[t] . (w2[p] g_{t,j})
        dg          = alpha[t,j] w2[p]^T dout[t]
        dh1 = dg * (w3[p] x) * silu'(w1[p] x) ;  dh3 = dg * silu(w1[p] x)
        dx[t]      += w1[p]^T dh1 + w3[p]^T dh3

    A partition's weight gradient is a sum of one outer product per position
    routed to it, so it has rank at most N and is kept as its factors (far
    smaller than the F x D matrices). For slot i with p = chosen[i] >= 0 and
    the positions t_0 < t_1 < ... routed to p (counts[i] of them), row r of
    the factors is

        a1[i,r] = dh1, a3[i,r] = dh3, g[i,r] = g   (at position t_r)     [F]
        xs[i,r] = x[t_r], ds[i,r] = alpha * dout[t_r]                    [D]

    and dw1[i] = sum_r a1[i,r] xs[i,r]^T, dw3[i] = sum_r a3[i,r] xs[i,r]^T,
    dw2[i] = sum_r ds[i,r] g[i,r]^T. Slots with chosen[i] = -1 have
    counts[i] = 0. Only the routed partitions' weights are read.

    With `weight_gradients_only` (the lowest trained layer: neither the
    input nor the routing weights are differentiated) dinput and dweights
    are not computed and must have no uses: only the chosen partitions'
    positions are visited, for their factors, and only their weights read.
  }];
  let arguments = (ins Yan_F32Tensor:$input, Yan_IndexTensor:$indices,
                       Yan_F32Tensor:$weights, Yan_WeightTensor:$w1,
                       Yan_WeightTensor:$w3, Yan_WeightTensor:$w2,
                       Yan_F32Tensor:$grad, Yan_IndexTensor:$chosen,
                       UnitAttr:$weight_gradients_only);
  let results = (outs Yan_F32Tensor:$dinput, Yan_F32Tensor:$dweights,
                      Yan_IndexTensor:$counts, Yan_F32Tensor:$a1,
                      Yan_F32Tensor:$a3, Yan_F32Tensor:$g,
                      Yan_F32Tensor:$xs, Yan_F32Tensor:$ds);
  let assemblyFormat = [{
    $input `,` $indices `,` $weights `,` $w1 `,` $w3 `,` $w2 `,` $grad `,` $chosen attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Yan_PartitionGradSquaresOp : Yan_Op<"partition_grad_squares", [Pure]> {
  let summary = "sum of the squared norms of a layer's chosen-partition weight gradients";
  let description = [{
    Takes the factors yan.partitioned_ffn_grad produces and returns
    sum over slots i and matrices w in (w1, w3, w2) of ||dw[i]||^2, each norm
    computed on its own and rounded to f32 before it is squared (as
    torch.nn.utils.clip_grad_norm_ stacks per-tensor norms). The gradients
    are materialized a block of a row at a time, never stored.
  }];
  let arguments = (ins Yan_IndexTensor:$counts, Yan_F32Tensor:$a1,
                       Yan_F32Tensor:$a3, Yan_F32Tensor:$g,
                       Yan_F32Tensor:$xs, Yan_F32Tensor:$ds);
  let results = (outs 0DTensorOf<[F32]>:$squares);
  let assemblyFormat = [{
    $counts `,` $a1 `,` $a3 `,` $g `,` $xs `,` $ds attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Yan_GlobalNormOp : Yan_Op<"global_norm", [Pure]> {
  let summary = "the global L2 norm from squared partial norms: sqrt(sum of operands)";
  let description = [{
    With one operand per layer from yan.partition_grad_squares, this is the
    norm clip_grad_norm_ measures over all trainable gradients together.
  }];
  let arguments = (ins Variadic<0DTensorOf<[F32]>>:$squares);
  let results = (outs 0DTensorOf<[F32]>:$norm);
  let assemblyFormat = "$squares attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif // YAN_GRAD_OPS_TD
