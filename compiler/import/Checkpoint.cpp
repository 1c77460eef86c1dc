//===- Checkpoint.cpp - A Yan checkpoint: config + weights ----------------===//

#include "compiler/import/Checkpoint.h"
#include "compiler/import/FloatFormats.h"
#include "compiler/import/ShardedCheckpoint.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cstring>

using namespace llvm;

namespace yan {
namespace {

// A dimension as the spec writes it: a config symbol and its value, so shape
// errors can say where the expected size comes from.
struct SymbolicDim {
  char symbol; // 'V', 'D', 'P' or 'F'
  int64_t size;
};

struct SymbolicTensor {
  std::string name;
  std::vector<SymbolicDim> dims;
};

// Visits the canonical tensor list of docs/yan-model.md, in file order, until
// `visit` returns false. Lazy because a valid config may imply billions of
// tensors (num_layers up to 2^31-1): checking a file must cost in proportion
// to the file, not to the config.
void forEachTensor(const ModelConfig &config,
                   function_ref<bool(SymbolicTensor)> visit) {
  SymbolicDim v{'V', config.vocabSize}, d{'D', config.hiddenSize},
      p{'P', config.numPartitions}, f{'F', config.partitionSize};
  if (!visit({"embed.weight", {v, d}}))
    return;
  for (int64_t l = 0; l < config.numLayers; ++l) {
    std::string prefix = "layers." + std::to_string(l) + ".";
    SymbolicTensor layer[] = {
        {prefix + "mix_norm.weight", {d}},  {prefix + "mix.u.weight", {d, d}},
        {prefix + "mix.v.weight", {d, d}},  {prefix + "mix.g.weight", {d, d}},
        {prefix + "mix.o.weight", {d, d}},  {prefix + "ffn_norm.weight", {d}},
        {prefix + "router.weight", {p, d}}, {prefix + "ffn.w1", {p, f, d}},
        {prefix + "ffn.w3", {p, f, d}},     {prefix + "ffn.w2", {p, d, f}},
    };
    for (SymbolicTensor &tensor : layer)
      if (!visit(std::move(tensor)))
        return;
  }
  if (!visit({"final_norm.weight", {d}}))
    return;
  visit({"lm_head.weight", {v, d}});
}

std::vector<int64_t> sizesOf(ArrayRef<SymbolicDim> dims) {
  std::vector<int64_t> sizes;
  for (const SymbolicDim &dim : dims)
    sizes.push_back(dim.size);
  return sizes;
}

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape))
    text += (i ? "," : "") + std::to_string(dim);
  return text + "]";
}

// "(P=8, F=32, D=64)": each symbol once, in order of appearance.
std::string formatLegend(ArrayRef<SymbolicDim> dims) {
  std::string legend;
  std::string seen;
  for (const SymbolicDim &dim : dims) {
    if (seen.find(dim.symbol) != std::string::npos)
      continue;
    seen += dim.symbol;
    legend += (legend.empty() ? "" : ", ") + std::string(1, dim.symbol) + "=" +
              std::to_string(dim.size);
  }
  return "(" + legend + ")";
}

Error checkpointError(StringRef path, const Twine &message) {
  return createStringError(inconvertibleErrorCode(), path + ": " + message);
}

} // namespace

std::vector<ExpectedTensor> expectedTensors(const ModelConfig &config) {
  std::vector<ExpectedTensor> tensors;
  forEachTensor(config, [&](SymbolicTensor tensor) {
    tensors.push_back({std::move(tensor.name), sizesOf(tensor.dims)});
    return true;
  });
  return tensors;
}

Error checkTensors(const ModelConfig &config, const SafeTensorsFile &weights) {
  StringRef path = weights.path();
  // Missing tensors and wrong shapes, in canonical order. Every expected
  // tensor visited is in the file, so these sets stay as small as the file.
  Error error = Error::success();
  StringSet<> expectedNames;
  std::vector<const TensorView *> inOrder;
  forEachTensor(config, [&](SymbolicTensor tensor) {
    const TensorView *view = weights.find(tensor.name);
    std::vector<int64_t> shape = sizesOf(tensor.dims);
    if (!view) {
      error = checkpointError(path, "missing tensor '" + tensor.name +
                                        "' (expected shape " +
                                        formatShape(shape) + ")");
      return false;
    }
    if (view->shape != shape) {
      error =
          checkpointError(view->file, "tensor '" + tensor.name + "' has shape " +
                                    formatShape(view->shape) + ", expected " +
                                    formatShape(shape) + " from config " +
                                    formatLegend(tensor.dims));
      return false;
    }
    expectedNames.insert(tensor.name);
    inOrder.push_back(view);
    return true;
  });
  if (error)
    return error;

  for (const TensorView &view : weights.tensors())
    if (!expectedNames.contains(view.name))
      return checkpointError(view.file, "unexpected tensor '" + view.name +
                                       "' (not part of a Yan model)");
  // One dtype throughout: the importer converts the whole model at once.
  const TensorView &first = *inOrder.front();
  for (const TensorView *view : inOrder)
    if (view->dtype != first.dtype)
      return checkpointError(
          view->file, "tensor '" + view->name + "' is " + dtypeName(view->dtype) +
                    " but '" + first.name + "' is " + dtypeName(first.dtype) +
                    ": mixed dtypes are not supported");
  return Error::success();
}

