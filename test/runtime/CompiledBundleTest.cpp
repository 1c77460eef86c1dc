//===- CompiledBundleTest.cpp - The runtime on a bundle yanc compiled -----===//
//
// The session contract on real generated code (the tiny model, built by the
// ctest fixture `compiled-tiny-bundle`; its path comes in YAN_TEST_BUNDLE):
// prefill then decode equals the same tokens decoded one at a time; a prompt
// longer than the prefill entry's max_tokens (chunked) equals one run token
// by token; sessions on one bundle are independent across threads; the
// session's memory is exactly the state plus the compiler's arena plan.
//
//===----------------------------------------------------------------------===//
#include "yan/runtime.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

struct Bundle {
  yan_bundle_t *bundle = nullptr;
  yan_model_config_t config{};
  Bundle() {
    const char *path = std::getenv("YAN_TEST_BUNDLE");
    EXPECT_NE(path, nullptr) << "YAN_TEST_BUNDLE must name a compiled bundle";
    if (!path)
      return;
    yan_status_t status =
        yan_bundle_open_file(path, nullptr, yan_allocator_system(), &bundle);
    EXPECT_EQ(status, nullptr) << (status ? yan_status_message(status) : "");
    if (bundle)
      yan_bundle_config(bundle, &config);
  }
  ~Bundle() {
    if (bundle)
      yan_bundle_release(bundle);
  }
};

struct Session {
  yan_session_t *session = nullptr;
  explicit Session(yan_bundle_t *bundle, const yan_allocator_t *allocator = nullptr) {
    yan_allocator_t system = yan_allocator_system();
    EXPECT_EQ(yan_session_create(bundle, allocator ? allocator : &system, &session), nullptr);
  }
  ~Session() { yan_session_destroy(session); }
};

int32_t argmax(const float *row, int64_t vocab) {
  return static_cast<int32_t>(std::max_element(row, row + vocab) - row);
}

