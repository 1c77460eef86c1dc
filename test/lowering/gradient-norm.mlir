// RUN: yan-opt %s -yan-layout-weights -yan-build-learn -yan-lower-to-loops="vector-width=4 learn-max-tokens=8" | FileCheck %s

// yan.partition_grad_squares and yan.global_norm in the learn entry of a
// minimal one-layer model (V=16, D=8, P=4, k=2, F=4, M=2 slots, at most 8
// positions). Per chosen slot, the five count x count Gram matrices of the
// low-rank factors (a1, a3, xs, ds, g) in f64, threads owning rows; then on
// thread 0, ||w1||^2 = <G(a1), G(xs)>, ||w3||^2 = <G(a3), G(xs)>,
// ||w2||^2 = <G(ds), G(g)>, each norm rounded to f32 and squared into a
// 0-d f32. global_norm: the square root of the sum, into the learn header.

// CHECK-LABEL: func.func @yan_learn(
// CHECK-SAME: %{{[^:]*}}: memref<?xi8>, %{{[^:]*}}: memref<?xf32>, %[[A:[^:]*]]: memref<?xi8>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xi64>, %{{[^:]*}}: memref<?xf64>, %{{[^:]*}}: memref<?xf32>, %[[TID:[^:]*]]: index, %[[NT:[^:]*]]: index
// The backward runs only when the caller asks for partitions (limit > 0).
// CHECK: %[[LIMIT:[0-9]+]] = arith.minsi %{{.*}}, %c2
// The learn header: loss at byte 0, the norm at byte 4.
// CHECK: memref.view %[[A]][%c0{{[_0-9]*}}][] : memref<?xi8> to memref<1xf32>
// CHECK: %[[NORM:.*]] = memref.view %[[A]][%c4][] : memref<?xi8> to memref<1xf32>
// CHECK: %[[WANTED:[0-9]+]] = arith.cmpi ugt, %[[LIMIT]], %c0
// CHECK: scf.if %[[WANTED]]
// partitioned_ffn_grad's results: counts [M], a1, a3, g [M, N, F], xs, ds [M, N, D].
// CHECK: %[[COUNTS:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<2xi32>
// CHECK: %[[A1:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x4xf32>
// CHECK: %[[A3:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x4xf32>
// CHECK: %[[G:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x4xf32>
// CHECK: %[[XS:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x8xf32>
// CHECK: %[[DS:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x8xf32>
// partition_grad_squares: the 0-d result and the Gram scratch [5, 8, 8] f64.
// CHECK: %[[SQ:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<f32>
// CHECK: %[[GRAMS:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<5x8x8xf64>
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[TID]], %c0
// CHECK: scf.if %[[FIRST]]
// CHECK: memref.store %cst{{.*}}, %[[SQ]][] : memref<f32>
// CHECK: scf.for %[[I:[^ ]*]] = %c0{{[_0-9]*}} to %c2
// CHECK: %[[COUNT32:.*]] = memref.load %[[COUNTS]][%[[I]]] : memref<2xi32>
// CHECK: %[[COUNT:.*]] = arith.index_cast %[[COUNT32]] : i32 to index
// This thread's rows r of the Grams, all columns s.
// CHECK: %[[RB:.*]] = arith.minui %{{.*}}, %[[COUNT]]
// CHECK: %[[RE:.*]] = arith.minui %{{.*}}, %[[COUNT]]
// CHECK: scf.for %[[R:[^ ]*]] = %[[RB]] to %[[RE]]
// CHECK: scf.for %[[S:[^ ]*]] = %c0{{[_0-9]*}} to %[[COUNT]]
// G(a1)[r, s] = a1[i, r, :] . a1[i, s, :]: 4-wide f32 loads widened to f64.
// CHECK: %[[VACC:.*]] = scf.for %[[C:[^ ]*]] = %c0{{[_0-9]*}} to %c4{{[_0-9]*}} step %c4{{[_0-9]*}} iter_args(%[[V:[^ ]*]] = %{{.*}}) -> (vector<4xf64>)
// CHECK: %[[L:.*]] = vector.load %[[A1]][%[[I]], %[[R]], %[[C]]] : memref<2x?x4xf32>, vector<4xf32>
// CHECK: %[[RT:.*]] = vector.load %[[A1]][%[[I]], %[[S]], %[[C]]] : memref<2x?x4xf32>, vector<4xf32>
// CHECK: %[[LW:.*]] = arith.extf %[[L]] : vector<4xf32> to vector<4xf64>
// CHECK: %[[RW:.*]] = arith.extf %[[RT]] : vector<4xf32> to vector<4xf64>
// CHECK: %[[P:.*]] = arith.mulf %[[LW]], %[[RW]] fastmath<contract> : vector<4xf64>
// CHECK: arith.addf %[[P]], %[[V]] fastmath<contract> : vector<4xf64>
// CHECK: %[[RED:.*]] = vector.reduction <add>, %[[VACC]] fastmath<reassoc> : vector<4xf64> into f64
// CHECK: %[[DOT:.*]] = scf.for %{{[^ ]*}} = %c4{{[_0-9]*}} to %c4{{[_0-9]*}} step %c1{{[_0-9]*}} iter_args(%{{[^ ]*}} = %[[RED]]) -> (f64)
// CHECK: memref.store %[[DOT]], %[[GRAMS]][%c0{{[_0-9]*}}, %[[R]], %[[S]]] : memref<5x8x8xf64>
// The other four, in the order a3, xs, ds, g (xs and ds are 8 wide).
// CHECK: vector.load %[[A3]][%[[I]], %[[R]]
// CHECK: memref.store %{{.*}}, %[[GRAMS]][%c1{{[_0-9]*}}, %[[R]], %[[S]]]
// CHECK: scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %c8{{[_0-9]*}} step %c4
// CHECK: vector.load %[[XS]][%[[I]], %[[R]]
// CHECK: memref.store %{{.*}}, %[[GRAMS]][%c2{{[_0-9]*}}, %[[R]], %[[S]]]
// CHECK: vector.load %[[DS]][%[[I]], %[[R]]
// CHECK: memref.store %{{.*}}, %[[GRAMS]][%c3{{[_0-9]*}}, %[[R]], %[[S]]]
// CHECK: vector.load %[[G]][%[[I]], %[[R]]
// CHECK: memref.store %{{.*}}, %[[GRAMS]][%c4{{[_0-9]*}}, %[[R]], %[[S]]]
// CHECK: func.call_indirect
// Thread 0: ||w1||^2 from <G(a1), G(xs)>, clamped at 0, rounded to f32, squared and added.
// CHECK: %[[SERIAL:.*]] = arith.cmpi eq, %[[TID]], %c0
// CHECK: scf.if %[[SERIAL]]
// CHECK: %[[W1SQ:.*]] = scf.for %[[R2:[^ ]*]] = %c0{{[_0-9]*}} to %[[COUNT]]
// CHECK: scf.for %[[S2:[^ ]*]] = %c0{{[_0-9]*}} to %[[COUNT]]
// CHECK: %[[GL:.*]] = memref.load %[[GRAMS]][%c0{{[_0-9]*}}, %[[R2]], %[[S2]]]
// CHECK: %[[GR:.*]] = memref.load %[[GRAMS]][%c2{{[_0-9]*}}, %[[R2]], %[[S2]]]
// CHECK: arith.mulf %[[GL]], %[[GR]] fastmath<contract> : f64
// CHECK: %[[CLAMPED:.*]] = arith.maximumf %[[W1SQ]], %cst{{.*}} : f64
// CHECK: %[[ROOT:.*]] = math.sqrt %[[CLAMPED]] : f64
// CHECK: %[[N32:.*]] = arith.truncf %[[ROOT]] : f64 to f32
// CHECK: %[[SUM:.*]] = memref.load %[[SQ]][] : memref<f32>
// CHECK: %[[NN:.*]] = arith.mulf %[[N32]], %[[N32]] fastmath<contract> : f32
// CHECK: %[[ADDED:.*]] = arith.addf %[[NN]], %[[SUM]] fastmath<contract> : f32
// CHECK: memref.store %[[ADDED]], %[[SQ]][] : memref<f32>
// ||w3||^2 from <G(a3), G(xs)>, ||w2||^2 from <G(ds), G(g)>.
// CHECK: memref.load %[[GRAMS]][%c1{{[_0-9]*}},
// CHECK: memref.load %[[GRAMS]][%c2{{[_0-9]*}},
// CHECK: memref.store %{{.*}}, %[[SQ]][] : memref<f32>
// CHECK: memref.load %[[GRAMS]][%c3{{[_0-9]*}},
// CHECK: memref.load %[[GRAMS]][%c4{{[_0-9]*}},
// CHECK: memref.store %{{.*}}, %[[SQ]][] : memref<f32>
// CHECK: func.call_indirect
// CHECK: func.call_indirect
// global_norm: on thread 0, sqrt(0 + squares) into the header's norm.
// CHECK: %[[LAST:.*]] = arith.cmpi eq, %[[TID]], %c0
// CHECK: scf.if %[[LAST]]
// CHECK: %[[TOTAL:.*]] = memref.load %[[SQ]][] : memref<f32>
// CHECK: %[[PLUS:.*]] = arith.addf %cst{{.*}}, %[[TOTAL]] : f32
// CHECK: %[[GN:.*]] = math.sqrt %[[PLUS]] : f32
// CHECK: memref.store %[[GN]], %[[NORM]][%c0{{[_0-9]*}}] : memref<1xf32>
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
