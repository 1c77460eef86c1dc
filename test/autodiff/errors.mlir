// RUN: yan-opt %s -split-input-file -yan-build-learn -verify-diagnostics

// expected-error @+1 {{-yan-build-learn needs a @prefill entry point}}
module {
  func.func @decode(%tokens: tensor<1xi32>) {
    return
  }
}

// -----

module {
  // expected-error @+1 {{@prefill must take tensor<?xi32> tokens and return the logits first}}
  func.func @prefill(%tokens: tensor<4xi32>) -> tensor<4x8xf32> {
    %0 = tensor.empty() : tensor<4x8xf32>
    return %0 : tensor<4x8xf32>
  }
}
