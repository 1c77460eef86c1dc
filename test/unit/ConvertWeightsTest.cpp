//===- ConvertWeightsTest.cpp - yanc --weights: storing another format ----===//
#include "compiler/import/ConvertWeights.h"
#include "compiler/import/FloatFormats.h"
#include "compiler/import/QuantFormats.h"
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

/// Partition p of `name` stored as `format`, collected from its pieces.
std::vector<uint8_t> streamed(const Checkpoint &checkpoint, llvm::StringRef name,
                              WeightFormat format, int64_t parts = 1, int64_t p = 0,
                              size_t *pieces = nullptr) {
  std::vector<uint8_t> bytes;
  llvm::cantFail(streamPartition(checkpoint.tensor(name), format, parts, p,
                                 [&](llvm::ArrayRef<uint8_t> piece) {
                                   bytes.insert(bytes.end(), piece.begin(), piece.end());
                                   if (pieces)
                                     ++*pieces;
                                 }));
  return bytes;
}

TEST(ConvertWeights, WideningHalfIsExact) {
  TempDir dir;
  Checkpoint half = tinyCheckpoint(dir, DType::F16);
  const TensorView &embed = half.tensor("embed.weight");
  std::vector<uint8_t> wide = streamed(half, "embed.weight", {DType::F32, {}});
  ASSERT_EQ(wide.size(), embed.bytes.size() * 2);
  for (int64_t i = 0; i < embed.numElements(); ++i) {
    float value = llvm::bit_cast<float>(llvm::support::endian::read32le(wide.data() + 4 * i));
    ASSERT_EQ(floatToHalfBits(value), llvm::support::endian::read16le(embed.bytes.data() + 2 * i))
        << i; // round trip: exact
  }
}

TEST(ConvertWeights, SameFormatStreamsTheMappedBytes) {
  TempDir dir;
  Checkpoint f32 = tinyCheckpoint(dir, DType::F32);
  llvm::cantFail(selectWeightFormats(f32, "f32", ""));
  EXPECT_TRUE(f32.storedFormats.empty());
  const TensorView &w1 = f32.tensor("layers.0.ffn.w1");
  int64_t parts = f32.config.numPartitions;
  std::vector<const uint8_t *> starts;
  llvm::cantFail(streamPartition(w1, {DType::F32, {}}, parts, 1,
                                 [&](llvm::ArrayRef<uint8_t> piece) {
                                   starts.push_back(piece.data());
                                 }));
  ASSERT_EQ(starts.size(), 1u); // no copy: the mapping itself
  EXPECT_EQ(starts[0], w1.bytes.data() + w1.bytes.size() / parts);
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
  std::string message = errorMessage(selectWeightFormats(*reloaded, "f16", ""));
  EXPECT_NE(message.find("layers.1.mix.v.weight[5] does not fit in f16"), std::string::npos)
      << message;
  // 1e6 / 7 fits f16's range no better: int4 names the tensor, row and group.
  message = errorMessage(selectWeightFormats(*reloaded, "int4", ""));
  EXPECT_NE(message.find("layers.1.mix.v.weight[0][0:32]: the int4 scale"), std::string::npos)
      << message;
  EXPECT_NE(message.find("does not fit in f16"), std::string::npos) << message;
  // Kept f32, the tensor needs no scale.
  EXPECT_FALSE(bool(selectWeightFormats(*reloaded, "int4", "mix")));
}

TEST(ConvertWeights, FormatNames) {
  EXPECT_EQ(*parseWeightFormat("bf16"), (WeightFormat{DType::BF16, {}}));
  EXPECT_EQ(*parseWeightFormat("int4"), (WeightFormat{DType::F32, QuantFormat::Int4}));
  EXPECT_EQ(weightFormatName(*parseWeightFormat("int8")).str(), "int8");
  EXPECT_NE(errorMessage(parseWeightFormat("int3"))
                .find("expected f32, f16, bf16, int8 or int4"),
            std::string::npos);
}

