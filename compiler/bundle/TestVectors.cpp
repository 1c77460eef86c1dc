//===- TestVectors.cpp - Reference results to embed in a bundle -----------===//
#include "compiler/bundle/TestVectors.h"
#include "compiler/import/RegularFile.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <cstring>

namespace yan {
namespace {
llvm::Error error(llvm::StringRef path, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 (path + ": " + message).str().c_str());
}

llvm::Expected<std::vector<int32_t>> tokenList(const llvm::json::Object &doc,
                                               llvm::StringRef key,
                                               llvm::StringRef path,
                                               int64_t vocabSize) {
  const llvm::json::Array *array = doc.getArray(key);
  if (!array)
    return error(path, "field '" + key + "' must be an array of token ids");
  std::vector<int32_t> tokens;
  for (const llvm::json::Value &value : *array) {
    std::optional<int64_t> token = value.getAsInteger();
    if (!token || *token < 0 || *token >= vocabSize)
      return error(path, "field '" + key + "' holds a token outside [0, " +
                             llvm::Twine(vocabSize) + ")");
    tokens.push_back(static_cast<int32_t>(*token));
  }
  return tokens;
}

/// Reads `count` little-endian floats from the file `name` beside the JSON.
llvm::Expected<std::vector<float>> floatFile(llvm::StringRef jsonPath,
                                             llvm::StringRef name,
                                             uint64_t count) {
  llvm::SmallString<256> path = llvm::sys::path::parent_path(jsonPath);
  llvm::sys::path::append(path, name);
  auto buffer = readRegularFile(path, count * sizeof(float));
  if (!buffer)
    return buffer.takeError();
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() != count * sizeof(float))
    return error(path, "holds " + llvm::Twine(bytes.size()) +
                           " bytes, expected " + llvm::Twine(count * 4));
  std::vector<float> values(count);
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}
} // namespace

llvm::Expected<BundleTestVector> readTestVector(llvm::StringRef jsonPath,
                                                int64_t vocabSize,
                                                int64_t stateFloats) {
  auto buffer = readRegularFile(jsonPath, kMaxTextFileBytes, /*text=*/true);
  if (!buffer)
    return buffer.takeError();
  llvm::Expected<llvm::json::Value> parsed =
      llvm::json::parse((*buffer)->getBuffer());
  if (!parsed)
    return error(jsonPath, llvm::toString(parsed.takeError()));
  const llvm::json::Object *doc = parsed->getAsObject();
  if (!doc || doc->getString("format") != "yan-golden-v1")
    return error(jsonPath, "not a yan-golden-v1 document");

  BundleTestVector vector;
  vector.name = llvm::sys::path::stem(jsonPath).str();
  auto prompt = tokenList(*doc, "prompt", jsonPath, vocabSize);
  if (!prompt)
    return prompt.takeError();
  if (prompt->empty())
    return error(jsonPath, "the prompt is empty");
  auto generated = tokenList(*doc, "generated", jsonPath, vocabSize);
  if (!generated)
    return generated.takeError();
  vector.prompt = std::move(*prompt);
  vector.generated = std::move(*generated);
  if (std::optional<int64_t> next = doc->getInteger("next_token"))
    vector.nextToken = static_cast<int32_t>(*next);

  std::optional<llvm::StringRef> logits = doc->getString("logits");
  if (!logits)
    return error(jsonPath, "field 'logits' must name the logits file");
  uint64_t rows = vector.prompt.size() + vector.generated.size();
  auto values = floatFile(jsonPath, *logits, rows * vocabSize);
  if (!values)
    return values.takeError();
  vector.expectedLogits = std::move(*values);
  for (auto [key, target] :
       {std::pair{"prefill_state", &vector.prefillState},
        std::pair{"final_state", &vector.finalState}}) {
    if (std::optional<llvm::StringRef> name = doc->getString(key)) {
      auto state = floatFile(jsonPath, *name, stateFloats);
      if (!state)
        return state.takeError();
      *target = std::move(*state);
    }
  }
  return vector;
}

} // namespace yan
