//===- MemoryBandwidth.cpp - Measured memory read bandwidth ---------------===//
#include "MemoryBandwidth.h"
#include "ToolSupport.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace yan::tools {

namespace {
/// Sums the buffer as 64-bit integers with independent accumulators: integer
/// adds reassociate freely, so the compiler vectorizes this at any -O level
/// of ours, and the loop is bound by memory, not by the adds.
__attribute__((noinline)) uint64_t sumWords(const uint64_t *words, size_t count) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    a += words[i];
    b += words[i + 1];
    c += words[i + 2];
    d += words[i + 3];
  }
  for (; i < count; ++i)
    a += words[i];
  return a + b + c + d;
}
} // namespace

double measureReadBandwidth(size_t bytes, int passes, unsigned threads) {
  size_t count = bytes / sizeof(uint64_t);
  void *memory = nullptr;
  if (posix_memalign(&memory, 4096, count * sizeof(uint64_t)) != 0)
    return 0.0;
  auto *words = static_cast<uint64_t *>(memory);
  // Fault every page in first: we measure reading, not the page allocator.
  std::memset(words, 1, count * sizeof(uint64_t));
  double best = 0.0;
  volatile uint64_t sink = 0;
  if (threads < 1)
    threads = 1;
  std::vector<uint64_t> sums(threads);
  for (int pass = 0; pass < passes; ++pass) {
    double start = nowSeconds();
    std::vector<std::thread> workers;
    size_t slice = count / threads;
    for (unsigned t = 1; t < threads; ++t)
      workers.emplace_back([&, t] {
        size_t begin = t * slice, end = t + 1 == threads ? count : begin + slice;
        sums[t] = sumWords(words + begin, end - begin);
      });
    sums[0] = sumWords(words, threads == 1 ? count : slice);
    for (std::thread &worker : workers)
      worker.join();
    double seconds = nowSeconds() - start;
    for (uint64_t s : sums)
      sink = sink + s;
    if (seconds > 0 && count * sizeof(uint64_t) / seconds > best)
      best = count * sizeof(uint64_t) / seconds;
  }
  std::free(memory);
  return best;
}

} // namespace yan::tools
