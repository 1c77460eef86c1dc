// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-build-learn -yan-lower-to-loops="vector-width=4 learn-max-tokens=8" | FileCheck %s

// yan.rms_norm_grad in the learn entry of a minimal one-layer model (V=16,
// D=8, P=4, k=2, F=4): the backward of the final norm. Per position (each
// thread its share), one pass sums x^2 and (w * dy) . x together, then
// r = 1/sqrt(mean(x^2) + eps) and dx = r (w * dy) - x r^3 ((w * dy) . x) / D.

// CHECK-LABEL: func.func @yan_learn(
// CHECK-SAME: %[[W:[^:]*]]: memref<?xi8>, %{{[^:]*}}: memref<?xf32>, %[[A:[^:]*]]: memref<?xi8>
// The backward runs only when the caller asks for partitions (limit > 0).
// CHECK: %[[LIMIT:[0-9]+]] = arith.minsi %{{.*}}, %c2
// The norm weight, read from the weights buffer.
// CHECK: %[[NW:.*]] = memref.view %[[W]][%{{.*}}][] : memref<?xi8> to memref<8xf32>
// CHECK: %[[WANTED:[0-9]+]] = arith.cmpi ugt, %[[LIMIT]], %c0
// CHECK: scf.if %[[WANTED]]
// dy: the arena slot the head's linear_grad writes, after its barrier.
// CHECK: %[[DY:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x8xf32>
// CHECK: func.call_indirect
// CHECK: %[[DX:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x8xf32>
// CHECK: scf.for %[[T:[^ ]*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[SUMS:[^:]*]]:2 = scf.for %[[I:[^ ]*]] = %c0{{[_0-9]*}} to %c8{{[_0-9]*}} step %{{.*}} iter_args(%[[SS:[^ ]*]] = %{{.*}}, %[[GX:[^ ]*]] = %{{.*}}) -> (f32, f32)
// CHECK: %[[XV:.*]] = memref.load %[[X:[a-z0-9_]*]][%[[T]], %[[I]]] : memref<?x8xf32>
// CHECK: %[[DYV:.*]] = memref.load %[[DY]][%[[T]], %[[I]]] : memref<?x8xf32>
// CHECK: %[[WV:.*]] = memref.load %[[NW]][%[[I]]] : memref<8xf32>
// CHECK: %[[G:.*]] = arith.mulf %[[WV]], %[[DYV]] : f32
// CHECK: %[[SQ:.*]] = arith.mulf %[[XV]], %[[XV]] : f32
// CHECK: %[[S1:.*]] = arith.addf %[[SS]], %[[SQ]] fastmath<reassoc> : f32
// CHECK: %[[GXV:.*]] = arith.mulf %[[G]], %[[XV]] : f32
// CHECK: %[[S2:.*]] = arith.addf %[[GX]], %[[GXV]] fastmath<reassoc> : f32
// CHECK: scf.yield %[[S1]], %[[S2]] : f32, f32
// CHECK: %[[MEAN:.*]] = arith.divf %[[SUMS]]#0, %{{.*}} : f32
// CHECK: %[[SHIFTED:.*]] = arith.addf %[[MEAN]], %{{.*}} : f32
// CHECK: %[[ROOT:.*]] = math.sqrt %[[SHIFTED]] : f32
// CHECK: %[[R:.*]] = arith.divf %{{.*}}, %[[ROOT]] : f32
// CHECK: %[[RR:.*]] = arith.mulf %[[R]], %[[R]] : f32
// CHECK: %[[R3:.*]] = arith.mulf %[[R]], %[[RR]] : f32
// CHECK: %[[NUM:.*]] = arith.mulf %[[R3]], %[[SUMS]]#1 : f32
// CHECK: %[[COEF:.*]] = arith.divf %[[NUM]], %{{.*}} : f32
// CHECK: scf.for %[[J:[^ ]*]] = %c0{{[_0-9]*}} to %c8
// CHECK: %[[DY2:.*]] = memref.load %[[DY]][%[[T]], %[[J]]]
// CHECK: %[[W2:.*]] = memref.load %[[NW]][%[[J]]]
// CHECK: %[[G2:.*]] = arith.mulf %[[W2]], %[[DY2]] : f32
// CHECK: %[[SCALED:.*]] = arith.mulf %[[R]], %[[G2]] : f32
// CHECK: %[[X2:.*]] = memref.load %[[X]][%[[T]], %[[J]]]
// CHECK: %[[CORR:.*]] = arith.mulf %[[X2]], %[[COEF]] : f32
// CHECK: %[[D:.*]] = arith.subf %[[SCALED]], %[[CORR]] : f32
// CHECK: memref.store %[[D]], %[[DX]][%[[T]], %[[J]]]
// CHECK: func.call_indirect
module {
  yan.weight @embed : tensor<16x8xf32>
  yan.weight @norm : tensor<8xf32>
  yan.weight @router : tensor<4x8xf32>
  yan.weight @w1 : tensor<4x4x8xf32>
  yan.weight @w3 : tensor<4x4x8xf32>
  yan.weight @w2 : tensor<4x8x4xf32>
  yan.weight @head : tensor<16x8xf32>
  func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x16xf32> {
    %table = yan.weight_ref @embed : tensor<16x8xf32>
    %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
    %wr = yan.weight_ref @router : tensor<4x8xf32>
    %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %w1 = yan.weight_ref @w1 : tensor<4x4x8xf32>
    %w3 = yan.weight_ref @w3 : tensor<4x4x8xf32>
    %w2 = yan.weight_ref @w2 : tensor<4x8x4xf32>
    %f = yan.partitioned_ffn %x, %idx, %alpha, %w1, %w3, %w2 : (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>) -> tensor<?x8xf32>
    %nw = yan.weight_ref @norm : tensor<8xf32>
    %head = yan.weight_ref @head : tensor<16x8xf32>
    %logits = yan.lm_head %f, %nw, %head {eps = 1.0e-5 : f32} : (tensor<?x8xf32>, tensor<8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
    return %logits : tensor<?x16xf32>
  }
}

// -----

// An odd width (D=6, V=13): the same per-position loops over 6 features.

// CHECK-LABEL: func.func @yan_learn(
// CHECK-SAME: %[[W:[^:]*]]: memref<?xi8>, %{{[^:]*}}: memref<?xf32>, %[[A:[^:]*]]: memref<?xi8>
// CHECK: %[[LIMIT:[0-9]+]] = arith.minsi %{{.*}}, %c2
// CHECK: %[[NW:.*]] = memref.view %[[W]][%{{.*}}][] : memref<?xi8> to memref<6xf32>
// CHECK: %[[WANTED:[0-9]+]] = arith.cmpi ugt, %[[LIMIT]], %c0
// CHECK: scf.if %[[WANTED]]
// CHECK: %[[DY:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x6xf32>
// CHECK: func.call_indirect
// CHECK: %[[DX:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x6xf32>
// CHECK: scf.for %[[T:[^ ]*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[SUMS:[^:]*]]:2 = scf.for %[[I:[^ ]*]] = %c0{{[_0-9]*}} to %c6{{[_0-9]*}} step %{{.*}} iter_args(%[[SS:[^ ]*]] = %{{.*}}, %[[GX:[^ ]*]] = %{{.*}}) -> (f32, f32)
// CHECK: %[[XV:.*]] = memref.load %[[X:[a-z0-9_]*]][%[[T]], %[[I]]] : memref<?x6xf32>
// CHECK: %[[DYV:.*]] = memref.load %[[DY]][%[[T]], %[[I]]] : memref<?x6xf32>
// CHECK: %[[WV:.*]] = memref.load %[[NW]][%[[I]]] : memref<6xf32>
// CHECK: %[[G:.*]] = arith.mulf %[[WV]], %[[DYV]] : f32
// CHECK: %[[SQ:.*]] = arith.mulf %[[XV]], %[[XV]] : f32
// CHECK: %[[S1:.*]] = arith.addf %[[SS]], %[[SQ]] fastmath<reassoc> : f32
// CHECK: %[[GXV:.*]] = arith.mulf %[[G]], %[[XV]] : f32
// CHECK: %[[S2:.*]] = arith.addf %[[GX]], %[[GXV]] fastmath<reassoc> : f32
// CHECK: scf.yield %[[S1]], %[[S2]] : f32, f32
// CHECK: %[[MEAN:.*]] = arith.divf %[[SUMS]]#0, %{{.*}} : f32
// CHECK: %[[SHIFTED:.*]] = arith.addf %[[MEAN]], %{{.*}} : f32
// CHECK: %[[ROOT:.*]] = math.sqrt %[[SHIFTED]] : f32
// CHECK: %[[R:.*]] = arith.divf %{{.*}}, %[[ROOT]] : f32
// CHECK: %[[RR:.*]] = arith.mulf %[[R]], %[[R]] : f32
// CHECK: %[[R3:.*]] = arith.mulf %[[R]], %[[RR]] : f32
// CHECK: %[[NUM:.*]] = arith.mulf %[[R3]], %[[SUMS]]#1 : f32
// CHECK: %[[COEF:.*]] = arith.divf %[[NUM]], %{{.*}} : f32
// CHECK: scf.for %[[J:[^ ]*]] = %c0{{[_0-9]*}} to %c6
// CHECK: %[[DY2:.*]] = memref.load %[[DY]][%[[T]], %[[J]]]
// CHECK: %[[W2:.*]] = memref.load %[[NW]][%[[J]]]
// CHECK: %[[G2:.*]] = arith.mulf %[[W2]], %[[DY2]] : f32
// CHECK: %[[SCALED:.*]] = arith.mulf %[[R]], %[[G2]] : f32
// CHECK: %[[X2:.*]] = memref.load %[[X]][%[[T]], %[[J]]]
// CHECK: %[[CORR:.*]] = arith.mulf %[[X2]], %[[COEF]] : f32
// CHECK: %[[D:.*]] = arith.subf %[[SCALED]], %[[CORR]] : f32
// CHECK: memref.store %[[D]], %[[DX]][%[[T]], %[[J]]]
// CHECK: func.call_indirect
module {
  yan.weight @embed : tensor<13x6xf32>
  yan.weight @norm : tensor<6xf32>
  yan.weight @router : tensor<4x6xf32>
  yan.weight @w1 : tensor<4x4x6xf32>
  yan.weight @w3 : tensor<4x4x6xf32>
  yan.weight @w2 : tensor<4x6x4xf32>
  yan.weight @head : tensor<13x6xf32>
  func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x13xf32> {
    %table = yan.weight_ref @embed : tensor<13x6xf32>
    %x = yan.embed %table, %tokens : (tensor<13x6xf32>, tensor<?xi32>) -> tensor<?x6xf32>
    %wr = yan.weight_ref @router : tensor<4x6xf32>
    %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<?x6xf32>, tensor<4x6xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %w1 = yan.weight_ref @w1 : tensor<4x4x6xf32>
    %w3 = yan.weight_ref @w3 : tensor<4x4x6xf32>
    %w2 = yan.weight_ref @w2 : tensor<4x6x4xf32>
    %f = yan.partitioned_ffn %x, %idx, %alpha, %w1, %w3, %w2 : (tensor<?x6xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x6xf32>, tensor<4x4x6xf32>, tensor<4x6x4xf32>) -> tensor<?x6xf32>
    %nw = yan.weight_ref @norm : tensor<6xf32>
    %head = yan.weight_ref @head : tensor<13x6xf32>
    %logits = yan.lm_head %f, %nw, %head {eps = 1.0e-5 : f32} : (tensor<?x6xf32>, tensor<6xf32>, tensor<13x6xf32>) -> tensor<?x13xf32>
    return %logits : tensor<?x13xf32>
  }
}
