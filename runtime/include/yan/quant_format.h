/*===- quant_format.h - The byte size of a quantized weight slab -*- C -*-===//
 *
 * docs/yan-model.md section 9: an int8 or int4 weight is stored as one slab
 * per [rows, cols] matrix (a whole 2-D weight, or one partition of a 3-D
 * ffn weight). A slab is a q plane (rows x ceil(cols / 32) groups, 32 bytes
 * a group for int8, 16 for int4) then an f16 scale plane (one scale per
 * group), each starting at a multiple of 64 bytes. The compiler (yanc's
 * layout and quantizer) and the runtime (its bundle verifier) both size
 * slabs with this one function, so they cannot disagree.
 *===----------------------------------------------------------------------===*/
#ifndef YAN_QUANT_FORMAT_H
#define YAN_QUANT_FORMAT_H

#include <stdint.h>

/* Elements per group along a row. */
#define YAN_QUANT_GROUP_SIZE 32
/* Both planes, and so every slab, start at multiples of this many bytes. */
#define YAN_QUANT_SLAB_ALIGNMENT 64

typedef struct yan_quant_slab_t {
  uint64_t groups;       /* per row: ceil(cols / 32) */
  uint64_t q_row_bytes;  /* q plane row stride: groups x (32 for int8, 16 for int4) */
  uint64_t scale_offset; /* start of the scale plane (f16, row-major [rows, groups]) */
  uint64_t bytes;        /* the whole slab, a multiple of 64 */
} yan_quant_slab_t;

/* The slab of a [rows, cols] matrix whose q's take `q_bits` (8 or 4) bits.
 * rows and cols must be at most 2^31 (then nothing below overflows). */
static inline yan_quant_slab_t yan_quant_slab_layout(unsigned q_bits, uint64_t rows,
                                                     uint64_t cols) {
  const uint64_t align = YAN_QUANT_SLAB_ALIGNMENT;
  yan_quant_slab_t slab;
  slab.groups = (cols + YAN_QUANT_GROUP_SIZE - 1) / YAN_QUANT_GROUP_SIZE;
  slab.q_row_bytes = slab.groups * (YAN_QUANT_GROUP_SIZE * q_bits / 8);
  slab.scale_offset = (rows * slab.q_row_bytes + align - 1) / align * align;
  slab.bytes = (slab.scale_offset + rows * slab.groups * 2 + align - 1) / align * align;
  return slab;
}

#endif /* YAN_QUANT_FORMAT_H */
