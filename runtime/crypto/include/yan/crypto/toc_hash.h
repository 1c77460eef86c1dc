//===- toc_hash.h - The hash over a bundle's table of contents --*- C++ -*-===//
//
// Header version 3 stores SHA-256 of everything before the segments but
// itself (header, FlatBuffer, padding) in the 32 bytes just before the
// segment base (bundle_format.h). One definition, shared by the writer
// (compiler/bundle), the runtime's check (bundle_header.cpp), the tests that
// patch a table of contents and the fuzzers that reseal one, like sha256.h.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_CRYPTO_TOC_HASH_H
#define YAN_CRYPTO_TOC_HASH_H

#include "yan/bundle_format.h"
#include "yan/crypto/sha256.h"

#include <cstring>

namespace yan::rt {

/// The bytes the TOC hash covers, [0, result): segment_base - 32 in
/// version 3 (the hash is the next 32 bytes), segment_base before (no hash;
/// what the signature covers in version 2).
inline uint64_t tocHashedBytes(const yan_bundle_header &header) {
  if (header.header_version != YAN_BUNDLE_HEADER_VERSION)
    return header.segment_base_offset;
  return header.segment_base_offset < YAN_BUNDLE_TOC_HASH_SIZE
             ? 0
             : header.segment_base_offset - YAN_BUNDLE_TOC_HASH_SIZE;
}

/// SHA-256 of the first `hashedBytes` bytes of a bundle.
inline Sha256Digest tocHash(const uint8_t *bundle, uint64_t hashedBytes) {
  return Sha256::hash(bundle, static_cast<size_t>(hashedBytes));
}

/// Recomputes and stores the TOC hash of a version 3 bundle whose header is
/// in range (`bundle` holds at least segment_base_offset bytes). For the
/// writer and for tests that build hostile tables of contents on purpose.
inline void sealToc(uint8_t *bundle) {
  yan_bundle_header header;
  std::memcpy(&header, bundle, sizeof header);
  if (header.header_version != YAN_BUNDLE_HEADER_VERSION)
    return;
  uint64_t hashed = tocHashedBytes(header);
  Sha256Digest digest = tocHash(bundle, hashed);
  std::memcpy(bundle + hashed, digest.data(), digest.size());
}

} // namespace yan::rt

#endif // YAN_CRYPTO_TOC_HASH_H
