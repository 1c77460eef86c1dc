// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops="vector-width=16 quant-lanes=16 bf16-dot-intrinsic=llvm.x86.avx512bf16.dpbf16ps.512 word-lookup-intrinsic=llvm.x86.avx512.permvar.hi.512" -canonicalize | FileCheck %s
// RUN: not yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops="quant-lanes=8 bf16-dot-intrinsic=llvm.x86.avx512bf16.dpbf16ps.512 word-lookup-intrinsic=llvm.x86.avx512.permvar.hi.512" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops="vector-width=16 quant-lanes=16 bf16-dot-intrinsic=llvm.x86.avx512bf16.dpbf16ps.512" 2>&1 | FileCheck %s --check-prefix=BAD

// The fused int4 decode kernel on bf16 pair dots (Bf16PairDot.cpp,
// docs/codegen.md): x split once into two bf16 limbs in the scratch's upper
// half, then per pair of groups and row the 32 bytes zero-extended to words,
// two table lookups (low and high nibbles), four pair dots and one FMA with
// the two groups' scales spread over 8 lanes each.
// BAD: bf16-dot-intrinsic and word-lookup-intrinsic go together, and need quant-lanes 16

// yan.router, int4 [4, 96]: three groups a row, one pair and an odd group
// that takes the f32 path.
yan.weight @embed : tensor<16x96xf32>
yan.weight @router : tensor<4x96xf32> {storage = "int4"}
// CHECK-LABEL: func.func @yan_decode(
// bf16(n % 16 - 8) for n = 0..31: -8 is 0xc100, 0 is 0, 1 is 0x3f80, 7 is 0x40e0.
// CHECK-DAG: %[[TABLE:.*]] = arith.constant dense<[-16128, {{.*}}, 0, 16256, {{.*}}, 16608, -16128, {{.*}}, 16608]> : vector<32xi16>
// CHECK: %[[LIMBS:.*]] = memref.view %{{.*}}[%c32768][] : memref<65536xi8> to memref<128xbf16>
// CHECK: %[[X:.*]] = vector.shuffle
// CHECK: %[[HIGH:.*]] = arith.truncf %[[X]] : vector<32xf32> to vector<32xbf16>
// CHECK: %[[BACK:.*]] = arith.extf %[[HIGH]] : vector<32xbf16> to vector<32xf32>
// CHECK: %[[REST:.*]] = arith.subf %[[X]], %[[BACK]]
// CHECK: %[[LOW:.*]] = arith.truncf %[[REST]] : vector<32xf32> to vector<32xbf16>
// CHECK: vector.store %[[HIGH]], %[[LIMBS]]
// CHECK: vector.store %[[LOW]], %[[LIMBS]]
// CHECK: %[[WORDS:.*]] = arith.extui %{{.*}} : vector<32xi8> to vector<32xi16>
// CHECK: %[[LO:.*]] = llvm.call_intrinsic "llvm.x86.avx512.permvar.hi.512"(%[[TABLE]], %[[WORDS]])
// CHECK: %[[QLO:.*]] = vector.bitcast %[[LO]] : vector<32xi16> to vector<32xbf16>
// CHECK: %[[SHIFTED:.*]] = arith.shrui %[[WORDS]]
// CHECK: %[[HI:.*]] = llvm.call_intrinsic "llvm.x86.avx512.permvar.hi.512"(%[[TABLE]], %[[SHIFTED]])
// CHECK: %[[QHI:.*]] = vector.bitcast %[[HI]]
// CHECK: %[[D1:.*]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%{{.*}}, %[[QLO]], %{{.*}})
// CHECK: %[[D2:.*]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%[[D1]], %[[QHI]], %{{.*}})
// CHECK: %[[D3:.*]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%[[D2]], %[[QLO]], %{{.*}})
// CHECK: %[[D4:.*]] = llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"(%[[D3]], %[[QHI]], %{{.*}})
// CHECK: %[[SCALES:.*]] = vector.load %{{.*}} : memref<4x3xf32>, vector<2xf32>
// CHECK: %[[SPREAD:.*]] = vector.shuffle %[[SCALES]], %[[SCALES]] [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
// CHECK: arith.mulf %[[SPREAD]], %[[D4]]
// The odd third group: nibbles widened to f32.
// CHECK: arith.sitofp
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x2xf32> {
  %table = yan.weight_ref @embed : tensor<16x96xf32>
  %x = yan.embed %table, %tokens : (tensor<16x96xf32>, tensor<1xi32>) -> tensor<1x96xf32>
  %wr = yan.weight_ref @router : tensor<4x96xf32>
  %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<1x96xf32>, tensor<4x96xf32>) -> (tensor<1x2xi32>, tensor<1x2xf32>)
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

// int4 [4, 32]: one group, no pair.
yan.weight @embed : tensor<16x32xf32>
yan.weight @router : tensor<4x32xf32> {storage = "int4"}
// CHECK-LABEL: func.func @yan_decode(
// CHECK-NOT: llvm.call_intrinsic
// CHECK: return
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x2xf32> {
  %table = yan.weight_ref @embed : tensor<16x32xf32>
  %x = yan.embed %table, %tokens : (tensor<16x32xf32>, tensor<1xi32>) -> tensor<1x32xf32>
  %wr = yan.weight_ref @router : tensor<4x32xf32>
  %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<1x32xf32>, tensor<4x32xf32>) -> (tensor<1x2xi32>, tensor<1x2xf32>)
  return %alpha : tensor<1x2xf32>
}
