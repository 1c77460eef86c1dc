/*===- allocator.h - Where the runtime's memory comes from --------*- C -*-===//
 *
 * Part of the C API of yan/runtime.h (which includes every part and states
 * the rules for errors and threads); include that or just this part.
 *===----------------------------------------------------------------------===*/
#ifndef YAN_ALLOCATOR_H
#define YAN_ALLOCATOR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* YAN_ALLOCATOR_H */
