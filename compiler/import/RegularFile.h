//===- RegularFile.h - Reading input files safely ---------------*- C++ -*-===//
//
// Every file yanc reads goes through here: it is opened without blocking (a
// FIFO would otherwise wait for a writer forever), must be a regular file
// (a device such as /dev/zero would otherwise be read until memory runs
// out; directories and sockets make no sense either), and may be at most
// `maxBytes` long, the size its format justifies (a config.json or a key
// of gigabytes is not one). Large files are mapped, not copied.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_REGULARFILE_H
#define YAN_COMPILER_IMPORT_REGULARFILE_H

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>

namespace yan {

/// No limit beyond what the file system holds (mapped checkpoints).
inline constexpr uint64_t kAnyFileSize = UINT64_MAX;
/// Small text inputs: config.json, test-vector JSON, key files.
inline constexpr uint64_t kMaxTextFileBytes = uint64_t(16) << 20;

/// Reads (maps) the regular file `path`, refusing FIFOs, devices,
/// directories and files over `maxBytes`; `what` names the file in errors
/// ("config", "checkpoint"). A NUL terminator is added when `text`.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readRegularFile(llvm::StringRef path, uint64_t maxBytes, bool text = false);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_REGULARFILE_H
