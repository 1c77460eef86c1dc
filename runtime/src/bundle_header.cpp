//===- bundle_header.cpp - The fixed 64-byte header -----------------------===//
//
// Checked first and on its own, so a file that is not a bundle at all, or one
// cut short, gets a precise status before anything reads further.
//
//===----------------------------------------------------------------------===//
#include "bundle_internal.h"
#include "status.h"
#include "yan/crypto/toc_hash.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace yan::rt {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "bundles are little-endian; big-endian hosts are not supported");

yan_status_t checkHeader(const uint8_t *data, size_t size, yan_bundle_header *out) {
  if (size < YAN_BUNDLE_HEADER_SIZE)
    return makeStatus(YAN_STATUS_TRUNCATED,
                      "bundle is %zu bytes, shorter than its %u-byte header",
                      size, YAN_BUNDLE_HEADER_SIZE);
  yan_bundle_header h;
  std::memcpy(&h, data, sizeof(h));
  if (std::memcmp(h.magic, YAN_BUNDLE_MAGIC, sizeof(h.magic)) != 0)
    return makeStatus(YAN_STATUS_BAD_MAGIC,
                      "not a yan bundle: the file does not start with \"%s\"",
                      YAN_BUNDLE_MAGIC);
  if (h.header_version != YAN_BUNDLE_HEADER_VERSION_UNSIGNED &&
      h.header_version != YAN_BUNDLE_HEADER_VERSION_SIGNED &&
      h.header_version != YAN_BUNDLE_HEADER_VERSION)
    return makeStatus(YAN_STATUS_UNSUPPORTED_HEADER_VERSION,
                      "bundle header version %u, this runtime reads versions %u to %u",
                      h.header_version, YAN_BUNDLE_HEADER_VERSION_UNSIGNED,
                      YAN_BUNDLE_HEADER_VERSION);
  auto ull = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  // Truncation first: a short file is the most common damage and should be
  // named as such, not as whichever field happens to point past the end.
  if (h.file_size > size)
    return makeStatus(YAN_STATUS_TRUNCATED,
                      "bundle is truncated: %zu bytes, the header says %llu",
                      size, ull(h.file_size));
  if (h.file_size < size)
    return makeStatus(YAN_STATUS_BAD_HEADER,
                      "bundle has %llu trailing bytes after the %llu its header declares",
                      ull(size - h.file_size), ull(h.file_size));
  if (h.header_size != YAN_BUNDLE_HEADER_SIZE)
    return makeStatus(YAN_STATUS_BAD_HEADER, "bundle header: size %u, expected %u",
                      h.header_size, YAN_BUNDLE_HEADER_SIZE);
  // Version 1: no signature fields. Version 2: signed, the signature block
  // exactly at the end of the file. Version 3: the TOC hash flag, and
  // optionally signed. Exact flag values, so that no single flipped bit
  // turns a version 3 header into a valid older one.
  bool isSigned = headerIsSigned(h);
  uint32_t expectedFlags =
      h.header_version == YAN_BUNDLE_HEADER_VERSION_UNSIGNED ? 0u
      : h.header_version == YAN_BUNDLE_HEADER_VERSION_SIGNED
          ? YAN_BUNDLE_FLAG_SIGNED
          : YAN_BUNDLE_FLAG_TOC_HASH | (isSigned ? YAN_BUNDLE_FLAG_SIGNED : 0u);
  if (h.flags != expectedFlags || (!isSigned && h.signature_offset != 0))
    return makeStatus(YAN_STATUS_BAD_HEADER,
                      "bundle header version %u: flags 0x%x and signature_offset %llu "
                      "(expected flags 0x%x%s)",
                      h.header_version, h.flags, ull(h.signature_offset), expectedFlags,
                      isSigned ? "" : " and signature_offset 0");
  if (isSigned && (h.signature_offset % YAN_SIGNATURE_ALIGNMENT != 0 ||
                   h.file_size < YAN_SIGNATURE_BLOCK_SIZE ||
                   h.signature_offset != h.file_size - YAN_SIGNATURE_BLOCK_SIZE))
    return makeStatus(YAN_STATUS_BAD_HEADER,
                      "bundle header: signature block at %llu of a %llu-byte file "
                      "(expected a %u-aligned %u-byte block at the end)",
                      ull(h.signature_offset), ull(h.file_size), YAN_SIGNATURE_ALIGNMENT,
                      YAN_SIGNATURE_BLOCK_SIZE);
  if (h.segment_alignment != YAN_BUNDLE_SEGMENT_ALIGNMENT)
    return makeStatus(YAN_STATUS_BAD_HEADER,
                      "bundle header: segment alignment %u, expected %u",
                      h.segment_alignment, YAN_BUNDLE_SEGMENT_ALIGNMENT);
  // The FlatBuffer ends before the segments, and before the TOC hash that
  // precedes them in version 3.
  uint64_t tocEnd = tocHashedBytes(h);
  if (h.flatbuffer_offset < YAN_BUNDLE_HEADER_SIZE || h.flatbuffer_offset % 8 != 0 ||
      h.flatbuffer_size < 8 || h.segment_base_offset < YAN_BUNDLE_SEGMENT_ALIGNMENT ||
      h.flatbuffer_offset > tocEnd || h.flatbuffer_size > tocEnd - h.flatbuffer_offset)
    return makeStatus(YAN_STATUS_BAD_HEADER,
                      "bundle header: FlatBuffer [%llu, +%llu) is not between the "
                      "header and the segments at %llu",
                      ull(h.flatbuffer_offset), ull(h.flatbuffer_size),
                      ull(h.segment_base_offset));
  uint64_t dataEnd = isSigned ? h.signature_offset : h.file_size;
  if (h.segment_base_offset % YAN_BUNDLE_SEGMENT_ALIGNMENT != 0 ||
      h.segment_base_offset > dataEnd)
    return makeStatus(YAN_STATUS_BAD_HEADER,
                      "bundle header: segment base %llu is not %u-aligned inside the file",
                      ull(h.segment_base_offset), YAN_BUNDLE_SEGMENT_ALIGNMENT);
  *out = h;
  return nullptr;
}

bool headerIsSigned(const yan_bundle_header &h) {
  return h.header_version == YAN_BUNDLE_HEADER_VERSION_SIGNED ||
         (h.header_version == YAN_BUNDLE_HEADER_VERSION &&
          (h.flags & YAN_BUNDLE_FLAG_SIGNED) != 0);
}

yan_status_t checkTocHash(const uint8_t *data, const yan_bundle_header &h) {
  if (h.header_version != YAN_BUNDLE_HEADER_VERSION)
    return nullptr; // older bundles have none (bundle_format.h)
  uint64_t hashed = tocHashedBytes(h);
  Sha256Digest actual = tocHash(data, hashed);
  return checkSha256(actual.data(), data + hashed,
                     "the bundle's header and table of contents (the first %llu bytes) are "
                     "corrupt",
                     static_cast<unsigned long long>(hashed));
}

yan_status_t checkSha256(const uint8_t *actual, const uint8_t *expected, const char *what,
                         ...) {
  if (std::memcmp(actual, expected, 32) == 0)
    return nullptr;
  char subject[256];
  va_list args;
  va_start(args, what);
  std::vsnprintf(subject, sizeof subject, what, args);
  va_end(args);
  char want[65], got[65];
  sha256Hex(expected, want);
  sha256Hex(actual, got);
  return makeStatus(YAN_STATUS_HASH_MISMATCH, "%s: sha256 %s, expected %s", subject, got, want);
}

} // namespace yan::rt
