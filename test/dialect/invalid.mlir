// RUN: yan-opt %s -split-input-file -verify-diagnostics

// D % C != 0
func.func @channels_do_not_divide(%u: tensor<1x6xf32>, %h: tensor<6xf32>, %hist: tensor<1x6xf32>) {
  // expected-error @+1 {{hidden size 6 is not divisible by num_channels 4}}
  %m, %h2, %x = yan.mcsd %u, %u, %u, %h, %hist {num_channels = 4, slope_window = 2, decays = array<f32: 0.5, 0.5, 0.5, 0.5>, slopes = array<f32: 0.1, 0.1, 0.1, 0.1>}
      : (tensor<1x6xf32>, tensor<1x6xf32>, tensor<1x6xf32>, tensor<6xf32>, tensor<1x6xf32>) -> (tensor<1x6xf32>, tensor<6xf32>, tensor<1x6xf32>)
  return
}

// -----

func.func @decays_count(%u: tensor<1x4xf32>, %h: tensor<4xf32>, %hist: tensor<1x4xf32>) {
  // expected-error @+1 {{decays has 1 entries, expected num_channels = 2}}
  %m, %h2, %x = yan.mcsd %u, %u, %u, %h, %hist {num_channels = 2, slope_window = 2, decays = array<f32: 0.5>, slopes = array<f32: 0.1, 0.1>}
      : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<4xf32>, tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<4xf32>, tensor<1x4xf32>)
  return
}

// -----

func.func @slopes_count(%u: tensor<1x4xf32>, %h: tensor<4xf32>, %hist: tensor<1x4xf32>) {
  // expected-error @+1 {{slopes has 3 entries, expected num_channels = 2}}
  %m, %h2, %x = yan.mcsd %u, %u, %u, %h, %hist {num_channels = 2, slope_window = 2, decays = array<f32: 0.5, 0.5>, slopes = array<f32: 0.1, 0.1, 0.1>}
      : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<4xf32>, tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<4xf32>, tensor<1x4xf32>)
  return
}

// -----

func.func @decay_range(%u: tensor<1x4xf32>, %h: tensor<4xf32>, %hist: tensor<1x4xf32>) {
  // expected-error @+1 {{decay of channel 1 is 1.000000e+00, expected a value in (0, 1)}}
  %m, %h2, %x = yan.mcsd %u, %u, %u, %h, %hist {num_channels = 2, slope_window = 2, decays = array<f32: 0.5, 1.0>, slopes = array<f32: 0.1, 0.1>}
      : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<4xf32>, tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<4xf32>, tensor<1x4xf32>)
  return
}

// -----

func.func @slope_range(%u: tensor<1x4xf32>, %h: tensor<4xf32>, %hist: tensor<3x4xf32>) {
  // expected-error @+1 {{slope of channel 0 is 5.000000e-01, expected slope >= 0 and 1 - (K-1)*slope > 0 with K = 4}}
  %m, %h2, %x = yan.mcsd %u, %u, %u, %h, %hist {num_channels = 2, slope_window = 4, decays = array<f32: 0.5, 0.5>, slopes = array<f32: 0.5, 0.1>}
      : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<4xf32>, tensor<3x4xf32>) -> (tensor<1x4xf32>, tensor<4xf32>, tensor<3x4xf32>)
  return
}

// -----

func.func @negative_slope(%u: tensor<1x4xf32>, %h: tensor<4xf32>, %hist: tensor<1x4xf32>) {
  // expected-error @+1 {{slope of channel 1 is -1.000000e-01}}
  %m, %h2, %x = yan.mcsd %u, %u, %u, %h, %hist {num_channels = 2, slope_window = 2, decays = array<f32: 0.5, 0.5>, slopes = array<f32: 0.1, -0.1>}
      : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<4xf32>, tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<4xf32>, tensor<1x4xf32>)
  return
}

// -----

