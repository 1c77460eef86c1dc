//===- bundle_verify.cpp - Everything checked before a bundle is used -----===//
//
// Order matters: each step only reads what the previous steps proved in
// bounds. Header -> identifier -> FlatBuffers verifier -> schema version ->
// config -> segments -> weights -> learn table -> code images (host
// selection, ABI; learn entries exactly when there is a learn table) -> test
// vectors -> hashes. Code is mapped only after all of this (bundle.cpp).
//
// Tables listing ranges (segments, weights, state) must be in ascending,
// disjoint order — the writer emits them that way — so overlap checks are
// linear and need no allocation.
//
//===----------------------------------------------------------------------===//
#include "bundle_internal.h"
#include "learn_layout.h"
#include "status.h"
#include "yan/crypto/sha256.h"
#include "yan/crypto/signature.h"
#include "yan/crypto/toc_hash.h"
#include "yan/limits.h"
#include "yan/quant_format.h"

#include <cstdio>
#include <cstring>

namespace yan::rt {
namespace {

using ull = unsigned long long;

bool inside(uint64_t offset, uint64_t length, uint64_t total) {
  return offset <= total && length <= total - offset;
}

const char *kindName(fb::SegmentKind kind) {
  switch (kind) {
  case fb::SegmentKind::code: return "code";
  case fb::SegmentKind::weights: return "weights";
  case fb::SegmentKind::test_data: return "test_data";
  }
  return "unknown";
}

yan_status_t checkSegments(const fb::Bundle &root, uint64_t dataBytes) {
  const auto *segments = root.segments();
  if (!segments || segments->size() == 0)
    return makeStatus(YAN_STATUS_BAD_LAYOUT, "bundle has no segments");
  uint64_t end = 0;
  for (uint32_t i = 0; i < segments->size(); ++i) {
    const fb::Segment *s = segments->Get(i);
    if (s->kind() > fb::SegmentKind::MAX)
      return makeStatus(YAN_STATUS_BAD_LAYOUT, "segment %u has unknown kind %u", i,
                        static_cast<unsigned>(s->kind()));
    if (!s->sha256())
      return makeStatus(YAN_STATUS_BAD_LAYOUT, "segment %u has no sha256", i);
    if (s->offset() % YAN_BUNDLE_SEGMENT_ALIGNMENT != 0)
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "segment %u (%s) at offset %llu is not %u-aligned", i,
                        kindName(s->kind()), ull(s->offset()),
                        YAN_BUNDLE_SEGMENT_ALIGNMENT);
    if (!inside(s->offset(), s->size(), dataBytes))
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "segment %u (%s) [%llu, +%llu) extends past the end of the "
                        "file (%llu bytes of segments)",
                        i, kindName(s->kind()), ull(s->offset()), ull(s->size()),
                        ull(dataBytes));
    if (s->offset() < end)
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "segment %u (%s) overlaps the previous segment", i,
                        kindName(s->kind()));
    end = s->offset() + s->size();
  }
  return nullptr;
}

const fb::Segment *segmentOfKind(const fb::Bundle &root, uint32_t index,
                                 fb::SegmentKind kind) {
  if (index >= root.segments()->size())
    return nullptr;
  const fb::Segment *s = root.segments()->Get(index);
  return s->kind() == kind ? s : nullptr;
}

bool quantized(fb::DType dtype) {
  return dtype == fb::DType::int8 || dtype == fb::DType::int4;
}

// The bytes weight `w` spans unpadded, from its shape and dtype: elements x
// element size, or for int8/int4 one slab per [rows, cols] matrix sized by
// the compiler's own formula (yan/quant_format.h). Every product is bounded
// (dims < 2^31, at most 4 of them, at most 2^48 elements), so none overflows.
yan_status_t weightBytes(const fb::Weight &w, const char *name, uint64_t *bytes) {
  const auto &shape = *w.shape();
  uint64_t elements = 1;
  for (int64_t dim : shape) {
    if (dim < 0 || dim > INT32_MAX ||
        (dim > 0 && elements > (uint64_t(1) << 48) / static_cast<uint64_t>(dim)))
      return makeStatus(YAN_STATUS_BAD_LAYOUT, "weight '%s' has an invalid shape", name);
    elements *= static_cast<uint64_t>(dim);
  }
  if (!quantized(w.dtype())) {
    *bytes = elements * dtypeBytes(w.dtype());
    return nullptr;
  }
  uint32_t rank = shape.size();
  if (rank < 2 || elements == 0)
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "weight '%s' is %s but has rank %u or an empty dimension: only "
                      "matrices (rank >= 2) are quantized, never a norm vector",
                      name, fb::EnumNameDType(w.dtype()), rank);
  uint64_t rows = shape.Get(rank - 2), cols = shape.Get(rank - 1);
  yan_quant_slab_t slab =
      yan_quant_slab_layout(w.dtype() == fb::DType::int8 ? 8 : 4, rows, cols);
  *bytes = slab.bytes * (elements / (rows * cols));
  return nullptr;
}

