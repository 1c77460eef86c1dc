//===- weight_trust.h - Lazy trust: weights verified on first use -*- C++ -*-===//
//
// In trusted mode a bundle whose table of contents has range hashes
// (bundle.fbs, Weight.range_sha256) is opened without reading its weights:
// the weights outside the FFN partitions are hashed before the first entry
// call, and partition p of layer l (its ranges of layers.l.ffn.w1, w3, w2)
// the first time a token routes to it, when the generated code asks
// (executable_abi.h, `verify`). What a bundle has verified is cached for all
// its sessions under one mutex; a failure is never cached (it is hashed and
// reported again). docs/security.md, "Lazy trust".
//
//===----------------------------------------------------------------------===//
#ifndef YAN_RUNTIME_WEIGHT_TRUST_H
#define YAN_RUNTIME_WEIGHT_TRUST_H

#include "bundle_generated.h"
#include "yan/runtime.h"

#include <cstdint>
#include <pthread.h>

namespace yan::rt {

/// What one bundle has verified lazily (bundle_internal.h holds one).
struct WeightTrust {
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  uint8_t *partitions = nullptr; // [L * P], 1 = verified; allocated on first use
  bool dense = false;            // every weight outside the FFN partitions
};

/// The range table is all or nothing: no weight has range hashes (older
/// bundles), or every weight has exactly num_partitions of them
/// (BAD_LAYOUT). Sets *present.
yan_status_t checkRangeTable(const ::yan::fb::Bundle &root, bool *present);

/// Lazy bundles only (no-ops otherwise): every weight outside the FFN
/// partitions; partition `partition` of layer `layer`; every weight.
/// HASH_MISMATCH naming the weight, partition and byte range.
yan_status_t verifyDenseWeights(yan_bundle_t *bundle);
yan_status_t verifyPartition(yan_bundle_t *bundle, int64_t layer, int64_t partition);
yan_status_t verifyAllWeights(yan_bundle_t *bundle);

/// The whole weight segment against its hash (non-lazy bundles opened with
/// YAN_BUNDLE_OPEN_SKIP_DATA_HASHES).
yan_status_t verifyWeightSegment(yan_bundle_t *bundle);

/// Frees the cache.
void destroyWeightTrust(yan_bundle_t *bundle);

} // namespace yan::rt

#endif // YAN_RUNTIME_WEIGHT_TRUST_H
