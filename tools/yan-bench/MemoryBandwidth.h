//===- MemoryBandwidth.h - Measured memory read bandwidth --------*- C++ -*-===//
#ifndef YAN_TOOLS_YANBENCH_MEMORYBANDWIDTH_H
#define YAN_TOOLS_YANBENCH_MEMORYBANDWIDTH_H

#include <cstddef>

namespace yan::tools {

/// Bytes per second `threads` threads together read from a buffer of
/// `bytes` (far larger than the caches), each summing its own slice, best of
/// `passes`; 0 if the buffer cannot be allocated. The same thread count and
/// access pattern as a decode step streaming its weights, so the ratio of
/// the two is meaningful.
double measureReadBandwidth(size_t bytes, int passes, unsigned threads);

} // namespace yan::tools

#endif // YAN_TOOLS_YANBENCH_MEMORYBANDWIDTH_H
