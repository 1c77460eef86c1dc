/*===- bundle_format.h - The fixed layout of a .yanb file -------*- C -*-===//
 *
 * Shared by the writer (compiler/bundle) and the reader (runtime/src).
 *
 *   [0, 64)                      header (below), little-endian
 *   [fb_offset, +fb_size)        FlatBuffer, root yan.fb.Bundle, id "YANB"
 *                                (runtime/schema/bundle.fbs)
 *   [segment_base, file_size)    segments; segment i starts at
 *                                segment_base + segments[i].offset, every start
 *                                a multiple of segment_alignment (16 KiB)
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
#define YAN_BUNDLE_HEADER_VERSION 1u
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
  uint32_t header_version;      /* YAN_BUNDLE_HEADER_VERSION */
  uint32_t header_size;         /* YAN_BUNDLE_HEADER_SIZE */
  uint64_t flatbuffer_offset;   /* >= header_size, multiple of 8 */
  uint64_t flatbuffer_size;
  uint64_t segment_base_offset; /* multiple of segment_alignment, >= FB end */
  uint64_t file_size;           /* exact size of the whole file */
  uint32_t segment_alignment;   /* YAN_BUNDLE_SEGMENT_ALIGNMENT */
  uint32_t flags;               /* 0; reserved */
  uint64_t reserved;            /* 0 */
} yan_bundle_header;

#ifdef __cplusplus
static_assert(sizeof(yan_bundle_header) == YAN_BUNDLE_HEADER_SIZE,
              "bundle header must be 64 bytes");
#else
_Static_assert(sizeof(yan_bundle_header) == YAN_BUNDLE_HEADER_SIZE,
               "bundle header must be 64 bytes");
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* YAN_BUNDLE_FORMAT_H */
