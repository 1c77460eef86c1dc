//===- ConvertWeights.cpp - Storing a checkpoint's weights in another format ===//

#include "compiler/import/ConvertWeights.h"
#include "compiler/import/FloatFormats.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include <cmath>

using namespace llvm;

namespace yan {

Expected<WeightFormat> parseWeightFormat(StringRef name) {
  if (name == "f32")
    return WeightFormat{DType::F32, {}};
  if (name == "f16")
    return WeightFormat{DType::F16, {}};
  if (name == "bf16")
    return WeightFormat{DType::BF16, {}};
  if (std::optional<QuantFormat> quant = parseQuantFormat(name))
    return WeightFormat{DType::F32, quant};
  return createStringError("unknown weight format '" + name +
                           "' (expected f32, f16, bf16, int8 or int4)");
}

bool inKeepFamily(StringRef family, StringRef tensorName) {
  if (family == "embed")
    return tensorName == "embed.weight";
  if (family == "lm_head")
    return tensorName == "lm_head.weight";
  if (!tensorName.consume_front("layers."))
    return false;
  StringRef rest = tensorName.split('.').second;
  if (family == "router")
    return rest == "router.weight";
  if (family == "mix")
    return rest.starts_with("mix.");
  if (family == "ffn")
    return rest.starts_with("ffn.");
  return false;
}

Expected<std::vector<std::string>> keptF32Tensors(const ModelConfig &config, StringRef list) {
  static const char *const kFamilies[] = {"embed", "lm_head", "router", "mix", "ffn"};
  std::vector<ExpectedTensor> tensors = expectedTensors(config);
  StringSet<> kept;
  SmallVector<StringRef> entries;
  list.split(entries, ',', -1, /*KeepEmpty=*/false);
  for (StringRef entry : entries) {
    entry = entry.trim();
    bool family = is_contained(ArrayRef(kFamilies), entry);
    bool found = false;
    for (const ExpectedTensor &t : tensors)
      if (family ? inKeepFamily(entry, t.name) : t.name == entry) {
        kept.insert(t.name);
        found = true;
      }
    if (!found && !family)
      return createStringError("--keep-f32: '" + entry +
                               "' is neither a tensor of this model nor one of the families "
                               "embed, lm_head, router, mix, ffn");
  }
  std::vector<std::string> names;
  for (const ExpectedTensor &t : tensors)
    if (kept.contains(t.name))
      names.push_back(t.name);
  return names;
}

float tensorElement(const TensorView &tensor, int64_t index) {
  const uint8_t *p = tensor.bytes.data() + index * dtypeSize(tensor.dtype);
  switch (tensor.dtype) {
  case DType::F32:
    return bit_cast<float>(support::endian::read32le(p));
  case DType::F16:
    return halfBitsToFloat(support::endian::read16le(p));
  case DType::BF16:
    return bfloat16BitsToFloat(support::endian::read16le(p));
  }
  return 0.0f;
}

namespace {

constexpr int64_t kPieceBytes = 64 * 1024;

/// Elements [first, first + count) of `tensor` widened to float32, as
/// tensorElement does one by one (the dtype chosen once per run: this loop
/// sees every weight of the model, up to three times per compile).
void widenElements(const TensorView &tensor, int64_t first, int64_t count, float *out) {
  const uint8_t *p = tensor.bytes.data() + first * dtypeSize(tensor.dtype);
  switch (tensor.dtype) {
  case DType::F32:
    for (int64_t i = 0; i < count; ++i)
      out[i] = bit_cast<float>(support::endian::read32le(p + 4 * i));
    return;
  case DType::F16:
    for (int64_t i = 0; i < count; ++i)
      out[i] = halfBitsToFloat(support::endian::read16le(p + 2 * i));
    return;
  case DType::BF16:
    for (int64_t i = 0; i < count; ++i)
      out[i] = bfloat16BitsToFloat(support::endian::read16le(p + 2 * i));
    return;
  }
}

/// Elements [begin, end) of `tensor` as the float format `dtype`, in pieces.
Error streamFloats(const TensorView &tensor, DType dtype, int64_t begin, int64_t end,
                   ByteSink sink) {
  size_t width = dtypeSize(dtype);
  std::vector<uint8_t> piece(kPieceBytes);
  std::vector<float> values(kPieceBytes / width);
  for (int64_t first = begin; first < end;) {
    int64_t count = std::min<int64_t>(end - first, kPieceBytes / width);
    widenElements(tensor, first, count, values.data());
    for (int64_t i = 0; i < count; ++i) {
      float value = values[i];
      uint8_t *out = piece.data() + i * width;
      if (dtype == DType::F32) {
        support::endian::write32le(out, bit_cast<uint32_t>(value));
        continue;
      }
      uint16_t bits = dtype == DType::F16 ? floatToHalfBits(value) : floatToBFloat16Bits(value);
      support::endian::write16le(out, bits);
      float back = dtype == DType::F16 ? halfBitsToFloat(bits) : bfloat16BitsToFloat(bits);
      if (std::isfinite(value) && !std::isfinite(back))
        return createStringError(tensor.file + ": " + tensor.name + "[" +
                                 Twine(first + i) + "] does not fit in " +
                                 dtypeName(dtype).lower() + " (it would become infinite)");
    }
    sink(ArrayRef(piece.data(), count * width));
    first += count;
  }
  return Error::success();
}

/// Slabs [begin, end) of `tensor` ([..., rows, cols]) quantized, one slab
/// buffer filled a few rows at a time.
Error streamSlabs(const TensorView &tensor, QuantFormat format, int64_t begin, int64_t end,
                  ByteSink sink) {
  size_t rank = tensor.shape.size();
  int64_t rows = tensor.shape[rank - 2], cols = tensor.shape[rank - 1];
  std::vector<uint8_t> slab(quantSlabLayout(format, rows, cols).bytes);
  int64_t rowsPerPiece = std::max<int64_t>(1, kPieceBytes / 4 / cols);
  std::vector<float> values;
  for (int64_t s = begin; s < end; ++s) {
    std::string where =
        rank > 2 ? (tensor.name + "[" + Twine(s) + "]").str() : tensor.name;
    std::fill(slab.begin(), slab.end(), 0);
    for (int64_t r = 0; r < rows; r += rowsPerPiece) {
      int64_t count = std::min(rowsPerPiece, rows - r);
      values.resize(count * cols);
      int64_t first = (s * rows + r) * cols;
      widenElements(tensor, first, count * cols, values.data());
      if (Error error = quantizeRows(format, where, values, r, rows, cols, slab))
        return error;
    }
    sink(slab);
  }
  return Error::success();
}

} // namespace

Error streamPartition(const TensorView &tensor, WeightFormat format, int64_t numPartitions,
                      int64_t partition, ByteSink sink) {
  int64_t elements = tensor.numElements() / numPartitions;
  if (format.quant) {
    size_t rank = tensor.shape.size();
    int64_t slabs = elements / (tensor.shape[rank - 2] * tensor.shape[rank - 1]);
    return streamSlabs(tensor, *format.quant, partition * slabs, (partition + 1) * slabs,
                       sink);
  }
  if (format.dtype == tensor.dtype) {
    uint64_t bytes = tensor.bytes.size() / numPartitions;
    sink(tensor.bytes.slice(partition * bytes, bytes));
    return Error::success();
  }
  return streamFloats(tensor, format.dtype, partition * elements, (partition + 1) * elements,
                      sink);
}

WeightFormat storedFormatFor(std::optional<WeightFormat> chosen, DType fileDtype, size_t rank,
                             bool keptF32) {
  WeightFormat own = chosen.value_or(WeightFormat{fileDtype, {}});
  if (keptF32 || (own.quant && rank < 2)) // the norm vectors stay float32
    return WeightFormat{DType::F32, {}};
  return own;
}

Error selectWeightFormats(Checkpoint &checkpoint, StringRef format, StringRef keepF32) {
  std::optional<WeightFormat> chosen;
  if (!format.empty()) {
    Expected<WeightFormat> parsed = parseWeightFormat(format);
    if (!parsed)
      return parsed.takeError();
    chosen = *parsed;
  }
  Expected<std::vector<std::string>> kept = keptF32Tensors(checkpoint.config, keepF32);
  if (!kept)
    return kept.takeError();
  checkpoint.storedFormats.clear();
  for (const TensorView &tensor : checkpoint.weights->tensors()) {
    WeightFormat own = storedFormatFor(chosen, tensor.dtype, tensor.shape.size(),
                                       is_contained(*kept, tensor.name));
    if (own != WeightFormat{tensor.dtype, {}})
      checkpoint.storedFormats[tensor.name] = own;
  }
  for (const auto &[name, own] : checkpoint.storedFormats)
    if (Error error = streamPartition(checkpoint.tensor(name), own, 1, 0,
                                      [](ArrayRef<uint8_t>) {}))
      return error;
  return Error::success();
}

} // namespace yan
