// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-build-learn -yan-lower-to-loops="vector-width=4 learn-max-tokens=8" | FileCheck %s
// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-build-learn -yan-lower-to-loops="vector-width=4 learn-max-tokens=8 accumulate-vectors=1" | FileCheck %s --check-prefix=NEXT

// yan.linear_grad in the learn entry of a minimal one-layer model (V=16,
// D=8, P=4, k=2, F=4): the input gradient through the LM head,
// dx[t, :] = sum_o dy[t, o] W[o, :]. Each thread zeroes, then owns, a block
// of dx's columns; the head's rows stream once (in cache blocks of 16),
// through register tiles of 4 tokens x 3 vectors of dx (the default
// accumulate-outputs and accumulate-vectors).

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
// Head rows in cache blocks of 16 (here one block); within a block, column
// tiles of 3 vectors (12 columns) outer, tiles of 4 tokens inner: the 12
// accumulators are loaded from dx once, run over the block's head rows (3
// vector loads of the row, a broadcast dy per token, 12 multiply-adds) and
// stored once. Each column tile first prefetches the next block's rows
// [R1, min(R1 + 16, 16)) at its 3 vectors into L2 (none here: one block).
// CHECK: scf.for %[[R0:[^ ]*]] = %c0{{[_0-9]*}} to %c16{{[_0-9]*}} step %c16
// CHECK: %[[R1:.*]] = arith.minui %{{.*}}, %c16
// CHECK: scf.for %[[C:[^ ]*]] = %{{.*}} to %{{.*}} step %c12
// CHECK: %[[AHEAD:.*]] = arith.addi %[[R1]], %c16
// CHECK: %[[AHEADEND:.*]] = arith.minui %[[AHEAD]], %c16
// CHECK: scf.for %[[RA:[^ ]*]] = %[[R1]] to %[[AHEADEND]] step %c1
// CHECK: memref.prefetch %[[HEAD]][%[[RA]], %[[C]]], read, locality<2>, data : memref<16x8xf32>
// CHECK-COUNT-2: memref.prefetch %[[HEAD]][%[[RA]], %{{.*}}], read, locality<2>, data : memref<16x8xf32>
// CHECK: scf.for %[[T:[^ ]*]] = %c0{{[_0-9]*}} to %{{.*}} step %c4
// CHECK: %[[ACC:.*]] = vector.load %[[DX]][%[[T]], %[[C]]] : memref<?x8xf32>, vector<4xf32>
// CHECK-COUNT-11: vector.load %[[DX]]
// CHECK: %{{.*}}:12 = scf.for %[[R:[^ ]*]] = %[[R0]] to %[[R1]] step %c1{{[_0-9]*}} iter_args(%{{[^ ]*}} = %[[ACC]],
// CHECK: %[[ROW:.*]] = vector.load %[[HEAD]][%[[R]], %[[C]]] : memref<16x8xf32>, vector<4xf32>
// CHECK-COUNT-2: vector.load %[[HEAD]][%[[R]]
// CHECK: %[[G0:.*]] = memref.load %[[DY]][%[[T]], %[[R]]] : memref<?x16xf32>
// CHECK: %[[B0:.*]] = vector.broadcast %[[G0]] : f32 to vector<4xf32>
// CHECK: %[[P:.*]] = arith.mulf %[[B0]], %[[ROW]] fastmath<contract> : vector<4xf32>
// CHECK: arith.addf %[[P]], %{{.*}} fastmath<contract> : vector<4xf32>
// CHECK-COUNT-12: vector.store %{{.*}}, %[[DX]]
// CHECK: func.call_indirect

