// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops="vector-width=16 quant-lanes=16 bf16-dot-intrinsic=llvm.x86.avx512bf16.dpbf16ps.512 word-lookup-intrinsic=llvm.x86.avx512.permvar.hi.512" -canonicalize | FileCheck %s
// RUN: not yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops="quant-lanes=8 bf16-dot-intrinsic=llvm.x86.avx512bf16.dpbf16ps.512 word-lookup-intrinsic=llvm.x86.avx512.permvar.hi.512" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops="vector-width=16 quant-lanes=16 bf16-dot-intrinsic=llvm.x86.avx512bf16.dpbf16ps.512" 2>&1 | FileCheck %s --check-prefix=BAD

// The fused int4 decode kernel on bf16 pair dots (Bf16PairDot.cpp,
// docs/codegen.md): x split once into two bf16 limbs in the scratch's upper
// half, then per four groups and row the 64 bytes read as words, four table
// lookups (the words as read and shifted by 4, 8, 12), two chains of four
// pair dots (one per limb), their sum, and one FMA with the four groups'
// scales spread over 4 lanes each.
// BAD: bf16-dot-intrinsic and word-lookup-intrinsic go together, and need quant-lanes 16

// yan.router, int4 [4, 160]: five groups a row, one step of four and a last
// group that takes the f32 path.
yan.weight @embed : tensor<16x160xf32>
yan.weight @router : tensor<4x160xf32> {storage = "int4"}
// CHECK-LABEL: func.func @yan_decode(
// bf16(n % 16 - 8) for n = 0..31: -8 is 0xc100, 0 is 0, 1 is 0x3f80, 7 is 0x40e0.
// CHECK-DAG: %[[TABLE:.*]] = arith.constant dense<[-16128, {{.*}}, 0, 16256, {{.*}}, 16608, -16128, {{.*}}, 16608]> : vector<32xi16>
// CHECK-DAG: %[[BY4:.*]] = arith.constant dense<4> : vector<32xi16>
// CHECK-DAG: %[[BY8:.*]] = arith.constant dense<8> : vector<32xi16>
// CHECK-DAG: %[[BY12:.*]] = arith.constant dense<12> : vector<32xi16>
// CHECK: %[[LIMBS:.*]] = memref.view %{{.*}}[%c32768][] : memref<65536xi8> to memref<256xbf16>
// Lookup 0 (low nibbles of the even bytes): elements 0, 2, .., 14 of each group.
// CHECK: %[[EVEN01:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30] : vector<16xf32>, vector<16xf32>
// CHECK: %[[EVEN23:.*]] = vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30] : vector<16xf32>, vector<16xf32>
// CHECK: %[[X:.*]] = vector.shuffle %[[EVEN01]], %[[EVEN23]] [0, 1,
// CHECK: %[[HIGH:.*]] = arith.truncf %[[X]] : vector<32xf32> to vector<32xbf16>
// CHECK: %[[BACK:.*]] = arith.extf %[[HIGH]] : vector<32xbf16> to vector<32xf32>
// CHECK: %[[REST:.*]] = arith.subf %[[X]], %[[BACK]]
// CHECK: %[[LOW:.*]] = arith.truncf %[[REST]] : vector<32xf32> to vector<32xbf16>
// CHECK: vector.store %[[HIGH]], %[[LIMBS]]
// CHECK: vector.store %[[LOW]], %[[LIMBS]]
// Lookup 2 (low nibbles of the odd bytes): elements 1, 3, .., 15.
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31] : vector<16xf32>, vector<16xf32>
// CHECK: %[[BYTES:.*]] = vector.load %{{.*}} : memref<{{.*}}xi8{{.*}}>, vector<64xi8>
// CHECK: %[[WORDS:.*]] = vector.bitcast %[[BYTES]] : vector<64xi8> to vector<32xi16>
// CHECK: %[[L0:.*]] = llvm.call_intrinsic "llvm.x86.avx512.permvar.hi.512"(%[[TABLE]], %[[WORDS]])
// CHECK: %[[Q0:.*]] = vector.bitcast %[[L0]] : vector<32xi16> to vector<32xbf16>
// CHECK: %[[S4:.*]] = arith.shrui %[[WORDS]], %[[BY4]]
// CHECK: %[[L1:.*]] = llvm.call_intrinsic "llvm.x86.avx512.permvar.hi.512"(%[[TABLE]], %[[S4]])
// CHECK: %[[Q1:.*]] = vector.bitcast %[[L1]]
// CHECK: %[[S8:.*]] = arith.shrui %[[WORDS]], %[[BY8]]
// CHECK: %[[L2:.*]] = llvm.call_intrinsic "llvm.x86.avx512.permvar.hi.512"(%[[TABLE]], %[[S8]])
// CHECK: %[[Q2:.*]] = vector.bitcast %[[L2]]
// CHECK: %[[S12:.*]] = arith.shrui %[[WORDS]], %[[BY12]]
// CHECK: %[[L3:.*]] = llvm.call_intrinsic "llvm.x86.avx512.permvar.hi.512"(%[[TABLE]], %[[S12]])
// CHECK: %[[Q3:.*]] = vector.bitcast %[[L3]]
// CHECK: %[[H1:.*]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%{{.*}}, %[[Q0]], %{{.*}})
// CHECK: %[[H2:.*]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%[[H1]], %[[Q1]], %{{.*}})
// CHECK: %[[H3:.*]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%[[H2]], %[[Q2]], %{{.*}})
// CHECK: %[[H4:.*]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%[[H3]], %[[Q3]], %{{.*}})
// CHECK: %[[L1D:.*]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%{{.*}}, %[[Q0]], %{{.*}})
// CHECK: %[[L2D:.*]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%[[L1D]], %[[Q1]], %{{.*}})
// CHECK: %[[L3D:.*]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%[[L2D]], %[[Q2]], %{{.*}})
// CHECK: %[[L4D:.*]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%[[L3D]], %[[Q3]], %{{.*}})
// CHECK: %[[SUM:.*]] = arith.addf %[[H4]], %[[L4D]]
// CHECK: %[[SCALES:.*]] = vector.load %{{.*}} : memref<4x5xf32>, vector<4xf32>
// CHECK: %[[SPREAD:.*]] = vector.shuffle %[[SCALES]], %[[SCALES]] [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]
// CHECK: arith.mulf %[[SPREAD]], %[[SUM]]
// The fifth group: nibbles widened to f32.
// CHECK: arith.sitofp
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x2xf32> {
  %table = yan.weight_ref @embed : tensor<16x160xf32>
  %x = yan.embed %table, %tokens : (tensor<16x160xf32>, tensor<1xi32>) -> tensor<1x160xf32>
  %wr = yan.weight_ref @router : tensor<4x160xf32>
  %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<1x160xf32>, tensor<4x160xf32>) -> (tensor<1x2xi32>, tensor<1x2xf32>)
  return %alpha : tensor<1x2xf32>
}

