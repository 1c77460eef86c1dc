//===- signature.h - Ed25519 signatures of bundles (libsodium) --*- C++ -*-===//
//
// The one implementation of the signed message, key ids and key file text,
// shared by the writer (yanc --sign-key, yan-keygen) and the runtime, as
// sha256.cpp is. Ed25519 itself comes from libsodium (docs/security.md says
// why); this file is the only one that includes <sodium.h>.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_CRYPTO_SIGNATURE_H
#define YAN_CRYPTO_SIGNATURE_H

#include <cstddef>
#include <cstdint>

namespace yan::rt {

constexpr size_t kPublicKeyBytes = 32;
constexpr size_t kSecretSeedBytes = 32;
constexpr size_t kSignatureBytes = 64;
constexpr size_t kKeyIdBytes = 8;

/// The message an Ed25519 signature covers (bundle_format.h):
/// domain "\0" || u64le(prefixSize) || SHA-256(prefix[0, prefixSize)).
struct SignatureMessage {
  uint8_t bytes[96];
  size_t size = 0;
};
/// `domain` is at most 47 characters (e.g. YAN_BUNDLE_SIGNATURE_DOMAIN).
SignatureMessage signatureMessage(const char *domain, const uint8_t *prefix,
                                  uint64_t prefixSize);
/// The same message from the prefix's digest (files written as streams).
SignatureMessage signatureMessageForDigest(const char *domain, uint64_t prefixSize,
                                           const uint8_t digest[32]);

/// First 8 bytes of SHA-256(publicKey).
void keyId(const uint8_t publicKey[kPublicKeyBytes], uint8_t out[kKeyIdBytes]);
/// 16 lower-case hex digits + NUL.
void keyIdHex(const uint8_t id[kKeyIdBytes], char out[2 * kKeyIdBytes + 1]);

/// libsodium's crypto_sign_verify_detached (initializes libsodium first).
bool ed25519Verify(const uint8_t signature[kSignatureBytes], const uint8_t *message,
                   size_t size, const uint8_t publicKey[kPublicKeyBytes]);
/// The public key of a secret seed; false if libsodium fails to initialize.
bool ed25519PublicKey(const uint8_t seed[kSecretSeedBytes],
                      uint8_t publicKey[kPublicKeyBytes]);
/// Signs with the key pair of `seed` (yanc, and the runtime for deltas
/// saved with the device's key).
bool ed25519Sign(const uint8_t seed[kSecretSeedBytes], const uint8_t *message, size_t size,
                 uint8_t signature[kSignatureBytes]);
/// A fresh random seed from the OS (libsodium's randombytes).
bool ed25519NewSeed(uint8_t seed[kSecretSeedBytes]);

/// Key files are one line "LABEL HEX" (32 bytes = 64 hex digits), optionally
/// preceded by '#' comment lines; LABEL is kPublicKeyLabel or kSecretKeyLabel.
constexpr const char *kPublicKeyLabel = "yan-ed25519-public";
constexpr const char *kSecretKeyLabel = "yan-ed25519-secret";
/// Parses `size` bytes of key file text; on failure returns false and puts
/// a reason in `why`.
bool parseKeyText(const char *text, size_t size, const char *label, uint8_t out[32],
                  char *why, size_t whySize);
/// "LABEL HEX\n" (+ NUL) into `out` (at least 128 bytes).
void formatKeyText(const char *label, const uint8_t key[32], char *out, size_t outSize);

/// Overwrites `size` bytes in a way the compiler cannot drop (sodium_memzero).
void secureZero(void *data, size_t size);

} // namespace yan::rt

#endif // YAN_CRYPTO_SIGNATURE_H