yan_status_t checkWeights(const fb::Bundle &root) {
  const fb::Segment *segment =
      segmentOfKind(root, root.weight_segment(), fb::SegmentKind::weights);
  if (!segment)
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "weight_segment = %u is not a segment of kind weights",
                      root.weight_segment());
  if (!root.weights())
    return makeStatus(YAN_STATUS_BAD_LAYOUT, "bundle has no weight table");
  uint64_t end = 0;
  for (uint32_t i = 0; i < root.weights()->size(); ++i) {
    const fb::Weight *w = root.weights()->Get(i);
    const char *name = w->name() ? w->name()->c_str() : "?";
    if (!w->name() || !w->shape() || w->shape()->size() > YAN_MAX_RANK ||
        w->dtype() > fb::DType::MAX)
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "weight %u ('%s'): missing name/shape, rank > %d or unknown dtype",
                        i, name, YAN_MAX_RANK);
    uint64_t bytes = 0;
    YAN_RETURN_IF_ERROR(weightBytes(*w, name, &bytes));
    int64_t parts = w->num_partitions();
    if (parts < 1 || (parts > 1 && (w->shape()->size() == 0 ||
                                    w->shape()->Get(0) % parts != 0)))
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "weight '%s': %lld partitions do not divide its leading dimension",
                        name, static_cast<long long>(parts));
    if (quantized(w->dtype()) && parts > 1 && w->shape()->size() < 3)
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "weight '%s': a quantized weight's partitions must be whole slabs "
                        "(a [P, rows, cols] weight), not slices of one matrix", name);
    uint64_t partBytes = bytes / static_cast<uint64_t>(parts);
    uint64_t stride = w->partition_stride();
    bool strideOk = parts == 1 ? (stride == bytes || stride == 0)
                               : stride >= partBytes && stride <= (uint64_t(1) << 48);
    if (!strideOk ||
        w->size() != (static_cast<uint64_t>(parts) - 1) * stride + partBytes)
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "weight '%s': size %llu does not match its shape, dtype (%s) and "
                        "partitions (%llu bytes, %lld partitions, stride %llu)",
                        name, ull(w->size()), fb::EnumNameDType(w->dtype()), ull(bytes),
                        static_cast<long long>(parts), ull(stride));
    if (w->offset() % YAN_BUNDLE_WEIGHT_ALIGNMENT != 0 ||
        !inside(w->offset(), w->size(), segment->size()) || w->offset() < end)
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "weight '%s' [%llu, +%llu) is misaligned, outside the weight "
                        "segment (%llu bytes) or overlaps the previous weight",
                        name, ull(w->offset()), ull(w->size()), ull(segment->size()));
    end = w->offset() + w->size();
  }
  return nullptr;
}

const char *entryName(uint32_t index) {
  static const char *const kNames[YAN_ENTRY_COUNT] = {"prefill", "decode", "learn",
                                                      "learn_apply"};
  return index < YAN_ENTRY_COUNT ? kNames[index] : "?";
}

