/*===- session.h - Sessions: prefill, decode, state, statistics ---*- C -*-===//
 *
 * A session runs the bundle's code on its own state; one thread at a time.
 * Part of the C API of yan/runtime.h (which includes every part and states
 * the rules for errors and threads); include that or just this part.
 *===----------------------------------------------------------------------===*/
#ifndef YAN_SESSION_H
#define YAN_SESSION_H

#include "yan/allocator.h"
#include "yan/bundle.h"
#include "yan/status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* YAN_SESSION_H */
