// RUN: yan-opt %s -split-input-file -yan-lower-to-loops -verify-diagnostics

// expected-error @below {{has no yan.offset: run -yan-layout-weights first}}
yan.weight @embed : tensor<16x8xf32>
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x8xf32> {
  %table = yan.weight_ref @embed : tensor<16x8xf32>
  %x = yan.embed %table, %tokens : (tensor<16x8xf32>, tensor<1xi32>) -> tensor<1x8xf32>
  return %x : tensor<1x8xf32>
}

// -----

// expected-error @below {{result 0 must be the logits, tensor<NxVxf32>}}
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1xi32> {
  return %tokens : tensor<1xi32>
}

// -----

// The state must be updated by the mixer and handed back in place.
// expected-error @below {{state argument 1 must be used by exactly one yan.mcsd}}
func.func @decode(%tokens: tensor<1xi32>, %h: tensor<8xf32>) -> (tensor<1x16xf32>, tensor<8xf32>) {
  %l = arith.constant dense<0.0> : tensor<1x16xf32>
  return %l, %h : tensor<1x16xf32>, tensor<8xf32>
}

// -----

yan.weight @w : tensor<4xf32> {yan.offset = 0 : i64, yan.partitions = 1 : i64}
func.func @decode(%tokens: tensor<1xi32>) -> tensor<1x16xf32> {
  // expected-error @below {{'arith.constant' op cannot be lowered in a forward entry point}}
  %x = arith.constant dense<1.0> : tensor<1x16xf32>
  return %x : tensor<1x16xf32>
}

// -----

// A learn graph's results are found by their yan.learn_result tags
// (-yan-build-learn sets them), never by position.
yan.weight @embed : tensor<16x8xf32> {yan.offset = 0 : i64, yan.partitions = 1 : i64}
// expected-error @below {{learn result 1 needs a yan.learn_result tag}}
func.func @learn(%inputs: tensor<?xi32>, %targets: tensor<?xi32>, %limit: index) -> (tensor<f32> {yan.learn_result = "loss"}, tensor<f32>) attributes {yan.learn_partitions = 1 : i64} {
  %l = arith.constant dense<0.0> : tensor<f32>
  return %l, %l : tensor<f32>, tensor<f32>
}
