//===- LearnCompiledTest.cpp - Learning on a bundle yanc compiled ---------===//
//
// The learning contract on real generated code (the tiny model of the ctest
// fixture `compiled-tiny-bundle`, and the same with f16 and with int4
// weights, path in YAN_TEST_BUNDLE): every weight byte outside the trained
// partitions is bit-identical to the file after any number of SGD and AdamW
// steps (f16, int4: every byte, q's and scales included; trained partitions
// live in f32 copies), a step rolled back
// leaves no copy behind and restores trained partitions exactly, no layer trains more than m partitions
// in a step, a step on a NaN state is rejected and changes nothing, a saved
// delta reproduces the learned state exactly (training on continues the
// same), thread count changes no bit, and inference sees what was learned.
// Numerics against PyTorch are test/e2e's job. Skipped for bundles compiled
// with --learn=off.
//
//===----------------------------------------------------------------------===//
#include "DeltaSupport.h"
#include "yan/runtime.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace yan::test;

namespace {

struct BundleDeleter {
  void operator()(yan_bundle_t *b) const { yan_bundle_release(b); }
};
struct SessionDeleter {
  void operator()(yan_session_t *s) const { yan_session_destroy(s); }
};
using BundlePtr = std::unique_ptr<yan_bundle_t, BundleDeleter>;
using SessionPtr = std::unique_ptr<yan_session_t, SessionDeleter>;

std::string message(yan_status_t status) {
  std::string text = status ? std::string(yan_status_code_name(yan_status_code(status))) + ": " +
                                  yan_status_message(status)
                            : "OK";
  yan_status_free(status);
  return text;
}

const char *bundlePath() {
  const char *path = std::getenv("YAN_TEST_BUNDLE");
  EXPECT_NE(path, nullptr) << "YAN_TEST_BUNDLE must name a compiled bundle";
  return path;
}

BundlePtr open(const char *delta = nullptr) {
  yan_bundle_open_options_t options{};
  options.delta_path = delta;
  yan_bundle_t *raw = nullptr;
  EXPECT_EQ(message(yan_bundle_open_file(bundlePath(), &options, yan_allocator_system(), &raw)),
            "OK");
  return BundlePtr(raw);
}

SessionPtr session(yan_bundle_t *bundle, uint32_t threads = 1) {
  yan_session_options_t options{threads};
  yan_session_t *raw = nullptr;
  EXPECT_EQ(message(yan_session_create_with_options(bundle, nullptr, &options, &raw)), "OK");
  return SessionPtr(raw);
}

#define SKIP_WITHOUT_LEARNING(bundle)                                                   \
  do {                                                                                  \
    yan_bundle_learn_info_t info_;                                                      \
    yan_bundle_learn_info(bundle, &info_);                                              \
    if (!info_.has_learn)                                                               \
      GTEST_SKIP() << "the bundle has no learn entries (compiled with --learn=off)";    \
  } while (0)

// A deterministic sample of `n` tokens.
std::vector<int32_t> sample(size_t n, uint32_t seed, int64_t vocab) {
  std::vector<int32_t> tokens(n);
  uint32_t x = seed * 747796405u + 2891336453u;
  for (int32_t &t : tokens) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    t = static_cast<int32_t>(x % static_cast<uint32_t>(vocab));
  }
  return tokens;
}

const std::vector<uint8_t> &fileSegment() {
  static const std::vector<uint8_t> segment = weightSegment(open().get());
  return segment;
}

// Records every accepted step's choice.
struct Choices {
  int64_t m = 0;
  std::set<std::pair<int64_t, int64_t>> all;
  int steps = 0;
  bool withinM = true;
  static void record(void *user, const yan_learn_step_t *step) {
    auto *c = static_cast<Choices *>(user);
    ++c->steps;
    for (int64_t l = 0; l < step->num_layers; ++l) {
      int64_t used = 0;
      for (int64_t j = 0; j < step->slots_per_layer; ++j) {
        int32_t p = step->chosen[l * step->slots_per_layer + j];
        if (p >= 0) {
          ++used;
          c->all.insert({l, p});
        }
      }
      c->withinM &= used <= c->m;
    }
  }
};

