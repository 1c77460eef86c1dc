// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops="vector-width=4 quant-lanes=8" | FileCheck %s

// int8 / int4 weights (docs/yan-model.md section 9): a weight's memref is its
// q plane (i8 [.., rows, qRowBytes]) next to its f16 scale plane
// [.., rows, groups]. Decode runs the fused kernel (per 32-column group:
// q widened and multiplied with x into one f32 vector, then acc += d * that
// vector); several vectors (prefill, learning) dequantize a tile of rows
// once into an f32 stack scratch and run the f32 kernel over it; embedding
// rows and the transposed product dequantize where they load.

// yan.linear, int8 [8, 64], decode: two groups a row, four 8-lane chunks a
// group, one scale per group and row.
yan.weight @embed : tensor<16x64xf32>
yan.weight @u : tensor<8x64xf32> {storage = "int8"}
// CHECK-LABEL: func.func @yan_decode(
// The q plane [8, 64] i8 and, 256 f16 (512 bytes) further, the scales [8, 2].
// CHECK: %[[QV:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<576xi8>
// CHECK: %[[Q:.*]] = memref.reinterpret_cast %[[QV]] to offset: [0], sizes: [8, 64], strides: [64, 1] : memref<576xi8> to memref<8x64xi8, strided<[64, 1]>>
// CHECK: %[[DV:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<288xf16>
// CHECK: %[[D:.*]] = memref.reinterpret_cast %[[DV]] to offset: [256], sizes: [8, 2], strides: [2, 1] : memref<288xf16> to memref<8x2xf16, strided<[2, 1], offset: 256>>
// One vector: the fused kernel, 4-row blocks. Per block: the scales of the
// rows 4 KiB of q ahead (clamped to the matrix) prefetched, and the block's
// scales widened once into an f32 [4, 2] tile on the stack.
// CHECK: scf.if
// CHECK: scf.for %[[R:[^ ]*]] = %{{.*}} step %c4
// CHECK: %[[AHEAD:.*]] = arith.minui %{{.*}}, %c7
// CHECK: memref.prefetch %[[D]][%[[AHEAD]], %{{.*}}], read, locality<3>, data
// Each row's q as a rank-1 view, made once per block (so the group loop
// addresses a row's start plus the group's offset): the block's 4 rows,
// then the 4 rows ahead.
// CHECK: %[[ROW0:.*]] = memref.subview %[[Q]][%[[R]], 0] [1, 64] [1, 1] : memref<8x64xi8, strided<[64, 1]>> to memref<64xi8, strided<[1], offset: ?>>
// CHECK-COUNT-3: memref.subview %[[Q]][%{{.*}}, 0] [1, 64] [1, 1]
// CHECK: %[[AHEAD0:.*]] = memref.subview %[[Q]][%[[AHEAD]], 0] [1, 64] [1, 1]
// CHECK: %[[TILE:.*]] = memref.view %{{.*}} : memref<65536xi8> to memref<4x2xf32>
// CHECK: %[[S:.*]] = memref.load %[[D]][%[[R]], %{{.*}}]
// CHECK: %[[SF:.*]] = arith.extf %[[S]] : f16 to f32
// CHECK: memref.store %[[SF]], %[[TILE]]
// Then a loop over the 2 groups: x's chunks loaded once for the 4 rows, the
// rows ahead prefetched, each row's scale broadcast from the tile.
// CHECK: %{{.*}}:4 = scf.for %[[G:[^ ]*]] = %c0{{[_0-9]*}} to %c2{{[_0-9]*}} step %c1{{[_0-9]*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-4: vector.load %{{.*}} : memref<1x64xf32>, vector<8xf32>
// CHECK: memref.prefetch %[[AHEAD0]][%{{.*}}], read, locality<3>, data
// CHECK: %[[SW:.*]] = memref.load %[[TILE]][%{{.*}}, %[[G]]] : memref<4x2xf32>
// CHECK: %[[SV:.*]] = vector.broadcast %[[SW]] : f32 to vector<8xf32>
// CHECK: %[[Q0:.*]] = vector.load %[[ROW0]][%{{.*}}] : memref<64xi8, strided<[1], offset: ?>>, vector<8xi8>
// CHECK: arith.sitofp %[[Q0]] : vector<8xi8> to vector<8xf32>
// CHECK-COUNT-3: arith.sitofp %{{.*}} : vector<8xi8> to vector<8xf32>
// CHECK: arith.mulf
// CHECK-COUNT-3: arith.addf %{{.*}} fastmath<contract> : vector<8xf32>
// The group's sum times its scale, into the row's accumulator.
// CHECK: %[[P:.*]] = arith.mulf %[[SV]], %{{.*}} fastmath<contract> : vector<8xf32>
// CHECK: arith.addf %[[P]], %{{.*}} fastmath<contract> : vector<8xf32>
// CHECK: vector.reduction <add>
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x8xf32> {
  %table = yan.weight_ref @embed : tensor<16x64xf32>
  %x = yan.embed %table, %tokens : (tensor<16x64xf32>, tensor<1xi32>) -> tensor<1x64xf32>
  %wu = yan.weight_ref @u : tensor<8x64xf32>
  %u = yan.linear %x, %wu : (tensor<1x64xf32>, tensor<8x64xf32>) -> tensor<1x8xf32>
  return %u : tensor<1x8xf32>
}

