// RUN: yan-opt %s -yan-layout-weights -yan-lower-to-loops=vector-width=4 | FileCheck %s
// RUN: yan-opt %s -yan-layout-weights=partition-alignment=4096 | FileCheck %s --check-prefix=PAGES

// A one-layer decode entry (V=16, D=8, C=2, K=3, P=4, k=2, F=4).
module {
  // CHECK: yan.weight @embed : tensor<16x8xf32> {yan.offset = 0 : i64, yan.partition_stride = {{[0-9]+}} : i64, yan.partitions = 1 : i64}
  // CHECK: yan.weight @norm : tensor<8xf32> {yan.offset = 512 : i64, yan.partition_stride = {{[0-9]+}} : i64, yan.partitions = 1 : i64}
  // CHECK: yan.weight @u : tensor<8x8xf16> {yan.offset = 576 : i64, yan.partition_stride = {{[0-9]+}} : i64, yan.partitions = 1 : i64}
  // CHECK: yan.weight @router : tensor<4x8xf32> {yan.offset = 704 : i64, yan.partition_stride = {{[0-9]+}} : i64, yan.partitions = 1 : i64}
  // CHECK: yan.weight @w1 : tensor<4x4x8xf32> {yan.offset = 832 : i64, yan.partition_stride = {{[0-9]+}} : i64, yan.partitions = 4 : i64}
  yan.weight @embed : tensor<16x8xf32>
  yan.weight @norm : tensor<8xf32>
  yan.weight @u : tensor<8x8xf16>
  yan.weight @router : tensor<4x8xf32>
  yan.weight @w1 : tensor<4x4x8xf32>
  yan.weight @w3 : tensor<4x4x8xf32>
  yan.weight @w2 : tensor<4x8x4xf32>
  yan.weight @head : tensor<16x8xf32>

  // The runtime's calling convention; metadata for the bundle.
  // CHECK-LABEL: func.func @yan_decode(
  // CHECK-SAME:    %[[W:[^:]*]]: memref<?xi8>, %[[S:[^:]*]]: memref<?xf32>, %[[A:[^:]*]]: memref<?xi8>, %[[T:[^:]*]]: memref<?xi32>, %[[L:[^:]*]]: memref<?xf32>,
  // CHECK-SAME:    %[[STATS:[^:]*]]: memref<?xi64>, %{{[^:]*}}: memref<?xf64>, %{{[^:]*}}: memref<?xf32>, %[[TID:[^:]*]]: index, %[[NT:[^:]*]]: index, %[[POOL:[^:]*]]: i64, %[[BARRIER:[^:]*]]: (i64) -> (),
  // CHECK-SAME:    %{{[^:]*}}: memref<?xi8>, %{{[^:]*}}: (i64, i64) -> (), %{{[^:]*}}: i64, %{{[^:]*}}: memref<?xi64>, %{{[^:]*}}: memref<?xi8>, %{{[^:]*}}: memref<?xi8>)
  // CHECK-SAME:    attributes {yan.arena_bytes = {{[0-9]+}} : i64, yan.entry = "decode", yan.max_tokens = 1 : i64, yan.state_floats = 24 : i64, yan.stats_counters = 8 : i64}
  // State views at fixed offsets of the caller's state, updated in place.
  // CHECK-DAG: memref.reinterpret_cast %[[S]] to offset: [0], sizes: [8], strides: [1]
  // CHECK-DAG: memref.reinterpret_cast %[[S]] to offset: [8], sizes: [2, 8], strides: [8, 1]
  // Weights are views of the weight segment; f16 weights are widened.
  // CHECK-DAG: memref.view %[[W]][%{{.*}}][] : memref<?xi8> to memref<16x8xf32>
  // CHECK-DAG: memref.view %[[W]][%{{.*}}][] : memref<?xi8> to memref<8x8xf16>
  // Intermediates are views of the arena.
  // CHECK-DAG: memref.view %[[A]][%{{.*}}][] : memref<?xi8> to memref<1x8xf32>
  // The dot-product kernel: 4-lane vector loads and FMAs.
  // CHECK: vector.load {{.*}} : memref<8x8xf16>, vector<4xf16>
  // CHECK: arith.extf {{.*}} : vector<4xf16> to vector<4xf32>
  // CHECK: arith.mulf {{.*}} fastmath<contract> : vector<4xf32>
  // CHECK: vector.reduction <add>, {{.*}} fastmath<reassoc> : vector<4xf32> into f32
  // Serial steps run on thread 0, like the router's choice, which counts
  // every pick: stats[p] += 1 (layer 0); a barrier follows every step.
  // CHECK: arith.cmpi eq, %[[TID]], %{{.*}} : index
  // CHECK: memref.load %[[STATS]][%{{.*}}] : memref<?xi64>
  // CHECK: memref.store %{{.*}}, %[[STATS]][%{{.*}}] : memref<?xi64>
  // CHECK: func.call_indirect %[[BARRIER]](%[[POOL]]) : (i64) -> ()
  // Only the routed partitions are read: w1 indexed by the loaded partition id.
  // CHECK: vector.load %{{.*}}[%[[P:.*]], %{{.*}}, %{{.*}}] : memref<4x4x8xf32>, vector<4xf32>
  // Logits go straight into the caller's buffer.
  // CHECK: memref.reinterpret_cast %[[L]] to offset: [0], sizes: [%{{.*}}, 16], strides: [16, 1]
  // CHECK: return
  // CHECK-NOT: func.func @decode

  // Page-aligned partitions: the FFN weights' 128-byte partitions get a
  // 4096-byte stride; other weights stay packed.
  // PAGES: yan.weight @router : tensor<4x8xf32> {yan.offset = 704 : i64, yan.partition_stride = 128 : i64, yan.partitions = 1 : i64}
  // PAGES: yan.weight @w1 : tensor<4x4x8xf32> {yan.offset = 4096 : i64, yan.partition_stride = 4096 : i64, yan.partitions = 4 : i64}
  // PAGES: yan.weight @w3 : tensor<4x4x8xf32> {yan.offset = 20480 : i64, yan.partition_stride = 4096 : i64, yan.partitions = 4 : i64}
  func.func @decode(%tokens: tensor<1xi32>, %h: tensor<8xf32>, %hist: tensor<2x8xf32>) -> (tensor<1x16xf32>, tensor<8xf32>, tensor<2x8xf32>) {
    %table = yan.weight_ref @embed : tensor<16x8xf32>
    %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<1xi32>) -> tensor<1x8xf32>
    %nw = yan.weight_ref @norm : tensor<8xf32>
    %a = yan.rms_norm %x, %nw {eps = 1.0e-5 : f32} : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
    %wu = yan.weight_ref @u : tensor<8x8xf16>
    %u = yan.linear %a, %wu : (tensor<1x8xf32>, tensor<8x8xf16>) -> tensor<1x8xf32>
    %m, %h2, %hist2 = yan.mcsd %u, %u, %u, %h, %hist {num_channels = 2, slope_window = 3, decays = array<f32: 0.5, 0.75>, slopes = array<f32: 0.125, 0.25>}
        : (tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>, tensor<8xf32>, tensor<2x8xf32>) -> (tensor<1x8xf32>, tensor<8xf32>, tensor<2x8xf32>)
    %x2 = arith.addf %x, %m : tensor<1x8xf32>
    %wr = yan.weight_ref @router : tensor<4x8xf32>
    %idx, %alpha = yan.router %x2, %wr {active_partitions = 2} : (tensor<1x8xf32>, tensor<4x8xf32>) -> (tensor<1x2xi32>, tensor<1x2xf32>)
    %w1 = yan.weight_ref @w1 : tensor<4x4x8xf32>
    %w3 = yan.weight_ref @w3 : tensor<4x4x8xf32>
    %w2 = yan.weight_ref @w2 : tensor<4x8x4xf32>
    %f = yan.partitioned_ffn %x2, %idx, %alpha, %w1, %w3, %w2 : (tensor<1x8xf32>, tensor<1x2xi32>, tensor<1x2xf32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>) -> tensor<1x8xf32>
    %head = yan.weight_ref @head : tensor<16x8xf32>
    %logits = yan.lm_head %f, %nw, %head {eps = 1.0e-5 : f32} : (tensor<1x8xf32>, tensor<8xf32>, tensor<16x8xf32>) -> tensor<1x16xf32>
    return %logits, %h2, %hist2 : tensor<1x16xf32>, tensor<8xf32>, tensor<2x8xf32>
  }
}