// Every byte outside `trained` equals the file's (f16/bf16 weights: every
// byte, the trained partitions have f32 copies); the bundle's learn state
// lists exactly `trained`.
void expectOnlyTrainedChanged(const yan_bundle_t *bundle,
                              const std::set<std::pair<int64_t, int64_t>> &trained) {
  DeltaModel m = DeltaModel::of(bundle);
  bool inPlace = m.dtype == YAN_DTYPE_F32;
  std::vector<uint8_t> expected = fileSegment(), actual = weightSegment(bundle);
  ASSERT_EQ(actual.size(), expected.size());
  for (auto [l, p] : inPlace ? trained : std::set<std::pair<int64_t, int64_t>>{})
    for (int t = 0; t < 3; ++t) {
      size_t at = m.offsets[l * 3 + t] + p * m.strides[l * 3 + t];
      std::memcpy(&expected[at], &actual[at], m.tensorBytes);
    }
  size_t differing = 0;
  for (size_t i = 0; i < actual.size(); ++i)
    differing += actual[i] != expected[i];
  EXPECT_EQ(differing, 0u) << "bytes outside the trained partitions changed";
  for (int64_t l = 0; l < m.layers; ++l)
    for (int64_t p = 0; p < m.partitions; ++p) {
      yan_partition_learn_state_t s;
      ASSERT_EQ(message(yan_bundle_partition_learn_state(bundle, l, p, &s)), "OK");
      EXPECT_EQ(s.steps > 0, trained.count({l, p}) == 1) << "layer " << l << " partition " << p;
      EXPECT_EQ(s.weights_f32 != nullptr, !inPlace && s.steps > 0)
          << "layer " << l << " partition " << p;
    }
}

TEST(LearnCompiled, OnlyChosenPartitionsChange) {
  for (yan_learn_optimizer_t optimizer : {YAN_LEARN_SGD, YAN_LEARN_ADAMW}) {
    BundlePtr bundle = open();
    SKIP_WITHOUT_LEARNING(bundle.get());
    yan_model_config_t config;
    yan_bundle_config(bundle.get(), &config);
    yan_bundle_learn_info_t info;
    yan_bundle_learn_info(bundle.get(), &info);
    SessionPtr s = session(bundle.get());
    Choices choices;
    for (uint32_t m : {uint32_t(info.learn_partitions), 1u}) {
      choices.m = m;
      for (uint32_t seed = 0; seed < 3; ++seed) {
        yan_learn_options_t options{};
        options.optimizer = optimizer;
        options.steps = 2;
        options.learn_partitions = m;
        if (optimizer == YAN_LEARN_SGD) {
          options.set = YAN_LEARN_SET_MOMENTUM | YAN_LEARN_SET_MAX_NORM;
          options.momentum = 0.9;
          options.max_norm = 1.0;
        }
        options.on_step = Choices::record;
        options.on_step_user = &choices;
        std::vector<int32_t> tokens = sample(16 + 8 * seed, seed, config.vocab_size);
        yan_learn_result_t result;
        ASSERT_EQ(message(yan_session_learn(s.get(), tokens.data(), tokens.size(), &options,
                                            &result)), "OK");
        EXPECT_EQ(result.steps, 2u);
        EXPECT_TRUE(std::isfinite(result.loss_before) && std::isfinite(result.loss_after));
        EXPECT_LE(result.partitions_touched, 2 * m * config.num_layers);
      }
    }
    EXPECT_EQ(choices.steps, 12);
    EXPECT_TRUE(choices.withinM) << "a layer trained more than m partitions in a step";
    expectOnlyTrainedChanged(bundle.get(), choices.all);
  }
}

