//===- SafeTensors.h - Memory-mapped safetensors reader ----------*- C++ -*-===//
//
// Reads a .safetensors file (8-byte little-endian header length, JSON header,
// raw little-endian data) by mapping it; tensors are views into the mapping,
// never copies. Every structural defect is an error naming the tensor.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_SAFETENSORS_H
#define YAN_COMPILER_IMPORT_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace yan {

enum class DType { F32, F16, BF16 };

/// "F32", "F16", "BF16".
llvm::StringRef dtypeName(DType dtype);
unsigned dtypeSize(DType dtype);

struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t offset = 0; // from the start of its file
  llvm::ArrayRef<uint8_t> bytes; // view into the mapping
  /// The file holding it (one shard of a sharded checkpoint): what errors name.
  llvm::StringRef file;

  int64_t numElements() const;
};

/// One .safetensors file, or the shards of one checkpoint read as a whole
/// (fromShards): tensors by name across all of them.
class SafeTensorsFile {
public:
  /// Maps `path` read-only and parses its header.
  static llvm::Expected<std::unique_ptr<SafeTensorsFile>>
  open(llvm::StringRef path);
  /// Parses a file already in memory (tests, fuzzers); takes ownership.
  static llvm::Expected<std::unique_ptr<SafeTensorsFile>>
  fromBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer);
  /// The union of `shards`, named `name` (the index file): tensors in shard
  /// order, then header order; the metadata of the first shard. The caller
  /// has checked that no name occurs twice (ShardedCheckpoint.cpp).
  static std::unique_ptr<SafeTensorsFile>
  fromShards(std::string name,
             std::vector<std::unique_ptr<SafeTensorsFile>> shards);

  /// Tensors in header order.
  llvm::ArrayRef<TensorView> tensors() const { return tensors_; }
  /// nullptr if absent.
  const TensorView *find(llvm::StringRef name) const;
  /// The `__metadata__` string map (may be empty).
  const llvm::StringMap<std::string> &metadata() const { return metadata_; }
  /// The file, or the index of a sharded checkpoint.
  llvm::StringRef path() const { return path_; }

private:
  std::string path_;
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> buffers_;
  std::vector<TensorView> tensors_;
  llvm::StringMap<size_t> index_;
  llvm::StringMap<std::string> metadata_;
};

/// One tensor to write; `data` holds numElements * dtypeSize bytes.
struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  llvm::ArrayRef<uint8_t> data;
};

/// Writes tensors (in the given order, data contiguous, header padded with
/// spaces to a multiple of 8 bytes), byte-identical to the reference writer
/// in test/reference/.
llvm::Error writeSafeTensors(llvm::StringRef path,
                             llvm::ArrayRef<TensorToWrite> tensors,
                             const std::vector<std::pair<std::string, std::string>> &metadata);

/// A tensor's header entry, for writers that produce the data as they go.
struct TensorHeaderSpec {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
};

/// Like writeSafeTensors, but asks `writeData(i, os)` for tensor i's bytes in
/// turn, so a model larger than memory can be written. Each call must write
/// exactly numElements * dtypeSize bytes (checked).
llvm::Error writeSafeTensorsStreamed(
    llvm::StringRef path, llvm::ArrayRef<TensorHeaderSpec> tensors,
    const std::vector<std::pair<std::string, std::string>> &metadata,
    llvm::function_ref<void(size_t, llvm::raw_ostream &)> writeData);

/// The same file built in memory and opened (tensors become views into
/// the returned file's own buffer, named `name` in errors): for weights a
/// stage converts, so later stages see an ordinary checkpoint.
llvm::Expected<std::unique_ptr<SafeTensorsFile>> buildSafeTensors(
    llvm::StringRef name, llvm::ArrayRef<TensorHeaderSpec> tensors,
    const std::vector<std::pair<std::string, std::string>> &metadata,
    llvm::function_ref<void(size_t, llvm::raw_ostream &)> writeData);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_SAFETENSORS_H
