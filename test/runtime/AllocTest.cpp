//===- AllocTest.cpp - Decode allocates nothing ---------------------------===//
//
// Its own test binary because it replaces malloc & co. for the whole process:
// the replacements forward to glibc's __libc_* entry points and count calls
// while `gCounting` is set. Combined with a counting yan_allocator_t this
// shows that after yan_session_create, prefill and decode allocate no memory
// through either path.
//
//===----------------------------------------------------------------------===//
#include "Fixture.h"

#include "gtest/gtest.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>

extern "C" {
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void __libc_free(void *ptr);
}

namespace {
std::atomic<bool> gCounting{false};
std::atomic<long> gMallocCalls{0};

void count() {
  if (gCounting.load(std::memory_order_relaxed))
    gMallocCalls.fetch_add(1, std::memory_order_relaxed);
}
} // namespace

extern "C" {
void *malloc(size_t size) {
  count();
  return __libc_malloc(size);
}
void *calloc(size_t n, size_t size) {
  count();
  return __libc_calloc(n, size);
}
void *realloc(void *ptr, size_t size) {
  count();
  return __libc_realloc(ptr, size);
}
void *memalign(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
void *aligned_alloc(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void **out, size_t alignment, size_t size) {
  count();
  if (alignment < sizeof(void *) || (alignment & (alignment - 1)))
    return EINVAL;
  void *ptr = __libc_memalign(alignment, size);
  if (!ptr)
    return ENOMEM;
  *out = ptr;
  return 0;
}
void free(void *ptr) { __libc_free(ptr); }
}

using namespace yan::test;

namespace {

struct CountingAllocator {
  long allocations = 0, frees = 0;
  static void *allocate(void *self, size_t size, size_t alignment) {
    ++static_cast<CountingAllocator *>(self)->allocations;
    void *ptr = nullptr;
    return posix_memalign(&ptr, alignment < 8 ? 8 : alignment, size) == 0 ? ptr : nullptr;
  }
  static void release(void *self, void *ptr) {
    ++static_cast<CountingAllocator *>(self)->frees;
    std::free(ptr);
  }
  yan_allocator_t allocator() { return {this, allocate, release}; }
};

TEST(Allocation, InterpositionIsActive) {
  gMallocCalls = 0;
  gCounting = true;
  void *volatile ptr = std::malloc(32);
  std::free(ptr);
  int *object = new int(3);
  delete object;
  gCounting = false;
  EXPECT_GE(gMallocCalls.load(), 2); // else the checks below would prove nothing
}

TEST(Allocation, DecodeAndPrefillAllocateNothing) {
  AlignedBytes bytes(bundleBytes(fixtureBundle(hostFixtureImage()).contents));
  CountingAllocator counter;
  yan_bundle_t *bundle = nullptr;
  Status status = yan_bundle_open_memory(bytes.data(), bytes.size(), nullptr,
                                         counter.allocator(), &bundle);
  ASSERT_TRUE(status.ok()) << status.text();
  long afterOpen = counter.allocations;
  EXPECT_EQ(afterOpen, 1); // the bundle object

  yan_session_t *session = nullptr;
  ASSERT_TRUE(Status(yan_session_create(bundle, nullptr, &session)).ok());
  EXPECT_EQ(counter.allocations, afterOpen + 1); // one block: state + arena

  std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6};
  std::vector<float> logits(prompt.size() * kFixtureVocab);
  float row[kFixtureVocab];
  gMallocCalls = 0;
  gCounting = true;
  yan_status_t prefillStatus =
      yan_session_prefill(session, prompt.data(), prompt.size(), logits.data());
  yan_status_t decodeStatus = nullptr;
  for (int step = 0; step < 100 && !decodeStatus; ++step)
    decodeStatus = yan_session_decode(session, step % 10, row);
  gCounting = false;
  EXPECT_TRUE(Status(prefillStatus).ok());
  EXPECT_TRUE(Status(decodeStatus).ok());
  EXPECT_EQ(gMallocCalls.load(), 0);
  EXPECT_EQ(counter.allocations, afterOpen + 1);

  yan_session_destroy(session);
  yan_bundle_release(bundle);
  EXPECT_EQ(counter.frees, counter.allocations);
}

} // namespace
