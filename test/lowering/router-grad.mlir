// RUN: yan-opt %s -yan-layout-weights -yan-build-learn -yan-lower-to-loops="vector-width=4 learn-max-tokens=8" | FileCheck %s

// yan.router_grad in the learn entry of a minimal two-layer model (V=16,
// D=8, P=4, k=2, F=4): layer 0 a routed FFN, layer 1 a mixer and a routed
// FFN, so the gradient reaches layer 1's router (layer 0's has nothing
// trainable below it and gets none). Per position (each thread its share):
// s = sum_j alpha_j dalpha_j, then dx[t] = sum_j alpha_j (dalpha_j - s)
// router[indices[t, j]], accumulated into a zeroed row.

// CHECK-LABEL: func.func @yan_learn(
// CHECK-SAME: %[[W:[^:]*]]: memref<?xi8>, %{{[^:]*}}: memref<?xf32>, %[[A:[^:]*]]: memref<?xi8>
// The backward runs only when the caller asks for partitions (limit > 0).
// CHECK: %[[LIMIT:[0-9]+]] = arith.minsi %{{.*}}, %c2
// Layer 1's router weight (the second [4, 8] weight) and its forward picks
// and weights (the second [N, k] pair in the arena).
// CHECK: memref.view %[[W]][%{{.*}}][] : memref<?xi8> to memref<4x8xf32>
// CHECK: %[[ROUTER:.*]] = memref.view %[[W]][%{{.*}}][] : memref<?xi8> to memref<4x8xf32>
// CHECK-NEXT: arith.constant
// CHECK-NEXT: %[[IDX:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x2xi32>
// CHECK-NEXT: arith.constant
// CHECK-NEXT: %[[ALPHA:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x2xf32>
// CHECK: %[[WANTED:[0-9]+]] = arith.cmpi ugt, %[[LIMIT]], %c0
// CHECK: scf.if %[[WANTED]]
// The routing-weight gradient comes from layer 1's partitioned_ffn_grad.
// CHECK: %[[DALPHA:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x2xf32>
// (After the FFN gradient's dx, which sums each position's k pairs.)
// CHECK: scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %c2{{[_0-9]*}} step %{{.*}} iter_args
// CHECK: func.call_indirect
// Per position t of this thread's share, s = sum_j alpha_j dalpha_j.
// CHECK: %[[S:.*]] = scf.for %[[J:[^ ]*]] = %c0{{[_0-9]*}} to %c2{{[_0-9]*}} step %{{.*}} iter_args(%[[ACC:[^ ]*]] = %{{.*}}) -> (f32)
// CHECK-NEXT: %[[DA:.*]] = memref.load %[[DALPHA]][%[[T:[a-z0-9_]+]], %[[J]]] : memref<?x2xf32>
// CHECK-NEXT: %[[AL:.*]] = memref.load %[[ALPHA]][%[[T]], %[[J]]] : memref<?x2xf32>
// CHECK-NEXT: %[[PROD:.*]] = arith.mulf %[[AL]], %[[DA]] fastmath<contract> : f32
// CHECK-NEXT: arith.addf %[[PROD]], %[[ACC]] fastmath<contract> : f32
// CHECK: scf.for %[[D0:[^ ]*]] = %c0{{[_0-9]*}} to %c8
// CHECK: memref.store %cst{{.*}}, %[[DX:[a-z0-9_]+]][%[[T]], %[[D0]]] : memref<?x8xf32>
// CHECK: scf.for %[[J2:[^ ]*]] = %c0{{[_0-9]*}} to %c2
// CHECK-NEXT: %[[DA2:.*]] = memref.load %[[DALPHA]][%[[T]], %[[J2]]] : memref<?x2xf32>
// CHECK-NEXT: %[[CENTERED:.*]] = arith.subf %[[DA2]], %[[S]] : f32
// CHECK-NEXT: %[[AL2:.*]] = memref.load %[[ALPHA]][%[[T]], %[[J2]]] : memref<?x2xf32>
// CHECK-NEXT: %[[DR:.*]] = arith.mulf %[[AL2]], %[[CENTERED]] : f32
// CHECK-NEXT: %[[P32:.*]] = memref.load %[[IDX]][%[[T]], %[[J2]]] : memref<?x2xi32>
// CHECK-NEXT: %[[P:.*]] = arith.index_cast %[[P32]] : i32 to index
// CHECK: scf.for %[[D:[^ ]*]] = %c0{{[_0-9]*}} to %c8
// CHECK-NEXT: %[[OLD:.*]] = memref.load %[[DX]][%[[T]], %[[D]]] : memref<?x8xf32>
// CHECK-NEXT: %[[ROW:.*]] = memref.load %[[ROUTER]][%[[P]], %[[D]]] : memref<4x8xf32>
// CHECK-NEXT: %[[TERM:.*]] = arith.mulf %[[DR]], %[[ROW]] fastmath<contract> : f32
// CHECK-NEXT: %[[NEW:.*]] = arith.addf %[[TERM]], %[[OLD]] fastmath<contract> : f32
// CHECK-NEXT: memref.store %[[NEW]], %[[DX]][%[[T]], %[[D]]] : memref<?x8xf32>
// CHECK: func.call_indirect
// Exactly one router gradient: layer 0's router gets none.
// CHECK-NOT: memref.load %{{.*}} : memref<4x8xf32>
// CHECK-LABEL: func.func @yan_learn_apply(
module {
  yan.weight @embed : tensor<16x8xf32>
  yan.weight @router0 : tensor<4x8xf32>
  yan.weight @w1_0 : tensor<4x4x8xf32>
  yan.weight @w3_0 : tensor<4x4x8xf32>
  yan.weight @w2_0 : tensor<4x8x4xf32>
  yan.weight @router1 : tensor<4x8xf32>
  yan.weight @w1_1 : tensor<4x4x8xf32>
  yan.weight @w3_1 : tensor<4x4x8xf32>
  yan.weight @w2_1 : tensor<4x8x4xf32>
  yan.weight @norm : tensor<8xf32>
  yan.weight @head : tensor<16x8xf32>
  func.func @prefill(%tokens: tensor<?xi32> {yan.input = "tokens"}, %h: tensor<8xf32> {yan.state = "layers.1.h"}, %hist: tensor<1x8xf32> {yan.state = "layers.1.u_hist"}) -> (tensor<?x16xf32> {yan.output = "logits"}, tensor<8xf32> {yan.state = "layers.1.h"}, tensor<1x8xf32> {yan.state = "layers.1.u_hist"}) {
    %table = yan.weight_ref @embed : tensor<16x8xf32>
    %x0 = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
    %wr0 = yan.weight_ref @router0 : tensor<4x8xf32>
    %idx0, %alpha0 = yan.router %x0, %wr0 {active_partitions = 2} : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %a0 = yan.weight_ref @w1_0 : tensor<4x4x8xf32>
    %b0 = yan.weight_ref @w3_0 : tensor<4x4x8xf32>
    %c0 = yan.weight_ref @w2_0 : tensor<4x8x4xf32>
    %f0 = yan.partitioned_ffn %x0, %idx0, %alpha0, %a0, %b0, %c0 : (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>) -> tensor<?x8xf32>
    %x1 = arith.addf %x0, %f0 : tensor<?x8xf32>
    %m, %h2, %hist2 = yan.mcsd %x1, %x1, %x1, %h, %hist {num_channels = 2, slope_window = 2, decays = array<f32: 0.5, 0.75>, slopes = array<f32: 0.125, 0.25>}
        : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<8xf32>, tensor<1x8xf32>) -> (tensor<?x8xf32>, tensor<8xf32>, tensor<1x8xf32>)
    %x2 = arith.addf %x1, %m : tensor<?x8xf32>
    %wr1 = yan.weight_ref @router1 : tensor<4x8xf32>
    %idx1, %alpha1 = yan.router %x2, %wr1 {active_partitions = 2} : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %a1 = yan.weight_ref @w1_1 : tensor<4x4x8xf32>
    %b1 = yan.weight_ref @w3_1 : tensor<4x4x8xf32>
    %c1 = yan.weight_ref @w2_1 : tensor<4x8x4xf32>
    %f1 = yan.partitioned_ffn %x2, %idx1, %alpha1, %a1, %b1, %c1 : (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>) -> tensor<?x8xf32>
    %x3 = arith.addf %x2, %f1 : tensor<?x8xf32>
    %nw = yan.weight_ref @norm : tensor<8xf32>
    %head = yan.weight_ref @head : tensor<16x8xf32>
    %logits = yan.lm_head %x3, %nw, %head {eps = 1.0e-5 : f32} : (tensor<?x8xf32>, tensor<8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
    return %logits, %h2, %hist2 : tensor<?x16xf32>, tensor<8xf32>, tensor<1x8xf32>
  }
}
