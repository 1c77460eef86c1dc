//===- WeightLayout.cpp - Where each weight lives in the bundle -----------===//
#include "compiler/layout/WeightLayout.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

using namespace llvm;

namespace yan {
namespace {

Error layoutError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), "weight layout: " + message);
}

// a * b, or false on overflow.
bool multiply(uint64_t a, uint64_t b, uint64_t &out) {
  return !__builtin_mul_overflow(a, b, &out);
}

bool alignTo(uint64_t value, uint64_t align, uint64_t &out) {
  if (value > UINT64_MAX - (align - 1))
    return false;
  out = llvm::alignTo(value, align);
  return true;
}

} // namespace

bool weightBytes(const WeightSpec &spec, uint64_t &bytes) {
  for (int64_t d : spec.shape)
    if (d < 0 || (spec.quant && d == 0))
      return false;
  if (!spec.quant) {
    bytes = dtypeSize(spec.dtype);
    for (int64_t d : spec.shape)
      if (!multiply(bytes, static_cast<uint64_t>(d), bytes))
        return false;
    return true;
  }
  size_t rank = spec.shape.size();
  if (rank < 2 || spec.dtype != DType::F32)
    return false;
  // Bounded so the slab arithmetic below cannot overflow int64.
  int64_t rows = spec.shape[rank - 2], cols = spec.shape[rank - 1];
  if (rows > (int64_t(1) << 31) || cols > (int64_t(1) << 31))
    return false;
  bytes = static_cast<uint64_t>(quantSlabLayout(*spec.quant, rows, cols).bytes);
  for (size_t i = 0; i + 2 < rank; ++i)
    if (!multiply(bytes, static_cast<uint64_t>(spec.shape[i]), bytes))
      return false;
  return true;
}

const WeightPlacement *WeightLayout::find(StringRef name) const {
  for (const WeightPlacement &w : weights)
    if (w.name == name)
      return &w;
  return nullptr;
}

Expected<WeightLayout> computeWeightLayout(ArrayRef<WeightSpec> specs,
                                           const WeightLayoutOptions &options) {
  if (!isPowerOf2_64(options.tensorAlignment))
    return layoutError("tensor alignment " + Twine(options.tensorAlignment) +
                       " is not a power of two");
  if (options.partitionAlignment && !isPowerOf2_64(options.partitionAlignment))
    return layoutError("partition alignment " + Twine(options.partitionAlignment) +
                       " is not a power of two");
  WeightLayout layout;
  uint64_t end = 0;
  for (const WeightSpec &spec : specs) {
    WeightPlacement w;
    w.name = spec.name;
    w.dtype = spec.dtype;
    w.quant = spec.quant;
    w.shape = spec.shape;
    uint64_t bytes = 0;
    if (!weightBytes(spec, bytes))
      return layoutError("'" + w.name + "' has an invalid or huge shape" +
                         (spec.quant ? " for " + quantFormatName(*spec.quant).str()
                                     : std::string()));
    if (spec.numPartitions < 1)
      return layoutError("'" + w.name + "' has no partitions");
    bool partitioned = spec.numPartitions > 1;
    w.numPartitions = spec.numPartitions;
    uint64_t parts = static_cast<uint64_t>(w.numPartitions);
    if (bytes % parts != 0)
      return layoutError("'" + w.name + "' (" + Twine(bytes) +
                         " bytes) does not split into " + Twine(parts) + " partitions");
    w.partitionBytes = bytes / parts;
    uint64_t align = options.tensorAlignment;
    w.partitionStride = w.partitionBytes;
    if (partitioned && options.partitionAlignment) {
      align = std::max(align, options.partitionAlignment);
      if (!alignTo(w.partitionBytes, options.partitionAlignment, w.partitionStride))
        return layoutError("'" + w.name + "' is too large");
    }
    uint64_t padded;
    if (!multiply(parts - 1, w.partitionStride, padded) ||
        padded > UINT64_MAX - w.partitionBytes || !alignTo(end, align, w.offset) ||
        w.offset > UINT64_MAX - (padded + w.partitionBytes))
      return layoutError("the weight segment would exceed 2^64 bytes at '" + w.name + "'");
    w.size = padded + w.partitionBytes;
    end = w.offset + w.size;
    layout.weights.push_back(std::move(w));
  }
  layout.segmentSize = end;
  return layout;
}

Expected<WeightLayout> computeWeightLayout(const Checkpoint &checkpoint,
                                           const WeightLayoutOptions &options) {
  const ModelConfig &config = checkpoint.config;
  std::vector<WeightSpec> specs;
  for (const ExpectedTensor &expected : expectedTensors(config)) {
    const TensorView *tensor = checkpoint.weights->find(expected.name);
    if (!tensor)
      return layoutError("checkpoint has no tensor '" + expected.name + "'");
    bool partitioned = isPartitionedWeight(expected.name) && config.numPartitions > 1;
    WeightFormat format = checkpoint.storedFormat(expected.name);
    specs.push_back({expected.name, format.dtype, tensor->shape,
                     partitioned ? config.numPartitions : 1, format.quant});
  }
  return computeWeightLayout(specs, options);
}

} // namespace yan
