// RUN: yan-opt %s -yan-layout-weights -yan-build-learn -yan-lower-to-loops="vector-width=4 learn-max-tokens=8" | FileCheck %s

// yan.choose_partitions in the learn entry of a minimal one-layer model
// (V=16, D=8, P=4, k=2, F=4, M=2 slots). On thread 0: the routing weights
// summed per partition in f64 (an arena scratch [P]); `limit` times, the
// largest positive total not yet picked (strict ogt, lower index on ties) is
// marked -1; then the learn header's chosen[M] gets -1 padding and the picks
// in ascending partition order.

// CHECK-LABEL: func.func @yan_learn(
// CHECK-SAME: %{{[^:]*}}: memref<?xi8>, %{{[^:]*}}: memref<?xf32>, %[[A:[^:]*]]: memref<?xi8>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xi64>, %[[F64:[^:]*]]: memref<?xf64>, %{{[^:]*}}: memref<?xf32>, %[[TID:[^:]*]]: index
// The limit: the caller's partitions, clamped to [0, M].
// CHECK: %[[ASKED:.*]] = memref.load %[[F64]][%c0{{[_0-9]*}}] : memref<?xf64>
// CHECK: %[[ATLEAST0:.*]] = arith.maxsi %{{.*}}, %c0
// CHECK: %[[LIMIT:[0-9]+]] = arith.minsi %[[ATLEAST0]], %c2
// The chosen result lives in the learn header at byte 64 (viewed twice;
// the op stores through the second view).
// CHECK: memref.view %[[A]][%c64{{[_0-9]*}}][] : memref<?xi8> to memref<2xi32>
// CHECK-NEXT: arith.constant 64
// CHECK-NEXT: %[[CHOSEN:.*]] = memref.view %[[A]][%c64{{[_0-9]*}}][] : memref<?xi8> to memref<2xi32>
// The router's picks and weights, [N, k] arena slots.
// CHECK: %[[IDX:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x2xi32>
// CHECK: %[[ALPHA:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x2xf32>
// CHECK: %[[WANTED:[0-9]+]] = arith.cmpi ugt, %[[LIMIT]], %c0
// CHECK: scf.if %[[WANTED]]
// CHECK: %[[TOTALS:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<4xf64>
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[TID]], %c0
// CHECK: scf.if %[[FIRST]]
// CHECK: scf.for %[[P0:[^ ]*]] = %c0{{[_0-9]*}} to %c4
// CHECK: memref.store %cst{{.*}}, %[[TOTALS]][%[[P0]]] : memref<4xf64>
// CHECK: scf.for %[[T:[^ ]*]] = %c0{{[_0-9]*}} to
// CHECK: scf.for %[[J:[^ ]*]] = %c0{{[_0-9]*}} to %c2
// CHECK: %[[P32:.*]] = memref.load %[[IDX]][%[[T]], %[[J]]] : memref<?x2xi32>
// CHECK: %[[P:.*]] = arith.index_cast %[[P32]] : i32 to index
// CHECK: %[[W32:.*]] = memref.load %[[ALPHA]][%[[T]], %[[J]]] : memref<?x2xf32>
// CHECK: %[[W:.*]] = arith.extf %[[W32]] : f32 to f64
// CHECK: %[[OLD:.*]] = memref.load %[[TOTALS]][%[[P]]] : memref<4xf64>
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]], %[[W]] : f64
// CHECK: memref.store %[[NEW]], %[[TOTALS]][%[[P]]] : memref<4xf64>
// CHECK: scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %[[LIMIT]]
// CHECK: %[[BEST:[^:]*]]:2 = scf.for %[[Q:[^ ]*]] = %c0{{[_0-9]*}} to %c4{{[_0-9]*}} step %{{.*}} iter_args(%[[BT:[^ ]*]] = %{{.*}}, %[[BP:[^ ]*]] = %c-1) -> (f64, index)
// CHECK: %[[TOT:.*]] = memref.load %[[TOTALS]][%[[Q]]] : memref<4xf64>
// CHECK: %[[BETTER:.*]] = arith.cmpf ogt, %[[TOT]], %[[BT]] : f64
// CHECK: arith.select %[[BETTER]], %[[TOT]], %[[BT]] : f64
// CHECK: arith.select %[[BETTER]], %[[Q]], %[[BP]] : index
// CHECK: %[[FOUND:.*]] = arith.cmpi sge, %[[BEST]]#1, %c0
// CHECK: scf.if %[[FOUND]]
// CHECK: memref.store %cst{{.*}}, %[[TOTALS]][%[[BEST]]#1] : memref<4xf64>
// CHECK: scf.for %[[S:[^ ]*]] = %c0{{[_0-9]*}} to %c2
// CHECK: memref.store %c-1_i32, %[[CHOSEN]][%[[S]]] : memref<2xi32>
// CHECK: scf.for %[[R:[^ ]*]] = %c0{{[_0-9]*}} to %c4{{[_0-9]*}} step %{{.*}} iter_args(%[[NEXT:[^ ]*]] = %c0{{[_0-9]*}}) -> (index)
// CHECK: %[[TR:.*]] = memref.load %[[TOTALS]][%[[R]]] : memref<4xf64>
// CHECK: %[[PICKED:.*]] = arith.cmpf olt, %[[TR]], %cst{{.*}} : f64
// CHECK: scf.if %[[PICKED]]
// CHECK: %[[R32:.*]] = arith.index_cast %[[R]] : index to i32
// CHECK: memref.store %[[R32]], %[[CHOSEN]][%[[NEXT]]] : memref<2xi32>
// CHECK: %[[STEP:.*]] = arith.select %[[PICKED]], %c1{{[_0-9]*}}, %c0{{[_0-9]*}} : index
// CHECK: %[[ADV:.*]] = arith.addi %[[NEXT]], %[[STEP]] : index
// CHECK: scf.yield %[[ADV]] : index
// CHECK: func.call_indirect
module {
  yan.weight @embed : tensor<16x8xf32>
  yan.weight @norm : tensor<8xf32>
  yan.weight @router : tensor<4x8xf32>
  yan.weight @w1 : tensor<4x4x8xf32>
  yan.weight @w3 : tensor<4x4x8xf32>
  yan.weight @w2 : tensor<4x8x4xf32>
  yan.weight @head : tensor<16x8xf32>
  func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x16xf32> {
    %table = yan.weight_ref @embed : tensor<16x8xf32>
    %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
    %wr = yan.weight_ref @router : tensor<4x8xf32>
    %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %w1 = yan.weight_ref @w1 : tensor<4x4x8xf32>
    %w3 = yan.weight_ref @w3 : tensor<4x4x8xf32>
    %w2 = yan.weight_ref @w2 : tensor<4x8x4xf32>
    %f = yan.partitioned_ffn %x, %idx, %alpha, %w1, %w3, %w2 : (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>) -> tensor<?x8xf32>
    %nw = yan.weight_ref @norm : tensor<8xf32>
    %head = yan.weight_ref @head : tensor<16x8xf32>
    %logits = yan.lm_head %f, %nw, %head {eps = 1.0e-5 : f32} : (tensor<?x8xf32>, tensor<8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
    return %logits : tensor<?x16xf32>
  }
}
