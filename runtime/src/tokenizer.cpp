//===- tokenizer.cpp - The bundle's tokenizer: building it, accessors -----===//
//
// At open, after the table is verified, one allocation from the bundle's
// allocator holds the yan_tokenizer, the trie's node ids and its edge hash
// (the double-array trie SentencePiece builds, in a simpler form: an
// open-addressing hash of (node, byte) -> child). Every piece goes into the
// trie, so a second copy of a piece is found here and refused; the encoder
// only follows the pieces SentencePiece's own trie holds (NORMAL,
// USER_DEFINED, UNUSED).
//
//===----------------------------------------------------------------------===//
#include "bundle_internal.h"
#include "status.h"
#include "tokenizer_internal.h"

#include <cfloat>
#include <new>

namespace yan::rt {
namespace {

constexpr size_t kAlign = 64;

size_t alignUp(size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

// Adds `piece` as id `id`; BAD_CONFIG when another piece has the same bytes.
yan_status_t insertPiece(yan_tokenizer &t, const flatbuffers::String &piece, int32_t id) {
  uint32_t node = 0;
  for (uint32_t i = 0; i < piece.size(); ++i) {
    uint8_t byte = piece.Get(i);
    uint32_t next = t.child(node, byte);
    if (!next) {
      next = t.nodeCount++;
      t.nodeIds[next] = -1;
      uint32_t slot = yan_tokenizer::hash(node, byte) & t.edgeMask;
      while (t.edges[slot].child)
        slot = (slot + 1) & t.edgeMask;
      t.edges[slot] = {node, next, byte};
    }
    node = next;
  }
  if (t.nodeIds[node] >= 0)
    return makeStatus(YAN_STATUS_BAD_CONFIG, "tokenizer: pieces %d and %d are both '%s'",
                      t.nodeIds[node], id, piece.c_str());
  t.nodeIds[node] = id;
  return nullptr;
}

void initFields(yan_tokenizer &t, const fb::Tokenizer &table, yan_allocator_t allocator) {
  t.table = &table;
  t.allocator = allocator;
  t.vocab = static_cast<int32_t>(table.pieces()->size());
  t.unkId = table.unk_id();
  t.bosId = table.bos_id();
  t.eosId = table.eos_id();
  t.padId = table.pad_id();
  t.addDummyPrefix = table.add_dummy_prefix();
  t.byteFallback = table.byte_fallback();
  t.types = table.types()->data();
  t.scores = table.scores();
  t.pieces = table.pieces();
  t.unkSurface = table.unk_surface()->c_str();
  t.unkSurfaceSize = table.unk_surface()->size();
  // SentencePiece's unigram Model constructor, with its initial values
  // (FLT_MIN, the smallest positive float, not -FLT_MAX: it matters for
  // user-defined pieces' scores when all scores are negative).
  t.minScore = FLT_MAX;
  t.maxScore = FLT_MIN;
  for (int32_t i = 0; i < t.vocab; ++i) {
    if (t.types[i] != YAN_PIECE_NORMAL)
      continue;
    float score = t.scores->Get(static_cast<uint32_t>(i));
    t.minScore = score < t.minScore ? score : t.minScore;
    t.maxScore = score > t.maxScore ? score : t.maxScore;
  }
  for (int32_t i = 0; i < t.vocab; ++i)
    if (t.types[i] == YAN_PIECE_BYTE) {
      const flatbuffers::String *piece = t.pieces->Get(static_cast<uint32_t>(i));
      t.byteIds[parseBytePiece(piece->c_str(), piece->size())] = i;
    }
}

} // namespace

yan_status_t createTokenizer(const fb::Bundle &root, yan_allocator_t allocator,
                             yan_tokenizer **out) {
  *out = nullptr;
  const fb::Tokenizer *table = root.tokenizer();
  if (!table)
    return nullptr;
  YAN_RETURN_IF_ERROR(verifyTokenizerTable(*table, root.config()->vocab_size()));
  // Nodes: the root plus at most one per piece byte. Pieces are at most
  // kMaxPieceBytes and V < 2^31, but their bytes are in the file, so this is
  // also bounded by the bundle's size.
  uint64_t bytes = 0;
  for (const flatbuffers::String *piece : *table->pieces())
    bytes += piece->size();
  if (bytes >= (uint64_t(1) << 30))
    return makeStatus(YAN_STATUS_BAD_CONFIG,
                      "tokenizer: the pieces hold %llu bytes, at most 2^30 are supported",
                      static_cast<unsigned long long>(bytes));
  uint64_t nodes = bytes + 1;
  uint64_t slots = 16;
  while (slots < 2 * nodes) // load factor <= 1/2 keeps probes short
    slots *= 2;
  size_t nodesOffset = alignUp(sizeof(yan_tokenizer));
  size_t edgesOffset = alignUp(nodesOffset + nodes * sizeof(int32_t));
  size_t total = edgesOffset + slots * sizeof(TrieEdge);
  void *memory = allocator.allocate(allocator.self, total, kAlign);
  if (!memory)
    return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                      "cannot allocate the tokenizer's lookup tables (%zu bytes)", total);
  auto *t = new (memory) yan_tokenizer();
  t->nodeIds = reinterpret_cast<int32_t *>(static_cast<uint8_t *>(memory) + nodesOffset);
  t->edges = reinterpret_cast<TrieEdge *>(static_cast<uint8_t *>(memory) + edgesOffset);
  t->edgeMask = static_cast<uint32_t>(slots - 1);
  for (uint64_t i = 0; i < slots; ++i)
    t->edges[i] = {0, 0, 0};
  t->nodeIds[0] = -1;
  t->nodeCount = 1;
  initFields(*t, *table, allocator);
  for (int32_t i = 0; i < t->vocab; ++i)
    if (yan_status_t status = insertPiece(*t, *t->pieces->Get(static_cast<uint32_t>(i)), i)) {
      destroyTokenizer(t);
      return status;
    }
  *out = t;
  return nullptr;
}

void destroyTokenizer(yan_tokenizer *t) {
  if (!t)
    return;
  yan_allocator_t allocator = t->allocator;
  t->~yan_tokenizer();
  allocator.free(allocator.self, t);
}

} // namespace yan::rt

