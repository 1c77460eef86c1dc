// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops=vector-width=4 | FileCheck %s

// yan.rms_norm: per position, the mean of squares over the whole width (a
// reassociable sum, which every thread computes alike), 1/sqrt(mean + eps),
// then x * scale * weight over this thread's share of the columns.

yan.weight @embed : tensor<16x8xf32>
yan.weight @norm : tensor<8xf32>
// CHECK-LABEL: func.func @yan_decode(
// CHECK: %[[NW:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<8xf32>
// CHECK: %[[OUT:.*]] = memref.reinterpret_cast
// This thread's columns, in whole vectors of 4.
// CHECK: %[[VECS:.*]] = arith.ceildivui %c8{{[_0-9]*}}, %c4
// CHECK: %[[PER:.*]] = arith.ceildivui %[[VECS]], %{{.*}} : index
// CHECK: %[[SHARE:.*]] = arith.muli %[[PER]], %c4
// CHECK: %[[B0:.*]] = arith.muli %{{.*}}, %[[SHARE]]
// CHECK: %[[B:.*]] = arith.minui %[[B0]], %c8
// CHECK: %[[E0:.*]] = arith.addi %[[B]], %[[SHARE]]
// CHECK: %[[E:.*]] = arith.minui %[[E0]], %c8
// CHECK-NOT: scf.if
// CHECK: scf.for %[[T:[^ ]*]] =
// CHECK: %[[SUM:.*]] = scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %c8{{[_0-9]*}} step %c1{{[_0-9]*}} iter_args
// CHECK: %[[SQ:.*]] = arith.mulf
// CHECK: arith.addf %{{.*}}, %[[SQ]] fastmath<reassoc> : f32
// CHECK: %[[MEAN:.*]] = arith.divf %[[SUM]], %{{.*}} : f32
// CHECK: %[[SHIFTED:.*]] = arith.addf %[[MEAN]], %{{.*}} : f32
// CHECK: %[[ROOT:.*]] = math.sqrt %[[SHIFTED]] : f32
// CHECK: %[[SCALE:.*]] = arith.divf %{{.*}}, %[[ROOT]] : f32
// CHECK: scf.for %[[D:[^ ]*]] = %[[B]] to %[[E]]
// CHECK: %[[X:.*]] = memref.load %{{.*}}[%[[T]], %[[D]]]
// CHECK: %[[XS:.*]] = arith.mulf %[[X]], %[[SCALE]] : f32
// CHECK: %[[W:.*]] = memref.load %[[NW]][%[[D]]] : memref<8xf32>
// CHECK: %[[Y:.*]] = arith.mulf %[[XS]], %[[W]] : f32
// CHECK: memref.store %[[Y]], %[[OUT]][%[[T]], %[[D]]]
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x8xf32> {
  %table = yan.weight_ref @embed : tensor<16x8xf32>
  %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<1xi32>) -> tensor<1x8xf32>
  %nw = yan.weight_ref @norm : tensor<8xf32>
  %a = yan.rms_norm %x, %nw {eps = 1.0e-5 : f32} : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
  return %a : tensor<1x8xf32>
}

// -----

// Prefill over an odd width (D=5, no vector tail to care about: the norm is
// scalar) with an f16 weight: the mean divides by 5 and the weight is
// widened.
yan.weight @embed : tensor<16x5xf32>
yan.weight @norm : tensor<5xf16>
// CHECK-LABEL: func.func @yan_prefill(
// CHECK: %[[N:[^ ]*]] = memref.dim
// CHECK: scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %[[N]]
// CHECK: scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %c5
// CHECK: arith.constant 5.000000e+00 : f32
// CHECK: arith.constant 9.99999974E-6 : f32
// CHECK: math.sqrt
// CHECK: memref.load %{{.*}} : memref<5xf16>
// CHECK-NEXT: arith.extf %{{.*}} : f16 to f32
func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x5xf32> {
  %table = yan.weight_ref @embed : tensor<16x5xf32>
  %x = yan.embed %table, %tokens : (tensor<16x5xf32>, tensor<?xi32>) -> tensor<?x5xf32>
  %nw = yan.weight_ref @norm : tensor<5xf16>
  %a = yan.rms_norm %x, %nw {eps = 1.0e-5 : f32} : (tensor<?x5xf32>, tensor<5xf16>) -> tensor<?x5xf32>
  return %a : tensor<?x5xf32>
}
