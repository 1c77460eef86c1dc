/*===- runtime.h - The yan runtime C API -------------------------*- C -*-===//
 *
 * Open a .yanb bundle, verify it completely, load its code image for this
 * host, and run sessions (prefill / decode) on it. No globals: every object
 * is created from an explicit allocator and owned by its handle.
 *
 * Errors (IREE style): functions return yan_status_t; NULL means success.
 * A non-NULL status carries a code and a message and must be freed with
 * yan_status_free. Out-params are only written on success.
 *
 * Threads: an open bundle may be shared by any number of threads; each
 * session is used by one thread at a time (different sessions on one bundle
 * run concurrently). Retain/release are atomic. Learning changes the
 * bundle's weights: yan_session_learn, yan_bundle_apply_delta* and
 * yan_bundle_save_delta must not run concurrently with any other call on the
 * bundle or any of its sessions (docs/learning.md, "Concurrency").
 *===----------------------------------------------------------------------===*/
#ifndef YAN_RUNTIME_H
#define YAN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===-------------------------------- status ------------------------------===*/

typedef enum yan_status_code_t {
  YAN_STATUS_OK = 0,
  YAN_STATUS_INVALID_ARGUMENT = 1,   /* NULL pointer, bad size, bad alignment */
  YAN_STATUS_OUT_OF_RANGE = 2,       /* token id outside [0, V), index too big */
  YAN_STATUS_RESOURCE_EXHAUSTED = 3, /* allocation or mapping failed */
  YAN_STATUS_IO_ERROR = 4,           /* open / stat / mmap of the file failed */
  YAN_STATUS_TRUNCATED = 5,          /* file shorter than its header says */
  YAN_STATUS_BAD_MAGIC = 6,          /* not a bundle */
  YAN_STATUS_UNSUPPORTED_HEADER_VERSION = 7,
  YAN_STATUS_BAD_HEADER = 8,         /* header fields inconsistent */
  YAN_STATUS_BAD_IDENTIFIER = 9,     /* FlatBuffer file identifier != "YANB" */
  YAN_STATUS_BAD_FLATBUFFER = 10,    /* FlatBuffers verifier rejected it */
  YAN_STATUS_UNSUPPORTED_SCHEMA_VERSION = 11,
  YAN_STATUS_BAD_LAYOUT = 12,        /* offsets/sizes out of bounds, overlaps */
  YAN_STATUS_HASH_MISMATCH = 13,     /* a segment's sha256 differs */
  YAN_STATUS_UNSUPPORTED_ABI_VERSION = 14,
  YAN_STATUS_NO_IMAGE_FOR_HOST = 15, /* no code image for this architecture */
  YAN_STATUS_BAD_CONFIG = 16,        /* model config / state layout invalid */
  YAN_STATUS_BAD_ELF = 17,           /* code image is not a valid ELF for us */
  YAN_STATUS_ELF_HAS_IMPORTS = 18,   /* image needs symbols or relocations */
  YAN_STATUS_ENTRY_FAILED = 19,      /* generated code returned non-zero */
  YAN_STATUS_FAILED_PRECONDITION = 20, /* e.g. session poisoned by a failure */
  YAN_STATUS_INTERNAL = 21,
  YAN_STATUS_UNSUPPORTED_CPU = 22,   /* images for this arch need CPU features
                                        it lacks (the message names them) */
  /* Signed bundles (docs/security.md); only with trusted keys, except
   * BAD_SIGNATURE for a malformed signature block, refused in any mode. */
  YAN_STATUS_UNSIGNED = 23,          /* trusted keys given, bundle not signed */
  YAN_STATUS_UNTRUSTED_KEY = 24,     /* signed by a key not among the trusted */
  YAN_STATUS_BAD_SIGNATURE = 25,     /* signature block malformed, or the
                                        signature does not verify */
  /* Learning (docs/learning.md). */
  YAN_STATUS_NON_FINITE = 26,        /* a learn step's loss or gradients are not
                                        finite: the step was rejected and
                                        changed nothing; a prefill/decode's
                                        logits are not finite (the session
                                        is poisoned); a delta holds a
                                        non-finite value */
  YAN_STATUS_DELTA_MISMATCH = 27,    /* a delta file was saved from another
                                        base model (weights or config differ) */
} yan_status_code_t;

