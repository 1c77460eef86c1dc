//===- LearnBench.h - yan-bench --learn -------------------------*- C++ -*-===//
//
// One learn step against one forward pass on the same sample, and the
// memory the learn step adds (docs/cli.md, yan-bench).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TOOLS_YANBENCH_LEARNBENCH_H
#define YAN_TOOLS_YANBENCH_LEARNBENCH_H

#include "yan/runtime.h"

#include <cstdint>

namespace yan::tools {

struct LearnBenchResult {
  bool measured = false;
  long long tokens = 0;            // the sample: N tokens, N-1 predictions
  double forwardSeconds = 0;       // prefill of the N-1 inputs, fresh state (best of 3)
  double forwardLossSeconds = 0;   // the learn entry's forward + loss (best of 3)
  double firstStepSeconds = 0;     // the session's first learn step
  double stepSeconds = 0;          // a learn step (LEARN + applies, SGD; best of 3)
  uint64_t routedPairs = 0;        // that step's yan_learn_result_t.routed_pairs
  // Process memory around the first learn step (-1: not measured).
  int64_t baselineRssBytes = -1;   // VmRSS after a forward pass
  int64_t peakRssBytes = -1;       // VmHWM over the first learn step
};

/// Measures on `session` (whose state it resets). With `measureMemory`, the
/// session must not have learned yet: its first step is the one measured.
yan_status_t benchLearn(yan_session_t *session, int64_t vocab, long long tokens,
                        bool measureMemory, LearnBenchResult *out);

} // namespace yan::tools

#endif // YAN_TOOLS_YANBENCH_LEARNBENCH_H
