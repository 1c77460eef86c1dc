/*===- bundle.h - Opening, verifying and inspecting bundles -------*- C -*-===//
 *
 * Open a .yanb bundle, verify it completely, load its code image for this
 * host, and read what it holds.
 * Part of the C API of yan/runtime.h (which includes every part and states
 * the rules for errors and threads); include that or just this part.
 *===----------------------------------------------------------------------===*/
#ifndef YAN_BUNDLE_H
#define YAN_BUNDLE_H

#include "yan/allocator.h"
#include "yan/arch.h"
#include "yan/keys.h"
#include "yan/status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct yan_bundle yan_bundle_t;

enum {
  /* Check only the code segment's sha256 at open (always checked, before any
   * code is mapped executable); skip hashing weights and test data, e.g. to
   * open a multi-GiB bundle without reading every page. */
  YAN_BUNDLE_OPEN_SKIP_DATA_HASHES = 1u << 0,
  /* Verify the bundle but load no code: for inspecting bundles built for
   * other hosts (yan-dump). No image need match this host; sessions cannot
   * be created (FAILED_PRECONDITION). */
  YAN_BUNDLE_OPEN_NO_CODE = 1u << 1,
};

/* Options of yan_bundle_open_*. Zero-initialize the whole struct
 * (`yan_bundle_open_options_t o = {0};`): fields are only ever appended,
 * and zero is every field's default. (The runtime is a static library
 * compiled with this header, so a caller and the runtime always agree on
 * the size.)
 *
 * Trusted mode (trusted_key_count > 0): the bundle must carry a signature by
 * one of `trusted_keys` (else UNSIGNED / UNTRUSTED_KEY / BAD_SIGNATURE), the
 * signature is checked right after the 64-byte header, before the
 * FlatBuffer is interpreted, and every segment's hash (code, test data, and
 * the weights of bundles without range hashes) is checked before any code
 * is mapped executable; YAN_BUNDLE_OPEN_SKIP_DATA_HASHES is refused
 * (INVALID_ARGUMENT). Lazy trust: the weights of a bundle with range hashes
 * (bundle.fbs) are not read at open; each is verified before its first use
 * (yan_bundle_verify_weights verifies all of them at once), and a session
 * that meets a corrupt one fails with HASH_MISMATCH and refuses all
 * further work (docs/security.md).
 * Development mode (no keys): unsigned bundles open; a signed bundle's
 * signature block is checked for shape but not verified. */
typedef struct yan_bundle_open_options_t {
  uint32_t flags; /* YAN_BUNDLE_OPEN_* */
  uint32_t trusted_key_count;
  const yan_public_key_t *trusted_keys; /* trusted_key_count keys (copied
                                           only for the duration of open) */
  /* A delta file (yan_bundle_save_delta) applied right after the bundle is
   * verified and loaded, as yan_bundle_apply_delta does; NULL: none. A
   * delta that does not verify fails the open (the bundle itself is fine:
   * open it without the delta). */
  const char *delta_path;
  /* Keys whose signatures make a delta acceptable (the device's own public
   * key from yan-keygen; docs/security.md, "Deltas"), at most
   * YAN_MAX_TRUSTED_DELTA_KEYS, copied. In trusted mode (trusted_key_count
   * > 0), and whenever these are given, every delta must be signed by one
   * of them (else UNSIGNED / UNTRUSTED_KEY / BAD_SIGNATURE): trusted mode
   * without delta keys accepts no delta. Without either, a signed delta's
   * signature block is checked for shape only. */
  uint32_t trusted_delta_key_count;
  const yan_public_key_t *trusted_delta_keys;
} yan_bundle_open_options_t;

#define YAN_MAX_TRUSTED_DELTA_KEYS 8u

/* Maps `path` read-only and opens it. `options` may be NULL (defaults:
 * verify every segment hash). */
yan_status_t yan_bundle_open_file(const char *path,
                                  const yan_bundle_open_options_t *options,
                                  yan_allocator_t allocator,
                                  yan_bundle_t **out_bundle);