// Wrong recurrent state shape: the u history must hold K-1 rows.
func.func @u_hist_rows(%u: tensor<1x4xf32>, %h: tensor<4xf32>, %hist: tensor<2x4xf32>) {
  // expected-error @+1 {{u_hist dimension 0 (slope_window - 1) is 2, expected 3}}
  %m, %h2, %x = yan.mcsd %u, %u, %u, %h, %hist {num_channels = 2, slope_window = 4, decays = array<f32: 0.5, 0.5>, slopes = array<f32: 0.1, 0.1>}
      : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<4xf32>, tensor<2x4xf32>) -> (tensor<1x4xf32>, tensor<4xf32>, tensor<2x4xf32>)
  return
}

// -----

func.func @h_width(%u: tensor<1x4xf32>, %h: tensor<8xf32>, %hist: tensor<1x8xf32>) {
  // expected-error @+1 {{u dimension 1 (hidden size) is 4, expected 8}}
  %m, %h2, %x = yan.mcsd %u, %u, %u, %h, %hist {num_channels = 2, slope_window = 2, decays = array<f32: 0.5, 0.5>, slopes = array<f32: 0.1, 0.1>}
      : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<8xf32>, tensor<1x8xf32>) -> (tensor<1x4xf32>, tensor<8xf32>, tensor<1x8xf32>)
  return
}

// -----

func.func @mcsd_result_state(%u: tensor<1x4xf32>, %h: tensor<4xf32>, %hist: tensor<1x4xf32>) {
  // expected-error @+1 {{result h_out type 'tensor<2xf32>' must equal h type 'tensor<4xf32>'}}
  %m, %h2, %x = yan.mcsd %u, %u, %u, %h, %hist {num_channels = 2, slope_window = 2, decays = array<f32: 0.5, 0.5>, slopes = array<f32: 0.1, 0.1>}
      : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<4xf32>, tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<2xf32>, tensor<1x4xf32>)
  return
}

// -----

func.func @window_positive(%u: tensor<1x4xf32>, %h: tensor<4xf32>, %hist: tensor<1x4xf32>) {
  // expected-error @+1 {{attribute 'slope_window' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %m, %h2, %x = yan.mcsd %u, %u, %u, %h, %hist {num_channels = 2, slope_window = 0, decays = array<f32: 0.5, 0.5>, slopes = array<f32: 0.1, 0.1>}
      : (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<4xf32>, tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<4xf32>, tensor<1x4xf32>)
  return
}

// -----

// k > P
func.func @router_k_exceeds_p(%x: tensor<3x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{active_partitions 5 exceeds the number of partitions 4}}
  %i, %a = yan.router %x, %w {active_partitions = 5} : (tensor<3x8xf32>, tensor<4x8xf32>) -> (tensor<3x5xi32>, tensor<3x5xf32>)
  return
}

// -----

func.func @router_result_width(%x: tensor<3x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{weights dimension 1 (active partitions) is 3, expected 2}}
  %i, %a = yan.router %x, %w {active_partitions = 2} : (tensor<3x8xf32>, tensor<4x8xf32>) -> (tensor<3x2xi32>, tensor<3x3xf32>)
  return
}

// -----

func.func @router_hidden(%x: tensor<3x7xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{input dimension 1 (hidden size) is 7, expected 8}}
  %i, %a = yan.router %x, %w {active_partitions = 2} : (tensor<3x7xf32>, tensor<4x8xf32>) -> (tensor<3x2xi32>, tensor<3x2xf32>)
  return
}

// -----

// dtype mismatch: activations are f32 only.
func.func @activation_dtype(%x: tensor<3x8xf16>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float values}}
  %y = yan.linear %x, %w : (tensor<3x8xf16>, tensor<4x8xf32>) -> tensor<3x4xf32>
  return
}

// -----

// Weights may be f32, f16 or bf16 only.
func.func @weight_dtype(%x: tensor<3x8xf32>, %w: tensor<4x8xf64>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %y = yan.linear %x, %w : (tensor<3x8xf32>, tensor<4x8xf64>) -> tensor<3x4xf32>
  return
}

// -----

