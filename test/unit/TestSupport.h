//===- TestSupport.h - Helpers shared by the import unit tests ---*- C++
//-*-===//
#ifndef YAN_TEST_UNIT_TESTSUPPORT_H
#define YAN_TEST_UNIT_TESTSUPPORT_H

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "gtest/gtest.h"
#include <string>

namespace yan::test {

/// A fresh directory, removed with everything in it when the test ends.
class TempDir {
public:
  TempDir() {
    std::error_code ec =
        llvm::sys::fs::createUniqueDirectory("yan-import-test", path_);
    EXPECT_FALSE(ec) << ec.message();
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path_); }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  llvm::StringRef path() const { return path_; }
  std::string file(llvm::StringRef name) const {
    llvm::SmallString<256> result(path_);
    llvm::sys::path::append(result, name);
    return std::string(result);
  }

private:
  llvm::SmallString<256> path_;
};

inline void writeFile(llvm::StringRef path, llvm::StringRef contents) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  ASSERT_FALSE(ec) << ec.message();
  os << contents;
}

inline std::string readFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  EXPECT_TRUE(bool(buffer)) << path.str();
  return buffer ? (*buffer)->getBuffer().str() : std::string();
}

/// The message of an error that must be there (empty + a failure if not).
template <typename T> std::string errorMessage(llvm::Expected<T> value) {
  if (value) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return llvm::toString(value.takeError());
}

inline std::string errorMessage(llvm::Error error) {
  if (!error) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return llvm::toString(std::move(error));
}

/// Succeeds, or fails the test with the error's message.
#define YAN_ASSERT_OK(expr)                                                    \
  do {                                                                         \
    if (llvm::Error yanErr = (expr))                                           \
      FAIL() << llvm::toString(std::move(yanErr));                             \
  } while (0)

/// Unwraps an Expected, failing the test with its message.
#define YAN_ASSERT_EXPECTED(var, expr)                                         \
  auto var = (expr);                                                           \
  if (!var)                                                                    \
  FAIL() << llvm::toString(var.takeError())

} // namespace yan::test

#endif // YAN_TEST_UNIT_TESTSUPPORT_H
