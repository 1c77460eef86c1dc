// RUN: yan-opt %s | FileCheck %s
// RUN: yan-opt %s --mlir-print-op-generic | yan-opt | FileCheck %s
// RUN: yan-opt %s --verify-roundtrip

// A one-layer model (V=16, D=8, C=2, K=3, P=4, k=2, F=4), written by hand.
module {
  // CHECK: yan.weight @embed.weight : tensor<16x8xf32>
  yan.weight @embed.weight : tensor<16x8xf32>
  yan.weight @"l.norm" : tensor<8xbf16>
  yan.weight @"l.u" : tensor<8x8xf16>
  yan.weight @"l.router" : tensor<4x8xf32>
  yan.weight @"l.w1" : tensor<4x4x8xf32>
  yan.weight @"l.w3" : tensor<4x4x8xf32>
  yan.weight @"l.w2" : tensor<4x8x4xf32>
  yan.weight @head : tensor<16x8xf32>

  // CHECK-LABEL: func.func @forward
  func.func @forward(%tokens: tensor<?xi32>, %h: tensor<8xf32>, %hist: tensor<2x8xf32>)
      -> (tensor<?x16xf32>, tensor<8xf32>, tensor<2x8xf32>, tensor<f32>) {
    %table = yan.weight_ref @embed.weight : tensor<16x8xf32>
    // CHECK: yan.embed %{{.*}}, %{{.*}} : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
    %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
    %nw = yan.weight_ref @"l.norm" : tensor<8xbf16>
    // CHECK: yan.rms_norm {{.*}} {eps = 9.99999974E-6 : f32}
    %a = yan.rms_norm %x, %nw {eps = 1.0e-5 : f32} : (tensor<?x8xf32>, tensor<8xbf16>) -> tensor<?x8xf32>
    %wu = yan.weight_ref @"l.u" : tensor<8x8xf16>
    // CHECK: yan.linear
    %u = yan.linear %a, %wu : (tensor<?x8xf32>, tensor<8x8xf16>) -> tensor<?x8xf32>
    // CHECK: yan.mcsd {{.*}} {decays = array<f32: 5.000000e-01, 7.500000e-01>, num_channels = 2 : i64, slope_window = 3 : i64, slopes = array<f32: 1.250000e-01, 2.500000e-01>}
    %m, %h2, %hist2 = yan.mcsd %u, %u, %u, %h, %hist
        {num_channels = 2, slope_window = 3, decays = array<f32: 0.5, 0.75>, slopes = array<f32: 0.125, 0.25>}
        : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<8xf32>, tensor<2x8xf32>)
          -> (tensor<?x8xf32>, tensor<8xf32>, tensor<2x8xf32>)
    %x2 = arith.addf %x, %m : tensor<?x8xf32>
    %wr = yan.weight_ref @"l.router" : tensor<4x8xf32>
    // CHECK: yan.router {{.*}} {active_partitions = 2 : i64}
    %idx, %alpha = yan.router %x2, %wr {active_partitions = 2}
        : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %w1 = yan.weight_ref @"l.w1" : tensor<4x4x8xf32>
    %w3 = yan.weight_ref @"l.w3" : tensor<4x4x8xf32>
    %w2 = yan.weight_ref @"l.w2" : tensor<4x8x4xf32>
    // CHECK: yan.partitioned_ffn
    %f = yan.partitioned_ffn %x2, %idx, %alpha, %w1, %w3, %w2
        : (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>) -> tensor<?x8xf32>
    %head = yan.weight_ref @head : tensor<16x8xf32>
    %fw = yan.weight_ref @"l.norm" : tensor<8xbf16>
    // CHECK: yan.lm_head
    %logits = yan.lm_head %f, %fw, %head {eps = 1.0e-5 : f32}
        : (tensor<?x8xf32>, tensor<8xbf16>, tensor<16x8xf32>) -> tensor<?x16xf32>
    // CHECK: yan.cross_entropy
    %loss = yan.cross_entropy %logits, %tokens : (tensor<?x16xf32>, tensor<?xi32>) -> tensor<f32>
    return %logits, %h2, %hist2, %loss : tensor<?x16xf32>, tensor<8xf32>, tensor<2x8xf32>, tensor<f32>
  }
}
