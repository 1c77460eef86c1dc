//===- ConvertWeightsTest.cpp - yanc --weights: storing another format ----===//
#include "compiler/import/ConvertWeights.h"
#include "compiler/import/FloatFormats.h"
#include "compiler/import/RandomModel.h"
#include "TestSupport.h"

#include "llvm/Support/Endian.h"
#include <cmath>

namespace yan {
namespace {

using test::errorMessage;
using test::TempDir;

Checkpoint tinyCheckpoint(const TempDir &dir, DType dtype) {
  auto config = presetConfig("tiny");
  EXPECT_TRUE(bool(config));
  EXPECT_FALSE(bool(writeRandomModel(dir.path(), *config, 7, dtype)));
  auto checkpoint = loadCheckpoint(dir.path());
  EXPECT_TRUE(bool(checkpoint));
  return std::move(*checkpoint);
}

TEST(ConvertWeights, WideningHalfIsExact) {
  TempDir dir;
  Checkpoint half = tinyCheckpoint(dir, DType::F16);
  std::string embed = half.tensor("embed.weight").name;
  std::vector<uint16_t> bits;
  for (int64_t i = 0; i < half.tensor("embed.weight").numElements(); ++i)
    bits.push_back(llvm::support::endian::read16le(half.tensor("embed.weight").bytes.data() + 2 * i));
  auto wide = convertWeights(std::move(half), DType::F32);
  ASSERT_TRUE(bool(wide)) << llvm::toString(wide.takeError());
  const TensorView &tensor = wide->tensor("embed.weight");
  ASSERT_EQ(tensor.dtype, DType::F32);
  ASSERT_EQ(tensor.bytes.size(), bits.size() * 4);
  for (size_t i = 0; i < bits.size(); ++i) {
    float value = llvm::bit_cast<float>(
        llvm::support::endian::read32le(tensor.bytes.data() + 4 * i));
    ASSERT_EQ(floatToHalfBits(value), bits[i]) << i; // round trip: exact
  }
  EXPECT_FALSE(bool(checkTensors(wide->config, *wide->weights)));
}

TEST(ConvertWeights, SameFormatIsUnchanged) {
  TempDir dir;
  Checkpoint f32 = tinyCheckpoint(dir, DType::F32);
  const SafeTensorsFile *file = f32.weights.get();
  auto same = convertWeights(std::move(f32), DType::F32);
  ASSERT_TRUE(bool(same));
  EXPECT_EQ(same->weights.get(), file);
}

TEST(ConvertWeights, OverflowNamesTensorAndElement) {
  TempDir dir;
  Checkpoint f32 = tinyCheckpoint(dir, DType::F32);
  // Rewrite one element of the mapped model as 1e6 (no f16 holds it).
  std::vector<TensorToWrite> tensors;
  std::vector<std::vector<uint8_t>> data;
  for (const TensorView &t : f32.weights->tensors()) {
    data.emplace_back(t.bytes.begin(), t.bytes.end());
    if (t.name == "layers.1.mix.v.weight")
      llvm::support::endian::write32le(data.back().data() + 4 * 5,
                                       llvm::bit_cast<uint32_t>(1e6f));
  }
  for (size_t i = 0; i < data.size(); ++i) {
    const TensorView &t = f32.weights->tensors()[i];
    tensors.push_back({t.name, t.dtype, t.shape, data[i]});
  }
  ASSERT_FALSE(bool(writeSafeTensors(dir.file("model.safetensors"), tensors, {})));
  auto reloaded = loadCheckpoint(dir.path());
  ASSERT_TRUE(bool(reloaded));
  std::string message = errorMessage(convertWeights(std::move(*reloaded), DType::F16));
  EXPECT_NE(message.find("layers.1.mix.v.weight[5] does not fit in f16"), std::string::npos)
      << message;
}

TEST(ConvertWeights, FormatNames) {
  EXPECT_EQ(*parseWeightFormat("bf16"), DType::BF16);
  EXPECT_NE(errorMessage(parseWeightFormat("int3")).find("expected f32, f16 or bf16"),
            std::string::npos);
}

} // namespace
} // namespace yan
