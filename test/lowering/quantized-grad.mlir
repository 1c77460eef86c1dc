// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-build-learn -yan-lower-to-loops="vector-width=4 learn-max-tokens=8" | FileCheck %s

// The transposed product through a frozen quantized weight (the backward
// pass, KernelEmitter::accumulateRows): dx[t, :] += dy[t, o] * W'[o, :].
// Each block of 8 weight rows (this thread's columns) is dequantized once
// into a stack tile, vectors of 4 columns (within one group: d of that group
// times the widened q's), then every position's dx reads the tile.

// int8 head [16, 40] (one full and one 8-column group a row).
// CHECK-LABEL: func.func @yan_learn(
// CHECK: %[[SCRATCH:.*]] = memref.alloca() {alignment = 64 : i64} : memref<65536xi8>
// CHECK: %[[Q:.*]] = memref.reinterpret_cast %{{.*}} sizes: [16, 64], strides: [64, 1] : memref<{{[0-9]+}}xi8> to memref<16x64xi8, strided<[64, 1]>>
// CHECK: %[[D:.*]] = memref.reinterpret_cast %{{.*}} sizes: [16, 2], strides: [2, 1]
// CHECK: %[[DX:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<?x40xf32>
// CHECK: %[[TILE:.*]] = memref.view %[[SCRATCH]][%{{.*}}][] : memref<65536xi8> to memref<8x64xf32>
// CHECK: scf.for %[[O:[^ ]*]] = %c0{{[_0-9]*}} to %{{.*}} step %c8
// CHECK: %[[ROW:.*]] = arith.addi %[[O]], %c0
// The same row of the next block (clamped to the last weight row) is
// prefetched as this one is widened: its scales' line, then its q a vector
// of columns at a time.
// CHECK: %[[NEXT:.*]] = arith.addi %[[ROW]], %c8
// CHECK: %[[AHEAD:.*]] = arith.minui %[[NEXT]], %{{.*}} : index
// CHECK: memref.prefetch %[[D]][%[[AHEAD]], %{{.*}}], read, locality<3>, data
// CHECK: scf.for %[[C:[^ ]*]] =
// CHECK: memref.prefetch %[[Q]][%[[AHEAD]], %[[C]]], read, locality<3>, data
// CHECK: %[[G:.*]] = arith.divui %[[C]], %c32
// CHECK: %[[S:.*]] = memref.load %[[D]][%[[ROW]], %[[G]]]
// CHECK: arith.extf %[[S]] : f16 to f32
// CHECK: %[[QV:.*]] = vector.load %[[Q]][%[[ROW]], %[[C]]] : memref<16x64xi8, strided<[64, 1]>>, vector<4xi8>
// CHECK: %[[QF:.*]] = arith.sitofp %[[QV]] : vector<4xi8> to vector<4xf32>
// CHECK: %[[W:.*]] = arith.mulf %{{.*}}, %[[QF]] : vector<4xf32>
// CHECK: vector.store %[[W]], %[[TILE]][%c0{{[_0-9]*}}, %[[C]]] : memref<8x64xf32>, vector<4xf32>
// The 8 rows in the tile (each ending in a scalar column tail), then the
// register tiles of the positions x column vectors (columns outer) read it.
// CHECK-COUNT-8: memref.store %{{.*}}, %[[TILE]]
// CHECK: scf.for %[[C2:[^ ]*]] =
// CHECK: scf.for %[[T:[^ ]*]] =
// CHECK: vector.load %[[DX]][%[[T]], %[[C2]]] : memref<?x40xf32>, vector<4xf32>
// CHECK: vector.load %[[TILE]][%{{.*}}, %[[C2]]] : memref<8x64xf32>, vector<4xf32>
// CHECK: vector.store %{{.*}}, %[[DX]][%[[T]], %[[C2]]] : memref<?x40xf32>, vector<4xf32>
module {
  yan.weight @embed : tensor<16x40xf32>
  yan.weight @norm : tensor<40xf32>
  yan.weight @router : tensor<4x40xf32>
  yan.weight @w1 : tensor<4x4x40xf32>
  yan.weight @w3 : tensor<4x4x40xf32>
  yan.weight @w2 : tensor<4x40x4xf32>
  yan.weight @head : tensor<16x40xf32> {storage = "int8"}
  func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x16xf32> {
    %table = yan.weight_ref @embed : tensor<16x40xf32>
    %x = yan.embed %table, %tokens : (tensor<16x40xf32>, tensor<?xi32>) -> tensor<?x40xf32>
    %wr = yan.weight_ref @router : tensor<4x40xf32>
    %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<?x40xf32>, tensor<4x40xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %w1 = yan.weight_ref @w1 : tensor<4x4x40xf32>
    %w3 = yan.weight_ref @w3 : tensor<4x4x40xf32>
    %w2 = yan.weight_ref @w2 : tensor<4x40x4xf32>
    %f = yan.partitioned_ffn %x, %idx, %alpha, %w1, %w3, %w2 : (tensor<?x40xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x40xf32>, tensor<4x4x40xf32>, tensor<4x40x4xf32>) -> tensor<?x40xf32>
    %nw = yan.weight_ref @norm : tensor<40xf32>
    %head = yan.weight_ref @head : tensor<16x40xf32>
    %logits = yan.lm_head %f, %nw, %head {eps = 1.0e-5 : f32} : (tensor<?x40xf32>, tensor<40xf32>, tensor<16x40xf32>) -> tensor<?x16xf32>
    return %logits : tensor<?x16xf32>
  }
}

