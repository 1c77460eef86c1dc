//===- Sampling.h - Picking the next token from a row of logits --*- C++ -*-===//
#ifndef YAN_TOOLS_YANRUN_SAMPLING_H
#define YAN_TOOLS_YANRUN_SAMPLING_H

#include <cstdint>
#include <vector>

namespace yan::tools {

/// Argmax, ties to the lowest id; NaN never wins.
int32_t greedyToken(const float *row, int64_t vocab);

/// The generation flags --max-tokens, --temperature, --top-k, --seed.
struct SamplingFlags {
  long long maxTokens = 16;
  double temperature = 0.0; // 0 = greedy
  long long topK = 0;       // 0 = whole vocabulary
  unsigned long long seed = 0;
};

/// Greedy at temperature 0; else softmax(logits / T) over the top-k ids,
/// drawn with a seeded splitmix64 (the same sequence on every platform).
class Sampler {
public:
  Sampler(const SamplingFlags &flags, int64_t vocab);
  int32_t pick(const float *row);

private:
  uint64_t next();
  double temperature_;
  uint64_t state_;
  int64_t vocab_, k_;
  std::vector<int32_t> order_;
  std::vector<double> weights_;
};

} // namespace yan::tools

#endif // YAN_TOOLS_YANRUN_SAMPLING_H
