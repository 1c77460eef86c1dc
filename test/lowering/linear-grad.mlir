// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-build-learn -yan-lower-to-loops="vector-width=4 learn-max-tokens=8" | FileCheck %s

// yan.linear_grad in the learn entry of a minimal one-layer model (V=16,
// D=8, P=4, k=2, F=4): the input gradient through the LM head,
// dx[t, :] = sum_o dy[t, o] W[o, :]. Each thread zeroes, then owns, a block
// of dx's columns; the head's rows stream once (outputs outer, 8 at a time),
// each dy[t, o] broadcast and multiply-added into 4-wide vectors of dx.

// CHECK-LABEL: func.func @yan_learn(
// CHECK-SAME: %[[W:[^:]*]]: memref<?xi8>, %{{[^:]*}}: memref<?xf32>, %[[A:[^:]*]]: memref<?xi8>
// The backward runs only when the caller asks for partitions (limit > 0).
// CHECK: %[[LIMIT:[0-9]+]] = arith.minsi %{{.*}}, %c2
// CHECK: memref.view %[[W]][%{{.*}}][] : memref<?xi8> to memref<8xf32>
// CHECK: %[[HEAD:.*]] = memref.view %[[W]][%{{.*}}][] : memref<?xi8> to memref<16x8xf32>
// CHECK: %[[WANTED:[0-9]+]] = arith.cmpi ugt, %[[LIMIT]], %c0
// CHECK: scf.if %[[WANTED]]
// dy: the cross-entropy gradient, [N, 16] in the arena.
// CHECK: %[[DY:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x16xf32>
// CHECK: func.call_indirect
// CHECK: %[[DX:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x8xf32>
// This thread's columns: a share of 8 in multiples of the vector width.
// CHECK: %[[CB:.*]] = arith.minui %{{.*}}, %c8
// CHECK: %[[CE:.*]] = arith.minui %{{.*}}, %c8
// CHECK: scf.for %[[T0:[^ ]*]] = %c0{{[_0-9]*}} to %{{.*}} step
// CHECK: scf.for %[[C0:[^ ]*]] = %[[CB]] to %[[CE]] step
// CHECK: memref.store %cst{{.*}}, %[[DX]][%[[T0]], %[[C0]]] : memref<?x8xf32>
// CHECK: scf.for %[[O:[^ ]*]] = %c0{{[_0-9]*}} to %{{.*}} step %c8
// CHECK: scf.for %[[T:[^ ]*]] = %c0{{[_0-9]*}} to
// CHECK: %[[G0:.*]] = memref.load %[[DY]][%[[T]], %[[O]]] : memref<?x16xf32>
// CHECK: %[[B0:.*]] = vector.broadcast %[[G0]] : f32 to vector<4xf32>
// CHECK: scf.for %[[C:[^ ]*]] =
// CHECK: %[[ACC:.*]] = vector.load %[[DX]][%[[T]], %[[C]]] : memref<?x8xf32>, vector<4xf32>
// CHECK: %[[ROW:.*]] = vector.load %[[HEAD]][%[[O]], %[[C]]] : memref<16x8xf32>, vector<4xf32>
// CHECK: %[[P:.*]] = arith.mulf %[[B0]], %[[ROW]] fastmath<contract> : vector<4xf32>
// CHECK: arith.addf %[[P]], %[[ACC]] fastmath<contract> : vector<4xf32>
// CHECK-COUNT-7: vector.load %[[HEAD]]
// CHECK: vector.store %{{.*}}, %[[DX]][%[[T]], %[[C]]] : memref<?x8xf32>, vector<4xf32>
// The scalar tail of the columns, then the rows left over from the 8-row blocks.
// CHECK: memref.store %{{.*}}, %[[DX]][%[[T]], %{{.*}}] : memref<?x8xf32>
// CHECK: scf.for %{{[^ ]*}} = %{{.*}} to %c16
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

