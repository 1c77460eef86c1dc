/*===- keys.h - Ed25519 keys: trusting bundles, signing deltas ----*- C -*-===//
 *
 * Key files as yan-keygen writes them (docs/security.md).
 * Part of the C API of yan/runtime.h (which includes every part and states
 * the rules for errors and threads); include that or just this part.
 *===----------------------------------------------------------------------===*/
#ifndef YAN_KEYS_H
#define YAN_KEYS_H

#include "yan/status.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

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

/* A secret key (the 32-byte Ed25519 seed) for signing deltas on the
 * device. */
typedef struct yan_secret_key_t {
  uint8_t seed[32];
} yan_secret_key_t;

/* Reads a secret key file written by yan-keygen ("yan-ed25519-secret <64
 * hex digits>"); refuses a file readable by group or others, a public key
 * and anything but a regular file. */
yan_status_t yan_secret_key_read_file(const char *path, yan_secret_key_t *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* YAN_KEYS_H */