Error checkFiniteWeights(const SafeTensorsFile &weights) {
  for (const TensorView &view : weights.tensors()) {
    size_t width = dtypeSize(view.dtype);
    uint64_t count = view.bytes.size() / width;
    uint32_t exponent = 0, mantissa = 0;
    switch (view.dtype) {
    case DType::F32: exponent = 0x7f800000u; mantissa = 0x007fffffu; break;
    case DType::F16: exponent = 0x7c00u; mantissa = 0x03ffu; break;
    case DType::BF16: exponent = 0x7f80u; mantissa = 0x007fu; break;
    }
    // All ones in the exponent: inf (mantissa 0) or NaN.
    uint64_t i = width == 4 ? firstNonFinite<uint32_t>(view.bytes.data(), count, exponent)
                            : firstNonFinite<uint16_t>(view.bytes.data(), count,
                                                       static_cast<uint16_t>(exponent));
    if (i < count) {
      uint32_t bits = 0;
      std::memcpy(&bits, view.bytes.data() + i * width, width); // little-endian
      // The element's multi-index, row-major.
      std::vector<int64_t> index(view.shape.size());
      uint64_t rest = i;
      for (size_t d = view.shape.size(); d-- > 0;) {
        uint64_t dim = static_cast<uint64_t>(std::max<int64_t>(view.shape[d], 1));
        index[d] = static_cast<int64_t>(rest % dim);
        rest /= dim;
      }
      return checkpointError(view.file,
                             "tensor '" + view.name + "' element " + formatShape(index) +
                                 " is " + ((bits & mantissa) ? "NaN" : "infinite") +
                                 ": weights must be finite");
    }
  }
  return Error::success();
}

bool isPartitionedWeight(StringRef name) {
  if (!name.consume_front("layers."))
    return false;
  auto [layer, rest] = name.split('.');
  return !layer.empty() && llvm::all_of(layer, [](char c) { return llvm::isDigit(c); }) &&
         (rest == "ffn.w1" || rest == "ffn.w3" || rest == "ffn.w2");
}

StringRef weightFormatName(WeightFormat format) {
  if (format.quant)
    return quantFormatName(*format.quant);
  return format.dtype == DType::F32 ? "f32" : format.dtype == DType::F16 ? "f16" : "bf16";
}

WeightFormat Checkpoint::storedFormat(StringRef name) const {
  auto it = storedFormats.find(name);
  return it != storedFormats.end() ? it->second : WeightFormat{tensor(name).dtype, {}};
}

std::optional<WeightFormat> Checkpoint::partitionWeightFormat() const {
  for (const TensorView &tensor : weights->tensors())
    if (isPartitionedWeight(tensor.name))
      return storedFormat(tensor.name);
  return std::nullopt;
}

Expected<Checkpoint> loadCheckpoint(StringRef modelDir) {
  SmallString<256> configPath(modelDir), weightsPath(modelDir);
  sys::path::append(configPath, "config.json");
  sys::path::append(weightsPath, "model.safetensors");
  Expected<ModelConfig> config = readModelConfig(configPath);
  if (!config)
    return config.takeError();
  // Hugging Face's sharded layout (ShardedCheckpoint.h), or one file.
  SmallString<256> shardIndex(modelDir);
  sys::path::append(shardIndex, kShardIndexName);
  bool sharded = sys::fs::exists(shardIndex);
  if (sharded && sys::fs::exists(weightsPath))
    return checkpointError(modelDir, "holds both model.safetensors and " +
                                         Twine(kShardIndexName) +
                                         ": remove the one that is not the model");
  Expected<std::unique_ptr<SafeTensorsFile>> weights =
      sharded ? openShardedSafeTensors(shardIndex) : SafeTensorsFile::open(weightsPath);
  if (!weights)
    return weights.takeError();
  if (Error err = checkTensors(*config, **weights))
    return std::move(err);
  if (Error err = checkFiniteWeights(**weights))
    return std::move(err);
  Expected<std::optional<SentencePieceModel>> tokenizer =
      readModelDirTokenizer(modelDir, config->vocabSize);
  if (!tokenizer)
    return tokenizer.takeError();
  Checkpoint checkpoint;
  checkpoint.tokenizer = std::move(*tokenizer);
  checkpoint.config = std::move(*config);
  checkpoint.weights = std::move(*weights);
  return std::move(checkpoint);
}

} // namespace yan