// -----

// int4 head [16, 40]: the 4 columns at c are nibbles of bytes
// 16 * (c / 32) + c % 16, shifted right by 4 * ((c % 32) / 16), minus 8.
// CHECK-LABEL: func.func @yan_learn(
// CHECK: %[[Q:.*]] = memref.reinterpret_cast %{{.*}} sizes: [16, 32], strides: [32, 1] : memref<{{[0-9]+}}xi8> to memref<16x32xi8, strided<[32, 1]>>
// CHECK: %[[TILE:.*]] = memref.view %{{.*}} : memref<65536xi8> to memref<8x64xf32>
// CHECK: scf.for %[[O:[^ ]*]] = %c0{{[_0-9]*}} to %{{.*}} step %c8
// CHECK: scf.for %[[C:[^ ]*]] =
// CHECK: %[[J:.*]] = arith.remui %[[C]], %c32
// CHECK: %[[B:.*]] = vector.load %[[Q]][%{{.*}}, %{{.*}}] : memref<16x32xi8, strided<[32, 1]>>, vector<4xi8>
// CHECK: %[[SHIFT:.*]] = vector.broadcast %{{.*}} : i8 to vector<4xi8>
// CHECK: %[[SHIFTED:.*]] = arith.shrui %[[B]], %[[SHIFT]] : vector<4xi8>
// CHECK: %[[N:.*]] = arith.andi %[[SHIFTED]], %{{.*}} : vector<4xi8>
// CHECK: %[[QI:.*]] = arith.subi %[[N]], %{{.*}} : vector<4xi8>
// CHECK: arith.sitofp %[[QI]] : vector<4xi8> to vector<4xf32>
// CHECK: vector.store %{{.*}}, %[[TILE]][%c0{{[_0-9]*}}, %[[C]]] : memref<8x64xf32>, vector<4xf32>
module {
  yan.weight @embed : tensor<16x40xf32>
  yan.weight @norm : tensor<40xf32>
  yan.weight @router : tensor<4x40xf32>
  yan.weight @w1 : tensor<4x4x40xf32>
  yan.weight @w3 : tensor<4x4x40xf32>
  yan.weight @w2 : tensor<4x40x4xf32>
  yan.weight @head : tensor<16x40xf32> {storage = "int4"}
  func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x16xf32> {
    %table = yan.weight_ref @embed : tensor<16x40xf32>
    %x = yan.embed %table, %tokens : (tensor<16x40xf32>, tensor<?xi32>) -> tensor<?x40xf32>
    %wr = yan.weight_ref @router : tensor<4x40xf32>
    %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<?x40xf32>, tensor<4x40xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %w1 = yan.weight_ref @w1 : tensor<4x4x40xf32>
    %w3 = yan.weight_ref @w3 : tensor<4x4x40xf32>
    %w2 = yan.weight_ref @w2 : tensor<4x40x4xf32>
    %f = yan.partitioned_ffn %x, %idx, %alpha, %w1, %w3, %w2 : (tensor<?x40xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x40xf32>, tensor<4x4x40xf32>, tensor<4x40x4xf32>) -> tensor<?x40xf32>
    %nw = yan.weight_ref @norm : tensor<40xf32>
    %head = yan.weight_ref @head : tensor<16x40xf32>
    %logits = yan.lm_head %f, %nw, %head {eps = 1.0e-5 : f32} : (tensor<?x40xf32>, tensor<40xf32>, tensor<16x40xf32>) -> tensor<?x16xf32>
    return %logits : tensor<?x16xf32>
  }
}
