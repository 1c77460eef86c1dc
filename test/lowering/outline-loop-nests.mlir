// RUN: yan-opt %s -yan-outline-loop-nests | FileCheck %s

// Each outermost loop of an entry becomes a private noinline function,
// called in its place and in order; the loop's bounds, its initial values
// and the values it uses from above become arguments, except constants,
// which are cloned in. An inner loop stays with its outer one.
// The functions come first (before the entry), in the loops' order.
// CHECK-LABEL: func.func private @yan_decode_loop0(
// CHECK-SAME: %[[N0:.*]]: index, %[[B0:.*]]: memref<8xf32>) -> f32
// CHECK-SAME: passthrough = ["noinline"]
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[N0]] step %[[C1]] iter_args(%{{.*}} = %[[Z]])
// CHECK: memref.load %[[B0]]
// CHECK: return
// CHECK-LABEL: func.func private @yan_decode_loop1(
// CHECK-SAME: %[[S1:.*]]: f32, %[[B1:.*]]: memref<8xf32>)
// CHECK-SAME: passthrough = ["noinline"]
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.store %[[S1]], %[[B1]]
// CHECK-LABEL: func.func @yan_decode(
// CHECK-SAME: %[[BUF:.*]]: memref<8xf32>, %[[N:.*]]: index)
// CHECK-NOT: scf.for
// CHECK: %[[SUM:.*]] = call @yan_decode_loop0(%[[N]], %[[BUF]]) : (index, memref<8xf32>) -> f32
// CHECK-NEXT: call @yan_decode_loop1(%[[SUM]], %[[BUF]]) : (f32, memref<8xf32>) -> ()
// CHECK-NEXT: return %[[SUM]]
func.func @yan_decode(%buf: memref<8xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f32) {
    %v = memref.load %buf[%i] : memref<8xf32>
    %next = arith.addf %acc, %v : f32
    scf.yield %next : f32
  }
  scf.for %i = %c0 to %c2 step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      %k = arith.addi %i, %j : index
      memref.store %sum, %buf[%k] : memref<8xf32>
    }
  }
  return %sum : f32
}
