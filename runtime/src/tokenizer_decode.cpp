//===- tokenizer_decode.cpp - Ids to text, exactly as SentencePiece -------===//
//
// SentencePiece 0.1.97's DecodeIds (SentencePieceProcessor::Decode):
// - a run of byte pieces is joined into bytes and split into characters
//   (IsValidDecodeUTF8); each byte that does not start a valid character
//   becomes U+FFFD (ProcessBytePieces);
// - control pieces decode to nothing, the unknown piece to unk_surface;
// - other pieces have U+2581 replaced by ' '; while nothing has been
//   written yet (control pieces write nothing) and no piece has yet had a
//   leading U+2581 stripped, a leading U+2581 is stripped when the model adds
//   a dummy prefix (DecodeSentencePiece's is_bos_ws).
// No allocation: output goes straight to the caller's buffer.
//
//===----------------------------------------------------------------------===//
#include "status.h"
#include "tokenizer_internal.h"
#include "yan/text/utf8.h"

#include <cstring>

namespace yan::rt {
namespace {

/// Counts every byte; copies those that fit.
struct Output {
  char *data;
  size_t capacity;
  size_t size = 0;

  void put(const void *bytes, size_t count) {
    if (size <= capacity && count <= capacity - size)
      std::memcpy(data + size, bytes, count);
    size += count;
  }
};

uint8_t byteOf(const yan_tokenizer &t, int32_t id) {
  const flatbuffers::String *piece = t.pieces->Get(static_cast<uint32_t>(id));
  return static_cast<uint8_t>(parseBytePiece(piece->c_str(), piece->size()));
}

/// ProcessBytePieces over ids[begin, end), all byte pieces.
void decodeBytes(const yan_tokenizer &t, const int32_t *ids, size_t begin, size_t end,
                 Output &out) {
  for (size_t i = begin; i < end;) {
    uint8_t window[4];
    size_t available = end - i < 4 ? end - i : 4;
    for (size_t j = 0; j < available; ++j)
      window[j] = byteOf(t, ids[i + j]);
    size_t length = utf8ValidLength(window, available);
    if (!length) {
      out.put(kReplacement, 3);
      i += 1;
    } else {
      out.put(window, length);
      i += length;
    }
  }
}

/// DecodeSentencePiece for a non-byte piece; returns whether it consumed a
/// leading U+2581 (SentencePiece's has_bos_ws).
bool decodePiece(const yan_tokenizer &t, int32_t id, bool isBosWs, Output &out) {
  uint8_t type = t.types[id];
  if (type == YAN_PIECE_CONTROL)
    return false;
  if (type == YAN_PIECE_UNKNOWN) {
    out.put(t.unkSurface, t.unkSurfaceSize);
    return false;
  }
  const flatbuffers::String *piece = t.pieces->Get(static_cast<uint32_t>(id));
  const uint8_t *p = piece->Data();
  size_t n = piece->size();
  bool hasBosWs = false;
  if (isBosWs && t.addDummyPrefix && n >= 3 && std::memcmp(p, kSpaceSymbol, 3) == 0) {
    p += 3;
    n -= 3;
    hasBosWs = true;
  }
  for (size_t i = 0; i < n;) {
    if (n - i >= 3 && std::memcmp(p + i, kSpaceSymbol, 3) == 0) {
      out.put(" ", 1);
      i += 3;
    } else {
      out.put(p + i, 1);
      i += 1;
    }
  }
  return hasBosWs;
}

} // namespace
} // namespace yan::rt

using namespace yan::rt;

extern "C" yan_status_t yan_tokenizer_decode(const yan_tokenizer_t *t, const int32_t *ids,
                                             size_t n, char *out, size_t capacity,
                                             size_t *out_size) {
  if (!t || !out_size || (!ids && n) || (!out && capacity))
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "yan_tokenizer_decode: NULL tokenizer, out_size, ids or out");
  *out_size = 0;
  for (size_t i = 0; i < n; ++i)
    if (ids[i] < 0 || ids[i] >= t->vocab)
      return makeStatus(YAN_STATUS_OUT_OF_RANGE,
                        "yan_tokenizer_decode: token id %d at position %zu is outside [0, %d)",
                        ids[i], i, t->vocab);
  Output output{out, capacity};
  size_t byteStart = 0;
  bool isBosWs = true, bosWsSeen = false;
  for (size_t i = 0; i < n; ++i) {
    if (t->types[ids[i]] == YAN_PIECE_BYTE)
      continue;
    decodeBytes(*t, ids, byteStart, i, output);
    if (bosWsSeen || output.size > 0)
      isBosWs = false;
    byteStart = i + 1;
    bosWsSeen = decodePiece(*t, ids[i], isBosWs, output);
  }
  decodeBytes(*t, ids, byteStart, n, output);
  *out_size = output.size;
  if (output.size > capacity)
    return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                      "yan_tokenizer_decode: the text needs %zu bytes, the buffer holds %zu",
                      output.size, capacity);
  return nullptr;
}
