//===- QuantFormatsTest.cpp - int8 / int4 groups, scales and layout -------===//
#include "compiler/import/QuantFormats.h"
#include "compiler/import/FloatFormats.h"
#include "TestSupport.h"

#include "llvm/Support/Endian.h"
#include <cmath>
#include <limits>
#include <random>

namespace yan {
namespace {

using test::errorMessage;

/// One slab of `values` [rows, cols], which must quantize.
std::vector<uint8_t> quantized(QuantFormat format, const std::vector<float> &values,
                               int64_t rows, int64_t cols) {
  std::vector<uint8_t> slab(quantSlabLayout(format, rows, cols).bytes, 0xAA);
  if (llvm::Error error = quantizeSlab(format, "w", values, rows, cols, slab))
    ADD_FAILURE() << llvm::toString(std::move(error));
  return slab;
}

uint16_t scaleBits(QuantFormat format, const std::vector<uint8_t> &slab, int64_t rows,
                   int64_t cols, int64_t row, int64_t group) {
  QuantSlabLayout layout = quantSlabLayout(format, rows, cols);
  return llvm::support::endian::read16le(slab.data() + layout.scaleOffset +
                                         2 * (row * layout.groups + group));
}

std::vector<float> dequantized(QuantFormat format, const std::vector<uint8_t> &slab,
                               int64_t rows, int64_t cols) {
  std::vector<float> values(rows * cols);
  dequantizeSlab(format, slab, rows, cols, values);
  return values;
}

TEST(QuantFormats, SlabLayout) {
  // int8 [3, 70]: 3 groups of 32 bytes a row; 288 bytes of q's, scales at 320.
  QuantSlabLayout int8 = quantSlabLayout(QuantFormat::Int8, 3, 70);
  EXPECT_EQ(int8.groups, 3);
  EXPECT_EQ(int8.qRowBytes, 96);
  EXPECT_EQ(int8.scaleOffset, 320);
  EXPECT_EQ(int8.bytes, 384); // 320 + 18 scale bytes, padded to 64
  QuantSlabLayout int4 = quantSlabLayout(QuantFormat::Int4, 3, 70);
  EXPECT_EQ(int4.qRowBytes, 48);
  EXPECT_EQ(int4.scaleOffset, 192);
  EXPECT_EQ(int4.bytes, 256);
  // yan-mini's w1 partition [128, 256]: 8.5 and 4.5 bits per weight.
  EXPECT_EQ(quantSlabLayout(QuantFormat::Int8, 128, 256).bytes, 128 * 256 + 128 * 8 * 2);
  EXPECT_EQ(quantSlabLayout(QuantFormat::Int4, 128, 256).bytes, 128 * 128 + 128 * 8 * 2);
}

TEST(QuantFormats, RoundsHalfToEven) {
  // amax = 127/16, so d = 1/16 exactly; w = (k + 1/2) d are exact ties.
  float d = 1.0f / 16;
  std::vector<float> row(32, 0.0f);
  std::vector<float> halves = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f, 126.5f};
  for (size_t j = 0; j < halves.size(); ++j)
    row[j] = halves[j] * d;
  row[31] = 127 * d;
  auto slab = quantized(QuantFormat::Int8, row, 1, 32);
  EXPECT_EQ(scaleBits(QuantFormat::Int8, slab, 1, 32, 0, 0), floatToHalfBits(d));
  std::vector<int8_t> expected = {0, 2, 2, 0, -2, -2, 4, 126};
  for (size_t j = 0; j < expected.size(); ++j)
    EXPECT_EQ(int8_t(slab[j]), expected[j]) << "element " << j;
  EXPECT_EQ(int8_t(slab[31]), 127);
  auto back = dequantized(QuantFormat::Int8, slab, 1, 32);
  EXPECT_EQ(back[1], 2 * d);
  EXPECT_EQ(back[31], 127 * d);
}

TEST(QuantFormats, ShortLastGroupHasItsOwnScale) {
  // cols 33: group 1 of each row is one element, scaled by that element alone.
  std::vector<float> values(2 * 33);
  for (int i = 0; i < 66; ++i)
    values[i] = 0.01f * float(i - 20);
  values[32] = -3.0f;
  values[65] = 0.5f;
  for (QuantFormat format : {QuantFormat::Int8, QuantFormat::Int4}) {
    auto slab = quantized(format, values, 2, 33);
    float qmax = float(quantMax(format));
    EXPECT_EQ(scaleBits(format, slab, 2, 33, 0, 1), floatToHalfBits(3.0f / qmax));
    EXPECT_EQ(scaleBits(format, slab, 2, 33, 1, 1), floatToHalfBits(0.5f / qmax));
    // q = +-QMAX exactly; only d's f16 rounding (2^-11 relative) is lost.
    auto back = dequantized(format, slab, 2, 33);
    EXPECT_NEAR(back[32], -3.0f, 3.0f * 0x1p-11f) << quantFormatName(format).str();
    EXPECT_NEAR(back[65], 0.5f, 0.5f * 0x1p-11f) << quantFormatName(format).str();
    QuantSlabLayout layout = quantSlabLayout(format, 2, 33);
    // The 31 missing elements of each short group are q = 0.
    const uint8_t *shortGroup = slab.data() + layout.qRowBytes - layout.qRowBytes / 2;
    uint8_t zero = format == QuantFormat::Int8 ? 0x00 : 0x88;
    for (int64_t j = 1; j < layout.qRowBytes / 2; ++j)
      EXPECT_EQ(shortGroup[j], zero) << quantFormatName(format).str() << " byte " << j;
    // Padding between and after the planes is zero.
    for (int64_t i = 2 * layout.qRowBytes; i < layout.scaleOffset; ++i)
      EXPECT_EQ(slab[i], 0) << i;
    for (int64_t i = layout.scaleOffset + 8; i < layout.bytes; ++i)
      EXPECT_EQ(slab[i], 0) << i;
  }
}

TEST(QuantFormats, FewerColumnsThanAGroup) {
  std::vector<float> values = {1.0f, -2.0f, 0.25f, 0.0f, 7.0f};
  auto slab = quantized(QuantFormat::Int4, values, 1, 5);
  EXPECT_EQ(quantSlabLayout(QuantFormat::Int4, 1, 5).bytes, 128);
  EXPECT_EQ(halfBitsToFloat(scaleBits(QuantFormat::Int4, slab, 1, 5, 0, 0)), 1.0f);
  // q = 1, -2, 0 (0.25 rounds down), 0, 7; byte j pairs element j with j+16.
  EXPECT_EQ(slab[0], 0x89);
  EXPECT_EQ(slab[1], 0x86);
  EXPECT_EQ(slab[2], 0x88);
  EXPECT_EQ(slab[4], 0x8F);
  EXPECT_EQ(dequantized(QuantFormat::Int4, slab, 1, 5),
            (std::vector<float>{1.0f, -2.0f, 0.0f, 0.0f, 7.0f}));
}

TEST(QuantFormats, ZeroScaleGroups) {
  // Group 0 all zero; group 1's max|w| / 127 is below half the smallest f16
  // subnormal, so d rounds to 0 and every q is 0.
  std::vector<float> values(64, 0.0f);
  values[40] = 1e-9f;
  values[41] = -5e-9f;
  auto slab = quantized(QuantFormat::Int8, values, 1, 64);
  EXPECT_EQ(scaleBits(QuantFormat::Int8, slab, 1, 64, 0, 0), 0);
  EXPECT_EQ(scaleBits(QuantFormat::Int8, slab, 1, 64, 0, 1), 0);
  for (int j = 0; j < 64; ++j)
    EXPECT_EQ(slab[j], 0) << j;
  for (float w : dequantized(QuantFormat::Int8, slab, 1, 64))
    EXPECT_EQ(w, 0.0f);
}

TEST(QuantFormats, Int4NibblesPairElementJWithJPlus16) {
  // d = 1: q_j = w_j. Elements 0..15 in the low nibbles, 16..31 in the high.
  std::vector<float> values(32);
  for (int j = 0; j < 32; ++j)
    values[j] = float(j % 15 - 7); // -7..7
  auto slab = quantized(QuantFormat::Int4, values, 1, 32);
  ASSERT_EQ(halfBitsToFloat(scaleBits(QuantFormat::Int4, slab, 1, 32, 0, 0)), 1.0f);
  for (int j = 0; j < 16; ++j) {
    int low = j % 15 - 7 + 8, high = (j + 16) % 15 - 7 + 8;
    EXPECT_EQ(slab[j], uint8_t(low | high << 4)) << "byte " << j;
  }
  EXPECT_EQ(dequantized(QuantFormat::Int4, slab, 1, 32), values);
}

TEST(QuantFormats, ClampIsAsymmetricOnlyForInt4) {
  // max|w| / QMAX = 1.4 * 2^-24 rounds to the f16 subnormal 2^-24, so
  // w / d = +-1.4 QMAX: -9.8 clamps to QMIN -8 (int4), +9.8 to QMAX 7;
  // int8 clamps both sides at 127.
  for (QuantFormat format : {QuantFormat::Int4, QuantFormat::Int8}) {
    float qmax = float(quantMax(format));
    float amax = qmax * 1.4f * 0x1p-24f;
    std::vector<float> values = {-amax, amax, 0.0f};
    auto slab = quantized(format, values, 1, 3);
    EXPECT_EQ(scaleBits(format, slab, 1, 3, 0, 0), 0x0001); // 2^-24
    auto back = dequantized(format, slab, 1, 3);
    EXPECT_EQ(back[0], float(quantMin(format)) * 0x1p-24f) << quantFormatName(format).str();
    EXPECT_EQ(back[1], qmax * 0x1p-24f) << quantFormatName(format).str();
  }
  EXPECT_EQ(quantMin(QuantFormat::Int4), -8);
  EXPECT_EQ(quantMin(QuantFormat::Int8), -127);
}

TEST(QuantFormats, ScaleTooLargeForHalfNamesTensorRowAndGroup) {
  // 65504 * 127 is the largest int8 max|w| (d = 65504, the largest f16).
  std::vector<float> values(2 * 40, 1.0f);
  values[39] = 65504.0f * 127;
  values[40 + 35] = -1e7f; // row 1, group 1 (elements 32..39)
  std::vector<uint8_t> slab(quantSlabLayout(QuantFormat::Int8, 2, 40).bytes);
  std::string message = errorMessage(
      quantizeSlab(QuantFormat::Int8, "layers.3.mix.o.weight", values, 2, 40, slab));
  EXPECT_EQ(message, "layers.3.mix.o.weight[1][32:40]: the int8 scale max|w|/127 = "
                     "78740.2 does not fit in f16");
  // Partition 1 of a 3-D tensor: named NAME[1]; int4's limit is 65504 * 7.
  std::vector<float> ffn(2 * 1 * 40, 0.5f);
  ffn[40 + 3] = 5e5f;
  message = errorMessage(quantizeTensor(QuantFormat::Int4, "layers.0.ffn.w2", ffn, {2, 1, 40}));
  EXPECT_EQ(message, "layers.0.ffn.w2[1][0][0:32]: the int4 scale max|w|/7 = 71428.6 "
                     "does not fit in f16");
}

TEST(QuantFormats, NonFiniteWeightsAreErrors) {
  std::vector<uint8_t> slab(quantSlabLayout(QuantFormat::Int4, 2, 4).bytes);
  std::vector<float> values(8, 1.0f);
  values[6] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(errorMessage(quantizeSlab(QuantFormat::Int4, "embed.weight", values, 2, 4, slab)),
            "embed.weight[1][2] is nan: only finite weights can be quantized");
  values[6] = 0.0f;
  values[1] = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(errorMessage(quantizeSlab(QuantFormat::Int8, "lm_head.weight", values, 2, 4, slab)),
            "lm_head.weight[0][1] is -inf: only finite weights can be quantized");
}

TEST(QuantFormats, TensorRoundTripIsWithinHalfAStepAndStable) {
  // Three partitions [3, 45, 70]: every w' within d/2 of w, and quantizing
  // w' again gives the same bytes (d is reproduced: max|q| = QMAX).
  std::mt19937 random(5);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<int64_t> shape = {3, 45, 70};
  std::vector<float> values(3 * 45 * 70);
  for (float &w : values)
    w = normal(random);
  for (QuantFormat format : {QuantFormat::Int8, QuantFormat::Int4}) {
    auto bytes = quantizeTensor(format, "layers.1.ffn.w1", values, shape);
    ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    EXPECT_EQ(int64_t(bytes->size()), 3 * quantSlabLayout(format, 45, 70).bytes);
    std::vector<float> back = dequantizeTensor(format, *bytes, shape);
    for (size_t i = 0; i < values.size(); ++i) {
      int64_t slab = i / (45 * 70), row = i / 70 % 45, group = i % 70 / 32;
      const uint8_t *slabBytes = bytes->data() + slab * quantSlabLayout(format, 45, 70).bytes;
      float d = halfBitsToFloat(llvm::support::endian::read16le(
          slabBytes + quantSlabLayout(format, 45, 70).scaleOffset + 2 * (row * 3 + group)));
      ASSERT_LE(std::fabs(back[i] - values[i]), d / 2) << quantFormatName(format).str() << " " << i;
    }
    auto again = quantizeTensor(format, "layers.1.ffn.w1", back, shape);
    ASSERT_TRUE(bool(again));
    EXPECT_EQ(*again, *bytes) << quantFormatName(format).str();
  }
}

} // namespace
} // namespace yan
