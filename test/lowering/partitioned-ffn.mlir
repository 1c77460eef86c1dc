// RUN: yan-opt %s -split-input-file -yan-layout-weights -yan-lower-to-loops=vector-width=4 | FileCheck %s

// yan.partitioned_ffn: out = sum over a token's k picks of
// alpha * w2[p] (silu(w1[p] x) * w3[p] x); only routed partitions' slices
// [p, :, :] are read.

// Prefill (P=4, k=2, F=4, D=8): the (token, pick) pairs are grouped by
// partition with a counting sort (starts [P+1] i64, pairs [256*2] i32 in the
// arena); each partition any token routed to is multiplied once over its
// gathered rows, and counted in stats[L*P + p].
yan.weight @embed : tensor<16x8xf32>
yan.weight @router : tensor<4x8xf32>
yan.weight @w1 : tensor<4x4x8xf32>
yan.weight @w3 : tensor<4x4x8xf32>
yan.weight @w2 : tensor<4x8x4xf32>
// CHECK-LABEL: func.func @yan_prefill(
// CHECK-SAME: %[[STATS:[^:]*]]: memref<?xi64>, %{{[^:]*}}: memref<?xf64>, %{{[^:]*}}: memref<?xf32>, %[[TID:[^:]*]]: index, %[[NT:[^:]*]]: index
// CHECK-SAME: yan.stats_counters = 8 : i64
// CHECK: %[[W1:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<4x4x8xf32>
// CHECK: %[[GATED:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<256x4xf32>
// CHECK: %[[STARTS:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<5xi64>
// CHECK: %[[PAIRS:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<512xi32>
// The counting sort, on thread 0, with a cursor per partition.
// CHECK: scf.if
// CHECK: memref.view %{{.*}} : memref<?xi8> to memref<4xi64>
// CHECK: memref.store %{{.*}}, %[[PAIRS]][%{{.*}}] : memref<512xi32>
// A used partition counts one grouped multiplication: stats[4 + p].
// CHECK: scf.for %[[P:[^ ]*]] = %c0{{[_0-9]*}} to %c4
// CHECK: %[[COUNT:.*]] = arith.subi
// CHECK: %[[USED:.*]] = arith.cmpi ugt, %[[COUNT]]
// CHECK: scf.if %[[USED]]
// CHECK: %[[SLOT:.*]] = arith.addi %[[P]], %c4
// CHECK: memref.load %[[STATS]][%[[SLOT]]]
// CHECK: memref.store %{{.*}}, %[[STATS]][%[[SLOT]]]
// Every thread then walks the partitions; an unused one is skipped.
// CHECK: func.call_indirect
// CHECK: scf.for %[[Q:[^ ]*]] = %c0{{[_0-9]*}} to %c4
// CHECK: %[[BEGIN:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: %[[N:.*]] = arith.subi %{{.*}}, %[[BEGIN]]
// CHECK: %[[ANY:.*]] = arith.cmpi ugt, %[[N]]
// CHECK: scf.if %[[ANY]]
// Register tiles of 4 rows x 3 gathered rows (dot-vectors' default), then
// the rows left over one at a time; the r-th gathered row is token
// pairs[begin + r] / k.
// CHECK: %[[LEN:.*]] = arith.subi %[[N]], %c0
// CHECK: %[[WHOLE:.*]] = arith.divui %[[LEN]], %c3
// CHECK: %[[STEPS:.*]] = arith.muli %[[WHOLE]], %c3
// CHECK: %[[TILED:.*]] = arith.addi %c0{{[_0-9]*}}, %[[STEPS]]
// CHECK: scf.for %[[R:[^ ]*]] = %c0{{[_0-9]*}} to %[[TILED]] step %c3
// CHECK: %[[AT:.*]] = arith.addi %[[BEGIN]], %[[R]]
// CHECK: %[[PAIR32:.*]] = memref.load %[[PAIRS]][%[[AT]]] : memref<512xi32>
// CHECK: %[[PAIR:.*]] = arith.index_cast %[[PAIR32]] : i32 to index
// CHECK: arith.divui %[[PAIR]], %c2
// CHECK: vector.load %[[W1]][%[[Q]], %{{.*}}, %{{.*}}] : memref<4x4x8xf32>, vector<4xf32>
// A whole block of w1's rows (all 4 here) for one gathered row: its 4 sums
// as one vector (reduceTransposed's shuffles and adds, then the start
// value 0), silu on it, one vector store into gated.
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [1, 3, 5, 7] : vector<4xf32>, vector<4xf32>
// CHECK: arith.addf %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK: %[[DOTS:.*]] = arith.addf %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK: %[[NEG:.*]] = arith.negf %[[DOTS]] : vector<4xf32>
// CHECK: math.exp %[[NEG]] : vector<4xf32>
// CHECK: vector.store %{{.*}}, %[[GATED]][%[[R]], %{{.*}}] : memref<256x4xf32>, vector<4xf32>
func.func @prefill(%tokens: tensor<?xi32>) -> tensor<?x8xf32> {
  %table = yan.weight_ref @embed : tensor<16x8xf32>
  %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
  %wr = yan.weight_ref @router : tensor<4x8xf32>
  %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
  %w1 = yan.weight_ref @w1 : tensor<4x4x8xf32>
  %w3 = yan.weight_ref @w3 : tensor<4x4x8xf32>
  %w2 = yan.weight_ref @w2 : tensor<4x8x4xf32>
  %f = yan.partitioned_ffn %x, %idx, %alpha, %w1, %w3, %w2 : (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>) -> tensor<?x8xf32>
  return %f : tensor<?x8xf32>
}

