//===- quantize_tensors.cpp - The C++ quantizer's output, for the cross-check ===//
//
//   quantize-tensors int8|int4 IN.safetensors OUT_DIR
//
// Quantizes every tensor of at least two dimensions of IN (F32/F16/BF16,
// widened exactly) with compiler/import/QuantFormats and writes, per tensor,
// OUT_DIR/NAME.q (the storage bytes) and OUT_DIR/NAME.f32 (the dequantized
// values, little-endian float32), or OUT_DIR/NAME.error (the message) when
// the quantizer refuses it. check_quant_matches_reference.py compares them
// with test/reference/quant_formats.py. Exit status 1 only when IN cannot
// be read or OUT_DIR written.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/ConvertWeights.h"
#include "compiler/import/QuantFormats.h"
#include "compiler/import/SafeTensors.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace {

Error writeFile(const Twine &path, StringRef bytes) {
  std::error_code ec;
  raw_fd_ostream out(path.str(), ec, sys::fs::OF_None);
  if (ec)
    return createStringError(ec, "cannot write " + path);
  out << bytes;
  return Error::success();
}

StringRef asBytes(ArrayRef<uint8_t> bytes) {
  return StringRef(reinterpret_cast<const char *>(bytes.data()), bytes.size());
}

Error writeQuantized(yan::QuantFormat format, const yan::TensorView &tensor,
                     StringRef outDir) {
  std::vector<float> values(tensor.numElements());
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    values[i] = yan::tensorElement(tensor, i);
  std::string base = (outDir + "/" + tensor.name).str();
  auto bytes = yan::quantizeTensor(format, tensor.name, values, tensor.shape);
  if (!bytes)
    return writeFile(base + ".error", toString(bytes.takeError()));
  if (Error error = writeFile(base + ".q", asBytes(*bytes)))
    return error;
  std::vector<float> back = yan::dequantizeTensor(format, *bytes, tensor.shape);
  std::vector<uint8_t> raw(back.size() * 4);
  for (size_t i = 0; i < back.size(); ++i)
    support::endian::write32le(raw.data() + 4 * i, bit_cast<uint32_t>(back[i]));
  return writeFile(base + ".f32", asBytes(raw));
}

Error run(StringRef formatName, StringRef input, StringRef outDir) {
  if (formatName != "int8" && formatName != "int4")
    return createStringError("unknown format '" + formatName + "' (expected int8 or int4)");
  yan::QuantFormat format = formatName == "int8" ? yan::QuantFormat::Int8 : yan::QuantFormat::Int4;
  auto file = yan::SafeTensorsFile::open(input);
  if (!file)
    return file.takeError();
  for (const yan::TensorView &tensor : (*file)->tensors())
    if (tensor.shape.size() >= 2)
      if (Error error = writeQuantized(format, tensor, outDir))
        return error;
  return Error::success();
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    errs() << "usage: quantize-tensors int8|int4 IN.safetensors OUT_DIR\n";
    return 2;
  }
  if (Error error = run(argv[1], argv[2], argv[3])) {
    WithColor::error(errs(), "quantize-tensors") << toString(std::move(error)) << "\n";
    return 1;
  }
  return 0;
}
