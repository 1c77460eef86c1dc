//===- RandomModel.cpp - Deterministic random Yan models ------------------===//
//
// Must stay bit-identical to test/reference/gen_model.py: every float
// operation below is one float32 operation there (compiled without FMA
// contraction, see CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#include "compiler/import/RandomModel.h"
#include "compiler/import/Checkpoint.h"
#include "compiler/import/ShardedCheckpoint.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include <cmath>

using namespace llvm;

namespace yan {
namespace {

Error generatorError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

uint64_t fnv1a64(StringRef bytes) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char byte : bytes)
    hash = (hash ^ byte) * 0x100000001b3ull;
  return hash;
}

uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t tensorKey(StringRef name, uint64_t seed) {
  return fnv1a64(name) ^ splitmix64(seed);
}

// 24 random bits -> u in [-1, 1); every step is exact in float32.
float uniformFromKey(uint64_t key, uint64_t index) {
  uint64_t bits = splitmix64(key + index) >> 40;
  return static_cast<float>(bits) / 8388608.0f - 1.0f;
}

bool isNormWeight(StringRef name) { return name.ends_with("_norm.weight"); }

// What multiplies u for a non-norm tensor.
float tensorScale(StringRef name, ArrayRef<int64_t> shape) {
  if (name == "embed.weight" || shape.empty())
    return 1.0f;
  return static_cast<float>(1.0 / std::sqrt(static_cast<double>(shape.back())));
}

// Maps u to the weight value; the norm/scale choice is made once per tensor.
struct WeightTransform {
  bool norm;
  float scale;
  float operator()(float u) const {
    return norm ? 1.0f + u * 0.125f : u * scale;
  }
};

WeightTransform transformFor(StringRef name, ArrayRef<int64_t> shape) {
  return {isNormWeight(name), tensorScale(name, shape)};
}

void appendLittleEndian(std::vector<uint8_t> &out, float value, DType dtype) {
  switch (dtype) {
  case DType::F32: {
    uint32_t bits = llvm::bit_cast<uint32_t>(value);
    for (int shift = 0; shift < 32; shift += 8)
      out.push_back(static_cast<uint8_t>(bits >> shift));
    return;
  }
  case DType::F16:
  case DType::BF16: {
    uint16_t bits = dtype == DType::F16 ? floatToHalfBits(value)
                                        : floatToBFloat16Bits(value);
    out.push_back(static_cast<uint8_t>(bits));
    out.push_back(static_cast<uint8_t>(bits >> 8));
    return;
  }
  }
}

// Writes `text` to `path` via a temporary file and a rename.
Error writeFileAtomically(StringRef path, StringRef text) {
  SmallString<256> tempPath;
  int fd;
  if (std::error_code ec =
          sys::fs::createUniqueFile(path + ".tmp-%%%%%%%%", fd, tempPath))
    return generatorError(path +
                          ": cannot create a temporary file: " + ec.message());
  {
    raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << text;
    os.close();
    if (os.has_error()) {
      std::string message = os.error().message();
      os.clear_error();
      sys::fs::remove(tempPath);
      return generatorError(path + ": write failed: " + message);
    }
  }
  if (std::error_code ec = sys::fs::rename(tempPath, path)) {
    sys::fs::remove(tempPath);
    return generatorError(path +
                          ": cannot rename the temporary file into "
                          "place: " +
                          ec.message());
  }
  return Error::success();
}

ModelConfig makePreset(int64_t v, int64_t d, int64_t l, int64_t c, int64_t k,
                       int64_t p, int64_t active, int64_t f) {
  ModelConfig config;
  config.vocabSize = v;
  config.hiddenSize = d;
  config.numLayers = l;
  config.numChannels = c;
  config.slopeWindow = k;
  config.numPartitions = p;
  config.activePartitions = active;
  config.partitionSize = f;
  config.fillDefaults();
  return config;
}

uint64_t byteSize(const TensorHeaderSpec &spec) {
  uint64_t count = dtypeSize(spec.dtype);
  for (int64_t dim : spec.shape)
    count *= static_cast<uint64_t>(dim);
  return count;
}

/// Hugging Face's split: tensors in canonical order, a new shard once the
/// current one holds its share of the bytes, none empty.
std::vector<std::vector<TensorHeaderSpec>>
splitIntoShards(const std::vector<TensorHeaderSpec> &specs, unsigned shards) {
  uint64_t total = 0;
  for (const TensorHeaderSpec &spec : specs)
    total += byteSize(spec);
  std::vector<std::vector<TensorHeaderSpec>> groups(shards);
  uint64_t written = 0;
  unsigned current = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    // Move on when this shard has its share, or when the tensors left are
    // just enough to give every later shard one.
    bool full = written * shards >= total * (current + 1);
    bool needed = specs.size() - i <= shards - current - 1;
    if (!groups[current].empty() && current + 1 < shards && (full || needed))
      ++current;
    groups[current].push_back(specs[i]);
    written += byteSize(specs[i]);
  }
  return groups;
}

} // namespace

