//===- ConvertWeights.cpp - Storing a checkpoint's weights in another format ===//

#include "compiler/import/ConvertWeights.h"
#include "compiler/import/FloatFormats.h"

#include "llvm/Support/Endian.h"
#include <cmath>

using namespace llvm;

namespace yan {

Expected<DType> parseWeightFormat(StringRef name) {
  if (name == "f32")
    return DType::F32;
  if (name == "f16")
    return DType::F16;
  if (name == "bf16")
    return DType::BF16;
  return createStringError("unknown weight format '" + name +
                           "' (expected f32, f16 or bf16)");
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

/// Element i of `tensor` as `dtype`, appended to `out`; false when a finite
/// value became infinite.
bool appendElement(const TensorView &tensor, int64_t i, DType dtype, raw_ostream &out) {
  float value = tensorElement(tensor, i);
  char bytes[4];
  switch (dtype) {
  case DType::F32:
    support::endian::write32le(bytes, bit_cast<uint32_t>(value));
    out.write(bytes, 4);
    return true;
  case DType::F16:
  case DType::BF16: {
    uint16_t bits = dtype == DType::F16 ? floatToHalfBits(value) : floatToBFloat16Bits(value);
    support::endian::write16le(bytes, bits);
    out.write(bytes, 2);
    float back = dtype == DType::F16 ? halfBitsToFloat(bits) : bfloat16BitsToFloat(bits);
    return !std::isfinite(value) || std::isfinite(back);
  }
  }
  return false;
}

} // namespace

Expected<Checkpoint> convertWeights(Checkpoint checkpoint, DType dtype) {
  const SafeTensorsFile &source = *checkpoint.weights;
  bool same = llvm::all_of(source.tensors(),
                           [&](const TensorView &t) { return t.dtype == dtype; });
  if (same)
    return std::move(checkpoint);
  std::vector<TensorHeaderSpec> specs;
  for (const TensorView &tensor : source.tensors())
    specs.push_back({tensor.name, dtype, tensor.shape});
  std::string overflow;
  auto converted = buildSafeTensors(
      source.path().str() + " (as " + dtypeName(dtype).lower() + ")", specs, {},
      [&](size_t index, raw_ostream &out) {
        const TensorView &tensor = source.tensors()[index];
        for (int64_t i = 0, n = tensor.numElements(); i < n; ++i)
          if (!appendElement(tensor, i, dtype, out) && overflow.empty())
            overflow = tensor.name + "[" + std::to_string(i) + "]";
      });
  if (!converted)
    return converted.takeError();
  if (!overflow.empty())
    return createStringError(source.path() + ": " + overflow + " does not fit in " +
                             dtypeName(dtype).lower() + " (it would become infinite)");
  checkpoint.weights = std::move(*converted);
  return std::move(checkpoint);
}

} // namespace yan
