//===- delta_apply.cpp - Verifying and applying a delta -------------------===//
//
// The whole delta is verified before a single weight is written, in an
// order where each check only reads what earlier ones proved in bounds:
// magic, size, version, header size, exact file size, checksum (covers all
// that follows), the binding to this bundle (weight segment hash, config,
// dtype), then every record (layer and partition in range, strictly
// ascending so no duplicates, optimizer, step count, lengths, records
// exactly filling the payload). Then everything a write could need is
// prepared (writable pages, optimizer state), and only then are the bytes
// copied. A bad delta leaves the bundle exactly as it was.
//
//===----------------------------------------------------------------------===//
#include "delta_format.h"
#include "delta_signature.h"
#include "file_mapping.h"
#include "learn_state.h"
#include "status.h"
#include "yan/crypto/sha256.h"

#include "yan/limits.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace yan::rt;

namespace {

using ull = unsigned long long;

// a * b, saturating at UINT64_MAX.
uint64_t mulSat(uint64_t a, uint64_t b) {
  uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}
uint64_t addSat(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

// The largest delta this model can have: every partition trained with
// AdamW. A larger file is refused before it is read.
uint64_t maxDeltaBytes(const LearnState &s, uint64_t weightBytes) {
  uint64_t record = addSat(addSat(sizeof(DeltaRecordHeader), weightBytes),
                           mulSat(6 * sizeof(float), s.sliceFloats));
  return addSat(sizeof(DeltaHeader) + kDeltaChecksumBytes + kDeltaSignatureBlockBytes,
                mulSat(mulSat(static_cast<uint64_t>(s.layers),
                              static_cast<uint64_t>(s.partitions)),
                       record));
}

yan_status_t checkHeader(const yan_bundle_t *bundle, const LearnState &s, const uint8_t *data,
                         size_t size, DeltaHeader *out) {
  if (size >= sizeof kDeltaMagic && std::memcmp(data, kDeltaMagic, sizeof kDeltaMagic) != 0)
    return makeStatus(YAN_STATUS_BAD_MAGIC, "not a yan delta file (magic is not \"YAND\")");
  if (size < sizeof(DeltaHeader) + kDeltaChecksumBytes)
    return makeStatus(YAN_STATUS_TRUNCATED,
                      "delta is truncated: %zu bytes, a delta has at least %zu", size,
                      sizeof(DeltaHeader) + kDeltaChecksumBytes);
  DeltaHeader h;
  std::memcpy(&h, data, sizeof h);
  if (h.version != kDeltaVersion && h.version != kDeltaVersionSigned)
    return makeStatus(YAN_STATUS_UNSUPPORTED_HEADER_VERSION,
                      "delta format version %u, this runtime reads versions %u and %u",
                      h.version, kDeltaVersion, kDeltaVersionSigned);
  if (h.headerSize != sizeof(DeltaHeader))
    return makeStatus(YAN_STATUS_BAD_HEADER, "delta header_size %u, expected %zu",
                      h.headerSize, sizeof(DeltaHeader));
  if (h.fileSize > size)
    return makeStatus(YAN_STATUS_TRUNCATED,
                      "delta is truncated: %zu bytes, its header says %llu", size,
                      ull(h.fileSize));
  if (h.fileSize < size)
    return makeStatus(YAN_STATUS_BAD_HEADER,
                      "delta has %zu bytes, its header says %llu: trailing bytes", size,
                      ull(h.fileSize));
  bool isSigned = h.version == kDeltaVersionSigned;
  if (h.flags != (isSigned ? kDeltaFlagSigned : 0u))
    return makeStatus(YAN_STATUS_BAD_HEADER, "delta version %u: flags 0x%x, expected 0x%x",
                      h.version, h.flags, isSigned ? kDeltaFlagSigned : 0u);
  if (isSigned && size < sizeof(DeltaHeader) + kDeltaChecksumBytes + kDeltaSignatureBlockBytes)
    return makeStatus(YAN_STATUS_TRUNCATED, "signed delta is truncated: %zu bytes", size);
  uint64_t end = deltaChecksumEnd(h);
  // Authenticity before anything past the header is interpreted.
  YAN_RETURN_IF_ERROR(checkDeltaSignature(*bundle, data, isSigned, end));
  // Everything below is covered by the checksum: a flipped bit anywhere is
  // a checksum error, not a misleading "wrong model" or "bad record".
  Sha256Digest actual = Sha256::hash(data, end - kDeltaChecksumBytes);
  if (std::memcmp(actual.data(), data + end - kDeltaChecksumBytes, actual.size()) != 0)
    return makeStatus(YAN_STATUS_HASH_MISMATCH,
                      "delta is corrupt: its SHA-256 checksum does not match its contents");
  const fb::Bundle &root = *bundle->verified.root;
  const fb::ModelConfig &c = *root.config();
  if (std::memcmp(h.baseWeightsSha256,
                  root.segments()->Get(root.weight_segment())->sha256()->bytes()->data(),
                  32) != 0)
    return makeStatus(YAN_STATUS_DELTA_MISMATCH,
                      "the delta was saved from a bundle with other weights (the weight "
                      "segment's SHA-256 differs): it belongs to another base model");
  struct {
    const char *name;
    int64_t delta, bundle;
  } dims[] = {{"num_layers", h.numLayers, c.num_layers()},
              {"num_partitions", h.numPartitions, c.num_partitions()},
              {"partition_size", h.partitionSize, c.partition_size()},
              {"hidden_size", h.hiddenSize, c.hidden_size()},
              {"weight dtype", h.weightDtype, static_cast<int64_t>(s.dtype)}};
  for (const auto &d : dims)
    if (d.delta != d.bundle)
      return makeStatus(YAN_STATUS_DELTA_MISMATCH,
                        "the delta's %s is %lld, the bundle's %lld", d.name,
                        static_cast<long long>(d.delta), static_cast<long long>(d.bundle));
  if (h.recordCount > static_cast<uint64_t>(s.layers) * static_cast<uint64_t>(s.partitions))
    return makeStatus(YAN_STATUS_BAD_HEADER,
                      "delta lists %u partitions; the model has %lld", h.recordCount,
                      static_cast<long long>(s.layers * s.partitions));
  *out = h;
  return nullptr;
}

// One record, at `data + offset` with `left` payload bytes after it.
yan_status_t checkRecord(const LearnState &s, const DeltaRecordHeader &r, uint32_t index,
                         int64_t previous, uint64_t weightBytes, uint64_t left) {
  if (r.layer < 0 || r.layer >= s.layers || r.partition < 0 || r.partition >= s.partitions)
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "delta record %u: partition %d of layer %d is outside the model (%lld "
                      "layers of %lld partitions)", index, r.partition, r.layer,
                      static_cast<long long>(s.layers), static_cast<long long>(s.partitions));
  int64_t key = static_cast<int64_t>(r.layer) * s.partitions + r.partition;
  if (key <= previous)
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "delta record %u: partition %d of layer %d is a duplicate or out of "
                      "(layer, partition) order", index, r.partition, r.layer);
  if (r.optimizer > YAN_OPTIMIZER_ADAMW || r.reserved != 0 || r.steps == 0)
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "delta record %u: optimizer %u, reserved %u, steps %llu (an optimizer, "
                      "0, at least one step)", index, r.optimizer, r.reserved, ull(r.steps));
  bool stateOk = r.optimizer == YAN_OPTIMIZER_ADAMW
                     ? r.stateFloats == 6 * s.sliceFloats
                     : r.stateFloats == 0 || r.stateFloats == 3 * s.sliceFloats;
  if (r.weightBytes != weightBytes || !stateOk)
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "delta record %u: %llu weight bytes and %llu optimizer floats; this "
                      "model's partitions have %llu weight bytes and %s", index,
                      ull(r.weightBytes), ull(r.stateFloats), ull(weightBytes),
                      r.optimizer == YAN_OPTIMIZER_ADAMW ? "6*F*D AdamW floats"
                                                          : "0 or 3*F*D SGD floats");
  // weightBytes and stateFloats are the model's, bounded by the weight
  // segment: no overflow.
  if (r.weightBytes + r.stateFloats * sizeof(float) > left)
    return makeStatus(YAN_STATUS_BAD_LAYOUT, "delta record %u extends past the payload",
                      index);
  return nullptr;
}

