//===- signature.cpp - Ed25519 signatures of bundles (libsodium) ----------===//
#include "yan/crypto/signature.h"

#include "yan/crypto/sha256.h"
#include "yan/text/hex.h"

#include <sodium.h>

#include <cstdio>
#include <cstring>

namespace yan::rt {
namespace {

// sodium_init is thread-safe and idempotent; it returns 1 when already done.
bool initSodium() { return sodium_init() >= 0; }

int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

} // namespace

SignatureMessage signatureMessage(const char *domain, const uint8_t *prefix,
                                  uint64_t prefixSize) {
  Sha256Digest digest = Sha256::hash(prefix, static_cast<size_t>(prefixSize));
  return signatureMessageForDigest(domain, prefixSize, digest.data());
}

SignatureMessage signatureMessageForDigest(const char *domain, uint64_t prefixSize,
                                           const uint8_t digest[32]) {
  SignatureMessage m;
  size_t length = std::strlen(domain);
  if (length > 47)
    length = 47;
  std::memcpy(m.bytes, domain, length);
  m.bytes[length] = 0;
  size_t at = length + 1;
  for (int i = 0; i < 8; ++i)
    m.bytes[at++] = static_cast<uint8_t>(prefixSize >> (8 * i));
  std::memcpy(m.bytes + at, digest, 32);
  m.size = at + 32;
  return m;
}

void keyId(const uint8_t publicKey[kPublicKeyBytes], uint8_t out[kKeyIdBytes]) {
  Sha256Digest digest = Sha256::hash(publicKey, kPublicKeyBytes);
  std::memcpy(out, digest.data(), kKeyIdBytes);
}

void keyIdHex(const uint8_t id[kKeyIdBytes], char out[2 * kKeyIdBytes + 1]) {
  writeHexString(id, kKeyIdBytes, out);
}

bool ed25519Verify(const uint8_t signature[kSignatureBytes], const uint8_t *message,
                   size_t size, const uint8_t publicKey[kPublicKeyBytes]) {
  static_assert(crypto_sign_PUBLICKEYBYTES == kPublicKeyBytes, "Ed25519 key size");
  static_assert(crypto_sign_BYTES == kSignatureBytes, "Ed25519 signature size");
  return initSodium() &&
         crypto_sign_verify_detached(signature, message, size, publicKey) == 0;
}

bool ed25519PublicKey(const uint8_t seed[kSecretSeedBytes],
                      uint8_t publicKey[kPublicKeyBytes]) {
  static_assert(crypto_sign_SEEDBYTES == kSecretSeedBytes, "Ed25519 seed size");
  if (!initSodium())
    return false;
  uint8_t secret[crypto_sign_SECRETKEYBYTES];
  bool ok = crypto_sign_seed_keypair(publicKey, secret, seed) == 0;
  sodium_memzero(secret, sizeof secret);
  return ok;
}

bool ed25519Sign(const uint8_t seed[kSecretSeedBytes], const uint8_t *message, size_t size,
                 uint8_t signature[kSignatureBytes]) {
  if (!initSodium())
    return false;
  uint8_t publicKey[crypto_sign_PUBLICKEYBYTES], secret[crypto_sign_SECRETKEYBYTES];
  bool ok = crypto_sign_seed_keypair(publicKey, secret, seed) == 0 &&
            crypto_sign_detached(signature, nullptr, message, size, secret) == 0;
  sodium_memzero(secret, sizeof secret);
  return ok;
}

bool ed25519NewSeed(uint8_t seed[kSecretSeedBytes]) {
  if (!initSodium())
    return false;
  randombytes_buf(seed, kSecretSeedBytes);
  return true;
}

bool parseKeyText(const char *text, size_t size, const char *label, uint8_t out[32],
                  char *why, size_t whySize) {
  size_t i = 0;
  // Skip blank and '#' comment lines.
  while (i < size) {
    while (i < size && isSpace(text[i]))
      ++i;
    if (i < size && text[i] == '#') {
      while (i < size && text[i] != '\n')
        ++i;
      continue;
    }
    break;
  }
  size_t labelLength = std::strlen(label);
  if (size - i < labelLength || std::memcmp(text + i, label, labelLength) != 0 ||
      size - i == labelLength || (text[i + labelLength] != ' ' && text[i + labelLength] != '\t')) {
    std::snprintf(why, whySize, "expected a line \"%s <64 hex digits>\"", label);
    return false;
  }
  i += labelLength;
  while (i < size && (text[i] == ' ' || text[i] == '\t'))
    ++i;
  uint8_t key[32];
  for (size_t b = 0; b < 32; ++b) {
    int hi = i < size ? hexValue(text[i]) : -1;
    int lo = i + 1 < size ? hexValue(text[i + 1]) : -1;
    if (hi < 0 || lo < 0) {
      std::snprintf(why, whySize, "%s: the key must be 64 hex digits", label);
      return false;
    }
    key[b] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  while (i < size && isSpace(text[i]))
    ++i;
  if (i != size) {
    std::snprintf(why, whySize, "%s: unexpected text after the key", label);
    secureZero(key, sizeof key);
    return false;
  }
  std::memcpy(out, key, 32);
  secureZero(key, sizeof key);
  return true;
}

void formatKeyText(const char *label, const uint8_t key[32], char *out, size_t outSize) {
  char hex[65];
  writeHexString(key, 32, hex);
  std::snprintf(out, outSize, "%s %s\n", label, hex);
  secureZero(hex, sizeof hex);
}

void secureZero(void *data, size_t size) { sodium_memzero(data, size); }

} // namespace yan::rt
