// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops=vector-width=4 | FileCheck %s

// yan.router: per position (thread 0) the router logits through the dot
// kernel into a [P] scratch, top-k by repeated selection (the largest logit
// not yet picked; '>' scanning upwards keeps the lower index on ties; the
// first unpicked partition is taken even when its logit is NaN), each pick
// counted in stats[l*P + p], then a softmax over the picked logits.

// P=4, k=2, D=8, prefill.
yan.weight @embed : tensor<16x8xf32>
yan.weight @router : tensor<4x8xf32>
// CHECK-LABEL: func.func @yan_prefill(
// CHECK-SAME: %[[STATS:[^:]*]]: memref<?xi64>,
// CHECK: %[[IDX:.*]] = memref.view %{{.*}} to memref<?x2xi32>
// The weights are the returned value: the caller's logits buffer.
// CHECK: %[[ALPHA:.*]] = memref.reinterpret_cast %{{.*}} to memref<?x2xf32>
// CHECK: %[[LOGITS:.*]] = memref.view %{{.*}} to memref<4xf32>
// CHECK: scf.for %[[T:[^ ]*]] = %c0{{[_0-9]*}} to %{{.*}}
// CHECK: vector.load %{{.*}} : memref<4x8xf32>, vector<4xf32>
// CHECK: memref.store %{{.*}}, %[[LOGITS]]
// CHECK: scf.for %[[J:[^ ]*]] = %c0{{[_0-9]*}} to %c2
// CHECK: %[[BEST:.*]]:2 = scf.for %[[P:[^ ]*]] = %c0{{[_0-9]*}} to %c4{{[_0-9]*}} step %{{.*}} iter_args(%[[V:[^ ]*]] = %{{.*}}, %[[I:[^ ]*]] = %c-1_i32) -> (f32, i32)
// Already picked among the first j picks?
// CHECK: %[[TAKEN:.*]] = scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %[[J]] {{.*}} -> (i1)
// CHECK: %[[L:.*]] = memref.load %[[LOGITS]][%[[P]]]
// CHECK: %[[NONE:.*]] = arith.cmpi slt, %[[I]], %c0_i32
// CHECK: %[[GREATER:.*]] = arith.cmpf ogt, %[[L]], %[[V]] : f32
// CHECK: %[[EITHER:.*]] = arith.ori %[[NONE]], %[[GREATER]]
// CHECK: %[[FREE:.*]] = arith.xori %[[TAKEN]], %true
// CHECK: %[[BETTER:.*]] = arith.andi %[[FREE]], %[[EITHER]]
// CHECK: arith.select %[[BETTER]], %[[L]], %[[V]] : f32
// CHECK: memref.store %[[BEST]]#1, %[[IDX]][%[[T]], %[[J]]]
// CHECK: memref.store %[[BEST]]#0, %[[ALPHA]][%[[T]], %[[J]]]
// Layer 0's counters start at 0.
// CHECK: %[[P2:.*]] = arith.index_cast %[[BEST]]#1 : i32 to index
// CHECK: %[[SLOT:.*]] = arith.addi %[[P2]], %c0
// CHECK: memref.load %[[STATS]][%[[SLOT]]]
// CHECK: memref.store %{{.*}}, %[[STATS]][%[[SLOT]]]
// The softmax: exp(r - first pick), then divided by the sum.
// CHECK: %[[FIRSTPICK:.*]] = memref.load %[[ALPHA]][%[[T]], %c0
// CHECK: scf.for
// CHECK: arith.subf %{{.*}}, %[[FIRSTPICK]]
// CHECK: math.exp
// CHECK: scf.for
// CHECK: arith.divf
func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x2xf32> {
  %table = yan.weight_ref @embed : tensor<16x8xf32>
  %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %wr = yan.weight_ref @router : tensor<4x8xf32>
  %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  return %alpha : tensor<?x2xf32>
}

// -----

// Two routers (two layers) of P=3, odd D=5: layer 1 counts at stats[3 + p]
// and the entry has 2 * L * P = 12 counters.
yan.weight @embed : tensor<16x5xf32>
yan.weight @r0 : tensor<3x5xf32>
yan.weight @r1 : tensor<3x5xf32>
// CHECK-LABEL: func.func @yan_decode(
// CHECK-SAME: yan.stats_counters = 12 : i64
// CHECK: arith.addi %{{.*}}, %c0{{[_0-9]*}} : index
// CHECK: memref.load %{{.*}} : memref<?xi64>
// CHECK: arith.addi %{{.*}}, %c3{{[_0-9]*}} : index
// CHECK: memref.load %{{.*}} : memref<?xi64>
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x1xf32> {
  %table = yan.weight_ref @embed : tensor<16x5xf32>
  %x = yan.embed %table, %tokens : (tensor<16x5xf32>, tensor<1xi32>) -> tensor<1x5xf32>
  %w0 = yan.weight_ref @r0 : tensor<3x5xf32>
  %i0, %a0 = yan.router %x, %w0 {active_partitions = 1} : (tensor<1x5xf32>, tensor<3x5xf32>) -> (tensor<1x1xi32>, tensor<1x1xf32>)
  %w1 = yan.weight_ref @r1 : tensor<3x5xf32>
  %i1, %a1 = yan.router %x, %w1 {active_partitions = 1} : (tensor<1x5xf32>, tensor<3x5xf32>) -> (tensor<1x1xi32>, tensor<1x1xf32>)
  return %a1 : tensor<1x1xf32>
}
