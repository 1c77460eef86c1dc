//===- fuzz_delta.cpp - libFuzzer harness: delta files ----------------------===//
//
// Input: the bytes of a delta file (yan_bundle_save_delta). The base bundle
// is the seed corpus's micro model (YAN_FUZZ_DELTA_BASE), opened from
// memory; a refused delta must leave it as it was, so it is reused until a
// delta is accepted, then opened afresh. Each input is applied twice:
//   1. as is: almost always refused by the header or checksum checks;
//   2. "fixed up": file size, the binding to the base (weight hash, config)
//      and the checksum rewritten to match, so mutations reach the record
//      checks and the apply path behind the checksum.
// Invariants: a refusal has a message and leaves the bundle exactly as it
// was (weights, learned partitions); an accepted delta, saved again, gives
// back exactly the bytes applied (the format is canonical).
//
//===----------------------------------------------------------------------===//
#include "yan/crypto/sha256.h"
#include "yan/runtime.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

#ifndef YAN_FUZZ_DELTA_BASE
#error "YAN_FUZZ_DELTA_BASE must name the base bundle"
#endif

namespace {

struct Base {
  uint8_t *bytes = nullptr; // 64-byte aligned copy of the bundle
  size_t size = 0;
  std::vector<uint8_t> weights;   // the weight segment
  uint8_t weightsSha256[32] = {};
  int64_t dims[4] = {};           // L, P, F, D as the header stores them
  std::string savePath;
};

void check(bool condition, const char *what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz-delta: invariant violated: %s\n", what);
    std::abort();
  }
}

yan_bundle_t *open(const Base &base) {
  yan_bundle_open_options_t options = {};
  options.flags = YAN_BUNDLE_OPEN_NO_CODE | YAN_BUNDLE_OPEN_SKIP_DATA_HASHES;
  yan_bundle_t *bundle = nullptr;
  yan_status_t status =
      yan_bundle_open_memory(base.bytes, base.size, &options, yan_allocator_system(), &bundle);
  check(status == nullptr, "the base bundle opens");
  return bundle;
}

const uint8_t *weightSegment(yan_bundle_t *bundle, size_t *size) {
  for (size_t i = 0; i < yan_bundle_segment_count(bundle); ++i) {
    yan_segment_info_t s;
    yan_status_free(yan_bundle_segment_info(bundle, i, &s));
    if (s.kind == YAN_SEGMENT_WEIGHTS) {
      *size = s.size;
      return yan_bundle_weight_segment(bundle);
    }
  }
  check(false, "the base has a weight segment");
  return nullptr;
}

const Base &base() {
  static const Base b = [] {
    Base b;
    std::ifstream in(YAN_FUZZ_DELTA_BASE, std::ios::binary);
    std::vector<uint8_t> file(std::istreambuf_iterator<char>(in), {});
    check(!file.empty(), "the base bundle " YAN_FUZZ_DELTA_BASE " is readable");
    check(posix_memalign(reinterpret_cast<void **>(&b.bytes), 64, file.size()) == 0, "memory");
    std::memcpy(b.bytes, file.data(), file.size());
    b.size = file.size();
    yan_bundle_t *bundle = open(b);
    size_t size = 0;
    const uint8_t *weights = weightSegment(bundle, &size);
    b.weights.assign(weights, weights + size);
    for (size_t i = 0; i < yan_bundle_segment_count(bundle); ++i) {
      yan_segment_info_t s;
      yan_status_free(yan_bundle_segment_info(bundle, i, &s));
      if (s.kind == YAN_SEGMENT_WEIGHTS)
        std::memcpy(b.weightsSha256, s.sha256, 32);
    }
    yan_model_config_t c;
    yan_bundle_config(bundle, &c);
    b.dims[0] = c.num_layers;
    b.dims[1] = c.num_partitions;
    b.dims[2] = c.partition_size;
    b.dims[3] = c.hidden_size;
    yan_bundle_release(bundle);
    // Saves are fsync'ed: on tmpfs that costs nothing.
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    b.savePath = std::string(dir) + "/fuzz-delta-" + std::to_string(getpid()) + ".yand";
    return b;
  }();
  return b;
}

// The bundle deltas are applied to: fresh (nothing learned) between
// attempts.
yan_bundle_t *&freshBundle() {
  static yan_bundle_t *bundle = nullptr;
  if (!bundle)
    bundle = open(base());
  return bundle;
}

void attempt(const uint8_t *data, size_t size) {
  const Base &b = base();
  yan_bundle_t *bundle = freshBundle();
  yan_status_t status = yan_bundle_apply_delta_memory(bundle, data, size);
  yan_bundle_learn_info_t info;
  yan_bundle_learn_info(bundle, &info);
  if (status) {
    check(*yan_status_message(status) != '\0', "a refusal has a message");
    yan_status_free(status);
    size_t weightBytes = 0;
    const uint8_t *weights = weightSegment(bundle, &weightBytes);
    check(weightBytes == b.weights.size() &&
              std::memcmp(weights, b.weights.data(), weightBytes) == 0,
          "a refused delta leaves the weights unchanged");
    check(info.trained_partitions == 0, "a refused delta trains nothing");
  } else {
    status = yan_bundle_save_delta(bundle, b.savePath.c_str());
    check(status == nullptr, "an applied delta saves");
    std::ifstream in(b.savePath, std::ios::binary);
    std::vector<uint8_t> saved(std::istreambuf_iterator<char>(in), {});
    // A signed delta (version 2) accepted here (development mode checks its
    // block's shape only) saves back unsigned: byte equality holds for
    // unsigned ones.
    uint32_t version = 0;
    std::memcpy(&version, data + 4, sizeof version);
    if (version == 1)
      check(saved.size() == size && std::memcmp(saved.data(), data, size) == 0,
            "saving an applied delta gives back its bytes");
    unlink(b.savePath.c_str());
    yan_bundle_release(bundle);
    freshBundle() = nullptr;
  }
}

// Header fields (docs/learning.md, "Delta format") made to match the base.
void fixUp(std::vector<uint8_t> &d) {
  const Base &b = base();
  uint64_t size = d.size();
  std::memcpy(&d[16], &size, 8);
  std::memcpy(&d[24], b.weightsSha256, 32);
  std::memcpy(&d[56], b.dims, sizeof b.dims);
  // A signed delta (version 2) ends with a 96-byte signature block after
  // its checksum (development mode checks only the block's shape).
  uint32_t version = 0;
  std::memcpy(&version, &d[4], sizeof version);
  uint64_t end = version == 2 && size >= 96 + 128 ? size - 96 : size;
  yan::rt::Sha256Digest digest = yan::rt::Sha256::hash(d.data(), end - 32);
  std::memcpy(d.data() + end - 32, digest.data(), 32);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // An exact-size copy: ASan sees reads past the end.
  uint8_t *copy = static_cast<uint8_t *>(std::malloc(size ? size : 1));
  if (size)
    std::memcpy(copy, data, size);
  attempt(copy, size);
  std::free(copy);
  if (size >= 128) {
    std::vector<uint8_t> fixed(data, data + size);
    fixUp(fixed);
    attempt(fixed.data(), fixed.size());
  }
  return 0;
}