// -----

// Decode (P=3, k=3 = P, F=5, D=6: odd sizes): two phases with one barrier
// each, not two barriers per pick: every pick's gated row (a [k, F]
// scratch, row j for pick j), a barrier, then every pick's w2 product from
// its row; nothing is grouped and no grouped multiplication is counted.
yan.weight @embed : tensor<16x6xf32>
yan.weight @router : tensor<3x6xf32>
yan.weight @w1 : tensor<3x5x6xf32>
yan.weight @w3 : tensor<3x5x6xf32>
yan.weight @w2 : tensor<3x6x5xf32>
// CHECK-LABEL: func.func @yan_decode(
// CHECK: %[[IDX:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<1x3xi32>
// CHECK: %[[ALPHA:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<1x3xf32>
// CHECK: %[[GATED:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<3x5xf32>
// CHECK-NOT: memref<4xi64>
// CHECK: scf.for %[[T:[^ ]*]] = %c0{{[_0-9]*}} to %c1
// CHECK: scf.for %[[J:[^ ]*]] = %c0{{[_0-9]*}} to %c3
// CHECK: %[[P32:.*]] = memref.load %[[IDX]][%[[T]], %[[J]]] : memref<1x3xi32>
// CHECK: %[[P:.*]] = arith.index_cast %[[P32]] : i32 to index
// CHECK: memref.load %[[ALPHA]][%[[T]], %[[J]]] : memref<1x3xf32>
// CHECK: vector.load %{{.*}}[%[[P]], %{{.*}}, %{{.*}}] : memref<3x5x6xf32>, vector<4xf32>
// CHECK: memref.store %{{.*}}, %[[GATED]][%[[J]], %{{.*}}]
// CHECK-NOT: memref<3x6x5xf32>, vector
// CHECK: func.call_indirect
// CHECK-NOT: func.call_indirect
// CHECK: scf.for %[[J2:[^ ]*]] = %c0{{[_0-9]*}} to %c3
// CHECK-NOT: func.call_indirect
// CHECK: vector.load %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] : memref<3x6x5xf32>, vector<4xf32>
// CHECK-NOT: func.call_indirect
// CHECK: vector.load %[[GATED]][%[[J2]], %{{.*}}] : memref<3x5xf32>, vector<4xf32>
// CHECK: func.call_indirect
// CHECK-NOT: memref<?xi64>
// CHECK: return
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x6xf32> {
  %table = yan.weight_ref @embed : tensor<16x6xf32>
  %x = yan.embed %table, %tokens : (tensor<16x6xf32>, tensor<1xi32>) -> tensor<1x6xf32>
  %wr = yan.weight_ref @router : tensor<3x6xf32>
  %idx, %alpha = yan.router %x, %wr {active_partitions = 3} : (tensor<1x6xf32>, tensor<3x6xf32>) -> (tensor<1x3xi32>, tensor<1x3xf32>)
  %w1 = yan.weight_ref @w1 : tensor<3x5x6xf32>
  %w3 = yan.weight_ref @w3 : tensor<3x5x6xf32>
  %w2 = yan.weight_ref @w2 : tensor<3x6x5xf32>
  %f = yan.partitioned_ffn %x, %idx, %alpha, %w1, %w3, %w2 : (tensor<1x6xf32>, tensor<1x3xi32>, tensor<1x3xf32>, tensor<3x5x6xf32>, tensor<3x5x6xf32>, tensor<3x6x5xf32>) -> tensor<1x6xf32>
  return %f : tensor<1x6xf32>
}

