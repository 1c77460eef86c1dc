// RUN: yan-opt %s -yan-weight-traffic=per-op -verify-diagnostics -o /dev/null

// Quantized weights (storage = "int8"/"int4") read their slabs, scales
// included (docs/yan-model.md section 9): embedding int8 [16,64] is one
// slab of 16*64 + 64 scale bytes = 1088, a token reads 1/16 = 68; linear
// int4 [64,64]: 64*32 + 256 = 2304; router f32 4*64*4 = 1024; FFN int4
// partitions [32,64] and [64,32] are 1152 bytes each, k=2 of P=4 for w1,
// w3, w2: 6 * 1152 = 6912 of 13824.
module {
  // expected-remark @below {{weight bytes per token: 10308 (dense 3328, partitioned 6980 of 14912)}}
  func.func @forward(%tokens: tensor<?xi32>) -> tensor<?x64xf32> {
    %table = yan.weight_ref @embed : tensor<16x64xf32>
    // expected-remark @below {{weight bytes per token: 68}}
    %x = yan.embed %table, %tokens : (tensor<16x64xf32>, tensor<?xi32>) -> tensor<?x64xf32>
    %wu = yan.weight_ref @u : tensor<64x64xf32>
    // expected-remark @below {{weight bytes per token: 2304}}
    %u = yan.linear %x, %wu : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
    %wr = yan.weight_ref @router : tensor<4x64xf32>
    // expected-remark @below {{weight bytes per token: 1024}}
    %idx, %alpha = yan.router %u, %wr {active_partitions = 2}
        : (tensor<?x64xf32>, tensor<4x64xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %w1 = yan.weight_ref @w1 : tensor<4x32x64xf32>
    %w3 = yan.weight_ref @w3 : tensor<4x32x64xf32>
    %w2 = yan.weight_ref @w2 : tensor<4x64x32xf32>
    // expected-remark @below {{weight bytes per token: 6912}}
    %f = yan.partitioned_ffn %u, %idx, %alpha, %w1, %w3, %w2
        : (tensor<?x64xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x32x64xf32>, tensor<4x32x64xf32>, tensor<4x64x32xf32>) -> tensor<?x64xf32>
    return %f : tensor<?x64xf32>
  }
  yan.weight @embed : tensor<16x64xf32> {storage = "int8"}
  yan.weight @u : tensor<64x64xf32> {storage = "int4"}
  yan.weight @router : tensor<4x64xf32>
  yan.weight @w1 : tensor<4x32x64xf32> {storage = "int4"}
  yan.weight @w3 : tensor<4x32x64xf32> {storage = "int4"}
  yan.weight @w2 : tensor<4x64x32xf32> {storage = "int4"}
}