// -----

// yan.linear, int4 [5, 40], prefill: one full group and a short one (8
// columns) a row; several tokens take the dequantized tile, one the fused
// kernel.
yan.weight @embed : tensor<16x40xf32>
yan.weight @u : tensor<5x40xf32> {storage = "int4"}
// CHECK-LABEL: func.func @yan_prefill(
// CHECK: %[[SCRATCH:.*]] = memref.alloca() {alignment = 64 : i64} : memref<65536xi8>
// CHECK: %[[Q:.*]] = memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [5, 32], strides: [32, 1] : memref<256xi8> to memref<5x32xi8, strided<[32, 1]>>
// CHECK: %[[D:.*]] = memref.reinterpret_cast %{{.*}} to offset: [96], sizes: [5, 2], strides: [2, 1]
// CHECK: %[[ONE:.*]] = arith.cmpi eq, %{{.*}}, %c1
// CHECK: scf.if %[[ONE]]
// The fused kernel: per group, -8 * (the sum of x's chunks) once for every
// row; a row's dot product of nibbles starts from it (q = nibble - 8).
// CHECK: %[[X0:.*]] = vector.load %{{.*}} : memref<?x40xf32>, vector<8xf32>
// CHECK: %[[X1:.*]] = vector.load %{{.*}} : memref<?x40xf32>, vector<8xf32>
// CHECK: %[[X01:.*]] = arith.addf %[[X0]], %[[X1]] : vector<8xf32>
// CHECK: %[[X012:.*]] = arith.addf %[[X01]], %{{.*}} : vector<8xf32>
// CHECK: %[[XS:.*]] = arith.addf %[[X012]], %{{.*}} : vector<8xf32>
// CHECK: %[[M8:.*]] = arith.constant -8.000000e+00 : f32
// CHECK: %[[M8V:.*]] = vector.broadcast %[[M8]] : f32 to vector<8xf32>
// CHECK: %[[START:.*]] = arith.mulf %[[XS]], %[[M8V]] : vector<8xf32>
// Bytes 0..7 widened to 32 bits: their low nibbles are elements 0..7,
// their high nibbles 16..23.
// CHECK: %[[B:.*]] = vector.load %{{.*}}[%{{.*}}] : memref<32xi8, strided<[1], offset: ?>>, vector<8xi8>
// CHECK: %[[W:.*]] = arith.extui %[[B]] : vector<8xi8> to vector<8xi32>
// CHECK: %[[LO:.*]] = arith.andi %[[W]], %{{.*}} : vector<8xi32>
// CHECK: %[[LOF:.*]] = arith.sitofp %[[LO]] : vector<8xi32> to vector<8xf32>
// CHECK: %[[HI:.*]] = arith.shrui %[[W]], %{{.*}} : vector<8xi32>
// CHECK: arith.sitofp %[[HI]] : vector<8xi32> to vector<8xf32>
// CHECK: vector.load %{{.*}}[%{{.*}}] : memref<32xi8, strided<[1], offset: ?>>, vector<8xi8>
// CHECK: %[[P0:.*]] = arith.mulf %[[LOF]], %[[X0]] fastmath<contract> : vector<8xf32>
// CHECK: arith.addf %[[P0]], %[[START]] fastmath<contract> : vector<8xf32>
// Several tokens: 16-row tiles (5 rows here) dequantized into the stack
// scratch, then the f32 kernel reads the tile for every token; the tile is
// in cache, so its tiles of two tokens prefetch nothing. Widening a row
// prefetches the same row of the next tile (row + 16, clamped to the last
// row, 4): its scales' line, then its q a group at a time.
// CHECK: } else {
// CHECK: %[[MANY:.*]] = arith.cmpi ugt, %{{.*}}, %c1
// CHECK: scf.if %[[MANY]]
// CHECK: %[[TILE:.*]] = memref.view %[[SCRATCH]][%{{.*}}][] : memref<65536xi8> to memref<16x40xf32>
// CHECK: scf.for %[[R0:[^ ]*]] = %{{.*}} to %{{.*}} step %c16
// CHECK: arith.minui %c16
// CHECK: %[[ROW:.*]] = arith.addi %[[R0]], %{{.*}} : index
// CHECK: %[[AHEAD:.*]] = arith.addi %[[ROW]], %c16{{[_0-9]*}} : index
// CHECK: %[[NEXT:.*]] = arith.minui %[[AHEAD]], %c4{{[_0-9]*}} : index
// CHECK: memref.prefetch %[[D]][%[[NEXT]], %{{.*}}], read, locality<3>, data
// CHECK: %[[QNEXT:.*]] = memref.subview %[[Q]][%[[NEXT]], 0]
// CHECK: memref.prefetch %[[QNEXT]][%{{.*}}], read, locality<3>, data
// CHECK: memref.load %[[D]]
// CHECK: vector.load %[[Q]]
// CHECK: vector.store %{{.*}}, %[[TILE]][%{{.*}}, %{{.*}}] : memref<16x40xf32>, vector<8xf32>
// CHECK: vector.load %[[TILE]][%{{.*}}, %{{.*}}] : memref<16x40xf32>, vector<4xf32>
// CHECK-NOT: memref.prefetch
// CHECK: return
func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x5xf32> {
  %table = yan.weight_ref @embed : tensor<16x40xf32>
  %x = yan.embed %table, %tokens : (tensor<16x40xf32>, tensor<?xi32>) -> tensor<?x40xf32>
  %wu = yan.weight_ref @u : tensor<5x40xf32>
  %u = yan.linear %x, %wu : (tensor<?x40xf32>, tensor<5x40xf32>) -> tensor<?x5xf32>
  return %u : tensor<?x5xf32>
}