// With column tiles of one vector (accumulate-vectors=1, so D=8 has whole
// tiles): loading a head row's vector, each step prefetches the line of the
// column tile after next (clamped to the row), which that tile of columns
// reads from cache instead of DRAM.
// NEXT-LABEL: func.func @yan_learn(
// NEXT: memref.view %{{.*}} : memref<?xi8> to memref<8xf32>
// NEXT: %[[HEAD:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<16x8xf32>
// NEXT: scf.for %[[R0:[^ ]*]] = %c0{{[_0-9]*}} to %c16{{[_0-9]*}} step %c16
// NEXT: scf.for %[[C:[^ ]*]] = %{{.*}} to %{{.*}} step %c4
// NEXT: scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %{{.*}} step %c4
// NEXT: scf.for %[[R:[^ ]*]] = %[[R0]] to
// NEXT: %[[NEXTCOL:.*]] = arith.addi %[[C]], %c8
// NEXT: %[[CLAMPED:.*]] = arith.minui %[[NEXTCOL]], %c7
// NEXT: memref.prefetch %[[HEAD]][%[[R]], %[[CLAMPED]]], read, locality<3>, data : memref<16x8xf32>
// NEXT: vector.load %[[HEAD]][%[[R]], %[[C]]] : memref<16x8xf32>, vector<4xf32>
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

// Odd shapes: V=13 (tokens past whole tiles of 4 go in one tile of their
// count) and D=6 (a 4-wide vector part of the columns, then a scalar tail).

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
// One cache block of the 13 head rows; no whole 12-column tile.
// CHECK: scf.for %[[R0:[^ ]*]] = %c0{{[_0-9]*}} to %c13{{[_0-9]*}} step %c16
// CHECK: %[[R1:.*]] = arith.minui %{{.*}}, %c13
// CHECK: %[[TILED:.*]] = arith.addi %[[CB]], %{{.*}} : index
// CHECK: %[[VEND:.*]] = arith.addi %[[TILED]], %{{.*}} : index
// CHECK: scf.for %{{[^ ]*}} = %[[CB]] to %[[TILED]] step %c12
// Single vectors of columns: tiles of 4 tokens x 1 vector.
// CHECK: scf.for %[[C:[^ ]*]] = %[[TILED]] to %[[VEND]] step %c4
// CHECK: scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %{{.*}} step %c4
// CHECK: %{{.*}}:4 = scf.for %[[R:[^ ]*]] = %[[R0]] to %[[R1]] step %c1
// CHECK: vector.load %[[HEAD]][%[[R]], %[[C]]] : memref<13x6xf32>, vector<4xf32>
// CHECK-COUNT-4: vector.store %{{.*}}, %[[DX]]
// The tokens past the whole tiles (13 - 12 here, up to 3) in one tile of
// their count: n tokens x 1 vector, n accumulators.
// CHECK: %[[REST:.*]] = arith.subi %{{.*}}, %{{.*}} : index
// CHECK: %[[ONE:.*]] = arith.cmpi eq, %[[REST]], %c1
// CHECK: scf.if %[[ONE]] {
// CHECK: scf.for %{{.*}} -> (vector<4xf32>)
// CHECK: vector.store %{{.*}}, %[[DX]][%{{.*}}, %[[C]]]
// CHECK: %[[TWO:.*]] = arith.cmpi eq, %[[REST]], %c2
// CHECK: scf.if %[[TWO]] {
// CHECK: scf.for %{{.*}} -> (vector<4xf32>, vector<4xf32>)
// CHECK-COUNT-2: vector.store %{{.*}}, %[[DX]]
// CHECK: %[[THREE:.*]] = arith.cmpi eq, %[[REST]], %c3
// CHECK: scf.if %[[THREE]] {
// CHECK: scf.for %{{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>)
// CHECK-COUNT-3: vector.store %{{.*}}, %[[DX]]
// The scalar columns [VEND, CE).
// CHECK: scf.for %[[C2:[^ ]*]] = %[[VEND]] to %[[CE]] step %c1
// CHECK: %{{.*}}:4 = scf.for %[[R2:[^ ]*]] = %[[R0]] to %[[R1]] step %c1{{.*}} -> (f32, f32, f32, f32)
// CHECK: memref.load %[[HEAD]][%[[R2]], %[[C2]]] : memref<13x6xf32>
// CHECK: memref.store %{{.*}}, %[[DX]][%{{.*}}, %[[C2]]] : memref<?x6xf32>
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
