//===- delta_signature.cpp - Signed deltas --------------------------------===//
//
// A delta is written on the device, which holds no vendor key, so it is
// signed with the device's own key (yan-keygen on the device; docs/
// security.md, "Deltas"). The block and the message are the bundle's
// (bundle_format.h) with the domain "yan-delta-sig-v1", so a bundle
// signature can never pass for a delta's or the other way round. A bundle
// opened in trusted mode, or given delta keys, accepts only deltas signed by
// one of its delta keys; otherwise a signed delta's block is checked for
// shape only, like a signed bundle in development mode.
//
//===----------------------------------------------------------------------===//
#include "delta_signature.h"

#include "delta_format.h"
#include "status.h"
#include "yan/crypto/signature.h"

#include <cstring>

namespace yan::rt {

yan_status_t checkDeltaSignature(const yan_bundle_t &bundle, const uint8_t *data,
                                 bool isSigned, uint64_t signedBytes) {
  bool required = bundle.deltaTrust.required;
  if (!isSigned) {
    if (required)
      return makeStatus(YAN_STATUS_UNSIGNED,
                        "the delta is not signed, and this bundle accepts only deltas "
                        "signed by a trusted delta key (%u given; save with a signing key: "
                        "yan_bundle_save_delta_signed, yan-run --sign-key)",
                        bundle.deltaTrust.count);
    return nullptr;
  }
  yan_signature_block block;
  std::memcpy(&block, data + signedBytes, sizeof block);
  if (!signatureBlockWellFormed(block))
    return makeStatus(YAN_STATUS_BAD_SIGNATURE,
                      "the delta's signature block is malformed (magic, version %u, "
                      "algorithm %u or reserved bytes)", block.version, block.algorithm);
  if (!required)
    return nullptr;
  char id[17];
  keyIdHex(block.key_id, id);
  SignatureMessage message = signatureMessage(kDeltaSignatureDomain, data, signedBytes);
  bool known = false;
  for (uint32_t k = 0; k < bundle.deltaTrust.count; ++k) {
    uint8_t candidate[kKeyIdBytes];
    keyId(bundle.deltaTrust.keys[k].bytes, candidate);
    if (std::memcmp(candidate, block.key_id, sizeof candidate) != 0)
      continue;
    known = true;
    if (ed25519Verify(block.signature, message.bytes, message.size,
                      bundle.deltaTrust.keys[k].bytes))
      return nullptr;
  }
  if (!known)
    return makeStatus(YAN_STATUS_UNTRUSTED_KEY,
                      "the delta is signed by key %s, which is not among this bundle's %u "
                      "delta key%s", id, bundle.deltaTrust.count,
                      bundle.deltaTrust.count == 1 ? "" : "s");
  return makeStatus(YAN_STATUS_BAD_SIGNATURE,
                    "the delta's signature by key %s does not verify: it was modified "
                    "after it was signed", id);
}

bool signDeltaBlock(const uint8_t seed[32], uint64_t signedBytes, const uint8_t digest[32],
                    yan_signature_block *block) {
  std::memset(block, 0, sizeof *block);
  std::memcpy(block->magic, YAN_SIGNATURE_MAGIC, sizeof block->magic);
  block->version = YAN_SIGNATURE_VERSION;
  block->algorithm = YAN_SIGNATURE_ALG_ED25519;
  uint8_t publicKey[kPublicKeyBytes];
  if (!ed25519PublicKey(seed, publicKey))
    return false;
  keyId(publicKey, block->key_id);
  SignatureMessage message =
      signatureMessageForDigest(kDeltaSignatureDomain, signedBytes, digest);
  return ed25519Sign(seed, message.bytes, message.size, block->signature);
}

} // namespace yan::rt
