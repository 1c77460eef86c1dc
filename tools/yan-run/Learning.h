//===- Learning.h - yan-run's learning flags ---------------------*- C++ -*-===//
//
// --learn and the flags around it: parsing into yan_learn_options_t, running
// the steps, and the files they can write (report, gradients, partitions).
// Flag meanings and defaults: docs/cli.md.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TOOLS_YANRUN_LEARNING_H
#define YAN_TOOLS_YANRUN_LEARNING_H

#include "yan/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace yan::tools {

/// --learn-text's defaults: what one call needs so that the model completes
/// the sentence's beginning with its end while the rest of the model stays
/// as it was (chosen on models/yan-mini with test/reference/fact_memory.py;
/// docs/learning.md, "Learning from text", has the measurements). Small
/// AdamW steps until the sentence's loss is below the target: a larger rate
/// or a fixed step count cost the held-out text more for the same recall.
/// Flags given explicitly override them.
struct TextLearnDefaults {
  static constexpr uint32_t kOptimizer = YAN_LEARN_ADAMW;
  static constexpr double kLr = 1.5e-4;
  static constexpr uint32_t kSteps = 100;      // at most
  static constexpr double kTargetLoss = 0.25;  // mean cross-entropy of the sentence
};

struct LearnFlags {
  std::vector<int32_t> sample; // --learn, or --learn-text's ids
  bool learn = false;
  const char *learnText = nullptr; // --learn-text SENTENCE
  double targetLoss = 0.0;          // --target-loss X (0: run every step)
  bool targetLossGiven = false;
  yan_learn_options_t options{};
  bool optimizerGiven = false;
  std::vector<std::string> optimizerOnly; // flags only one optimizer takes, as given
  const char *saveDelta = nullptr;
  const char *signKey = nullptr;        // --sign-key KEY: --save-delta signed
  const char *report = nullptr;         // --learn-report FILE.json
  const char *dumpGradients = nullptr;  // --dump-gradients PREFIX
  const char *dumpPartitions = nullptr; // --dump-partitions FILE
};

/// Consumes argv[i] (and its value) when it is a learning flag. Returns 0
/// when it was not one, 1 when consumed, 2 after a usage error (printed
/// through `usage`).
int parseLearnFlag(int argc, char **argv, int &i, LearnFlags *flags,
                   int (*usage)(const char *message));

/// Cross-flag checks once everything is parsed (0 or a usage exit code).
int checkLearnFlags(const LearnFlags &flags, int (*usage)(const char *message));

/// Runs the learning the flags ask for on `session` (prints loss before /
/// after and partitions touched), then --save-delta and --dump-partitions.
/// Returns the exit code (0, or 1 after printing the error).
/// --learn-text's sentence becomes the sample (its ids) learned from the
/// state after an end-of-document (a document begins), so the loss is the
/// sentence's own; `bundlePath` names the bundle in errors.
int runLearning(yan_bundle_t *bundle, yan_session_t *session, const char *bundlePath,
                const LearnFlags &flags);

} // namespace yan::tools

#endif // YAN_TOOLS_YANRUN_LEARNING_H
