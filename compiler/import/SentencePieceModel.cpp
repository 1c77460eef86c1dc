//===- SentencePieceModel.cpp - Reading a SentencePiece tokenizer.model ---===//
//
// Field numbers from SentencePiece's src/sentencepiece_model.proto (v0.1.97).
// Unknown fields are skipped, as protobuf does; a field we read must have
// the wire type its declaration implies. Repeated occurrences of a
// sub-message merge and the last scalar wins, as in protobuf.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/SentencePieceModel.h"
#include "compiler/import/RegularFile.h"

#include "compiler/import/ProtoWire.h"
#include "yan/text/utf8.h" // the runtime tokenizer's own rules

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <cmath>
#include <cstring>

using namespace llvm;

namespace yan {
namespace {

// ModelProto
constexpr uint32_t kPieces = 1, kTrainerSpec = 2, kNormalizerSpec = 3,
                   kDenormalizerSpec = 5;
// ModelProto.SentencePiece
constexpr uint32_t kPiece = 1, kScore = 2, kType = 3;
// TrainerSpec
constexpr uint32_t kModelType = 3, kTreatWhitespaceAsSuffix = 24, kByteFallback = 35,
                   kUnkSurface = 44, kUnkPiece = 45, kBosPiece = 46, kEosPiece = 47,
                   kPadPiece = 48;
// NormalizerSpec
constexpr uint32_t kName = 1, kPrecompiledCharsmap = 2, kAddDummyPrefix = 3,
                   kRemoveExtraWhitespaces = 4, kEscapeWhitespaces = 5;

constexpr int64_t kUnigram = 1;

Error modelError(StringRef file, const Twine &message) {
  return createStringError(inconvertibleErrorCode(), file + ": " + message);
}

/// What we read from trainer_spec / normalizer_spec, with proto2 defaults.
struct Specs {
  int64_t modelType = kUnigram;
  bool treatWhitespaceAsSuffix = false;
  bool byteFallback = false;
  std::optional<std::string> unkSurface;
  std::string unkPiece, bosPiece, eosPiece, padPiece; // empty: default
  std::string normalizerName;
  size_t charsmapBytes = 0;
  bool addDummyPrefix = true;
  bool removeExtraWhitespaces = true;
  bool escapeWhitespaces = true;
  size_t denormalizerCharsmapBytes = 0;
};

const char *modelTypeName(int64_t type) {
  switch (type) {
  case 1: return "UNIGRAM";
  case 2: return "BPE";
  case 3: return "WORD";
  case 4: return "CHAR";
  default: return "unknown";
  }
}

// Calls `onField` for every field of `message`; errors get `path` prefixed.
template <typename Fn>
Error forEachField(ArrayRef<uint8_t> message, const Twine &path, Fn onField) {
  ProtoReader reader(message);
  ProtoField field;
  while (true) {
    Expected<bool> more = reader.next(field);
    if (!more)
      return createStringError(inconvertibleErrorCode(),
                               path + ": " + toString(more.takeError()));
    if (!*more)
      return Error::success();
    if (Error error = onField(field))
      return createStringError(inconvertibleErrorCode(),
                               path + ": " + toString(std::move(error)));
  }
}

Error readBool(const ProtoField &f, bool &out) {
  if (Error error = expectWireType(f, WireType::Varint))
    return error;
  out = f.value != 0;
  return Error::success();
}

Error readString(const ProtoField &f, std::string &out) {
  if (Error error = expectWireType(f, WireType::Bytes))
    return error;
  out = f.text().str();
  return Error::success();
}

Error readPiece(ArrayRef<uint8_t> message, size_t index, SentencePiece &out) {
  return forEachField(message, "pieces[" + Twine(index) + "]", [&](const ProtoField &f) -> Error {
    switch (f.number) {
    case kPiece:
      return readString(f, out.piece);
    case kScore: {
      if (Error error = expectWireType(f, WireType::Fixed32))
        return error;
      uint32_t bits = static_cast<uint32_t>(f.value);
      std::memcpy(&out.score, &bits, sizeof(float));
      return Error::success();
    }
    case kType: {
      if (Error error = expectWireType(f, WireType::Varint))
        return error;
      if (f.value < 1 || f.value > 6)
        return createStringError(inconvertibleErrorCode(),
                                 "type " + Twine(static_cast<int64_t>(f.value)) +
                                     " is not a SentencePiece piece type (1-6)");
      out.type = static_cast<PieceType>(f.value);
      return Error::success();
    }
    default:
      return Error::success();
    }
  });
}

Error readTrainerSpec(ArrayRef<uint8_t> message, Specs &s) {
  return forEachField(message, "trainer_spec", [&](const ProtoField &f) -> Error {
    switch (f.number) {
    case kModelType:
      if (Error error = expectWireType(f, WireType::Varint))
        return error;
      s.modelType = static_cast<int32_t>(static_cast<uint32_t>(f.value));
      return Error::success();
    case kTreatWhitespaceAsSuffix: return readBool(f, s.treatWhitespaceAsSuffix);
    case kByteFallback: return readBool(f, s.byteFallback);
    case kUnkSurface: {
      std::string surface;
      if (Error error = readString(f, surface))
        return error;
      s.unkSurface = std::move(surface);
      return Error::success();
    }
    case kUnkPiece: return readString(f, s.unkPiece);
    case kBosPiece: return readString(f, s.bosPiece);
    case kEosPiece: return readString(f, s.eosPiece);
    case kPadPiece: return readString(f, s.padPiece);
    default: return Error::success();
    }
  });
}

Error readNormalizerSpec(ArrayRef<uint8_t> message, Specs &s) {
  return forEachField(message, "normalizer_spec", [&](const ProtoField &f) -> Error {
    switch (f.number) {
    case kName: return readString(f, s.normalizerName);
    case kPrecompiledCharsmap:
      if (Error error = expectWireType(f, WireType::Bytes))
        return error;
      s.charsmapBytes = f.bytes.size();
      return Error::success();
    case kAddDummyPrefix: return readBool(f, s.addDummyPrefix);
    case kRemoveExtraWhitespaces: return readBool(f, s.removeExtraWhitespaces);
    case kEscapeWhitespaces: return readBool(f, s.escapeWhitespaces);
    default: return Error::success();
    }
  });
}

Error readDenormalizerSpec(ArrayRef<uint8_t> message, Specs &s) {
  return forEachField(message, "denormalizer_spec", [&](const ProtoField &f) -> Error {
    if (f.number != kPrecompiledCharsmap)
      return Error::success();
    if (Error error = expectWireType(f, WireType::Bytes))
      return error;
    s.denormalizerCharsmapBytes = f.bytes.size();
    return Error::success();
  });
}

/// Everything that would make SentencePiece encode or decode differently
/// from our runtime.
Error checkSpecs(const Specs &s, StringRef file) {
  if (s.modelType != kUnigram)
    return modelError(file, "trainer_spec.model_type is " + Twine(modelTypeName(s.modelType)) +
                                " (" + Twine(s.modelType) +
                                "); only UNIGRAM (1) models are supported");
  if (s.treatWhitespaceAsSuffix)
    return modelError(file, "trainer_spec.treat_whitespace_as_suffix is true; only "
                            "whitespace as a prefix is supported");
  if (s.charsmapBytes)
    return modelError(file, "normalizer_spec.precompiled_charsmap is not empty (" +
                                Twine(s.charsmapBytes) + " bytes, normalization rule '" +
                                s.normalizerName +
                                "'); only the identity rule is supported (train with "
                                "normalization_rule_name=identity)");
  if (s.removeExtraWhitespaces)
    return modelError(file, "normalizer_spec.remove_extra_whitespaces is true; only false "
                            "is supported (train with remove_extra_whitespaces=false)");
  if (!s.escapeWhitespaces)
    return modelError(file, "normalizer_spec.escape_whitespaces is false; only true "
                            "(spaces as U+2581) is supported");
  if (s.denormalizerCharsmapBytes)
    return modelError(file, "denormalizer_spec.precompiled_charsmap is not empty (" +
                                Twine(s.denormalizerCharsmapBytes) +
                                " bytes); denormalization is not supported");
  if (s.unkSurface && s.unkSurface->size() > kMaxUnkSurfaceBytes)
    return modelError(file, "trainer_spec.unk_surface has " +
                                Twine(s.unkSurface->size()) + " bytes, at most " +
                                Twine(kMaxUnkSurfaceBytes) + " are supported");
  return Error::success();
}

/// SentencePieceProcessor's bos_id() & co: the id of the named piece when it
/// has type `type`, else -1.
int32_t specialId(const SentencePieceModel &m, StringRef name, StringRef fallback,
                  PieceType type) {
  StringRef wanted = name.empty() ? fallback : name;
  for (auto [i, p] : enumerate(m.pieces))
    if (p.piece == wanted)
      return p.type == type ? static_cast<int32_t>(i) : -1;
  return -1;
}

bool isValidUtf8(StringRef s) {
  while (!s.empty()) {
    size_t length =
        rt::utf8ValidLength(reinterpret_cast<const uint8_t *>(s.data()), s.size());
    if (!length)
      return false;
    s = s.drop_front(length);
  }
  return true;
}

/// The byte of a "<0xXX>" piece (upper-case hex, as SentencePiece writes and
/// requires them), or -1.
int pieceByte(StringRef piece) {
  if (piece.size() != 6 || !piece.starts_with("<0x") || piece.back() != '>')
    return -1;
  int value = 0;
  for (char c : piece.substr(3, 2)) {
    if (c >= '0' && c <= '9')
      value = value * 16 + (c - '0');
    else if (c >= 'A' && c <= 'F')
      value = value * 16 + (c - 'A' + 10);
    else
      return -1;
  }
  return value;
}

} // namespace

Error checkSentencePieceModel(const SentencePieceModel &m, StringRef file) {
  DenseSet<StringRef> seen;
  bool byteSeen[256] = {};
  int64_t unknowns = 0;
  for (auto [i, p] : enumerate(m.pieces)) {
    std::string where = ("pieces[" + Twine(i) + "]").str();
    if (p.piece.empty())
      return modelError(file, where + ".piece is empty");
    if (p.piece.size() > kMaxPieceBytes)
      return modelError(file, where + ".piece has " + Twine(p.piece.size()) +
                                  " bytes, at most " + Twine(kMaxPieceBytes) +
                                  " are supported");
    if (!isValidUtf8(p.piece))
      return modelError(file, where + ".piece is not valid UTF-8");
    if (!std::isfinite(p.score))
      return modelError(file, where + ".score is not finite");
    if (!seen.insert(p.piece).second)
      return modelError(file, where + ".piece '" + p.piece + "' is a duplicate");
    if (p.type == PieceType::Unknown)
      ++unknowns;
    if (p.type == PieceType::Byte) {
      int byte = pieceByte(p.piece);
      if (byte < 0)
        return modelError(file, where + " is a byte piece but '" + p.piece +
                                    "' is not of the form <0xXX>");
      if (!m.byteFallback)
        return modelError(file, where + " is a byte piece but "
                                        "trainer_spec.byte_fallback is false");
      byteSeen[byte] = true;
    }
  }
  if (unknowns != 1)
    return modelError(file, "pieces: " + Twine(unknowns) +
                                " pieces of type UNKNOWN, exactly one is required");
  if (m.byteFallback)
    for (int b = 0; b < 256; ++b)
      if (!byteSeen[b])
        return modelError(file, "pieces: trainer_spec.byte_fallback is true but the byte "
                                "piece <0x" + utohexstr(b, false, 2) + "> is missing");
  if (m.unkId < 0 || static_cast<size_t>(m.unkId) >= m.pieces.size() ||
      m.pieces[m.unkId].type != PieceType::Unknown)
    return modelError(file, "unk id " + Twine(m.unkId) + " is not the UNKNOWN piece");
  return Error::success();
}

Expected<SentencePieceModel> parseSentencePieceModel(ArrayRef<uint8_t> bytes,
                                                     StringRef file, int64_t vocabSize) {
  SentencePieceModel model;
  Specs specs;
  Error error = forEachField(bytes, "ModelProto", [&](const ProtoField &f) -> Error {
    if (f.number != kPieces && f.number != kTrainerSpec && f.number != kNormalizerSpec &&
        f.number != kDenormalizerSpec)
      return Error::success();
    if (Error error = expectWireType(f, WireType::Bytes))
      return error;
    switch (f.number) {
    case kPieces:
      model.pieces.emplace_back();
      return readPiece(f.bytes, model.pieces.size() - 1, model.pieces.back());
    case kTrainerSpec: return readTrainerSpec(f.bytes, specs);
    case kNormalizerSpec: return readNormalizerSpec(f.bytes, specs);
    default: return readDenormalizerSpec(f.bytes, specs);
    }
  });
  if (error)
    return modelError(file, "malformed protobuf: " + toString(std::move(error)));
  if (Error error = checkSpecs(specs, file))
    return std::move(error);
  if (static_cast<int64_t>(model.pieces.size()) != vocabSize)
    return modelError(file, "pieces: " + Twine(model.pieces.size()) +
                                " pieces, but the model's vocab_size is " + Twine(vocabSize));
  model.addDummyPrefix = specs.addDummyPrefix;
  model.byteFallback = specs.byteFallback;
  if (specs.unkSurface)
    model.unkSurface = *specs.unkSurface;
  model.normalizerName = specs.normalizerName;
  model.unkId = -1;
  for (auto [i, p] : enumerate(model.pieces))
    if (p.type == PieceType::Unknown && model.unkId < 0)
      model.unkId = static_cast<int32_t>(i);
  if (Error error = checkSentencePieceModel(model, file))
    return std::move(error);
  model.bosId = specialId(model, specs.bosPiece, "<s>", PieceType::Control);
  model.eosId = specialId(model, specs.eosPiece, "</s>", PieceType::Control);
  model.padId = specialId(model, specs.padPiece, "<pad>", PieceType::Control);
  return std::move(model);
}

Expected<SentencePieceModel> readSentencePieceModel(StringRef path, int64_t vocabSize) {
  // A regular file only (RegularFile.h: no FIFO, no device), mapped.
  Expected<std::unique_ptr<MemoryBuffer>> buffer = readRegularFile(path, kAnyFileSize);
  if (!buffer)
    return createStringError(inconvertibleErrorCode(), toString(buffer.takeError()));
  StringRef data = (*buffer)->getBuffer();
  return parseSentencePieceModel(arrayRefFromStringRef(data), path, vocabSize);
}

Expected<std::optional<SentencePieceModel>> readModelDirTokenizer(StringRef modelDir,
                                                                  int64_t vocabSize) {
  SmallString<256> path(modelDir);
  sys::path::append(path, "tokenizer.model");
  if (!sys::fs::exists(path))
    return std::nullopt;
  Expected<SentencePieceModel> model = readSentencePieceModel(path, vocabSize);
  if (!model)
    return model.takeError();
  return std::optional<SentencePieceModel>(std::move(*model));
}

} // namespace yan