// ---- The generator
// --------------------------------------------------------------

Expected<ModelConfig> presetConfig(StringRef name) {
  if (name == "tiny")
    return makePreset(256, 64, 2, 4, 4, 8, 2, 32);
  if (name == "small")
    return makePreset(4096, 512, 8, 8, 4, 32, 4, 512);
  // The seeds' size: about 3.0B parameters, 12% of them read per token.
  if (name == "3b")
    return makePreset(32000, 1536, 24, 16, 4, 64, 2, 384);
  return generatorError("unknown preset '" + name +
                        "' (expected 'tiny', 'small' or '3b')");
}

float randomUniform(StringRef name, uint64_t seed, uint64_t index) {
  return uniformFromKey(tensorKey(name, seed), index);
}

float randomWeight(StringRef name, ArrayRef<int64_t> shape, uint64_t seed,
                   uint64_t index) {
  return transformFor(name, shape)(randomUniform(name, seed, index));
}

Error writeRandomModel(StringRef dir, const ModelConfig &config, uint64_t seed,
                       DType dtype, unsigned shards) {
  ModelConfig filled = config;
  filled.fillDefaults();
  if (Error err = filled.validate())
    return generatorError("invalid config: " + toString(std::move(err)));
  std::vector<TensorHeaderSpec> specs;
  for (ExpectedTensor &tensor : expectedTensors(filled))
    specs.push_back({std::move(tensor.name), dtype, std::move(tensor.shape)});
  if (shards == 0 || shards > specs.size())
    return generatorError("--shards must be from 1 to the model's " +
                          Twine(specs.size()) + " tensors");
  // Permissions as os.makedirs gives them (0777 less the umask).
  if (std::error_code ec = sys::fs::create_directories(
          dir, /*IgnoreExisting=*/true, sys::fs::all_all))
    return generatorError(dir + ": cannot create directory: " + ec.message());

  SmallString<256> configPath(dir), weightsPath(dir);
  sys::path::append(configPath, "config.json");
  sys::path::append(weightsPath, "model.safetensors");
  // The config as given (explicit decays/slopes only if they were explicit).
  if (Error err = writeFileAtomically(configPath, config.toJson()))
    return err;

  // Chunks bound memory (the small preset is ~0.8 GB in F32).
  constexpr uint64_t kChunkElements = 1 << 16;
  std::vector<uint8_t> chunk;
  auto writeData = [&](const TensorHeaderSpec &spec, raw_ostream &os) {
    uint64_t count = 1;
    for (int64_t dim : spec.shape)
      count *= static_cast<uint64_t>(dim);
    uint64_t key = tensorKey(spec.name, seed);
    WeightTransform transform = transformFor(spec.name, spec.shape);
    for (uint64_t start = 0; start < count; start += kChunkElements) {
      uint64_t end = std::min(count, start + kChunkElements);
      chunk.clear();
      for (uint64_t index = start; index < end; ++index)
        appendLittleEndian(chunk, transform(uniformFromKey(key, index)), dtype);
      os.write(reinterpret_cast<const char *>(chunk.data()), chunk.size());
    }
  };
  const std::vector<std::pair<std::string, std::string>> metadata = {
      {"format", "pt"}, {"generator", "yan-model-gen"}};
  // A directory holding both layouts is refused by the importer: replace
  // the other layout's entry point (which this generator wrote before).
  SmallString<256> indexPath(dir);
  sys::path::append(indexPath, kShardIndexName);
  sys::fs::remove(shards == 1 ? indexPath : weightsPath);
  if (shards == 1)
    return writeSafeTensorsStreamed(
        weightsPath, specs, metadata,
        [&](size_t i, raw_ostream &os) { writeData(specs[i], os); });
  std::vector<std::vector<TensorHeaderSpec>> groups = splitIntoShards(specs, shards);
  json::Object weightMap;
  uint64_t totalBytes = 0;
  for (unsigned s = 0; s < shards; ++s) {
    std::string name = shardFileName(s + 1, shards);
    SmallString<256> path(dir);
    sys::path::append(path, name);
    const std::vector<TensorHeaderSpec> &group = groups[s];
    for (const TensorHeaderSpec &spec : group) {
      weightMap[spec.name] = name;
      totalBytes += byteSize(spec);
    }
    if (Error err = writeSafeTensorsStreamed(
            path, group, metadata,
            [&](size_t i, raw_ostream &os) { writeData(group[i], os); }))
      return err;
  }
  json::Value index = json::Object{
      {"metadata", json::Object{{"total_size", static_cast<int64_t>(totalBytes)}}},
      {"weight_map", std::move(weightMap)}};
  return writeFileAtomically(indexPath, formatv("{0:2}\n", index).str());
}

} // namespace yan