double relativeError(const std::vector<float> &a, const std::vector<float> &b) {
  double error = 0, scale = 1e-3;
  for (size_t i = 0; i < a.size(); ++i) {
    error = std::max(error, std::fabs(double(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return error / scale;
}

/// Logits of `prompt` run token by token through decode, then `steps`
/// greedy tokens; the generated tokens go to `generated`.
std::vector<float> decodeOnly(yan_bundle_t *bundle, int64_t vocab,
                              const std::vector<int32_t> &prompt, int steps,
                              std::vector<int32_t> *generated) {
  Session s(bundle);
  std::vector<float> logits((prompt.size() + steps) * vocab);
  for (size_t i = 0; i < prompt.size(); ++i)
    EXPECT_EQ(yan_session_decode(s.session, prompt[i], &logits[i * vocab]), nullptr);
  for (int i = 0; i < steps; ++i) {
    size_t row = prompt.size() + i;
    int32_t token = argmax(&logits[(row - 1) * vocab], vocab);
    generated->push_back(token);
    EXPECT_EQ(yan_session_decode(s.session, token, &logits[row * vocab]), nullptr);
  }
  return logits;
}

std::vector<int32_t> promptOf(size_t length, int64_t vocab) {
  std::vector<int32_t> prompt(length);
  for (size_t i = 0; i < length; ++i)
    prompt[i] = static_cast<int32_t>((i * 37 + 11) % vocab);
  return prompt;
}

TEST(CompiledBundle, PrefillThenDecodeEqualsSingleDecodeSteps) {
  Bundle b;
  ASSERT_NE(b.bundle, nullptr);
  const int64_t vocab = b.config.vocab_size;
  const int steps = 8;
  std::vector<int32_t> prompt = promptOf(7, vocab);
  std::vector<int32_t> expectedTokens;
  std::vector<float> expected = decodeOnly(b.bundle, vocab, prompt, steps, &expectedTokens);

  Session s(b.bundle);
  std::vector<float> logits((prompt.size() + steps) * vocab);
  ASSERT_EQ(yan_session_prefill(s.session, prompt.data(), prompt.size(), logits.data()),
            nullptr);
  for (int i = 0; i < steps; ++i) {
    size_t row = prompt.size() + i;
    int32_t token = argmax(&logits[(row - 1) * vocab], vocab);
    ASSERT_EQ(token, expectedTokens[i]) << "greedy token " << i;
    ASSERT_EQ(yan_session_decode(s.session, token, &logits[row * vocab]), nullptr);
  }
  EXPECT_LE(relativeError(logits, expected), 1e-5);
}

TEST(CompiledBundle, ChunkedPrefillEqualsTokenByToken) {
  Bundle b;
  ASSERT_NE(b.bundle, nullptr);
  yan_entry_info_t prefill;
  ASSERT_EQ(yan_bundle_entry_info(b.bundle, 0, &prefill), nullptr);
  const int64_t vocab = b.config.vocab_size;
  // Longer than one prefill call: the runtime splits it.
  std::vector<int32_t> prompt = promptOf(prefill.max_tokens * 2 + 3, vocab);
  std::vector<int32_t> unused;
  std::vector<float> expected = decodeOnly(b.bundle, vocab, prompt, 0, &unused);
  Session s(b.bundle);
  std::vector<float> logits(prompt.size() * vocab);
  ASSERT_EQ(yan_session_prefill(s.session, prompt.data(), prompt.size(), logits.data()),
            nullptr);
  EXPECT_LE(relativeError(logits, expected), 1e-5);
}

TEST(CompiledBundle, SessionsOnThreadsAreIndependent) {
  Bundle b;
  ASSERT_NE(b.bundle, nullptr);
  const int64_t vocab = b.config.vocab_size;
  std::vector<std::vector<float>> results(4);
  std::vector<std::vector<int32_t>> tokens(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      results[t] = decodeOnly(b.bundle, vocab, promptOf(5 + t % 2, vocab), 16, &tokens[t]);
    });
  for (std::thread &thread : threads)
    thread.join();
  // Same prompt, same results, bit for bit: nothing is shared between sessions.
  EXPECT_EQ(results[0], results[2]);
  EXPECT_EQ(results[1], results[3]);
  EXPECT_EQ(tokens[0], tokens[2]);
  EXPECT_NE(results[0], results[1]);
}

struct CountingAllocator {
  size_t calls = 0, lastSize = 0;
  static void *allocate(void *self, size_t size, size_t alignment) {
    auto *counter = static_cast<CountingAllocator *>(self);
    ++counter->calls;
    counter->lastSize = size;
    void *memory = nullptr;
    return posix_memalign(&memory, std::max(alignment, sizeof(void *)), size) == 0 ? memory
                                                                                  : nullptr;
  }
  static void release(void *, void *ptr) { std::free(ptr); }
};

TEST(CompiledBundle, SessionMemoryIsStatePlusPlannedArena) {
  Bundle b;
  ASSERT_NE(b.bundle, nullptr);
  uint64_t arena = 0;
  for (uint32_t i = 0; i < 2; ++i) {
    yan_entry_info_t entry;
    ASSERT_EQ(yan_bundle_entry_info(b.bundle, i, &entry), nullptr);
    arena = std::max(arena, entry.arena_bytes);
  }
  ASSERT_GT(arena, 0u);
  CountingAllocator counter;
  yan_allocator_t allocator{&counter, CountingAllocator::allocate, CountingAllocator::release};
  Session s(b.bundle, &allocator);
  ASSERT_EQ(counter.calls, 1u) << "a session is one allocation";
  uint64_t state = yan_bundle_state_floats(b.bundle) * sizeof(float);
  uint64_t stats = 2 * b.config.num_layers * b.config.num_partitions * sizeof(uint64_t);
  // The struct, a one-thread pool and 64-byte alignment add at most a few
  // hundred bytes; everything else is the state, the routing counters and
  // the compiler's arena plan.
  EXPECT_GE(counter.lastSize, state + arena + stats);
  EXPECT_LE(counter.lastSize, state + arena + stats + 1024);

  const int64_t vocab = b.config.vocab_size;
  std::vector<float> logits(vocab);
  size_t before = counter.calls;
  for (int32_t token = 0; token < 32; ++token)
    ASSERT_EQ(yan_session_decode(s.session, token, logits.data()), nullptr);
  EXPECT_EQ(counter.calls, before) << "decode allocates nothing";
}

} // namespace

namespace {

/// Prefill + decode logits and routing statistics of a session with `threads`.
struct SessionRun {
  std::vector<float> logits;
  std::vector<uint64_t> tokens, groups;
};

SessionRun runWithThreads(yan_bundle_t *bundle, int64_t vocab, uint32_t threads,
                   const std::vector<int32_t> &prompt, int steps) {
  yan_allocator_t allocator = yan_allocator_system();
  yan_session_options_t options{threads};
  yan_session_t *session = nullptr;
  EXPECT_EQ(yan_session_create_with_options(bundle, &allocator, &options, &session), nullptr);
  EXPECT_EQ(yan_session_threads(session), threads);
  SessionRun run;
  run.logits.resize((prompt.size() + steps) * vocab);
  EXPECT_EQ(yan_session_prefill(session, prompt.data(), prompt.size(), run.logits.data()),
            nullptr);
  for (int i = 0; i < steps; ++i) {
    size_t row = prompt.size() + i;
    int32_t token = argmax(&run.logits[(row - 1) * vocab], vocab);
    EXPECT_EQ(yan_session_decode(session, token, &run.logits[row * vocab]), nullptr);
  }
  yan_session_stats_t stats;
  yan_session_stats(session, &stats);
  size_t n = stats.num_layers * stats.num_partitions;
  run.tokens.assign(stats.partition_tokens, stats.partition_tokens + n);
  run.groups.assign(stats.partition_groups, stats.partition_groups + n);
  yan_session_destroy(session);
  return run;
}

TEST(CompiledBundle, ResultsAreIdenticalForAnyThreadCount) {
  Bundle b;
  ASSERT_NE(b.bundle, nullptr);
  const int64_t vocab = b.config.vocab_size;
  std::vector<int32_t> prompt = promptOf(23, vocab);
  SessionRun one = runWithThreads(b.bundle, vocab, 1, prompt, 12);
  for (uint32_t threads : {2u, 3u, 4u}) {
    SessionRun many = runWithThreads(b.bundle, vocab, threads, prompt, 12);
    EXPECT_EQ(many.logits, one.logits) << threads << " threads: not bit-identical";
    EXPECT_EQ(many.tokens, one.tokens) << threads << " threads";
    EXPECT_EQ(many.groups, one.groups) << threads << " threads";
  }
}

TEST(CompiledBundle, PrefillGroupsTokensByPartition) {
  Bundle b;
  ASSERT_NE(b.bundle, nullptr);
  const int64_t vocab = b.config.vocab_size, layers = b.config.num_layers;
  const int64_t partitions = b.config.num_partitions, k = b.config.active_partitions;
  std::vector<int32_t> prompt = promptOf(40, vocab); // one prefill call (max 64)
  SessionRun run = runWithThreads(b.bundle, vocab, 1, prompt, 0);
  for (int64_t l = 0; l < layers; ++l) {
    uint64_t routed = 0, groups = 0, used = 0;
    for (int64_t p = 0; p < partitions; ++p) {
      uint64_t tokens = run.tokens[l * partitions + p];
      uint64_t calls = run.groups[l * partitions + p];
      routed += tokens;
      groups += calls;
      used += tokens > 0;
      // One grouped multiplication per partition that tokens routed to, none
      // for the others: no dense loop over all P, no per-token fallback.
      EXPECT_EQ(calls, tokens > 0 ? 1u : 0u) << "layer " << l << " partition " << p;
    }
    EXPECT_EQ(routed, prompt.size() * k) << "layer " << l;
    EXPECT_EQ(groups, used) << "layer " << l;
    EXPECT_LT(groups, prompt.size() * k) << "grouping must merge tokens";
  }
  // Decode multiplies token by token: after a 1-token prefill (k groups per
  // layer) five decode steps add no grouped calls.
  SessionRun decode = runWithThreads(b.bundle, vocab, 1, {3}, 5);
  uint64_t groups = 0, routed = 0;
  for (uint64_t calls : decode.groups)
    groups += calls;
  for (uint64_t tokens : decode.tokens)
    routed += tokens;
  EXPECT_EQ(groups, static_cast<uint64_t>(layers * k));
  EXPECT_EQ(routed, static_cast<uint64_t>(6 * layers * k));
}

} // namespace