TEST(ConvertWeights, KeepF32NamesTensorsAndFamilies) {
  ModelConfig config = llvm::cantFail(presetConfig("tiny"));
  auto kept = keptF32Tensors(config, "lm_head, router,layers.1.ffn.w2,embed");
  ASSERT_TRUE(bool(kept)) << llvm::toString(kept.takeError());
  std::vector<std::string> expected = {"embed.weight"};
  for (int64_t l = 0; l < config.numLayers; ++l) {
    expected.push_back("layers." + std::to_string(l) + ".router.weight");
    if (l == 1)
      expected.push_back("layers.1.ffn.w2");
  }
  expected.push_back("lm_head.weight");
  EXPECT_EQ(*kept, expected);
  auto mix = keptF32Tensors(config, "mix");
  ASSERT_TRUE(bool(mix));
  EXPECT_EQ(mix->size(), size_t(4 * config.numLayers));
  EXPECT_EQ(keptF32Tensors(config, "ffn")->size(), size_t(3 * config.numLayers));
  EXPECT_TRUE(keptF32Tensors(config, "")->empty());
  std::string message = errorMessage(keptF32Tensors(config, "embed,lm-head"));
  EXPECT_NE(message.find("'lm-head' is neither a tensor of this model nor one of the families"),
            std::string::npos)
      << message;
  EXPECT_TRUE(bool(errorMessage(keptF32Tensors(config, "layers.99.ffn.w1")).size()));
}

TEST(ConvertWeights, QuantizedFormatsLeaveNormsAndKeptTensorsF32) {
  TempDir dir;
  Checkpoint half = tinyCheckpoint(dir, DType::BF16);
  llvm::cantFail(selectWeightFormats(half, "int8", "lm_head"));
  WeightFormat int8{DType::F32, QuantFormat::Int8}, f32{DType::F32, {}};
  EXPECT_EQ(half.storedFormat("embed.weight"), int8);
  EXPECT_EQ(half.storedFormat("layers.0.ffn.w2"), int8);
  EXPECT_EQ(half.storedFormat("layers.0.mix_norm.weight"), f32);
  EXPECT_EQ(half.storedFormat("final_norm.weight"), f32);
  EXPECT_EQ(half.storedFormat("lm_head.weight"), f32);
  EXPECT_EQ(half.partitionWeightFormat(), int8);
  // Without --weights, the file's dtype stays; --keep-f32 still widens.
  llvm::cantFail(selectWeightFormats(half, "", "embed"));
  EXPECT_EQ(half.storedFormat("embed.weight"), f32);
  EXPECT_EQ(half.storedFormat("lm_head.weight"), (WeightFormat{DType::BF16, {}}));
}

TEST(ConvertWeights, QuantizedPartitionIsItsSlabFromWidenedValues) {
  TempDir dir;
  Checkpoint half = tinyCheckpoint(dir, DType::BF16);
  const TensorView &w2 = half.tensor("layers.1.ffn.w2"); // [P, D, F]
  int64_t parts = half.config.numPartitions, rows = w2.shape[1], cols = w2.shape[2];
  for (QuantFormat format : {QuantFormat::Int8, QuantFormat::Int4}) {
    int64_t p = parts - 1;
    std::vector<float> values(rows * cols);
    for (int64_t i = 0; i < rows * cols; ++i)
      values[i] = tensorElement(w2, p * rows * cols + i);
    auto expected = quantizeTensor(format, "w", values, {rows, cols});
    ASSERT_TRUE(bool(expected));
    EXPECT_EQ(streamed(half, "layers.1.ffn.w2", {DType::F32, format}, parts, p), *expected)
        << quantFormatName(format).str();
  }
  // The whole tensor as one stream is the tensor's slabs back to back.
  std::vector<float> all(w2.numElements());
  for (size_t i = 0; i < all.size(); ++i)
    all[i] = tensorElement(w2, i);
  auto slabs = quantizeTensor(QuantFormat::Int4, "w", all, w2.shape);
  ASSERT_TRUE(bool(slabs));
  size_t pieces = 0;
  EXPECT_EQ(streamed(half, "layers.1.ffn.w2", {DType::F32, QuantFormat::Int4}, 1, 0, &pieces),
            *slabs);
  EXPECT_EQ(pieces, size_t(parts)); // one slab at a time
}

} // namespace
} // namespace yan