// Checks an image's entry points (for images of our ABI version) and
// records max_tokens / arena_bytes by entry index. Prefill and decode are
// always there; the learn entries exactly when the bundle has a learn table.
yan_status_t checkEntries(const fb::CodeImage &image, uint32_t imageIndex, bool learn,
                          VerifiedBundle *out) {
  bool seen[YAN_ENTRY_COUNT] = {};
  for (const fb::EntryPoint *entry : *image.entries()) {
    uint32_t index = entry->index();
    const char *name = entry->name() ? entry->name()->c_str() : "?";
    if (!entry->name() || index >= YAN_ENTRY_COUNT || seen[index])
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "code image %u: entry '%s' has index %u: unnamed, duplicate or "
                        "not below %u", imageIndex, name, index,
                        static_cast<unsigned>(YAN_ENTRY_COUNT));
    bool isLearn = index == YAN_ENTRY_LEARN || index == YAN_ENTRY_LEARN_APPLY;
    if (isLearn && !learn)
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "code image %u declares entry '%s' (%u) but the bundle has no "
                        "learn table", imageIndex, name, index);
    // LEARN's sample has at least 2 tokens (one input, one target).
    if (entry->max_tokens() < (index == YAN_ENTRY_LEARN ? 2 : 1) ||
        entry->max_tokens() > YAN_LIMIT_MAX_TOKENS ||
        (index == YAN_ENTRY_DECODE && entry->max_tokens() != 1))
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "code image %u: entry '%s': max_tokens = %lld is out of range",
                        imageIndex, name, static_cast<long long>(entry->max_tokens()));
    if (entry->arena_bytes() > YAN_LIMIT_MAX_ARENA_BYTES)
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "code image %u: entry '%s': arena of %llu bytes is too large",
                        imageIndex, name, ull(entry->arena_bytes()));
    seen[index] = true;
    out->maxTokens[index] = entry->max_tokens();
    out->arenaBytes[index] = entry->arena_bytes();
  }
  for (uint32_t i = 0; i < YAN_ENTRY_COUNT; ++i)
    if (!seen[i] && (learn || i < YAN_ENTRY_LEARN))
      return makeStatus(YAN_STATUS_BAD_LAYOUT, "code image %u lacks entry point %u (%s)%s",
                        imageIndex, i, entryName(i),
                        i >= YAN_ENTRY_LEARN ? ", which a bundle with a learn table needs"
                                             : "");
  return nullptr;
}

// Counts the names of a comma-separated list (how demanding an image is).
uint32_t countNames(const char *list) {
  uint32_t n = 0;
  for (const char *p = list; *p; ++p)
    if (*p != ',' && (p == list || p[-1] == ','))
      ++n;
  return n;
}

// Checks every image and picks, among those for this architecture with our
// ABI whose required CPU features `host` has, the one requiring the most
// features (the most capable code; ties go to the earlier image). With
// `needImage` false (YAN_BUNDLE_OPEN_NO_CODE) having none is not an error.
yan_status_t selectImage(const fb::Bundle &root, const HostCpu &host, bool needImage,
                         VerifiedBundle *out) {
  const auto *images = root.code_images();
  if (!images || images->size() == 0)
    return makeStatus(YAN_STATUS_BAD_LAYOUT, "bundle has no code images");
  char available[128] = "";
  char rejected[512] = ""; // why each image for this arch does not fit
  bool hostSeen = false, abiSeen = false;
  uint32_t otherAbi = 0;
  uint32_t selected = kNoImage, selectedScore = 0;
  VerifiedBundle scratch; // entries are checked for every image
  for (uint32_t i = 0; i < images->size(); ++i) {
    const fb::CodeImage *image = images->Get(i);
    if (!segmentOfKind(root, image->segment(), fb::SegmentKind::code))
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "code image %u: segment %u is not a code segment", i,
                        image->segment());
    if (!image->entries() || !image->triple())
      return makeStatus(YAN_STATUS_BAD_LAYOUT, "code image %u has no triple or entries", i);
    // Arch values beyond our enum (a newer writer's) name no host: compare
    // as integers (an out-of-range yan_arch_t would be undefined behaviour).
    uint8_t archValue = static_cast<uint8_t>(image->arch());
    const char *arch = archValue <= YAN_ARCH_RISCV64
                           ? yan_arch_name(static_cast<yan_arch_t>(archValue))
                           : "unknown";
    size_t used = std::strlen(available);
    std::snprintf(available + used, sizeof(available) - used, "%s%s", used ? ", " : "",
                  arch);
    bool ours = image->abi_version() == YAN_EXECUTABLE_ABI_VERSION;
    if (ours)
      YAN_RETURN_IF_ERROR(checkEntries(*image, i, root.learn() != nullptr, &scratch));
    if (archValue != static_cast<uint8_t>(host.arch))
      continue;
    hostSeen = true;
    if (!ours) {
      otherAbi = image->abi_version();
      continue;
    }
    abiSeen = true;
    const char *required = image->required_features() ? image->required_features()->c_str() : "";
    char why[384];
    if (!meetsRequirements(host, required, why, sizeof why)) {
      used = std::strlen(rejected);
      std::snprintf(rejected + used, sizeof(rejected) - used, "%simage %u (cpu '%s') %s",
                    used ? "; " : "", i, image->cpu() ? image->cpu()->c_str() : "", why);
      continue;
    }
    uint32_t score = countNames(required);
    if (selected == kNoImage || score > selectedScore) {
      selected = i;
      selectedScore = score;
    }
  }
  out->selectedImage = selected;
  if (selected != kNoImage)
    return checkEntries(*images->Get(selected), selected, root.learn() != nullptr, out);
  if (!needImage)
    return nullptr;
  if (!hostSeen)
    return makeStatus(YAN_STATUS_NO_IMAGE_FOR_HOST,
                      "bundle has no code for this host (%s); it has code for: %s",
                      yan_arch_name(host.arch), available);
  if (abiSeen)
    return makeStatus(YAN_STATUS_UNSUPPORTED_CPU,
                      "no %s code image in this bundle runs on this CPU: %s",
                      yan_arch_name(host.arch), rejected);
  return makeStatus(YAN_STATUS_UNSUPPORTED_ABI_VERSION,
                    "bundle's %s code image uses executable ABI version %u, this "
                    "runtime supports version %u",
                    yan_arch_name(host.arch), otherAbi, YAN_EXECUTABLE_ABI_VERSION);
}

