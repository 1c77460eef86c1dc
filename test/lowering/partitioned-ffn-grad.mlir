// RUN: yan-opt %s -yan-layout-weights -yan-build-learn -yan-lower-to-loops="vector-width=4 learn-max-tokens=8" | FileCheck %s

// yan.partitioned_ffn_grad in the learn entry of a minimal one-layer model
// (V=16, D=8, P=4, k=2, F=4, M=2 chosen partitions, at most 8 positions).
// The forward tapes w1 x and w3 x per (position, pick) pair; the gradient
// groups the pairs by partition as the forward does (RoutedPairs), each
// partition on the one thread whose share of all pairs holds its midpoint,
// and a chosen partition leaves its low-rank weight-gradient factors in its
// slot of the learn arena.

// CHECK-LABEL: func.func @yan_learn(
// CHECK-SAME: %[[A:[^:]*]]: memref<?xi8>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xi64>, %{{[^:]*}}: memref<?xf64>, %{{[^:]*}}: memref<?xf32>, %[[TID:[^:]*]]: index, %[[NT:[^:]*]]: index
// The forward's tape: [8 * 2, F] each, written by the grouped FFN.
// CHECK: %[[TAPE1:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<16x4xf32>
// CHECK: %[[TAPE3:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<16x4xf32>
// CHECK: memref.store %{{.*}}, %[[TAPE1]]
// The gradient's results: per-slot pair counts and factors [M, N, F|D].
// CHECK: %[[COUNTS:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<2xi32>
// CHECK: %[[A1:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x4xf32>
// CHECK: memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x4xf32>
// CHECK: memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x4xf32>
// CHECK: %[[XS:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x8xf32>
// CHECK: memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x8xf32>
// Scratch: the grouping, the slot of each partition, per-pair buffers.
// CHECK: %[[STARTS:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<5xi64>
// CHECK: %[[PAIRS:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<16xi32>
// CHECK: %[[SLOTOF:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<4xi32>
// CHECK-COUNT-4: memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<16x4xf32>
// CHECK: memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<16x8xf32>
// Thread 0: group, then slotOf[p] = -1 except for chosen partitions.
// CHECK: memref.store %{{.*}}, %[[PAIRS]]
// CHECK: memref.store %c-1_i32, %[[SLOTOF]]
// CHECK: memref.store %c0_i32, %[[COUNTS]]
// CHECK: memref.store %{{.*}}, %[[SLOTOF]]
// CHECK: func.call_indirect
// The owner of partition p: min((begin + end) * threads / (2 * max(total, 1)), threads - 1).
// CHECK: %[[TOTAL64:.*]] = memref.load %[[STARTS]][%c4{{[_0-9]*}}] : memref<5xi64>
// CHECK: %[[TOTAL:.*]] = arith.index_cast %[[TOTAL64]]
// CHECK: scf.for %[[P:[^ ]*]] = %c0{{[_0-9]*}} to %c4
// CHECK: %[[BEGIN64:.*]] = memref.load %[[STARTS]][%[[P]]]
// CHECK: %[[BEGIN:.*]] = arith.index_cast %[[BEGIN64]]
// CHECK: %[[END64:.*]] = memref.load %[[STARTS]]
// CHECK: %[[END:.*]] = arith.index_cast %[[END64]]
// CHECK: %[[COUNT:.*]] = arith.subi %[[END]], %[[BEGIN]] : index
// CHECK: %[[TWICEMID:.*]] = arith.addi %[[BEGIN]], %[[END]]
// CHECK: %[[LAST:.*]] = arith.subi %[[NT]], %c1
// CHECK: %[[ATLEAST1:.*]] = arith.maxui %[[TOTAL]], %c1
// CHECK: %[[DEN:.*]] = arith.muli %[[ATLEAST1]], %c2
// CHECK: %[[NUM:.*]] = arith.muli %[[TWICEMID]], %[[NT]]
// CHECK: %[[Q:.*]] = arith.divui %[[NUM]], %[[DEN]]
// CHECK: %[[OWNER:.*]] = arith.minui %[[Q]], %[[LAST]]
// CHECK: %[[MINE:.*]] = arith.cmpi eq, %[[OWNER]], %[[TID]]
// CHECK: scf.if
// The pre-activations come from the tape, not recomputed.
// CHECK: memref.load %[[TAPE1]]
// CHECK: memref.load %[[TAPE3]]
// A chosen partition's factors: slot = slotOf[p] when >= 0.
// CHECK: %[[SLOT32:.*]] = memref.load %[[SLOTOF]][%[[P]]] : memref<4xi32>
// CHECK: arith.cmpi sge, %[[SLOT32]], %c0_i32
// CHECK: %[[SLOT:.*]] = arith.index_cast %[[SLOT32]] : i32 to index
// CHECK: memref.store %{{.*}}, %[[COUNTS]][%[[SLOT]]]
// CHECK: memref.store %{{.*}}, %[[A1]][%[[SLOT]], %{{.*}}, %{{.*}}] : memref<2x?x4xf32>
// CHECK: memref.store %{{.*}}, %[[XS]][%[[SLOT]], %{{.*}}, %{{.*}}] : memref<2x?x8xf32>
// Then dx[t] sums its k pairs in pick order, each thread its positions.
// CHECK: func.call_indirect
// CHECK: %[[FIRST:.*]] = arith.muli %{{.*}}, %c2
// CHECK: scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %c2{{[_0-9]*}} step %{{.*}} iter_args
// CHECK: arith.addi %[[FIRST]]
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
