//===- status.h - Creating statuses inside the runtime ----------*- C++ -*-===//
#ifndef YAN_RUNTIME_STATUS_H
#define YAN_RUNTIME_STATUS_H

#include "yan/runtime.h"

namespace yan::rt {

/// A status with a printf-formatted message. Never fails: when even the
/// message cannot be allocated it returns a static RESOURCE_EXHAUSTED status
/// (which yan_status_free recognises and leaves alone).
yan_status_t makeStatus(yan_status_code_t code, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/// Prefixes `status`'s message with "`prefix`: " (keeps the code); consumes
/// `status` and returns the new one. NULL stays NULL.
yan_status_t annotate(yan_status_t status, const char *prefix);

} // namespace yan::rt

// Returns early from the enclosing function when `expr` fails.
#define YAN_RETURN_IF_ERROR(expr)                                              \
  do {                                                                         \
    yan_status_t yan_status_ = (expr);                                         \
    if (yan_status_)                                                           \
      return yan_status_;                                                      \
  } while (0)

#endif // YAN_RUNTIME_STATUS_H
