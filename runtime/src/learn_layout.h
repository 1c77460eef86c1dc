//===- learn_layout.h - The weights learning may change ----------*- C++ -*-===//
//
// Learning changes only the FFN partitions: w1, w3, w2 of each layer
// (docs/yan-model.md section 5). This finds them in the weight table and
// checks they are what the learn entries and deltas assume: P partitions of
// [F, D] / [F, D] / [D, F] elements, one dtype for all of them (any stored
// format: f32 partitions are trained in place, the others in f32 copies).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_RUNTIME_LEARN_LAYOUT_H
#define YAN_RUNTIME_LEARN_LAYOUT_H

#include "bundle_generated.h"
#include "yan/runtime.h"

#include <cstdint>

namespace yan::rt {

/// The three FFN tensors of a layer in the ABI's slot order.
enum FfnTensor : int { kFfnW1 = 0, kFfnW3 = 1, kFfnW2 = 2, kFfnTensors = 3 };

/// One FFN weight of one layer: partition p is the `bytes` bytes at
/// offset + p * stride in the weight segment (a slab when quantized).
struct FfnWeight {
  uint64_t offset = 0;
  uint64_t stride = 0;
  uint64_t bytes = 0;
};

/// The weight table's entry named `name`, or NULL.
const ::yan::fb::Weight *findWeight(const ::yan::fb::Bundle &root, const char *name);

/// Finds layers.<layer>.ffn.{w1,w3,w2} (in that order) and checks their
/// shapes, partitions and dtype (the first layer's dtype is the reference:
/// *dtype is set by layer 0 and compared for the others). BAD_LAYOUT
/// otherwise. Reads only the verified weight table.
yan_status_t findFfnWeights(const ::yan::fb::Bundle &root, int64_t layer,
                            FfnWeight out[kFfnTensors], ::yan::fb::DType *dtype);

/// The learn table of a bundle that has one: learn_partitions M in [1, P]
/// and every layer's FFN weights as findFfnWeights checks them.
yan_status_t checkLearn(const ::yan::fb::Bundle &root);

/// Bytes of one element.
inline uint64_t dtypeBytes(::yan::fb::DType dtype) {
  return dtype == ::yan::fb::DType::f32 ? 4 : 2;
}

} // namespace yan::rt

#endif // YAN_RUNTIME_LEARN_LAYOUT_H
