//===- LazyTrustTest.cpp - Trusted mode verifies weights on first use -----===//
//
// Lazy trust (docs/security.md): a signed bundle with range hashes opens in
// trusted mode without reading its weights; the weights outside the FFN
// partitions are verified before the first entry call, a partition the
// first time a token routes to it. On a compiled, signed model
// (YAN_TEST_SIGNED_BUNDLE, key YAN_TEST_KEY_PUB; page-aligned partitions):
//   - open leaves < 5% of the weight segment resident (mincore, after
//     evicting the file), and trusted logits equal development-mode logits;
//   - a flipped bit in one partition: open succeeds, a prompt that routes
//     elsewhere runs unchanged, the first token routed to it fails with
//     HASH_MISMATCH naming the weight and partition, and the session
//     refuses all further work (also with several threads, and learning);
//   - a flipped bit in a dense weight: the first entry call is refused;
//   - a flipped bit in a range hash: open is refused (the signature).
//
//===----------------------------------------------------------------------===//
#include "PageResidency.h"
#include "yan/bundle_format.h"
#include "yan/crypto/sha256.h"
#include "yan/runtime.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

std::string envPath(const char *name) {
  const char *value = std::getenv(name);
  EXPECT_NE(value, nullptr) << name << " must be set";
  return value ? value : "";
}

std::vector<uint8_t> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
}

/// The message of `status` (freed); "" for success.
std::string take(yan_status_t status) {
  std::string text = status ? yan_status_message(status) : "";
  yan_status_free(status);
  return text;
}

struct Result {
  yan_status_code_t code = YAN_STATUS_OK;
  std::string message;
};

Result result(yan_status_t status) {
  Result r{yan_status_code(status), {}};
  r.message = take(status);
  return r;
}

yan_status_t openBundle(const std::string &path, bool trusted, yan_bundle_t **out) {
  static yan_public_key_t key;
  std::string keyPath = envPath("YAN_TEST_KEY_PUB");
  if (yan_status_t status = yan_public_key_read_file(keyPath.c_str(), &key))
    return status;
  yan_bundle_open_options_t options{};
  options.trusted_key_count = trusted ? 1 : 0;
  options.trusted_keys = &key;
  return yan_bundle_open_file(path.c_str(), &options, yan_allocator_system(), out);
}

/// A weight's partition p: its bytes in the weight segment.
struct Slice {
  uint64_t offset = 0, size = 0;
};

/// Where things are in the clean bundle (opened in development mode).
struct Layout {
  uint64_t segmentOffset = 0, segmentSize = 0, segmentBase = 0;
  int64_t vocab = 0, partitions = 0;
  bool learns = false;
  Slice partition(const std::string &weight, int64_t p) const {
    for (const auto &[name, info] : weights)
      if (name == weight) {
        uint64_t bytes = info.size - (info.num_partitions - 1) * info.partition_stride;
        return {info.offset + uint64_t(p) * info.partition_stride, bytes};
      }
    ADD_FAILURE() << "no weight " << weight;
    return {};
  }
  std::vector<std::pair<std::string, yan_weight_info_t>> weights;
};

Layout layoutOf(const std::string &path) {
  Layout layout;
  yan_bundle_t *bundle = nullptr;
  EXPECT_EQ(take(openBundle(path, false, &bundle)), "");
  if (!bundle)
    return layout;
  for (size_t i = 0; i < yan_bundle_segment_count(bundle); ++i) {
    yan_segment_info_t s;
    EXPECT_EQ(yan_bundle_segment_info(bundle, i, &s), nullptr);
    if (s.kind == YAN_SEGMENT_WEIGHTS) {
      layout.segmentOffset = s.file_offset;
      layout.segmentSize = s.size;
    }
  }
  for (size_t i = 0; i < yan_bundle_weight_count(bundle); ++i) {
    yan_weight_info_t w;
    EXPECT_EQ(yan_bundle_weight_info(bundle, i, &w), nullptr);
    layout.weights.push_back({w.name, w});
  }
  yan_model_config_t config;
  yan_bundle_config(bundle, &config);
  layout.vocab = config.vocab_size;
  layout.partitions = config.num_partitions;
  yan_bundle_learn_info_t learn;
  yan_bundle_learn_info(bundle, &learn);
  layout.learns = learn.has_learn;
  yan_bundle_release(bundle);
  yan_bundle_header header;
  std::vector<uint8_t> bytes = readFile(path);
  std::memcpy(&header, bytes.data(), sizeof header);
  layout.segmentBase = header.segment_base_offset;
  return layout;
}

/// A copy of the signed bundle with one bit flipped at file offset `at`.
std::string tampered(const std::string &name, uint64_t at) {
  std::string source = envPath("YAN_TEST_SIGNED_BUNDLE");
  std::vector<uint8_t> bytes = readFile(source);
  EXPECT_LT(at, bytes.size());
  bytes[at] ^= 0x10;
  std::string path = source + "." + name;
  writeFile(path, bytes);
  return path;
}

