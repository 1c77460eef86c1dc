//===- file_mapping.h - A read-only mapping of a whole file -----*- C++ -*-===//
#ifndef YAN_RUNTIME_FILE_MAPPING_H
#define YAN_RUNTIME_FILE_MAPPING_H

#include "yan/runtime.h"

#include <cstddef>
#include <cstdint>

namespace yan::rt {

struct FileMapping {
  const uint8_t *data = nullptr;
  size_t size = 0;
  // The mapped file's identity, so outputs never replace it (a delta saved
  // over the bundle in use).
  uint64_t device = 0, inode = 0;
};

/// Whether `path` names the file `mapping` maps (same device and inode,
/// whatever the name: links, "./x", symlinks).
bool isMappedFile(const FileMapping &mapping, const char *path);

/// Opens `path` for reading: without blocking (a FIFO would wait for a
/// writer forever), and only if it is a regular file (a device such as
/// /dev/zero would be read without end); `what` names it in errors
/// ("bundle", "delta", "public key"). Sets *fd and *size; IO_ERROR else.
yan_status_t openRegularFile(const char *path, const char *what, int *fd, uint64_t *size);

/// Maps `path` read-only. We verify the mapped bytes once at open and trust
/// them afterwards, so bundles must not be modified in place while open; the
/// writer replaces a bundle by an atomic rename (a new inode), which leaves
/// existing mappings intact.
yan_status_t mapFile(const char *path, FileMapping *out);
void unmapFile(FileMapping *mapping);

/// Tells the kernel that [begin, begin + size) of a file mapping is read at
/// random: no readahead. Decode reads k of P weight partitions per layer;
/// readahead would pull the neighbouring, unrouted partitions into memory
/// and undo what partition activation saves. mapFile applies it to the whole
/// bundle. Advice only: failures ignored.
void adviseRandomAccess(const uint8_t *begin, size_t size);

} // namespace yan::rt

#endif // YAN_RUNTIME_FILE_MAPPING_H