// Inline floats or a test_data slice of exactly `floats` floats.
yan_status_t checkFloatData(const fb::Bundle &root, const fb::FloatData *data,
                            uint64_t floats, const char *what, uint32_t vector) {
  if (data->values() && data->slice())
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "test vector %u: %s is both inline and in a segment", vector, what);
  uint64_t bytes = 0;
  if (data->values()) {
    bytes = uint64_t(data->values()->size()) * 4;
  } else if (const fb::SegmentSlice *slice = data->slice()) {
    const fb::Segment *s = segmentOfKind(root, slice->segment(), fb::SegmentKind::test_data);
    if (!s || slice->offset() % 4 != 0 || !inside(slice->offset(), slice->size(), s->size()))
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "test vector %u: %s slice is not inside a test_data segment",
                        vector, what);
    bytes = slice->size();
  }
  if (bytes / 4 != floats || bytes % 4 != 0)
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "test vector %u: %s holds %llu bytes, expected %llu floats", vector,
                      what, ull(bytes), ull(floats));
  return nullptr;
}

yan_status_t checkTestVectors(const fb::Bundle &root, uint64_t stateFloats) {
  if (!root.test_vectors())
    return nullptr;
  int64_t vocab = root.config()->vocab_size();
  for (uint32_t i = 0; i < root.test_vectors()->size(); ++i) {
    const fb::TestVector *t = root.test_vectors()->Get(i);
    if (!t->prompt() || t->prompt()->size() == 0 || !t->expected_logits())
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "test vector %u has no prompt or no expected logits", i);
    for (const auto *tokens : {t->prompt(), t->generated()})
      if (tokens)
        for (int32_t token : *tokens)
          if (token < 0 || token >= vocab)
            return makeStatus(YAN_STATUS_BAD_LAYOUT,
                              "test vector %u has token %d outside [0, %lld)", i, token,
                              static_cast<long long>(vocab));
    if (t->next_token() < -1 || t->next_token() >= vocab)
      return makeStatus(YAN_STATUS_BAD_LAYOUT, "test vector %u: next_token %d out of range",
                        i, t->next_token());
    uint64_t rows = t->prompt()->size() + (t->generated() ? t->generated()->size() : 0);
    YAN_RETURN_IF_ERROR(checkFloatData(root, t->expected_logits(),
                                       rows * static_cast<uint64_t>(vocab),
                                       "expected_logits", i));
    if (t->prefill_state())
      YAN_RETURN_IF_ERROR(
          checkFloatData(root, t->prefill_state(), stateFloats, "prefill_state", i));
    if (t->final_state())
      YAN_RETURN_IF_ERROR(
          checkFloatData(root, t->final_state(), stateFloats, "final_state", i));
  }
  return nullptr;
}

