//===- tokenizer_encode.cpp - Text to ids, exactly as SentencePiece -------===//
//
// SentencePiece 0.1.97's EncodeAsIds for a unigram model with the identity
// normalization rule, step by step:
//
// 1. Normalizer::Normalize (remove_extra_whitespaces=false, escape on): no
//    output for empty input; U+2581 first when add_dummy_prefix; then each
//    character copied with ' ' -> U+2581, each byte that does not start a
//    valid character -> U+FFFD (three bytes) for that one byte.
// 2. unigram::Model::EncodeOptimized: Viterbi over byte positions. From each
//    character start, every NORMAL / USER_DEFINED piece matching there
//    relaxes the best path ending at its end (score: the piece's, or
//    length * max_score - 0.1 for user-defined ones, summed in double and
//    stored in float; UNUSED pieces are skipped); when no piece covers
//    exactly the first character, the unknown piece does, scored
//    min_score - 10 in float. A candidate replaces the stored one only if
//    strictly better, so earlier starts win ties.
// 3. PopulateSentencePieceText: with byte_fallback an unknown piece becomes
//    the <0xXX> pieces of its (normalized) bytes; without, a run of unknown
//    pieces becomes one unk id.
//
// Memory: the normalized text and one 12-byte node per normalized byte,
// allocated per call from the bundle's allocator; time is linear (each
// position walks the trie at most kMaxPieceBytes deep).
//
//===----------------------------------------------------------------------===//
#include "status.h"
#include "tokenizer_internal.h"
#include "yan/text/utf8.h"

#include <cstring>

namespace yan::rt {
namespace {

constexpr uint32_t kUnset = UINT32_MAX;
constexpr float kUnkPenalty = 10.0f;

/// The best path ending at a byte position (SentencePiece's BestPathNode).
struct BestPath {
  float score;
  uint32_t startsAt; // kUnset: no path yet
  int32_t id;
};

/// Step 1. Writes the normalized text to `out` (when non-NULL) and returns
/// its length.
size_t normalize(const yan_tokenizer &t, const uint8_t *text, size_t size, uint8_t *out) {
  size_t n = 0;
  auto put = [&](const uint8_t *bytes, size_t count) {
    if (out)
      std::memcpy(out + n, bytes, count);
    n += count;
  };
  if (t.addDummyPrefix)
    put(kSpaceSymbol, 3);
  for (size_t i = 0; i < size;) {
    size_t length = utf8ValidLength(text + i, size - i);
    if (!length) {
      put(kReplacement, 3);
      i += 1;
    } else if (text[i] == ' ') {
      put(kSpaceSymbol, 3);
      i += 1;
    } else {
      put(text + i, length);
      i += length;
    }
  }
  return n;
}

/// Step 2, SentencePiece's EncodeOptimized; best[n] ends the best path.
void viterbi(const yan_tokenizer &t, const uint8_t *text, uint32_t n, BestPath *best) {
  for (uint32_t i = 0; i <= n; ++i)
    best[i] = {0.0f, kUnset, -1};
  // min_score() - kUnkPenalty, in float as SentencePiece computes it.
  const float unkScore = t.minScore - kUnkPenalty;
  for (uint32_t start = 0; start < n;) {
    const float tillHere = best[start].score;
    uint32_t charLength = static_cast<uint32_t>(utf8LeadLength(text[start]));
    if (charLength > n - start)
      charLength = n - start;
    bool hasSingleNode = false;
    uint32_t node = 0;
    for (uint32_t pos = start; pos < n;) {
      node = t.child(node, text[pos++]);
      if (!node)
        break;
      int32_t id = t.nodeIds[node];
      if (id < 0)
        continue;
      uint8_t type = t.types[id];
      // SentencePiece's trie holds only these; it skips UNUSED matches.
      if (type != YAN_PIECE_NORMAL && type != YAN_PIECE_USER_DEFINED)
        continue;
      BestPath &target = best[pos];
      const uint32_t length = pos - start;
      // SentencePiece: `score = user_defined ? length * max_score_ - 0.1 :
      // GetScore(id)`. The conditional's type is double, so every
      // candidate is summed and compared in double, then stored as float.
      const double score =
          type == YAN_PIECE_USER_DEFINED
              ? static_cast<double>(static_cast<float>(length) * t.maxScore) - 0.1
              : static_cast<double>(t.scores->Get(static_cast<uint32_t>(id)));
      const double candidate = score + static_cast<double>(tillHere);
      if (target.startsAt == kUnset || candidate > static_cast<double>(target.score))
        target = {static_cast<float>(candidate), start, id};
      if (length == charLength)
        hasSingleNode = true;
    }
    if (!hasSingleNode) {
      BestPath &target = best[start + charLength];
      const float candidate = unkScore + tillHere;
      if (target.startsAt == kUnset || candidate > target.score)
        target = {candidate, start, t.unkId};
    }
    start += charLength;
  }
}

/// Step 3, walking the path backwards from the end: returns the number of
/// ids; writes them (ending at ids[count - 1]) when `ids` is non-NULL.
size_t emitIds(const yan_tokenizer &t, const uint8_t *text, uint32_t n, const BestPath *best,
               int32_t *ids, size_t count) {
  size_t written = 0; // from the back
  bool nextIsUnk = false;
  for (uint32_t end = n; end > 0;) {
    const BestPath &node = best[end];
    const bool isUnk = node.id == t.unkId;
    if (isUnk && t.byteFallback) {
      for (uint32_t i = end; i > node.startsAt; --i) {
        if (ids)
          ids[count - 1 - written] = t.byteIds[text[i - 1]];
        ++written;
      }
    } else if (!(isUnk && nextIsUnk)) {
      // A run of unknown pieces is one id: the run's first, and all are unk.
      if (ids)
        ids[count - 1 - written] = node.id;
      ++written;
    }
    nextIsUnk = isUnk;
    end = node.startsAt;
  }
  return written;
}

} // namespace
} // namespace yan::rt

