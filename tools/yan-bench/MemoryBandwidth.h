//===- MemoryBandwidth.h - Measured memory read bandwidth --------*- C++ -*-===//
#ifndef YAN_TOOLS_YANBENCH_MEMORYBANDWIDTH_H
#define YAN_TOOLS_YANBENCH_MEMORYBANDWIDTH_H

#include <cstddef>
#include <cstdint>

namespace yan::tools {

/// A buffer of `bytes` (far larger than the caches), allocated and faulted
/// in once, that `threads` threads read together, each summing its own
/// slice, one pass per call: the same thread count and access pattern as a
/// decode step streaming its weights, so the ratio of the two is
/// meaningful. Passes can be interleaved with other work (yan-bench reads
/// one before each decode segment).
class ReadProbe {
public:
  ReadProbe(size_t bytes, unsigned threads);
  ~ReadProbe();
  ReadProbe(const ReadProbe &) = delete;
  ReadProbe &operator=(const ReadProbe &) = delete;
  /// False when the buffer could not be allocated (passes then read 0).
  bool ok() const { return words_ != nullptr; }
  /// Bytes per second of one pass over the whole buffer.
  double pass();
  /// The best of `passes` passes.
  double best(int passes);

private:
  uint64_t *words_ = nullptr;
  size_t count_ = 0;
  unsigned threads_ = 1;
};

} // namespace yan::tools

#endif // YAN_TOOLS_YANBENCH_MEMORYBANDWIDTH_H
