//===- RegularFile.cpp - Reading input files safely -----------------------===//
#include "compiler/import/RegularFile.h"

#include "llvm/Support/Errc.h"
#include "llvm/Support/FileSystem.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace yan {
namespace {

const char *kindOf(mode_t mode) {
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode))
    return "a device";
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISSOCK(mode))
    return "a socket";
  return "of another kind";
}

} // namespace

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readRegularFile(llvm::StringRef path, uint64_t maxBytes, bool text) {
  std::string name = path.str();
  // O_NONBLOCK: opening a FIFO for reading would wait for a writer.
  int fd = ::open(name.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    std::error_code ec(errno, std::generic_category());
    return llvm::createStringError(ec, path + ": cannot read: " + ec.message());
  }
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    std::error_code ec(errno, std::generic_category());
    ::close(fd);
    return llvm::createStringError(ec, path + ": cannot stat: " + ec.message());
  }
  if (!S_ISREG(info.st_mode)) {
    std::string kind = kindOf(info.st_mode);
    ::close(fd);
    return llvm::createStringError(llvm::errc::invalid_argument,
                                   path + ": cannot read: it is " + kind +
                                       ", not a regular file");
  }
  uint64_t size = static_cast<uint64_t>(info.st_size);
  if (size > maxBytes) {
    ::close(fd);
    return llvm::createStringError(llvm::errc::file_too_large,
                                   path + ": " + llvm::Twine(size) +
                                       " bytes, more than such a file can need (" +
                                       llvm::Twine(maxBytes) + ")");
  }
  // Regular files ignore O_NONBLOCK; cleared anyway so reads behave as usual.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  // Not volatile, no terminator for binary files: LLVM may mmap it.
  auto buffer = llvm::MemoryBuffer::getOpenFile(
      llvm::sys::fs::convertFDToNativeFile(fd), path, size,
      /*RequiresNullTerminator=*/text, /*IsVolatile=*/false);
  ::close(fd); // a mapping keeps the file alive
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   path + ": cannot read: " + buffer.getError().message());
  return std::move(*buffer);
}

} // namespace yan
