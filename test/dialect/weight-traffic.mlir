// RUN: yan-opt %s -yan-weight-traffic=per-op -verify-diagnostics -o /dev/null

// Bytes one token reads: embedding 1 of 16 rows of 8 f32 = 32; rms_norm bf16
// weight 8*2 = 16; dense linear f16 8x8*2 = 128; router 4x8*4 = 128; the FFN
// reads k=2 of P=4 partitions of w1, w3 (4x8 f32 = 128 bytes each) and w2:
// 3 * 2 * 128 = 768 of 1536; lm_head reads norm 32 + 16x8*4 = 544.
module {
  // expected-remark @below {{weight bytes per token: 1616 (dense 816, partitioned 800 of 2048)}}
  func.func @forward(%tokens: tensor<?xi32>) -> tensor<?x16xf32> {
    %table = yan.weight_ref @embed : tensor<16x8xf32>
    // expected-remark @below {{weight bytes per token: 32}}
    %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
    %nw = yan.weight_ref @norm : tensor<8xbf16>
    // expected-remark @below {{weight bytes per token: 16}}
    %a = yan.rms_norm %x, %nw {eps = 1.0e-5 : f32} : (tensor<?x8xf32>, tensor<8xbf16>) -> tensor<?x8xf32>
    %wu = yan.weight_ref @u : tensor<8x8xf16>
    // expected-remark @below {{weight bytes per token: 128}}
    %u = yan.linear %a, %wu : (tensor<?x8xf32>, tensor<8x8xf16>) -> tensor<?x8xf32>
    %wr = yan.weight_ref @router : tensor<4x8xf32>
    // expected-remark @below {{weight bytes per token: 128}}
    %idx, %alpha = yan.router %u, %wr {active_partitions = 2}
        : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %w1 = yan.weight_ref @w1 : tensor<4x4x8xf32>
    %w3 = yan.weight_ref @w3 : tensor<4x4x8xf32>
    %w2 = yan.weight_ref @w2 : tensor<4x8x4xf32>
    // expected-remark @below {{weight bytes per token: 768}}
    %f = yan.partitioned_ffn %u, %idx, %alpha, %w1, %w3, %w2
        : (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>) -> tensor<?x8xf32>
    %head = yan.weight_ref @head : tensor<16x8xf32>
    %fn = yan.weight_ref @final_norm : tensor<8xf32>
    // expected-remark @below {{weight bytes per token: 544}}
    %logits = yan.lm_head %f, %fn, %head {eps = 1.0e-5 : f32}
        : (tensor<?x8xf32>, tensor<8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
    return %logits : tensor<?x16xf32>
  }
  yan.weight @embed : tensor<16x8xf32>
  yan.weight @norm : tensor<8xbf16>
  yan.weight @u : tensor<8x8xf16>
  yan.weight @router : tensor<4x8xf32>
  yan.weight @w1 : tensor<4x4x8xf32>
  yan.weight @w3 : tensor<4x4x8xf32>
  yan.weight @w2 : tensor<4x8x4xf32>
  yan.weight @head : tensor<16x8xf32>
  yan.weight @final_norm : tensor<8xf32>
}