// -----

// yan.router, int4 [4, 32], decode.
yan.weight @embed : tensor<16x32xf32>
yan.weight @router : tensor<4x32xf32> {storage = "int4"}
// CHECK-LABEL: func.func @yan_decode(
// CHECK: %[[Q:.*]] = memref.reinterpret_cast %{{.*}} sizes: [4, 16], strides: [16, 1] : memref<128xi8> to memref<4x16xi8, strided<[16, 1]>>
// CHECK: %[[D:.*]] = memref.reinterpret_cast %{{.*}} to offset: [32], sizes: [4, 1], strides: [1, 1]
// The router's logits: one group a row.
// CHECK: scf.for %[[R:[^ ]*]] = %{{.*}} step %c4
// CHECK: %[[ROW:.*]] = memref.subview %[[Q]][%[[R]], 0] [1, 16] [1, 1]
// CHECK: memref.load %[[D]][%[[R]], %{{.*}}]
// CHECK: vector.load %[[ROW]][%{{.*}}] : memref<16xi8, strided<[1], offset: ?>>, vector<8xi8>
// CHECK: vector.reduction <add>
// CHECK: memref.store
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x2xf32> {
  %table = yan.weight_ref @embed : tensor<16x32xf32>
  %x = yan.embed %table, %tokens : (tensor<16x32xf32>, tensor<1xi32>) -> tensor<1x32xf32>
  %wr = yan.weight_ref @router : tensor<4x32xf32>
  %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<1x32xf32>, tensor<4x32xf32>) -> (tensor<1x2xi32>, tensor<1x2xf32>)
  return %alpha : tensor<1x2xf32>
}

