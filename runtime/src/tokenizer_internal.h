//===- tokenizer_internal.h - What an open tokenizer holds -------*- C++ -*-===//
//
// Built once at open from the bundle's verified Tokenizer table and owned
// by the bundle: one allocation from the bundle's allocator holding this
// struct, the trie's node ids and its edge hash. Pieces, scores and types
// stay in the (read-only) FlatBuffer.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_RUNTIME_TOKENIZER_INTERNAL_H
#define YAN_RUNTIME_TOKENIZER_INTERNAL_H

#include "bundle_generated.h"
#include "yan/tokenizer.h"

#include <cstddef>
#include <cstdint>

namespace yan::rt {

/// The longest piece accepted, in bytes (as the compiler's kMaxPieceBytes):
/// it bounds the encoder's trie walk per input position.
constexpr size_t kMaxPieceBytes = 256;
/// The longest unk_surface accepted.
constexpr size_t kMaxUnkSurfaceBytes = 64;
/// The longest text encode accepts: its normalized form (at most 3 bytes
/// per input byte, plus the dummy prefix) must index with 32 bits.
constexpr size_t kMaxEncodeBytes = size_t(1) << 30;

/// One trie edge: parent node --byte--> child node. child == 0 marks an empty
/// slot (node 0 is the root, never a child).
struct TrieEdge {
  uint32_t parent;
  uint32_t child;
  uint32_t byte;
};

/// Checks the table against the config's vocabulary size `vocab`
/// (tokenizer_verify.cpp): BAD_LAYOUT for missing or mis-sized vectors,
/// BAD_CONFIG for contents. Duplicates are found while building the trie.
yan_status_t verifyTokenizerTable(const fb::Tokenizer &table, int64_t vocab);

/// The byte of a "<0xXX>" piece (upper-case hex, as SentencePiece requires),
/// or -1.
int parseBytePiece(const char *piece, size_t size);

} // namespace yan::rt

struct yan_tokenizer {
  const yan::fb::Tokenizer *table = nullptr;
  yan_allocator_t allocator{}; // the bundle's: per-call scratch comes from it
  int32_t vocab = 0;
  int32_t unkId = 0, bosId = -1, eosId = -1, padId = -1;
  bool addDummyPrefix = false;
  bool byteFallback = false;
  const uint8_t *types = nullptr; // [vocab]
  const flatbuffers::Vector<float> *scores = nullptr;
  const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>> *pieces = nullptr;
  const char *unkSurface = nullptr;
  size_t unkSurfaceSize = 0;
  // SentencePiece's unigram Model: min_score_/max_score_ over NORMAL pieces
  // (starting from FLT_MAX / FLT_MIN, exactly as it does).
  float minScore = 0.0f, maxScore = 0.0f;
  int32_t byteIds[256] = {}; // id of <0xXX>, when byteFallback
  // The trie over all pieces: nodeIds[node] = the piece ending there or -1;
  // edges: open addressing, edgeMask + 1 slots (a power of two).
  int32_t *nodeIds = nullptr;
  uint32_t nodeCount = 0;
  yan::rt::TrieEdge *edges = nullptr;
  uint32_t edgeMask = 0;

  /// The child of `node` along `byte`, or 0 when there is none.
  uint32_t child(uint32_t node, uint8_t byte) const {
    uint32_t slot = hash(node, byte) & edgeMask;
    while (true) {
      const yan::rt::TrieEdge &e = edges[slot];
      if (e.child == 0)
        return 0;
      if (e.parent == node && e.byte == byte)
        return e.child;
      slot = (slot + 1) & edgeMask;
    }
  }

  static uint32_t hash(uint32_t node, uint8_t byte) {
    uint64_t key = (static_cast<uint64_t>(node) << 8 | byte) * 0x9e3779b97f4a7c15ull;
    return static_cast<uint32_t>(key >> 32);
  }
};

namespace yan::rt {

/// Verifies the bundle's tokenizer table (if any) and builds its lookup
/// structures from `allocator`; *out stays NULL without a table.
yan_status_t createTokenizer(const fb::Bundle &root, yan_allocator_t allocator,
                             yan_tokenizer **out);
void destroyTokenizer(yan_tokenizer *tokenizer);

} // namespace yan::rt

#endif // YAN_RUNTIME_TOKENIZER_INTERNAL_H