// -----

// int8 [4, 64]: the pair dot is int4's only; int8 keeps widening q.
yan.weight @embed : tensor<16x64xf32>
yan.weight @router : tensor<4x64xf32> {storage = "int8"}
// CHECK-LABEL: func.func @yan_decode(
// CHECK-NOT: llvm.call_intrinsic
// CHECK: arith.sitofp
// CHECK-NOT: llvm.call_intrinsic
// CHECK: return
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x2xf32> {
  %table = yan.weight_ref @embed : tensor<16x64xf32>
  %x = yan.embed %table, %tokens : (tensor<16x64xf32>, tensor<1xi32>) -> tensor<1x64xf32>
  %wr = yan.weight_ref @router : tensor<4x64xf32>
  %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<1x64xf32>, tensor<4x64xf32>) -> (tensor<1x2xi32>, tensor<1x2xf32>)
  return %alpha : tensor<1x2xf32>
}

// -----

// int4 [4, 96]: three groups, fewer than one step of four.
yan.weight @embed : tensor<16x96xf32>
yan.weight @router : tensor<4x96xf32> {storage = "int4"}
// CHECK-LABEL: func.func @yan_decode(
// CHECK-NOT: llvm.call_intrinsic
// CHECK: return
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x2xf32> {
  %table = yan.weight_ref @embed : tensor<16x96xf32>
  %x = yan.embed %table, %tokens : (tensor<16x96xf32>, tensor<1xi32>) -> tensor<1x96xf32>
  %wr = yan.weight_ref @router : tensor<4x96xf32>
  %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<1x96xf32>, tensor<4x96xf32>) -> (tensor<1x2xi32>, tensor<1x2xf32>)
  return %alpha : tensor<1x2xf32>
}
