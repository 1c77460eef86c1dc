//===- weight_trust.cpp - Lazy trust: weights verified on first use -------===//
#include "weight_trust.h"

#include "bundle_internal.h"
#include "status.h"
#include "yan/crypto/sha256.h"

#include <cstdio>
#include <cstring>

namespace yan::rt {
namespace {

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

const char *const kFfnTensorNames[] = {"w1", "w3", "w2"};

// Whether weight `w` is one of the FFN tensors whose partitions are
// verified one at a time (layers.<l>.ffn.{w1,w3,w2}, in P partitions).
bool isFfnPartitioned(const fb::Bundle &root, const fb::Weight &w) {
  int64_t P = root.config()->num_partitions();
  if (w.num_partitions() != P || P < 2)
    return false;
  long long layer;
  char tensor[3];
  int used = 0;
  if (std::sscanf(w.name()->c_str(), "layers.%lld.ffn.%2s%n", &layer, tensor, &used) != 2 ||
      static_cast<size_t>(used) != w.name()->size())
    return false;
  for (const char *name : kFfnTensorNames)
    if (std::strcmp(tensor, name) == 0)
      return true;
  return false;
}

// Range `p` of weight `i` (bundle.fbs, Weight.range_sha256): from its start
// to the next range's start, the last one to the end of the segment.
yan_status_t checkRange(const yan_bundle_t *bundle, uint32_t i, int64_t p) {
  const fb::Bundle &root = *bundle->verified.root;
  const fb::Weight &w = *root.weights()->Get(i);
  uint64_t begin = i == 0 && p == 0 ? 0 : w.offset() + uint64_t(p) * w.partition_stride();
  uint64_t end;
  if (p + 1 < w.num_partitions())
    end = w.offset() + uint64_t(p + 1) * w.partition_stride();
  else if (i + 1 < root.weights()->size())
    end = root.weights()->Get(i + 1)->offset();
  else
    end = root.segments()->Get(root.weight_segment())->size();
  Sha256Digest actual = Sha256::hash(bundle->verified.weights + begin, end - begin);
  return checkSha256(actual.data(), w.range_sha256()->Get(uint32_t(p))->bytes()->data(),
                     "weight '%s' partition %lld (bytes [%llu, %llu) of the weight segment) "
                     "is corrupt", w.name()->c_str(), static_cast<long long>(p), ull(begin),
                     ull(end));
}

yan_status_t denseLocked(yan_bundle_t *bundle) {
  WeightTrust &trust = bundle->weightTrust;
  if (trust.dense)
    return nullptr;
  const fb::Bundle &root = *bundle->verified.root;
  for (uint32_t i = 0; i < root.weights()->size(); ++i) {
    const fb::Weight &w = *root.weights()->Get(i);
    if (isFfnPartitioned(root, w))
      continue;
    for (int64_t p = 0; p < w.num_partitions(); ++p)
      YAN_RETURN_IF_ERROR(checkRange(bundle, i, p));
  }
  trust.dense = true;
  return nullptr;
}

yan_status_t partitionLocked(yan_bundle_t *bundle, int64_t layer, int64_t partition) {
  WeightTrust &trust = bundle->weightTrust;
  const fb::Bundle &root = *bundle->verified.root;
  const int64_t L = root.config()->num_layers(), P = root.config()->num_partitions();
  if (layer < 0 || layer >= L || partition < 0 || partition >= P)
    return makeStatus(YAN_STATUS_INTERNAL,
                      "the code asked to verify partition %lld of layer %lld: outside the "
                      "model's %lld x %lld", static_cast<long long>(partition),
                      static_cast<long long>(layer), static_cast<long long>(P),
                      static_cast<long long>(L));
  if (!trust.partitions) {
    size_t bytes = static_cast<size_t>(L * P);
    void *memory = bundle->allocator.allocate(bundle->allocator.self, bytes, 8);
    if (!memory)
      return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                        "cannot allocate the partition verification table (%zu bytes)", bytes);
    std::memset(memory, 0, bytes);
    trust.partitions = static_cast<uint8_t *>(memory);
  }
  uint8_t &done = trust.partitions[layer * P + partition];
  if (done)
    return nullptr;
  int found = 0;
  for (uint32_t i = 0; i < root.weights()->size(); ++i) {
    const fb::Weight &w = *root.weights()->Get(i);
    long long l;
    if (!isFfnPartitioned(root, w) ||
        std::sscanf(w.name()->c_str(), "layers.%lld.", &l) != 1 || l != layer)
      continue;
    YAN_RETURN_IF_ERROR(checkRange(bundle, i, partition));
    ++found;
  }
  if (found != 3)
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "cannot verify partition %lld of layer %lld: the weight table has %d "
                      "of layers.%lld.ffn.w1, w3, w2 in %lld partitions",
                      static_cast<long long>(partition), static_cast<long long>(layer), found,
                      static_cast<long long>(layer), static_cast<long long>(P));
  done = 1;
  return nullptr;
}

