//===- session_internal.h - What a session holds ----------------*- C++ -*-===//
#ifndef YAN_RUNTIME_SESSION_INTERNAL_H
#define YAN_RUNTIME_SESSION_INTERNAL_H

#include "bundle_internal.h"
#include "thread_pool.h"

#include <cstdint>

namespace yan::rt {

/// The learn entries' memory, allocated on a session's first learn call
/// (session_learn.cpp) so sessions that never learn do not pay for it.
struct LearnMemory {
  uint8_t *arena = nullptr;    // max of LEARN / LEARN_APPLY arena_bytes
  float *logits = nullptr;     // (max_tokens - 1) * V: LEARN's logits
  int32_t *lastChosen = nullptr; // [L * M]: the last accepted step's choice
  uint8_t *touched = nullptr;  // [L * P]: partitions trained by this call
  // [L * M * 3*F*D]: the last yan_session_learn_gradients call's gradients,
  // materialized by LEARN_APPLY (YAN_OPTIMIZER_GRADIENT); allocated on that
  // call only (learning itself never stores a dense gradient).
  float *gradients = nullptr;
  // The current step's chosen partitions as they were before it, for a
  // rollback (learn_snapshot.h).
  uint8_t *snapshot = nullptr;
  uint64_t snapshotCapacity = 0, snapshotSlotBytes = 0, snapshotSlots = 0;
  uint64_t pendingSlots = 0; // recorded, values not all written yet
  double params[YAN_LEARN_PARAM_COUNT] = {};
};

} // namespace yan::rt

struct yan_session {
  yan_bundle_t *bundle;
  yan_allocator_t allocator;
  float *state;
  uint8_t *arena;
  uint64_t *stats; // 2 * L * P counters (executable_abi.h)
  size_t statsCount;
  uint64_t prefillTokens;
  uint64_t decodeTokens;
  yan::rt::ThreadPool *pool;
  int64_t vocabSize;
  bool poisoned; // an entry failed mid-way: state is undefined until reset
  yan::rt::LearnMemory *learn; // NULL until the first learn call
  // Lazy trust (executable_abi.h, `verified`): L * P + 1 bytes the code
  // and the verify callback share; and the first verification failure,
  // after which the session refuses all work (reset does not clear it).
  uint8_t *verifiedMap;
  bool trustFailed;
  yan_status_code_t trustCode;
  char trustMessage[384];
};

namespace yan::rt {

/// Runs `entry` with `args` on every thread of the session's pool (each
/// with its thread_index; pool and barrier filled in here). Returns the
/// first non-zero result of any thread, else 0.
int32_t runOnPool(yan_session_t *session, yan_entry_fn_v3 entry, const yan_entry_args_v3 &args);

/// The status of the session's verification failure (trustFailed):
/// its code and message, and that the session is unusable.
yan_status_t trustFailure(const yan_session_t *session);

/// INVALID_ARGUMENT for a NULL session, FAILED_PRECONDITION when poisoned,
/// trustFailure() after a failed weight verification.
yan_status_t checkUsable(const yan_session_t *session, const char *function);

/// Frees the session's learn memory (session_learn.cpp).
void destroyLearnMemory(yan_session_t *session);

} // namespace yan::rt

#endif // YAN_RUNTIME_SESSION_INTERNAL_H