// routed_pairs (executable ABI 9): for each chosen partition, the positions
// routed to it, which a prefill of the same inputs counts on its own
// (yan_session_stats); a call's result sums its steps'.
TEST(LearnCompiled, RoutedPairsArePositionsRoutedToTheChosenPartitions) {
  BundlePtr bundle = open();
  SKIP_WITHOUT_LEARNING(bundle.get());
  yan_model_config_t config;
  yan_bundle_config(bundle.get(), &config);
  yan_bundle_learn_info_t info;
  yan_bundle_learn_info(bundle.get(), &info);
  const int64_t L = config.num_layers, P = config.num_partitions, M = info.learn_partitions;
  EXPECT_EQ(yan_bundle_learn_flops_per_routed_pair(bundle.get()),
            uint64_t(6 * config.hidden_size * config.partition_size));
  for (uint32_t m : {uint32_t(M), 1u})
    for (uint32_t seed = 0; seed < 3; ++seed) {
      std::vector<int32_t> tokens = sample(16 + 8 * seed, seed, config.vocab_size);
      size_t inputs = tokens.size() - 1;
      SessionPtr routing = session(bundle.get());
      std::vector<float> logits(inputs * size_t(config.vocab_size));
      ASSERT_EQ(message(yan_session_prefill(routing.get(), tokens.data(), inputs, logits.data())),
                "OK");
      yan_session_stats_t stats;
      yan_session_stats(routing.get(), &stats);
      SessionPtr s = session(bundle.get());
      yan_learn_step_t step;
      ASSERT_EQ(message(yan_session_learn_gradients(s.get(), tokens.data(), tokens.size(), m,
                                                    &step)), "OK");
      uint64_t expected = 0;
      for (int64_t l = 0; l < L; ++l)
        for (int64_t j = 0; j < M; ++j)
          if (int32_t p = step.chosen[l * M + j]; p >= 0)
            expected += stats.partition_tokens[l * P + p];
      EXPECT_EQ(step.routed_pairs, expected) << "m " << m << " seed " << seed;
      EXPECT_GE(step.routed_pairs, uint64_t(L)) << "every layer trains a routed partition";
      EXPECT_LE(step.routed_pairs, inputs * uint64_t(config.active_partitions * L));
    }
  // Two steps: the result's pairs are the steps' sum.
  struct Pairs {
    uint64_t sum = 0;
    static void record(void *user, const yan_learn_step_t *step) {
      static_cast<Pairs *>(user)->sum += step->routed_pairs;
    }
  } pairs;
  SessionPtr s = session(bundle.get());
  yan_learn_options_t options{};
  options.steps = 2;
  options.on_step = Pairs::record;
  options.on_step_user = &pairs;
  std::vector<int32_t> tokens = sample(24, 7, config.vocab_size);
  yan_learn_result_t result;
  ASSERT_EQ(message(yan_session_learn(s.get(), tokens.data(), tokens.size(), &options, &result)),
            "OK");
  EXPECT_EQ(result.steps, 2u);
  EXPECT_GT(pairs.sum, 0u);
  EXPECT_EQ(result.routed_pairs, pairs.sum);
}

TEST(LearnCompiled, NonFiniteStepChangesNothing) {
  BundlePtr bundle = open();
  SKIP_WITHOUT_LEARNING(bundle.get());
  yan_model_config_t config;
  yan_bundle_config(bundle.get(), &config);
  SessionPtr s = session(bundle.get());
  std::vector<int32_t> tokens = sample(24, 7, config.vocab_size);
  yan_learn_options_t adamw{};
  adamw.optimizer = YAN_LEARN_ADAMW;
  yan_learn_result_t result;
  ASSERT_EQ(message(yan_session_learn(s.get(), tokens.data(), tokens.size(), &adamw, &result)),
            "OK");
  std::vector<uint8_t> weights = learnedWeights(bundle.get());
  yan_bundle_learn_info_t before;
  yan_bundle_learn_info(bundle.get(), &before);

  std::vector<uint8_t> blob(yan_session_state_size(s.get()));
  ASSERT_EQ(message(yan_session_get_state(s.get(), blob.data(), blob.size())), "OK");
  for (size_t i = 32; i < blob.size(); i += 4) {
    float nan = NAN;
    std::memcpy(&blob[i], &nan, 4);
  }
  ASSERT_EQ(message(yan_session_set_state(s.get(), blob.data(), blob.size())), "OK");
  std::vector<int32_t> other = sample(24, 8, config.vocab_size);
  yan_status_t status = yan_session_learn(s.get(), other.data(), other.size(), &adamw, &result);
  EXPECT_EQ(yan_status_code(status), YAN_STATUS_NON_FINITE);
  std::string text = message(status);
  EXPECT_NE(text.find("step 1 rejected: non-finite loss or gradient"), std::string::npos) << text;
  EXPECT_EQ(learnedWeights(bundle.get()), weights);
  yan_bundle_learn_info_t after;
  yan_bundle_learn_info(bundle.get(), &after);
  EXPECT_EQ(after.trained_partitions, before.trained_partitions);
  EXPECT_EQ(after.optimizer_state_bytes, before.optimizer_state_bytes);
  EXPECT_EQ(after.partition_copy_bytes, before.partition_copy_bytes);
}

