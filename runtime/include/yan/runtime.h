/*===- runtime.h - The yan runtime C API -------------------------*- C -*-===//
 *
 * Open a .yanb bundle, verify it completely, load its code image for this
 * host, and run sessions (prefill / decode) on it. No globals: every object
 * is created from an explicit allocator and owned by its handle.
 *
 * The API is in parts, one job each; this header includes them all (and
 * stays the one to include):
 *   yan/status.h     errors: yan_status_t, codes, messages
 *   yan/allocator.h  yan_allocator_t
 *   yan/arch.h       architectures and CPU features
 *   yan/keys.h       Ed25519 public and secret keys (key files)
 *   yan/bundle.h     opening, verifying and inspecting a bundle
 *   yan/session.h    sessions: prefill, decode, state, statistics
 *   yan/learn.h      on-device learning and deltas
 * (yan/tokenizer.h, the bundle's tokenizer, is separate.)
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

#include "yan/allocator.h"
#include "yan/arch.h"
#include "yan/bundle.h"
#include "yan/keys.h"
#include "yan/learn.h"
#include "yan/session.h"
#include "yan/status.h"

#endif /* YAN_RUNTIME_H */
