//===- atomic_file.cpp - Replacing a file all at once ---------------------===//
#include "atomic_file.h"

#include "status.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace yan::rt {
namespace {

// fsync of the directory holding `path`, so a completed rename survives a
// power loss. File systems that cannot sync directories say EINVAL: the
// rename is as durable as they make it.
yan_status_t syncDirectory(const char *path) {
  char dir[PATH_MAX];
  std::snprintf(dir, sizeof dir, "%s", path);
  char *slash = std::strrchr(dir, '/');
  if (!slash)
    std::snprintf(dir, sizeof dir, ".");
  else if (slash == dir)
    dir[1] = '\0'; // "/name": the root
  else
    *slash = '\0';
  int fd = ::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return makeStatus(YAN_STATUS_IO_ERROR, "cannot open directory '%s' to sync it: %s", dir,
                      std::strerror(errno));
  int result = ::fsync(fd);
  int error = errno;
  ::close(fd);
  if (result != 0 && error != EINVAL)
    return makeStatus(YAN_STATUS_IO_ERROR, "cannot sync directory '%s': %s", dir,
                      std::strerror(error));
  return nullptr;
}

} // namespace

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0)
    ::close(fd_);
  if (temp_[0] && !renamed_)
    ::unlink(temp_);
}

yan_status_t AtomicFileWriter::begin(const char *path) {
  if (!path || !*path)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "empty path");
  if (std::snprintf(path_, sizeof path_, "%s", path) >= static_cast<int>(sizeof path_) ||
      std::snprintf(temp_, sizeof temp_, "%s.tmp-XXXXXX", path) >= static_cast<int>(sizeof temp_)) {
    temp_[0] = '\0';
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "path '%s' is too long", path);
  }
  fd_ = ::mkostemp(temp_, O_CLOEXEC);
  if (fd_ < 0) {
    int error = errno;
    temp_[0] = '\0';
    return makeStatus(YAN_STATUS_IO_ERROR, "cannot create a temporary file next to '%s': %s",
                      path, std::strerror(error));
  }
  return nullptr;
}

yan_status_t AtomicFileWriter::write(const void *data, size_t size) {
  const auto *bytes = static_cast<const uint8_t *>(data);
  while (size > 0) {
    ssize_t written = ::write(fd_, bytes, size);
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      return makeStatus(YAN_STATUS_IO_ERROR, "cannot write '%s': %s", temp_,
                        written < 0 ? std::strerror(errno) : "no progress");
    bytes += written;
    size -= static_cast<size_t>(written);
  }
  return nullptr;
}

yan_status_t AtomicFileWriter::commit() {
  // The data must be on disk before the rename makes it visible under the
  // final name; otherwise a power loss could leave a renamed empty file.
  if (::fsync(fd_) != 0)
    return makeStatus(YAN_STATUS_IO_ERROR, "cannot sync '%s': %s", temp_,
                      std::strerror(errno));
  int result = ::close(fd_);
  fd_ = -1;
  if (result != 0)
    return makeStatus(YAN_STATUS_IO_ERROR, "cannot close '%s': %s", temp_,
                      std::strerror(errno));
  if (::rename(temp_, path_) != 0)
    return makeStatus(YAN_STATUS_IO_ERROR, "cannot rename '%s' to '%s': %s", temp_, path_,
                      std::strerror(errno));
  renamed_ = true;
  return syncDirectory(path_);
}

} // namespace yan::rt