// -----

// yan.partitioned_ffn, int8 partitions [3, 4, 32] and [3, 32, 4], decode:
// partition p's slab (q plane and scales) at p * partition_stride, read
// only for the routed p.
yan.weight @embed : tensor<16x32xf32>
yan.weight @router : tensor<3x32xf32>
yan.weight @w1 : tensor<3x4x32xf32> {storage = "int8"}
yan.weight @w3 : tensor<3x4x32xf32> {storage = "int8"}
yan.weight @w2 : tensor<3x32x4xf32> {storage = "int8"}
// CHECK-LABEL: func.func @yan_decode(
// w1: q [3, 4, 32] 192 bytes apart, scales [3, 4, 1] at 64 f16 into each slab.
// CHECK: %[[W1:.*]] = memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [3, 4, 32], strides: [192, 32, 1] : memref<576xi8> to memref<3x4x32xi8, strided<[192, 32, 1]>>
// CHECK: %[[D1:.*]] = memref.reinterpret_cast %{{.*}} to offset: [64], sizes: [3, 4, 1], strides: [96, 1, 1] : memref<288xf16> to memref<3x4x1xf16, strided<[96, 1, 1], offset: 64>>
// w2 [3, 32, 4]: a short group per row, q rows of 32 bytes.
// CHECK: %[[W2:.*]] = memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [3, 32, 32], strides: [1088, 32, 1]
// CHECK: %[[D2:.*]] = memref.reinterpret_cast %{{.*}} to offset: [512], sizes: [3, 32, 1], strides: [544, 1, 1]
// The routed partition p indexes both planes.
// CHECK: %[[ROW:.*]] = memref.subview %[[W1]][%[[P:[^,]*]], %{{.*}}, 0] [1, 1, 32] [1, 1, 1] : memref<3x4x32xi8, strided<[192, 32, 1]>> to memref<32xi8, strided<[1], offset: ?>>
// CHECK: memref.load %[[D1]][%[[P]], %{{.*}}, %{{.*}}]
// CHECK: vector.load %[[ROW]][%{{.*}}] : memref<32xi8, strided<[1], offset: ?>>, vector<8xi8>
// CHECK: memref.load %[[W2]][%[[P]], %{{.*}}, %{{.*}}] : memref<3x32x32xi8, strided<[1088, 32, 1]>>
// CHECK: memref.load %[[D2]][%[[P]], %{{.*}}, %{{.*}}]
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x32xf32> {
  %table = yan.weight_ref @embed : tensor<16x32xf32>
  %x = yan.embed %table, %tokens : (tensor<16x32xf32>, tensor<1xi32>) -> tensor<1x32xf32>
  %wr = yan.weight_ref @router : tensor<3x32xf32>
  %idx, %alpha = yan.router %x, %wr {active_partitions = 1} : (tensor<1x32xf32>, tensor<3x32xf32>) -> (tensor<1x1xi32>, tensor<1x1xf32>)
  %w1 = yan.weight_ref @w1 : tensor<3x4x32xf32>
  %w3 = yan.weight_ref @w3 : tensor<3x4x32xf32>
  %w2 = yan.weight_ref @w2 : tensor<3x32x4xf32>
  %f = yan.partitioned_ffn %x, %idx, %alpha, %w1, %w3, %w2 : (tensor<1x32xf32>, tensor<1x1xi32>, tensor<1x1xf32>, tensor<3x4x32xf32>, tensor<3x4x32xf32>, tensor<3x32x4xf32>) -> tensor<1x32xf32>
  return %f : tensor<1x32xf32>
}

