//===- ProtoWire.cpp - A minimal protobuf wire-format reader --------------===//
#include "compiler/import/ProtoWire.h"

#include "llvm/ADT/Twine.h"

using namespace llvm;

namespace yan {
namespace {

Error wireError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

const char *wireTypeName(WireType type) {
  switch (type) {
  case WireType::Varint: return "varint";
  case WireType::Fixed64: return "64-bit";
  case WireType::Bytes: return "length-delimited";
  case WireType::Fixed32: return "32-bit";
  }
  return "?";
}

} // namespace

Expected<uint64_t> ProtoReader::varint() {
  uint64_t result = 0;
  size_t start = pos;
  // At most 10 bytes encode 64 bits; the 10th may only contribute bit 63.
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (pos >= data.size())
      return wireError("truncated varint at byte " + Twine(start));
    uint8_t byte = data[pos++];
    if (shift == 63 && (byte & 0x7e))
      return wireError("varint at byte " + Twine(start) + " overflows 64 bits");
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80))
      return result;
  }
  return wireError("varint at byte " + Twine(start) + " is longer than 10 bytes");
}

Expected<bool> ProtoReader::next(ProtoField &field) {
  if (pos >= data.size())
    return false;
  size_t start = pos;
  Expected<uint64_t> key = varint();
  if (!key)
    return key.takeError();
  uint64_t number = *key >> 3;
  unsigned type = static_cast<unsigned>(*key & 7);
  if (number == 0 || number > 0x1fffffff)
    return wireError("invalid field number " + Twine(number) + " at byte " + Twine(start));
  field = ProtoField();
  field.number = static_cast<uint32_t>(number);
  switch (type) {
  case 0: {
    Expected<uint64_t> value = varint();
    if (!value)
      return value.takeError();
    field.type = WireType::Varint;
    field.value = *value;
    return true;
  }
  case 1:
  case 5: {
    size_t width = type == 1 ? 8 : 4;
    if (data.size() - pos < width)
      return wireError("field " + Twine(number) + " at byte " + Twine(start) +
                       " is truncated");
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) // little-endian on the wire
      value |= static_cast<uint64_t>(data[pos + i]) << (8 * i);
    pos += width;
    field.type = type == 1 ? WireType::Fixed64 : WireType::Fixed32;
    field.value = value;
    return true;
  }
  case 2: {
    Expected<uint64_t> length = varint();
    if (!length)
      return length.takeError();
    if (*length > data.size() - pos)
      return wireError("field " + Twine(number) + " at byte " + Twine(start) + " claims " +
                       Twine(*length) + " bytes, only " + Twine(data.size() - pos) +
                       " remain in its message");
    field.type = WireType::Bytes;
    field.bytes = data.slice(pos, static_cast<size_t>(*length));
    pos += static_cast<size_t>(*length);
    return true;
  }
  default:
    return wireError("field " + Twine(number) + " at byte " + Twine(start) +
                     " has wire type " + Twine(type) +
                     (type == 3 || type == 4 ? " (groups are not supported)"
                                             : " (not a protobuf wire type)"));
  }
}

Error expectWireType(const ProtoField &field, WireType expected) {
  if (field.type == expected)
    return Error::success();
  return wireError("field " + Twine(field.number) + " is " + wireTypeName(field.type) +
                   ", expected " + wireTypeName(expected));
}

} // namespace yan
