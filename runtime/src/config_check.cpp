//===- config_check.cpp - Model config and state layout sanity ------------===//
//
// The runtime sizes buffers from these numbers (logits rows of V, state of
// state_floats), so they are checked as strictly as the compiler's
// ModelConfig::validate, plus limits that keep every size product far from
// overflow, and against the shapes of the weights that depend on them.
//
//===----------------------------------------------------------------------===//
#include "bundle_internal.h"
#include "learn_layout.h"
#include "status.h"
#include "yan/limits.h"

#include <cmath>
#include <cstdint>

namespace yan::rt {
namespace {

// yan/limits.h: products of three dimensions stay below 2^62.
constexpr int64_t kMaxDim = YAN_LIMIT_MAX_DIM;
constexpr int64_t kMaxLayers = YAN_LIMIT_MAX_LAYERS;

yan_status_t badConfig(const char *field, long long value, const char *rule) {
  return makeStatus(YAN_STATUS_BAD_CONFIG, "bundle config: %s = %lld, %s", field,
                    value, rule);
}

bool shapeIs(const flatbuffers::Vector<int64_t> *shape, int64_t a) {
  return shape && shape->size() == 1 && shape->Get(0) == a;
}
bool shapeIs(const flatbuffers::Vector<int64_t> *shape, int64_t a, int64_t b) {
  return shape && shape->size() == 2 && shape->Get(0) == a && shape->Get(1) == b;
}

yan_status_t checkState(const fb::Bundle &root, const fb::ModelConfig &c,
                        uint64_t *stateFloats) {
  const fb::StateLayout *state = root.state();
  if (!state || !state->layers())
    return makeStatus(YAN_STATUS_BAD_CONFIG, "bundle has no state layout");
  uint64_t total = state->state_floats();
  if (state->layers()->size() != static_cast<uint64_t>(c.num_layers()))
    return makeStatus(YAN_STATUS_BAD_CONFIG,
                      "state layout has %u layers, config has num_layers = %lld",
                      state->layers()->size(), static_cast<long long>(c.num_layers()));
  uint64_t d = static_cast<uint64_t>(c.hidden_size());
  uint64_t k1 = static_cast<uint64_t>(c.slope_window() - 1);
  // Ranges must be ascending and disjoint (the writer emits them in layer
  // order), which makes the overlap check linear and allocation-free.
  uint64_t end = 0;
  for (uint32_t l = 0; l < state->layers()->size(); ++l) {
    const fb::LayerState *layer = state->layers()->Get(l);
    if (!shapeIs(layer->h_shape(), c.hidden_size()) ||
        !shapeIs(layer->u_hist_shape(), c.slope_window() - 1, c.hidden_size()))
      return makeStatus(YAN_STATUS_BAD_CONFIG,
                        "state layout of layer %u: h must be [D] and u_hist [K-1, D]", l);
    if (layer->h_offset() < end || layer->h_offset() > total ||
        d > total - layer->h_offset() || layer->u_hist_offset() < layer->h_offset() + d ||
        layer->u_hist_offset() > total || k1 * d > total - layer->u_hist_offset())
      return makeStatus(YAN_STATUS_BAD_CONFIG,
                        "state layout of layer %u: ranges overlap or exceed "
                        "state_floats = %llu", l, static_cast<unsigned long long>(total));
    end = layer->u_hist_offset() + k1 * d;
  }
  // Exactly the layers' ranges: no slack for a hostile value to inflate the
  // session allocation with.
  if (total == 0 || total != end || total > (uint64_t(1) << 40))
    return makeStatus(YAN_STATUS_BAD_CONFIG,
                      "state_floats = %llu, the layers' ranges end at %llu",
                      static_cast<unsigned long long>(total),
                      static_cast<unsigned long long>(end));
  *stateFloats = total;
  return nullptr;
}

} // namespace

yan_status_t checkConfig(const fb::Bundle &root, uint64_t *stateFloats) {
  const fb::ModelConfig *c = root.config();
  if (!c)
    return makeStatus(YAN_STATUS_BAD_CONFIG, "bundle has no model config");
  struct Dim {
    const char *name;
    int64_t value, max;
  } dims[] = {
      {"vocab_size", c->vocab_size(), YAN_LIMIT_MAX_VOCAB}, // token ids are int32
      {"hidden_size", c->hidden_size(), kMaxDim},
      {"num_layers", c->num_layers(), kMaxLayers},
      {"num_channels", c->num_channels(), kMaxDim},
      {"slope_window", c->slope_window(), YAN_LIMIT_MAX_SLOPE_WINDOW},
      {"num_partitions", c->num_partitions(), kMaxDim},
      {"active_partitions", c->active_partitions(), kMaxDim},
      {"partition_size", c->partition_size(), kMaxDim},
  };
  for (const Dim &dim : dims)
    if (dim.value < 1 || dim.value > dim.max)
      return makeStatus(YAN_STATUS_BAD_CONFIG,
                        "bundle config: %s = %lld, must be in [1, %lld]", dim.name,
                        static_cast<long long>(dim.value), static_cast<long long>(dim.max));
  if (c->hidden_size() % c->num_channels() != 0)
    return badConfig("hidden_size", c->hidden_size(),
                     "must be a multiple of num_channels");
  if (c->active_partitions() > c->num_partitions())
    return badConfig("active_partitions", c->active_partitions(),
                     "must not exceed num_partitions");
  if (!(c->norm_eps() > 0.0f) || !std::isfinite(c->norm_eps()))
    return makeStatus(YAN_STATUS_BAD_CONFIG, "bundle config: norm_eps = %g, must be > 0",
                      static_cast<double>(c->norm_eps()));
  uint32_t channels = static_cast<uint32_t>(c->num_channels());
  if (!c->decays() || c->decays()->size() != channels || !c->slopes() ||
      c->slopes()->size() != channels)
    return makeStatus(YAN_STATUS_BAD_CONFIG,
                      "bundle config: decays and slopes need num_channels = %u values each",
                      channels);
  for (uint32_t i = 0; i < channels; ++i) {
    float decay = c->decays()->Get(i), slope = c->slopes()->Get(i);
    if (!(decay > 0.0f && decay < 1.0f))
      return makeStatus(YAN_STATUS_BAD_CONFIG,
                        "bundle config: decays[%u] = %g, must be in (0, 1)", i,
                        static_cast<double>(decay));
    // In float, as the compiler computes it (ModelConfig, the verifier).
    if (!(slope >= 0.0f) || !std::isfinite(slope) ||
        !(1.0f - static_cast<float>(c->slope_window() - 1) * slope > 0.0f))
      return makeStatus(YAN_STATUS_BAD_CONFIG,
                        "bundle config: slopes[%u] = %g, must be >= 0 with "
                        "1 - (K-1)*slope > 0", i, static_cast<double>(slope));
  }
  return checkState(root, *c, stateFloats);
}

yan_status_t checkModelWeights(const fb::Bundle &root) {
  // The embedding and the vocabulary projection are [V, D]: V bounds the
  // token ids the runtime accepts, so a damaged vocab_size must not outgrow
  // the embedding's real rows (the code image's plan is checked too, but
  // only when code is loaded: yan-dump loads none).
  const fb::ModelConfig &c = *root.config();
  for (const char *name : {"embed.weight", "lm_head.weight"}) {
    const fb::Weight *w = findWeight(root, name);
    if (!w)
      return makeStatus(YAN_STATUS_BAD_LAYOUT, "the weight table has no '%s'", name);
    if (!shapeIs(w->shape(), c.vocab_size(), c.hidden_size()))
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "weight '%s' is not [vocab_size, hidden_size] = [%lld, %lld]",
                        name, static_cast<long long>(c.vocab_size()),
                        static_cast<long long>(c.hidden_size()));
  }
  return nullptr;
}

} // namespace yan::rt