yan_status_t checkHash(const fb::Bundle &root, const uint8_t *segmentBase,
                       uint32_t index) {
  const fb::Segment *s = root.segments()->Get(index);
  Sha256Digest actual = Sha256::hash(segmentBase + s->offset(), s->size());
  return checkSha256(actual.data(), s->sha256()->bytes()->data(),
                     "segment %u (%s, %llu bytes) is corrupt", index, kindName(s->kind()),
                     ull(s->size()));
}

// Bytes no hash covers must be zero: between the FlatBuffer and the first
// segment (covered by the signature too), between segments, and after the
// last one. Each gap is shorter than the 16 KiB segment alignment.
yan_status_t checkZero(const uint8_t *begin, uint64_t length, uint64_t fileOffset,
                       const char *where) {
  for (uint64_t i = 0; i < length; ++i)
    if (begin[i] != 0)
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "non-zero byte 0x%02x at file offset %llu in the padding %s",
                        begin[i], ull(fileOffset + i), where);
  return nullptr;
}

yan_status_t checkPadding(const fb::Bundle &root, const uint8_t *data,
                          const yan_bundle_header &header, uint64_t dataBytes) {
  // Up to the TOC hash (version 3) or the segments (older versions).
  uint64_t fbEnd = header.flatbuffer_offset + header.flatbuffer_size;
  YAN_RETURN_IF_ERROR(checkZero(data + fbEnd, tocHashedBytes(header) - fbEnd, fbEnd,
                                "after the table of contents"));
  const uint8_t *base = data + header.segment_base_offset;
  uint64_t end = 0;
  for (uint32_t i = 0; i <= root.segments()->size(); ++i) {
    uint64_t next = i < root.segments()->size() ? root.segments()->Get(i)->offset() : dataBytes;
    if (next - end >= YAN_BUNDLE_SEGMENT_ALIGNMENT + (i == root.segments()->size() ? YAN_SIGNATURE_ALIGNMENT : 0))
      return makeStatus(YAN_STATUS_BAD_LAYOUT,
                        "%llu bytes between segments at file offset %llu: more than "
                        "alignment padding", ull(next - end),
                        ull(header.segment_base_offset + end));
    YAN_RETURN_IF_ERROR(checkZero(base + end, next - end, header.segment_base_offset + end,
                                  i < root.segments()->size() ? "before a segment"
                                                              : "after the last segment"));
    if (i < root.segments()->size())
      end = next + root.segments()->Get(i)->size();
  }
  return nullptr;
}

// The signature block's shape (any mode) and, with trusted keys, the
// signature over the header + FlatBuffer (before either is interpreted
// beyond the header's ranges).
yan_status_t checkSignature(const uint8_t *data, const yan_bundle_header &header,
                            const TrustedKeys &trust, VerifiedBundle *out) {
  if (!headerIsSigned(header)) {
    if (trust.count)
      return makeStatus(YAN_STATUS_UNSIGNED,
                        "bundle is not signed, and %u trusted key%s given: only bundles "
                        "signed by a trusted key are accepted (sign with yanc --sign-key)",
                        trust.count, trust.count == 1 ? " was" : "s were");
    return nullptr;
  }
  yan_signature_block block;
  std::memcpy(&block, data + header.signature_offset, sizeof block);
  if (!signatureBlockWellFormed(block))
    return makeStatus(YAN_STATUS_BAD_SIGNATURE,
                      "signature block at %llu is malformed (magic, version %u, algorithm "
                      "%u or reserved bytes)",
                      ull(header.signature_offset), block.version, block.algorithm);
  out->isSigned = true;
  std::memcpy(out->keyId, block.key_id, sizeof out->keyId);
  if (!trust.count)
    return nullptr;
  char id[17];
  keyIdHex(block.key_id, id);
  SignatureMessage message =
      signatureMessage(YAN_BUNDLE_SIGNATURE_DOMAIN, data, header.segment_base_offset);
  bool known = false;
  for (uint32_t k = 0; k < trust.count; ++k) {
    uint8_t candidate[8];
    keyId(trust.keys[k].bytes, candidate);
    if (std::memcmp(candidate, block.key_id, sizeof candidate) != 0)
      continue;
    known = true;
    if (ed25519Verify(block.signature, message.bytes, message.size, trust.keys[k].bytes)) {
      out->signatureVerified = true;
      return nullptr;
    }
  }
  if (!known)
    return makeStatus(YAN_STATUS_UNTRUSTED_KEY,
                      "bundle is signed by key %s, which is not among the %u trusted key%s",
                      id, trust.count, trust.count == 1 ? "" : "s");
  return makeStatus(YAN_STATUS_BAD_SIGNATURE,
                    "the signature by key %s does not verify: the header, table of "
                    "contents or signature was modified after signing", id);
}

