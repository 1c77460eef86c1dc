//===- SentencePieceModel.h - Reading a SentencePiece tokenizer.model -*- C++ -*-===//
//
// A model directory may hold `tokenizer.model`, a serialized SentencePiece
// ModelProto (protobuf). We read it with a minimal wire-format reader (no
// protobuf library) and keep only what encoding and decoding need. The
// runtime reimplements SentencePiece's unigram encoder and its decoder over
// this vocabulary (runtime/src/tokenizer_*.cpp), so everything it would not
// reproduce exactly is refused here, as one error naming the file and the
// field (docs/tokenizer.md lists what is accepted).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_SENTENCEPIECEMODEL_H
#define YAN_COMPILER_IMPORT_SENTENCEPIECEMODEL_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace yan {

/// ModelProto.SentencePiece.Type (values match yan_piece_type_t and the
/// bundle's Tokenizer.types).
enum class PieceType : uint8_t {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

struct SentencePiece {
  std::string piece; // U+2581 for spaces, "<0x41>" for byte pieces
  float score = 0.0f;
  PieceType type = PieceType::Normal;
};

/// The longest piece the runtime accepts, in bytes: it bounds the encoder's
/// work per input byte (SentencePiece's trainer defaults to 16 characters).
constexpr size_t kMaxPieceBytes = 256;
/// The longest unk_surface accepted (SentencePiece's default is 5 bytes).
constexpr size_t kMaxUnkSurfaceBytes = 64;

/// What the bundle carries: a unigram model with identity normalization.
struct SentencePieceModel {
  std::vector<SentencePiece> pieces; // id = index
  // The ids SentencePieceProcessor reports (unk_id() etc.): the piece named
  // by trainer_spec's unk/bos/eos/pad piece when it has the expected type,
  // else -1 (unk always exists).
  int32_t unkId = 0;
  int32_t bosId = -1;
  int32_t eosId = -1;
  int32_t padId = -1;
  bool addDummyPrefix = true;
  bool byteFallback = false;
  std::string unkSurface = " \xE2\x81\x87 "; // what decode prints for unk
  std::string normalizerName;                // for messages and yan-dump
};

/// Parses a serialized ModelProto. `fileName` prefixes every message;
/// `vocabSize` is the model config's V, which the piece count must equal.
llvm::Expected<SentencePieceModel>
parseSentencePieceModel(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef fileName,
                        int64_t vocabSize);

/// Reads and parses `path`.
llvm::Expected<SentencePieceModel> readSentencePieceModel(llvm::StringRef path,
                                                          int64_t vocabSize);

/// MODEL_DIR/tokenizer.model if the file exists (std::nullopt if not).
llvm::Expected<std::optional<SentencePieceModel>>
readModelDirTokenizer(llvm::StringRef modelDir, int64_t vocabSize);

/// Checks the piece table alone (what the runtime verifies again at open):
/// non-empty valid UTF-8 pieces of at most kMaxPieceBytes, no duplicates,
/// scores finite, exactly one unknown piece, byte pieces "<0xXX>" and all
/// 256 present exactly when byteFallback.
llvm::Error checkSentencePieceModel(const SentencePieceModel &model,
                                    llvm::StringRef fileName);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_SENTENCEPIECEMODEL_H
