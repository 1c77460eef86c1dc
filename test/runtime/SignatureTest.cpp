//===- SignatureTest.cpp - Signed bundles and trusted keys ----------------===//
//
// docs/security.md: with trusted keys, a bundle must be signed by one of
// them, and one flipped bit anywhere (header, FlatBuffer, padding, code,
// weights, test data, signature block) is refused, each region with its own
// status, before any code is mapped. Without keys (development mode)
// unsigned bundles open.
//
//===----------------------------------------------------------------------===//
#include "Fixture.h"
#include "yan/crypto/sha256.h"
#include "yan/crypto/signature.h"
#include "yan/crypto/toc_hash.h"

#include "yan/bundle_format.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <set>

using namespace yan;
using namespace yan::test;
using ::testing::HasSubstr;

namespace {

struct KeyPair {
  std::array<uint8_t, 32> seed;
  yan_public_key_t pub;
};

KeyPair makeKey(uint8_t fill) {
  KeyPair k;
  k.seed.fill(fill); // deterministic keys: tests are reproducible
  EXPECT_TRUE(rt::ed25519PublicKey(k.seed.data(), k.pub.bytes));
  return k;
}

const KeyPair &key() {
  static const KeyPair k = makeKey(0x42);
  return k;
}

std::vector<uint8_t> signedBytes(const KeyPair &k = key()) {
  FixtureBundle f = fixtureBundle(hostFixtureImage());
  f.contents.signingSeed = k.seed;
  return bundleBytes(f.contents);
}

std::vector<uint8_t> unsignedBytes() {
  return bundleBytes(fixtureBundle(hostFixtureImage()).contents);
}

Status open(const AlignedBytes &bytes, const std::vector<yan_public_key_t> &keys,
            BundlePtr *out = nullptr, uint32_t flags = 0) {
  yan_bundle_open_options_t options = {};
  options.flags = flags;
  options.trusted_key_count = static_cast<uint32_t>(keys.size());
  options.trusted_keys = keys.data();
  yan_bundle_t *raw = nullptr;
  Status status = yan_bundle_open_memory(bytes.data(), bytes.size(), &options,
                                         yan_allocator_system(), &raw);
  BundlePtr bundle(raw);
  if (out)
    *out = std::move(bundle);
  return status;
}

Status open(const std::vector<uint8_t> &bytes, const std::vector<yan_public_key_t> &keys,
            BundlePtr *out = nullptr, uint32_t flags = 0) {
  // An open bundle borrows its bytes: keep the copies of bundles handed out
  // alive until the process ends.
  static std::vector<std::unique_ptr<AlignedBytes>> kept;
  auto aligned = std::make_unique<AlignedBytes>(bytes);
  Status status = open(*aligned, keys, out, flags);
  if (out && *out)
    kept.push_back(std::move(aligned));
  return status;
}

yan_bundle_header headerOf(const std::vector<uint8_t> &bytes) {
  yan_bundle_header header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  return header;
}

std::string keyIdOf(const yan_public_key_t &k) {
  char id[17];
  yan_public_key_id(&k, id);
  return id;
}

TEST(Signature, SignedBundleOpensWithItsKey) {
  std::vector<uint8_t> bytes = signedBytes();
  yan_bundle_header h = headerOf(bytes);
  EXPECT_EQ(h.header_version, YAN_BUNDLE_HEADER_VERSION);
  EXPECT_EQ(h.flags, YAN_BUNDLE_FLAG_SIGNED | YAN_BUNDLE_FLAG_TOC_HASH);
  EXPECT_EQ(h.signature_offset + YAN_SIGNATURE_BLOCK_SIZE, bytes.size());
  EXPECT_EQ(h.signature_offset % YAN_SIGNATURE_ALIGNMENT, 0u);
  BundlePtr bundle;
  Status status = open(bytes, {key().pub}, &bundle);
  ASSERT_TRUE(status.ok()) << status.text();
  yan_signature_info_t info;
  yan_bundle_signature_info(bundle.get(), &info);
  EXPECT_EQ(info.is_signed, 1);
  EXPECT_EQ(info.verified, 1);
  EXPECT_EQ(std::string(info.key_id), keyIdOf(key().pub));
  // Every segment was hashed (trusted mode never skips), the weights range
  // by range on first use (lazy trust).
  for (size_t i = 0; i < yan_bundle_segment_count(bundle.get()); ++i) {
    yan_segment_info_t s;
    Status(yan_bundle_segment_info(bundle.get(), i, &s));
    EXPECT_EQ(s.hash_verified, s.kind == YAN_SEGMENT_WEIGHTS ? 2 : 1) << "segment " << i;
  }
  // And it runs.
  yan_session_t *raw = nullptr;
  ASSERT_TRUE(Status(yan_session_create(bundle.get(), nullptr, &raw)).ok());
  SessionPtr session(raw);
  std::vector<float> logits(kFixtureVocab);
  EXPECT_TRUE(Status(yan_session_decode(session.get(), 1, logits.data())).ok());
}

TEST(Signature, SigningIsDeterministicAndUnsignedBundlesHaveNoBlock) {
  EXPECT_EQ(signedBytes(), signedBytes());
  std::vector<uint8_t> plain = unsignedBytes();
  yan_bundle_header h = headerOf(plain);
  EXPECT_EQ(h.header_version, YAN_BUNDLE_HEADER_VERSION);
  EXPECT_EQ(h.flags, YAN_BUNDLE_FLAG_TOC_HASH);
  EXPECT_EQ(h.signature_offset, 0u);
  // Signing appends: everything before the segments differs only in the
  // header and the TOC hash over it, the segments are byte-identical.
  std::vector<uint8_t> signedOnes = signedBytes();
  ASSERT_GT(signedOnes.size(), plain.size());
  uint64_t hashAt = rt::tocHashedBytes(h);
  EXPECT_TRUE(std::equal(plain.begin() + 64, plain.begin() + hashAt, signedOnes.begin() + 64));
  EXPECT_TRUE(std::equal(plain.begin() + h.segment_base_offset, plain.end(),
                         signedOnes.begin() + h.segment_base_offset));
}

TEST(Signature, DevelopmentModeOpensUnsignedAndSignedBundles) {
  BundlePtr bundle;
  Status status = open(unsignedBytes(), {}, &bundle);
  ASSERT_TRUE(status.ok()) << status.text();
  yan_signature_info_t info;
  yan_bundle_signature_info(bundle.get(), &info);
  EXPECT_EQ(info.is_signed, 0);
  EXPECT_EQ(info.verified, 0);
  EXPECT_STREQ(info.key_id, "");

  status = open(signedBytes(), {}, &bundle);
  ASSERT_TRUE(status.ok()) << status.text();
  yan_bundle_signature_info(bundle.get(), &info);
  EXPECT_EQ(info.is_signed, 1);
  EXPECT_EQ(info.verified, 0); // no key to verify it with
  EXPECT_EQ(std::string(info.key_id), keyIdOf(key().pub));
}

TEST(Signature, UnsignedBundleIsRefusedWhenKeysAreTrusted) {
  Status status = open(unsignedBytes(), {key().pub});
  EXPECT_EQ(status.code(), YAN_STATUS_UNSIGNED) << status.text();
  EXPECT_THAT(status.message(), HasSubstr("not signed"));
}

TEST(Signature, WrongKeyIsRefusedAndAnyTrustedKeyWorks) {
  KeyPair other = makeKey(0x17);
  Status status = open(signedBytes(), {other.pub});
  EXPECT_EQ(status.code(), YAN_STATUS_UNTRUSTED_KEY) << status.text();
  EXPECT_THAT(status.message(), HasSubstr(keyIdOf(key().pub)));
  EXPECT_TRUE(open(signedBytes(), {other.pub, key().pub}).ok());
  // A key whose id collides but that is not the signer's: the signature
  // decides (ids only pick candidates).
  EXPECT_TRUE(open(signedBytes(other), {key().pub, other.pub}).ok());
}

TEST(Signature, SkipDataHashesIsRefusedInTrustedMode) {
  Status status = open(signedBytes(), {key().pub}, nullptr, YAN_BUNDLE_OPEN_SKIP_DATA_HASHES);
  EXPECT_EQ(status.code(), YAN_STATUS_INVALID_ARGUMENT) << status.text();
  yan_bundle_open_options_t options = {};
  options.trusted_key_count = 1; // but no keys
  yan_bundle_t *raw = nullptr;
  AlignedBytes aligned(signedBytes());
  Status bad = yan_bundle_open_memory(aligned.data(), aligned.size(), &options,
                                      yan_allocator_system(), &raw);
  EXPECT_EQ(bad.code(), YAN_STATUS_INVALID_ARGUMENT);
}

// Stripping the signature (SIGNED flag cleared, block cut off) leaves
// an unsigned bundle: fine for development mode, refused with keys.
TEST(Signature, StrippedSignatureIsUnsigned) {
  std::vector<uint8_t> bytes = signedBytes();
  yan_bundle_header h = headerOf(bytes);
  uint64_t dataEnd = h.signature_offset;
  h.flags = YAN_BUNDLE_FLAG_TOC_HASH;
  h.signature_offset = 0;
  h.file_size = dataEnd;
  std::memcpy(bytes.data(), &h, sizeof h);
  rt::sealToc(bytes.data()); // whoever strips it can recompute the TOC hash
  bytes.resize(dataEnd);
  EXPECT_TRUE(open(bytes, {}).ok());
  EXPECT_EQ(open(bytes, {key().pub}).code(), YAN_STATUS_UNSIGNED);
}

// Segment file ranges of a bundle (opened in development mode).
std::vector<yan_segment_info_t> segmentsOf(const std::vector<uint8_t> &bytes) {
  BundlePtr bundle;
  Status status = open(bytes, {}, &bundle);
  EXPECT_TRUE(status.ok()) << status.text();
  std::vector<yan_segment_info_t> segments;
  for (size_t i = 0; bundle && i < yan_bundle_segment_count(bundle.get()); ++i) {
    yan_segment_info_t s;
    Status(yan_bundle_segment_info(bundle.get(), i, &s));
    segments.push_back(s);
  }
  return segments;
}

// Flips bit `bit` of byte `offset` and opens with the trusted key; with
// `allWeights`, then also verifies every weight (lazy trust defers them).
Status openFlipped(AlignedBytes &aligned, uint64_t offset, int bit, bool allWeights = false) {
  auto *data = const_cast<uint8_t *>(aligned.data());
  data[offset] ^= static_cast<uint8_t>(1u << bit);
  BundlePtr bundle;
  Status status = open(aligned, {key().pub}, &bundle);
  if (status.ok() && allWeights)
    status = Status(yan_bundle_verify_weights(bundle.get()));
  data[offset] ^= static_cast<uint8_t>(1u << bit);
  return status;
}

TEST(SignatureTamper, EveryHeaderBitIsRefused) {
  std::vector<uint8_t> bytes = signedBytes();
  AlignedBytes aligned(bytes);
  std::set<yan_status_code_t> codes;
  for (uint64_t i = 0; i < YAN_BUNDLE_HEADER_SIZE; ++i)
    for (int bit = 0; bit < 8; ++bit) {
      Status status = openFlipped(aligned, i, bit);
      ASSERT_FALSE(status.ok()) << "header byte " << i << " bit " << bit;
      codes.insert(status.code());
    }
  // Flips the structural checks cannot see (e.g. in fields whose other
  // values are also plausible) are caught by the signature, which covers
  // the header.
  for (yan_status_code_t code : codes)
    EXPECT_TRUE(code == YAN_STATUS_BAD_MAGIC || code == YAN_STATUS_UNSUPPORTED_HEADER_VERSION ||
                code == YAN_STATUS_BAD_HEADER || code == YAN_STATUS_TRUNCATED ||
                code == YAN_STATUS_BAD_SIGNATURE)
        << yan_status_code_name(code);
}

// The signature is checked before the FlatBuffer is interpreted: every
// bit of it (and of the padding before the segments) gives BAD_SIGNATURE.
TEST(SignatureTamper, EveryFlatBufferAndPaddingBitIsBadSignature) {
  std::vector<uint8_t> bytes = signedBytes();
  yan_bundle_header h = headerOf(bytes);
  AlignedBytes aligned(bytes);
  uint64_t tocEnd = h.flatbuffer_offset + h.flatbuffer_size;
  for (uint64_t i = YAN_BUNDLE_HEADER_SIZE; i < h.segment_base_offset;
       i += i < tocEnd ? 1 : 61) {
    // One (varying) bit of every FlatBuffer byte, all 8 of every 7th, one
    // bit of every 61st padding byte.
    bool all = i < tocEnd && i % 7 == 0;
    for (int bit = all ? 0 : int(i % 8); bit < (all ? 8 : int(i % 8) + 1); ++bit) {
      Status status = openFlipped(aligned, i, bit);
      ASSERT_EQ(status.code(), YAN_STATUS_BAD_SIGNATURE)
          << "byte " << i << " bit " << bit << ": " << status.text();
    }
  }
  Status status = openFlipped(aligned, h.flatbuffer_offset + 20, 3);
  EXPECT_THAT(status.message(), HasSubstr("does not verify"));
}

// Segments are covered through their hashes: HASH_MISMATCH naming the
// segment, for code and test data (before code is mapped), and the weights
// through their range hashes, verified on first use or all at once by
// yan_bundle_verify_weights (lazy trust), naming the weight.
TEST(SignatureTamper, EverySegmentIsHashed) {
  std::vector<uint8_t> bytes = signedBytes();
  std::vector<yan_segment_info_t> segments = segmentsOf(bytes);
  ASSERT_EQ(segments.size(), 3u);
  const char *names[] = {"(code,", "weight '", "(test_data,"};
  AlignedBytes aligned(bytes);
  for (size_t s = 0; s < segments.size(); ++s) {
    uint64_t begin = segments[s].file_offset, size = segments[s].size;
    // First, last and a stride of bytes in between, a different bit each.
    std::vector<uint64_t> positions{size - 1};
    for (uint64_t at = 0; at < size; at += 97)
      positions.push_back(at);
    for (uint64_t at : positions) {
      Status status = openFlipped(aligned, begin + at, int(at % 8), s == 1);
      ASSERT_EQ(status.code(), YAN_STATUS_HASH_MISMATCH)
          << "segment " << s << " byte " << at << ": " << status.text();
      ASSERT_THAT(status.message(), HasSubstr(names[s]));
    }
  }
}

// Bytes between segments are covered by no hash: they must be zero.
TEST(SignatureTamper, PaddingBetweenSegmentsIsRefused) {
  std::vector<uint8_t> bytes = signedBytes();
  std::vector<yan_segment_info_t> segments = segmentsOf(bytes);
  yan_bundle_header h = headerOf(bytes);
  AlignedBytes aligned(bytes);
  size_t checked = 0;
  for (size_t s = 0; s < segments.size(); ++s) {
    uint64_t end = segments[s].file_offset + segments[s].size;
    uint64_t next = s + 1 < segments.size() ? segments[s + 1].file_offset : h.signature_offset;
    for (uint64_t at = end; at < next; at += 101, ++checked) {
      Status status = openFlipped(aligned, at, int(at % 8));
      ASSERT_EQ(status.code(), YAN_STATUS_BAD_LAYOUT) << "offset " << at << ": " << status.text();
      ASSERT_THAT(status.message(), HasSubstr("padding"));
    }
  }
  EXPECT_GT(checked, 0u);
}

TEST(SignatureTamper, EverySignatureBlockBitIsRefused) {
  std::vector<uint8_t> bytes = signedBytes();
  yan_bundle_header h = headerOf(bytes);
  AlignedBytes aligned(bytes);
  for (uint64_t i = 0; i < YAN_SIGNATURE_BLOCK_SIZE; ++i)
    for (int bit = 0; bit < 8; ++bit) {
      Status status = openFlipped(aligned, h.signature_offset + i, bit);
      bool keyId = i >= offsetof(yan_signature_block, key_id) &&
                   i < offsetof(yan_signature_block, key_id) + 8;
      ASSERT_EQ(status.code(), keyId ? YAN_STATUS_UNTRUSTED_KEY : YAN_STATUS_BAD_SIGNATURE)
          << "signature byte " << i << " bit " << bit << ": " << status.text();
    }
}

// An attacker who rewrites a weight AND its hash in the FlatBuffer is
// stopped by the signature over the FlatBuffer.
TEST(SignatureTamper, RecomputedHashesDoNotHelp) {
  std::vector<uint8_t> bytes = signedBytes();
  std::vector<yan_segment_info_t> segments = segmentsOf(bytes);
  const yan_segment_info_t &weights = segments[1];
  bytes[weights.file_offset + 5] ^= 0x10;
  rt::Sha256Digest digest = rt::Sha256::hash(bytes.data() + weights.file_offset, weights.size);
  // The old digest appears once in the FlatBuffer: replace it.
  auto at = std::search(bytes.begin(), bytes.begin() + headerOf(bytes).segment_base_offset,
                        std::begin(weights.sha256), std::end(weights.sha256));
  ASSERT_NE(at, bytes.begin() + headerOf(bytes).segment_base_offset);
  std::copy(digest.begin(), digest.end(), at);
  EXPECT_EQ(open(bytes, {}).code(), YAN_STATUS_HASH_MISMATCH); // the TOC hash
  rt::sealToc(bytes.data());
  EXPECT_TRUE(open(bytes, {}).ok()); // development mode: all hashes match
  EXPECT_EQ(open(bytes, {key().pub}).code(), YAN_STATUS_BAD_SIGNATURE);
}

TEST(SignatureTamper, DevelopmentModeStillChecksTheBlockShape) {
  std::vector<uint8_t> bytes = signedBytes();
  yan_bundle_header h = headerOf(bytes);
  bytes[h.signature_offset] ^= 1; // magic
  EXPECT_EQ(open(bytes, {}).code(), YAN_STATUS_BAD_SIGNATURE);
}

TEST(PublicKey, ParsesWhatKeygenWrites) {
  char text[160];
  rt::formatKeyText(rt::kPublicKeyLabel, key().pub.bytes, text, sizeof text);
  std::string withComment = std::string("# release key\n") + text;
  yan_public_key_t parsed;
  ASSERT_TRUE(Status(yan_public_key_parse(withComment.data(), withComment.size(), &parsed)).ok());
  EXPECT_EQ(0, std::memcmp(parsed.bytes, key().pub.bytes, 32));
  for (std::string bad : {std::string(""), std::string("yan-ed25519-public"),
                          std::string("yan-ed25519-public 00"),
                          std::string(text).substr(0, 60),
                          std::string(text) + "x",
                          std::string("yan-ed25519-secret ") + std::string(64, '0')}) {
    Status status = yan_public_key_parse(bad.data(), bad.size(), &parsed);
    EXPECT_EQ(status.code(), YAN_STATUS_INVALID_ARGUMENT) << bad;
  }
}

TEST(PublicKey, ReadFileRefusesSecretKeysAndMissingFiles) {
  std::string path = temporaryPath(".key");
  char text[160];
  rt::formatKeyText(rt::kSecretKeyLabel, key().seed.data(), text, sizeof text);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << text;
  }
  yan_public_key_t parsed;
  Status status = yan_public_key_read_file(path.c_str(), &parsed);
  EXPECT_EQ(status.code(), YAN_STATUS_INVALID_ARGUMENT);
  EXPECT_THAT(status.message(), HasSubstr("SECRET"));
  llvm::sys::fs::remove(path);
  EXPECT_EQ(Status(yan_public_key_read_file(path.c_str(), &parsed)).code(), YAN_STATUS_IO_ERROR);
}

TEST(SigningKey, WriterRefusesOpenPermissionsAndPublicKeys) {
  std::string path = temporaryPath(".key");
  char text[160];
  rt::formatKeyText(rt::kSecretKeyLabel, key().seed.data(), text, sizeof text);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << text;
  }
  llvm::sys::fs::setPermissions(path, llvm::sys::fs::perms(0644));
  auto seed = readSigningKey(path);
  ASSERT_FALSE(static_cast<bool>(seed));
  EXPECT_THAT(llvm::toString(seed.takeError()), HasSubstr("chmod 600"));
  llvm::sys::fs::setPermissions(path, llvm::sys::fs::perms(0600));
  seed = readSigningKey(path);
  ASSERT_TRUE(static_cast<bool>(seed)) << llvm::toString(seed.takeError());
  EXPECT_EQ(*seed, key().seed);
  llvm::sys::fs::remove(path);
}

} // namespace
