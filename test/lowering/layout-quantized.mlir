// RUN: yan-opt %s -split-input-file -yan-layout-weights | FileCheck %s
// Sizes of quantized weights (docs/yan-model.md section 9): one slab per
// matrix, q plane then f16 scale plane, each 64-byte aligned.

// int8 [40, 70]: 3 groups of 32 a row, q plane 40*96 = 3840, scales at 3840,
// 40*3*2 = 240 bytes, slab 4096; the next weight starts right after it.
// CHECK-LABEL: module @int8_matrix attributes {yan.weight_bytes = 4352 : i64}
// CHECK: yan.weight @a {{.*}}storage = "int8", yan.offset = 0 : i64, yan.partition_stride = 4096 : i64
// CHECK: yan.weight @b {{.*}}yan.offset = 4096 : i64
module @int8_matrix {
  yan.weight @a : tensor<40x70xf32> {storage = "int8"}
  yan.weight @b : tensor<64xf32>
}

// -----

// int4 [3, 5]: one short group a row, q plane 3*16 = 48, scales at 64, slab
// align64(64 + 6) = 128; the three slabs span 384 bytes.
// CHECK-LABEL: module @int4_partitions attributes {yan.weight_bytes = 400 : i64}
// CHECK: yan.weight @w {{.*}}storage = "int4", yan.offset = 0 : i64, yan.partition_stride = 384 : i64
// CHECK: yan.weight @next {{.*}}yan.offset = 384 : i64
module @int4_partitions {
  yan.weight @w : tensor<3x3x5xf32> {storage = "int4"}
  yan.weight @next : tensor<4xf32>
}
