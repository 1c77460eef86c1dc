//===- atomic_file.h - Replacing a file all at once -------------*- C++ -*-===//
//
// `path` holds either its old content or the complete new content, whatever
// happens (crash, SIGKILL, power loss after commit returns): the bytes go to
// a temporary file in the same directory (same file system, so rename is
// atomic), which is fsync'ed, renamed over `path`, and then the directory is
// fsync'ed so the rename itself is durable. A process killed before the
// rename leaves `PATH.tmp-XXXXXX` behind, never `path` half written.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_RUNTIME_ATOMIC_FILE_H
#define YAN_RUNTIME_ATOMIC_FILE_H

#include "yan/runtime.h"

#include <climits>
#include <cstddef>

namespace yan::rt {

class AtomicFileWriter {
public:
  AtomicFileWriter() = default;
  AtomicFileWriter(const AtomicFileWriter &) = delete;
  AtomicFileWriter &operator=(const AtomicFileWriter &) = delete;
  /// Removes the temporary file unless commit() succeeded.
  ~AtomicFileWriter();

  /// Creates the temporary file (mode 0600) next to `path`.
  yan_status_t begin(const char *path);
  yan_status_t write(const void *data, size_t size);
  /// fsync, rename over the path given to begin, fsync the directory.
  yan_status_t commit();

private:
  int fd_ = -1;
  bool renamed_ = false;
  char path_[PATH_MAX] = {};
  char temp_[PATH_MAX] = {};
};

} // namespace yan::rt

#endif // YAN_RUNTIME_ATOMIC_FILE_H
