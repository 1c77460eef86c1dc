// RUN: yan-opt %s -yan-layout-weights -yan-build-learn -yan-lower-to-loops="vector-width=4 learn-max-tokens=8" | FileCheck %s

// yan.partitioned_ffn_grad in the learn entry of a minimal two-layer model
// (V=16, D=8, P=4, k=2, F=4, M=2 chosen partitions, at most 8 positions;
// layer 1's FFN reads layer 0's output). The forward tapes w1 x and w3 x
// per (position, pick) pair. Layer 1's gradient groups the pairs by
// partition as the forward does (RoutedPairs), each partition on the one
// thread whose share of all pairs holds its midpoint, and a chosen
// partition leaves its low-rank weight-gradient factors in its slot of the
// learn arena. Layer 0, the lowest trained layer, has no input or routing
// gradient: only its chosen partitions are visited, every thread a share of
// each one's pairs.

// CHECK-LABEL: func.func @yan_learn(
// CHECK-SAME: %[[A:[^:]*]]: memref<?xi8>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: memref<?xf32>, %{{[^:]*}}: memref<?xi64>, %{{[^:]*}}: memref<?xf64>, %{{[^:]*}}: memref<?xf32>, %[[TID:[^:]*]]: index, %[[NT:[^:]*]]: index
// The forward's tapes, layer 0's then layer 1's: [8 * 2, F] each.
// CHECK: %[[TAPE1_0:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<16x4xf32>
// CHECK: %[[TAPE3_0:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<16x4xf32>
// CHECK: %[[TAPE1:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<16x4xf32>
// CHECK: %[[TAPE3:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<16x4xf32>
// CHECK: memref.store %{{.*}}, %[[TAPE1]]
// Layer 1's gradient. Its results: per-slot pair counts and factors
// [M, N, F|D].
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
// Thread 0: group, then slotOf[p] = -1 except for chosen partitions, whose
// slots count their pairs.
// CHECK: memref.store %{{.*}}, %[[PAIRS]]
// CHECK: memref.store %c-1_i32, %[[SLOTOF]]
// CHECK: memref.store %c0_i32, %[[COUNTS]]
// CHECK: memref.store %{{.*}}, %[[SLOTOF]]
// CHECK: memref.store %{{.*}}, %[[COUNTS]]
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
// The pre-activations come from the tape, not recomputed; the activation
// gradients run a vector of features at a time, dalpha's lanes reduced.
// CHECK: vector.load %[[TAPE1]]{{.*}} : memref<16x4xf32>, vector<4xf32>
// CHECK: vector.load %[[TAPE3]]{{.*}} : memref<16x4xf32>, vector<4xf32>
// CHECK: vector.reduction <add>, %{{.*}} fastmath<reassoc> : vector<4xf32> into f32
// A chosen partition's factors: slot = slotOf[p] when >= 0.
// CHECK: %[[SLOT32:.*]] = memref.load %[[SLOTOF]][%[[P]]] : memref<4xi32>
// CHECK: arith.cmpi sge, %[[SLOT32]], %c0_i32
// CHECK: %[[SLOT:.*]] = arith.index_cast %[[SLOT32]] : i32 to index
// A chosen partition's factors, a vector of features at a time.
// CHECK: vector.store %{{.*}}, %[[A1]][%[[SLOT]], %{{.*}}, %{{.*}}] : memref<2x?x4xf32>, vector<4xf32>
// CHECK: vector.store %{{.*}}, %[[XS]][%[[SLOT]], %{{.*}}, %{{.*}}] : memref<2x?x8xf32>, vector<4xf32>
// Then dx[t] sums its k pairs in pick order, each thread its positions.
// CHECK: func.call_indirect
// CHECK: %[[FIRST:.*]] = arith.muli %{{.*}}, %c2
// CHECK: scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %c2{{[_0-9]*}} step %{{.*}} iter_args({{.*}}) -> (vector<4xf32>)
// CHECK: arith.addi %[[FIRST]]
// Layer 0's gradient: the same results and scratch, but no per-pair input
// gradient buffer.
// CHECK: %[[COUNTS0:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<2xi32>
// CHECK: %[[A1_0:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x4xf32>
// CHECK: memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x4xf32>
// CHECK: memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x4xf32>
// CHECK: %[[XS0:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x8xf32>
// CHECK: memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<2x?x8xf32>
// CHECK: %[[STARTS0:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<5xi64>
// CHECK: memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<16xi32>
// CHECK: memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<4xi32>
// CHECK-COUNT-4: memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<16x4xf32>
// CHECK-NOT: memref<16x8xf32>
// CHECK: memref.store %{{.*}}, %[[COUNTS0]]
// CHECK: func.call_indirect
// Slot by slot: p = chosen[i] when >= 0; this thread's share of p's pairs.
// CHECK: scf.for %[[I:[^ ]*]] = %c0{{[_0-9]*}} to %c2
// CHECK: %[[P32:.*]] = memref.load %{{.*}}[%[[I]]] : memref<2xi32>
// CHECK: arith.cmpi sge, %[[P32]], %c0_i32
// CHECK: %[[P0:.*]] = arith.index_cast %[[P32]] : i32 to index
// CHECK: memref.load %[[STARTS0]][%[[P0]]]
// CHECK: arith.muli %[[TID]],
// CHECK: memref.load %[[TAPE1_0]]
// CHECK: memref.load %[[TAPE3_0]]
// The factors' rows start at the share's first row of the partition.
// CHECK: vector.store %{{.*}}, %[[A1_0]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<2x?x4xf32>, vector<4xf32>
// CHECK: vector.store %{{.*}}, %[[XS0]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<2x?x8xf32>, vector<4xf32>
// No input gradient: the next step is the gradient norm.
// CHECK-NOT: memref<16x8xf32>
// CHECK: memref<5x8x8xf64>
module {
  yan.weight @embed : tensor<16x8xf32>
  yan.weight @norm : tensor<8xf32>
  yan.weight @router0 : tensor<4x8xf32>
  yan.weight @w1_0 : tensor<4x4x8xf32>
  yan.weight @w3_0 : tensor<4x4x8xf32>
  yan.weight @w2_0 : tensor<4x8x4xf32>
  yan.weight @router1 : tensor<4x8xf32>
  yan.weight @w1_1 : tensor<4x4x8xf32>
  yan.weight @w3_1 : tensor<4x4x8xf32>
  yan.weight @w2_1 : tensor<4x8x4xf32>
  yan.weight @head : tensor<16x8xf32>
  func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x16xf32> {
    %table = yan.weight_ref @embed : tensor<16x8xf32>
    %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
    %wr0 = yan.weight_ref @router0 : tensor<4x8xf32>
    %idx0, %alpha0 = yan.router %x, %wr0 {active_partitions = 2} : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %a1 = yan.weight_ref @w1_0 : tensor<4x4x8xf32>
    %a3 = yan.weight_ref @w3_0 : tensor<4x4x8xf32>
    %a2 = yan.weight_ref @w2_0 : tensor<4x8x4xf32>
    %f0 = yan.partitioned_ffn %x, %idx0, %alpha0, %a1, %a3, %a2 : (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>) -> tensor<?x8xf32>
    %h = arith.addf %x, %f0 : tensor<?x8xf32>
    %wr1 = yan.weight_ref @router1 : tensor<4x8xf32>
    %idx1, %alpha1 = yan.router %h, %wr1 {active_partitions = 2} : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %b1 = yan.weight_ref @w1_1 : tensor<4x4x8xf32>
    %b3 = yan.weight_ref @w3_1 : tensor<4x4x8xf32>
    %b2 = yan.weight_ref @w2_1 : tensor<4x8x4xf32>
    %f1 = yan.partitioned_ffn %h, %idx1, %alpha1, %b1, %b3, %b2 : (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>) -> tensor<?x8xf32>
    %nw = yan.weight_ref @norm : tensor<8xf32>
    %head = yan.weight_ref @head : tensor<16x8xf32>
    %logits = yan.lm_head %f1, %nw, %head {eps = 1.0e-5 : f32} : (tensor<?x8xf32>, tensor<8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
    return %logits : tensor<?x16xf32>
  }
}
