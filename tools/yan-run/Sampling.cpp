//===- Sampling.cpp - Picking the next token from a row of logits ---------===//
#include "Sampling.h"

#include <algorithm>
#include <cmath>

namespace yan::tools {

int32_t greedyToken(const float *row, int64_t vocab) {
  int32_t best = 0;
  for (int64_t v = 1; v < vocab; ++v)
    if (row[v] > row[best] || (std::isnan(row[best]) && !std::isnan(row[v])))
      best = static_cast<int32_t>(v);
  return best;
}

Sampler::Sampler(const SamplingFlags &flags, int64_t vocab)
    : temperature_(flags.temperature), state_(flags.seed), vocab_(vocab),
      k_(flags.topK > 0 && flags.topK < vocab ? flags.topK : vocab),
      order_(static_cast<size_t>(vocab)), weights_(static_cast<size_t>(vocab)) {}

uint64_t Sampler::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

int32_t Sampler::pick(const float *row) {
  if (temperature_ == 0.0)
    return greedyToken(row, vocab_);
  for (int64_t v = 0; v < vocab_; ++v)
    order_[v] = static_cast<int32_t>(v);
  auto better = [row](int32_t a, int32_t b) {
    return row[a] > row[b] || (row[a] == row[b] && a < b);
  };
  std::partial_sort(order_.begin(), order_.begin() + k_, order_.end(), better);
  double top = row[order_[0]], total = 0.0;
  for (int64_t i = 0; i < k_; ++i) {
    weights_[i] = std::exp((row[order_[i]] - top) / temperature_);
    total += weights_[i];
  }
  double r = static_cast<double>(next() >> 11) * 0x1.0p-53 * total;
  for (int64_t i = 0; i < k_; ++i) {
    r -= weights_[i];
    if (r < 0.0)
      return order_[i];
  }
  return order_[k_ - 1];
}

} // namespace yan::tools