// What a session will allocate (state, the largest arena of any image,
// routing counters) and what a caller allocates per token (a logits row of
// V floats) must be justified by the file: yan_session_budget_bytes
// (yan/limits.h, which yanc checks too). Real bundles stay far below (a
// 4096-token prefill arena of the tiny model is 7x its file); a hostile
// 1 MiB file cannot make the runtime ask for terabytes.
yan_status_t checkSessionBudget(const fb::Bundle &root, uint64_t fileSize,
                                uint64_t stateFloats) {
  uint64_t budget = yan_session_budget_bytes(fileSize);
  const fb::ModelConfig &c = *root.config();
  auto tooLarge = [&](yan_status_code_t code, const char *what, uint64_t bytes) {
    return makeStatus(code,
                      "%s of %llu bytes is more than this %llu-byte bundle can justify "
                      "(at most %llu: max(64 MiB, 64 x the file size))",
                      what, ull(bytes), ull(fileSize), ull(budget));
  };
  // Dimensions are below 2^31 (config_check.cpp): no product overflows.
  if (uint64_t(c.vocab_size()) * 4 > budget)
    return tooLarge(YAN_STATUS_BAD_CONFIG, "a logits row (vocab_size floats)",
                    uint64_t(c.vocab_size()) * 4);
  if (stateFloats * 4 > budget)
    return tooLarge(YAN_STATUS_BAD_CONFIG, "the session state", stateFloats * 4);
  // 2 x 8 bytes of routing counters and the lazy-trust verified map's byte
  // per (layer, partition).
  uint64_t counters = 17 * uint64_t(c.num_layers()) * uint64_t(c.num_partitions()) + 1;
  if (counters > budget)
    return tooLarge(YAN_STATUS_BAD_CONFIG, "the routing counters (L x P)", counters);
  for (const fb::CodeImage *image : *root.code_images())
    for (const fb::EntryPoint *entry : *image->entries()) {
      if (entry->arena_bytes() > budget ||
          stateFloats * 4 + entry->arena_bytes() + counters > budget)
        return tooLarge(YAN_STATUS_BAD_LAYOUT, "a session (state + arena + counters)",
                        stateFloats * 4 + entry->arena_bytes() + counters);
      // LEARN also gets (max_tokens - 1) rows of logits (max_tokens < 2^24
      // and V < 2^31 were checked: no overflow).
      if (entry->index() == YAN_ENTRY_LEARN) {
        uint64_t logits = uint64_t(entry->max_tokens() - 1) * uint64_t(c.vocab_size()) * 4;
        if (logits > budget || entry->arena_bytes() + logits > budget)
          return tooLarge(YAN_STATUS_BAD_LAYOUT, "the learn memory (arena + logits)",
                          entry->arena_bytes() + logits);
      }
    }
  return nullptr;
}

} // namespace

