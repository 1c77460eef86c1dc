//===- RandomModelTest.cpp - The deterministic model generator ------------===//

#include "compiler/import/RandomModel.h"
#include "TestSupport.h"
#include "compiler/import/Checkpoint.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/SHA256.h"
#include "gmock/gmock.h"
#include <cmath>
#include <limits>

using namespace yan;
using namespace yan::test;
using ::testing::HasSubstr;

namespace {

float fromBits(uint32_t bits) { return llvm::bit_cast<float>(bits); }

// ---- Known values
// ---------------------------------------------------------------

TEST(RandomModel, KnownUniformDraws) {
  // Worked by hand from the spec for ("embed.weight", seed 0, index 0):
  //   fnv1a64("embed.weight")      = 0x9ac37bcac2dc8a00
  //   splitmix64(0)                = 0xe220a8397b1dcdaf
  //   key = xor                    = 0x78e3d3f3b9c147af
  //   splitmix64(key + 0) >> 40    = 10656426
  //   u = 10656426 / 2^23 - 1      = 0x1.14d55p-2 (0.27034497...)
  EXPECT_EQ(randomUniform("embed.weight", 0, 0), 0x1.14d55p-2f);
  EXPECT_EQ(randomUniform("embed.weight", 0, 1), 0x1.aed378p-2f);
  EXPECT_EQ(randomUniform("embed.weight", 1, 0), -0x1.231d98p-2f);
  EXPECT_EQ(randomUniform("layers.0.mix_norm.weight", 0, 5), 0x1.357e8p-1f);
  EXPECT_EQ(randomUniform("layers.1.ffn.w2", 42, 100), -0x1.ba5e4cp-1f);
}

TEST(RandomModel, KnownWeights) {
  // embed.weight is u itself.
  EXPECT_EQ(randomWeight("embed.weight", {256, 64}, 0, 0), 0x1.14d55p-2f);
  // Norm weights are 1 + u/8.
  EXPECT_EQ(randomWeight("layers.0.mix_norm.weight", {64}, 0, 5),
            0x1.1357e8p+0f);
  // Others are u * float(1/sqrt(fan_in)), fan_in the last dimension (F = 32
  // for w2): float(1/sqrt(32)) = 0x1.6a09e6p-3.
  EXPECT_EQ(randomWeight("layers.1.ffn.w2", {8, 64, 32}, 42, 100),
            -0x1.38cd3ap-3f);
  EXPECT_EQ(randomWeight("layers.1.ffn.w2", {8, 64, 32}, 42, 100),
            -0x1.ba5e4cp-1f * 0x1.6a09e6p-3f);
}

TEST(RandomModel, DocumentedCheckValues) {
  // The table in docs/yan-model.md, section 7 (seed 0).
  struct Check {
    const char *name;
    std::vector<int64_t> shape;
    uint64_t index;
    uint32_t valueBits;
  };
  const Check checks[] = {
      {"embed.weight", {256, 64}, 0, 0x3e8a6aa8},
      {"embed.weight", {256, 64}, 1, 0x3ed769bc},
      {"layers.0.mix_norm.weight", {64}, 0, 0x3f887694},
      {"layers.1.ffn.w2", {8, 64, 32}, 5, 0xbe0a294c},
      {"lm_head.weight", {256, 64}, 16383, 0x3d982c5c},
  };
  for (const Check &check : checks)
    EXPECT_EQ(llvm::bit_cast<uint32_t>(
                  randomWeight(check.name, check.shape, 0, check.index)),
              check.valueBits)
        << check.name << "[" << check.index << "]";
}

TEST(RandomModel, MatchesDocumentedReferenceFiles) {
  // sha256 of gen_model.py's output (docs/yan-model.md, section 7): the
  // byte-for-byte contract, checked without Python.
  auto sha256 = [](const std::string &bytes) {
    return llvm::toHex(llvm::SHA256::hash(llvm::arrayRefFromStringRef(bytes)),
                       /*LowerCase=*/true);
  };
  const std::pair<DType, const char *> files[] = {
      {DType::F32,
       "c9a05a58901825d1f9cfaf79038b892c9b21369a94bb5c98b6a671f01fbcfb85"},
      {DType::F16,
       "9ba1b14126238f472a633fa300b8ed9cc57321a57e6600926400bb93e0af6c27"},
      {DType::BF16,
       "4a21e54176951e330b323796163d64cc3946372182a95a4c341f15175abfa86c"},
  };
  for (auto [dtype, hash] : files) {
    TempDir dir;
    YAN_ASSERT_OK(
        writeRandomModel(dir.path(), *presetConfig("tiny"), 0, dtype));
    EXPECT_EQ(sha256(readFile(dir.file("model.safetensors"))), hash)
        << dtypeName(dtype).str();
    EXPECT_EQ(
        sha256(readFile(dir.file("config.json"))),
        "dcaf47193a1e98cb70078ffb19ec3ecde51141aca372c516ec37d4ac7e3c09fe");
  }
}

TEST(RandomModel, UniformRangeAndGrid) {
  for (uint64_t i = 0; i < 10000; ++i) {
    float u = randomUniform("lm_head.weight", 3, i);
    EXPECT_GE(u, -1.0f);
    EXPECT_LT(u, 1.0f);
    // A multiple of 2^-23: exact in float32.
    EXPECT_EQ(std::ldexp(u, 23), std::trunc(std::ldexp(u, 23)));
  }
}

TEST(RandomModel, Deterministic) {
  EXPECT_EQ(randomUniform("embed.weight", 5, 77),
            randomUniform("embed.weight", 5, 77));
  EXPECT_NE(randomUniform("embed.weight", 5, 77),
            randomUniform("embed.weight", 6, 77));
  EXPECT_NE(randomUniform("embed.weight", 5, 77),
            randomUniform("lm_head.weight", 5, 77));

  TempDir a, b;
  ModelConfig tiny = *presetConfig("tiny");
  YAN_ASSERT_OK(writeRandomModel(a.path(), tiny, 9, DType::F32));
  YAN_ASSERT_OK(writeRandomModel(b.path(), tiny, 9, DType::F32));
  EXPECT_EQ(readFile(a.file("model.safetensors")),
            readFile(b.file("model.safetensors")));
  EXPECT_EQ(readFile(a.file("config.json")), readFile(b.file("config.json")));
  YAN_ASSERT_OK(writeRandomModel(b.path(), tiny, 10, DType::F32));
  EXPECT_NE(readFile(a.file("model.safetensors")),
            readFile(b.file("model.safetensors")));
}

// ---- Presets
// ------------------------------------------------------------------------

TEST(RandomModel, Presets) {
  YAN_ASSERT_EXPECTED(tiny, presetConfig("tiny"));
  EXPECT_EQ(tiny->vocabSize, 256);
  EXPECT_EQ(tiny->hiddenSize, 64);
  EXPECT_EQ(tiny->numLayers, 2);
  EXPECT_EQ(tiny->numChannels, 4);
  EXPECT_EQ(tiny->slopeWindow, 4);
  EXPECT_EQ(tiny->numPartitions, 8);
  EXPECT_EQ(tiny->activePartitions, 2);
  EXPECT_EQ(tiny->partitionSize, 32);
  EXPECT_EQ(tiny->normEps, 1e-5f);
  EXPECT_EQ(tiny->decays.size(), 4u);
  EXPECT_FALSE(tiny->explicitDecays);
  EXPECT_FALSE(bool(tiny->validate()));

  YAN_ASSERT_EXPECTED(small, presetConfig("small"));
  EXPECT_EQ(small->vocabSize, 4096);
  EXPECT_EQ(small->hiddenSize, 512);
  EXPECT_EQ(small->numLayers, 8);
  EXPECT_EQ(small->numChannels, 8);
  EXPECT_EQ(small->slopeWindow, 4);
  EXPECT_EQ(small->numPartitions, 32);
  EXPECT_EQ(small->activePartitions, 4);
  EXPECT_EQ(small->partitionSize, 512);
  EXPECT_EQ(small->slopes.size(), 8u);
  EXPECT_FALSE(bool(small->validate()));

  EXPECT_THAT(errorMessage(presetConfig("huge")),
              HasSubstr("unknown preset 'huge'"));
}

// ---- Files
// ----------------------------------------------------------------------------

TEST(RandomModel, FileHoldsTheGeneratedValues) {
  TempDir dir;
  ModelConfig tiny = *presetConfig("tiny");
  for (DType dtype : {DType::F32, DType::F16, DType::BF16}) {
    YAN_ASSERT_OK(writeRandomModel(dir.path(), tiny, 123, dtype));
    YAN_ASSERT_EXPECTED(checkpoint, loadCheckpoint(dir.path()));
    EXPECT_EQ(checkpoint->weights->metadata().lookup("generator"),
              "yan-model-gen");
    EXPECT_EQ(checkpoint->weights->metadata().lookup("format"), "pt");
    std::vector<ExpectedTensor> expected = expectedTensors(tiny);
    ASSERT_EQ(checkpoint->weights->tensors().size(), expected.size());
    for (size_t t = 0; t < expected.size(); ++t) {
      const TensorView &view = checkpoint->weights->tensors()[t];
      ASSERT_EQ(view.name, expected[t].name); // canonical order
      ASSERT_EQ(view.dtype, dtype);
      for (uint64_t i = 0; i < uint64_t(view.numElements()); i += 97) {
        float value = randomWeight(view.name, view.shape, 123, i);
        const uint8_t *p = view.bytes.data() + i * dtypeSize(dtype);
        if (dtype == DType::F32)
          ASSERT_EQ(llvm::support::endian::read32le(p),
                    llvm::bit_cast<uint32_t>(value));
        else if (dtype == DType::F16)
          ASSERT_EQ(llvm::support::endian::read16le(p), floatToHalfBits(value));
        else
          ASSERT_EQ(llvm::support::endian::read16le(p),
                    floatToBFloat16Bits(value));
      }
    }
  }
}

TEST(RandomModel, WritesConfigAsGiven) {
  TempDir dir;
  ModelConfig config = *presetConfig("tiny");
  config.decays = {0.5f, 0.25f, 0.125f, 0.9f};
  config.explicitDecays = true;
  config.normEps = 1e-6f;
  YAN_ASSERT_OK(writeRandomModel(dir.path(), config, 0, DType::F32));
  YAN_ASSERT_EXPECTED(again, readModelConfig(dir.file("config.json")));
  EXPECT_EQ(again->decays, config.decays);
  EXPECT_TRUE(again->explicitDecays);
  EXPECT_FALSE(again->explicitSlopes);
  EXPECT_EQ(again->normEps, 1e-6f);
}

TEST(RandomModel, RejectsInvalidConfig) {
  TempDir dir;
  ModelConfig config = *presetConfig("tiny");
  config.numChannels = 5;
  EXPECT_THAT(errorMessage(writeRandomModel(dir.path(), config, 0, DType::F32)),
              HasSubstr("invalid config: field 'num_channels': 5 does not "
                        "divide hidden_size 64"));
  EXPECT_FALSE(llvm::sys::fs::exists(dir.file("config.json")));
}

TEST(RandomModel, CreatesMissingDirectories) {
  TempDir dir;
  std::string nested = dir.file("a/b/model");
  YAN_ASSERT_OK(writeRandomModel(nested, *presetConfig("tiny"), 0, DType::F16));
  EXPECT_TRUE(bool(loadCheckpoint(nested)));
}

// ---- Rounding to half and bfloat16
// ------------------------------------------------

TEST(HalfRounding, EdgeValues) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(floatToHalfBits(0.0f), 0x0000);
  EXPECT_EQ(floatToHalfBits(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalfBits(1.0f), 0x3C00);
  EXPECT_EQ(floatToHalfBits(-2.0f), 0xC000);
  EXPECT_EQ(floatToHalfBits(0.1f), 0x2E66);
  EXPECT_EQ(floatToHalfBits(65504.0f), 0x7BFF);   // largest finite
  EXPECT_EQ(floatToHalfBits(65519.996f), 0x7BFF); // just below halfway
  EXPECT_EQ(floatToHalfBits(65520.0f), 0x7C00);   // halfway: ties to even = inf
  EXPECT_EQ(floatToHalfBits(-1e10f), 0xFC00);
  EXPECT_EQ(floatToHalfBits(inf), 0x7C00);
  EXPECT_EQ(floatToHalfBits(-inf), 0xFC00);
  EXPECT_EQ(floatToHalfBits(std::nanf("")), 0x7E00);
  // Ties between neighbours with 10-bit mantissas: to the even one.
  EXPECT_EQ(floatToHalfBits(1.0f + 0x1p-11f), 0x3C00);
  EXPECT_EQ(floatToHalfBits(1.0f + 3 * 0x1p-11f), 0x3C02);
  EXPECT_EQ(floatToHalfBits(1.0f + 0x1p-11f + 0x1p-23f), 0x3C01);
  // Rounding up carries into the exponent.
  EXPECT_EQ(floatToHalfBits(2.0f - 0x1p-12f), 0x4000);
  // Normal/subnormal boundary.
  EXPECT_EQ(floatToHalfBits(0x1p-14f), 0x0400);
  EXPECT_EQ(floatToHalfBits(1023 * 0x1p-24f), 0x03FF);    // largest subnormal
  EXPECT_EQ(floatToHalfBits(1023.5f * 0x1p-24f), 0x0400); // tie, to even
  // Subnormals.
  EXPECT_EQ(floatToHalfBits(0x1p-24f), 0x0001); // smallest
  EXPECT_EQ(floatToHalfBits(-0x1p-24f), 0x8001);
  EXPECT_EQ(floatToHalfBits(0x1p-25f), 0x0000); // tie with 0: to even
  EXPECT_EQ(floatToHalfBits(std::nextafter(0x1p-25f, 1.0f)), 0x0001);
  EXPECT_EQ(floatToHalfBits(1.5f * 0x1p-24f), 0x0002); // tie 1|2: to even
  EXPECT_EQ(floatToHalfBits(2.5f * 0x1p-24f), 0x0002); // tie 2|3: to even
  EXPECT_EQ(floatToHalfBits(0x1p-30f), 0x0000);
  EXPECT_EQ(floatToHalfBits(-0x1p-30f), 0x8000);
  EXPECT_EQ(floatToHalfBits(fromBits(0x00000001)), 0x0000); // f32 subnormal
}

#ifdef __FLT16_MAX__
TEST(HalfRounding, MatchesCompilerConversion) {
  // The compiler's float -> _Float16 conversion rounds to nearest even too:
  // compare on a spread of bit patterns plus every float near the half range.
  auto check = [](uint32_t bits) {
    float value = fromBits(bits);
    if (std::isnan(value))
      return;
    _Float16 half = static_cast<_Float16>(value);
    uint16_t expected = llvm::bit_cast<uint16_t>(half);
    ASSERT_EQ(floatToHalfBits(value), expected) << std::hex << bits;
  };
  for (uint64_t bits = 0; bits <= 0xFFFFFFFFull; bits += 65521)
    check(static_cast<uint32_t>(bits));
  // Every low-order pattern around the boundaries (subnormal, overflow).
  for (uint32_t base : {0x33000000u, 0x38800000u, 0x477FE000u, 0x3F800000u})
    for (uint32_t delta = 0; delta < 0x4000; ++delta) {
      check(base + delta - 0x2000);
      check((base + delta - 0x2000) | 0x80000000u);
    }
}
#endif

TEST(BFloat16Rounding, EdgeValues) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(floatToBFloat16Bits(0.0f), 0x0000);
  EXPECT_EQ(floatToBFloat16Bits(-0.0f), 0x8000);
  EXPECT_EQ(floatToBFloat16Bits(1.0f), 0x3F80);
  EXPECT_EQ(floatToBFloat16Bits(-2.0f), 0xC000);
  EXPECT_EQ(floatToBFloat16Bits(3.14159265f), 0x4049);
  // Ties: to even.
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x3F808000)), 0x3F80);
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x3F818000)), 0x3F82);
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x3F808001)), 0x3F81);
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x3F807FFF)), 0x3F80);
  // Carry into the exponent; overflow to infinity.
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x3FFFC000)), 0x4000);
  EXPECT_EQ(floatToBFloat16Bits(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x7F7F7FFF)), 0x7F7F);
  EXPECT_EQ(floatToBFloat16Bits(inf), 0x7F80);
  EXPECT_EQ(floatToBFloat16Bits(-inf), 0xFF80);
  EXPECT_EQ(floatToBFloat16Bits(std::nanf("")), 0x7FC0);
  // Subnormals round like everything else.
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x00008000)), 0x0000);
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x00018000)), 0x0002);
  EXPECT_EQ(floatToBFloat16Bits(fromBits(0x8000C000)), 0x8001);
}

} // namespace
