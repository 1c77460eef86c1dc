/*===- learn.h - On-device learning and deltas --------------------*- C -*-===//
 *
 * Part of the C API of yan/runtime.h (which includes every part and states
 * the rules for errors and threads); include that or just this part.
 *===----------------------------------------------------------------------===*/
#ifndef YAN_LEARN_H
#define YAN_LEARN_H

#include "yan/bundle.h"
#include "yan/keys.h"
#include "yan/session.h"
#include "yan/status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

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
 * Not thread-safe against the bundle's other users: see the Threads note of
 * yan/runtime.h. */

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
  /* (position, chosen partition) pairs over all layers: for each used
   * slot, the positions routed to its partition (a token counts once for
   * each of its k picks), the rank of the slot's weight gradients.
   * Multiplying them out costs yan_bundle_learn_flops_per_routed_pair each
   * (yan-bench --learn adds that to the step's FLOPs). */
  uint64_t routed_pairs;
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
  uint64_t routed_pairs;       /* the steps' yan_learn_step_t.routed_pairs,
                                  summed over the steps run */
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
  uint64_t partition_copy_bytes;  /* f32 copies of trained partitions held
                                     (FFN weights that are not f32 are
                                     trained in copies; docs/learning.md) */
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
  const float *weights_f32;         /* FFN weights that are not f32 (f16,
                                       bf16, int8, int4): the partition's f32 copy the
                                       code reads, w1 [F,D], w3 [F,D],
                                       w2 [D,F]; NULL for f32 weights
                                       (trained in place: see
                                       yan_bundle_weight_segment) */
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

#endif /* YAN_LEARN_H */