yan_status_t verifyBundle(const uint8_t *data, size_t size, uint32_t flags, const HostCpu &host,
                          VerifiedBundle *out, const TrustedKeys &trust) {
  if (trust.count && (flags & YAN_BUNDLE_OPEN_SKIP_DATA_HASHES))
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "YAN_BUNDLE_OPEN_SKIP_DATA_HASHES cannot be combined with trusted "
                      "keys: a signature is only as good as the hashes of every segment");
  if (trust.count && !trust.keys)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "trusted_key_count > 0 but no keys");
  yan_bundle_header header;
  YAN_RETURN_IF_ERROR(checkHeader(data, size, &header));
  // Authenticity first: in trusted mode nothing past the header is
  // interpreted before the signature over it has verified.
  YAN_RETURN_IF_ERROR(checkSignature(data, header, trust, out));
  // Integrity in every mode: development mode has no signature, so without
  // this one flipped bit in the FlatBuffer could change what the runtime
  // allocates or how many tokens it hands the code (issue 14). Checked
  // before the FlatBuffer is interpreted; the semantic checks below do not
  // rely on it (older bundles have no TOC hash).
  YAN_RETURN_IF_ERROR(checkTocHash(data, header));

  const uint8_t *fbData = data + header.flatbuffer_offset;
  size_t fbSize = static_cast<size_t>(header.flatbuffer_size);
  if (!fb::BundleBufferHasIdentifier(fbData)) {
    char id[5] = {};
    for (int i = 0; i < 4; ++i) {
      char c = static_cast<char>(fbData[4 + i]);
      id[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return makeStatus(YAN_STATUS_BAD_IDENTIFIER,
                      "bundle FlatBuffer has file identifier \"%s\", expected \"%s\"", id,
                      fb::BundleIdentifier());
  }
  // Table count bounded by size (each table is >= 4 bytes), not by a fixed
  // limit, so models with many layers verify.
  flatbuffers::Verifier verifier(fbData, fbSize, /*max_depth=*/16,
                                 /*max_tables=*/static_cast<flatbuffers::uoffset_t>(
                                     fbSize / 4 + 16));
  if (!fb::VerifyBundleBuffer(verifier))
    return makeStatus(YAN_STATUS_BAD_FLATBUFFER,
                      "bundle FlatBuffer (%zu bytes) failed verification: corrupt "
                      "table of contents", fbSize);
  const fb::Bundle &root = *fb::GetBundle(fbData);
  if (root.schema_version() != YAN_BUNDLE_SCHEMA_VERSION)
    return makeStatus(YAN_STATUS_UNSUPPORTED_SCHEMA_VERSION,
                      "bundle schema version %u, this runtime reads version %u",
                      root.schema_version(), YAN_BUNDLE_SCHEMA_VERSION);

  uint64_t stateFloats = 0;
  YAN_RETURN_IF_ERROR(checkConfig(root, &stateFloats));
  const uint8_t *segmentBase = data + header.segment_base_offset;
  uint64_t dataEnd =
      out->isSigned ? header.signature_offset : header.file_size;
  YAN_RETURN_IF_ERROR(checkSegments(root, dataEnd - header.segment_base_offset));
  YAN_RETURN_IF_ERROR(checkPadding(root, data, header, dataEnd - header.segment_base_offset));
  YAN_RETURN_IF_ERROR(checkWeights(root));
  bool rangeHashes = false;
  YAN_RETURN_IF_ERROR(checkRangeTable(root, &rangeHashes));
  YAN_RETURN_IF_ERROR(checkModelWeights(root));
  YAN_RETURN_IF_ERROR(checkLearn(root));
  YAN_RETURN_IF_ERROR(selectImage(root, host, !(flags & YAN_BUNDLE_OPEN_NO_CODE), out));
  YAN_RETURN_IF_ERROR(checkTestVectors(root, stateFloats));
  YAN_RETURN_IF_ERROR(checkSessionBudget(root, header.file_size, stateFloats));

  // The code we will execute is always hashed; the rest unless skipped.
  // Trusted mode hashes the weights lazily when the signed table of
  // contents has their range hashes (weight_trust.h): opening a large model
  // then reads none of its weights.
  bool lazy = trust.count > 0 && rangeHashes;
  uint32_t codeSegment = kNoImage;
  if (out->selectedImage != kNoImage) {
    codeSegment = root.code_images()->Get(out->selectedImage)->segment();
    YAN_RETURN_IF_ERROR(checkHash(root, segmentBase, codeSegment));
  }
  bool all = !(flags & YAN_BUNDLE_OPEN_SKIP_DATA_HASHES);
  if (all)
    for (uint32_t i = 0; i < root.segments()->size(); ++i)
      if (i != codeSegment && !(lazy && i == root.weight_segment()))
        YAN_RETURN_IF_ERROR(checkHash(root, segmentBase, i));

  out->root = &root;
  out->segmentBase = segmentBase;
  out->weights = segmentBase + root.segments()->Get(root.weight_segment())->offset();
  out->stateFloats = stateFloats;
  out->learnPartitions = root.learn() ? root.learn()->learn_partitions() : 0;
  out->dataHashesVerified = all;
  out->lazyWeights = lazy;
  return nullptr;
}

} // namespace yan::rt
