//===- RandomModel.cpp - Deterministic random Yan models ------------------===//
//
// Must stay bit-identical to test/reference/gen_model.py: every float
// operation below is one float32 operation there (compiled without FMA
// contraction, see CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#include "compiler/import/RandomModel.h"
#include "compiler/import/Checkpoint.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/FileSystem.h"
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

} // namespace

// ---- The generator
// --------------------------------------------------------------

Expected<ModelConfig> presetConfig(StringRef name) {
  if (name == "tiny")
    return makePreset(256, 64, 2, 4, 4, 8, 2, 32);
  if (name == "small")
    return makePreset(4096, 512, 8, 8, 4, 32, 4, 512);
  return generatorError("unknown preset '" + name +
                        "' (expected 'tiny' or 'small')");
}

float randomUniform(StringRef name, uint64_t seed, uint64_t index) {
  return uniformFromKey(tensorKey(name, seed), index);
}

float randomWeight(StringRef name, ArrayRef<int64_t> shape, uint64_t seed,
                   uint64_t index) {
  return transformFor(name, shape)(randomUniform(name, seed, index));
}

Error writeRandomModel(StringRef dir, const ModelConfig &config, uint64_t seed,
                       DType dtype) {
  ModelConfig filled = config;
  filled.fillDefaults();
  if (Error err = filled.validate())
    return generatorError("invalid config: " + toString(std::move(err)));
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

  std::vector<TensorHeaderSpec> specs;
  for (ExpectedTensor &tensor : expectedTensors(filled))
    specs.push_back({std::move(tensor.name), dtype, std::move(tensor.shape)});
  // Chunks bound memory (the small preset is ~0.8 GB in F32).
  constexpr uint64_t kChunkElements = 1 << 16;
  std::vector<uint8_t> chunk;
  return writeSafeTensorsStreamed(
      weightsPath, specs, {{"format", "pt"}, {"generator", "yan-model-gen"}},
      [&](size_t i, raw_ostream &os) {
        const TensorHeaderSpec &spec = specs[i];
        uint64_t count = 1;
        for (int64_t dim : spec.shape)
          count *= static_cast<uint64_t>(dim);
        uint64_t key = tensorKey(spec.name, seed);
        WeightTransform transform = transformFor(spec.name, spec.shape);
        for (uint64_t start = 0; start < count; start += kChunkElements) {
          uint64_t end = std::min(count, start + kChunkElements);
          chunk.clear();
          for (uint64_t index = start; index < end; ++index)
            appendLittleEndian(chunk, transform(uniformFromKey(key, index)),
                               dtype);
          os.write(reinterpret_cast<const char *>(chunk.data()), chunk.size());
        }
      });
}

} // namespace yan
