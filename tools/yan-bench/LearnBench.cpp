//===- LearnBench.cpp - yan-bench --learn ---------------------------------===//
#include "LearnBench.h"

#include "ToolSupport.h"

#include <cstdio>
#include <cstring>
#include <vector>

namespace yan::tools {
namespace {

// "VmRSS:  1234 kB" style fields of /proc/self/status, in bytes; -1 if absent.
int64_t statusBytes(const char *field) {
  FILE *in = std::fopen("/proc/self/status", "r");
  if (!in)
    return -1;
  char line[256];
  int64_t bytes = -1;
  size_t length = std::strlen(field);
  while (std::fgets(line, sizeof line, in))
    if (std::strncmp(line, field, length) == 0 && line[length] == ':') {
      long long kib = 0;
      if (std::sscanf(line + length + 1, "%lld", &kib) == 1)
        bytes = kib * 1024;
      break;
    }
  std::fclose(in);
  return bytes;
}

// Resets VmHWM to the current RSS (Linux >= 4.0).
bool resetPeakRss() {
  FILE *out = std::fopen("/proc/self/clear_refs", "w");
  if (!out)
    return false;
  bool ok = std::fputs("5", out) >= 0;
  return std::fclose(out) == 0 && ok;
}

// The fastest of 3 runs of fn; onFastest() right after each run that is the
// fastest so far.
template <typename Fn, typename OnFastest>
yan_status_t bestOf3(double *best, Fn fn, OnFastest onFastest) {
  *best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    double start = nowSeconds();
    if (yan_status_t status = fn())
      return status;
    double seconds = nowSeconds() - start;
    if (pass == 0 || seconds < *best) {
      *best = seconds;
      onFastest();
    }
  }
  return nullptr;
}

template <typename Fn> yan_status_t bestOf3(double *best, Fn fn) {
  return bestOf3(best, fn, [] {});
}

} // namespace

yan_status_t benchLearn(yan_session_t *session, int64_t vocab, long long tokens,
                        bool measureMemory, LearnBenchResult *out) {
  LearnBenchResult r;
  r.tokens = tokens;
  // A deterministic sample (not the prefill benchmark's prompt).
  std::vector<int32_t> sample(static_cast<size_t>(tokens));
  uint64_t x = 0x2545F4914F6CDD1Dull;
  for (int32_t &t : sample) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    t = static_cast<int32_t>(x % static_cast<uint64_t>(vocab));
  }
  size_t inputs = sample.size() - 1;
  std::vector<float> logits(inputs * static_cast<size_t>(vocab));
  auto forward = [&]() -> yan_status_t {
    yan_session_reset(session);
    return yan_session_prefill(session, sample.data(), inputs, logits.data());
  };
  yan_learn_options_t options{}; // SGD, lr 1e-2, one step, m = the bundle's M
  options.flags = YAN_LEARN_FLAG_NO_LOSS_AFTER;
  yan_learn_result_t result;
  // From a fresh state, like the forward pass.
  auto step = [&]() -> yan_status_t {
    yan_session_reset(session);
    return yan_session_learn(session, sample.data(), sample.size(), &options, &result);
  };

  if (yan_status_t status = forward())
    return status;
  if (measureMemory) {
    r.baselineRssBytes = statusBytes("VmRSS");
    if (!resetPeakRss())
      r.baselineRssBytes = -1;
  }
  double start = nowSeconds();
  if (yan_status_t status = step())
    return status;
  r.firstStepSeconds = nowSeconds() - start;
  if (r.baselineRssBytes >= 0)
    r.peakRssBytes = statusBytes("VmHWM");

  if (yan_status_t status = bestOf3(&r.forwardSeconds, forward))
    return status;
  float loss = 0;
  if (yan_status_t status = bestOf3(&r.forwardLossSeconds, [&] {
        return yan_session_learn_loss(session, sample.data(), sample.size(), &loss);
      }))
    return status;
  // Each SGD step changes the weights, and so perhaps the next step's
  // routing: the pairs are the timed step's own.
  if (yan_status_t status =
          bestOf3(&r.stepSeconds, step, [&] { r.routedPairs = result.routed_pairs; }))
    return status;
  r.measured = true;
  *out = r;
  return nullptr;
}

} // namespace yan::tools
