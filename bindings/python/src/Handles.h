//===- Handles.h - Shared ownership and locking of runtime objects --------===//
//
// The C API's thread rules (yan/runtime.h): a bundle may be shared by any number
// of threads, a session is used by one thread at a time, and learning or
// deltas must not run concurrently with any other call on the bundle or its
// sessions. Python code cannot be trusted to follow them (threads, and the
// GIL is released while the runtime works), so the bindings enforce them:
// every call takes the bundle's lock, shared for prefill, decode, state and
// session destruction, exclusive for learn and deltas, plus the session's
// own mutex. Calls release the GIL before taking a lock, so a thread waiting
// for one never blocks the interpreter (a session's destructor waits with
// the GIL held, which is safe: the holder of the exclusive lock never needs
// the GIL before releasing it). The tokenizer is immutable: no lock.
//
// Python objects hold these through std::shared_ptr: a Session or Tokenizer
// keeps its bundle alive (sessions also hold a runtime reference).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_BINDINGS_PYTHON_HANDLES_H
#define YAN_BINDINGS_PYTHON_HANDLES_H

#include "yan/bundle.h"
#include "yan/learn.h"
#include "yan/session.h"
#include "yan/tokenizer.h"

#include <memory>
#include <mutex>
#include <shared_mutex>

namespace yan::python {

struct BundleHandle {
  yan_bundle_t *bundle = nullptr;
  std::shared_mutex lock;

  explicit BundleHandle(yan_bundle_t *opened) : bundle(opened) {}
  BundleHandle(const BundleHandle &) = delete;
  BundleHandle &operator=(const BundleHandle &) = delete;
  ~BundleHandle() { yan_bundle_release(bundle); }
};

struct SessionHandle {
  std::shared_ptr<BundleHandle> bundle;
  yan_session_t *session = nullptr;
  std::mutex lock;

  SessionHandle(std::shared_ptr<BundleHandle> owner, yan_session_t *created)
      : bundle(std::move(owner)), session(created) {}
  SessionHandle(const SessionHandle &) = delete;
  SessionHandle &operator=(const SessionHandle &) = delete;
  ~SessionHandle() {
    // Destroying is a call on the bundle's session: not during a learn step.
    std::shared_lock<std::shared_mutex> shared(bundle->lock);
    yan_session_destroy(session);
  }
};

struct TokenizerHandle {
  std::shared_ptr<BundleHandle> bundle;
  const yan_tokenizer_t *tokenizer = nullptr; // owned by the bundle
};

} // namespace yan::python

#endif
