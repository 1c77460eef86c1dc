//===- bundle_internal.h - What an open bundle holds ------------*- C++ -*-===//
#ifndef YAN_RUNTIME_BUNDLE_INTERNAL_H
#define YAN_RUNTIME_BUNDLE_INTERNAL_H

#include "bundle_generated.h"
#include "cpu_features.h"
#include "elf_loader.h"
#include "file_mapping.h"
#include "weight_trust.h"
#include "yan/bundle_format.h"
#include "yan/executable_abi.h"
#include "yan/runtime.h"

#include <atomic>
#include <cstring>

namespace yan::rt {

struct LearnState; // learn_state.h

namespace fb = ::yan::fb;

constexpr uint32_t kNoImage = UINT32_MAX;

/// The result of verifying a bundle's bytes (no code loaded yet).
struct VerifiedBundle {
  const fb::Bundle *root = nullptr;
  const uint8_t *segmentBase = nullptr; // file start + segment_base_offset
  uint32_t selectedImage = kNoImage;    // index into root->code_images()
  const uint8_t *weights = nullptr;     // weight segment start
  uint64_t stateFloats = 0;
  int64_t learnPartitions = 0;          // M; 0: no learn table / entries
  // Per entry index of the selected image.
  int64_t maxTokens[YAN_ENTRY_COUNT] = {};
  uint64_t arenaBytes[YAN_ENTRY_COUNT] = {};
  bool dataHashesVerified = false;
  // Trusted mode with range hashes: the weight segment was not hashed at
  // open; its ranges are verified on first use (weight_trust.h).
  bool lazyWeights = false;
  // The signature block (docs/security.md).
  bool isSigned = false;
  uint8_t keyId[8] = {};
  bool signatureVerified = false; // against a trusted key (trusted mode)
};

/// Which deltas a bundle accepts (delta_signature.cpp): with `required`
/// (trusted mode, or delta keys given), only deltas signed by one of `keys`
/// (copied at open).
struct DeltaTrust {
  bool required = false;
  uint32_t count = 0;
  yan_public_key_t keys[YAN_MAX_TRUSTED_DELTA_KEYS] = {};
};

/// The keys of trusted mode (none: development mode).
struct TrustedKeys {
  const yan_public_key_t *keys = nullptr;
  uint32_t count = 0;
};

/// Checks everything in `data` (see docs/runtime.md, "Verification"),
/// hashing the selected code segment always and every other segment unless
/// YAN_BUNDLE_OPEN_SKIP_DATA_HASHES is set. The image is selected for
/// `host` (detectHostCpu() except in tests). With trusted keys, the
/// signature is verified right after the header and every hash is checked
/// (SKIP_DATA_HASHES is refused).
yan_status_t verifyBundle(const uint8_t *data, size_t size, uint32_t flags, const HostCpu &host,
                          VerifiedBundle *out, const TrustedKeys &trust = {});

/// The 64-byte header: magic, versions, and its fields against `size`.
yan_status_t checkHeader(const uint8_t *data, size_t size,
                         yan_bundle_header *out);

/// A signature block's shape (bundles and deltas share it): magic, version,
/// algorithm and zero reserved bytes.
inline bool signatureBlockWellFormed(const yan_signature_block &block) {
  static const uint8_t kZero[sizeof block.reserved] = {};
  return std::memcmp(block.magic, YAN_SIGNATURE_MAGIC, sizeof block.magic) == 0 &&
         block.version == YAN_SIGNATURE_VERSION &&
         block.algorithm == YAN_SIGNATURE_ALG_ED25519 &&
         std::memcmp(block.reserved, kZero, sizeof kZero) == 0;
}

/// Whether a checked header declares a signature block (v2, or v3 with the
/// SIGNED flag).
bool headerIsSigned(const yan_bundle_header &header);

/// NULL when `actual` equals the 32 bytes at `expected`; else HASH_MISMATCH
/// "<what, printf-formatted>: sha256 <actual>, expected <expected>" (hex).
/// Every stored hash of a bundle (TOC, segments) is checked this one way.
yan_status_t checkSha256(const uint8_t *actual, const uint8_t *expected, const char *what,
                         ...) __attribute__((format(printf, 3, 4)));

/// Version 3: the stored TOC hash against the header + FlatBuffer + padding
/// (HASH_MISMATCH); older versions have none.
/// (toc_hash.h has the computation.)
yan_status_t checkTocHash(const uint8_t *data, const yan_bundle_header &header);

/// The verified table of contents against the loaded image's plan
/// (plan_check.cpp): BAD_LAYOUT naming the first field that differs.
yan_status_t checkPlan(const VerifiedBundle &verified, const yan_executable_plan_v4 &plan);

/// Model config sanity (dimensions, decays, slopes) and the state layout.
yan_status_t checkConfig(const fb::Bundle &root, uint64_t *stateFloats);

/// The config against the verified weight table: embed.weight and
/// lm_head.weight are [V, D].
yan_status_t checkModelWeights(const fb::Bundle &root);

} // namespace yan::rt

struct yan_bundle {
  std::atomic<int32_t> references{1};
  yan_allocator_t allocator{};
  yan::rt::FileMapping mapping;  // empty when opened from memory
  const uint8_t *data = nullptr; // the whole bundle
  size_t size = 0;
  // verified.weights is what the code reads: inside the mapping (or the
  // caller's bytes) until a memory bundle first learns, then its private
  // copy (learn_state.cpp).
  yan::rt::VerifiedBundle verified;
  yan::rt::LoadedImage image;
  yan_entry_fn_v3 entries[YAN_ENTRY_COUNT] = {}; // learn slots NULL without learning
  // What was learned (learn steps, deltas); created on first use.
  yan::rt::LearnState *learned = nullptr;
  // Set while a learn / delta call runs: two at once are refused rather than
  // left to corrupt the optimizer state (other misuse is documented only).
  // 1 while a learn or delta call runs. A word, not a bool: RV64 has no
  // byte-wide compare-and-swap, and the runtime links no libatomic.
  std::atomic<uint32_t> learnBusy{0};
  yan::rt::DeltaTrust deltaTrust;
  // What lazy trust has verified so far (weight_trust.h).
  yan::rt::WeightTrust weightTrust;
  // The tokenizer (tokenizer_internal.h), built at open; NULL without one.
  struct yan_tokenizer *tokenizer = nullptr;
};

#endif // YAN_RUNTIME_BUNDLE_INTERNAL_H