typedef struct yan_status *yan_status_t;

/* The code of `status` (YAN_STATUS_OK for NULL). */
yan_status_code_t yan_status_code(const struct yan_status *status);
/* A human-readable message ("" for NULL); valid until yan_status_free. */
const char *yan_status_message(const struct yan_status *status);
/* "OK", "OUT_OF_RANGE", ... (static strings). */
const char *yan_status_code_name(yan_status_code_t code);
/* Frees a status; NULL is fine. */
void yan_status_free(yan_status_t status);

/*===------------------------------ allocator -----------------------------===*/

/* Every allocation the runtime makes for bundles and sessions goes through
 * this (statuses use malloc: they exist only on error paths). `alignment` is
 * a power of two <= 4096. */
typedef struct yan_allocator_t {
  void *self;
  void *(*allocate)(void *self, size_t size, size_t alignment);
  void (*free)(void *self, void *ptr);
} yan_allocator_t;

/* posix_memalign / free. */
yan_allocator_t yan_allocator_system(void);

/*===-------------------------------- bundle ------------------------------===*/

typedef struct yan_bundle yan_bundle_t;

typedef enum yan_arch_t {
  YAN_ARCH_UNKNOWN = 0,
  YAN_ARCH_X86_64 = 1,
  YAN_ARCH_AARCH64 = 2,
  YAN_ARCH_RISCV64 = 3,
} yan_arch_t;

/* "x86_64", "aarch64", "riscv64", "unknown". */
const char *yan_arch_name(yan_arch_t arch);
/* The architecture this runtime was built for. */
yan_arch_t yan_host_arch(void);

/* CPU features. A code image lists the features its code may use
 * (yan_code_image_info_t.required_features, LLVM names such as "avx2",
 * "dotprod", "v", "zvl256b"); at open the runtime loads only an image whose
 * features this CPU has (cpuid on x86-64, AT_HWCAP on AArch64, AT_HWCAP +
 * riscv_hwprobe + vlenb on RISC-V), preferring the one needing the most.
 * These name the features the runtime can check on `arch` (yanc records
 * only these); NULL past the end. */
size_t yan_cpu_feature_count(yan_arch_t arch);
const char *yan_cpu_feature_name(yan_arch_t arch, size_t index);
/* Writes the comma-separated features this CPU has (from the table above)
 * to `out` (always NUL-terminated, truncated to `size`). */
void yan_host_cpu_features(char *out, size_t size);

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

/* An Ed25519 public key (what yan-keygen writes to KEY.pub, as hex). */
typedef struct yan_public_key_t {
  uint8_t bytes[32];
} yan_public_key_t;

/* Reads a public key file ("yan-ed25519-public <64 hex digits>" on one line,
 * docs/security.md). */
yan_status_t yan_public_key_read_file(const char *path, yan_public_key_t *out);
/* Parses the same text from memory (`size` bytes, need not be
 * NUL-terminated). */
yan_status_t yan_public_key_parse(const char *text, size_t size,
                                  yan_public_key_t *out);
/* The key id: hex of the first 8 bytes of SHA-256(key), 16 digits + NUL. */
void yan_public_key_id(const yan_public_key_t *key, char out[17]);

/* Options of yan_bundle_open_*. Zero-initialize the whole struct
 * (`yan_bundle_open_options_t o = {0};`): fields are only ever appended,
 * and zero is every field's default. (The runtime is a static library
 * compiled with this header, so a caller and the runtime always agree on
 * the size.)
 *
 * Trusted mode (trusted_key_count > 0): the bundle must carry a signature by
 * one of `trusted_keys` (else UNSIGNED / UNTRUSTED_KEY / BAD_SIGNATURE), the
 * signature is checked right after the 64-byte header, before the
 * FlatBuffer is interpreted, and every segment's hash (code, weights, test
 * data) is checked before any code is mapped executable;
 * YAN_BUNDLE_OPEN_SKIP_DATA_HASHES is refused (INVALID_ARGUMENT).
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

/* A secret key (the 32-byte Ed25519 seed) for signing deltas on the
 * device. */