struct RecordView {
  DeltaRecordHeader header;
  const uint8_t *weights;
  const uint8_t *state;
};

// Walks every record; calls `visit` for each (after all are verified when
// `visit` applies something: the caller runs a verify-only walk first).
template <typename Visit>
yan_status_t walkRecords(const LearnState &s, const DeltaHeader &h, const uint8_t *data,
                         Visit visit) {
  uint64_t weightBytes = s.learnedPartitionBytes();
  uint64_t offset = sizeof(DeltaHeader);
  uint64_t end = deltaChecksumEnd(h) - kDeltaChecksumBytes;
  int64_t previous = -1;
  for (uint32_t i = 0; i < h.recordCount; ++i) {
    if (end - offset < sizeof(DeltaRecordHeader))
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "delta record %u: its header extends past the payload", i);
    RecordView view;
    std::memcpy(&view.header, data + offset, sizeof view.header);
    offset += sizeof(DeltaRecordHeader);
    YAN_RETURN_IF_ERROR(checkRecord(s, view.header, i, previous, weightBytes, end - offset));
    previous = static_cast<int64_t>(view.header.layer) * s.partitions + view.header.partition;
    view.weights = data + offset;
    view.state = view.weights + view.header.weightBytes;
    offset += view.header.weightBytes + view.header.stateFloats * sizeof(float);
    YAN_RETURN_IF_ERROR(visit(view));
  }
  if (offset != end)
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "delta has %llu bytes after its last record (%u records)",
                      ull(end - offset), h.recordCount);
  return nullptr;
}