// -----

// f16 partitions (executable_abi.h, "Partition copies"): per routed
// partition the code reads the runtime's copy table (none while its pointer
// is NULL) and branches: a trained partition's f32 copy (w1, w3, w2 back to
// back at the table's byte offset), else the stored f16 weights.
yan.weight @embed : tensor<16x8xf32>
yan.weight @router : tensor<4x8xf32>
yan.weight @w1 : tensor<4x4x8xf16>
yan.weight @w3 : tensor<4x4x8xf16>
yan.weight @w2 : tensor<4x8x4xf16>
// CHECK-LABEL: func.func @yan_decode(
// CHECK-SAME: %[[OFFSETS:[^:]*]]: memref<?xi64>, %[[COPIES:[^:]*]]: memref<?xi8>, %{{[^:]*}}: memref<?xi8>)
// CHECK: %[[W1F16:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<4x4x8xf16>
// CHECK: memref.view %{{.*}} : memref<?xi8> to memref<2x4xf32>
// CHECK: %[[P:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK: %[[TABLE:.*]] = memref.extract_aligned_pointer_as_index %[[OFFSETS]]
// CHECK: %[[HAS_TABLE:.*]] = arith.cmpi ne, %[[TABLE]]
// CHECK: %[[OFFSET:.*]] = scf.if %[[HAS_TABLE]] -> (i64) {
// CHECK: %[[SLOT:.*]] = arith.addi %{{.*}}, %[[P]] : index
// CHECK: memref.load %[[OFFSETS]][%[[SLOT]]] : memref<?xi64>
// CHECK: } else {
// CHECK: scf.yield %c-1_i64 : i64
// CHECK: %[[HAS_COPY:.*]] = arith.cmpi sge, %[[OFFSET]]
// CHECK: scf.if %[[HAS_COPY]] {
// CHECK: %[[BASE:.*]] = arith.index_cast %[[OFFSET]] : i64 to index
// CHECK: %[[W1COPY:.*]] = memref.view %[[COPIES]][%{{.*}}][] : memref<?xi8> to memref<1x4x8xf32>
// CHECK: memref.view %[[COPIES]][%{{.*}}][] : memref<?xi8> to memref<1x4x8xf32>
// CHECK: memref.view %[[COPIES]][%{{.*}}][] : memref<?xi8> to memref<1x8x4xf32>
// CHECK: vector.load %[[W1COPY]][%c0{{[_0-9]*}}, %{{.*}}, %{{.*}}] : memref<1x4x8xf32>, vector<4xf32>
// CHECK: } else {
// CHECK: vector.load %[[W1F16]][%[[P]], %{{.*}}, %{{.*}}] : memref<4x4x8xf16>, vector<4xf16>
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x8xf32> {
  %table = yan.weight_ref @embed : tensor<16x8xf32>
  %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<1xi32>) -> tensor<1x8xf32>
  %wr = yan.weight_ref @router : tensor<4x8xf32>
  %idx, %alpha = yan.router %x, %wr {active_partitions = 2} : (tensor<1x8xf32>, tensor<4x8xf32>) -> (tensor<1x2xi32>, tensor<1x2xf32>)
  %w1 = yan.weight_ref @w1 : tensor<4x4x8xf16>
  %w3 = yan.weight_ref @w3 : tensor<4x4x8xf16>
  %w2 = yan.weight_ref @w2 : tensor<4x8x4xf16>
  %f = yan.partitioned_ffn %x, %idx, %alpha, %w1, %w3, %w2 : (tensor<1x8xf32>, tensor<1x2xi32>, tensor<1x2xf32>, tensor<4x4x8xf16>, tensor<4x4x8xf16>, tensor<4x8x4xf16>) -> tensor<1x8xf32>
  return %f : tensor<1x8xf32>
}
