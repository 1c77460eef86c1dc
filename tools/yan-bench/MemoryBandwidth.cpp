//===- MemoryBandwidth.cpp - Measured memory read bandwidth ---------------===//
#include "MemoryBandwidth.h"
#include "ToolSupport.h"

#include <algorithm>
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

ReadProbe::ReadProbe(size_t bytes, unsigned threads)
    : count_(bytes / sizeof(uint64_t)), threads_(threads < 1 ? 1 : threads) {
  void *memory = nullptr;
  if (count_ == 0 || posix_memalign(&memory, 4096, count_ * sizeof(uint64_t)) != 0)
    return;
  words_ = static_cast<uint64_t *>(memory);
  // Fault every page in first: we measure reading, not the page allocator.
  std::memset(words_, 1, count_ * sizeof(uint64_t));
}

ReadProbe::~ReadProbe() { std::free(words_); }

double ReadProbe::pass() {
  if (!words_)
    return 0.0;
  static volatile uint64_t sink = 0;
  std::vector<uint64_t> sums(threads_);
  double start = nowSeconds();
  std::vector<std::thread> workers;
  size_t slice = count_ / threads_;
  for (unsigned t = 1; t < threads_; ++t)
    workers.emplace_back([&, t] {
      size_t begin = t * slice, end = t + 1 == threads_ ? count_ : begin + slice;
      sums[t] = sumWords(words_ + begin, end - begin);
    });
  sums[0] = sumWords(words_, threads_ == 1 ? count_ : slice);
  for (std::thread &worker : workers)
    worker.join();
  double seconds = nowSeconds() - start;
  for (uint64_t s : sums)
    sink = sink + s;
  return seconds > 0 ? count_ * sizeof(uint64_t) / seconds : 0.0;
}

double ReadProbe::best(int passes) {
  double fastest = 0.0;
  for (int i = 0; i < passes && ok(); ++i)
    fastest = std::max(fastest, pass());
  return fastest;
}

} // namespace yan::tools