// Whether the f32 at `p` is finite: its exponent is not all ones (inf and
// NaN), read bytewise (records are not aligned).
bool finiteAt(const uint8_t *p) {
  uint32_t bits;
  std::memcpy(&bits, p, 4);
  return (bits & 0x7f800000u) != 0x7f800000u;
}

// The values a record would install (the checksum proves only that the
// file is what was written): finite weights and optimizer state, AdamW's
// second moments >= 0 (sqrt of a negative is NaN), and a step count the
// next step can add to without wrapping (AdamW divides by 1 - beta^step,
// which is 0 at a wrapped step 0). Learning refuses non-finite results
// (session_learn.cpp), so a delta holding one did not come from it.
yan_status_t checkRecordValues(const LearnState &s, const RecordView &v) {
  const DeltaRecordHeader &r = v.header;
  if (r.steps >= YAN_LIMIT_OPTIMIZER_STEPS)
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "delta record for partition %d of layer %d: %llu optimizer steps, "
                      "more than %llu", r.partition, r.layer, ull(r.steps),
                      ull(YAN_LIMIT_OPTIMIZER_STEPS - 1));
  // Trained partitions are f32 whatever the stored format.
  for (uint64_t i = 0; i < r.weightBytes / sizeof(float); ++i)
    if (!finiteAt(v.weights + i * sizeof(float)))
      return makeStatus(YAN_STATUS_NON_FINITE,
                        "delta record for partition %d of layer %d: weight element %llu "
                        "(of w1, w3, w2 in order) is not finite", r.partition, r.layer,
                        ull(i));
  uint64_t secondMoments = r.optimizer == YAN_OPTIMIZER_ADAMW ? 3 * s.sliceFloats : UINT64_MAX;
  for (uint64_t i = 0; i < r.stateFloats; ++i) {
    float value;
    std::memcpy(&value, v.state + i * sizeof(float), sizeof value);
    if (!std::isfinite(value) || (i >= secondMoments && value < 0))
      return makeStatus(YAN_STATUS_NON_FINITE,
                        "delta record for partition %d of layer %d: optimizer state float "
                        "%llu is %g (%s)", r.partition, r.layer, ull(i),
                        static_cast<double>(value),
                        i >= secondMoments ? "AdamW's exp_avg_sq must be finite and >= 0"
                                           : "must be finite");
  }
  return nullptr;
}

yan_status_t applyDelta(yan_bundle_t *bundle, const uint8_t *data, size_t size) {
  LearnState *s = nullptr;
  YAN_RETURN_IF_ERROR(learnState(bundle, &s));
  if (s->trained != 0)
    return makeStatus(YAN_STATUS_FAILED_PRECONDITION,
                      "the bundle has already learned (%llu partitions trained): a delta is "
                      "applied only to a fresh bundle", ull(s->trained));
  DeltaHeader h{};
  YAN_RETURN_IF_ERROR(checkHeader(bundle, *s, data, size, &h));
  YAN_RETURN_IF_ERROR(walkRecords(*s, h, data, [&](const RecordView &v) {
    return checkRecordValues(*s, v);
  }));
  // Everything a write needs, before any write.
  yan_status_t status = walkRecords(*s, h, data, [&](const RecordView &v) {
    YAN_RETURN_IF_ERROR(makeWritable(bundle, *s, v.header.layer, v.header.partition));
    return reserveOptimizerState(bundle, *s, s->record(v.header.layer, v.header.partition),
                                 v.header.stateFloats);
  });
  if (status) {
    releaseUntrainedState(bundle, *s);
    return status;
  }
  return walkRecords(*s, h, data, [&](const RecordView &v) -> yan_status_t {
    const uint8_t *from = v.weights;
    size_t sliceBytes = static_cast<size_t>(s->sliceFloats * sizeof(float));
    for (int t = 0; t < kFfnTensors; ++t, from += sliceBytes)
      std::memcpy(learnedWeights(bundle, *s, v.header.layer, t, v.header.partition), from,
                  sliceBytes);
    PartitionRecord &r = s->record(v.header.layer, v.header.partition);
    if (v.header.stateFloats)
      std::memcpy(r.optimizerState, v.state,
                  static_cast<size_t>(v.header.stateFloats * sizeof(float)));
    r.steps = v.header.steps;
    r.optimizer = v.header.optimizer;
    ++s->trained;
    return nullptr;
  });
}

