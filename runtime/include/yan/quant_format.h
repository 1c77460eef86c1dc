/*===- quant_format.h - A quantized weight slab's layout and values -*- C -*-===//
 *
 * docs/yan-model.md section 9: an int8 or int4 weight is stored as one slab
 * per [rows, cols] matrix (a whole 2-D weight, or one partition of a 3-D
 * ffn weight). A slab is a q plane (rows x ceil(cols / 32) groups, 32 bytes
 * a group for int8, 16 for int4) then an f16 scale plane (one scale per
 * group), each starting at a multiple of 64 bytes. The compiler (yanc's
 * layout and quantizer) and the runtime (its bundle verifier) both size
 * slabs with this one function, so they cannot disagree; and both read a
 * slab's values (w' = f32(d) * q) with yan_quant_dequantize_row (the
 * compiler's reference dequantizer, yan-run's dump of what the code reads).
 *===----------------------------------------------------------------------===*/
#ifndef YAN_QUANT_FORMAT_H
#define YAN_QUANT_FORMAT_H

#include <stdint.h>
#include <string.h>

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

/* f16 bits -> f32, exactly (a scale d). */
static inline float yan_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  uint32_t bits;
  float f;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else { /* subnormal: normalize */
    uint32_t shift = 0;
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      ++shift;
    }
    bits = sign | ((113u - shift) << 23) | ((mantissa & 0x3ffu) << 13);
  }
  memcpy(&f, &bits, 4);
  return f;
}

/* q of element j (0..31) of one group's q bytes: int8 one signed byte each;
 * int4 byte j % 16 holds element j in its low nibble (j < 16) and j + 16 in
 * its high one, each stored as q + 8. */
static inline int yan_quant_group_q(unsigned q_bits, const uint8_t *group, unsigned j) {
  uint8_t byte;
  if (q_bits == 8)
    return (int8_t)group[j];
  byte = group[j % 16];
  return (j < 16 ? byte & 0x0F : byte >> 4) - 8;
}

/* Row `row` of the [rows, cols] slab at `slab` dequantized into out[cols]:
 * w' = f32(d) * q, d the row's group's f16 scale (little-endian). */
static inline void yan_quant_dequantize_row(unsigned q_bits, const uint8_t *slab, uint64_t rows,
                                            uint64_t cols, uint64_t row, float *out) {
  yan_quant_slab_t layout = yan_quant_slab_layout(q_bits, rows, cols);
  uint64_t group_bytes = YAN_QUANT_GROUP_SIZE * q_bits / 8, g, c;
  for (g = 0; g < layout.groups; ++g) {
    const uint8_t *q = slab + row * layout.q_row_bytes + g * group_bytes;
    const uint8_t *scale = slab + layout.scale_offset + 2 * (row * layout.groups + g);
    float d = yan_f16_to_f32((uint16_t)(scale[0] | (scale[1] << 8)));
    uint64_t begin = g * YAN_QUANT_GROUP_SIZE;
    uint64_t end = begin + YAN_QUANT_GROUP_SIZE < cols ? begin + YAN_QUANT_GROUP_SIZE : cols;
    for (c = begin; c < end; ++c)
      out[c] = d * (float)yan_quant_group_q(q_bits, q, (unsigned)(c - begin));
  }
}

#endif /* YAN_QUANT_FORMAT_H */