/* Opens a bundle already in memory. The bytes are borrowed: they must stay
 * valid and unchanged until the bundle (and all its sessions) are released.
 * `data` must be 64-byte aligned (weights are used in place). The runtime
 * never writes to them: the first learn step or delta copies the weight
 * segment into memory from the bundle's allocator and uses the copy. */
yan_status_t yan_bundle_open_memory(const void *data, size_t size,
                                    const yan_bundle_open_options_t *options,
                                    yan_allocator_t allocator,
                                    yan_bundle_t **out_bundle);

/* Verifies every weight byte now. In trusted mode a bundle with range
 * hashes is opened without reading its weights: each is hashed on first use
 * (lazy trust, docs/security.md); call this to pay for all of it at once
 * (e.g. while idle). Otherwise the weight segment's hash is checked unless
 * open already did. HASH_MISMATCH naming the first corrupt weight and
 * partition; thread-safe. */
yan_status_t yan_bundle_verify_weights(yan_bundle_t *bundle);

void yan_bundle_retain(yan_bundle_t *bundle);
/* Drops a reference; the last one unmaps everything. Sessions hold one. */
void yan_bundle_release(yan_bundle_t *bundle);

typedef struct yan_model_config_t {
  int64_t vocab_size;        /* V */
  int64_t hidden_size;       /* D */
  int64_t num_layers;        /* L */
  int64_t num_channels;      /* C */
  int64_t slope_window;      /* K */
  int64_t num_partitions;    /* P */
  int64_t active_partitions; /* k */
  int64_t partition_size;    /* F */
  float norm_eps;
  const float *decays;       /* [C], owned by the bundle */
  const float *slopes;       /* [C], owned by the bundle */
} yan_model_config_t;

void yan_bundle_config(const yan_bundle_t *bundle, yan_model_config_t *out);

/* NUL-terminated, owned by the bundle. */
const char *yan_bundle_compiler_version(const yan_bundle_t *bundle);

/* Weight bytes one decode token reads: dense weights, one embedding row and
 * the routed k of P partitions of every FFN weight (0 if unknown). */
uint64_t yan_bundle_weight_bytes_per_token(const yan_bundle_t *bundle);

/* FLOPs of one token: 2 x the multiply-adds with weight matrices, the routed
 * k of P partitions (the count `yanc --report` prints; 0 if unknown). */
uint64_t yan_bundle_flops_per_token(const yan_bundle_t *bundle);
/* The same count for one predicted position of a learn step: the learn
 * entry's forward and its backward's products through the weights; 0
 * without learn entries or if unknown. The trained partitions' weight
 * gradients are not in it: they depend on the routing, and cost
 * yan_bundle_learn_flops_per_routed_pair for each (position, chosen
 * partition) pair a step reports (yan_learn_step_t.routed_pairs). */
uint64_t yan_bundle_learn_flops_per_token(const yan_bundle_t *bundle);
/* 2 x one partition's elements of the FFN's w1, w3 and w2: the FLOPs
 * LEARN_APPLY spends multiplying out one routed pair's share of the weight
 * gradients; 0 without learn entries or if unknown. */
uint64_t yan_bundle_learn_flops_per_routed_pair(const yan_bundle_t *bundle);

typedef struct yan_entry_info_t {
  const char *name;
  uint32_t index;      /* yan_entry_index */
  int64_t max_tokens;
  uint64_t arena_bytes;
} yan_entry_info_t;

typedef struct yan_code_image_info_t {
  const char *triple;
  const char *cpu;
  const char *features;          /* as given to the compiler */
  const char *required_features; /* what the runtime checks: "avx,avx2,fma" */
  yan_arch_t arch;
  uint32_t abi_version;
  uint32_t segment;    /* index of its segment */
  size_t entry_count;
} yan_code_image_info_t;

size_t yan_bundle_code_image_count(const yan_bundle_t *bundle);
yan_status_t yan_bundle_code_image_info(const yan_bundle_t *bundle, size_t image,
                                        yan_code_image_info_t *out);