TEST(LearnCompiled, RolledBackStepLeavesNothingBehind) {
  // An SGD step with lr 1e20 makes the loss after it non-finite: the step
  // is rolled back, and a partition it trained for the first time has no
  // optimizer state and (f16/bf16 weights) no f32 copy afterwards.
  BundlePtr bundle = open();
  SKIP_WITHOUT_LEARNING(bundle.get());
  yan_model_config_t config;
  yan_bundle_config(bundle.get(), &config);
  SessionPtr s = session(bundle.get());
  std::vector<int32_t> tokens = sample(24, 9, config.vocab_size);
  std::vector<uint8_t> fresh = learnedWeights(bundle.get());
  yan_learn_options_t sgd{};
  sgd.set = YAN_LEARN_SET_LR | YAN_LEARN_SET_MOMENTUM;
  sgd.lr = 1e20;
  sgd.momentum = 0.5;
  yan_learn_result_t result;
  yan_status_t status = yan_session_learn(s.get(), tokens.data(), tokens.size(), &sgd, &result);
  EXPECT_EQ(yan_status_code(status), YAN_STATUS_NON_FINITE);
  std::string text = message(status);
  EXPECT_NE(text.find("rolled back"), std::string::npos) << text;
  EXPECT_EQ(learnedWeights(bundle.get()), fresh);
  yan_bundle_learn_info_t info;
  yan_bundle_learn_info(bundle.get(), &info);
  EXPECT_EQ(info.trained_partitions, 0u);
  EXPECT_EQ(info.optimizer_state_bytes, 0u);
  EXPECT_EQ(info.partition_copy_bytes, 0u);
  // Learning goes on from the base weights: the same as on a fresh bundle.
  yan_learn_options_t adamw{};
  adamw.optimizer = YAN_LEARN_ADAMW;
  ASSERT_EQ(message(yan_session_learn(s.get(), tokens.data(), tokens.size(), &adamw, &result)),
            "OK");
  BundlePtr other = open();
  SessionPtr o = session(other.get());
  yan_learn_result_t expected;
  ASSERT_EQ(message(yan_session_learn(o.get(), tokens.data(), tokens.size(), &adamw,
                                      &expected)), "OK");
  EXPECT_EQ(result.loss_after, expected.loss_after);
  EXPECT_EQ(learnedWeights(bundle.get()), learnedWeights(other.get()));
}

TEST(LearnCompiled, NonFiniteUpdateIsRolledBack) {
  // lr 1e300 rounds to an infinite f32 step size: every update rule's
  // LEARN_APPLY stores non-finite weights and clears the header's
  // apply_finite flag, so the step is rolled back before any loss is
  // evaluated, and the weights and learn state are as before.
  BundlePtr bundle = open();
  SKIP_WITHOUT_LEARNING(bundle.get());
  yan_model_config_t config;
  yan_bundle_config(bundle.get(), &config);
  SessionPtr s = session(bundle.get(), 2);
  std::vector<int32_t> tokens = sample(24, 5, config.vocab_size);
  std::vector<uint8_t> fresh = learnedWeights(bundle.get());
  yan_learn_options_t sgd{}, momentum{}, adamw{};
  sgd.set = YAN_LEARN_SET_LR;
  momentum.set = YAN_LEARN_SET_LR | YAN_LEARN_SET_MOMENTUM;
  momentum.momentum = 0.9;
  adamw.set = YAN_LEARN_SET_LR;
  adamw.optimizer = YAN_LEARN_ADAMW;
  for (yan_learn_options_t *options : {&sgd, &momentum, &adamw}) {
    options->lr = 1e300;
    yan_learn_result_t result;
    yan_status_t status =
        yan_session_learn(s.get(), tokens.data(), tokens.size(), options, &result);
    EXPECT_EQ(yan_status_code(status), YAN_STATUS_NON_FINITE);
    std::string text = message(status);
    EXPECT_NE(text.find("step 1 produced non-finite weights or optimizer state"),
              std::string::npos) << text;
    EXPECT_NE(text.find("rolled back"), std::string::npos) << text;
    EXPECT_EQ(learnedWeights(bundle.get()), fresh);
    yan_bundle_learn_info_t info;
    yan_bundle_learn_info(bundle.get(), &info);
    EXPECT_EQ(info.trained_partitions, 0u);
  }
}

