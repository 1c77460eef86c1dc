//===- TocFlipTest.cpp - Every byte of a compiled bundle's TOC flipped ----===//
//
// Issue 14's acceptance test, in process (thousands of runs in seconds):
// every byte of the header and FlatBuffer of a tiny compiled bundle
// (YAN_TEST_BUNDLE) and of its signed twin (YAN_TEST_SIGNED_BUNDLE, key
// YAN_TEST_KEY_PUB) XOR 0x01 and XOR 0x80, opened in development mode and in
// trusted mode, then a 70-token prompt (two prefill chunks) and 4 greedy
// tokens. Every run must be a clean error or exactly the unchanged logits;
// a signal or a hang kills the test binary, which ctest reports.
//
// A last pass recomputes the TOC hash after each flip (what an editor of
// the file, or an older bundle without the hash, amounts to): then only the
// semantic checks stand between the flip and the code (the config against
// the weight shapes, the table of contents against the code image's plan),
// and they must be enough.
//
//===----------------------------------------------------------------------===//
#include "Fixture.h"
#include "bundle_generated.h"
#include "yan/bundle_format.h"
#include "yan/crypto/toc_hash.h"
#include "yan/runtime.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <vector>

using namespace yan;
using namespace yan::test;

namespace {

std::vector<uint8_t> readEnvFile(const char *variable) {
  const char *path = std::getenv(variable);
  if (!path) {
    ADD_FAILURE() << variable << " must name a file";
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

struct Outcome {
  bool ok = false;
  std::string error;
  std::vector<float> logits; // prompt rows, then one row per generated token
};

// Opens `bytes` and runs the prompt, as yan-run would: logits rows of the
// V the bundle states.
Outcome run(const AlignedBytes &bytes, const yan_public_key_t *key) {
  Outcome out;
  yan_bundle_open_options_t options{};
  if (key) {
    options.trusted_keys = key;
    options.trusted_key_count = 1;
  }
  yan_bundle_t *raw = nullptr;
  Status status = yan_bundle_open_memory(bytes.data(), bytes.size(), &options,
                                         yan_allocator_system(), &raw);
  BundlePtr bundle(raw);
  if (!status.ok()) {
    out.error = status.text();
    return out;
  }
  yan_model_config_t config;
  yan_bundle_config(bundle.get(), &config);
  yan_session_t *session = nullptr;
  status = yan_session_create(bundle.get(), nullptr, &session);
  SessionPtr owned(session);
  if (!status.ok()) {
    out.error = status.text();
    return out;
  }
  std::vector<int32_t> prompt(70);
  std::iota(prompt.begin(), prompt.end(), 1);
  size_t vocab = static_cast<size_t>(config.vocab_size);
  out.logits.resize((prompt.size() + 4) * vocab);
  status = yan_session_prefill(session, prompt.data(), prompt.size(), out.logits.data());
  for (size_t i = 0; status.ok() && i < 4; ++i) {
    const float *last = &out.logits[(prompt.size() + i - 1) * vocab];
    int32_t next = static_cast<int32_t>(std::max_element(last, last + vocab) - last);
    status = yan_session_decode(session, next, &out.logits[(prompt.size() + i) * vocab]);
  }
  if (!status.ok()) {
    out.error = status.text();
    return out;
  }
  out.ok = true;
  return out;
}

yan_bundle_header headerOf(const std::vector<uint8_t> &bytes) {
  yan_bundle_header h;
  std::memcpy(&h, bytes.data(), sizeof h);
  return h;
}

struct Counts {
  size_t refused = 0, unchanged = 0;
};

// Flips every byte of [0, end of the FlatBuffer) with both masks; each run
// must be refused or give exactly `expected`.
Counts flipAll(const std::vector<uint8_t> &bytes, const yan_public_key_t *key,
               const Outcome &expected, bool reseal, const char *what) {
  yan_bundle_header h = headerOf(bytes);
  uint64_t end = h.flatbuffer_offset + h.flatbuffer_size;
  Counts counts;
  std::vector<uint8_t> copy = bytes;
  for (uint64_t i = 0; i < end; ++i)
    for (uint8_t mask : {uint8_t(0x01), uint8_t(0x80)}) {
      copy[i] ^= mask;
      if (reseal && i >= YAN_BUNDLE_HEADER_SIZE)
        rt::sealToc(copy.data());
      Outcome got = run(AlignedBytes(copy), key);
      if (!got.ok) {
        EXPECT_FALSE(got.error.empty());
        ++counts.refused;
      } else {
        ++counts.unchanged;
        EXPECT_EQ(got.logits, expected.logits)
            << what << ": byte " << i << " ^ 0x" << std::hex << int(mask)
            << " opened and changed the output";
      }
      copy[i] ^= mask;
      if (reseal && i >= YAN_BUNDLE_HEADER_SIZE)
        std::memcpy(copy.data() + rt::tocHashedBytes(h), bytes.data() + rt::tocHashedBytes(h),
                    YAN_BUNDLE_TOC_HASH_SIZE);
    }
  return counts;
}

yan_public_key_t trustedKey() {
  yan_public_key_t key{};
  const char *path = std::getenv("YAN_TEST_KEY_PUB");
  EXPECT_NE(path, nullptr) << "YAN_TEST_KEY_PUB must name the signing key's .pub";
  if (path)
    EXPECT_TRUE(Status(yan_public_key_read_file(path, &key)).ok());
  return key;
}

TEST(TocFlip, EveryByteOfHeaderAndFlatBufferIsRefusedOrHarmless) {
  std::vector<uint8_t> plain = readEnvFile("YAN_TEST_BUNDLE");
  std::vector<uint8_t> signedBytes = readEnvFile("YAN_TEST_SIGNED_BUNDLE");
  ASSERT_GT(plain.size(), 64u);
  ASSERT_GT(signedBytes.size(), 64u);
  yan_public_key_t key = trustedKey();
  Outcome expected = run(AlignedBytes(plain), nullptr);
  ASSERT_TRUE(expected.ok) << expected.error;
  Outcome signedRun = run(AlignedBytes(signedBytes), &key);
  ASSERT_TRUE(signedRun.ok) << signedRun.error;
  ASSERT_EQ(signedRun.logits, expected.logits);

  // With the TOC hash (development mode) and the signature (trusted mode)
  // every flip is refused.
  Counts dev = flipAll(plain, nullptr, expected, false, "development mode");
  EXPECT_EQ(dev.unchanged, 0u);
  Counts devSigned = flipAll(signedBytes, nullptr, expected, false, "signed, development mode");
  EXPECT_EQ(devSigned.unchanged, 0u);
  Counts trusted = flipAll(signedBytes, &key, expected, false, "trusted mode");
  EXPECT_EQ(trusted.unchanged, 0u);
  // Without the hash's help: refused or harmless (fields the code does not
  // use, e.g. the config's decays, a compiler version string).
  Counts semantic = flipAll(plain, nullptr, expected, true, "TOC hash recomputed");
  EXPECT_GT(semantic.refused, 0u);
  std::printf("development %zu refused; signed %zu; trusted %zu; hash recomputed: %zu "
              "refused, %zu unchanged output\n",
              dev.refused, devSigned.refused, trusted.refused, semantic.refused,
              semantic.unchanged);
}

// The three reported flips, made deliberately (TOC hash
// recomputed): each names the field the code image's plan contradicts.
TEST(TocFlip, PlanMismatchesAreNamed) {
  std::vector<uint8_t> plain = readEnvFile("YAN_TEST_BUNDLE");
  ASSERT_GT(plain.size(), 64u);
  yan_bundle_header h = headerOf(plain);
  const uint8_t *fbData = plain.data() + h.flatbuffer_offset;
  const fb::Bundle &root = *fb::GetBundle(fbData);
  const fb::EntryPoint *prefill = nullptr;
  for (const fb::EntryPoint *e : *root.code_images()->Get(0)->entries())
    if (e->index() == YAN_ENTRY_PREFILL)
      prefill = e;
  ASSERT_NE(prefill, nullptr);
  auto patched = [&](const flatbuffers::Table *table, flatbuffers::voffset_t field,
                     int64_t delta) {
    std::vector<uint8_t> copy = plain;
    size_t at = static_cast<size_t>(table->GetAddressOf(field) - plain.data());
    int64_t value;
    std::memcpy(&value, copy.data() + at, sizeof value);
    value += delta;
    std::memcpy(copy.data() + at, &value, sizeof value);
    rt::sealToc(copy.data());
    return copy;
  };
  auto table = [](const void *p) { return reinterpret_cast<const flatbuffers::Table *>(p); };
  struct Case {
    std::vector<uint8_t> bytes;
    const char *message;
  } cases[] = {
      {patched(table(prefill), fb::EntryPoint::VT_MAX_TOKENS, 1), "prefill max_tokens"},
      {patched(table(prefill), fb::EntryPoint::VT_ARENA_BYTES, -64), "prefill arena_bytes"},
      // V one larger than the embedding's rows: token V would read past it.
      {patched(table(root.config()), fb::ModelConfig::VT_VOCAB_SIZE, 1), "embed.weight"},
  };
  for (const Case &c : cases) {
    Outcome got = run(AlignedBytes(c.bytes), nullptr);
    EXPECT_FALSE(got.ok) << c.message;
    EXPECT_NE(got.error.find("BAD_LAYOUT"), std::string::npos) << got.error;
    EXPECT_NE(got.error.find(c.message), std::string::npos) << got.error;
  }
}

} // namespace
