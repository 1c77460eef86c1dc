//===- ShardedCheckpointTest.cpp - Hugging Face shards + index ------------===//
//
// Sharded checkpoints read as one file would, in any shard order; each
// malformed case is one error naming the file at fault.

#include "compiler/import/ShardedCheckpoint.h"
#include "TestSupport.h"
#include "compiler/import/Checkpoint.h"
#include "compiler/import/RandomModel.h"

#include "gmock/gmock.h"
#include <map>

using namespace yan;
using namespace yan::test;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

/// The tiny model written by the generator: as one file in `one`, and
/// by hand as shards in `sharded`, tensor i going to shard assign(i).
class ShardedDir {
public:
  explicit ShardedDir(std::function<std::string(size_t)> assign) {
    ModelConfig config = *presetConfig("tiny");
    llvm::Error err = writeRandomModel(one.path(), config, 7, DType::F32);
    EXPECT_FALSE(bool(err)) << llvm::toString(std::move(err));
    writeFile(sharded.file("config.json"), readFile(one.file("config.json")));
    auto file = SafeTensorsFile::open(one.file("model.safetensors"));
    EXPECT_TRUE(bool(file));
    source = std::move(*file);
    // Reversed: tensors leave their canonical order.
    for (size_t i = source->tensors().size(); i-- > 0;) {
      const TensorView &t = source->tensors()[i];
      std::string shard = assign(i);
      shards[shard].push_back({t.name, t.dtype, t.shape, t.bytes});
      weightMap[t.name] = shard;
    }
  }

  /// Writes the shards and an index (`edit` may change the map first).
  void write(const std::string &extraIndex = "") {
    uint64_t total = 0;
    for (auto &[name, tensors] : shards) {
      llvm::Error err = writeSafeTensors(sharded.file(name), tensors, {});
      EXPECT_FALSE(bool(err)) << llvm::toString(std::move(err));
      for (const TensorToWrite &t : tensors)
        total += t.data.size();
    }
    std::string json = "{\"metadata\": {\"total_size\": " + std::to_string(total) + "}" +
                       extraIndex + ", \"weight_map\": {";
    bool first = true;
    for (auto &[tensor, shard] : weightMap) {
      json += (first ? "\"" : ", \"") + tensor + "\": \"" + shard + "\"";
      first = false;
    }
    writeIndex(json + "}}");
  }
  void writeIndex(const std::string &json) {
    writeFile(sharded.file(kShardIndexName), json);
  }
  std::string load() { return errorMessage(loadCheckpoint(sharded.path())); }
  std::string indexPath() const { return sharded.file(kShardIndexName); }

  TempDir one, sharded;
  std::unique_ptr<SafeTensorsFile> source;
  std::map<std::string, std::vector<TensorToWrite>> shards;
  std::map<std::string, std::string> weightMap;
};

std::string byParity(size_t i) {
  return i % 2 ? "b.safetensors" : "a.safetensors";
}

TEST(ShardedCheckpoint, ReadsAsTheSingleFileInAnyOrder) {
  ShardedDir dir(byParity);
  dir.write();
  auto checkpoint = loadCheckpoint(dir.sharded.path());
  ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
  EXPECT_EQ(checkpoint->weights->path(), dir.indexPath());
  ASSERT_EQ(checkpoint->weights->tensors().size(), dir.source->tensors().size());
  for (const TensorView &expected : dir.source->tensors()) {
    const TensorView *got = checkpoint->weights->find(expected.name);
    ASSERT_NE(got, nullptr) << expected.name;
    EXPECT_EQ(got->shape, expected.shape);
    EXPECT_EQ(got->bytes.vec(), expected.bytes.vec()) << expected.name;
    EXPECT_TRUE(llvm::StringRef(got->file).ends_with(dir.weightMap[expected.name]));
  }
}

TEST(ShardedCheckpoint, GeneratorShardsAreTheSameTensors) {
  TempDir one, four;
  ModelConfig config = *presetConfig("tiny");
  ASSERT_FALSE(bool(writeRandomModel(one.path(), config, 3, DType::BF16)));
  ASSERT_FALSE(bool(writeRandomModel(four.path(), config, 3, DType::BF16, 4)));
  for (unsigned i = 1; i <= 4; ++i)
    EXPECT_TRUE(llvm::sys::fs::exists(four.file(shardFileName(i, 4))));
  EXPECT_FALSE(llvm::sys::fs::exists(four.file("model.safetensors")));
  auto a = loadCheckpoint(one.path());
  auto b = loadCheckpoint(four.path());
  ASSERT_TRUE(a && b);
  for (const TensorView &t : a->weights->tensors())
    EXPECT_EQ(b->weights->find(t.name)->bytes.vec(), t.bytes.vec()) << t.name;
  // Regenerating as one file replaces the index: no directory with both.
  ASSERT_FALSE(bool(writeRandomModel(four.path(), config, 3, DType::BF16)));
  EXPECT_FALSE(llvm::sys::fs::exists(four.file(kShardIndexName)));
  EXPECT_EQ(shardFileName(2, 13), "model-00002-of-00013.safetensors");
}