struct Session {
  explicit Session(yan_bundle_t *bundle, uint32_t threads = 1) {
    yan_session_options_t options{threads};
    EXPECT_EQ(take(yan_session_create_with_options(bundle, nullptr, &options, &session)), "");
    yan_model_config_t config;
    yan_bundle_config(bundle, &config);
    vocab = config.vocab_size;
  }
  ~Session() { yan_session_destroy(session); }
  Result prefill(const std::vector<int32_t> &tokens, std::vector<float> *logits = nullptr) {
    std::vector<float> out(tokens.size() * size_t(vocab));
    Result r = result(yan_session_prefill(session, tokens.data(), tokens.size(), out.data()));
    if (logits)
      *logits = out;
    return r;
  }
  /// Whether the session's routing counters have partition p of layer 0.
  bool routedTo(int64_t p) {
    yan_session_stats_t stats;
    yan_session_stats(session, &stats);
    return stats.partition_tokens[p] > 0;
  }
  yan_session_t *session = nullptr;
  int64_t vocab = 0;
};

const std::vector<int32_t> kPrompt = {1, 2, 3, 4, 5};

TEST(LazyTrust, TrustedOpenReadsNoWeights) {
  std::string path = envPath("YAN_TEST_SIGNED_BUNDLE");
  Layout layout = layoutOf(path);
  ASSERT_GT(layout.segmentSize, 0u);
  yan::test::evictFromPageCache(path.c_str());
  yan_bundle_t *bundle = nullptr;
  ASSERT_EQ(take(openBundle(path, true, &bundle)), "");
  yan::test::FileMapping mapping(path.c_str());
  ASSERT_TRUE(mapping.ok()) << path;
  const uint8_t *file = mapping.data();
  long page = ::sysconf(_SC_PAGESIZE);
  uint64_t resident =
      yan::test::residentPages(file, layout.segmentOffset, layout.segmentSize, page) *
      uint64_t(page);
  std::printf("trusted open: %llu of %llu weight bytes resident (%.2f%%)\n",
              static_cast<unsigned long long>(resident),
              static_cast<unsigned long long>(layout.segmentSize),
              100.0 * double(resident) / double(layout.segmentSize));
  EXPECT_LT(double(resident), 0.05 * double(layout.segmentSize));
  for (size_t i = 0; i < yan_bundle_segment_count(bundle); ++i) {
    yan_segment_info_t s;
    ASSERT_EQ(yan_bundle_segment_info(bundle, i, &s), nullptr);
    EXPECT_EQ(s.hash_verified, s.kind == YAN_SEGMENT_WEIGHTS ? 2 : 1) << "segment " << i;
  }
  // Paying for all of it at once reads (and verifies) every weight.
  EXPECT_EQ(take(yan_bundle_verify_weights(bundle)), "");
  EXPECT_EQ(yan::test::residentPages(file, layout.segmentOffset, layout.segmentSize, page) *
                uint64_t(page),
            (layout.segmentSize + page - 1) / page * page);
  yan_bundle_release(bundle);
}

TEST(LazyTrust, TrustedLogitsEqualDevelopmentMode) {
  std::string path = envPath("YAN_TEST_SIGNED_BUNDLE");
  std::vector<float> logits[2];
  for (bool trusted : {false, true}) {
    yan_bundle_t *bundle = nullptr;
    ASSERT_EQ(take(openBundle(path, trusted, &bundle)), "");
    Session session(bundle, trusted ? 3 : 1);
    EXPECT_EQ(session.prefill(kPrompt, &logits[trusted]).message, "");
    yan_bundle_release(bundle);
  }
  EXPECT_EQ(logits[0], logits[1]);
}

