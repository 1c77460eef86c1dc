/*===- status.h - Errors: status codes and messages ---------------*- C -*-===//
 *
 * Functions return yan_status_t; NULL means success. A non-NULL status
 * carries a code and a message and must be freed with yan_status_free.
 * Part of the C API of yan/runtime.h (which includes every part and states
 * the rules for errors and threads); include that or just this part.
 *===----------------------------------------------------------------------===*/
#ifndef YAN_STATUS_H
#define YAN_STATUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* YAN_STATUS_H */