// -----

// yan.lm_head, int4 [10, 64], decode.
yan.weight @embed : tensor<10x64xf32>
yan.weight @norm : tensor<64xf32>
yan.weight @head : tensor<10x64xf32> {storage = "int4"}
// CHECK-LABEL: func.func @yan_decode(
// CHECK: %[[Q:.*]] = memref.reinterpret_cast %{{.*}} sizes: [10, 32], strides: [32, 1] : memref<{{[0-9]+}}xi8> to memref<10x32xi8, strided<[32, 1]>>
// CHECK: %[[D:.*]] = memref.reinterpret_cast %{{.*}} sizes: [10, 2], strides: [2, 1]
// The normed rows, then the head's rows into the logits.
// CHECK: func.call_indirect
// CHECK: memref.subview %[[Q]][%{{.*}}, 0] [1, 32] [1, 1]
// CHECK: scf.for %{{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: memref.load %[[D]]
// CHECK: vector.load %{{.*}} : memref<32xi8, strided<[1], offset: ?>>, vector<8xi8>
// CHECK: vector.reduction <add>
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x10xf32> {
  %table = yan.weight_ref @embed : tensor<10x64xf32>
  %x = yan.embed %table, %tokens : (tensor<10x64xf32>, tensor<1xi32>) -> tensor<1x64xf32>
  %nw = yan.weight_ref @norm : tensor<64xf32>
  %head = yan.weight_ref @head : tensor<10x64xf32>
  %logits = yan.lm_head %x, %nw, %head {eps = 1.0e-5 : f32} : (tensor<1x64xf32>, tensor<64xf32>, tensor<10x64xf32>) -> tensor<1x10xf32>
  return %logits : tensor<1x10xf32>
}

// -----

// yan.embed, int8 [16, 40]: each element dequantized, d of its group times q.
yan.weight @embed : tensor<16x40xf32> {storage = "int8"}
// CHECK-LABEL: func.func @yan_decode(
// CHECK: %[[Q:.*]] = memref.reinterpret_cast %{{.*}} sizes: [16, 64], strides: [64, 1] : memref<{{[0-9]+}}xi8> to memref<16x64xi8, strided<[64, 1]>>
// CHECK: %[[D:.*]] = memref.reinterpret_cast %{{.*}} sizes: [16, 2], strides: [2, 1]
// CHECK: %[[ROW:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK: scf.for %[[C:[^ ]*]] = %c0{{[_0-9]*}} to %c40
// CHECK: %[[G:.*]] = arith.divui %[[C]], %c32
// CHECK: %[[S:.*]] = memref.load %[[D]][%[[ROW]], %[[G]]]
// CHECK: %[[SF:.*]] = arith.extf %[[S]] : f16 to f32
// CHECK: %[[QB:.*]] = memref.load %[[Q]][%[[ROW]], %[[C]]]
// CHECK: %[[QF:.*]] = arith.sitofp %[[QB]] : i8 to f32
// CHECK: %[[W:.*]] = arith.mulf %[[SF]], %[[QF]] : f32
// CHECK: memref.store %[[W]]
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x40xf32> {
  %table = yan.weight_ref @embed : tensor<16x40xf32>
  %x = yan.embed %table, %tokens : (tensor<16x40xf32>, tensor<1xi32>) -> tensor<1x40xf32>
  return %x : tensor<1x40xf32>
}

// -----