// Reads a whole regular file into memory from the bundle's allocator (the
// delta is verified from this copy: a file changed while we read it cannot
// slip unverified bytes in).
yan_status_t readFile(yan_bundle_t *bundle, const char *path, uint8_t **out, size_t *outSize) {
  int fd = -1;
  uint64_t size = 0;
  YAN_RETURN_IF_ERROR(openRegularFile(path, "delta", &fd, &size));
  LearnState *s = nullptr;
  yan_status_t status = learnState(bundle, &s);
  if (!status && size > maxDeltaBytes(*s, s->learnedPartitionBytes())) {
    char magic[sizeof kDeltaMagic] = {};
    bool isDelta = ::pread(fd, magic, sizeof magic, 0) == sizeof magic &&
                   std::memcmp(magic, kDeltaMagic, sizeof magic) == 0;
    status = isDelta ? makeStatus(YAN_STATUS_BAD_HEADER,
                                  "%llu bytes is more than any delta of this model can have "
                                  "(%llu)", ull(size),
                                  ull(maxDeltaBytes(*s, s->learnedPartitionBytes())))
                     : makeStatus(YAN_STATUS_BAD_MAGIC,
                                  "not a yan delta file (magic is not \"YAND\")");
  }
  uint8_t *buffer = nullptr;
  if (!status) {
    buffer = static_cast<uint8_t *>(bundle->allocator.allocate(
        bundle->allocator.self, static_cast<size_t>(size ? size : 1), 64));
    if (!buffer)
      status = makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                          "cannot allocate %llu bytes to read the delta", ull(size));
  }
  for (uint64_t done = 0; !status && done < size;) {
    ssize_t got = ::read(fd, buffer + done, static_cast<size_t>(size - done));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      status = makeStatus(YAN_STATUS_IO_ERROR, "read failed: %s", std::strerror(errno));
    else if (got == 0)
      size = done; // shrank while we read: verify what we have
    else
      done += static_cast<uint64_t>(got);
  }
  ::close(fd);
  if (status) {
    if (buffer)
      bundle->allocator.free(bundle->allocator.self, buffer);
    return status;
  }
  *out = buffer;
  *outSize = static_cast<size_t>(size);
  return nullptr;
}

} // namespace

extern "C" {

yan_status_t yan_bundle_apply_delta_memory(yan_bundle_t *bundle, const void *data,
                                           size_t size) {
  if (!bundle || (!data && size))
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "yan_bundle_apply_delta_memory: NULL argument");
  LearnGuard guard(bundle);
  YAN_RETURN_IF_ERROR(guard.status("yan_bundle_apply_delta"));
  static const uint8_t kEmpty[1] = {};
  return applyDelta(bundle, data ? static_cast<const uint8_t *>(data) : kEmpty, size);
}

yan_status_t yan_bundle_apply_delta(yan_bundle_t *bundle, const char *path) {
  if (!bundle || !path)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_bundle_apply_delta: NULL argument");
  char prefix[PATH_MAX + 16];
  std::snprintf(prefix, sizeof prefix, "delta '%s'", path);
  LearnGuard guard(bundle);
  YAN_RETURN_IF_ERROR(guard.status("yan_bundle_apply_delta"));
  uint8_t *data = nullptr;
  size_t size = 0;
  YAN_RETURN_IF_ERROR(annotate(readFile(bundle, path, &data, &size), prefix));
  yan_status_t status = applyDelta(bundle, data, size);
  bundle->allocator.free(bundle->allocator.self, data);
  return annotate(status, prefix);
}

} // extern "C"
