//===- ModelCost.cpp - What a bundle costs per token and per target -------===//
#include "ModelCost.h"
#include "yan/executable_abi.h"

#include <algorithm>

namespace yan::tools {

ModelCost modelCost(const yan_bundle_t *bundle) {
  ModelCost cost;
  yan_model_config_t config;
  yan_bundle_config(bundle, &config);
  // The compiler's count (yanc --report), recorded in the bundle.
  cost.flopsPerToken = double(yan_bundle_flops_per_token(bundle));
  cost.learnFlopsPerToken = double(yan_bundle_learn_flops_per_token(bundle));
  cost.learnFlopsPerRoutedPair = double(yan_bundle_learn_flops_per_routed_pair(bundle));
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