TEST(LearnCompiled, RollbackRestoresTrainedPartitionsExactly) {
  // Partitions trained before come back bit for bit, weights and optimizer
  // state, from the copy LEARN_APPLY wrote as it replaced them (executable
  // ABI 8): after a rolled-back AdamW or momentum step, training goes on
  // exactly as on a bundle that never saw that step.
  BundlePtr probe = open();
  SKIP_WITHOUT_LEARNING(probe.get());
  yan_model_config_t config;
  yan_bundle_config(probe.get(), &config);
  std::vector<int32_t> tokens = sample(24, 7, config.vocab_size);
  yan_learn_options_t adamw{}, momentum{};
  adamw.optimizer = YAN_LEARN_ADAMW;
  momentum.set = YAN_LEARN_SET_MOMENTUM;
  momentum.momentum = 0.9;
  for (const yan_learn_options_t *good : {&adamw, &momentum}) {
    BundlePtr bundle = open(), other = open();
    SessionPtr s = session(bundle.get(), 2), o = session(other.get(), 2);
    yan_learn_result_t result, expected;
    ASSERT_EQ(message(yan_session_learn(s.get(), tokens.data(), tokens.size(), good, &result)),
              "OK");
    ASSERT_EQ(message(yan_session_learn(o.get(), tokens.data(), tokens.size(), good, &expected)),
              "OK");
    std::vector<uint8_t> trained = learnedWeights(bundle.get());
    yan_learn_options_t diverging = *good;
    diverging.set |= YAN_LEARN_SET_LR;
    diverging.lr = 1e300;
    yan_status_t status =
        yan_session_learn(s.get(), tokens.data(), tokens.size(), &diverging, &result);
    EXPECT_EQ(yan_status_code(status), YAN_STATUS_NON_FINITE);
    EXPECT_NE(message(status).find("rolled back"), std::string::npos);
    EXPECT_EQ(learnedWeights(bundle.get()), trained);
    ASSERT_EQ(message(yan_session_learn(s.get(), tokens.data(), tokens.size(), good, &result)),
              "OK");
    ASSERT_EQ(message(yan_session_learn(o.get(), tokens.data(), tokens.size(), good, &expected)),
              "OK");
    EXPECT_EQ(result.loss_after, expected.loss_after);
    EXPECT_EQ(learnedWeights(bundle.get()), learnedWeights(other.get()));
  }
}

TEST(LearnCompiled, DeltaRoundTripContinuesTraining) {
  BundlePtr trained = open();
  SKIP_WITHOUT_LEARNING(trained.get());
  yan_model_config_t config;
  yan_bundle_config(trained.get(), &config);
  SessionPtr s = session(trained.get());
  std::vector<int32_t> tokens = sample(32, 3, config.vocab_size);
  yan_learn_options_t adamw{};
  adamw.optimizer = YAN_LEARN_ADAMW;
  adamw.set = YAN_LEARN_SET_MAX_NORM;
  adamw.max_norm = 0.5;
  adamw.steps = 3;
  yan_learn_result_t result;
  ASSERT_EQ(message(yan_session_learn(s.get(), tokens.data(), tokens.size(), &adamw, &result)),
            "OK");
  char path[] = "/tmp/yan-learn-compiled-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ASSERT_EQ(message(yan_bundle_save_delta(trained.get(), path)), "OK");
  BundlePtr restored = open(path);
  ASSERT_TRUE(restored);
  EXPECT_EQ(learnedWeights(restored.get()), learnedWeights(trained.get()));
  SessionPtr r = session(restored.get());
  float lossA = 0, lossB = 0;
  ASSERT_EQ(message(yan_session_learn(s.get(), tokens.data(), tokens.size(), &adamw, &result)),
            "OK");
  lossA = result.loss_after;
  ASSERT_EQ(message(yan_session_learn(r.get(), tokens.data(), tokens.size(), &adamw, &result)),
            "OK");
  lossB = result.loss_after;
  EXPECT_EQ(lossA, lossB);
  EXPECT_EQ(learnedWeights(restored.get()), learnedWeights(trained.get()))
      << "training on after save + load differs from training on without";
  DeltaModel m = DeltaModel::of(trained.get());
  for (int64_t l = 0; l < m.layers; ++l)
    for (int64_t p = 0; p < m.partitions; ++p) {
      yan_partition_learn_state_t x, y;
      ASSERT_EQ(message(yan_bundle_partition_learn_state(trained.get(), l, p, &x)), "OK");
      ASSERT_EQ(message(yan_bundle_partition_learn_state(restored.get(), l, p, &y)), "OK");
      EXPECT_EQ(x.steps, y.steps);
      ASSERT_EQ(x.optimizer_state_floats, y.optimizer_state_floats);
      if (x.optimizer_state_floats) {
        EXPECT_EQ(std::memcmp(x.optimizer_state, y.optimizer_state,
                              x.optimizer_state_floats * 4), 0);
      }
    }
  ::unlink(path);
}

