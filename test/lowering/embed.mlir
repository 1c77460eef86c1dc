// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops=vector-width=4 | FileCheck %s

// yan.embed: one table row per token, copied on thread 0 into the output
// (here the entry's logits, so the copy lands in the caller's buffer).

// A decode entry: the token count is the signature's.
yan.weight @embed : tensor<16x8xf32>
// CHECK-LABEL: func.func @yan_decode(
// CHECK-SAME: %[[W:[^:]*]]: memref<?xi8>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xi8>, %[[T:[^:]*]]: memref<?xi32>, %[[L:[^:]*]]: memref<?xf32>
// CHECK-DAG: %[[TABLE:.*]] = memref.view %[[W]][%{{.*}}][] : memref<?xi8> to memref<16x8xf32>
// CHECK-DAG: %[[OUT:.*]] = memref.reinterpret_cast %[[L]] to offset: [0], sizes: [%{{.*}}, 8], strides: [8, 1]
// CHECK: scf.if
// CHECK: scf.for %[[POS:[^ ]*]] = %c0{{[_0-9]*}} to %c1 step %c1{{[_0-9]*}}
// CHECK: %[[TOKEN:.*]] = memref.load %[[T]][%[[POS]]] : memref<?xi32>
// CHECK: %[[ROW:.*]] = arith.index_cast %[[TOKEN]] : i32 to index
// CHECK: scf.for %[[D:[^ ]*]] = %c0{{[_0-9]*}} to %c8 step %c1{{[_0-9]*}}
// CHECK: %[[V:.*]] = memref.load %[[TABLE]][%[[ROW]], %[[D]]] : memref<16x8xf32>
// CHECK: memref.store %[[V]], %[[OUT]][%[[POS]], %[[D]]]
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x8xf32> {
  %table = yan.weight_ref @embed : tensor<16x8xf32>
  %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<1xi32>) -> tensor<1x8xf32>
  return %x : tensor<1x8xf32>
}

// -----

// A prefill entry over a run-time token count, an odd width and f16 rows
// (widened to f32 on the way).
yan.weight @embed : tensor<11x5xf16>
// CHECK-LABEL: func.func @yan_prefill(
// CHECK-SAME: %{{[^:]*}}: memref<?xi8>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xi8>, %[[T:[^:]*]]: memref<?xi32>
// CHECK: %[[N:[^ ]*]] = memref.dim %[[T]], %c0 : memref<?xi32>
// CHECK: scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %[[N]] step %c1{{[_0-9]*}}
// CHECK: scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %c5 step %c1{{[_0-9]*}}
// CHECK: %[[H:.*]] = memref.load %{{.*}} : memref<11x5xf16>
// CHECK: arith.extf %[[H]] : f16 to f32
func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x5xf32> {
  %table = yan.weight_ref @embed : tensor<11x5xf16>
  %x = yan.embed %table, %tokens : (tensor<11x5xf16>, tensor<?xi32>) -> tensor<?x5xf32>
  return %x : tensor<?x5xf32>
}
