// RUN: yan-opt %s -yan-layout-weights -yan-build-learn -yan-lower-to-loops="vector-width=4 learn-max-tokens=8" | FileCheck %s

// yan.mcsd_grad in the learn entry of a minimal two-layer model (V=16, D=8,
// P=4, k=2, F=4): layer 0 a routed FFN, layer 1 a mixer (u = v = q = x,
// two channels of 4 features, K=2, decays 0.25 and 0.875, slopes 0.125 and
// 0.375) and a routed FFN. Threads own blocks of features, clipped to each
// channel; a vector of 4 features at a time (each lane what the scalar
// code computes for its feature). Per feature: a forward sweep from the
// carried state recomputes h_t (parked in dv) and s_t (parked in du); a
// backward sweep t = N-1..0 carries dh_{t+1} and ds_{t+1} and writes du,
// dv = (1 - decay) dh and dq.

// CHECK-LABEL: func.func @yan_learn(
// CHECK-SAME: %{{[^:]*}}: memref<?xi8>, %[[STATE:[^:]*]]: memref<?xf32>, %[[A:[^:]*]]: memref<?xi8>
// The backward runs only when the caller asks for partitions (limit > 0).
// CHECK: %[[LIMIT:[0-9]+]] = arith.minsi %{{.*}}, %c2
// The start state: h [8] then u_hist [1, 8] in the state buffer.
// CHECK: %[[H:.*]] = memref.reinterpret_cast %[[STATE]] to offset: [0], sizes: [8], strides: [1]
// CHECK: %[[HIST:.*]] = memref.reinterpret_cast %[[STATE]] to offset: [8], sizes: [1, 8], strides: [8, 1]
// CHECK: %[[WANTED:[0-9]+]] = arith.cmpi ugt, %[[LIMIT]], %c0
// CHECK: scf.if %[[WANTED]]
// dm: the mixer output's gradient, the residual's and router_grad's added
// after router_grad (the one scalar load of the [4, 8] router).
// CHECK: memref.load %{{.*}} : memref<4x8xf32>
// CHECK: func.call_indirect
// CHECK: %[[DM:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x8xf32>
// CHECK-NOT: scf.if
// CHECK: arith.addf
// CHECK-NEXT: memref.store %{{.*}}, %[[DM]]
// CHECK: func.call_indirect
// CHECK: %[[DU:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x8xf32>
// CHECK-NEXT: arith.constant
// CHECK-NEXT: %[[DV:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x8xf32>
// CHECK-NEXT: arith.constant
// CHECK-NEXT: %[[DQ:.*]] = memref.view %[[A]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?x8xf32>
// This thread's features, clipped to channel 0 = [0, 4).
// CHECK: %[[B:.*]] = arith.minui %{{.*}}, %c8
// CHECK: %[[E:.*]] = arith.minui %{{.*}}, %c8
// CHECK: %[[LB:.*]] = arith.maxui %[[B]], %c0
// CHECK: %[[MIN:.*]] = arith.minui %[[E]], %c4
// CHECK: %[[UB:.*]] = arith.maxui %[[LB]], %[[MIN]]
// Whole vectors of 4 features first (the channel's 4 are one), then the
// features past them one at a time (none here).
// CHECK: %[[VEND:.*]] = arith.addi %[[LB]], %{{.*}}
// CHECK: scf.for %[[I:[^ ]*]] = %[[LB]] to %[[VEND]] step %c4
// Forward: from h and u_hist, s_t = u_t + (1 - slope) u_{t-1} into du,
// h_t = decay h_{t-1} + (1 - decay) v_t into dv.
// CHECK: %[[H0:.*]] = vector.load %[[H]][%[[I]]]
// CHECK: %[[U0:.*]] = vector.load %[[HIST]][%c0{{[_0-9]*}}, %[[I]]]
// CHECK: scf.for %[[T:[^ ]*]] = %c0{{[_0-9]*}} to %[[N:[^ ]*]] step %{{.*}} iter_args(%[[HC:[^ ]*]] = %[[H0]], %[[UC:[^ ]*]] = %[[U0]]) -> (vector<4xf32>, vector<4xf32>)
// CHECK: %[[UT:.*]] = vector.load %[[X:[a-z0-9_]+]][%[[T]], %[[I]]] : memref<?x8xf32>, vector<4xf32>
// CHECK: %[[ONEMINUSSLOPE:.*]] = arith.constant 8.750000e-01 : f32
// CHECK: %[[W:.*]] = arith.mulf %{{.*}}, %[[UC]] fastmath<contract> : vector<4xf32>
// CHECK: %[[S:.*]] = arith.addf %[[W]], %[[UT]] fastmath<contract> : vector<4xf32>
// CHECK: %[[DECAY:.*]] = arith.constant 2.500000e-01 : f32
// CHECK: %[[DECAYED:.*]] = arith.mulf %{{.*}}, %[[HC]] : vector<4xf32>
// CHECK: %[[VT:.*]] = vector.load %[[X]][%[[T]], %[[I]]]
// CHECK: %[[KEEP:.*]] = arith.constant 7.500000e-01 : f32
// CHECK: %[[IN:.*]] = arith.mulf %{{.*}}, %[[VT]] fastmath<contract> : vector<4xf32>
// CHECK: %[[HT:.*]] = arith.addf %[[IN]], %[[DECAYED]] fastmath<contract> : vector<4xf32>
// CHECK: vector.store %[[HT]], %[[DV]][%[[T]], %[[I]]]
// CHECK: vector.store %[[S]], %[[DU]][%[[T]], %[[I]]]
// CHECK: scf.yield %[[HT]], %[[UT]] : vector<4xf32>, vector<4xf32>
// Backward: t = N - 1 - r, reading h_t and s_t back before overwriting them.
// CHECK: scf.for %[[R:[^ ]*]] = %c0{{[_0-9]*}} to %[[N]] step %{{.*}} iter_args(%[[DH:[^ ]*]] = %{{.*}}, %[[DSC:[^ ]*]] = %{{.*}}) -> (vector<4xf32>, vector<4xf32>)
// CHECK: %[[NR:.*]] = arith.subi %[[N]], %[[R]] : index
// CHECK: %[[TB:.*]] = arith.subi %[[NR]], %c1
// CHECK: %[[HB:.*]] = vector.load %[[DV]][%[[TB]], %[[I]]]
// CHECK: %[[SB:.*]] = vector.load %[[DU]][%[[TB]], %[[I]]]
// CHECK: %[[Q:.*]] = vector.load %[[X]][%[[TB]], %[[I]]]
// CHECK: %[[G:.*]] = vector.load %[[DM]][%[[TB]], %[[I]]]
// silu(q) = q / (1 + exp(-q)).
// CHECK: %[[NEGQ:.*]] = arith.negf %[[Q]] : vector<4xf32>
// CHECK: %[[EXPQ:.*]] = math.exp %[[NEGQ]] : vector<4xf32>
// CHECK: %[[DEN:.*]] = arith.addf %{{.*}}, %[[EXPQ]] : vector<4xf32>
// CHECK: %[[SILU:.*]] = arith.divf %[[Q]], %[[DEN]] : vector<4xf32>
// CHECK: %[[GS:.*]] = arith.mulf %[[G]], %[[SB]] : vector<4xf32>
// CHECK: %[[GH:.*]] = arith.mulf %[[G]], %[[HB]] : vector<4xf32>
// CHECK: %[[DS:.*]] = arith.mulf %[[GH]], %[[SILU]] : vector<4xf32>
// CHECK: %[[GSS:.*]] = arith.mulf %[[GS]], %[[SILU]] : vector<4xf32>
// CHECK: %[[CARRY:.*]] = arith.mulf %{{.*}}, %[[DH]] fastmath<contract> : vector<4xf32>
// CHECK: %[[DHT:.*]] = arith.addf %[[CARRY]], %[[GSS]] fastmath<contract> : vector<4xf32>
// silu'(q) = sigma(q) (1 + q (1 - sigma(q))), then dq = g s h silu'(q).
// CHECK: math.exp
// CHECK: %[[SIG:.*]] = arith.divf %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK: %[[ONEMSIG:.*]] = arith.subf %{{.*}}, %[[SIG]] : vector<4xf32>
// CHECK: %[[QT:.*]] = arith.mulf %[[Q]], %[[ONEMSIG]] : vector<4xf32>
// CHECK: %[[INNER:.*]] = arith.addf %{{.*}}, %[[QT]] : vector<4xf32>
// CHECK: %[[DSILU:.*]] = arith.mulf %[[SIG]], %[[INNER]] : vector<4xf32>
// CHECK: %[[GSH:.*]] = arith.mulf %[[GS]], %[[HB]] : vector<4xf32>
// CHECK: %[[DQV:.*]] = arith.mulf %[[GSH]], %[[DSILU]] : vector<4xf32>
// du_t = ds_t + (1 - slope) ds_{t+1}.
// CHECK: %[[LATER:.*]] = arith.mulf %{{.*}}, %[[DSC]] fastmath<contract> : vector<4xf32>
// CHECK: %[[DUV:.*]] = arith.addf %[[LATER]], %[[DS]] fastmath<contract> : vector<4xf32>
// CHECK: vector.store %[[DUV]], %[[DU]][%[[TB]], %[[I]]]
// CHECK: %[[DVV:.*]] = arith.mulf %{{.*}}, %[[DHT]] : vector<4xf32>
// CHECK: vector.store %[[DVV]], %[[DV]][%[[TB]], %[[I]]]
// CHECK: vector.store %[[DQV]], %[[DQ]][%[[TB]], %[[I]]]
// CHECK: scf.yield %[[DHT]], %[[DS]] : vector<4xf32>, vector<4xf32>
// CHECK: scf.for %{{[^ ]*}} = %[[VEND]] to %[[UB]] step %c1
// CHECK: -> (f32, f32)
// Channel 1 = [4, 8): its own decay and slope.
// CHECK: %[[LB1:.*]] = arith.maxui %[[B]], %c4
// CHECK: %[[UB1:.*]] = arith.minui %[[E]], %c8
// CHECK: scf.for %{{[^ ]*}} = %[[LB1]] to %{{.*}} step %c4
// CHECK: arith.constant 6.250000e-01 : f32
// CHECK: arith.constant 8.750000e-01 : f32
// CHECK: arith.constant 1.250000e-01 : f32
// CHECK: func.call_indirect
module {
  yan.weight @embed : tensor<16x8xf32>
  yan.weight @router0 : tensor<4x8xf32>
  yan.weight @w1_0 : tensor<4x4x8xf32>
  yan.weight @w3_0 : tensor<4x4x8xf32>
  yan.weight @w2_0 : tensor<4x8x4xf32>
  yan.weight @router1 : tensor<4x8xf32>
  yan.weight @w1_1 : tensor<4x4x8xf32>
  yan.weight @w3_1 : tensor<4x4x8xf32>
  yan.weight @w2_1 : tensor<4x8x4xf32>
  yan.weight @norm : tensor<8xf32>
  yan.weight @head : tensor<16x8xf32>
  func.func @prefill(%tokens: tensor<?xi32> {yan.input = "tokens"}, %h: tensor<8xf32> {yan.state = "layers.1.h"}, %hist: tensor<1x8xf32> {yan.state = "layers.1.u_hist"}) -> (tensor<?x16xf32> {yan.output = "logits"}, tensor<8xf32> {yan.state = "layers.1.h"}, tensor<1x8xf32> {yan.state = "layers.1.u_hist"}) {
    %table = yan.weight_ref @embed : tensor<16x8xf32>
    %x0 = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<?xi32>) -> tensor<?x8xf32>
    %wr0 = yan.weight_ref @router0 : tensor<4x8xf32>
    %idx0, %alpha0 = yan.router %x0, %wr0 {active_partitions = 2} : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %a0 = yan.weight_ref @w1_0 : tensor<4x4x8xf32>
    %b0 = yan.weight_ref @w3_0 : tensor<4x4x8xf32>
    %c0 = yan.weight_ref @w2_0 : tensor<4x8x4xf32>
    %f0 = yan.partitioned_ffn %x0, %idx0, %alpha0, %a0, %b0, %c0 : (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>) -> tensor<?x8xf32>
    %x1 = arith.addf %x0, %f0 : tensor<?x8xf32>
    %m, %h2, %hist2 = yan.mcsd %x1, %x1, %x1, %h, %hist {num_channels = 2, slope_window = 2, decays = array<f32: 0.25, 0.875>, slopes = array<f32: 0.125, 0.375>}
        : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<8xf32>, tensor<1x8xf32>) -> (tensor<?x8xf32>, tensor<8xf32>, tensor<1x8xf32>)
    %x2 = arith.addf %x1, %m : tensor<?x8xf32>
    %wr1 = yan.weight_ref @router1 : tensor<4x8xf32>
    %idx1, %alpha1 = yan.router %x2, %wr1 {active_partitions = 2} : (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>)
    %a1 = yan.weight_ref @w1_1 : tensor<4x4x8xf32>
    %b1 = yan.weight_ref @w3_1 : tensor<4x4x8xf32>
    %c1 = yan.weight_ref @w2_1 : tensor<4x8x4xf32>
    %f1 = yan.partitioned_ffn %x2, %idx1, %alpha1, %a1, %b1, %c1 : (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x4x8xf32>, tensor<4x4x8xf32>, tensor<4x8x4xf32>) -> tensor<?x8xf32>
    %x3 = arith.addf %x2, %f1 : tensor<?x8xf32>
    %nw = yan.weight_ref @norm : tensor<8xf32>
    %head = yan.weight_ref @head : tensor<16x8xf32>
    %logits = yan.lm_head %x3, %nw, %head {eps = 1.0e-5 : f32} : (tensor<?x8xf32>, tensor<8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
    return %logits, %h2, %hist2 : tensor<?x16xf32>, tensor<8xf32>, tensor<1x8xf32>
  }
}
