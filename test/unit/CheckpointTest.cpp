//===- CheckpointTest.cpp - config + weights consistency ------------------===//

#include "compiler/import/Checkpoint.h"
#include "TestSupport.h"
#include "compiler/import/RandomModel.h"

#include "gmock/gmock.h"
#include <functional>

using namespace yan;
using namespace yan::test;
using ::testing::HasSubstr;

namespace {

ModelConfig tinyConfig() {
  auto config = presetConfig("tiny");
  EXPECT_TRUE(bool(config));
  return config ? *config : ModelConfig();
}

// Writes a model directory whose tensors are the expected ones (zeros), after
// `edit` has had a chance to break them.
class CheckpointDir {
public:
  using Edit = std::function<void(std::vector<TensorToWrite> &)>;

  explicit CheckpointDir(const ModelConfig &config, Edit edit = nullptr) {
    writeFile(dir.file("config.json"), config.toJson());
    std::vector<TensorToWrite> tensors;
    for (ExpectedTensor &tensor : expectedTensors(config))
      tensors.push_back({tensor.name, DType::F32, tensor.shape, {}});
    if (edit)
      edit(tensors);
    storage.resize(tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
      size_t bytes = dtypeSize(tensors[i].dtype);
      for (int64_t dim : tensors[i].shape)
        bytes *= dim;
      storage[i].assign(bytes, 0);
      tensors[i].data = storage[i];
    }
    llvm::Error err = writeSafeTensors(weightsPath(), tensors, {});
    EXPECT_FALSE(bool(err)) << llvm::toString(std::move(err));
  }

  llvm::StringRef path() const { return dir.path(); }
  std::string weightsPath() const { return dir.file("model.safetensors"); }
  std::string load() { return errorMessage(loadCheckpoint(path())); }

private:
  TempDir dir;
  std::vector<std::vector<uint8_t>> storage;
};

TEST(Checkpoint, ExpectedTensorsOfTiny) {
  std::vector<ExpectedTensor> tensors = expectedTensors(tinyConfig());
  ASSERT_EQ(tensors.size(), 3u + 10u * 2u);
  using Shape = std::vector<int64_t>;
  EXPECT_EQ(tensors[0].name, "embed.weight");
  EXPECT_EQ(tensors[0].shape, (Shape{256, 64}));
  const std::pair<const char *, Shape> layer1[] = {
      {"layers.1.mix_norm.weight", {64}},  {"layers.1.mix.u.weight", {64, 64}},
      {"layers.1.mix.v.weight", {64, 64}}, {"layers.1.mix.g.weight", {64, 64}},
      {"layers.1.mix.o.weight", {64, 64}}, {"layers.1.ffn_norm.weight", {64}},
      {"layers.1.router.weight", {8, 64}}, {"layers.1.ffn.w1", {8, 32, 64}},
      {"layers.1.ffn.w3", {8, 32, 64}},    {"layers.1.ffn.w2", {8, 64, 32}},
  };
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(tensors[11 + i].name, layer1[i].first);
    EXPECT_EQ(tensors[11 + i].shape, layer1[i].second);
  }
  EXPECT_EQ(tensors[1].name, "layers.0.mix_norm.weight");
  EXPECT_EQ(tensors[21].name, "final_norm.weight");
  EXPECT_EQ(tensors[21].shape, (Shape{64}));
  EXPECT_EQ(tensors[22].name, "lm_head.weight");
  EXPECT_EQ(tensors[22].shape, (Shape{256, 64}));
}

TEST(Checkpoint, LoadsAGeneratedModel) {
  TempDir dir;
  YAN_ASSERT_OK(writeRandomModel(dir.path(), tinyConfig(), 0, DType::BF16));
  YAN_ASSERT_EXPECTED(checkpoint, loadCheckpoint(dir.path()));
  EXPECT_EQ(checkpoint->config.hiddenSize, 64);
  EXPECT_EQ(checkpoint->weights->tensors().size(), 23u);
  const TensorView &w2 = checkpoint->tensor("layers.1.ffn.w2");
  EXPECT_EQ(w2.dtype, DType::BF16);
  EXPECT_EQ(w2.shape, (std::vector<int64_t>{8, 64, 32}));
  EXPECT_EQ(w2.bytes.size(), 8u * 64 * 32 * 2);
}

