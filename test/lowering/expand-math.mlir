// RUN: yan-opt %s -split-input-file -yan-expand-math | FileCheck %s

// -yan-expand-math: math.exp becomes MLIR's polynomial approximation, with
// no libm call and no math.fma left. exp's exponent n (floor, clamped to
// [-127, 127]) is converted to i32 exactly without fptosi: n + 1.5 * 2^23,
// its bits, minus the bits of 1.5 * 2^23 (no vfcvt.rtz.x.f.v on RVV, which
// Debian's qemu-riscv64 aborts on).

// CHECK-LABEL: func.func @vector_exp(
// CHECK-NOT: arith.fptosi
// CHECK-DAG: %[[MAGICBITS:.*]] = arith.constant dense<1262485504> : vector<8xi32>
// CHECK-DAG: %[[MAGIC:.*]] = arith.constant dense<0x4B400000> : vector<8xf32>
// CHECK: %[[SHIFTED:.*]] = arith.addf %{{.*}}, %[[MAGIC]] : vector<8xf32>
// CHECK: %[[BITS:.*]] = arith.bitcast %[[SHIFTED]] : vector<8xf32> to vector<8xi32>
// CHECK: %[[INT:.*]] = arith.subi %[[BITS]], %[[MAGICBITS]] : vector<8xi32>
// 2^n from n's bits: (n + 127) << 23.
// CHECK: %[[BIASED:.*]] = arith.addi %[[INT]], %{{.*}} : vector<8xi32>
// CHECK: arith.shli %[[BIASED]]
// CHECK-NOT: arith.fptosi
// CHECK-NOT: math.exp
// CHECK-NOT: math.fma
// CHECK: return
func.func @vector_exp(%x: vector<8xf32>) -> vector<8xf32> {
  %e = math.exp %x : vector<8xf32>
  return %e : vector<8xf32>
}

// -----

// A scalar exp too: LLVM's vectorizers may make vector code of it.
// CHECK-LABEL: func.func @scalar_exp(
// CHECK-NOT: arith.fptosi
// CHECK-DAG: %[[MAGICBITS:.*]] = arith.constant 1262485504 : i32
// CHECK-DAG: %[[MAGIC:.*]] = arith.constant 0x4B400000 : f32
// CHECK: %[[SHIFTED:.*]] = arith.addf %{{.*}}, %[[MAGIC]] : f32
// CHECK: %[[BITS:.*]] = arith.bitcast %[[SHIFTED]] : f32 to i32
// CHECK: arith.subi %[[BITS]], %[[MAGICBITS]] : i32
// CHECK-NOT: arith.fptosi
// CHECK: return
func.func @scalar_exp(%x: f32) -> f32 {
  %e = math.exp %x : f32
  return %e : f32
}

// -----

// Conversions not known to be small integers stay: a floor with no clamp
// (it may be 2^30), and a clamped value that is not a whole number.
// CHECK-LABEL: func.func @unbounded_floor(
// CHECK: arith.fptosi %{{.*}} : vector<4xf32> to vector<4xi32>
func.func @unbounded_floor(%x: vector<4xf32>) -> vector<4xi32> {
  %f = math.floor %x : vector<4xf32>
  %i = arith.fptosi %f : vector<4xf32> to vector<4xi32>
  return %i : vector<4xi32>
}

// CHECK-LABEL: func.func @clamped_fraction(
// CHECK: arith.fptosi %{{.*}} : vector<4xf32> to vector<4xi32>
func.func @clamped_fraction(%x: vector<4xf32>) -> vector<4xi32> {
  %c = arith.constant dense<100.0> : vector<4xf32>
  %le = arith.cmpf ule, %x, %c : vector<4xf32>
  %m = arith.select %le, %x, %c : vector<4xi1>, vector<4xf32>
  %i = arith.fptosi %m : vector<4xf32> to vector<4xi32>
  return %i : vector<4xi32>
}

// A floor clamped to [-200, 200] converts exactly (the rewrite applies to
// any such clamp, not only exp's).
// CHECK-LABEL: func.func @clamped_floor(
// CHECK-NOT: arith.fptosi
// CHECK: arith.bitcast
// CHECK: arith.subi
func.func @clamped_floor(%x: vector<4xf32>) -> vector<4xi32> {
  %lo = arith.constant dense<-200.0> : vector<4xf32>
  %hi = arith.constant dense<200.0> : vector<4xf32>
  %f = math.floor %x : vector<4xf32>
  %ge = arith.cmpf uge, %f, %lo : vector<4xf32>
  %a = arith.select %ge, %f, %lo : vector<4xi1>, vector<4xf32>
  %le = arith.cmpf ule, %a, %hi : vector<4xf32>
  %b = arith.select %le, %a, %hi : vector<4xi1>, vector<4xf32>
  %i = arith.fptosi %b : vector<4xf32> to vector<4xi32>
  return %i : vector<4xi32>
}