// Runs `body` under the bundle's lock when the bundle verifies lazily.
template <typename Body> yan_status_t locked(yan_bundle_t *bundle, Body body) {
  if (!bundle->verified.lazyWeights)
    return nullptr;
  pthread_mutex_lock(&bundle->weightTrust.mutex);
  yan_status_t status = body();
  pthread_mutex_unlock(&bundle->weightTrust.mutex);
  return status;
}

} // namespace

yan_status_t checkRangeTable(const fb::Bundle &root, bool *present) {
  uint32_t with = 0, count = root.weights()->size();
  for (uint32_t i = 0; i < count; ++i) {
    const fb::Weight &w = *root.weights()->Get(i);
    if (!w.range_sha256())
      continue;
    ++with;
    if (static_cast<int64_t>(w.range_sha256()->size()) != w.num_partitions())
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "weight '%s' has %u range hashes for %lld partitions",
                        w.name()->c_str(), w.range_sha256()->size(),
                        static_cast<long long>(w.num_partitions()));
  }
  if (with != 0 && with != count)
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "%u of %u weights have range hashes: all or none must", with, count);
  *present = count > 0 && with == count;
  return nullptr;
}

yan_status_t verifyDenseWeights(yan_bundle_t *bundle) {
  return locked(bundle, [&] { return denseLocked(bundle); });
}

yan_status_t verifyPartition(yan_bundle_t *bundle, int64_t layer, int64_t partition) {
  return locked(bundle, [&] { return partitionLocked(bundle, layer, partition); });
}

yan_status_t verifyAllWeights(yan_bundle_t *bundle) {
  const fb::ModelConfig &c = *bundle->verified.root->config();
  return locked(bundle, [&]() -> yan_status_t {
    YAN_RETURN_IF_ERROR(denseLocked(bundle));
    for (int64_t l = 0; l < c.num_layers(); ++l)
      for (int64_t p = 0; p < c.num_partitions(); ++p)
        YAN_RETURN_IF_ERROR(partitionLocked(bundle, l, p));
    return nullptr;
  });
}

yan_status_t verifyWeightSegment(yan_bundle_t *bundle) {
  const fb::Bundle &root = *bundle->verified.root;
  const fb::Segment &s = *root.segments()->Get(root.weight_segment());
  Sha256Digest actual = Sha256::hash(bundle->verified.weights, s.size());
  return checkSha256(actual.data(), s.sha256()->bytes()->data(),
                     "the weight segment (%llu bytes) is corrupt", ull(s.size()));
}

void destroyWeightTrust(yan_bundle_t *bundle) {
  WeightTrust &trust = bundle->weightTrust;
  if (trust.partitions)
    bundle->allocator.free(bundle->allocator.self, trust.partitions);
  trust.partitions = nullptr;
  pthread_mutex_destroy(&trust.mutex);
}

} // namespace yan::rt

extern "C" yan_status_t yan_bundle_verify_weights(yan_bundle_t *bundle) {
  using namespace yan::rt;
  if (!bundle)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_bundle_verify_weights: NULL bundle");
  if (bundle->verified.lazyWeights)
    return verifyAllWeights(bundle);
  // Learned weights differ from the bundle's: what open verified stands.
  if (bundle->verified.dataHashesVerified || bundle->learned)
    return nullptr;
  return verifyWeightSegment(bundle);
}
