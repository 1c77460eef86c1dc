//===- tokenizer_verify.cpp - Checking a bundle's tokenizer table ---------===//
//
// Everything the encoder and decoder rely on, checked once at open so that
// a damaged or hostile table is a clear status, never a crash: vector sizes
// equal the config's vocabulary, every piece is non-empty valid UTF-8 of
// bounded length, types are SentencePiece's, scores finite, exactly one
// UNKNOWN piece, special ids in range with the right type, byte pieces
// well-formed and all 256 present exactly when byte fallback is on.
// (Duplicate pieces are found while building the trie, tokenizer.cpp.)
//
//===----------------------------------------------------------------------===//
#include "status.h"
#include "tokenizer_internal.h"
#include "yan/text/utf8.h"

#include <cmath>

namespace yan::rt {
namespace {

bool validUtf8(const uint8_t *s, size_t n) {
  while (n) {
    size_t length = utf8ValidLength(s, n);
    if (!length)
      return false;
    s += length;
    n -= length;
  }
  return true;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F') // SentencePiece writes and accepts upper case only
    return c - 'A' + 10;
  return -1;
}

} // namespace

int parseBytePiece(const char *piece, size_t size) {
  if (size != 6 || piece[0] != '<' || piece[1] != '0' || piece[2] != 'x' || piece[5] != '>')
    return -1;
  int high = hexDigit(piece[3]), low = hexDigit(piece[4]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

namespace {

yan_status_t checkPieces(const fb::Tokenizer &t, int64_t vocab) {
  bool byteSeen[256] = {};
  int64_t unknowns = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    const flatbuffers::String *piece = t.pieces()->Get(static_cast<uint32_t>(i));
    uint8_t type = t.types()->Get(static_cast<uint32_t>(i));
    float score = t.scores()->Get(static_cast<uint32_t>(i));
    if (!piece || piece->size() == 0 || piece->size() > kMaxPieceBytes)
      return makeStatus(YAN_STATUS_BAD_CONFIG,
                        "tokenizer: piece %lld is missing, empty or longer than %zu bytes",
                        static_cast<long long>(i), kMaxPieceBytes);
    if (!validUtf8(piece->Data(), piece->size()))
      return makeStatus(YAN_STATUS_BAD_CONFIG, "tokenizer: piece %lld is not valid UTF-8",
                        static_cast<long long>(i));
    if (type < YAN_PIECE_NORMAL || type > YAN_PIECE_BYTE)
      return makeStatus(YAN_STATUS_BAD_CONFIG,
                        "tokenizer: piece %lld has type %u (valid: 1-6)",
                        static_cast<long long>(i), type);
    if (!std::isfinite(score))
      return makeStatus(YAN_STATUS_BAD_CONFIG, "tokenizer: piece %lld has a non-finite score",
                        static_cast<long long>(i));
    unknowns += type == YAN_PIECE_UNKNOWN;
    if (type == YAN_PIECE_BYTE) {
      int byte = parseBytePiece(piece->c_str(), piece->size());
      if (byte < 0 || !t.byte_fallback())
        return makeStatus(YAN_STATUS_BAD_CONFIG,
                          "tokenizer: piece %lld is a byte piece but %s",
                          static_cast<long long>(i),
                          byte < 0 ? "not of the form <0xXX>" : "byte_fallback is off");
      if (byteSeen[byte])
        return makeStatus(YAN_STATUS_BAD_CONFIG,
                          "tokenizer: byte piece <0x%02X> appears twice", byte);
      byteSeen[byte] = true;
    }
  }
  if (unknowns != 1)
    return makeStatus(YAN_STATUS_BAD_CONFIG,
                      "tokenizer: %lld pieces of type UNKNOWN, exactly one is required",
                      static_cast<long long>(unknowns));
  for (int b = 0; t.byte_fallback() && b < 256; ++b)
    if (!byteSeen[b])
      return makeStatus(YAN_STATUS_BAD_CONFIG,
                        "tokenizer: byte_fallback is on but byte piece <0x%02X> is missing", b);
  return nullptr;
}

yan_status_t checkSpecialId(const fb::Tokenizer &t, int64_t vocab, const char *name,
                            int32_t id, uint8_t type, bool optional) {
  if (optional && id == -1)
    return nullptr;
  if (id < 0 || id >= vocab || t.types()->Get(static_cast<uint32_t>(id)) != type)
    return makeStatus(YAN_STATUS_BAD_CONFIG,
                      "tokenizer: %s %d is not %s piece in [0, %lld)", name, id,
                      type == YAN_PIECE_UNKNOWN ? "the UNKNOWN" : "a CONTROL",
                      static_cast<long long>(vocab));
  return nullptr;
}

} // namespace

yan_status_t verifyTokenizerTable(const fb::Tokenizer &t, int64_t vocab) {
  if (t.kind() != fb::TokenizerKind::sentencepiece_unigram)
    return makeStatus(YAN_STATUS_BAD_CONFIG,
                      "tokenizer: unknown kind %u (this runtime knows "
                      "sentencepiece_unigram = 1)", static_cast<unsigned>(t.kind()));
  if (vocab < 1 || vocab > INT32_MAX)
    return makeStatus(YAN_STATUS_BAD_CONFIG, "tokenizer: vocab_size %lld out of range",
                      static_cast<long long>(vocab));
  uint32_t v = static_cast<uint32_t>(vocab);
  if (!t.pieces() || !t.scores() || !t.types() || t.pieces()->size() != v ||
      t.scores()->size() != v || t.types()->size() != v)
    return makeStatus(YAN_STATUS_BAD_LAYOUT,
                      "tokenizer: pieces/scores/types must each have vocab_size = %u "
                      "entries (have %u/%u/%u)",
                      v, t.pieces() ? t.pieces()->size() : 0,
                      t.scores() ? t.scores()->size() : 0, t.types() ? t.types()->size() : 0);
  if (!t.unk_surface() || t.unk_surface()->size() > kMaxUnkSurfaceBytes)
    return makeStatus(YAN_STATUS_BAD_CONFIG,
                      "tokenizer: unk_surface is missing or longer than %zu bytes",
                      kMaxUnkSurfaceBytes);
  YAN_RETURN_IF_ERROR(checkPieces(t, vocab));
  YAN_RETURN_IF_ERROR(checkSpecialId(t, vocab, "unk_id", t.unk_id(), YAN_PIECE_UNKNOWN, false));
  YAN_RETURN_IF_ERROR(checkSpecialId(t, vocab, "bos_id", t.bos_id(), YAN_PIECE_CONTROL, true));
  YAN_RETURN_IF_ERROR(checkSpecialId(t, vocab, "eos_id", t.eos_id(), YAN_PIECE_CONTROL, true));
  YAN_RETURN_IF_ERROR(checkSpecialId(t, vocab, "pad_id", t.pad_id(), YAN_PIECE_CONTROL, true));
  return nullptr;
}

} // namespace yan::rt