using namespace yan::rt;

extern "C" {

const yan_tokenizer_t *yan_bundle_tokenizer(const yan_bundle_t *bundle) {
  return bundle ? bundle->tokenizer : nullptr;
}

void yan_tokenizer_info(const yan_tokenizer_t *t, yan_tokenizer_info_t *out) {
  if (!t || !out)
    return;
  *out = yan_tokenizer_info_t{};
  out->kind = "sentencepiece-unigram";
  out->vocab_size = t->vocab;
  out->unk_id = t->unkId;
  out->bos_id = t->bosId;
  out->eos_id = t->eosId;
  out->pad_id = t->padId;
  out->add_dummy_prefix = t->addDummyPrefix;
  out->byte_fallback = t->byteFallback;
}

int32_t yan_tokenizer_vocab_size(const yan_tokenizer_t *t) { return t ? t->vocab : 0; }
int32_t yan_tokenizer_unk_id(const yan_tokenizer_t *t) { return t ? t->unkId : -1; }
int32_t yan_tokenizer_bos_id(const yan_tokenizer_t *t) { return t ? t->bosId : -1; }
int32_t yan_tokenizer_eos_id(const yan_tokenizer_t *t) { return t ? t->eosId : -1; }

yan_status_t yan_tokenizer_piece(const yan_tokenizer_t *t, int32_t id, const char **out_data,
                                 size_t *out_size) {
  if (!t || !out_data || !out_size)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_tokenizer_piece: NULL argument");
  if (id < 0 || id >= t->vocab)
    return makeStatus(YAN_STATUS_OUT_OF_RANGE, "token id %d is outside [0, %d)", id, t->vocab);
  const flatbuffers::String *piece = t->pieces->Get(static_cast<uint32_t>(id));
  *out_data = piece->c_str();
  *out_size = piece->size();
  return nullptr;
}

yan_status_t yan_tokenizer_piece_type(const yan_tokenizer_t *t, int32_t id,
                                      yan_piece_type_t *out_type) {
  if (!t || !out_type)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_tokenizer_piece_type: NULL argument");
  if (id < 0 || id >= t->vocab)
    return makeStatus(YAN_STATUS_OUT_OF_RANGE, "token id %d is outside [0, %d)", id, t->vocab);
  *out_type = static_cast<yan_piece_type_t>(t->types[id]);
  return nullptr;
}

int yan_tokenizer_is_byte_piece(const yan_tokenizer_t *t, int32_t id, uint8_t *out_byte) {
  if (!t || id < 0 || id >= t->vocab || t->types[id] != YAN_PIECE_BYTE)
    return 0;
  if (out_byte) {
    const flatbuffers::String *piece = t->pieces->Get(static_cast<uint32_t>(id));
    *out_byte = static_cast<uint8_t>(parseBytePiece(piece->c_str(), piece->size()));
  }
  return 1;
}

} // extern "C"