TEST(LazyTrust, TamperedPartitionFailsTheFirstTokenRoutedToIt) {
  std::string path = envPath("YAN_TEST_SIGNED_BUNDLE");
  Layout layout = layoutOf(path);
  // On the clean bundle: a layer-0 partition the prompt does not route to,
  // and a token that does.
  yan_bundle_t *clean = nullptr;
  ASSERT_EQ(take(openBundle(path, true, &clean)), "");
  std::vector<float> cleanLogits;
  int64_t target = -1;
  int32_t trigger = -1;
  {
    Session session(clean);
    ASSERT_EQ(session.prefill(kPrompt, &cleanLogits).message, "");
    for (int64_t p = 0; p < layout.partitions && target < 0; ++p)
      if (!session.routedTo(p))
        target = p;
    ASSERT_GE(target, 0);
    for (int32_t t = 0; t < layout.vocab && trigger < 0; ++t) {
      yan_session_reset(session.session);
      yan_session_reset_stats(session.session);
      ASSERT_EQ(session.prefill({t}).message, "");
      if (session.routedTo(target))
        trigger = t;
    }
    ASSERT_GE(trigger, 0) << "no token routes to partition " << target;
  }
  yan_bundle_release(clean);

  Slice slice = layout.partition("layers.0.ffn.w1", target);
  std::string bad = tampered("partition", layout.segmentOffset + slice.offset + slice.size / 2);
  yan_bundle_t *bundle = nullptr;
  ASSERT_EQ(take(openBundle(bad, true, &bundle)), "");
  std::string name = "weight 'layers.0.ffn.w1' partition " + std::to_string(target) + " ";
  for (uint32_t threads : {1u, 3u}) {
    Session session(bundle, threads);
    std::vector<float> logits;
    ASSERT_EQ(session.prefill(kPrompt, &logits).message, "") << "routes elsewhere";
    EXPECT_EQ(logits, cleanLogits);
    Result failed = session.prefill({trigger});
    EXPECT_EQ(failed.code, YAN_STATUS_HASH_MISMATCH);
    EXPECT_NE(failed.message.find(name), std::string::npos) << failed.message;
    // Unusable from now on, also after a reset.
    yan_session_reset(session.session);
    Result refused = session.prefill(kPrompt);
    EXPECT_EQ(refused.code, YAN_STATUS_HASH_MISMATCH);
    EXPECT_NE(refused.message.find("refuses all further work"), std::string::npos)
        << refused.message;
    std::vector<float> row(size_t(layout.vocab));
    EXPECT_EQ(result(yan_session_decode(session.session, 1, row.data())).code,
              YAN_STATUS_HASH_MISMATCH);
  }
  // Learning never uses it either.
  if (layout.learns) {
    Session session(bundle);
    std::vector<int32_t> sample = {trigger, trigger, trigger};
    yan_learn_options_t options{};
    options.steps = 1;
    yan_learn_result_t learned;
    Result failed = result(yan_session_learn(session.session, sample.data(), sample.size(),
                                             &options, &learned));
    EXPECT_EQ(failed.code, YAN_STATUS_HASH_MISMATCH);
    EXPECT_NE(failed.message.find(name), std::string::npos) << failed.message;
  }
  Result all = result(yan_bundle_verify_weights(bundle));
  EXPECT_EQ(all.code, YAN_STATUS_HASH_MISMATCH);
  EXPECT_NE(all.message.find(name), std::string::npos) << all.message;
  yan_bundle_release(bundle);
  // Development mode keeps hashing everything at open.
  EXPECT_EQ(result(openBundle(bad, false, &bundle)).code, YAN_STATUS_HASH_MISMATCH);
}

TEST(LazyTrust, TamperedDenseWeightRefusesTheFirstRun) {
  std::string path = envPath("YAN_TEST_SIGNED_BUNDLE");
  Layout layout = layoutOf(path);
  Slice embed = layout.partition("embed.weight", 0);
  std::string bad = tampered("dense", layout.segmentOffset + embed.offset + embed.size / 2);
  yan_bundle_t *bundle = nullptr;
  ASSERT_EQ(take(openBundle(bad, true, &bundle)), "");
  Session session(bundle, 2);
  Result failed = session.prefill(kPrompt);
  EXPECT_EQ(failed.code, YAN_STATUS_HASH_MISMATCH);
  EXPECT_NE(failed.message.find("weight 'embed.weight' partition 0 "), std::string::npos)
      << failed.message;
  EXPECT_EQ(session.prefill(kPrompt).code, YAN_STATUS_HASH_MISMATCH);
  yan_bundle_release(bundle);
}

TEST(LazyTrust, TamperedRangeHashIsRefusedAtOpen) {
  std::string path = envPath("YAN_TEST_SIGNED_BUNDLE");
  Layout layout = layoutOf(path);
  std::vector<uint8_t> bytes = readFile(path);
  // Range 1 of layers.0.ffn.w1 is exactly its partition 1's stride.
  Slice first = layout.partition("layers.0.ffn.w1", 1);
  Slice second = layout.partition("layers.0.ffn.w1", 2);
  yan::rt::Sha256Digest digest = yan::rt::Sha256::hash(
      bytes.data() + layout.segmentOffset + first.offset, second.offset - first.offset);
  auto end = bytes.begin() + layout.segmentBase;
  auto at = std::search(bytes.begin(), end, digest.begin(), digest.end());
  ASSERT_NE(at, end) << "the range hash is not in the table of contents";
  std::string bad = tampered("table", uint64_t(at - bytes.begin()) + 7);
  yan_bundle_t *bundle = nullptr;
  EXPECT_EQ(result(openBundle(bad, true, &bundle)).code, YAN_STATUS_BAD_SIGNATURE);
  // Development mode: the table-of-contents hash.
  EXPECT_EQ(result(openBundle(bad, false, &bundle)).code, YAN_STATUS_HASH_MISMATCH);
}

} // namespace