// yan.embed, int4 [16, 40]: element j of a group is the low nibble of byte
// j % 16 shifted by 4 * (j / 16), minus 8.
yan.weight @embed : tensor<16x40xf32> {storage = "int4"}
// CHECK-LABEL: func.func @yan_decode(
// CHECK: %[[Q:.*]] = memref.reinterpret_cast %{{.*}} sizes: [16, 32], strides: [32, 1] : memref<{{[0-9]+}}xi8> to memref<16x32xi8, strided<[32, 1]>>
// CHECK: scf.for %[[C:[^ ]*]] = %c0{{[_0-9]*}} to %c40
// CHECK: %[[J:.*]] = arith.remui %[[C]], %c32
// CHECK: %[[JB:.*]] = arith.remui %[[J]], %c16
// CHECK: %[[BYTE:.*]] = memref.load %[[Q]]
// CHECK: %[[HALF:.*]] = arith.divui %[[J]], %c16
// CHECK: %[[SHIFT:.*]] = arith.index_cast %{{.*}} : index to i8
// CHECK: %[[SHIFTED:.*]] = arith.shrui %[[BYTE]], %[[SHIFT]] : i8
// CHECK: %[[NIBBLE:.*]] = arith.andi %[[SHIFTED]], %c15_i8 : i8
// CHECK: %[[QI:.*]] = arith.subi %[[NIBBLE]], %c8_i8 : i8
// CHECK: arith.sitofp %[[QI]] : i8 to f32
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x40xf32> {
  %table = yan.weight_ref @embed : tensor<16x40xf32>
  %x = yan.embed %table, %tokens : (tensor<16x40xf32>, tensor<1xi32>) -> tensor<1x40xf32>
  return %x : tensor<1x40xf32>
}

// -----

// An odd shape, int8 [5, 20]: fewer than 32 columns, one short group; two
// 8-lane chunks, then 4 columns one by one, all times the one scale.
yan.weight @embed : tensor<16x20xf32>
yan.weight @u : tensor<5x20xf32> {storage = "int8"}
// CHECK-LABEL: func.func @yan_decode(
// CHECK: %[[Q:.*]] = memref.reinterpret_cast %{{.*}} sizes: [5, 32], strides: [32, 1] : memref<{{[0-9]+}}xi8> to memref<5x32xi8, strided<[32, 1]>>
// No whole group: no group loop; two vector chunks, 4 scalar columns.
// CHECK: scf.for %[[R:[^ ]*]] = %{{.*}} step %c4
// CHECK-NOT: iter_args
// CHECK: vector.load %[[Q]][%[[R]], %{{.*}}] : memref<5x32xi8, strided<[32, 1]>>, vector<8xi8>
// CHECK: vector.load %[[Q]][%[[R]], %{{.*}}] : memref<5x32xi8, strided<[32, 1]>>, vector<8xi8>
// CHECK: vector.reduction <add>
// CHECK: memref.load %{{.*}}[%{{.*}}, %c16] : memref<1x20xf32>
// CHECK: memref.load %[[Q]][%[[R]], %c16{{[_0-9]*}}]
// CHECK: memref.load %[[Q]][%[[R]], %c17{{[_0-9]*}}]
// CHECK: memref.load %[[Q]][%[[R]], %c18{{[_0-9]*}}]
// CHECK: memref.load %[[Q]][%[[R]], %c19{{[_0-9]*}}]
// The one scale, times the group's sum.
// CHECK: memref.load %{{.*}}[%[[R]], %c0{{[_0-9]*}}] : memref<5x1xf16
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x5xf32> {
  %table = yan.weight_ref @embed : tensor<16x20xf32>
  %x = yan.embed %table, %tokens : (tensor<16x20xf32>, tensor<1xi32>) -> tensor<1x20xf32>
  %wu = yan.weight_ref @u : tensor<5x20xf32>
  %u = yan.linear %x, %wu : (tensor<1x20xf32>, tensor<5x20xf32>) -> tensor<1x5xf32>
  return %u : tensor<1x5xf32>
}