func.func @linear_in_features(%x: tensor<3x8xf32>, %w: tensor<4x6xf32>) {
  // expected-error @+1 {{input dimension 1 (weight in-features) is 8, expected 6}}
  %y = yan.linear %x, %w : (tensor<3x8xf32>, tensor<4x6xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @linear_out_features(%x: tensor<3x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{result dimension 1 (weight out-features) is 5, expected 4}}
  %y = yan.linear %x, %w : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x5xf32>
  return
}

// -----

func.func @linear_dynamic_weight(%x: tensor<3x8xf32>, %w: tensor<?x8xf32>) {
  // expected-error @+1 {{weight must have a static shape, got 'tensor<?x8xf32>'}}
  %y = yan.linear %x, %w : (tensor<3x8xf32>, tensor<?x8xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @norm_width(%x: tensor<3x8xf32>, %w: tensor<6xf32>) {
  // expected-error @+1 {{input dimension 1 (hidden size) is 8, expected 6}}
  %y = yan.rms_norm %x, %w {eps = 1.0e-5 : f32} : (tensor<3x8xf32>, tensor<6xf32>) -> tensor<3x8xf32>
  return
}

// -----

func.func @norm_eps(%x: tensor<3x8xf32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{eps must be positive, got 0.000000e+00}}
  %y = yan.rms_norm %x, %w {eps = 0.0 : f32} : (tensor<3x8xf32>, tensor<8xf32>) -> tensor<3x8xf32>
  return
}

// -----

func.func @embed_rank(%t: tensor<16xf32>, %tok: tensor<3xi32>) {
  // expected-error @+1 {{table must have rank 2, got 'tensor<16xf32>'}}
  %x = yan.embed %t, %tok : (tensor<16xf32>, tensor<3xi32>) -> tensor<3x8xf32>
  return
}

// -----

func.func @embed_positions(%t: tensor<16x8xf32>, %tok: tensor<3xi32>) {
  // expected-error @+1 {{result dimension 0 (positions) is 4, expected 3}}
  %x = yan.embed %t, %tok : (tensor<16x8xf32>, tensor<3xi32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @ffn_w2_shape(%x: tensor<3x8xf32>, %i: tensor<3x2xi32>, %a: tensor<3x2xf32>,
                        %w1: tensor<4x5x8xf32>, %w3: tensor<4x5x8xf32>, %w2: tensor<4x8x6xf32>) {
  // expected-error @+1 {{w2 dimension 2 (partition size) is 6, expected 5}}
  %y = yan.partitioned_ffn %x, %i, %a, %w1, %w3, %w2
      : (tensor<3x8xf32>, tensor<3x2xi32>, tensor<3x2xf32>, tensor<4x5x8xf32>, tensor<4x5x8xf32>, tensor<4x8x6xf32>) -> tensor<3x8xf32>
  return
}

// -----

func.func @ffn_w3_type(%x: tensor<3x8xf32>, %i: tensor<3x2xi32>, %a: tensor<3x2xf32>,
                       %w1: tensor<4x5x8xf32>, %w3: tensor<4x5x8xf16>, %w2: tensor<4x8x5xf32>) {
  // expected-error @+1 {{w3 type 'tensor<4x5x8xf16>' must equal w1 type 'tensor<4x5x8xf32>'}}
  %y = yan.partitioned_ffn %x, %i, %a, %w1, %w3, %w2
      : (tensor<3x8xf32>, tensor<3x2xi32>, tensor<3x2xf32>, tensor<4x5x8xf32>, tensor<4x5x8xf16>, tensor<4x8x5xf32>) -> tensor<3x8xf32>
  return
}

// -----

func.func @ffn_too_many_active(%x: tensor<3x8xf32>, %i: tensor<3x5xi32>, %a: tensor<3x5xf32>,
                               %w1: tensor<4x5x8xf32>, %w3: tensor<4x5x8xf32>, %w2: tensor<4x8x5xf32>) {
  // expected-error @+1 {{indices select 5 partitions per position, more than the 4 partitions of w1}}
  %y = yan.partitioned_ffn %x, %i, %a, %w1, %w3, %w2
      : (tensor<3x8xf32>, tensor<3x5xi32>, tensor<3x5xf32>, tensor<4x5x8xf32>, tensor<4x5x8xf32>, tensor<4x8x5xf32>) -> tensor<3x8xf32>
  return
}

// -----

func.func @ffn_alpha_positions(%x: tensor<3x8xf32>, %i: tensor<3x2xi32>, %a: tensor<2x2xf32>,
                               %w1: tensor<4x5x8xf32>, %w3: tensor<4x5x8xf32>, %w2: tensor<4x8x5xf32>) {
  // expected-error @+1 {{weights dimension 0 (positions) is 2, expected 3}}
  %y = yan.partitioned_ffn %x, %i, %a, %w1, %w3, %w2
      : (tensor<3x8xf32>, tensor<3x2xi32>, tensor<2x2xf32>, tensor<4x5x8xf32>, tensor<4x5x8xf32>, tensor<4x8x5xf32>) -> tensor<3x8xf32>
  return
}

// -----

func.func @lm_head_vocab(%x: tensor<3x8xf32>, %n: tensor<8xf32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{logits dimension 1 (vocabulary size) is 15, expected 16}}
  %y = yan.lm_head %x, %n, %w {eps = 1.0e-5 : f32} : (tensor<3x8xf32>, tensor<8xf32>, tensor<16x8xf32>) -> tensor<3x15xf32>
  return
}

// -----

func.func @lm_head_norm(%x: tensor<3x8xf32>, %n: tensor<7xf32>, %w: tensor<16x8xf32>) {
  // expected-error @+1 {{norm_weight dimension 0 (hidden size) is 7, expected 8}}
  %y = yan.lm_head %x, %n, %w {eps = 1.0e-5 : f32} : (tensor<3x8xf32>, tensor<7xf32>, tensor<16x8xf32>) -> tensor<3x16xf32>
  return
}

// -----

func.func @cross_entropy_targets(%l: tensor<3x16xf32>, %t: tensor<4xi32>) {
  // expected-error @+1 {{targets dimension 0 (positions) is 4, expected 3}}
  %y = yan.cross_entropy %l, %t : (tensor<3x16xf32>, tensor<4xi32>) -> tensor<f32>
  return
}

// -----

func.func @weight_ref_missing() {
  // expected-error @+1 {{'nope' does not name a yan.weight}}
  %w = yan.weight_ref @nope : tensor<4xf32>
  return
}

// -----

yan.weight @w : tensor<4xf32>
func.func @weight_ref_type() {
  // expected-error @+1 {{type 'tensor<8xf32>' differs from weight 'w' declared as 'tensor<4xf32>'}}
  %w = yan.weight_ref @w : tensor<8xf32>
  return
}

// -----

// expected-error @+1 {{weight must have a static shape, got 'tensor<?xf32>'}}
yan.weight @dynamic : tensor<?xf32>

// -----

func.func @weight_outside_module() {
  // expected-error @+1 {{expects parent op 'builtin.module'}}
  "yan.weight"() {sym_name = "w", type = tensor<4xf32>} : () -> ()
  return
}

// -----

// A quantized storage format other than int8/int4
// expected-error @+1 {{storage 'int2' is not a quantized format (int8 or int4)}}
yan.weight @"lm_head.weight" : tensor<8x4xf32> {storage = "int2"}

// -----

// Quantized storage holds f32 values of a matrix, not a vector
// expected-error @+1 {{storage 'int8' needs an f32 weight of rank 2 or more, not 'tensor<4xf32>'}}
yan.weight @"final_norm.weight" : tensor<4xf32> {storage = "int8"}

// -----

// expected-error @+1 {{storage 'int4' needs an f32 weight of rank 2 or more, not 'tensor<8x4xf16>'}}
yan.weight @"lm_head.weight" : tensor<8x4xf16> {storage = "int4"}
