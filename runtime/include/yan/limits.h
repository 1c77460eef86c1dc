/*===- limits.h - The limits yanc and the runtime share ----------*- C -*-===//
 *
 * One table, included by the runtime (which refuses a bundle beyond any of
 * these at open) and by yanc (which refuses to write such a bundle), so a
 * bundle yanc writes is never one the runtime refuses for its size. Each
 * limit says why it exists; none is close to what a real model needs.
 *===----------------------------------------------------------------------===*/
#ifndef YAN_LIMITS_H
#define YAN_LIMITS_H

#include <stdint.h>

/* Model dimensions: products of three stay below 2^62 (no overflow in any
 * size computation); V is bounded by int32 token ids. */
#define YAN_LIMIT_MAX_DIM ((int64_t)1 << 20)
#define YAN_LIMIT_MAX_LAYERS ((int64_t)1 << 16)
#define YAN_LIMIT_MAX_VOCAB ((int64_t)INT32_MAX)

/* K: the mixer's window. The lowering unrolls the K-1 history taps, so
 * compile time grows fast with K (a tiny model: 4 s at K = 4, 6 s at 64,
 * over 2 minutes at 1000); real models use single digits. */
#define YAN_LIMIT_MAX_SLOPE_WINDOW ((int64_t)64)

/* Tokens one call of any entry point takes (prefill chunk, learn sample). */
#define YAN_LIMIT_MAX_TOKENS ((int64_t)1 << 24)

/* Scratch arena of one entry point. */
#define YAN_LIMIT_MAX_ARENA_BYTES ((uint64_t)1 << 40)

/* What a session may allocate (state, arena, routing counters, a logits
 * row, the learn memory), each and summed: at most
 * max(64 MiB, 64 x the bundle's file size), so a small hostile file cannot
 * make the runtime ask for terabytes (docs/security.md). */
#define YAN_LIMIT_SESSION_BUDGET_FLOOR ((uint64_t)64 << 20)
#define YAN_LIMIT_SESSION_BUDGET_FACTOR 64u

static inline uint64_t yan_session_budget_bytes(uint64_t file_size) {
  uint64_t scaled = file_size > UINT64_MAX / YAN_LIMIT_SESSION_BUDGET_FACTOR
                        ? UINT64_MAX
                        : file_size * YAN_LIMIT_SESSION_BUDGET_FACTOR;
  return scaled > YAN_LIMIT_SESSION_BUDGET_FLOOR ? scaled : YAN_LIMIT_SESSION_BUDGET_FLOOR;
}

/* Optimizer steps one learn call runs. */
#define YAN_LIMIT_LEARN_STEPS_PER_CALL (1u << 20)

/* A partition's total optimizer steps (deltas carry it): below 2^53 the
 * count is exact as the double the learn entries receive, and adding a
 * step never wraps to 0 (AdamW's bias correction divides by 1 - beta^step). */
#define YAN_LIMIT_OPTIMIZER_STEPS ((uint64_t)1 << 53)

#endif /* YAN_LIMITS_H */
