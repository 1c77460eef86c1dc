//===- LearnFixtureTest.cpp - The learning API on the fixture image --------===//
//
// The runtime's side of learning, on the FAKE learn entries of
// fixture/fixture_image.c (a toy objective, 0.5 * mean w^2 over the FFN
// weights, whose gradient is w): argument and option checks, the step
// protocol (chosen partitions, step counts, optimizer state, rejected
// steps), copy-on-write (the file and a memory bundle's bytes never
// change; bytes outside trained partitions stay bit-identical), deltas
// reproducing a learned state exactly, lazy learn memory. The same
// properties on real generated code: LearnCompiledTest.cpp.
//
//===----------------------------------------------------------------------===//
#include "DeltaSupport.h"
#include "Fixture.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

using namespace yan::test;

namespace {

const std::string &learnBundlePath() {
  static const std::string path = [] {
    std::string p = temporaryPath(".yanb");
    writeFileBytes(p, bundleBytes(learnFixtureBundle(hostFixtureImage()).contents));
    return p;
  }();
  return path;
}

BundlePtr openLearn() {
  BundlePtr bundle;
  Status status = openFile(learnBundlePath(), bundle);
  EXPECT_TRUE(status.ok()) << status.text();
  return bundle;
}

SessionPtr session(yan_bundle_t *bundle, uint32_t threads = 1,
                   const yan_allocator_t *allocator = nullptr) {
  yan_session_options_t options{threads};
  yan_session_t *raw = nullptr;
  Status status = yan_session_create_with_options(bundle, allocator, &options, &raw);
  EXPECT_TRUE(status.ok()) << status.text();
  return SessionPtr(raw);
}

Status learn(yan_session_t *s, const std::vector<int32_t> &tokens,
             const yan_learn_options_t *options, yan_learn_result_t *out) {
  yan_learn_result_t ignored;
  return yan_session_learn(s, tokens.data(), tokens.size(), options, out ? out : &ignored);
}

// What fixture_image.c chooses: layer l takes (tokens[1] + l + j) % P.
std::set<int32_t> fixtureChoice(const std::vector<int32_t> &tokens, int64_t layer, int m) {
  std::set<int32_t> chosen;
  for (int j = 0; j < m; ++j)
    chosen.insert(static_cast<int32_t>((tokens[1] + layer + j) % 4));
  return chosen;
}

std::vector<float> asFloats(const std::vector<uint8_t> &bytes) {
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

const std::vector<uint8_t> &fileSegment() {
  static const std::vector<uint8_t> segment = weightSegment(openLearn().get());
  return segment;
}

// Every byte outside the given (layer, partition) pairs equals the file's.
void expectOnlyChanged(const yan_bundle_t *bundle,
                       const std::set<std::pair<int64_t, int64_t>> &trained) {
  DeltaModel m = DeltaModel::of(bundle);
  std::vector<uint8_t> expected = fileSegment();
  std::vector<uint8_t> actual = weightSegment(bundle);
  ASSERT_EQ(actual.size(), expected.size());
  for (auto [l, p] : trained)
    for (int t = 0; t < 3; ++t) {
      size_t at = m.offsets[l * 3 + t] + p * m.strides[l * 3 + t];
      std::memcpy(&expected[at], &actual[at], m.tensorBytes);
    }
  EXPECT_EQ(actual, expected);
}

TEST(LearnFixture, ImageLayoutMatchesTheBundle) {
  BundlePtr bundle = openLearn();
  DeltaModel m = DeltaModel::of(bundle.get());
  for (int64_t l = 0; l < 2; ++l)
    for (int t = 0; t < 3; ++t) {
      EXPECT_EQ(m.offsets[l * 3 + t], fixtureFfnOffset(l, t)) << l << " " << t;
      EXPECT_EQ(m.strides[l * 3 + t], 128u);
    }
  yan_bundle_learn_info_t info;
  yan_bundle_learn_info(bundle.get(), &info);
  EXPECT_EQ(info.has_learn, 1);
  EXPECT_EQ(info.learn_partitions, kFixtureLearnPartitions);
  EXPECT_EQ(info.max_tokens, kFixtureLearnMaxTokens);
  EXPECT_EQ(info.arena_bytes, 2048u + (kFixtureLearnMaxTokens - 1) * kFixtureVocab * 4);
  EXPECT_EQ(info.trained_partitions, 0u);
}

TEST(LearnFixture, RefusesBadSamplesAndOptions) {
  BundlePtr bundle = openLearn();
  SessionPtr s = session(bundle.get());
  std::vector<int32_t> good = {1, 2, 3};
  struct Case {
    std::vector<int32_t> tokens;
    yan_learn_options_t options;
    yan_status_code_t code;
    const char *needle;
  };
  auto with = [](auto edit) {
    yan_learn_options_t o{};
    edit(o);
    return o;
  };
  std::vector<Case> cases = {
      {{1, 16, 2}, {}, YAN_STATUS_OUT_OF_RANGE, "token 16 at position 1"},
      {{1, -1}, {}, YAN_STATUS_OUT_OF_RANGE, "token -1 at position 1"},
      {{1}, {}, YAN_STATUS_INVALID_ARGUMENT, "a sample of 1 tokens; it needs 2 to 8"},
      {std::vector<int32_t>(9, 1), {}, YAN_STATUS_INVALID_ARGUMENT, "it needs 2 to 8"},
      {good, with([](auto &o) { o.optimizer = 7; }),
       YAN_STATUS_INVALID_ARGUMENT, "optimizer 7"},
      {good, with([](auto &o) { o.steps = (1u << 20) + 1; }), YAN_STATUS_INVALID_ARGUMENT,
       "steps"},
      {good, with([](auto &o) { o.learn_partitions = 3; }), YAN_STATUS_INVALID_ARGUMENT,
       "learn_partitions = 3"},
      {good, with([](auto &o) { o.lr = 0.5; }), YAN_STATUS_INVALID_ARGUMENT,
       "lr = 0.5 but its YAN_LEARN_SET_* bit is not set"},
      {good, with([](auto &o) { o.set = YAN_LEARN_SET_LR, o.lr = -1; }),
       YAN_STATUS_INVALID_ARGUMENT, "lr = -1 is outside"},
      {good, with([](auto &o) { o.set = YAN_LEARN_SET_LR, o.lr = NAN; }),
       YAN_STATUS_INVALID_ARGUMENT, "lr = nan"},
      {good, with([](auto &o) { o.set = YAN_LEARN_SET_MAX_NORM, o.max_norm = INFINITY; }),
       YAN_STATUS_INVALID_ARGUMENT, "max_norm = inf"},
      {good, with([](auto &o) { o.set = YAN_LEARN_SET_BETA1, o.beta1 = 0.5; }),
       YAN_STATUS_INVALID_ARGUMENT, "beta1 is not a parameter of SGD"},
      {good, with([](auto &o) {
         o.optimizer = YAN_LEARN_ADAMW, o.set = YAN_LEARN_SET_MOMENTUM, o.momentum = 0.9;
       }),
       YAN_STATUS_INVALID_ARGUMENT, "momentum is not a parameter of AdamW"},
      {good, with([](auto &o) {
         o.optimizer = YAN_LEARN_ADAMW, o.set = YAN_LEARN_SET_BETA2, o.beta2 = 1.0;
       }),
       YAN_STATUS_INVALID_ARGUMENT, "beta2 = 1 is outside [0, 1)"},
      {good, with([](auto &o) { o.set = 1u << 12; }), YAN_STATUS_INVALID_ARGUMENT,
       "unknown bits 0x1000 in `set`"},
      {good, with([](auto &o) { o.flags = 1u << 5; }), YAN_STATUS_INVALID_ARGUMENT,
       "unknown bits 0x20 in `flags`"},
  };
  for (const Case &c : cases) {
    Status status = learn(s.get(), c.tokens, &c.options, nullptr);
    EXPECT_EQ(status.code(), c.code) << c.needle << ": " << status.text();
    EXPECT_NE(status.message().find(c.needle), std::string::npos) << status.text();
  }
  EXPECT_EQ(Status(yan_session_learn(s.get(), nullptr, 2, nullptr, nullptr)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
  yan_learn_result_t result;
  EXPECT_EQ(Status(yan_session_learn(nullptr, good.data(), 3, nullptr, &result)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
  yan_bundle_learn_info_t info;
  yan_bundle_learn_info(bundle.get(), &info);
  EXPECT_EQ(info.trained_partitions, 0u);
  EXPECT_EQ(weightSegment(bundle.get()), fileSegment());
}

TEST(LearnFixture, BundlesWithoutLearningSaySo) {
  // The bundle has no learn table (its image has learn entries, unused).
  BundlePtr plain;
  std::string path = temporaryPath(".yanb");
  writeFileBytes(path, bundleBytes(fixtureBundle(hostFixtureImage()).contents));
  ASSERT_TRUE(openFile(path, plain).ok());
  // An image compiled with --learn=off has NULL learn entries: it loads.
  std::vector<uint8_t> noLearn =
      fixtureFile(std::string("fixture_nolearn_") + yan_arch_name(yan_host_arch()) + ".so");
  AlignedBytes bytes(bundleBytes(fixtureBundle(noLearn).contents));
  BundlePtr off;
  Status status = openMemory(bytes, off);
  ASSERT_TRUE(status.ok()) << status.text();
  for (yan_bundle_t *bundle : {plain.get(), off.get()}) {
    SessionPtr s = session(bundle);
    std::vector<int32_t> tokens = {1, 2, 3};
    status = learn(s.get(), tokens, nullptr, nullptr);
    EXPECT_EQ(status.code(), YAN_STATUS_FAILED_PRECONDITION) << status.text();
    EXPECT_NE(status.message().find("compiled with --learn=off"), std::string::npos);
    float loss;
    EXPECT_EQ(Status(yan_session_learn_loss(s.get(), tokens.data(), 3, &loss)).code(),
              YAN_STATUS_FAILED_PRECONDITION);
    std::vector<float> logits(3 * kFixtureVocab);
    EXPECT_TRUE(Status(yan_session_prefill(s.get(), tokens.data(), 3, logits.data())).ok());
    yan_bundle_learn_info_t info;
    yan_bundle_learn_info(bundle, &info);
    EXPECT_EQ(info.has_learn, 0);
  }
}

TEST(LearnFixture, OneSgdStepFollowsTheProtocol) {
  BundlePtr bundle = openLearn();
  SessionPtr s = session(bundle.get());
  DeltaModel m = DeltaModel::of(bundle.get());
  std::vector<int32_t> tokens = {5, 2, 7, 1};
  std::vector<float> before = asFloats(fileSegment());
  float lossBefore = 0;
  ASSERT_TRUE(Status(yan_session_learn_loss(s.get(), tokens.data(), tokens.size(), &lossBefore)).ok());

  yan_learn_options_t options{};
  options.set = YAN_LEARN_SET_LR;
  options.lr = 0.25;
  yan_learn_result_t result;
  Status status = learn(s.get(), tokens, &options, &result);
  ASSERT_TRUE(status.ok()) << status.text();
  EXPECT_EQ(result.steps, 1u);
  EXPECT_EQ(result.loss_before, lossBefore);
  EXPECT_LT(result.loss_after, result.loss_before);
  EXPECT_EQ(result.partitions_touched, 4u);
  EXPECT_EQ(result.num_layers, 2);
  EXPECT_EQ(result.slots_per_layer, 2);
  std::set<std::pair<int64_t, int64_t>> trained;
  for (int64_t l = 0; l < 2; ++l) {
    std::set<int32_t> expected = fixtureChoice(tokens, l, 2);
    EXPECT_EQ(std::set<int32_t>(result.chosen + l * 2, result.chosen + l * 2 + 2), expected);
    EXPECT_LT(result.chosen[l * 2], result.chosen[l * 2 + 1]);
    for (int32_t p : expected) {
      trained.insert({l, p});
      // w -= lr * g with g = w: exactly the fixture's float arithmetic.
      std::vector<float> now = asFloats(partitionBytes(bundle.get(), m, l, p));
      for (int t = 0; t < 3; ++t)
        for (uint64_t i = 0; i < m.sliceFloats(); ++i) {
          float w = before[(m.offsets[l * 3 + t] + p * m.strides[l * 3 + t]) / 4 + i];
          ASSERT_EQ(now[t * m.sliceFloats() + i], w - 0.25f * w);
        }
      yan_partition_learn_state_t state;
      ASSERT_TRUE(Status(yan_bundle_partition_learn_state(bundle.get(), l, p, &state)).ok());
      EXPECT_EQ(state.steps, 1u);
      EXPECT_EQ(state.optimizer, YAN_LEARN_SGD);
      EXPECT_EQ(state.optimizer_state_floats, 0u); // no momentum: no buffer
    }
  }
  expectOnlyChanged(bundle.get(), trained);
  float lossAfter = 0;
  ASSERT_TRUE(Status(yan_session_learn_loss(s.get(), tokens.data(), tokens.size(), &lossAfter)).ok());
  EXPECT_EQ(lossAfter, result.loss_after);
  // Copy-on-write: the file is untouched; another bundle sees the base.
  EXPECT_EQ(weightSegment(openLearn().get()), fileSegment());
  // Prefill and decode still run (the fixture reads weight 0 only).
  std::vector<float> logits(kFixtureVocab);
  EXPECT_TRUE(Status(yan_session_decode(s.get(), 3, logits.data())).ok());
}

TEST(LearnFixture, AtMostMPartitionsPerLayerAndCallbacks) {
  BundlePtr bundle = openLearn();
  SessionPtr s = session(bundle.get());
  DeltaModel m = DeltaModel::of(bundle.get());
  struct Seen {
    std::vector<std::vector<int32_t>> chosen;
    std::vector<float> gradients; // step 0's first used slot
    const DeltaModel *model;
    const yan_bundle_t *bundle;
    bool gradientsAreWeights = true;
  } seen{{}, {}, &m, bundle.get()};
  yan_learn_options_t options{};
  options.learn_partitions = 1;
  options.steps = 3;
  options.flags = YAN_LEARN_FLAG_STEP_GRADIENTS;
  options.on_step_user = &seen;
  options.on_step = [](void *user, const yan_learn_step_t *step) {
    auto *seen = static_cast<Seen *>(user);
    seen->chosen.emplace_back(step->chosen, step->chosen + step->num_layers * step->slots_per_layer);
    EXPECT_EQ(step->step, seen->chosen.size() - 1);
    EXPECT_EQ(step->finite, 1);
    EXPECT_EQ(step->floats_per_slot, 3 * seen->model->sliceFloats());
    // Called before the update: the gradient (= w) is the current weights.
    for (int64_t l = 0; l < step->num_layers; ++l) {
      int32_t p = step->chosen[l * step->slots_per_layer];
      std::vector<float> w = asFloats(partitionBytes(seen->bundle, *seen->model, l, p));
      seen->gradientsAreWeights &= std::memcmp(w.data(),
                                               step->gradients + l * step->slots_per_layer *
                                                                     step->floats_per_slot,
                                               w.size() * 4) == 0;
    }
  };
  std::vector<int32_t> tokens = {0, 1, 2};
  yan_learn_result_t result;
  Status status = learn(s.get(), tokens, &options, &result);
  ASSERT_TRUE(status.ok()) << status.text();
  EXPECT_TRUE(seen.gradientsAreWeights);
  ASSERT_EQ(seen.chosen.size(), 3u);
  for (const std::vector<int32_t> &chosen : seen.chosen) {
    EXPECT_EQ(chosen, (std::vector<int32_t>{1, -1, 2, -1}));
  }
  EXPECT_EQ(result.partitions_touched, 2u);
  yan_partition_learn_state_t state;
  ASSERT_TRUE(Status(yan_bundle_partition_learn_state(bundle.get(), 1, 2, &state)).ok());
  EXPECT_EQ(state.steps, 3u);
  expectOnlyChanged(bundle.get(), {{0, 1}, {1, 2}});

  yan_learn_step_t gradients;
  status = yan_session_learn_gradients(s.get(), tokens.data(), tokens.size(), 0, &gradients);
  ASSERT_TRUE(status.ok()) << status.text();
  EXPECT_EQ(std::vector<int32_t>(gradients.chosen, gradients.chosen + 4),
            (std::vector<int32_t>{1, 2, 2, 3}));
  std::vector<float> w = asFloats(partitionBytes(bundle.get(), m, 1, 3));
  EXPECT_EQ(std::memcmp(gradients.gradients + 3 * gradients.floats_per_slot, w.data(),
                        w.size() * 4), 0);
}

// A NaN in the start state makes LEARN report finite = 0: the step is
// rejected and changes nothing at all.
// A step that diverges (issue 14: --lr 1e20 printed "loss after: nan" and
// saved the broken weights) is rolled back whole: non-finite weights right
// after it, or a non-finite loss after it (the next step's or the
// loss-after evaluation), leave weights, optimizer state and step counts
// as they were before the step.
TEST(LearnFixture, DivergingStepIsRolledBack) {
  BundlePtr bundle = openLearn();
  SessionPtr s = session(bundle.get());
  std::vector<int32_t> tokens = {3, 1, 2};
  yan_learn_options_t momentum{};
  momentum.set = YAN_LEARN_SET_MOMENTUM;
  momentum.momentum = 0.9;
  ASSERT_TRUE(learn(s.get(), tokens, &momentum, nullptr).ok());
  auto snapshot = [&] {
    std::vector<uint64_t> steps;
    for (int64_t l = 0; l < 2; ++l)
      for (int64_t p = 0; p < 4; ++p) {
        yan_partition_learn_state_t state;
        EXPECT_TRUE(Status(yan_bundle_partition_learn_state(bundle.get(), l, p, &state)).ok());
        steps.push_back(state.steps);
      }
    yan_bundle_learn_info_t info;
    yan_bundle_learn_info(bundle.get(), &info);
    steps.push_back(info.trained_partitions);
    steps.push_back(info.optimizer_state_bytes);
    return std::make_pair(weightSegment(bundle.get()), steps);
  };
  auto before = snapshot();
  struct Case {
    double lr;
    uint32_t steps;
    const char *message;
  } cases[] = {
      {1e300, 1, "step 1 produced non-finite weights"},   // w * lr overflows
      {1e25, 1, "step 1 made the loss non-finite"},       // w finite, 0.5 w^2 not
      {1e25, 3, "step 1 made the loss non-finite"},       // seen by step 2's LEARN
  };
  // {3, 2, 2} also chooses partitions never trained before: their state is
  // reserved for the step and must go again.
  for (const std::vector<int32_t> &sample : {tokens, std::vector<int32_t>{3, 2, 2}})
    for (const Case &c : cases) {
      yan_learn_options_t options = momentum;
      options.set |= YAN_LEARN_SET_LR;
      options.lr = c.lr;
      options.steps = c.steps;
      Status status = learn(s.get(), sample, &options, nullptr);
      EXPECT_EQ(status.code(), YAN_STATUS_NON_FINITE) << c.lr << ": " << status.text();
      EXPECT_NE(status.message().find(c.message), std::string::npos) << status.text();
      EXPECT_NE(status.message().find("rolled back"), std::string::npos) << status.text();
      EXPECT_TRUE(snapshot() == before) << "lr " << c.lr << " steps " << c.steps;
    }
  // And learning goes on from there as if nothing happened.
  EXPECT_TRUE(learn(s.get(), tokens, &momentum, nullptr).ok());
}

TEST(LearnFixture, NonFiniteStepChangesNothing) {
  BundlePtr bundle = openLearn();
  SessionPtr s = session(bundle.get());
  std::vector<int32_t> tokens = {3, 1, 2};
  yan_learn_options_t momentum{};
  momentum.set = YAN_LEARN_SET_MOMENTUM;
  momentum.momentum = 0.9;
  ASSERT_TRUE(learn(s.get(), tokens, &momentum, nullptr).ok());
  std::vector<uint8_t> weights = weightSegment(bundle.get());
  yan_bundle_learn_info_t before;
  yan_bundle_learn_info(bundle.get(), &before);

  std::vector<uint8_t> blob(yan_session_state_size(s.get()));
  ASSERT_TRUE(Status(yan_session_get_state(s.get(), blob.data(), blob.size())).ok());
  float nan = NAN;
  std::memcpy(&blob[32], &nan, 4); // state float 0, after the 32-byte header
  ASSERT_TRUE(Status(yan_session_set_state(s.get(), blob.data(), blob.size())).ok());
  std::vector<int32_t> other = {3, 2, 2}; // would choose partitions not trained yet
  for (uint32_t steps : {1u, 4u}) {
    yan_learn_options_t options = momentum;
    options.steps = steps;
    Status status = learn(s.get(), other, &options, nullptr);
    EXPECT_EQ(status.code(), YAN_STATUS_NON_FINITE) << status.text();
    EXPECT_NE(status.message().find("step 1 rejected: non-finite loss or gradient"),
              std::string::npos) << status.text();
    EXPECT_NE(status.message().find("weights unchanged"), std::string::npos);
  }
  EXPECT_EQ(weightSegment(bundle.get()), weights);
  yan_bundle_learn_info_t after;
  yan_bundle_learn_info(bundle.get(), &after);
  EXPECT_EQ(after.trained_partitions, before.trained_partitions);
  EXPECT_EQ(after.optimizer_state_bytes, before.optimizer_state_bytes);
  for (int64_t l = 0; l < 2; ++l)
    for (int64_t p = 0; p < 4; ++p) {
      yan_partition_learn_state_t state;
      ASSERT_TRUE(Status(yan_bundle_partition_learn_state(bundle.get(), l, p, &state)).ok());
      EXPECT_EQ(state.steps, fixtureChoice(tokens, l, 2).count(int32_t(p)) ? 1u : 0u);
    }
  // The gradients accessor reports it instead of refusing.
  yan_learn_step_t step;
  ASSERT_TRUE(Status(yan_session_learn_gradients(s.get(), other.data(), 3, 0, &step)).ok());
  EXPECT_EQ(step.finite, 0);
  // With a finite state again, learning works.
  yan_session_reset(s.get());
  EXPECT_TRUE(learn(s.get(), other, &momentum, nullptr).ok());
}

TEST(LearnFixture, OptimizerStateAndKindsPerPartition) {
  BundlePtr bundle = openLearn();
  SessionPtr s = session(bundle.get());
  DeltaModel m = DeltaModel::of(bundle.get());
  std::vector<int32_t> a = {0, 0, 1}; // layer 0: {0, 1}, layer 1: {1, 2}
  std::vector<int32_t> b = {0, 2, 1}; // layer 0: {2, 3}, layer 1: {3, 0}
  yan_learn_options_t sgd{};
  sgd.set = YAN_LEARN_SET_MOMENTUM | YAN_LEARN_SET_LR;
  sgd.momentum = 0.5;
  sgd.lr = 0.1;
  sgd.steps = 2;
  ASSERT_TRUE(learn(s.get(), a, &sgd, nullptr).ok());
  yan_partition_learn_state_t state;
  ASSERT_TRUE(Status(yan_bundle_partition_learn_state(bundle.get(), 0, 1, &state)).ok());
  EXPECT_EQ(state.steps, 2u);
  EXPECT_EQ(state.optimizer_state_floats, 3 * m.sliceFloats());
  yan_learn_options_t adamw{};
  adamw.optimizer = YAN_LEARN_ADAMW;
  ASSERT_TRUE(learn(s.get(), b, &adamw, nullptr).ok());
  ASSERT_TRUE(Status(yan_bundle_partition_learn_state(bundle.get(), 0, 3, &state)).ok());
  EXPECT_EQ(state.optimizer, YAN_LEARN_ADAMW);
  EXPECT_EQ(state.steps, 1u);
  EXPECT_EQ(state.optimizer_state_floats, 6 * m.sliceFloats());
  yan_bundle_learn_info_t info;
  yan_bundle_learn_info(bundle.get(), &info);
  EXPECT_EQ(info.trained_partitions, 8u);
  EXPECT_EQ(info.optimizer_state_bytes, (4 * 3 + 4 * 6) * m.sliceFloats() * 4);

  // AdamW on partitions trained with SGD: refused before anything changes.
  std::vector<uint8_t> weights = weightSegment(bundle.get());
  Status status = learn(s.get(), a, &adamw, nullptr);
  EXPECT_EQ(status.code(), YAN_STATUS_FAILED_PRECONDITION) << status.text();
  EXPECT_NE(status.message().find("was trained with SGD; it cannot continue with AdamW"),
            std::string::npos) << status.text();
  EXPECT_EQ(weightSegment(bundle.get()), weights);
  // SGD without momentum on them leaves their momentum buffers alone.
  ASSERT_TRUE(Status(yan_bundle_partition_learn_state(bundle.get(), 0, 1, &state)).ok());
  std::vector<float> buffer(state.optimizer_state, state.optimizer_state + state.optimizer_state_floats);
  ASSERT_TRUE(learn(s.get(), a, nullptr, nullptr).ok());
  ASSERT_TRUE(Status(yan_bundle_partition_learn_state(bundle.get(), 0, 1, &state)).ok());
  EXPECT_EQ(state.steps, 3u);
  EXPECT_EQ(std::vector<float>(state.optimizer_state, state.optimizer_state + state.optimizer_state_floats), buffer);
}

// Save, reopen with the delta, continue: the same as never saving.
TEST(LearnFixture, DeltaRoundTripContinuesTraining) {
  BundlePtr trained = openLearn();
  SessionPtr s = session(trained.get());
  std::vector<int32_t> a = {0, 0, 1}, b = {4, 2, 3};
  yan_learn_options_t adamw{};
  adamw.optimizer = YAN_LEARN_ADAMW;
  adamw.set = YAN_LEARN_SET_LR | YAN_LEARN_SET_MAX_NORM;
  adamw.lr = 0.05;
  adamw.max_norm = 0.5;
  adamw.steps = 3;
  yan_learn_options_t sgd{};
  sgd.set = YAN_LEARN_SET_MOMENTUM;
  sgd.momentum = 0.9;
  sgd.steps = 2;
  ASSERT_TRUE(learn(s.get(), a, &adamw, nullptr).ok());
  ASSERT_TRUE(learn(s.get(), b, &sgd, nullptr).ok()); // other partitions than a's
  std::string path = temporaryPath(".yand");
  ASSERT_TRUE(Status(yan_bundle_save_delta(trained.get(), path.c_str())).ok());

  yan_bundle_open_options_t options{};
  options.delta_path = path.c_str();
  yan_bundle_t *raw = nullptr;
  Status status = yan_bundle_open_file(learnBundlePath().c_str(), &options,
                                       yan_allocator_system(), &raw);
  ASSERT_TRUE(status.ok()) << status.text();
  BundlePtr restored(raw);
  auto expectSame = [&](const char *when) {
    EXPECT_EQ(weightSegment(restored.get()), weightSegment(trained.get())) << when;
    for (int64_t l = 0; l < 2; ++l)
      for (int64_t p = 0; p < 4; ++p) {
        yan_partition_learn_state_t x, y;
        ASSERT_TRUE(Status(yan_bundle_partition_learn_state(trained.get(), l, p, &x)).ok());
        ASSERT_TRUE(Status(yan_bundle_partition_learn_state(restored.get(), l, p, &y)).ok());
        EXPECT_EQ(x.steps, y.steps) << when;
        EXPECT_EQ(x.optimizer, y.optimizer) << when;
        ASSERT_EQ(x.optimizer_state_floats, y.optimizer_state_floats) << when;
        if (x.optimizer_state_floats) {
          EXPECT_EQ(std::memcmp(x.optimizer_state, y.optimizer_state,
                                x.optimizer_state_floats * 4), 0) << when;
        }
      }
  };
  expectSame("after loading");
  SessionPtr r = session(restored.get());
  for (auto *pair : {&s, &r}) {
    yan_learn_options_t more = adamw;
    more.steps = 2;
    ASSERT_TRUE(learn(pair->get(), a, &more, nullptr).ok());
  }
  expectSame("after two more AdamW steps on both");
  // The restored bundle saves the same bytes as the original.
  std::string again = temporaryPath(".yand"), original = temporaryPath(".yand");
  ASSERT_TRUE(Status(yan_bundle_save_delta(restored.get(), again.c_str())).ok());
  ASSERT_TRUE(Status(yan_bundle_save_delta(trained.get(), original.c_str())).ok());
  EXPECT_EQ(readFileBytes(again), readFileBytes(original));
}

TEST(LearnFixture, MemoryBundleLearnsOnAPrivateCopy) {
  std::vector<uint8_t> bytes = readFileBytes(learnBundlePath());
  AlignedBytes aligned(bytes);
  BundlePtr bundle;
  ASSERT_TRUE(openMemory(aligned, bundle).ok());
  SessionPtr s = session(bundle.get());
  std::vector<int32_t> tokens = {1, 1, 1};
  yan_learn_options_t options{};
  options.steps = 2;
  ASSERT_TRUE(learn(s.get(), tokens, &options, nullptr).ok());
  EXPECT_EQ(std::memcmp(aligned.data(), bytes.data(), bytes.size()), 0);
  std::set<std::pair<int64_t, int64_t>> trained;
  for (int64_t l = 0; l < 2; ++l)
    for (int32_t p : fixtureChoice(tokens, l, 2))
      trained.insert({l, p});
  expectOnlyChanged(bundle.get(), trained);
  EXPECT_NE(weightSegment(bundle.get()), fileSegment());
}

// Counts what goes through an allocator.
struct CountingAllocator {
  long allocations = 0;
  size_t bytes = 0;
  yan_allocator_t allocator() {
    return {this,
            [](void *self, size_t size, size_t alignment) -> void * {
              auto *c = static_cast<CountingAllocator *>(self);
              ++c->allocations;
              c->bytes += size;
              return yan_allocator_system().allocate(nullptr, size, alignment);
            },
            [](void *, void *p) { yan_allocator_system().free(nullptr, p); }};
  }
};

TEST(LearnFixture, LearnMemoryIsAllocatedOnFirstUseOnly) {
  BundlePtr bundle = openLearn();
  CountingAllocator counter;
  yan_allocator_t allocator = counter.allocator();
  SessionPtr s = session(bundle.get(), 1, &allocator);
  ASSERT_EQ(counter.allocations, 1);
  size_t sessionBytes = counter.bytes;
  yan_bundle_learn_info_t info;
  yan_bundle_learn_info(bundle.get(), &info);
  std::vector<int32_t> tokens = {2, 3, 4};
  ASSERT_TRUE(learn(s.get(), tokens, nullptr, nullptr).ok());
  EXPECT_EQ(counter.allocations, 2);
  EXPECT_GE(counter.bytes - sessionBytes, info.arena_bytes);
  ASSERT_TRUE(learn(s.get(), tokens, nullptr, nullptr).ok());
  float loss;
  ASSERT_TRUE(Status(yan_session_learn_loss(s.get(), tokens.data(), 3, &loss)).ok());
  EXPECT_EQ(counter.allocations, 2); // kept for the session's life
}

TEST(LearnFixture, ThreadsGiveTheSameResult) {
  std::vector<std::vector<uint8_t>> results;
  for (uint32_t threads : {1u, 3u}) {
    BundlePtr bundle = openLearn();
    SessionPtr s = session(bundle.get(), threads);
    yan_learn_options_t options{};
    options.optimizer = YAN_LEARN_ADAMW;
    options.steps = 3;
    std::vector<int32_t> tokens = {6, 3, 2, 1};
    ASSERT_TRUE(learn(s.get(), tokens, &options, nullptr).ok());
    results.push_back(weightSegment(bundle.get()));
  }
  EXPECT_EQ(results[0], results[1]);
}

} // namespace