yan_status_t yan_bundle_code_image_entry(const yan_bundle_t *bundle, size_t image,
                                         size_t entry, yan_entry_info_t *out);
/* The image loaded for this host; YAN_NO_IMAGE when opened with
 * YAN_BUNDLE_OPEN_NO_CODE and no image fits this host. */
#define YAN_NO_IMAGE ((size_t)-1)
size_t yan_bundle_selected_image(const yan_bundle_t *bundle);
/* Entry `index` (yan_entry_index) of the selected image. */
yan_status_t yan_bundle_entry_info(const yan_bundle_t *bundle, uint32_t index,
                                   yan_entry_info_t *out);

typedef enum yan_segment_kind_t {
  YAN_SEGMENT_CODE = 0,
  YAN_SEGMENT_WEIGHTS = 1,
  YAN_SEGMENT_TEST_DATA = 2,
} yan_segment_kind_t;

typedef struct yan_segment_info_t {
  yan_segment_kind_t kind;
  uint64_t file_offset; /* absolute, in the file */
  uint64_t size;
  uint8_t sha256[32];
  int hash_verified;    /* 1 when checked at open; 2: the weight segment of
                           a trusted bundle, verified range by range on
                           first use (lazy trust, docs/security.md) */
} yan_segment_info_t;

size_t yan_bundle_segment_count(const yan_bundle_t *bundle);
yan_status_t yan_bundle_segment_info(const yan_bundle_t *bundle, size_t segment,
                                     yan_segment_info_t *out);

/* How a weight is stored. INT8/INT4: quantized slabs of f32 values
 * (docs/yan-model.md section 9; yan/quant_format.h gives their size). */
typedef enum yan_dtype_t {
  YAN_DTYPE_F32 = 0,
  YAN_DTYPE_F16 = 1,
  YAN_DTYPE_BF16 = 2,
  YAN_DTYPE_INT8 = 3,
  YAN_DTYPE_INT4 = 4,
} yan_dtype_t;

#define YAN_MAX_RANK 4

typedef struct yan_weight_info_t {
  const char *name;
  yan_dtype_t dtype;
  uint32_t rank;
  int64_t shape[YAN_MAX_RANK];
  uint64_t offset;           /* in the weight segment */
  uint64_t size;
  int64_t num_partitions;
  uint64_t partition_stride;
} yan_weight_info_t;

size_t yan_bundle_weight_count(const yan_bundle_t *bundle);
yan_status_t yan_bundle_weight_info(const yan_bundle_t *bundle, size_t weight,
                                    yan_weight_info_t *out);

typedef struct yan_signature_info_t {
  int is_signed;            /* 1 when the bundle carries a signature block */
  char key_id[17];          /* its key id (hex), "" when unsigned */
  int verified;             /* 1 when verified against a trusted key at open
                               (trusted mode); 0 in development mode */
} yan_signature_info_t;

void yan_bundle_signature_info(const yan_bundle_t *bundle, yan_signature_info_t *out);

/* Floats of session state (the bundle's state layout). */
uint64_t yan_bundle_state_floats(const yan_bundle_t *bundle);

/* The weight segment as the code reads it now: the bundle's weights plus
 * whatever was learned (yan_weight_info_t.offset is relative to it). Read
 * only; valid until the next learn step or delta on this bundle. */
const uint8_t *yan_bundle_weight_segment(const yan_bundle_t *bundle);

typedef struct yan_test_vector_t {
  const char *name;
  const int32_t *prompt;
  size_t prompt_length;
  const int32_t *generated;
  size_t generated_length;
  int32_t next_token;           /* -1 when not recorded */
  const float *expected_logits; /* (prompt_length + generated_length) * V */
  const float *prefill_state;   /* state_floats, or NULL */
  const float *final_state;     /* state_floats, or NULL */
} yan_test_vector_t;

size_t yan_bundle_test_vector_count(const yan_bundle_t *bundle);
yan_status_t yan_bundle_test_vector(const yan_bundle_t *bundle, size_t index,
                                    yan_test_vector_t *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* YAN_BUNDLE_H */
