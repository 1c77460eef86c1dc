// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops="vector-width=4 row-block=2 dot-vectors=2" | FileCheck %s
// RUN: not yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops="dot-vectors=0" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops="vector-width=8 row-block=2 dot-vectors=1" | FileCheck %s --check-prefix=WIDE
// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops="vector-width=4 row-block=4 dot-vectors=2" | FileCheck %s --check-prefix=ROT
// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops="vector-width=4 row-block=2 dot-vectors=3" | FileCheck %s --check-prefix=PAIR

// The dot-product kernel's register tile (KernelEmitter::dotRows) with
// row-block=2 and dot-vectors=2: each step of the column loop loads two
// token vectors and two weight vectors and multiply-adds all four pairs into
// four vector accumulators, reduced once after the loop. Tokens past the
// whole tiles of two go one at a time (two accumulators); D=6 leaves a
// two-column scalar tail that every pair of the tile continues in. Tiles of
// two tokens also prefetch the next row block's lines.

yan.weight @embed : tensor<16x6xf32>
yan.weight @u : tensor<4x6xf32>
// CHECK-LABEL: func.func @yan_prefill(
// CHECK: %[[X:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<?x6xf32>
// CHECK: %[[W:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<4x6xf32>
// CHECK: %[[OUT:.*]] = memref.reinterpret_cast %{{.*}} sizes: [%{{.*}}, 4]
// CHECK: %[[LEN:.*]] = arith.subi %[[NT:[^,]*]], %c0
// CHECK: %[[WHOLE:.*]] = arith.divui %[[LEN]], %c2
// CHECK: scf.for %[[R:[^ ]*]] = %{{.*}} to %{{.*}} step %c2
// CHECK: scf.for %[[T0:[^ ]*]] = %c0{{[_0-9]*}} to %{{.*}} step %c2
// The next row block, clamped to the last row, is prefetched by tiles of
// several tokens: its rows come from DRAM while this block's come from cache.
// Tile t prefetches rows 3t, 3t + 1, 3t + 2 of it, mod the block (here both
// of its two rows, in the order the rotation gives).
// CHECK: %[[TILE:.*]] = arith.divui %[[T0]], %c2
// CHECK: %[[FIRST:.*]] = arith.muli %[[TILE]], %c3
// CHECK: %[[I0:.*]] = arith.addi %[[FIRST]], %c0
// CHECK: %[[M0:.*]] = arith.remui %[[I0]], %c2
// CHECK: %[[IN0:.*]] = arith.addi %[[R]], %[[M0]]
// CHECK: %[[I1:.*]] = arith.addi %[[FIRST]], %c1
// CHECK: %[[M1:.*]] = arith.remui %[[I1]], %c2
// CHECK: %[[IN1:.*]] = arith.addi %[[R]], %[[M1]]
// CHECK: %[[NEXT0:.*]] = arith.addi %[[IN0]], %c2
// CHECK: %[[AHEAD0:.*]] = arith.minui %[[NEXT0]], %c3
// CHECK: %[[NEXT1:.*]] = arith.addi %[[IN1]], %c2
// CHECK: %[[AHEAD1:.*]] = arith.minui %[[NEXT1]], %c3
// CHECK: %[[T1:.*]] = arith.addi %[[T0]], %c1
// CHECK: %[[R1:.*]] = arith.addi %[[R]], %c1
// CHECK: %{{.*}}:4 = scf.for %[[C:[^ ]*]] = %c0{{[_0-9]*}} to %c4{{[_0-9]*}} step %c4{{[_0-9]*}} iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// CHECK: %[[XA:.*]] = vector.load %[[X]][%[[T0]], %[[C]]] : memref<?x6xf32>, vector<4xf32>
// CHECK: %[[XB:.*]] = vector.load %[[X]][%[[T1]], %[[C]]] : memref<?x6xf32>, vector<4xf32>
// CHECK: %[[WA:.*]] = vector.load %[[W]][%[[R]], %[[C]]] : memref<4x6xf32>, vector<4xf32>
// CHECK: %[[WB:.*]] = vector.load %[[W]][%[[R1]], %[[C]]] : memref<4x6xf32>, vector<4xf32>
// CHECK: memref.prefetch %[[W]][%[[AHEAD0]], %[[C]]], read, locality<3>, data
// CHECK: memref.prefetch %[[W]][%[[AHEAD1]], %[[C]]], read, locality<3>, data
// CHECK: arith.mulf %[[WA]], %[[XA]] fastmath<contract>
// CHECK: arith.mulf %[[WA]], %[[XB]] fastmath<contract>
// CHECK: arith.mulf %[[WB]], %[[XA]] fastmath<contract>
// CHECK: arith.mulf %[[WB]], %[[XB]] fastmath<contract>
// CHECK-COUNT-4: vector.reduction <add>, %{{.*}} fastmath<reassoc> : vector<4xf32> into f32
// CHECK: %{{.*}}:4 = scf.for %{{[^ ]*}} = %c4{{[_0-9]*}} to %c6 step %c1{{[_0-9]*}} iter_args({{.*}}) -> (f32, f32, f32, f32)
// Each token's two rows go out as one vector (the linear's block epilogue;
// with a column tail the sums are scalars first).
// CHECK: %[[FOR0:.*]] = vector.from_elements %{{.*}}, %{{.*}} : vector<2xf32>
// CHECK: vector.store %[[FOR0]], %[[OUT]][%[[T0]], %[[R]]] : memref<?x4xf32>, vector<2xf32>
// CHECK: %[[FOR1:.*]] = vector.from_elements %{{.*}}, %{{.*}} : vector<2xf32>
// CHECK: vector.store %[[FOR1]], %[[OUT]][%[[T1]], %[[R]]] : memref<?x4xf32>, vector<2xf32>
// A token past the whole tiles: a tile of two rows x one token, which reads
// each row once and prefetches nothing (decode's tiles are all of this kind).
// CHECK: scf.for %[[T:[^ ]*]] = %{{.*}} to %{{.*}} step %c1
// CHECK-NOT: memref.prefetch
// CHECK: scf.for %{{.*}} iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>)
// CHECK-NOT: memref.prefetch
// CHECK-COUNT-2: vector.reduction <add>
// With 4-row blocks a tile prefetches 3 of the next block's rows (a
// rotation by its index, mod 4), not all 4.
// ROT-LABEL: func.func @yan_prefill(
// ROT: scf.for %[[R:[^ ]*]] = %{{.*}} to %{{.*}} step %c4
// ROT: scf.for %[[T0:[^ ]*]] = %c0{{[_0-9]*}} to %{{.*}} step %c2
// ROT-COUNT-3: arith.remui %{{.*}}, %c4
// ROT-NOT: arith.remui
// ROT: scf.for %{{.*}} iter_args
// ROT-COUNT-3: memref.prefetch
// ROT-NEXT: arith.mulf
// Tiles of three tokens (x86-64-v3's) leave up to two: they go as one tile
// of two (2 rows x 2 tokens, four accumulators), and only an odd last token
// as a tile of one (a single FMA chain per row).
// PAIR-LABEL: func.func @yan_prefill(
// PAIR: arith.divui %{{.*}}, %c3
// PAIR: %[[WHOLE:.*]] = arith.addi %c0{{[_0-9]*}}, %{{.*}} : index
// PAIR: %[[REST:.*]] = arith.subi %[[NT:[^,]*]], %[[WHOLE]]
// PAIR: %[[PAIRS:.*]] = arith.divui %[[REST]], %c2
// PAIR: arith.muli %[[PAIRS]], %c2
// PAIR: %[[PAIRSEND:.*]] = arith.addi %[[WHOLE]], %{{.*}} : index
// PAIR: scf.for %{{[^ ]*}} = %{{.*}} to %{{.*}} step %c2
// PAIR: scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %[[WHOLE]] step %c3
// PAIR: scf.for %{{.*}} iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// PAIR: scf.for %{{[^ ]*}} = %[[WHOLE]] to %[[PAIRSEND]] step %c2
// PAIR: memref.prefetch
// PAIR: scf.for %{{.*}} iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// PAIR: scf.for %{{[^ ]*}} = %[[PAIRSEND]] to %[[NT]] step %c1
// PAIR-NOT: memref.prefetch
// PAIR: scf.for %{{.*}} iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>)
// BAD: vector-width, quant-lanes, row-block, dot-vectors, accumulate-outputs, accumulate-vectors and dequant-rows must be positive
func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x4xf32> {
  %table = yan.weight_ref @embed : tensor<16x6xf32>
  %x = yan.embed %table, %tokens : (tensor<16x6xf32>, tensor<?xi32>) -> tensor<?x6xf32>
  %wu = yan.weight_ref @u : tensor<4x6xf32>
  %u = yan.linear %x, %wu : (tensor<?x6xf32>, tensor<4x6xf32>) -> tensor<?x4xf32>
  return %u : tensor<?x4xf32>
}

