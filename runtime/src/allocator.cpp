//===- allocator.cpp - The system allocator -------------------------------===//
#include "yan/runtime.h"

#include <cstdlib>

namespace {
void *systemAllocate(void *, size_t size, size_t alignment) {
  if (alignment < sizeof(void *))
    alignment = sizeof(void *); // posix_memalign's minimum
  void *ptr = nullptr;
  if (posix_memalign(&ptr, alignment, size ? size : 1) != 0)
    return nullptr;
  return ptr;
}

void systemFree(void *, void *ptr) { std::free(ptr); }
} // namespace

extern "C" yan_allocator_t yan_allocator_system(void) {
  return yan_allocator_t{nullptr, systemAllocate, systemFree};
}
