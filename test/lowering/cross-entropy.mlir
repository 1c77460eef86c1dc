// RUN: yan-opt %s -yan-layout-weights -yan-build-learn -yan-lower-to-loops="vector-width=4 learn-max-tokens=8" | FileCheck %s

// yan.cross_entropy and yan.cross_entropy_grad in the learn entry of a
// minimal one-layer model (V=16, D=8, P=4, k=2, F=4).
//
// The loss: each thread takes its share of the positions, the row loss is
// max + log(sum exp(x - max)) - x[target] into an [maxTokens] arena
// scratch; thread 0 adds the rows in order and divides by N into the learn
// header's loss (arena byte 0).
// CHECK-LABEL: func.func @yan_learn(
// CHECK-SAME: %{{[^:]*}}: memref<?xi8>, %{{[^:]*}}: memref<?xf32>, %[[A:[^:]*]]: memref<?xi8>, %[[T:[^:]*]]: memref<?xi32>
// CHECK: %[[N:.*]] = arith.subi %{{.*}}, %c1
// CHECK: %[[TARGETS:.*]] = memref.reinterpret_cast %[[T]] to offset: [1], sizes: [%[[N]]], strides: [1]
// CHECK: %[[LOSS:.*]] = memref.view %[[A]][%c0{{[_0-9]*}}][] : memref<?xi8> to memref<1xf32>
// CHECK: %[[ROWS:.*]] = memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<8xf32>
// CHECK: scf.for %[[R:[^ ]*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[MAX:.*]] = scf.for
// CHECK: arith.maximumf
// CHECK: %[[SUM:.*]] = scf.for
// CHECK: arith.subf %{{.*}}, %[[MAX]]
// CHECK: math.exp
// CHECK: %[[LOG:.*]] = math.log %[[SUM]] : f32
// CHECK: %[[LSE:.*]] = arith.addf %[[MAX]], %[[LOG]] : f32
// CHECK: %[[TARGET32:.*]] = memref.load %[[TARGETS]][%[[R]]]
// CHECK: %[[TARGET:.*]] = arith.index_cast %[[TARGET32]] : i32 to index
// CHECK: %[[PICKED:.*]] = memref.load %{{.*}}[%[[R]], %[[TARGET]]] : memref<?x16xf32>
// CHECK: %[[ROW:.*]] = arith.subf %[[LSE]], %[[PICKED]] : f32
// CHECK: memref.store %[[ROW]], %[[ROWS]][%[[R]]]
// CHECK: func.call_indirect
// CHECK: %[[TOTAL:.*]] = scf.for %{{[^ ]*}} = %c0{{[_0-9]*}} to %[[N]]
// CHECK: %[[COUNT:.*]] = arith.sitofp
// CHECK: %[[MEAN:.*]] = arith.divf %[[TOTAL]], %[[COUNT]] : f32
// CHECK: memref.store %[[MEAN]], %[[LOSS]]
// After the loss: the backward runs only when partitions are asked for.
// CHECK: %[[WANTED:.*]] = arith.cmpi ugt
// CHECK: scf.if %[[WANTED]]
// The gradient: (softmax - one-hot) / N per row, each thread its rows.
// CHECK: %[[GRAD:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x16xf32>
// CHECK: %[[SCALE:.*]] = arith.divf %cst{{.*}}, %{{.*}} : f32
// CHECK: scf.for %[[R2:[^ ]*]] =
// CHECK: math.exp
// CHECK: %[[P:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[G:.*]] = arith.mulf %[[P]], %[[SCALE]] : f32
// CHECK: memref.store %[[G]], %[[GRAD]]
// CHECK: %[[AT:.*]] = memref.load %[[GRAD]][%[[R2]], %{{.*}}]
// CHECK: %[[MINUS:.*]] = arith.subf %[[AT]], %[[SCALE]] : f32
// CHECK: memref.store %[[MINUS]], %[[GRAD]][%[[R2]], %{{.*}}]
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
