//===- file_mapping.cpp - A read-only mapping of a whole file -------------===//
#include "file_mapping.h"

#include "status.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace yan::rt {

yan_status_t openRegularFile(const char *path, const char *what, int *fd, uint64_t *size) {
  *fd = ::open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (*fd < 0)
    return makeStatus(YAN_STATUS_IO_ERROR, "cannot open %s '%s': %s", what, path,
                      std::strerror(errno));
  struct stat info;
  if (::fstat(*fd, &info) != 0) {
    int error = errno;
    ::close(*fd);
    return makeStatus(YAN_STATUS_IO_ERROR, "cannot stat %s '%s': %s", what, path,
                      std::strerror(error));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(*fd);
    const char *kind = S_ISFIFO(info.st_mode)                          ? "a FIFO"
                       : S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode) ? "a device"
                       : S_ISDIR(info.st_mode)                          ? "a directory"
                                                                        : "not a regular file";
    return makeStatus(YAN_STATUS_IO_ERROR, "%s '%s' is %s; only regular files are read",
                      what, path, kind);
  }
  // Regular files ignore O_NONBLOCK; cleared so reads behave as usual.
  ::fcntl(*fd, F_SETFL, ::fcntl(*fd, F_GETFL) & ~O_NONBLOCK);
  *size = static_cast<uint64_t>(info.st_size);
  return nullptr;
}

yan_status_t mapFile(const char *path, FileMapping *out) {
  if (!path || !out)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "bundle path is NULL");
  int fd = -1;
  uint64_t fileSize = 0;
  YAN_RETURN_IF_ERROR(openRegularFile(path, "bundle", &fd, &fileSize));
  if (fileSize == 0) {
    ::close(fd);
    // mmap cannot map 0 bytes; report it the way a short file is reported.
    return makeStatus(YAN_STATUS_TRUNCATED,
                      "'%s' is empty (a bundle starts with a %u-byte header)",
                      path, 64u);
  }
  size_t size = static_cast<size_t>(fileSize);
  struct stat info;
  if (::fstat(fd, &info) == 0) {
    out->device = static_cast<uint64_t>(info.st_dev);
    out->inode = static_cast<uint64_t>(info.st_ino);
  }
  void *data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int error = errno;
  ::close(fd); // the mapping keeps the file alive
  if (data == MAP_FAILED)
    return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED, "cannot map '%s' (%zu bytes): %s",
                      path, size, std::strerror(error));
  out->data = static_cast<const uint8_t *>(data);
  out->size = size;
  // Before anything is read: sequential reads of the header and code would
  // otherwise start readahead that runs on into the weights.
  adviseRandomAccess(out->data, out->size);
  return nullptr;
}

bool isMappedFile(const FileMapping &mapping, const char *path) {
  struct stat info;
  return mapping.data && ::stat(path, &info) == 0 &&
         static_cast<uint64_t>(info.st_dev) == mapping.device &&
         static_cast<uint64_t>(info.st_ino) == mapping.inode;
}

void unmapFile(FileMapping *mapping) {
  if (mapping->data)
    ::munmap(const_cast<uint8_t *>(mapping->data), mapping->size);
  mapping->data = nullptr;
  mapping->size = 0;
}

void adviseRandomAccess(const uint8_t *begin, size_t size) {
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || size == 0)
    return;
  uintptr_t start = reinterpret_cast<uintptr_t>(begin) & ~static_cast<uintptr_t>(page - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(begin) + size;
  ::madvise(reinterpret_cast<void *>(start), end - start, MADV_RANDOM);
}

} // namespace yan::rt
