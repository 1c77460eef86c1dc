// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops=vector-width=4 | FileCheck %s

// yan.lm_head: the final rms norm of every position into a [maxTokens, D]
// arena scratch (thread 0), a barrier, then the vocabulary projection with
// the dot kernel (rows shared among threads) into the caller's logits.

// Prefill, V=10 (two 4-row blocks and a 2-row tail), D=8.
yan.weight @embed : tensor<10x8xf32>
yan.weight @norm : tensor<8xf32>
yan.weight @head : tensor<10x8xf32>
// CHECK-LABEL: func.func @yan_prefill(
// CHECK-SAME: %[[L:[^:]*]]: memref<?xf32>, %{{[^:]*}}: memref<?xi64>
// CHECK-SAME: yan.max_tokens = 256 : i64
// CHECK: %[[HEAD:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<10x8xf32>
// CHECK: %[[LOGITS:.*]] = memref.reinterpret_cast %[[L]] to offset: [0], sizes: [%{{.*}}, 10], strides: [10, 1]
// CHECK: %[[NORMED:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<256x8xf32>
// CHECK: math.sqrt
// CHECK: memref.store %{{.*}}, %[[NORMED]]
// CHECK: func.call_indirect
// CHECK: vector.load %[[NORMED]]{{.*}} : memref<256x8xf32>, vector<4xf32>
// CHECK: vector.load %[[HEAD]]{{.*}} : memref<10x8xf32>, vector<4xf32>
// CHECK: memref.store %{{.*}}, %[[LOGITS]]
func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x10xf32> {
  %table = yan.weight_ref @embed : tensor<10x8xf32>
  %x = yan.embed %table, %tokens : (tensor<10x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %nw = yan.weight_ref @norm : tensor<8xf32>
  %head = yan.weight_ref @head : tensor<10x8xf32>
  %logits = yan.lm_head %x, %nw, %head {eps = 1.0e-5 : f32} : (tensor<?x8xf32>, tensor<8xf32>, tensor<10x8xf32>) -> tensor<?x10xf32>
  return %logits : tensor<?x10xf32>
}

// -----

// Decode with bf16 head rows (widened per vector) and an odd D=7.
yan.weight @embed : tensor<10x7xf32>
yan.weight @norm : tensor<7xf32>
yan.weight @head : tensor<10x7xbf16>
// CHECK-LABEL: func.func @yan_decode(
// CHECK: memref.view %{{.*}} : memref<?xi8> to memref<1x7xf32>
// CHECK: vector.load %{{.*}} : memref<10x7xbf16>, vector<4xbf16>
// CHECK-NEXT: arith.extf %{{.*}} : vector<4xbf16> to vector<4xf32>
// CHECK: scf.for %{{[^ ]*}} = %c4{{[_0-9]*}} to %c7
// CHECK: memref.load %{{.*}} : memref<10x7xbf16>
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x10xf32> {
  %table = yan.weight_ref @embed : tensor<10x7xf32>
  %x = yan.embed %table, %tokens : (tensor<10x7xf32>, tensor<1xi32>) -> tensor<1x7xf32>
  %nw = yan.weight_ref @norm : tensor<7xf32>
  %head = yan.weight_ref @head : tensor<10x7xbf16>
  %logits = yan.lm_head %x, %nw, %head {eps = 1.0e-5 : f32} : (tensor<1x7xf32>, tensor<7xf32>, tensor<10x7xbf16>) -> tensor<1x10xf32>
  return %logits : tensor<1x10xf32>
}