typedef struct yan_secret_key_t {
  uint8_t seed[32];
} yan_secret_key_t;

/* Reads a secret key file written by yan-keygen ("yan-ed25519-secret <64
 * hex digits>"); refuses a file readable by group or others, a public key
 * and anything but a regular file. */
yan_status_t yan_secret_key_read_file(const char *path, yan_secret_key_t *out);

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
  int hash_verified;    /* 1 when checked at open */
} yan_segment_info_t;

size_t yan_bundle_segment_count(const yan_bundle_t *bundle);
yan_status_t yan_bundle_segment_info(const yan_bundle_t *bundle, size_t segment,
                                     yan_segment_info_t *out);

typedef enum yan_dtype_t {
  YAN_DTYPE_F32 = 0,
  YAN_DTYPE_F16 = 1,
  YAN_DTYPE_BF16 = 2,
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

/*===------------------------------- session ------------------------------===*/

typedef struct yan_session yan_session_t;

/* Creates a session with zeroed state. All its memory (state + one arena
 * sized for the largest entry + routing counters + thread pool) is allocated
 * here, once, from `allocator` (NULL: the bundle's); prefill/decode allocate
 * nothing. Runs on the calling thread only; see
 * yan_session_create_with_options for a thread pool. */
yan_status_t yan_session_create(yan_bundle_t *bundle,
                                const yan_allocator_t *allocator,
                                yan_session_t **out_session);

typedef struct yan_session_options_t {
  /* Threads that run each prefill/decode (the caller plus threads - 1
   * workers started here): matrix products split their rows among them.
   * 0 = the number of online cores. Results are identical for any count. */
  uint32_t threads;
} yan_session_options_t;

yan_status_t yan_session_create_with_options(yan_bundle_t *bundle,
                                             const yan_allocator_t *allocator,
                                             const yan_session_options_t *options,
                                             yan_session_t **out_session);

/* Threads the session runs on. */
uint32_t yan_session_threads(const yan_session_t *session);
void yan_session_destroy(yan_session_t *session);

/* Feeds `num_tokens` (>= 1) tokens; writes num_tokens * V logits to
 * `logits` (row t = logits after token t). Any length: runs the prefill
 * entry in chunks of its max_tokens. All tokens are checked before anything
 * runs, so an OUT_OF_RANGE token leaves the state untouched. */
yan_status_t yan_session_prefill(yan_session_t *session, const int32_t *tokens,
                                 size_t num_tokens, float *logits);

/* Feeds one token; writes V logits. Both: a non-finite logit is
 * YAN_STATUS_NON_FINITE and poisons the session (the weights or the state
 * are not finite) until reset or set_state. */
yan_status_t yan_session_decode(yan_session_t *session, int32_t token,
                                float *logits);

/* Back to the zero state (also clears a failure). */
void yan_session_reset(yan_session_t *session);

/* Saving and restoring a conversation: the state blob is a 32-byte header
 * (magic, version, state_floats, weight fingerprint) + state_floats floats;
 * set_state refuses blobs of another size, version or model. */
size_t yan_session_state_size(const yan_session_t *session);
yan_status_t yan_session_get_state(const yan_session_t *session, void *buffer,
                                   size_t size);
yan_status_t yan_session_set_state(yan_session_t *session, const void *buffer,
                                   size_t size);
/* The raw state floats (bundle's state layout), read only; for tests and
 * debugging. */
const float *yan_session_state_floats(const yan_session_t *session);

/* Routing statistics since creation or yan_session_reset_stats, counted by
 * the generated code. partition_tokens[l * P + p]: tokens of layer l routed
 * to partition p (a token counts once for each of its k picks).
 * partition_groups[l * P + p]: grouped multiplications with partition p's
 * weights (one per prefill call for each partition any of its tokens routed
 * to; decode adds none). Pointers stay valid for the session's life. */
typedef struct yan_session_stats_t {
  int64_t num_layers;     /* L */
  int64_t num_partitions; /* P */
  const uint64_t *partition_tokens; /* L * P */
  const uint64_t *partition_groups; /* L * P */
  uint64_t prefill_tokens;  /* tokens fed through prefill */
  uint64_t decode_tokens;   /* tokens fed through decode */
} yan_session_stats_t;

void yan_session_stats(const yan_session_t *session, yan_session_stats_t *out);
void yan_session_reset_stats(yan_session_t *session);

/*===------------------------------- learning -----------------------------===*/
/* On-device learning restricted to the activated partitions
 * (docs/learning.md, docs/yan-model.md section 5). A bundle compiled with
 * learning (yanc --learn=partitions, the default) has two more entry points:
 * LEARN (forward over a sample, loss, backward; chooses per layer the
 * learn_partitions partitions with the largest total routing weight and
 * leaves their gradients in the learn arena) and LEARN_APPLY (clipping and
 * the optimizer step for one chosen partition). Only the chosen partitions'
 * w1, w3, w2 ever change.
 *
 * Learned weights belong to the bundle: every session of the bundle sees
 * them. A bundle opened from a file stays mapped read-only and private: the
 * pages of a partition are made writable when it is first trained, so the
 * kernel copies exactly those pages on write; the file is never modified.
 * yan_bundle_save_delta persists what was learned; a delta is applied at
 * open (yan_bundle_open_options_t.delta_path) or with yan_bundle_apply_delta.
 *
 * Not thread-safe against the bundle's other users: see the Threads note at
 * the top of this file. */

typedef enum yan_learn_optimizer_t {
  YAN_LEARN_SGD = 0,   /* torch.optim.SGD(lr, momentum) */
  YAN_LEARN_ADAMW = 1, /* torch.optim.AdamW(lr, betas, eps, weight_decay) */
} yan_learn_optimizer_t;

/* Which of the double fields of yan_learn_options_t are given; a field
 * whose bit is clear takes its default (and must be 0, so a value set
 * without its bit is an error rather than silently ignored). */
enum {
  YAN_LEARN_SET_LR = 1u << 0,           /* default 1e-2 */
  YAN_LEARN_SET_MOMENTUM = 1u << 1,     /* SGD only; default 0 */
  YAN_LEARN_SET_BETA1 = 1u << 2,        /* AdamW only; default 0.9 */
  YAN_LEARN_SET_BETA2 = 1u << 3,        /* AdamW only; default 0.999 */
  YAN_LEARN_SET_EPS = 1u << 4,          /* AdamW only; default 1e-8 */
  YAN_LEARN_SET_WEIGHT_DECAY = 1u << 5, /* AdamW only; default 1e-2 */
  YAN_LEARN_SET_MAX_NORM = 1u << 6,     /* default 0: no clipping */
};

/* One learn step as the LEARN entry left it, before any update. Pointers
 * point into the session's learn memory: valid until the session's next
 * learn call. */
typedef struct yan_learn_step_t {
  uint32_t step;             /* 0-based index within the call */
  int finite;                /* 1 when loss and every gradient are finite */
  float loss;                /* mean cross-entropy of the sample */
  float grad_norm;           /* global L2 norm of the chosen partitions'
                                gradients, before clipping */
  int64_t num_layers;        /* L */
  int64_t slots_per_layer;   /* M, the bundle's learn_partitions */
  const int32_t *chosen;     /* [L * M]: slot l*M + j = the j-th chosen
                                partition of layer l, ascending; -1 unused */
  /* Per slot, 3*F*D floats (F*D w1 [F,D], F*D w3 [F,D], D*F w2 [D,F]): the
   * slot's pre-clip gradients; zero for unused slots. LEARN keeps them in a
   * compact form of its own, so they are written out (one LEARN_APPLY per
   * used slot, into L*M*3*F*D floats the session allocates once) only for
   * yan_session_learn_gradients and, with YAN_LEARN_FLAG_STEP_GRADIENTS,
   * for on_step; NULL otherwise. */
  const float *gradients;
  uint64_t floats_per_slot;  /* 3 * F * D */
} yan_learn_step_t;

enum {
  /* Skip the forward-only evaluation after the last step (loss_after is
   * then NaN): one forward pass less per call, e.g. in a training loop. */
  YAN_LEARN_FLAG_NO_LOSS_AFTER = 1u << 0,
  /* Give on_step each step's dense pre-clip gradients
   * (yan_learn_step_t.gradients): costs time and memory, for tools and
   * tests (yan-run --dump-gradients). */
  YAN_LEARN_FLAG_STEP_GRADIENTS = 1u << 1,
};

/* Called after each step's LEARN, once the step is accepted (finite) and
 * before its updates are applied, on the calling thread. It must not call
 * the runtime on this bundle or its sessions (the learn arena it points
 * into is in use). */
typedef void (*yan_learn_step_fn)(void *user, const yan_learn_step_t *step);

/* Zero-initialize (`yan_learn_options_t o = {0};` means every default);
 * fields are only ever appended. Defaults are PyTorch's (and the
 * reference's, test/reference/local_update.py). */
typedef struct yan_learn_options_t {
  uint32_t optimizer;        /* yan_learn_optimizer_t; default YAN_LEARN_SGD
                                (an integer: any value is checked, never
                                loaded as an out-of-range enum) */
  uint32_t steps;            /* optimizer steps on the sample; 0 or 1: one
                                (at most 1048576) */
  uint32_t learn_partitions; /* m, partitions trained per layer per step,
                                1..M; 0: M (the bundle's learn_partitions,
                                yanc --learn-partitions, default k) */
  uint32_t set;              /* YAN_LEARN_SET_* for the fields below */
  double lr;                 /* >= 0 */
  double momentum;           /* >= 0 */
  double beta1, beta2;       /* in [0, 1) */
  double eps;                /* >= 0 */
  double weight_decay;       /* >= 0 */
  double max_norm;           /* >= 0; clip_grad_norm_ over all chosen
                                partitions' gradients; 0: no clipping */
  yan_learn_step_fn on_step; /* NULL: none */
  void *on_step_user;
  uint32_t flags;            /* YAN_LEARN_FLAG_* */
} yan_learn_options_t;

typedef struct yan_learn_result_t {
  float loss_before;           /* the first step's loss (before any update) */
  float loss_after;            /* loss of the sample after the last step (a
                                  forward-only LEARN; NaN with
                                  YAN_LEARN_FLAG_NO_LOSS_AFTER) */
  float grad_norm;             /* the last step's pre-clip gradient norm */
  uint32_t steps;              /* steps run */
  uint32_t partitions_touched; /* distinct (layer, partition) pairs this call
                                  trained */
  int64_t num_layers;          /* L */
  int64_t slots_per_layer;     /* M */
  const int32_t *chosen;       /* [L * M], the last step's choice (as in
                                  yan_learn_step_t); valid until the
                                  session's next learn call */
} yan_learn_result_t;

/* Runs options->steps steps (NULL options: defaults) on the sample
 * tokens[0..n-1] starting from the session's current recurrent state, which
 * is not advanced. Per step: LEARN with m partitions per layer; a step whose
 * loss or gradients are not finite is rejected (YAN_STATUS_NON_FINITE) and
 * changes nothing (weights, optimizer state and step counts; steps before it
 * in the same call stay applied); otherwise every chosen partition gets its
 * optimizer state (created zeroed when first trained) and LEARN_APPLY
 * updates it in place. A step whose updated weights or optimizer state, or
 * the loss after it (the next step's, or the loss-after evaluation), are
 * not finite is rolled back exactly (YAN_STATUS_NON_FINITE; the learn
 * memory keeps a copy of the step's partitions for this: L x M partitions
 * of weights and AdamW-sized optimizer state). With
 * YAN_LEARN_FLAG_NO_LOSS_AFTER the last step's loss after is not checked.
 * A partition keeps the optimizer it was first trained
 * with: continuing it with the other one is FAILED_PRECONDITION (before the
 * step changes anything).
 * Errors: FAILED_PRECONDITION when the bundle has no learn entries
 * (compiled with --learn=off) or the session is poisoned; OUT_OF_RANGE for
 * a token outside [0, V); INVALID_ARGUMENT for n outside [2, the learn
 * entry's max_tokens] or options out of range. The learn arena (the learn
 * entries' arena_bytes plus (max_tokens - 1) * V logits plus the rollback
 * copy) is allocated from
 * the session's allocator on the first learn call and kept. */
yan_status_t yan_session_learn(yan_session_t *session, const int32_t *tokens, size_t n,
                               const yan_learn_options_t *options,
                               yan_learn_result_t *out);

/* Runs only LEARN (no update) with `learn_partitions` per layer (0: M) and
 * describes its result in `out` (step = 0), including when it is not finite:
 * for tests and tools that inspect gradients. */
yan_status_t yan_session_learn_gradients(yan_session_t *session, const int32_t *tokens,
                                         size_t n, uint32_t learn_partitions,
                                         yan_learn_step_t *out);

/* The sample's loss (mean cross-entropy of tokens[1..n-1] given the tokens
 * before, from the session's current state, which is not advanced): the
 * learn entry's forward only, nothing chosen, nothing updated. */
yan_status_t yan_session_learn_loss(yan_session_t *session, const int32_t *tokens, size_t n,
                                    float *loss);

typedef struct yan_bundle_learn_info_t {
  int has_learn;               /* 1 when the bundle has a learn table (and
                                  its code images the learn entries) */
  int64_t learn_partitions;    /* M (0 without) */
  int64_t max_tokens;          /* longest sample (0 without, or when no
                                  image was loaded: YAN_BUNDLE_OPEN_NO_CODE) */
  uint64_t arena_bytes;        /* learn memory a session allocates on its
                                  first learn call (likewise) */
  uint64_t trained_partitions; /* (layer, partition) pairs trained so far
                                  (by learn steps or deltas) */
  uint64_t optimizer_state_bytes; /* optimizer state the bundle holds */
} yan_bundle_learn_info_t;

void yan_bundle_learn_info(const yan_bundle_t *bundle, yan_bundle_learn_info_t *out);

/* The learned state of partition `partition` of layer `layer`; steps == 0:
 * never trained (the other fields are then 0/NULL). Pointers are valid until
 * the next learn step or delta on the bundle. */
typedef struct yan_partition_learn_state_t {
  uint64_t steps;                   /* optimizer steps that trained it */
  yan_learn_optimizer_t optimizer;
  const float *optimizer_state;     /* NULL for SGD without momentum */
  uint64_t optimizer_state_floats;  /* 0, 3*F*D (SGD momentum buffer) or
                                       6*F*D (AdamW exp_avg, exp_avg_sq);
                                       blocks in the order w1, w3, w2 */
} yan_partition_learn_state_t;

yan_status_t yan_bundle_partition_learn_state(const yan_bundle_t *bundle, int64_t layer,
                                              int64_t partition,
                                              yan_partition_learn_state_t *out);

/* Writes every trained partition (its w1/w3/w2 bytes, optimizer, step count
 * and optimizer state) to a delta file (format: docs/learning.md), bound to
 * this bundle's weights. Atomic: written to a temporary file next to `path`
 * (mode 0600), fsync'ed, renamed over `path`, then the directory is
 * fsync'ed; a crash at any point leaves the complete old file or the complete
 * new one at `path` (and possibly a stale `PATH.tmp-XXXXXX`). Deterministic:
 * the same learned state gives the same bytes. */
yan_status_t yan_bundle_save_delta(yan_bundle_t *bundle, const char *path);
/* The same, signed with `key` (delta format version 2; docs/security.md,
 * "Deltas"): bundles opened with the matching public key among their
 * trusted_delta_keys accept it. */
yan_status_t yan_bundle_save_delta_signed(yan_bundle_t *bundle, const char *path,
                                          const yan_secret_key_t *key);

/* Verifies a whole delta (size, magic, version, checksum, that it was saved
 * from this bundle's weights and config, every record) before writing
 * anything, then applies it: the partitions it lists get its weights,
 * optimizer state and step counts. The bundle must not have learned
 * anything yet (FAILED_PRECONDITION). On any error the bundle is unchanged.
 * Status codes: TRUNCATED, BAD_MAGIC, UNSUPPORTED_HEADER_VERSION, BAD_HEADER,
 * HASH_MISMATCH (checksum), DELTA_MISMATCH (another base), BAD_LAYOUT (a
 * record), IO_ERROR. */
yan_status_t yan_bundle_apply_delta(yan_bundle_t *bundle, const char *path);
/* The same from memory (`size` bytes, any alignment; not retained). */
yan_status_t yan_bundle_apply_delta_memory(yan_bundle_t *bundle, const void *data,
                                           size_t size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* YAN_RUNTIME_H */