using namespace yan::rt;

extern "C" yan_status_t yan_tokenizer_encode(const yan_tokenizer_t *t, const char *text,
                                             size_t size, int32_t *ids, size_t capacity,
                                             size_t *out_count) {
  if (!t || !out_count || (!text && size) || (!ids && capacity))
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "yan_tokenizer_encode: NULL tokenizer, out_count, text or ids");
  *out_count = 0;
  if (size == 0) // SentencePiece: empty input, no pieces (not even the prefix)
    return nullptr;
  if (size > kMaxEncodeBytes)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "yan_tokenizer_encode: %zu bytes of text, at most %zu per call", size,
                      kMaxEncodeBytes);
  const auto *input = reinterpret_cast<const uint8_t *>(text);
  const size_t n = normalize(*t, input, size, nullptr); // < 2^32 by the limit above
  const size_t nodesOffset = (n + 15) & ~size_t(15);
  const size_t bytes = nodesOffset + (n + 1) * sizeof(BestPath);
  void *scratch = t->allocator.allocate(t->allocator.self, bytes, 16);
  if (!scratch)
    return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                      "yan_tokenizer_encode: cannot allocate %zu bytes of scratch for %zu "
                      "bytes of text", bytes, size);
  auto *normalized = static_cast<uint8_t *>(scratch);
  auto *best = reinterpret_cast<BestPath *>(normalized + nodesOffset);
  normalize(*t, input, size, normalized);
  const uint32_t length = static_cast<uint32_t>(n);
  viterbi(*t, normalized, length, best);
  const size_t count = emitIds(*t, normalized, length, best, nullptr, 0);
  *out_count = count;
  yan_status_t status = nullptr;
  if (count > capacity)
    status = makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                        "yan_tokenizer_encode: the text needs %zu ids, the buffer holds %zu",
                        count, capacity);
  else
    emitIds(*t, normalized, length, best, ids, count);
  t->allocator.free(t->allocator.self, scratch);
  return status;
}
