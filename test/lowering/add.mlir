// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops=vector-width=4 | FileCheck %s

// arith.addf on activations (the residual connections): elementwise over
// the positions and this thread's share of the width (whole vectors), into
// the result's buffer.

// An odd width (D=5) over a run-time number of positions; the sum is the
// returned value, so it lands in the caller's logits.
yan.weight @embed : tensor<16x5xf32>
// CHECK-LABEL: func.func @yan_prefill(
// CHECK: %[[N:[^ ]*]] = memref.dim
// CHECK: %[[X:.*]] = memref.view %{{.*}}[%[[N]]] : memref<?xi8> to memref<?x5xf32>
// CHECK: func.call_indirect
// CHECK: %[[OUT:.*]] = memref.reinterpret_cast %{{.*}} sizes: [%[[N]], 5]
// This thread's columns: ceil(ceil(5 / 4) / threads) vectors of 4, from
// thread_index times that, clamped to the width.
// CHECK: %[[VECS:.*]] = arith.ceildivui %c5{{[_0-9]*}}, %c4
// CHECK: %[[PER:.*]] = arith.ceildivui %[[VECS]], %{{.*}} : index
// CHECK: %[[SHARE:.*]] = arith.muli %[[PER]], %c4
// CHECK: %[[B0:.*]] = arith.muli %{{.*}}, %[[SHARE]]
// CHECK: %[[B:.*]] = arith.minui %[[B0]], %c5
// CHECK: %[[E0:.*]] = arith.addi %[[B]], %[[SHARE]]
// CHECK: %[[E:.*]] = arith.minui %[[E0]], %c5
// CHECK-NOT: scf.if
// CHECK: scf.for %[[T:[^ ]*]] = %c0{{[_0-9]*}} to %[[N]]
// CHECK: scf.for %[[D:[^ ]*]] = %[[B]] to %[[E]]
// CHECK: %[[A:.*]] = memref.load %[[X]][%[[T]], %[[D]]]
// CHECK: %[[B:.*]] = memref.load %[[X]][%[[T]], %[[D]]]
// CHECK: %[[S:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK: memref.store %[[S]], %[[OUT]][%[[T]], %[[D]]]
func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x5xf32> {
  %table = yan.weight_ref @embed : tensor<16x5xf32>
  %x = yan.embed %table, %tokens : (tensor<16x5xf32>, tensor<?xi32>) -> tensor<?x5xf32>
  %y = arith.addf %x, %x : tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}
