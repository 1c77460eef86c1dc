// RUN: yan-opt %s -split-input-file -verify-diagnostics
// One error per class of malformed gradient op (YanGradOps.td).

func.func @ce_grad_type(%l: tensor<?x8xf32>, %t: tensor<?xi32>) {
  // expected-error @+1 {{result type 'tensor<?x9xf32>' must equal logits type 'tensor<?x8xf32>'}}
  %g = yan.cross_entropy_grad %l, %t : (tensor<?x8xf32>, tensor<?xi32>) -> tensor<?x9xf32>
  return
}

// -----

func.func @linear_grad_features(%g: tensor<?x5xf32>, %w: tensor<4x6xf32>) {
  // expected-error @+1 {{grad dimension 1 (weight out-features) is 5, expected 4}}
  %x = yan.linear_grad %g, %w : (tensor<?x5xf32>, tensor<4x6xf32>) -> tensor<?x6xf32>
  return
}

// -----

func.func @rms_norm_grad_type(%x: tensor<?x4xf32>, %w: tensor<4xf32>, %g: tensor<3x4xf32>) {
  // expected-error @+1 {{grad type 'tensor<3x4xf32>' must equal input type 'tensor<?x4xf32>'}}
  %d = yan.rms_norm_grad %x, %w, %g {eps = 1.0e-5 : f32} : (tensor<?x4xf32>, tensor<4xf32>, tensor<3x4xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @mcsd_grad_history(%u: tensor<?x4xf32>, %h: tensor<4xf32>, %hist: tensor<2x4xf32>) {
  // expected-error @+1 {{u_hist dimension 0 (slope_window - 1) is 2, expected 1}}
  %du, %dv, %dq = yan.mcsd_grad %u, %u, %u, %h, %hist, %u {num_channels = 2, slope_window = 2, decays = array<f32: 0.5, 0.5>, slopes = array<f32: 0.1, 0.1>}
      : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<4xf32>, tensor<2x4xf32>, tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
  return
}

// -----

func.func @router_grad_hidden(%w: tensor<4x8xf32>, %i: tensor<?x2xi32>, %a: tensor<?x2xf32>) {
  // expected-error @+1 {{result dimension 1 (hidden size) is 6, expected 8}}
  %d = yan.router_grad %w, %i, %a, %a : (tensor<4x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x6xf32>
  return
}

// -----

func.func @choose_too_many(%i: tensor<?x2xi32>, %a: tensor<?x2xf32>, %limit: index) {
  // expected-error @+1 {{chooses up to 5 partitions of only 4}}
  %c = yan.choose_partitions %i, %a, %limit {num_partitions = 4} : (tensor<?x2xi32>, tensor<?x2xf32>, index) -> tensor<5xi32>
  return
}

// -----

func.func @ffn_grad_factors(%x: tensor<?x8xf32>, %i: tensor<?x2xi32>, %a: tensor<?x2xf32>,
                            %w1: tensor<4x3x8xf32>, %w2: tensor<4x8x3xf32>, %c: tensor<2xi32>) {
  // expected-error @+1 {{xs type 'tensor<2x?x3xf32>' must be 'tensor<2x?x8xf32>' (slots x positions x width)}}
  %dx, %da, %n, %a1, %a3, %g, %xs, %ds = yan.partitioned_ffn_grad %x, %i, %a, %w1, %w1, %w2, %x, %c
      : (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x3x8xf32>, tensor<4x3x8xf32>, tensor<4x8x3xf32>, tensor<?x8xf32>, tensor<2xi32>)
      -> (tensor<?x8xf32>, tensor<?x2xf32>, tensor<2xi32>, tensor<2x?x3xf32>, tensor<2x?x3xf32>, tensor<2x?x3xf32>, tensor<2x?x3xf32>, tensor<2x?x8xf32>)
  return
}

// -----

func.func @ffn_grad_weight_only_input_used(%x: tensor<?x8xf32>, %i: tensor<?x2xi32>, %a: tensor<?x2xf32>,
                                          %w1: tensor<4x3x8xf32>, %w2: tensor<4x8x3xf32>, %c: tensor<2xi32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{with weight_gradients_only, dinput and dweights are not computed and must have no uses}}
  %dx, %da, %n, %a1, %a3, %g, %xs, %ds = yan.partitioned_ffn_grad %x, %i, %a, %w1, %w1, %w2, %x, %c {weight_gradients_only}
      : (tensor<?x8xf32>, tensor<?x2xi32>, tensor<?x2xf32>, tensor<4x3x8xf32>, tensor<4x3x8xf32>, tensor<4x8x3xf32>, tensor<?x8xf32>, tensor<2xi32>)
      -> (tensor<?x8xf32>, tensor<?x2xf32>, tensor<2xi32>, tensor<2x?x3xf32>, tensor<2x?x3xf32>, tensor<2x?x3xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32>)
  return %dx : tensor<?x8xf32>
}

// -----

func.func @squares_mixed(%n: tensor<2xi32>, %f: tensor<2x?x3xf32>, %d: tensor<2x?x8xf32>, %e: tensor<2x?x5xf32>) {
  // expected-error @+1 {{a1, a3 and g must share a type, and xs and ds}}
  %s = yan.partition_grad_squares %n, %f, %f, %f, %d, %e
      : (tensor<2xi32>, tensor<2x?x3xf32>, tensor<2x?x3xf32>, tensor<2x?x3xf32>, tensor<2x?x8xf32>, tensor<2x?x5xf32>) -> tensor<f32>
  return
}

// -----

func.func @norm_of_nothing() {
  // expected-error @+1 {{needs at least one squared norm}}
  %n = yan.global_norm : () -> tensor<f32>
  return
}
