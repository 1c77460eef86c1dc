//===- sha256.h - SHA-256 (FIPS 180-4) --------------------------*- C++ -*-===//
//
// Our own small implementation: the runtime must not depend on LLVM or a
// crypto library, and it only needs to hash segments at open. Streaming, so
// large weight segments are hashed straight from the mapping.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_CRYPTO_SHA256_H
#define YAN_CRYPTO_SHA256_H

#include <array>
#include <cstddef>
#include <cstdint>

namespace yan::rt {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
public:
  Sha256() { reset(); }
  void reset();
  void update(const void *data, size_t size);
  Sha256Digest finish(); // the object must be reset() before reuse

  static Sha256Digest hash(const void *data, size_t size) {
    Sha256 sha;
    sha.update(data, size);
    return sha.finish();
  }

private:
  void compress(const uint8_t *block);

  uint32_t state_[8];
  uint64_t length_; // bytes hashed so far
  uint8_t buffer_[64];
  size_t buffered_;
};

/// Lower-case hex of `digest` into `out` (65 bytes incl. NUL).
void sha256Hex(const uint8_t *digest, char out[65]);

} // namespace yan::rt

#endif // YAN_CRYPTO_SHA256_H
