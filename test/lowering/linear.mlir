// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops=vector-width=4 | FileCheck %s

// yan.linear: out[t, r] = dot(W[r, :], x[t, :]) through the dot-product
// kernel. Each thread takes a share of the weight rows in whole 4-row
// blocks (rows outer, positions inner, so a block of weights streams once);
// a block keeps four vector accumulators; columns past the last whole
// vector and rows past the last whole block go through scalar tails.

// Decode, D=8 (two whole vectors, no column tail), 8 rows (two blocks).
yan.weight @embed : tensor<16x8xf32>
yan.weight @u : tensor<8x8xf32>
// CHECK-LABEL: func.func @yan_decode(
// CHECK-SAME: %[[TID:[^:]*]]: index, %[[NT:[^:]*]]: index, %{{[^:]*}}: i64
// CHECK: %[[W:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<8x8xf32>
// The thread's share: ceil(ceil(8 / 4) / threads) blocks of 4 rows.
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui %c8{{[_0-9]*}}, %c4
// CHECK: %[[PER:.*]] = arith.ceildivui %[[BLOCKS]], %[[NT]]
// CHECK: %[[ROWS:.*]] = arith.muli %[[PER]], %c4
// CHECK: %[[BEGIN:.*]] = arith.muli %[[TID]], %[[ROWS]]
// CHECK: scf.for %[[R:[^ ]*]] = %{{.*}} step %c4
// The token past the (here empty) whole tiles of 3 tokens: a tile of 4 rows.
// CHECK: scf.for %[[T:[^ ]*]] = %{{.*}} step %c1
// CHECK: %[[ACC:.*]]:4 = scf.for %[[C:[^ ]*]] = %c0{{[_0-9]*}} to %c8{{[_0-9]*}} step %c4{{[_0-9]*}} iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// CHECK: %[[X:.*]] = vector.load %{{.*}}[%[[T]], %[[C]]] : memref<1x8xf32>, vector<4xf32>
// CHECK: %[[ROW0:.*]] = vector.load %[[W]][%[[R]], %[[C]]] : memref<8x8xf32>, vector<4xf32>
// CHECK: %[[P:.*]] = arith.mulf %[[ROW0]], %[[X]] fastmath<contract> : vector<4xf32>
// CHECK: arith.addf %[[P]], %{{.*}} fastmath<contract> : vector<4xf32>
// No column tail: the block's four sums come out as one vector
// (reduceTransposed): rows paired, each row's upper half of lanes added to
// its lower half, twice, then vector.reduction's start value 0; one store.
// CHECK: %[[LO01:.*]] = vector.shuffle %[[ACC]]#0, %[[ACC]]#1 [0, 1, 4, 5]
// CHECK: %[[HI01:.*]] = vector.shuffle %[[ACC]]#0, %[[ACC]]#1 [2, 3, 6, 7]
// CHECK: %[[S01:.*]] = arith.addf %[[LO01]], %[[HI01]] : vector<4xf32>
// CHECK: vector.shuffle %[[ACC]]#2, %[[ACC]]#3 [0, 1, 4, 5]
// CHECK: %[[S23:.*]] = arith.addf
// CHECK: %[[LO:.*]] = vector.shuffle %[[S01]], %[[S23]] [0, 2, 4, 6]
// CHECK: %[[HI:.*]] = vector.shuffle %[[S01]], %[[S23]] [1, 3, 5, 7]
// CHECK: %[[SUMS:.*]] = arith.addf %[[LO]], %[[HI]] : vector<4xf32>
// CHECK: %[[OUT4:.*]] = arith.addf %[[SUMS]], %{{.*}} : vector<4xf32>
// CHECK-NEXT: vector.store %[[OUT4]], %{{.*}}[%[[T]], %[[R]]] : memref<?x8xf32>, vector<4xf32>
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x8xf32> {
  %table = yan.weight_ref @embed : tensor<16x8xf32>
  %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<1xi32>) -> tensor<1x8xf32>
  %wu = yan.weight_ref @u : tensor<8x8xf32>
  %u = yan.linear %x, %wu : (tensor<1x8xf32>, tensor<8x8xf32>) -> tensor<1x8xf32>
  return %u : tensor<1x8xf32>
}

// -----

// Prefill, D=6 (one vector and a 2-column tail), 5 rows (one block and a
// single-row tail), f16 weights widened per vector.
yan.weight @embed : tensor<16x6xf32>
yan.weight @u : tensor<5x6xf16>
// CHECK-LABEL: func.func @yan_prefill(
// CHECK: %[[W:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<5x6xf16>
// CHECK: %[[OUT:.*]] = memref.reinterpret_cast %{{.*}} sizes: [%{{.*}}, 5]
// The whole blocks: vectors up to column 4, then the scalar tail 4..6.
// CHECK: scf.for %{{[^ ]*}} = %{{[^ ]*}} to %[[FULL:[^ ]*]] step %c4
// CHECK: scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %c4{{[_0-9]*}} step %c4
// CHECK: vector.load %[[W]]{{.*}} : memref<5x6xf16>, vector<4xf16>
// CHECK: arith.extf %{{.*}} : vector<4xf16> to vector<4xf32>
// CHECK: scf.for %{{[^ ]*}} = %c4{{[_0-9]*}} to %c6 step %c1{{[_0-9]*}} iter_args
// CHECK: memref.load %[[W]]{{.*}} : memref<5x6xf16>
// CHECK: arith.extf %{{.*}} : f16 to f32
// A block's four sums (reduced before the column tail) go out as one vector.
// CHECK: vector.store %{{.*}}, %[[OUT]]{{.*}} : memref<?x5xf32>, vector<4xf32>
// The row tail: one row at a time, one accumulator.
// CHECK: scf.for %{{[^ ]*}} = %[[FULL]] to %{{.*}} step %c1
// CHECK: scf.for %{{.*}} iter_args(%{{.*}}) -> (vector<4xf32>)
// CHECK: vector.reduction <add>
// CHECK: scf.for %{{[^ ]*}} = %c4{{[_0-9]*}} to %c6 step %c1{{[_0-9]*}} iter_args(%{{.*}}) -> (f32)
// CHECK: memref.store %{{.*}}, %[[OUT]]
func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x5xf32> {
  %table = yan.weight_ref @embed : tensor<16x6xf32>
  %x = yan.embed %table, %tokens : (tensor<16x6xf32>, tensor<?xi32>) -> tensor<?x6xf32>
  %wu = yan.weight_ref @u : tensor<5x6xf16>
  %u = yan.linear %x, %wu : (tensor<?x6xf32>, tensor<5x6xf16>) -> tensor<?x5xf32>
  return %u : tensor<?x5xf32>
}
