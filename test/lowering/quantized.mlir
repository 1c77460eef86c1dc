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
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x40xf32> {
  %table = yan.weight_ref @embed : tensor<16x40xf32>
  %x = yan.embed %table, %tokens : (tensor<16x40xf32>, tensor<1xi32>) -> tensor<1x40xf32>
  return %x : tensor<1x40xf32>
}

// -----

// yan.embed, int4 [16, 40]: element j of a group is the low nibble of byte
// j % 16 shifted by 4 * (j / 16), minus 8.
yan.weight @embed : tensor<16x40xf32> {storage = "int4"}
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
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x5xf32> {
  %table = yan.weight_ref @embed : tensor<16x20xf32>
  %x = yan.embed %table, %tokens : (tensor<16x20xf32>, tensor<1xi32>) -> tensor<1x20xf32>
  %wu = yan.weight_ref @u : tensor<5x20xf32>
  %u = yan.linear %x, %wu : (tensor<1x20xf32>, tensor<5x20xf32>) -> tensor<1x5xf32>
  return %u : tensor<1x5xf32>
}
