/*===- tokenizer.h - The bundle's tokenizer: text <-> token ids --*- C -*-===//
 *
 * A bundle compiled from a model directory with a SentencePiece
 * `tokenizer.model` carries its vocabulary; this encodes and decodes text
 * exactly as SentencePiece does (unigram model, identity normalization,
 * byte fallback; docs/tokenizer.md states what is supported and refused).
 *
 * Errors follow runtime.h: yan_status_t, NULL is success. The tokenizer is
 * owned by its bundle (valid until the bundle's last release), immutable,
 * and may be used from any number of threads at once. Encode/decode
 * allocate per-call scratch from the bundle's allocator.
 *===----------------------------------------------------------------------===*/
#ifndef YAN_TOKENIZER_H
#define YAN_TOKENIZER_H

#include "yan/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct yan_tokenizer yan_tokenizer_t;

/* The bundle's tokenizer (verified at open), or NULL when it has none. */
const yan_tokenizer_t *yan_bundle_tokenizer(const yan_bundle_t *bundle);

/* Piece types, as in SentencePiece's ModelProto.SentencePiece.Type. */
typedef enum yan_piece_type_t {
  YAN_PIECE_NORMAL = 1,
  YAN_PIECE_UNKNOWN = 2,
  YAN_PIECE_CONTROL = 3,
  YAN_PIECE_USER_DEFINED = 4,
  YAN_PIECE_UNUSED = 5,
  YAN_PIECE_BYTE = 6,
} yan_piece_type_t;

typedef struct yan_tokenizer_info_t {
  const char *kind;    /* "sentencepiece-unigram" */
  int32_t vocab_size;  /* pieces == the model's vocab_size */
  int32_t unk_id;      /* always a valid id */
  int32_t bos_id;      /* -1 when the model has none */
  int32_t eos_id;      /* -1 when the model has none */
  int32_t pad_id;      /* -1 when the model has none */
  int add_dummy_prefix; /* 1: encode prepends U+2581 (a space) */
  int byte_fallback;    /* 1: unknown characters become <0xXX> pieces */
} yan_tokenizer_info_t;

void yan_tokenizer_info(const yan_tokenizer_t *tokenizer,
                        yan_tokenizer_info_t *out);

int32_t yan_tokenizer_vocab_size(const yan_tokenizer_t *tokenizer);
int32_t yan_tokenizer_unk_id(const yan_tokenizer_t *tokenizer);
int32_t yan_tokenizer_bos_id(const yan_tokenizer_t *tokenizer); /* or -1 */
int32_t yan_tokenizer_eos_id(const yan_tokenizer_t *tokenizer); /* or -1 */

/* The piece of `id` as stored (U+2581 for spaces, "<0x41>" for byte
 * pieces, "<s>" for control pieces): a pointer into the bundle (not
 * NUL-terminated) and its size. OUT_OF_RANGE for ids outside [0, V). */
yan_status_t yan_tokenizer_piece(const yan_tokenizer_t *tokenizer, int32_t id,
                                 const char **out_data, size_t *out_size);
/* Its type; OUT_OF_RANGE for ids outside [0, V). */
yan_status_t yan_tokenizer_piece_type(const yan_tokenizer_t *tokenizer,
                                      int32_t id, yan_piece_type_t *out_type);
/* 1 when `id` is a byte piece <0xXX> (its byte in *out_byte if non-NULL),
 * else 0 (also for ids out of range). */
int yan_tokenizer_is_byte_piece(const yan_tokenizer_t *tokenizer, int32_t id,
                                uint8_t *out_byte);

/* Encodes `size` bytes of `text` (any bytes; need not be NUL-terminated,
 * may contain NUL; invalid UTF-8 is handled as SentencePiece does) to ids,
 * as SentencePiece's EncodeAsIds: no BOS/EOS added. `*out_count` is always
 * set to the number of ids the text needs; when that exceeds `capacity`
 * nothing useful is in `ids` and the status is RESOURCE_EXHAUSTED (call
 * again with a larger buffer). `ids` may be NULL when capacity is 0 (a size
 * query). Linear time in `size`. */
yan_status_t yan_tokenizer_encode(const yan_tokenizer_t *tokenizer,
                                  const char *text, size_t size, int32_t *ids,
                                  size_t capacity, size_t *out_count);

/* Decodes `n` ids to text as SentencePiece's DecodeIds: control pieces
 * vanish, unknown pieces read " \xE2\x81\x87 " (U+2047), byte pieces are
 * joined and invalid byte sequences become U+FFFD, U+2581 becomes a space
 * and the leading space of the first piece is dropped when the model adds
 * a dummy prefix. Writes raw bytes (no NUL). `*out_size` is always set to
 * the bytes needed; when that exceeds `capacity` the status is
 * RESOURCE_EXHAUSTED. Any id outside [0, V) is OUT_OF_RANGE (naming it and
 * its position), checked before anything is written. */
yan_status_t yan_tokenizer_decode(const yan_tokenizer_t *tokenizer,
                                  const int32_t *ids, size_t n, char *out,
                                  size_t capacity, size_t *out_size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* YAN_TOKENIZER_H */
