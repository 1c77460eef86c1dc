//===- ModelCost.h - What a bundle costs per token and per target ---------===//
//
// From the bundle's table of contents alone (no code loaded), so yan-dump
// can draw bundles for any target: FLOPs per token (the compiler's count,
// recorded in the bundle: yan_bundle_flops_per_token), weight bytes mapped
// and read, arithmetic intensity of decode and prefill, and per code image
// the memory a session takes. yan-bench turns tokens/s into FLOP/s with the
// same count.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TOOLS_COMMON_MODEL_COST_H
#define YAN_TOOLS_COMMON_MODEL_COST_H

#include "yan/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace yan::tools {

struct TargetCost {
  std::string triple, cpu;
  uint64_t codeBytes = 0;
  uint64_t arenaBytes = 0;   // prefill/decode arena: the larger of the two
  uint64_t learnBytes = 0;   // learn memory of a session's first learn call
  int64_t prefillChunk = 0;  // prefill entry max_tokens
  double prefillIntensity = 0; // FLOP per weight byte, a chunk reading each weight once
  bool thisHost = false;     // the image this host's runtime would load
};

struct ModelCost {
  double flopsPerToken = 0;      // 2 x multiply-adds of the matrix products
  double learnFlopsPerToken = 0; // the learn entry's, per predicted position
  double learnFlopsPerRoutedPair = 0; // weight gradients, per routed pair of a step
  uint64_t weightBytesMapped = 0;   // the weight segment
  uint64_t weightBytesPerToken = 0; // read by one decode token (routed partitions)
  uint64_t stateBytes = 0;
  double decodeIntensity = 0;    // FLOP per weight byte read
  std::vector<TargetCost> targets;
};

ModelCost modelCost(const yan_bundle_t *bundle);

} // namespace yan::tools

#endif