TEST(LearnCompiled, ThreadCountChangesNoBit) {
  std::vector<std::vector<uint8_t>> weights;
  std::vector<float> losses;
  for (uint32_t threads : {1u, 3u}) {
    BundlePtr bundle = open();
    SKIP_WITHOUT_LEARNING(bundle.get());
    yan_model_config_t config;
    yan_bundle_config(bundle.get(), &config);
    SessionPtr s = session(bundle.get(), threads);
    std::vector<int32_t> tokens = sample(40, 11, config.vocab_size);
    yan_learn_options_t options{};
    options.optimizer = YAN_LEARN_ADAMW;
    options.steps = 2;
    yan_learn_result_t result;
    ASSERT_EQ(message(yan_session_learn(s.get(), tokens.data(), tokens.size(), &options,
                                        &result)), "OK");
    weights.push_back(learnedWeights(bundle.get()));
    losses.push_back(result.loss_after);
  }
  EXPECT_EQ(weights[0], weights[1]);
  EXPECT_EQ(losses[0], losses[1]);
}

TEST(LearnCompiled, InferenceSeesWhatWasLearned) {
  BundlePtr bundle = open();
  SKIP_WITHOUT_LEARNING(bundle.get());
  yan_model_config_t config;
  yan_bundle_config(bundle.get(), &config);
  SessionPtr learner = session(bundle.get()), reader = session(bundle.get());
  std::vector<int32_t> tokens = sample(32, 5, config.vocab_size);
  std::vector<float> before(tokens.size() * config.vocab_size), after(before.size());
  ASSERT_EQ(message(yan_session_prefill(reader.get(), tokens.data(), tokens.size(),
                                        before.data())), "OK");
  // The gradients accessor agrees with the first step's callback.
  yan_learn_step_t gradients;
  ASSERT_EQ(message(yan_session_learn_gradients(learner.get(), tokens.data(), tokens.size(), 0,
                                                &gradients)), "OK");
  EXPECT_EQ(gradients.finite, 1);
  std::vector<int32_t> chosen(gradients.chosen,
                              gradients.chosen + gradients.num_layers * gradients.slots_per_layer);
  std::vector<float> firstSlot(gradients.gradients, gradients.gradients + gradients.floats_per_slot);
  float firstLoss = gradients.loss;
  struct Seen {
    std::vector<int32_t> chosen;
    std::vector<float> firstSlot;
    float loss = 0;
  } seen;
  yan_learn_options_t options{};
  options.optimizer = YAN_LEARN_ADAMW;
  options.steps = 10;
  options.flags = YAN_LEARN_FLAG_STEP_GRADIENTS;
  options.on_step_user = &seen;
  options.on_step = [](void *user, const yan_learn_step_t *step) {
    auto *seen = static_cast<Seen *>(user);
    if (step->step != 0)
      return;
    seen->chosen.assign(step->chosen, step->chosen + step->num_layers * step->slots_per_layer);
    seen->firstSlot.assign(step->gradients, step->gradients + step->floats_per_slot);
    seen->loss = step->loss;
  };
  yan_learn_result_t result;
  ASSERT_EQ(message(yan_session_learn(learner.get(), tokens.data(), tokens.size(), &options,
                                      &result)), "OK");
  EXPECT_EQ(seen.chosen, chosen);
  EXPECT_EQ(seen.firstSlot, firstSlot);
  EXPECT_EQ(seen.loss, firstLoss);
  EXPECT_EQ(result.loss_before, firstLoss);
  EXPECT_LT(result.loss_after, result.loss_before) << "10 AdamW steps did not lower the loss";
  // Another session of the bundle sees the learned weights (from the same,
  // fresh, start state).
  yan_session_reset(reader.get());
  float loss = 0;
  ASSERT_EQ(message(yan_session_learn_loss(reader.get(), tokens.data(), tokens.size(), &loss)),
            "OK");
  EXPECT_EQ(loss, result.loss_after);
  ASSERT_EQ(message(yan_session_prefill(reader.get(), tokens.data(), tokens.size(),
                                        after.data())), "OK");
  EXPECT_NE(before, after);
}

} // namespace
