//===- ModelCost.cpp - What a bundle costs per token and per target -------===//
#include "ModelCost.h"
#include "yan/executable_abi.h"

#include <algorithm>
#include <cstring>

namespace yan::tools {

namespace {

/// Matrix-product FLOPs of one token through `w`: a dense [out, in] weight
/// costs 2*out*in, a partitioned one 2*(elements/P)*k (the routed k of P);
/// the embedding is a row lookup and norms are elementwise (left out, as
/// the MCSD mixer's elementwise work is: small next to the products).
double weightFlops(const yan_weight_info_t &w, int64_t active) {
  if (w.rank < 2 || !std::strcmp(w.name, "embed.weight"))
    return 0;
  double elements = 1;
  for (uint32_t d = 0; d < w.rank; ++d)
    elements *= double(w.shape[d]);
  if (w.num_partitions > 1)
    return 2 * elements / double(w.num_partitions) * double(active);
  return 2 * elements;
}

} // namespace

ModelCost modelCost(const yan_bundle_t *bundle) {
  ModelCost cost;
  yan_model_config_t config;
  yan_bundle_config(bundle, &config);
  for (size_t i = 0; i < yan_bundle_weight_count(bundle); ++i) {
    yan_weight_info_t w;
    if (!yan_bundle_weight_info(bundle, i, &w))
      cost.flopsPerToken += weightFlops(w, config.active_partitions);
  }
  for (size_t i = 0; i < yan_bundle_segment_count(bundle); ++i) {
    yan_segment_info_t s;
    if (!yan_bundle_segment_info(bundle, i, &s) && s.kind == YAN_SEGMENT_WEIGHTS)
      cost.weightBytesMapped = s.size;
  }
  cost.weightBytesPerToken = yan_bundle_weight_bytes_per_token(bundle);
  cost.stateBytes = yan_bundle_state_floats(bundle) * 4;
  if (cost.weightBytesPerToken)
    cost.decodeIntensity = cost.flopsPerToken / double(cost.weightBytesPerToken);

  size_t host = yan_bundle_selected_image(bundle);
  for (size_t i = 0; i < yan_bundle_code_image_count(bundle); ++i) {
    yan_code_image_info_t image;
    if (yan_bundle_code_image_info(bundle, i, &image))
      continue;
    TargetCost t;
    t.triple = image.triple;
    t.cpu = image.cpu;
    t.thisHost = i == host;
    yan_segment_info_t segment;
    if (!yan_bundle_segment_info(bundle, image.segment, &segment))
      t.codeBytes = segment.size;
    uint64_t learnArena = 0;
    int64_t learnTokens = 0;
    for (size_t e = 0; e < image.entry_count; ++e) {
      yan_entry_info_t entry;
      if (yan_bundle_code_image_entry(bundle, i, e, &entry))
        continue;
      if (entry.index == YAN_ENTRY_PREFILL || entry.index == YAN_ENTRY_DECODE) // one shared arena
        t.arenaBytes = std::max(t.arenaBytes, entry.arena_bytes);
      if (entry.index == YAN_ENTRY_PREFILL)
        t.prefillChunk = entry.max_tokens;
      if (entry.index == YAN_ENTRY_LEARN)
        learnTokens = entry.max_tokens;
      if (entry.index == YAN_ENTRY_LEARN || entry.index == YAN_ENTRY_LEARN_APPLY)
        learnArena = std::max(learnArena, entry.arena_bytes);
    }
    // As yan_bundle_learn_info: the learn entries' arena + (max_tokens-1) logits rows.
    if (learnTokens > 1)
      t.learnBytes = learnArena + uint64_t(learnTokens - 1) * uint64_t(config.vocab_size) * 4;
    // A prefill chunk reads each weight at most once (grouped by partition).
    if (cost.weightBytesMapped)
      t.prefillIntensity =
          cost.flopsPerToken * double(t.prefillChunk) / double(cost.weightBytesMapped);
    cost.targets.push_back(t);
  }
  return cost;
}

} // namespace yan::tools
