//===- delta_signature.h - Signed deltas ------------------------*- C++ -*-===//
#ifndef YAN_RUNTIME_DELTA_SIGNATURE_H
#define YAN_RUNTIME_DELTA_SIGNATURE_H

#include "bundle_internal.h"

namespace yan::rt {

/// The signature policy for a delta of `bundle` (delta_signature.cpp):
/// `signedBytes` is where the signature block starts (isSigned) and what
/// the signature covers. UNSIGNED / UNTRUSTED_KEY / BAD_SIGNATURE.
yan_status_t checkDeltaSignature(const yan_bundle_t &bundle, const uint8_t *data,
                                 bool isSigned, uint64_t signedBytes);

/// The signature block for a delta whose first `signedBytes` bytes have
/// SHA-256 `digest`, signed with the key pair of `seed`; false if libsodium
/// fails.
bool signDeltaBlock(const uint8_t seed[32], uint64_t signedBytes, const uint8_t digest[32],
                    yan_signature_block *block);

} // namespace yan::rt

#endif // YAN_RUNTIME_DELTA_SIGNATURE_H