TEST(ShardedCheckpoint, MissingShard) {
  ShardedDir dir(byParity);
  dir.write();
  llvm::sys::fs::remove(dir.sharded.file("b.safetensors"));
  EXPECT_THAT(dir.load(), AllOf(HasSubstr(dir.indexPath()), HasSubstr("shard b.safetensors"),
                                HasSubstr("is missing")));
}

TEST(ShardedCheckpoint, TensorInTwoShards) {
  ShardedDir dir(byParity);
  dir.shards["b.safetensors"].push_back(dir.shards["a.safetensors"].front());
  dir.write();
  EXPECT_THAT(dir.load(), AllOf(HasSubstr("b.safetensors: tensor '"),
                                HasSubstr("is also in shard a.safetensors")));
}

TEST(ShardedCheckpoint, IndexNamesATensorItsShardLacks) {
  ShardedDir dir(byParity);
  TensorToWrite moved = dir.shards["a.safetensors"].back();
  dir.shards["a.safetensors"].pop_back();
  dir.shards["c.safetensors"].push_back(moved); // the index still says a
  dir.weightMap["extra.unused"] = "c.safetensors";
  dir.write();
  EXPECT_THAT(dir.load(), AllOf(HasSubstr("c.safetensors: tensor '" + moved.name + "' is here"),
                                HasSubstr("puts it in a.safetensors")));
}

TEST(ShardedCheckpoint, IndexNamesATensorNoShardHas) {
  ShardedDir dir(byParity);
  dir.weightMap["layers.9.ffn.w1"] = "a.safetensors";
  dir.write();
  EXPECT_THAT(dir.load(), AllOf(HasSubstr(dir.indexPath()),
                                HasSubstr("'layers.9.ffn.w1' is mapped to a.safetensors, "
                                          "which does not hold it")));
}

TEST(ShardedCheckpoint, ShardWithATensorTheIndexDoesNotName) {
  ShardedDir dir(byParity);
  std::string name = dir.shards["b.safetensors"].front().name;
  dir.weightMap.erase(name);
  dir.write();
  EXPECT_THAT(dir.load(), AllOf(HasSubstr("b.safetensors: tensor '" + name + "'"),
                                HasSubstr("is not in"), HasSubstr("weight_map")));
}

TEST(ShardedCheckpoint, ShardOutsideTheDirectory) {
  ShardedDir dir(byParity);
  dir.write();
  dir.writeIndex("{\"weight_map\": {\"embed.weight\": \"../a.safetensors\"}}");
  EXPECT_THAT(dir.load(), HasSubstr("'../a.safetensors', is not a file name in the "
                                    "index's directory"));
}

TEST(ShardedCheckpoint, MalformedIndexes) {
  ShardedDir dir(byParity);
  dir.write();
  auto withIndex = [&](const std::string &json) {
    dir.writeIndex(json);
    return dir.load();
  };
  EXPECT_THAT(withIndex("{\"metadata\": {}}"), HasSubstr("no \"weight_map\""));
  EXPECT_THAT(withIndex("{\"weight_map\": []}"), HasSubstr("\"weight_map\" is not an object"));
  EXPECT_THAT(withIndex("{\"weight_map\": {}}"), HasSubstr("names no tensors"));
  EXPECT_THAT(withIndex("{\"weight_map\": {\"x\": \"a.safetensors\", \"x\": \"b.safetensors\"}}"),
              HasSubstr("tensor 'x' appears twice"));
  EXPECT_THAT(withIndex("{\"weight_map\": {\"x\": 3}}"), HasSubstr("is not a string"));
  EXPECT_THAT(withIndex("{\"metadata\": {\"total_size\": -1}, \"weight_map\": {}}"),
              HasSubstr("\"total_size\" is not a byte count"));
  EXPECT_THAT(withIndex("{\"weight_map\": "), HasSubstr(dir.indexPath()));
}

TEST(ShardedCheckpoint, TotalSizeMustAgree) {
  ShardedDir dir(byParity);
  dir.write(", \"ignored\": 1");
  std::string index = readFile(dir.indexPath());
  size_t at = index.find("\"total_size\": ") + 14;
  index.insert(at, "1");
  dir.writeIndex(index);
  EXPECT_THAT(dir.load(), AllOf(HasSubstr("total_size is 1"),
                                HasSubstr("the shards' tensors hold")));
}

TEST(ShardedCheckpoint, BothLayoutsInOneDirectory) {
  ShardedDir dir(byParity);
  dir.write();
  writeFile(dir.sharded.file("model.safetensors"), readFile(dir.one.file("model.safetensors")));
  EXPECT_THAT(dir.load(), HasSubstr("holds both model.safetensors and "
                                    "model.safetensors.index.json"));
}

TEST(ShardedCheckpoint, ShapeErrorsNameTheShard) {
  ShardedDir dir(byParity);
  auto &shard = dir.shards["b.safetensors"];
  TensorToWrite &t = *llvm::find_if(shard, [](const TensorToWrite &w) { return w.shape.size() == 2; });
  t.shape = {static_cast<int64_t>(t.data.size() / 4)}; // flattened
  dir.write();
  EXPECT_THAT(dir.load(), AllOf(HasSubstr("b.safetensors: tensor '" + t.name + "' has shape")));
}

} // namespace
