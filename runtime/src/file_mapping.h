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
};

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
