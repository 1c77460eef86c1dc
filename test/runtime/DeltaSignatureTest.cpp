//===- DeltaSignatureTest.cpp - Signed deltas and trusted mode ------------===//
//
// Issue 14: --trust did not cover deltas. A delta signed with the device's
// key (yan_bundle_save_delta_signed) is accepted by a bundle that trusts
// that key for deltas; in trusted mode an unsigned delta, one signed by
// another key, one edited after signing (checksum recomputed) and every
// flipped byte are refused, and nothing is applied.
//
//===----------------------------------------------------------------------===//
#include "DeltaSupport.h"
#include "Fixture.h"
#include "yan/crypto/sha256.h"
#include "yan/crypto/signature.h"

#include "gtest/gtest.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

using namespace yan::test;

namespace {

struct Key {
  yan_secret_key_t secret{};
  yan_public_key_t pub{};
  explicit Key(uint8_t fill) {
    std::memset(secret.seed, fill, sizeof secret.seed);
    yan::rt::ed25519PublicKey(secret.seed, pub.bytes);
  }
};

const Key &vendorKey() { static const Key k(0x11); return k; }
const Key &deviceKey() { static const Key k(0x22); return k; }
const Key &otherKey() { static const Key k(0x33); return k; }

// A learn fixture bundle signed by the vendor key (trusted mode needs one).
const std::string &bundlePath() {
  static const std::string path = [] {
    FixtureBundle f = learnFixtureBundle(hostFixtureImage());
    std::array<uint8_t, 32> seed;
    std::memcpy(seed.data(), vendorKey().secret.seed, 32);
    f.contents.signingSeed = seed;
    std::string p = temporaryPath(".yanb");
    writeFileBytes(p, bundleBytes(f.contents));
    return p;
  }();
  return path;
}

Status openWith(BundlePtr &bundle, bool trusted, std::vector<yan_public_key_t> deltaKeys) {
  yan_bundle_open_options_t options{};
  if (trusted) {
    options.trusted_keys = &vendorKey().pub;
    options.trusted_key_count = 1;
  }
  options.trusted_delta_keys = deltaKeys.data();
  options.trusted_delta_key_count = static_cast<uint32_t>(deltaKeys.size());
  yan_bundle_t *raw = nullptr;
  Status status = yan_bundle_open_file(bundlePath().c_str(), &options,
                                       yan_allocator_system(), &raw);
  bundle.reset(raw);
  return status;
}

// What one SGD step on a sample leaves, saved signed with `key` (or not).
std::vector<uint8_t> learnedDelta(const Key *key, std::vector<uint8_t> *weights = nullptr) {
  BundlePtr bundle;
  EXPECT_TRUE(openWith(bundle, false, {}).ok());
  yan_session_t *raw = nullptr;
  EXPECT_TRUE(Status(yan_session_create(bundle.get(), nullptr, &raw)).ok());
  SessionPtr session(raw);
  int32_t tokens[3] = {3, 1, 2};
  yan_learn_result_t result;
  EXPECT_TRUE(Status(yan_session_learn(session.get(), tokens, 3, nullptr, &result)).ok());
  std::string path = temporaryPath(".yand");
  Status status = key ? yan_bundle_save_delta_signed(bundle.get(), path.c_str(), &key->secret)
                      : yan_bundle_save_delta(bundle.get(), path.c_str());
  EXPECT_TRUE(status.ok()) << status.text();
  if (weights)
    *weights = weightSegment(bundle.get());
  std::vector<uint8_t> bytes = readFileBytes(path);
  std::remove(path.c_str());
  return bytes;
}

Status applyBytes(yan_bundle_t *bundle, const std::vector<uint8_t> &delta) {
  return yan_bundle_apply_delta_memory(bundle, delta.data(), delta.size());
}

TEST(DeltaSignature, SignedDeltaIsAcceptedWithTheDeviceKey) {
  std::vector<uint8_t> learned;
  std::vector<uint8_t> delta = learnedDelta(&deviceKey(), &learned);
  uint32_t version;
  std::memcpy(&version, &delta[4], 4);
  EXPECT_EQ(version, 2u);
  for (bool trusted : {true, false}) {
    BundlePtr bundle;
    ASSERT_TRUE(openWith(bundle, trusted, {otherKey().pub, deviceKey().pub}).ok());
    Status status = applyBytes(bundle.get(), delta);
    ASSERT_TRUE(status.ok()) << status.text();
    EXPECT_EQ(weightSegment(bundle.get()), learned);
  }
  // Development mode without delta keys: the block's shape is checked only.
  BundlePtr bundle;
  ASSERT_TRUE(openWith(bundle, false, {}).ok());
  EXPECT_TRUE(applyBytes(bundle.get(), delta).ok());
}

TEST(DeltaSignature, TrustedModeRefusesUnsignedForeignAndEditedDeltas) {
  std::vector<uint8_t> signedDelta = learnedDelta(&deviceKey());
  // Edited after signing, checksum recomputed (what issue 14 did by hand).
  std::vector<uint8_t> edited = signedDelta;
  size_t checksumAt = edited.size() - 96 - 32;
  edited[200] ^= 0x40; // a weight byte of the first record
  yan::rt::Sha256Digest digest = yan::rt::Sha256::hash(edited.data(), checksumAt);
  std::memcpy(&edited[checksumAt], digest.data(), digest.size());
  struct Case {
    std::vector<uint8_t> delta;
    std::vector<yan_public_key_t> keys;
    yan_status_code_t code;
    const char *what;
  } cases[] = {
      {learnedDelta(nullptr), {deviceKey().pub}, YAN_STATUS_UNSIGNED, "not signed"},
      {learnedDelta(&otherKey()), {deviceKey().pub}, YAN_STATUS_UNTRUSTED_KEY, "not among"},
      {edited, {deviceKey().pub}, YAN_STATUS_BAD_SIGNATURE, "does not verify"},
      // Trusted mode without delta keys accepts no delta.
      {signedDelta, {}, YAN_STATUS_UNTRUSTED_KEY, "not among this bundle's 0 delta keys"},
  };
  for (const Case &c : cases) {
    BundlePtr bundle;
    ASSERT_TRUE(openWith(bundle, true, c.keys).ok());
    std::vector<uint8_t> before = weightSegment(bundle.get());
    Status status = applyBytes(bundle.get(), c.delta);
    EXPECT_EQ(status.code(), c.code) << c.what << ": " << status.text();
    EXPECT_NE(status.message().find(c.what), std::string::npos) << status.text();
    EXPECT_EQ(weightSegment(bundle.get()), before);
  }
  // Development mode with delta keys is as strict.
  BundlePtr bundle;
  ASSERT_TRUE(openWith(bundle, false, {deviceKey().pub}).ok());
  EXPECT_EQ(applyBytes(bundle.get(), learnedDelta(nullptr)).code(), YAN_STATUS_UNSIGNED);
}

TEST(DeltaSignature, EveryFlippedByteOfASignedDeltaIsRefused) {
  std::vector<uint8_t> delta = learnedDelta(&deviceKey());
  BundlePtr bundle;
  ASSERT_TRUE(openWith(bundle, true, {deviceKey().pub}).ok());
  std::vector<uint8_t> before = weightSegment(bundle.get());
  for (size_t i = 0; i < delta.size(); ++i)
    for (uint8_t mask : {uint8_t(0x01), uint8_t(0x80)}) {
      delta[i] ^= mask;
      Status status = applyBytes(bundle.get(), delta);
      delta[i] ^= mask;
      ASSERT_FALSE(status.ok()) << "byte " << i << " ^ " << int(mask) << " was accepted";
    }
  EXPECT_EQ(weightSegment(bundle.get()), before);
  EXPECT_TRUE(applyBytes(bundle.get(), delta).ok());
}

TEST(DeltaSignature, SecretKeyFiles) {
  std::string path = temporaryPath(".key");
  char text[160];
  yan::rt::formatKeyText(yan::rt::kSecretKeyLabel, deviceKey().secret.seed, text, sizeof text);
  writeFileBytes(path, std::vector<uint8_t>(text, text + std::strlen(text)));
  ::chmod(path.c_str(), 0600);
  yan_secret_key_t key;
  ASSERT_TRUE(Status(yan_secret_key_read_file(path.c_str(), &key)).ok());
  EXPECT_EQ(std::memcmp(key.seed, deviceKey().secret.seed, 32), 0);
  ::chmod(path.c_str(), 0644);
  Status status = yan_secret_key_read_file(path.c_str(), &key);
  EXPECT_NE(status.message().find("chmod 600"), std::string::npos) << status.text();
  yan::rt::formatKeyText(yan::rt::kPublicKeyLabel, deviceKey().pub.bytes, text, sizeof text);
  writeFileBytes(path, std::vector<uint8_t>(text, text + std::strlen(text)));
  ::chmod(path.c_str(), 0600);
  status = yan_secret_key_read_file(path.c_str(), &key);
  EXPECT_NE(status.message().find("is a public key"), std::string::npos) << status.text();
  std::remove(path.c_str());
}

} // namespace