// -----

// reduceTransposed when a block has fewer rows than a vector has lanes
// (row-block=2, 8 lanes, D=8: no column tail): the two rows' accumulators
// are paired once (upper four lanes onto lower four), then the one vector
// left halves its own width twice, to the two rows' sums.
// WIDE-LABEL: func.func @yan_prefill(
// WIDE: %[[ACC:.*]]:2 = scf.for %{{.*}} -> (vector<8xf32>, vector<8xf32>)
// WIDE: %[[LO:.*]] = vector.shuffle %[[ACC]]#0, %[[ACC]]#1 [0, 1, 2, 3, 8, 9, 10, 11] : vector<8xf32>, vector<8xf32>
// WIDE: %[[HI:.*]] = vector.shuffle %[[ACC]]#0, %[[ACC]]#1 [4, 5, 6, 7, 12, 13, 14, 15] : vector<8xf32>, vector<8xf32>
// WIDE: %[[S8:.*]] = arith.addf %[[LO]], %[[HI]] : vector<8xf32>
// WIDE: %[[L4:.*]] = vector.shuffle %[[S8]], %[[S8]] [0, 1, 4, 5] : vector<8xf32>, vector<8xf32>
// WIDE: %[[H4:.*]] = vector.shuffle %[[S8]], %[[S8]] [2, 3, 6, 7] : vector<8xf32>, vector<8xf32>
// WIDE: %[[S4:.*]] = arith.addf %[[L4]], %[[H4]] : vector<4xf32>
// WIDE: %[[L2:.*]] = vector.shuffle %[[S4]], %[[S4]] [0, 2] : vector<4xf32>, vector<4xf32>
// WIDE: %[[H2:.*]] = vector.shuffle %[[S4]], %[[S4]] [1, 3] : vector<4xf32>, vector<4xf32>
// WIDE: %[[S2:.*]] = arith.addf %[[L2]], %[[H2]] : vector<2xf32>
// WIDE: %[[SUMS:.*]] = arith.addf %[[S2]], %{{.*}} : vector<2xf32>
// WIDE: vector.store %[[SUMS]], %{{.*}} : memref<?x2xf32>, vector<2xf32>
yan.weight @embed : tensor<16x8xf32>
yan.weight @u : tensor<2x8xf32>
func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x2xf32> {
  %table = yan.weight_ref @embed : tensor<16x8xf32>
  %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %wu = yan.weight_ref @u : tensor<2x8xf32>
  %u = yan.linear %x, %wu : (tensor<?x8xf32>, tensor<2x8xf32>) -> tensor<?x2xf32>
  return %u : tensor<?x2xf32>
}