// Odd shapes: V=13 (one block of 8 head rows, then 5 rows one at a time)
// and D=6 (a 4-wide vector part of the columns, then a scalar tail).

// CHECK-LABEL: func.func @yan_learn(
// CHECK-SAME: %[[W:[^:]*]]: memref<?xi8>, %{{[^:]*}}: memref<?xf32>, %[[A:[^:]*]]: memref<?xi8>
// CHECK: %[[LIMIT:[0-9]+]] = arith.minsi %{{.*}}, %c2
// CHECK: memref.view %[[W]][%{{.*}}][] : memref<?xi8> to memref<6xf32>
// CHECK: %[[HEAD:.*]] = memref.view %[[W]][%{{.*}}][] : memref<?xi8> to memref<13x6xf32>
// CHECK: %[[WANTED:[0-9]+]] = arith.cmpi ugt, %[[LIMIT]], %c0
// CHECK: scf.if %[[WANTED]]
// CHECK: %[[DY:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x13xf32>
// CHECK: func.call_indirect
// CHECK: %[[DX:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x6xf32>
// CHECK: memref.store %cst{{.*}}, %[[DX]]
// The accumulation's column share, [CB, CE) within [0, 6).
// CHECK: %[[CB:.*]] = arith.minui %{{.*}}, %c6
// CHECK: %[[CE:.*]] = arith.minui %{{.*}}, %c6
// CHECK: %[[BLOCKS:.*]] = arith.muli %{{.*}}, %c8
// CHECK: scf.for %[[O:[^ ]*]] = %c0{{[_0-9]*}} to %[[BLOCKS]] step %c8
// CHECK: scf.for %[[T:[^ ]*]] = %c0{{[_0-9]*}} to
// CHECK: memref.load %[[DY]][%[[T]], %[[O]]] : memref<?x13xf32>
// CHECK: %[[VEND:.*]] = arith.addi %[[CB]], %{{.*}} : index
// CHECK: scf.for %[[C:[^ ]*]] = %[[CB]] to %[[VEND]] step %c4
// CHECK: vector.load %[[HEAD]][%[[O]], %[[C]]] : memref<13x6xf32>, vector<4xf32>
// CHECK: vector.store %{{.*}}, %[[DX]][%[[T]], %[[C]]] : memref<?x6xf32>, vector<4xf32>
// CHECK: scf.for %[[C2:[^ ]*]] = %[[VEND]] to %[[CE]] step %c1
// CHECK: memref.load %[[HEAD]][%[[O]], %[[C2]]] : memref<13x6xf32>
// CHECK: memref.store %{{.*}}, %[[DX]][%[[T]], %[[C2]]] : memref<?x6xf32>
// The 5 leftover rows, one dy broadcast each.
// CHECK: scf.for %[[O2:[^ ]*]] = %[[BLOCKS]] to %c13
// CHECK: scf.for %[[T2:[^ ]*]] = %c0{{[_0-9]*}} to
// CHECK: %[[G:.*]] = memref.load %[[DY]][%[[T2]], %[[O2]]] : memref<?x13xf32>
// CHECK: %[[GB:.*]] = vector.broadcast %[[G]] : f32 to vector<4xf32>
// CHECK: scf.for %[[C3:[^ ]*]] = %[[CB]] to %{{.*}} step %c4
// CHECK: %[[ACC:.*]] = vector.load %[[DX]][%[[T2]], %[[C3]]]
// CHECK: %[[ROW:.*]] = vector.load %[[HEAD]][%[[O2]], %[[C3]]]
// CHECK: %[[P:.*]] = arith.mulf %[[GB]], %[[ROW]] fastmath<contract> : vector<4xf32>
// CHECK: %[[SUM:.*]] = arith.addf %[[P]], %[[ACC]] fastmath<contract> : vector<4xf32>
// CHECK: vector.store %[[SUM]], %[[DX]][%[[T2]], %[[C3]]]
// CHECK: memref.store %{{.*}}, %[[DX]][%[[T2]], %{{.*}}] : memref<?x6xf32>
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
