//===- fuzz_checkpoint.cpp - libFuzzer harness: config + safetensors ------===//
//
// Input: config.json text, a NUL byte, then the bytes of a .safetensors file
// (the seed corpus joins yan-model-gen's files that way). Runs what yanc
// runs before compiling: parseModelConfig (JSON, every field's checks),
// the safetensors reader (header, dtypes, shapes, ranges, overlaps), and,
// when both parse, checkTensors (the tensor set against the config).
// Inputs without a NUL are tried as both a config and a safetensors file.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/Checkpoint.h"
#include "compiler/import/ModelConfig.h"
#include "compiler/import/SafeTensors.h"

#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = reinterpret_cast<const char *>(data);
  const void *nul = std::memchr(data, 0, size);
  size_t configSize = nul ? static_cast<size_t>(static_cast<const uint8_t *>(nul) - data) : size;
  llvm::StringRef configText(text, configSize);
  llvm::StringRef tensorBytes =
      nul ? llvm::StringRef(text + configSize + 1, size - configSize - 1) : configText;

  llvm::Expected<yan::ModelConfig> config = yan::parseModelConfig(configText, "config.json");
  if (config) {
    (void)config->toJson();
  } else {
    llvm::consumeError(config.takeError());
  }
  // A copy of exactly the bytes (MemoryBuffer::getMemBufferCopy), so reads
  // past the end are caught.
  auto weights = yan::SafeTensorsFile::fromBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(tensorBytes, "model.safetensors"));
  if (!weights) {
    llvm::consumeError(weights.takeError());
    return 0;
  }
  volatile uint64_t sink = 0;
  for (const yan::TensorView &t : (*weights)->tensors())
    if (!t.bytes.empty())
      sink = sink + t.bytes.front() + t.bytes.back();
  if (config)
    llvm::consumeError(yan::checkTensors(*config, **weights));
  return 0;
}
