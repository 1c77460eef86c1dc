//===- QuantFormats.cpp - int8 / int4 weight storage -----------------------===//
//
// Mirrors docs/yan-model.md, "Quantized weight formats", step for step (and
// test/reference/quant_formats.py, down to the error messages).
//
//===----------------------------------------------------------------------===//

#include "compiler/import/QuantFormats.h"
#include "compiler/import/FloatFormats.h"
#include "yan/quant_format.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <cassert>
#include <cmath>

using namespace llvm;

namespace yan {

StringRef quantFormatName(QuantFormat format) {
  return format == QuantFormat::Int8 ? "int8" : "int4";
}

std::optional<QuantFormat> parseQuantFormat(StringRef name) {
  if (name == "int8")
    return QuantFormat::Int8;
  if (name == "int4")
    return QuantFormat::Int4;
  return std::nullopt;
}

unsigned quantBits(QuantFormat format) { return format == QuantFormat::Int8 ? 8 : 4; }
int quantMin(QuantFormat format) { return format == QuantFormat::Int8 ? -127 : -8; }
int quantMax(QuantFormat format) { return format == QuantFormat::Int8 ? 127 : 7; }

namespace {

/// Bytes of one group's q's: 32 int8, or 16 bytes of two nibbles.
int64_t groupBytes(QuantFormat format) { return format == QuantFormat::Int8 ? 32 : 16; }

/// A group's 32 q's (zeros past the row's end) into the q plane. int4 byte
/// j holds element j in its low nibble and j + 16 in its high one, each as
/// q + 8: an AND and a shift give two runs of 16 elements in order.
void storeGroup(QuantFormat format, const int8_t (&q)[kQuantGroupSize], uint8_t *out) {
  if (format == QuantFormat::Int8) {
    for (int j = 0; j < kQuantGroupSize; ++j)
      out[j] = static_cast<uint8_t>(q[j]);
    return;
  }
  for (int j = 0; j < kQuantGroupSize / 2; ++j)
    out[j] = static_cast<uint8_t>((q[j] + 8) | ((q[j + 16] + 8) << 4));
}

/// std::nearbyint in the default rounding mode (to nearest, ties to even)
/// for |x| <= 2^22, without a libm call: x + 1.5 * 2^23 lies in
/// [2^22 + 2^23, 2^24], whose ulp is 1, so the addition rounds x to an
/// integer and the subtraction is exact. (A plain expression, so the loop
/// over a group vectorizes.)
constexpr float kRoundLimit = 4194304.0f; // 2^22
inline float roundHalfEven(float x) {
  constexpr float kShift = 12582912.0f; // 1.5 * 2^23
  return (x + kShift) - kShift;
}

/// max |row[c]| over [begin, end) of finite values, compared as integers:
/// with the sign bit cleared, a finite float's bits order as its magnitude
/// (an integer max vectorizes; a float max would need -ffinite-math-only).
float maxMagnitude(const float *row, int64_t begin, int64_t end) {
  int32_t most = 0;
  for (int64_t c = begin; c < end; ++c)
    most = std::max(most, static_cast<int32_t>(bit_cast<uint32_t>(row[c]) & 0x7fffffffu));
  return bit_cast<float>(most);
}

Error nonFinite(StringRef where, int64_t row, int64_t col, float value) {
  return createStringError(where + "[" + Twine(row) + "][" + Twine(col) + "] is " +
                           (std::isnan(value) ? "nan" : value > 0 ? "inf" : "-inf") +
                           ": only finite weights can be quantized");
}

/// One group of finite values: its f16 scale bits, and its q's into `q`.
Expected<uint16_t> quantizeGroup(QuantFormat format, StringRef where, const float *row,
                                 int64_t rowIndex, int64_t begin, int64_t end,
                                 int8_t (&q)[kQuantGroupSize]) {
  float amax = maxMagnitude(row, begin, end);
  float quotient = amax / static_cast<float>(quantMax(format)); // one f32 division
  uint16_t bits = floatToHalfBits(quotient);                    // nearest even
  float d = halfBitsToFloat(bits);
  if (std::isinf(d)) {
    std::string value;
    raw_string_ostream(value) << llvm::format("%g", quotient);
    return createStringError(where + "[" + Twine(rowIndex) + "][" + Twine(begin) + ":" +
                             Twine(end) + "]: the " + quantFormatName(format) +
                             " scale max|w|/" + Twine(quantMax(format)) + " = " + value +
                             " does not fit in f16");
  }
  std::fill(std::begin(q), std::end(q), 0);
  if (d == 0.0f) // an all-zero group, or one whose scale underflows f16
    return bits;
  float lo = float(quantMin(format)), hi = float(quantMax(format));
  for (int64_t c = begin; c < end; ++c) {
    // Rounded to nearest, ties to even, then clamped; limiting the ratio to
    // +-2^22 first changes nothing after the clamp (and |w / d| stays below
    // 2 * QMAX anyway: d is max|w| / QMAX rounded to f16, at least 2^-24).
    float ratio = std::min(std::max(row[c] / d, -kRoundLimit), kRoundLimit);
    float rounded = std::min(std::max(roundHalfEven(ratio), lo), hi);
    q[c - begin] = static_cast<int8_t>(rounded);
  }
  return bits;
}

} // namespace

QuantSlabLayout quantSlabLayout(QuantFormat format, int64_t rows, int64_t cols) {
  // The one formula, shared with the runtime's bundle verifier.
  yan_quant_slab_t slab = yan_quant_slab_layout(quantBits(format), rows, cols);
  QuantSlabLayout layout;
  layout.groups = static_cast<int64_t>(slab.groups);
  layout.qRowBytes = static_cast<int64_t>(slab.q_row_bytes);
  layout.scaleOffset = static_cast<int64_t>(slab.scale_offset);
  layout.bytes = static_cast<int64_t>(slab.bytes);
  return layout;
}

Error quantizeSlab(QuantFormat format, StringRef where, ArrayRef<float> values, int64_t rows,
                   int64_t cols, MutableArrayRef<uint8_t> slab) {
  assert(int64_t(slab.size()) == quantSlabLayout(format, rows, cols).bytes);
  std::fill(slab.begin(), slab.end(), 0);
  return quantizeRows(format, where, values, 0, rows, cols, slab);
}

Error quantizeRows(QuantFormat format, StringRef where, ArrayRef<float> values,
                   int64_t firstRow, int64_t rows, int64_t cols,
                   MutableArrayRef<uint8_t> slab) {
  assert(values.size() % cols == 0 && firstRow + int64_t(values.size()) / cols <= rows);
  QuantSlabLayout layout = quantSlabLayout(format, rows, cols);
  assert(int64_t(slab.size()) == layout.bytes);
  int64_t count = int64_t(values.size()) / cols;
  // Every element is checked first, so the first non-finite one is reported
  // even after a group whose scale overflows (as the reference does).
  uint64_t bad = firstNonFinite<uint32_t>(values.data(), count * cols, 0x7f800000u);
  if (bad < uint64_t(count * cols))
    return nonFinite(where, firstRow + bad / cols, bad % cols, values[bad]);
  int8_t q[kQuantGroupSize];
  for (int64_t r = firstRow; r < firstRow + count; ++r) {
    const float *row = values.data() + (r - firstRow) * cols;
    for (int64_t g = 0; g < layout.groups; ++g) {
      int64_t begin = g * kQuantGroupSize;
      int64_t end = std::min(begin + kQuantGroupSize, cols);
      Expected<uint16_t> scale = quantizeGroup(format, where, row, r, begin, end, q);
      if (!scale)
        return scale.takeError();
      storeGroup(format, q, slab.data() + r * layout.qRowBytes + g * groupBytes(format));
      support::endian::write16le(
          slab.data() + layout.scaleOffset + 2 * (r * layout.groups + g), *scale);
    }
  }
  return Error::success();
}

void dequantizeSlab(QuantFormat format, ArrayRef<uint8_t> slab, int64_t rows, int64_t cols,
                    MutableArrayRef<float> values) {
  assert(int64_t(values.size()) == rows * cols &&
         int64_t(slab.size()) >= quantSlabLayout(format, rows, cols).bytes);
  // The one dequantizer, shared with the runtime's tools (yan/quant_format.h).
  for (int64_t r = 0; r < rows; ++r)
    yan_quant_dequantize_row(quantBits(format), slab.data(), rows, cols, r,
                             values.data() + r * cols);
}

Expected<std::vector<uint8_t>> quantizeTensor(QuantFormat format, StringRef name,
                                              ArrayRef<float> values, ArrayRef<int64_t> shape) {
  assert(shape.size() >= 2);
  int64_t rows = shape[shape.size() - 2], cols = shape.back();
  int64_t slabs = 1;
  for (int64_t extent : shape.drop_back(2))
    slabs *= extent;
  assert(int64_t(values.size()) == slabs * rows * cols);
  int64_t slabBytes = quantSlabLayout(format, rows, cols).bytes;
  std::vector<uint8_t> bytes(slabs * slabBytes);
  for (int64_t i = 0; i < slabs; ++i) {
    std::string where = shape.size() > 2 ? (name + "[" + Twine(i) + "]").str() : name.str();
    if (Error error = quantizeSlab(format, where, values.slice(i * rows * cols, rows * cols),
                                   rows, cols,
                                   MutableArrayRef(bytes).slice(i * slabBytes, slabBytes)))
      return std::move(error);
  }
  return bytes;
}

std::vector<float> dequantizeTensor(QuantFormat format, ArrayRef<uint8_t> bytes,
                                    ArrayRef<int64_t> shape) {
  assert(shape.size() >= 2);
  int64_t rows = shape[shape.size() - 2], cols = shape.back();
  int64_t slabBytes = quantSlabLayout(format, rows, cols).bytes;
  int64_t slabs = int64_t(bytes.size()) / slabBytes;
  assert(int64_t(bytes.size()) == slabs * slabBytes);
  std::vector<float> values(slabs * rows * cols);
  for (int64_t i = 0; i < slabs; ++i)
    dequantizeSlab(format, bytes.slice(i * slabBytes, slabBytes), rows, cols,
                   MutableArrayRef(values).slice(i * rows * cols, rows * cols));
  return values;
}

} // namespace yan
