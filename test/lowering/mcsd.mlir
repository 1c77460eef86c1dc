// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops=vector-width=2 | FileCheck %s

// yan.mcsd: a vector of features at a time (each thread its share of the
// features, in whole vectors), channel by channel, positions in order; the
// decay state h and the last K-1 inputs travel as loop-carried values, so
// the caller's state is read once and written back once, in place. A
// channel's features past its whole vectors go one at a time.

// Two channels of two features (one vector of 2 each), K=3: the carried
// values are (h, u_{t-1}, u_{t-2}), read from h and u_hist's rows newest
// first.
yan.weight @embed : tensor<16x4xf32>
// CHECK-LABEL: func.func @yan_decode(
// CHECK-SAME: %{{[^:]*}}: memref<?xi8>, %[[S:[^:]*]]: memref<?xf32>
// CHECK-DAG: %[[H:.*]] = memref.reinterpret_cast %[[S]] to offset: [0], sizes: [4], strides: [1]
// CHECK-DAG: %[[HIST:.*]] = memref.reinterpret_cast %[[S]] to offset: [4], sizes: [2, 4], strides: [4, 1]
// This thread's features [B, E), in whole vectors of 2.
// CHECK: %[[VECS:.*]] = arith.ceildivui %c4{{[_0-9]*}}, %c2
// CHECK: %[[PER:.*]] = arith.ceildivui %[[VECS]], %{{.*}} : index
// CHECK: %[[SHARE:.*]] = arith.muli %[[PER]], %c2
// CHECK: %[[B0:.*]] = arith.muli %{{.*}}, %[[SHARE]]
// CHECK: %[[B:.*]] = arith.minui %[[B0]], %c4
// CHECK: %[[E0:.*]] = arith.addi %[[B]], %[[SHARE]]
// CHECK: %[[E:.*]] = arith.minui %[[E0]], %c4
// Channel 0: its features [0, 2) within [B, E).
// CHECK: %[[LB0:.*]] = arith.maxui %[[B]], %c0
// CHECK: %[[MIN0:.*]] = arith.minui %[[E]], %c2
// A thread whose share starts past the channel gets an empty range, never
// end < begin (the whole vectors' end would wrap around).
// CHECK: %[[UB0:.*]] = arith.maxui %[[LB0]], %[[MIN0]]
// CHECK-NOT: scf.if
// CHECK: %[[VEND0:.*]] = arith.addi %[[LB0]], %{{.*}}
// CHECK: scf.for %[[I:[^ ]*]] = %[[LB0]] to %[[VEND0]] step %c2
// CHECK: %[[H0:.*]] = vector.load %[[H]][%[[I]]] : {{.*}}, vector<2xf32>
// CHECK: %[[U1:.*]] = vector.load %[[HIST]][%c1{{[_0-9]*}}, %[[I]]]
// CHECK: %[[U2:.*]] = vector.load %[[HIST]][%c0{{[_0-9]*}}, %[[I]]]
// CHECK: %{{.*}}:3 = scf.for %{{[^ ]*}} = {{.*}} iter_args(%[[CH:[^ ]*]] = %[[H0]], %[[CU1:[^ ]*]] = %[[U1]], %[[CU2:[^ ]*]] = %[[U2]]) -> (vector<2xf32>, vector<2xf32>, vector<2xf32>)
// The slope window s = u_t + (1 - slope) u_{t-1} + (1 - 2 slope) u_{t-2}.
// CHECK: %[[UT:.*]] = vector.load
// CHECK: arith.mulf %{{.*}}, %[[CU1]] fastmath<contract>
// CHECK: arith.mulf %{{.*}}, %[[CU2]] fastmath<contract>
// h_t = decay h + (1 - decay) v_t.
// CHECK: %[[DECAYED:.*]] = arith.mulf %{{.*}}, %[[CH]] : vector<2xf32>
// CHECK: %[[HNEW:.*]] = arith.addf %{{.*}}, %[[DECAYED]] fastmath<contract>
// m = s h_t silu(q_t); the window shifts by one.
// CHECK: math.exp
// CHECK: vector.store
// CHECK: scf.yield %[[HNEW]], %[[UT]], %[[CU1]] : vector<2xf32>, vector<2xf32>, vector<2xf32>
// The final state goes back in place.
// CHECK: vector.store %{{.*}}#0, %[[H]][%[[I]]]
// CHECK: vector.store %{{.*}}#1, %[[HIST]][%c1{{[_0-9]*}}, %[[I]]]
// CHECK: vector.store %{{.*}}#2, %[[HIST]][%c0{{[_0-9]*}}, %[[I]]]
// Then the features past whole vectors, one at a time (none here).
// CHECK: scf.for %[[J:[^ ]*]] = %[[VEND0]] to %[[UB0]] step %c1
// CHECK: memref.load %[[H]][%[[J]]]
// CHECK: -> (f32, f32, f32)
// Channel 1: features [2, 4) within [B, E).
// CHECK: %[[LB1:.*]] = arith.maxui %[[B]], %c2
// CHECK: %[[MIN1:.*]] = arith.minui %[[E]], %c4
// CHECK: %[[UB1:.*]] = arith.maxui %[[LB1]], %[[MIN1]]
// CHECK: scf.for %{{[^ ]*}} = %[[LB1]] to %{{.*}} step %c2
func.func @decode(%tokens: tensor<1xi32>, %h: tensor<4xf32>, %hist: tensor<2x4xf32>) -> (tensor<1x4xf32>, tensor<4xf32>, tensor<2x4xf32>) {
  %table = yan.weight_ref @embed : tensor<16x4xf32>
  %x = yan.embed %table, %tokens : (tensor<16x4xf32>, tensor<1xi32>) -> tensor<1x4xf32>
  %m, %h2, %hist2 = yan.mcsd %x, %x, %x, %h, %hist {num_channels = 2, slope_window = 3, decays = array<f32: 0.5, 0.75>, slopes = array<f32: 0.125, 0.25>}
      : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<4xf32>, tensor<2x4xf32>) -> (tensor<1x4xf32>, tensor<4xf32>, tensor<2x4xf32>)
  return %m, %h2, %hist2 : tensor<1x4xf32>, tensor<4xf32>, tensor<2x4xf32>
}

