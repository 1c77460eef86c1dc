/*===- bundle_format.h - The fixed layout of a .yanb file -------*- C -*-===//
 *
 * Shared by the writer (compiler/bundle) and the reader (runtime/src).
 *
 *   [0, 64)                      header (below), little-endian
 *   [fb_offset, +fb_size)        FlatBuffer, root yan.fb.Bundle, id "YANB"
 *                                (runtime/schema/bundle.fbs)
 *   [segment_base - 32, segment_base)  version 3: the table-of-contents hash,
 *                                SHA-256 of file[0, segment_base - 32)
 *   [segment_base, data_end)     segments; segment i starts at
 *                                segment_base + segments[i].offset, every start
 *                                a multiple of segment_alignment (16 KiB);
 *                                data_end = signature_offset if signed, else
 *                                file_size; gaps between segments are zero
 *   [signature_offset, file_size) signed bundles only (header version 2,
 *                                YAN_BUNDLE_FLAG_SIGNED): one 96-byte
 *                                yan_signature_block (docs/security.md)
 *
 * 16 KiB covers the page sizes of our targets (4 KiB x86-64/RISC-V, 16 KiB
 * Apple-style AArch64), so a read-only mapping of the file gives each segment
 * page-aligned: weights are used in place, never copied.
 *===----------------------------------------------------------------------===*/
#ifndef YAN_BUNDLE_FORMAT_H
#define YAN_BUNDLE_FORMAT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define YAN_BUNDLE_MAGIC "YANBNDL" /* 8 bytes with the terminating NUL */
/* Version 2 = version 1 plus the signature fields (flags bit
 * YAN_BUNDLE_FLAG_SIGNED, signature_offset). Version 3 = version 2 plus the
 * table-of-contents hash (flags bit YAN_BUNDLE_FLAG_TOC_HASH, always set):
 * the last 32 bytes before the segments hold SHA-256 of everything before
 * them (header, FlatBuffer, padding), so development mode, which has no
 * signature to rely on, still refuses a flipped bit there before it
 * interprets the FlatBuffer. It lives in the padding rather than in the
 * header (all 64 bytes are taken) and is covered by the signature, which
 * hashes [0, segment_base). Writers emit version 3, signed or not; readers
 * accept versions 1 and 2 (bundles of earlier writers: their FlatBuffer is
 * covered only by the semantic checks in development mode). The flag makes
 * a one-bit downgrade impossible: version 3 with a bit flipped reads as 1
 * or 2, whose flags must be 0 or exactly SIGNED. */
#define YAN_BUNDLE_HEADER_VERSION 3u
#define YAN_BUNDLE_HEADER_VERSION_SIGNED 2u
#define YAN_BUNDLE_HEADER_VERSION_UNSIGNED 1u
#define YAN_BUNDLE_FLAG_SIGNED 1u
#define YAN_BUNDLE_FLAG_TOC_HASH 2u
#define YAN_BUNDLE_TOC_HASH_SIZE 32u
#define YAN_BUNDLE_HEADER_SIZE 64u
#define YAN_BUNDLE_SEGMENT_ALIGNMENT 16384u
/* yan.fb.Bundle.schema_version this runtime/writer understands. */
#define YAN_BUNDLE_SCHEMA_VERSION 1u
/* Weights are placed at multiples of this within the weight segment, the
 * alignment generated code may assume for vector loads. */
#define YAN_BUNDLE_WEIGHT_ALIGNMENT 64u

/* The header as stored (all fields little-endian; the struct matches the
 * bytes on little-endian hosts, which are the only ones we support). */
typedef struct yan_bundle_header {
  char magic[8];                /* YAN_BUNDLE_MAGIC including its NUL */
  uint32_t header_version;      /* YAN_BUNDLE_HEADER_VERSION (1 and 2: older) */
  uint32_t header_size;         /* YAN_BUNDLE_HEADER_SIZE */
  uint64_t flatbuffer_offset;   /* >= header_size, multiple of 8 */
  uint64_t flatbuffer_size;
  uint64_t segment_base_offset; /* multiple of segment_alignment, >= FB end
                                   (+ YAN_BUNDLE_TOC_HASH_SIZE in v3) */
  uint64_t file_size;           /* exact size of the whole file */
  uint32_t segment_alignment;   /* YAN_BUNDLE_SEGMENT_ALIGNMENT */
  uint32_t flags;               /* v1: 0; v2: YAN_BUNDLE_FLAG_SIGNED; v3:
                                   TOC_HASH, optionally | SIGNED */
  uint64_t signature_offset;    /* 0 unless signed; signed: the block's offset,
                                   a multiple of YAN_SIGNATURE_ALIGNMENT,
                                   file_size - YAN_SIGNATURE_BLOCK_SIZE */
} yan_bundle_header;

#ifdef __cplusplus
static_assert(sizeof(yan_bundle_header) == YAN_BUNDLE_HEADER_SIZE,
              "bundle header must be 64 bytes");
#else
_Static_assert(sizeof(yan_bundle_header) == YAN_BUNDLE_HEADER_SIZE,
               "bundle header must be 64 bytes");
#endif

/* The signature trailer. The signature is Ed25519 (RFC 8032, pure) over the
 * message
 *     YAN_BUNDLE_SIGNATURE_DOMAIN "\0"        (18 bytes, domain separation)
 *  || u64le(segment_base_offset)
 *  || SHA-256(file[0, segment_base_offset))   header + FlatBuffer + padding
 * The FlatBuffer lists every segment's SHA-256, so the signature covers
 * every segment through it; in trusted mode the runtime checks all of them.
 * The block itself lies after segment_base_offset: it is not covered by the
 * signature (it IS the signature), and its location (header) is. A future
 * container (e.g. a learning delta) reuses the block and the message with
 * its own domain string. */
#define YAN_SIGNATURE_MAGIC "YANSIG1" /* 8 bytes with the NUL */
#define YAN_SIGNATURE_VERSION 1u
#define YAN_SIGNATURE_ALG_ED25519 1u
#define YAN_SIGNATURE_BLOCK_SIZE 96u
#define YAN_SIGNATURE_ALIGNMENT 64u
#define YAN_SIGNATURE_KEY_ID_SIZE 8u
#define YAN_BUNDLE_SIGNATURE_DOMAIN "yan-bundle-sig-v1"

typedef struct yan_signature_block {
  char magic[8];          /* YAN_SIGNATURE_MAGIC including its NUL */
  uint32_t version;       /* YAN_SIGNATURE_VERSION */
  uint32_t algorithm;     /* YAN_SIGNATURE_ALG_ED25519 */
  uint8_t key_id[8];      /* first 8 bytes of SHA-256(32-byte public key) */
  uint8_t reserved[8];    /* 0 */
  uint8_t signature[64];  /* Ed25519 signature of the message above */
} yan_signature_block;

#ifdef __cplusplus
static_assert(sizeof(yan_signature_block) == YAN_SIGNATURE_BLOCK_SIZE,
              "signature block must be 96 bytes");
#else
_Static_assert(sizeof(yan_signature_block) == YAN_SIGNATURE_BLOCK_SIZE,
               "signature block must be 96 bytes");
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* YAN_BUNDLE_FORMAT_H */