TEST(Checkpoint, LoadsZeroModel) {
  CheckpointDir model(tinyConfig());
  YAN_ASSERT_EXPECTED(checkpoint, loadCheckpoint(model.path()));
  EXPECT_EQ(checkpoint->weights->tensors().size(), 23u);
}

TEST(CheckpointErrors, MissingFiles) {
  TempDir dir;
  EXPECT_THAT(errorMessage(loadCheckpoint(dir.path())),
              HasSubstr("config.json: cannot read"));
  writeFile(dir.file("config.json"), tinyConfig().toJson());
  EXPECT_THAT(errorMessage(loadCheckpoint(dir.path())),
              HasSubstr("model.safetensors: cannot read"));
}

TEST(CheckpointErrors, InvalidConfigNamesFile) {
  TempDir dir;
  writeFile(dir.file("config.json"), "{\"model_type\": \"yan\"}");
  EXPECT_THAT(errorMessage(loadCheckpoint(dir.path())),
              HasSubstr(dir.file("config.json") +
                        ": missing required field 'vocab_size'"));
}

TEST(CheckpointErrors, MissingTensorFirstInCanonicalOrder) {
  CheckpointDir model(tinyConfig(), [](std::vector<TensorToWrite> &tensors) {
    // Drop two; the earlier one in canonical order is reported.
    llvm::erase_if(tensors, [](const TensorToWrite &t) {
      return t.name == "layers.1.ffn.w1" || t.name == "layers.0.ffn.w3";
    });
  });
  EXPECT_EQ(model.load(), model.weightsPath() +
                              ": missing tensor 'layers.0.ffn.w3' (expected "
                              "shape [8,32,64])");
}

TEST(CheckpointErrors, UnexpectedTensor) {
  CheckpointDir model(tinyConfig(), [](std::vector<TensorToWrite> &tensors) {
    tensors.push_back({"layers.2.mix_norm.weight", DType::F32, {64}, {}});
  });
  EXPECT_EQ(model.load(), model.weightsPath() +
                              ": unexpected tensor "
                              "'layers.2.mix_norm.weight' (not part of a "
                              "Yan model)");
}

TEST(CheckpointErrors, WrongShapeNamesConfigSymbols) {
  CheckpointDir model(tinyConfig(), [](std::vector<TensorToWrite> &tensors) {
    for (TensorToWrite &t : tensors)
      if (t.name == "layers.0.ffn.w1")
        t.shape = {8, 32, 63};
  });
  EXPECT_EQ(model.load(),
            model.weightsPath() +
                ": tensor 'layers.0.ffn.w1' has shape [8,32,63], expected "
                "[8,32,64] from config (P=8, F=32, D=64)");

  CheckpointDir square(tinyConfig(), [](std::vector<TensorToWrite> &tensors) {
    for (TensorToWrite &t : tensors)
      if (t.name == "layers.1.mix.o.weight")
        t.shape = {64};
  });
  EXPECT_THAT(square.load(), HasSubstr("tensor 'layers.1.mix.o.weight' has "
                                       "shape [64], expected [64,64] from "
                                       "config (D=64)"));
}

TEST(CheckpointErrors, MixedDTypes) {
  CheckpointDir model(tinyConfig(), [](std::vector<TensorToWrite> &tensors) {
    for (TensorToWrite &t : tensors)
      if (t.name == "layers.1.router.weight")
        t.dtype = DType::F16;
  });
  EXPECT_EQ(model.load(), model.weightsPath() +
                              ": tensor 'layers.1.router.weight' is F16 but "
                              "'embed.weight' is F32: mixed dtypes are not "
                              "supported");
}

TEST(CheckpointErrors, HugeConfigFailsFast) {
  // A valid config with ~2^31 layers must not make the checker enumerate
  // (or allocate) its 2*10^10 tensor names against a small file.
  ModelConfig huge = tinyConfig();
  huge.numLayers = 2147483647;
  CheckpointDir model(tinyConfig());
  writeFile(llvm::Twine(model.path() + "/config.json").str(), huge.toJson());
  EXPECT_THAT(model.load(),
              HasSubstr("missing tensor 'layers.2.mix_norm.weight'"));
}

} // namespace
