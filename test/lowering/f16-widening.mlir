// RUN: yan-opt %s -yan-layout-weights -yan-lower-to-loops=vector-width=4 | FileCheck %s --check-prefix=NATIVE
// RUN: yan-opt %s -yan-layout-weights -yan-lower-to-loops="vector-width=4 native-f16=false" | FileCheck %s --check-prefix=BITS

// f16 weights are widened to f32 where they are loaded. Targets that
// convert in hardware (x86 F16C, RISC-V Zfhmin, AArch64) get arith.extf;
// the others (native-f16=false: x86-64-v2, RISC-V without Zfhmin) widen
// with integer operations, exactly, because arith.extf would become a call
// to __extendhfsf2, which a code image cannot import.

yan.weight @embed : tensor<16x6xf32>
yan.weight @u : tensor<4x6xf16>

// NATIVE-LABEL: func.func @yan_decode(
// NATIVE: arith.extf %{{.*}} : vector<4xf16> to vector<4xf32>
// NATIVE: arith.extf %{{.*}} : f16 to f32

// BITS-LABEL: func.func @yan_decode(
// BITS-NOT: arith.extf
// The vector path: the half's bits, zero-extended.
// BITS: %[[V:.*]] = vector.load %{{.*}} : memref<4x6xf16>, vector<4xf16>
// BITS: %[[I16:.*]] = arith.bitcast %[[V]] : vector<4xf16> to vector<4xi16>
// BITS: %[[H:.*]] = arith.extui %[[I16]] : vector<4xi16> to vector<4xi32>
// Sign to bit 31; exponent and mantissa to the f32 positions.
// BITS: %[[SIGNBIT:.*]] = arith.andi %[[H]], %cst{{.*}} : vector<4xi32>
// BITS: %[[SIGN:.*]] = arith.shli %[[SIGNBIT]], %cst{{.*}} : vector<4xi32>
// BITS: %[[MAG:.*]] = arith.andi %[[H]], %cst{{.*}} : vector<4xi32>
// BITS: %[[BITS:.*]] = arith.shli %[[MAG]], %cst{{.*}} : vector<4xi32>
// BITS: %[[EXP:.*]] = arith.andi %[[BITS]], %cst{{.*}} : vector<4xi32>
// Rebias by 112 (<< 23), again for infinities and NaN.
// BITS: %[[NORMAL:.*]] = arith.addi %[[BITS]], %cst{{.*}} : vector<4xi32>
// BITS: %[[INF:.*]] = arith.addi %[[NORMAL]], %cst{{.*}} : vector<4xi32>
// Zero and subnormals: 2^-14 (1 + m/1024) - 2^-14, exact in f32.
// BITS: %[[ONE:.*]] = arith.addi %[[NORMAL]], %cst{{.*}} : vector<4xi32>
// BITS: %[[F:.*]] = arith.bitcast %[[ONE]] : vector<4xi32> to vector<4xf32>
// BITS: %[[BIAS:.*]] = arith.bitcast %cst{{.*}} : vector<4xi32> to vector<4xf32>
// BITS: %[[SUB:.*]] = arith.subf %[[F]], %[[BIAS]] : vector<4xf32>
// BITS: %[[SMALL:.*]] = arith.bitcast %[[SUB]] : vector<4xf32> to vector<4xi32>
// BITS: %[[ISINF:.*]] = arith.cmpi eq, %[[EXP]], %cst{{.*}} : vector<4xi32>
// BITS: %[[ISZERO:.*]] = arith.cmpi eq, %[[EXP]], %cst{{.*}} : vector<4xi32>
// BITS: %[[LOW:.*]] = arith.select %[[ISZERO]], %[[SMALL]], %[[NORMAL]] : vector<4xi1>, vector<4xi32>
// BITS: %[[ALL:.*]] = arith.select %[[ISINF]], %[[INF]], %[[LOW]] : vector<4xi1>, vector<4xi32>
// BITS: %[[SIGNED:.*]] = arith.ori %[[ALL]], %[[SIGN]] : vector<4xi32>
// BITS: %[[WIDE:.*]] = arith.bitcast %[[SIGNED]] : vector<4xi32> to vector<4xf32>
// BITS: arith.mulf %[[WIDE]], %{{.*}} fastmath<contract> : vector<4xf32>
// The scalar tail the same way, on i16/i32 scalars.
// BITS: %[[S:.*]] = memref.load %{{.*}} : memref<4x6xf16>
// BITS: arith.bitcast %[[S]] : f16 to i16
// BITS: arith.constant 32768 : i32
// BITS: arith.constant 260046848 : i32
// BITS: arith.constant 939524096 : i32
// BITS: arith.constant 8388608 : i32
// BITS: arith.constant 947912704 : i32
// BITS: arith.bitcast %{{.*}} : i32 to f32
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x4xf32> {
  %table = yan.weight_ref @embed : tensor<16x6xf32>
  %x = yan.embed %table, %tokens : (tensor<16x6xf32>, tensor<1xi32>) -> tensor<1x6xf32>
  %wu = yan.weight_ref @u : tensor<4x6xf16>
  %u = yan.linear %x, %wu : (tensor<1x6xf32>, tensor<4x6xf16>) -> tensor<1x4xf32>
  return %u : tensor<1x4xf32>
}
