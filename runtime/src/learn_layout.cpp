//===- learn_layout.cpp - The weights learning may change -----------------===//
#include "learn_layout.h"

#include "status.h"
#include "yan/quant_format.h"

#include <cstdio>
#include <cstring>

namespace yan::rt {
namespace {

const char *const kFfnNames[kFfnTensors] = {"w1", "w3", "w2"};

// Bytes of one [rows, cols] partition stored as `dtype`: its elements, or
// its slab (int8/int4, yan/quant_format.h).
uint64_t partitionBytes(fb::DType dtype, int64_t rows, int64_t cols) {
  if (dtype == fb::DType::int8 || dtype == fb::DType::int4)
    return yan_quant_slab_layout(dtype == fb::DType::int8 ? 8 : 4, static_cast<uint64_t>(rows),
                                 static_cast<uint64_t>(cols))
        .bytes;
  return static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols) * dtypeBytes(dtype);
}

} // namespace

const fb::Weight *findWeight(const fb::Bundle &root, const char *name) {
  for (const fb::Weight *w : *root.weights())
    if (w->name() && std::strcmp(w->name()->c_str(), name) == 0)
      return w;
  return nullptr;
}

yan_status_t findFfnWeights(const fb::Bundle &root, int64_t layer, FfnWeight out[kFfnTensors],
                            fb::DType *dtype) {
  const fb::ModelConfig &c = *root.config();
  for (int t = 0; t < kFfnTensors; ++t) {
    char name[64];
    std::snprintf(name, sizeof name, "layers.%lld.ffn.%s", static_cast<long long>(layer),
                  kFfnNames[t]);
    const fb::Weight *w = findWeight(root, name);
    if (!w)
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "weight '%s' is missing: learning and deltas need every layer's "
                        "FFN partitions", name);
    // w1, w3: [P, F, D]; w2: [P, D, F] (docs/yan-model.md section 2).
    int64_t inner0 = t == kFfnW2 ? c.hidden_size() : c.partition_size();
    int64_t inner1 = t == kFfnW2 ? c.partition_size() : c.hidden_size();
    const auto *shape = w->shape();
    if (shape->size() != 3 || shape->Get(0) != c.num_partitions() || shape->Get(1) != inner0 ||
        shape->Get(2) != inner1 || w->num_partitions() != c.num_partitions())
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "weight '%s' is not [%lld, %lld, %lld] in %lld partitions", name,
                        static_cast<long long>(c.num_partitions()),
                        static_cast<long long>(inner0), static_cast<long long>(inner1),
                        static_cast<long long>(c.num_partitions()));
    if (layer == 0 && t == 0)
      *dtype = w->dtype();
    else if (w->dtype() != *dtype)
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "weight '%s' has another dtype than layers.0.ffn.w1", name);
    // The weight table was verified: size == (P-1) * stride + P-th of the
    // bytes, and dimensions are below 2^31.
    out[t].offset = w->offset();
    out[t].stride = w->partition_stride();
    out[t].bytes = partitionBytes(w->dtype(), inner0, inner1);
  }
  return nullptr;
}

yan_status_t checkLearn(const fb::Bundle &root) {
  const fb::LearnInfo *learn = root.learn();
  if (!learn)
    return nullptr;
  const fb::ModelConfig &c = *root.config();
  if (learn->learn_partitions() < 1 || learn->learn_partitions() > c.num_partitions())
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "learn_partitions = %lld is outside [1, %lld] (the partitions per "
                      "layer)", static_cast<long long>(learn->learn_partitions()),
                      static_cast<long long>(c.num_partitions()));
  fb::DType dtype = fb::DType::f32;
  for (int64_t l = 0; l < c.num_layers(); ++l) {
    FfnWeight ffn[kFfnTensors];
    YAN_RETURN_IF_ERROR(findFfnWeights(root, l, ffn, &dtype));
  }
  return nullptr;
}

} // namespace yan::rt
