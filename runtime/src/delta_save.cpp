//===- delta_save.cpp - yan_bundle_save_delta -----------------------------===//
//
// Streams the trained partitions, in (layer, partition) order, straight from
// the weight segment and the optimizer states into an AtomicFileWriter,
// hashing as it goes: no copy of the delta is ever held in memory, and the
// output is a function of the learned state alone (deterministic).
//
//===----------------------------------------------------------------------===//
#include "atomic_file.h"
#include "delta_format.h"
#include "delta_signature.h"
#include "file_mapping.h"
#include "learn_state.h"
#include "status.h"
#include "yan/crypto/sha256.h"

#include <climits>
#include <cstdio>
#include <cstring>

using namespace yan::rt;

namespace {

// Writes and hashes: the checksum covers what was written before it, a
// signature everything up to and including the checksum.
class HashingWriter {
public:
  explicit HashingWriter(AtomicFileWriter &file) : file_(file) {}
  yan_status_t write(const void *data, size_t size) {
    sha_.update(data, size);
    signed_.update(data, size);
    return file_.write(data, size);
  }
  // The checksum, written and added to the signed hash.
  yan_status_t writeChecksum() {
    Sha256Digest checksum = sha_.finish();
    signed_.update(checksum.data(), checksum.size());
    return file_.write(checksum.data(), checksum.size());
  }
  Sha256Digest signedDigest() { return signed_.finish(); }

private:
  AtomicFileWriter &file_;
  Sha256 sha_, signed_;
};

// `seed`: sign with it (version 2), or NULL (version 1, unsigned).
yan_status_t saveDelta(yan_bundle_t *bundle, const char *path, const uint8_t *seed) {
  LearnState *state = nullptr;
  YAN_RETURN_IF_ERROR(learnState(bundle, &state));
  const fb::Bundle &root = *bundle->verified.root;
  const fb::ModelConfig &c = *root.config();
  // Trained partitions are f32 whatever the stored format; the header's
  // dtype is the base's (part of the binding).
  uint64_t weightBytes = state->learnedPartitionBytes();

  DeltaHeader header{};
  std::memcpy(header.magic, kDeltaMagic, sizeof header.magic);
  header.version = seed ? kDeltaVersionSigned : kDeltaVersion;
  header.flags = seed ? kDeltaFlagSigned : 0;
  header.headerSize = sizeof(DeltaHeader);
  uint64_t fileSize = sizeof(DeltaHeader) + kDeltaChecksumBytes +
                      (seed ? kDeltaSignatureBlockBytes : 0);
  for (int64_t i = 0; i < state->layers * state->partitions; ++i) {
    const PartitionRecord &r = state->records[i];
    if (r.steps == 0)
      continue;
    ++header.recordCount;
    fileSize += sizeof(DeltaRecordHeader) + weightBytes + r.stateFloats * sizeof(float);
  }
  header.fileSize = fileSize;
  std::memcpy(header.baseWeightsSha256,
              root.segments()->Get(root.weight_segment())->sha256()->bytes()->data(), 32);
  header.numLayers = c.num_layers();
  header.numPartitions = c.num_partitions();
  header.partitionSize = c.partition_size();
  header.hiddenSize = c.hidden_size();
  header.weightDtype = static_cast<uint32_t>(state->dtype);

  AtomicFileWriter file;
  YAN_RETURN_IF_ERROR(file.begin(path));
  HashingWriter out(file);
  YAN_RETURN_IF_ERROR(out.write(&header, sizeof header));
  for (int64_t l = 0; l < state->layers; ++l)
    for (int64_t p = 0; p < state->partitions; ++p) {
      const PartitionRecord &r = state->record(l, p);
      if (r.steps == 0)
        continue;
      DeltaRecordHeader record{};
      record.layer = static_cast<int32_t>(l);
      record.partition = static_cast<int32_t>(p);
      record.optimizer = r.optimizer;
      record.steps = r.steps;
      record.weightBytes = weightBytes;
      record.stateFloats = r.stateFloats;
      YAN_RETURN_IF_ERROR(out.write(&record, sizeof record));
      for (int t = 0; t < kFfnTensors; ++t)
        YAN_RETURN_IF_ERROR(out.write(learnedWeights(bundle, *state, l, t, p),
                                      static_cast<size_t>(state->sliceFloats * sizeof(float))));
      if (r.stateFloats)
        YAN_RETURN_IF_ERROR(
            out.write(r.optimizerState, static_cast<size_t>(r.stateFloats * sizeof(float))));
    }
  YAN_RETURN_IF_ERROR(out.writeChecksum());
  if (seed) {
    Sha256Digest digest = out.signedDigest();
    yan_signature_block block;
    if (!signDeltaBlock(seed, fileSize - kDeltaSignatureBlockBytes, digest.data(), &block))
      return makeStatus(YAN_STATUS_INTERNAL, "signing failed (libsodium could not initialize)");
    YAN_RETURN_IF_ERROR(file.write(&block, sizeof block));
  }
  return file.commit();
}

yan_status_t save(yan_bundle_t *bundle, const char *path, const uint8_t *seed,
                  const char *function) {
  if (!bundle || !path)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "%s: NULL argument", function);
  // The rename would replace the bundle in use by a delta (issue 14).
  if (isMappedFile(bundle->mapping, path))
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "saving delta '%s': that is the bundle file in use; refusing to "
                      "replace it", path);
  LearnGuard guard(bundle);
  YAN_RETURN_IF_ERROR(guard.status(function));
  char prefix[PATH_MAX + 32];
  std::snprintf(prefix, sizeof prefix, "saving delta '%s'", path);
  return annotate(saveDelta(bundle, path, seed), prefix);
}

} // namespace

extern "C" yan_status_t yan_bundle_save_delta(yan_bundle_t *bundle, const char *path) {
  return save(bundle, path, nullptr, "yan_bundle_save_delta");
}

extern "C" yan_status_t yan_bundle_save_delta_signed(yan_bundle_t *bundle, const char *path,
                                                     const yan_secret_key_t *key) {
  if (!key)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_bundle_save_delta_signed: NULL key");
  return save(bundle, path, key->seed, "yan_bundle_save_delta_signed");
}
