// RUN: yan-opt %s -yan-layout-weights -yan-lower-to-loops=vector-width=4 | FileCheck %s

// Lazy trust (ops/VerifyPartitions.cpp): before the routed feed-forward
// reads a partition, thread 0 calls the runtime's verify callback for every
// routed pick whose byte in `verified` (slot l*P + p) is 0; after the
// barrier the rest of the entry runs only when the failure byte
// verified[L*P] is 0, or when there is no map (a NULL pointer).
yan.weight @embed : tensor<16x6xf32>
yan.weight @router : tensor<3x6xf32>
yan.weight @w1 : tensor<3x5x6xf32>
yan.weight @w3 : tensor<3x5x6xf32>
yan.weight @w2 : tensor<3x6x5xf32>
// CHECK-LABEL: func.func @yan_decode(
// CHECK-SAME: %[[POOL:[^:]*]]: i64, %[[BARRIER:[^:]*]]: (i64) -> (), %[[VERIFIED:[^:]*]]: memref<?xi8>, %[[VERIFY:[^:]*]]: (i64, i64) -> (), %[[VERIFIER:[^:]*]]: i64, %{{[^:]*}}: memref<?xi64>, %{{[^:]*}}: memref<?xi8>, %{{[^:]*}}: memref<?xi8>)
// CHECK: %[[IDX:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<1x3xi32>
// CHECK: %[[MAP:.*]] = memref.extract_aligned_pointer_as_index %[[VERIFIED]]
// CHECK: %[[LAZY:.*]] = arith.cmpi ne, %[[MAP]]
// CHECK: scf.if %[[LAZY]] {
// CHECK: scf.for %[[T:[^ ]*]] = %c0{{[_0-9]*}} to %c1
// CHECK: scf.for %[[J:[^ ]*]] = %c0{{[_0-9]*}} to %c3
// CHECK: memref.load %[[IDX]][%[[T]], %[[J]]] : memref<1x3xi32>
// CHECK: %[[SLOT:.*]] = arith.addi
// CHECK: %[[BYTE:.*]] = memref.load %[[VERIFIED]][%[[SLOT]]] : memref<?xi8>
// CHECK: %[[UNSET:.*]] = arith.cmpi eq, %[[BYTE]]
// CHECK: scf.if %[[UNSET]] {
// CHECK: %[[SLOT64:.*]] = arith.index_cast %[[SLOT]] : index to i64
// CHECK: func.call_indirect %[[VERIFY]](%[[VERIFIER]], %[[SLOT64]]) : (i64, i64) -> ()
// CHECK: func.call_indirect %[[BARRIER]](%[[POOL]])
// CHECK: %[[OK:.*]] = scf.if
// CHECK: memref.load %[[VERIFIED]][%c3{{[_0-9]*}}] : memref<?xi8>
// CHECK: scf.if %[[OK]] {
// CHECK: vector.load
// CHECK: return
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x6xf32> {
  %table = yan.weight_ref @embed : tensor<16x6xf32>
  %x = yan.embed %table, %tokens : (tensor<16x6xf32>, tensor<1xi32>) -> tensor<1x6xf32>
  %wr = yan.weight_ref @router : tensor<3x6xf32>
  %idx, %alpha = yan.router %x, %wr {active_partitions = 3} : (tensor<1x6xf32>, tensor<3x6xf32>) -> (tensor<1x3xi32>, tensor<1x3xf32>)
  %w1 = yan.weight_ref @w1 : tensor<3x5x6xf32>
  %w3 = yan.weight_ref @w3 : tensor<3x5x6xf32>
  %w2 = yan.weight_ref @w2 : tensor<3x6x5xf32>
  %f = yan.partitioned_ffn %x, %idx, %alpha, %w1, %w3, %w2 : (tensor<1x6xf32>, tensor<1x3xi32>, tensor<1x3xf32>, tensor<3x5x6xf32>, tensor<3x5x6xf32>, tensor<3x6x5xf32>) -> tensor<1x6xf32>
  return %f : tensor<1x6xf32>
}
