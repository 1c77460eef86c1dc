//===- ProtoWire.h - A minimal protobuf wire-format reader -------*- C++ -*-===//
//
// Enough of the protobuf encoding (developers.google.com/protocol-buffers/
// docs/encoding) to read a SentencePiece ModelProto without the protobuf
// library: one field at a time, bounds-checked, never reading past the
// message. Groups (wire types 3/4) are refused: proto2 files written by
// protoc for ModelProto never contain them.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_PROTOWIRE_H
#define YAN_COMPILER_IMPORT_PROTOWIRE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>

namespace yan {

enum class WireType : uint8_t { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 };

struct ProtoField {
  uint32_t number = 0;
  WireType type = WireType::Varint;
  uint64_t value = 0;             // Varint, Fixed64, Fixed32
  llvm::ArrayRef<uint8_t> bytes;  // Bytes (strings, embedded messages)

  llvm::StringRef text() const {
    return {reinterpret_cast<const char *>(bytes.data()), bytes.size()};
  }
};

class ProtoReader {
public:
  explicit ProtoReader(llvm::ArrayRef<uint8_t> message) : data(message) {}

  /// Reads the next field into `field`; false at the end of the message.
  /// Errors say what is malformed and at which byte of this message.
  llvm::Expected<bool> next(ProtoField &field);

private:
  llvm::Expected<uint64_t> varint();

  llvm::ArrayRef<uint8_t> data;
  size_t pos = 0;
};

/// "field N has wire type X, expected Y" unless `field.type == expected`.
llvm::Error expectWireType(const ProtoField &field, WireType expected);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_PROTOWIRE_H
