//===- ImageLinker.cpp - Objects -> one self-contained code image ---------===//
//
// lld runs as a subprocess (Debian ships lld-19's ld.lld; linking liblld
// in-process would pull its static libraries into every tool).
//
//===----------------------------------------------------------------------===//
#include "compiler/codegen/ImageLinker.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#ifndef YAN_LLD_PATH
#error "YAN_LLD_PATH must name ld.lld (set by CMake)"
#endif

namespace yan {
namespace {

/// Removes a temporary file when it goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  ~TempFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};
} // namespace

llvm::Expected<std::vector<uint8_t>>
linkCodeImage(const std::vector<uint8_t> &object) {
  TempFile input, output;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("yan-code", "o", input.path))
    return llvm::createStringError("cannot create a temporary object file: " + ec.message());
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("yan-code", "so", output.path))
    return llvm::createStringError("cannot create a temporary image file: " + ec.message());
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(input.path, ec);
    if (ec)
      return llvm::createStringError("cannot write " + input.path + ": " + ec.message());
    os.write(reinterpret_cast<const char *>(object.data()), object.size());
  }
  TempFile log;
  llvm::sys::fs::createTemporaryFile("yan-lld", "log", log.path);
  llvm::SmallVector<llvm::StringRef> args{
      YAN_LLD_PATH, "-shared", "--no-undefined", "-nostdlib",
      "-z", "now", "-z", "noexecstack", "--hash-style=sysv",
      "--build-id=none", "--gc-sections", "-soname", "yan-code",
      "-o", output.path, input.path};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, log.path.str(),
                                                log.path.str()};
  std::string message;
  int status = llvm::sys::ExecuteAndWait(YAN_LLD_PATH, args, std::nullopt,
                                         redirects, 0, 0, &message);
  if (status != 0) {
    auto text = llvm::MemoryBuffer::getFile(log.path);
    return llvm::createStringError("linking the code image failed (" YAN_LLD_PATH "): " +
                 (message.empty() && text ? (*text)->getBuffer().str()
                                          : message));
  }
  auto image = llvm::MemoryBuffer::getFile(output.path, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
  if (!image)
    return llvm::createStringError("cannot read the linked image: " + image.getError().message());
  llvm::StringRef bytes = (*image)->getBuffer();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

} // namespace yan