// -----

// K=1 (no input history: only h is carried), one channel of an odd width
// (one vector of 2, then one feature alone), over a run-time number of
// positions.
yan.weight @embed : tensor<16x3xf32>
// CHECK-LABEL: func.func @yan_prefill(
// CHECK: %[[N:[^ ]*]] = memref.dim
// CHECK: memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [3]
// CHECK: %[[B:.*]] = arith.minui %{{.*}}, %c3
// CHECK: %[[E:.*]] = arith.minui %{{.*}}, %c3
// CHECK: %[[LB:.*]] = arith.maxui %[[B]], %c0
// CHECK: %[[MIN:.*]] = arith.minui %[[E]], %c3
// CHECK: %[[UB:.*]] = arith.maxui %[[LB]], %[[MIN]]
// CHECK-NOT: scf.if
// CHECK: %[[VEND:.*]] = arith.addi %[[LB]], %{{.*}}
// CHECK: scf.for %[[V:[^ ]*]] = %[[LB]] to %[[VEND]] step %c2
// CHECK-NEXT: %[[HV:.*]] = vector.load %{{.*}}[%[[V]]] : memref<3xf32{{.*}}, vector<2xf32>
// CHECK: %[[LASTV:.*]] = scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %[[N]] step %{{.*}} iter_args(%{{.*}} = %[[HV]]) -> (vector<2xf32>)
// CHECK: vector.store %[[LASTV]], %{{.*}}[%[[V]]] : memref<3xf32
// CHECK: scf.for %[[I:[^ ]*]] = %[[VEND]] to %[[UB]] step %c1
// CHECK-NEXT: %[[H0:.*]] = memref.load %{{.*}}[%[[I]]] : memref<3xf32
// CHECK: %[[LAST:.*]] = scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %[[N]] step %{{.*}} iter_args(%{{.*}} = %[[H0]]) -> (f32)
// CHECK: memref.store %[[LAST]], %{{.*}}[%[[I]]] : memref<3xf32
// CHECK-NOT: memref<0x3xf32
func.func @prefill(%tokens: tensor<?xi32>, %h: tensor<3xf32>, %hist: tensor<0x3xf32>) -> (tensor<?x3xf32>, tensor<3xf32>, tensor<0x3xf32>) {
  %table = yan.weight_ref @embed : tensor<16x3xf32>
  %x = yan.embed %table, %tokens : (tensor<16x3xf32>, tensor<?xi32>) -> tensor<?x3xf32>
  %m, %h2, %hist2 = yan.mcsd %x, %x, %x, %h, %hist {num_channels = 1, slope_window = 1, decays = array<f32: 0.5>, slopes = array<f32: 0.0>}
      : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<3xf32>, tensor<0x3xf32>) -> (tensor<?x3xf32>, tensor<3xf32>, tensor<0x3xf32>)
  return %m, %h2, %hist2 : tensor<?x3xf32>, tensor<3xf32>, tensor<0x3xf32>
}
