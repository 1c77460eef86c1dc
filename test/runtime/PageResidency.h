//===- PageResidency.h - What of a file is in the page cache -----*- C++ -*-===//
//
// For tests that check which bytes of a bundle the runtime read: evict the
// file from the page cache, act, then count resident pages with mincore().
// Shared by PartitionPagesTest (unrouted partitions are never read) and
// LazyTrustTest (a trusted open reads no weights).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TEST_RUNTIME_PAGERESIDENCY_H
#define YAN_TEST_RUNTIME_PAGERESIDENCY_H

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdint>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace yan::test {

/// Drops the file's pages from the page cache (written back first, so they
/// are clean and can be dropped).
inline void evictFromPageCache(const char *path) {
  int fd = ::open(path, O_RDONLY);
  ASSERT_GE(fd, 0) << path;
  ::fdatasync(fd);
  ASSERT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  ::close(fd);
}

/// Resident pages of [offset, offset + size) of the file, as mincore sees
/// them through a mapping of our own (the page cache is shared).
inline size_t residentPages(const uint8_t *file, uint64_t offset, uint64_t size, long page) {
  uint64_t begin = offset / page * page, end = (offset + size + page - 1) / page * page;
  std::vector<unsigned char> pages((end - begin) / page);
  EXPECT_EQ(::mincore(const_cast<uint8_t *>(file) + begin, end - begin, pages.data()), 0);
  return std::count_if(pages.begin(), pages.end(), [](unsigned char p) { return p & 1; });
}

} // namespace yan::test

#endif // YAN_TEST_RUNTIME_PAGERESIDENCY_H
