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
#include <sys/stat.h>
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

/// A read-only shared mapping of a whole file (the page cache is shared, so
/// mincore on it sees what the runtime's own mapping read). Unmapped when
/// it goes out of scope; check ok() before using data().
class FileMapping {
public:
  explicit FileMapping(const char *path) {
    int fd = ::open(path, O_RDONLY);
    struct stat st;
    if (fd < 0)
      return;
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      void *map = ::mmap(nullptr, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
      if (map != MAP_FAILED) {
        data_ = static_cast<const uint8_t *>(map);
        size_ = size_t(st.st_size);
      }
    }
    ::close(fd);
  }
  FileMapping(const FileMapping &) = delete;
  FileMapping &operator=(const FileMapping &) = delete;
  ~FileMapping() {
    if (data_)
      ::munmap(const_cast<uint8_t *>(data_), size_);
  }
  bool ok() const { return data_ != nullptr; }
  const uint8_t *data() const { return data_; }

private:
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

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
