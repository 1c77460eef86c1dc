//===- SafeTensors.cpp - Memory-mapped safetensors reader and writer ------===//

#include "compiler/import/SafeTensors.h"
#include "compiler/import/RegularFile.h"
#include "compiler/import/JsonMembers.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <limits>

using namespace llvm;

namespace yan {

StringRef dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "F32";
  case DType::F16:
    return "F16";
  case DType::BF16:
    return "BF16";
  }
  llvm_unreachable("unknown dtype");
}

unsigned dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return 4;
  case DType::F16:
  case DType::BF16:
    return 2;
  }
  llvm_unreachable("unknown dtype");
}

int64_t TensorView::numElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim; // the reader checked that this does not overflow
  return count;
}

namespace {

// A header larger than this is not a plausible tensor index; refusing it
// early keeps a corrupt length field from making us parse gigabytes.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

// Every dtype name the safetensors format defines, so that a valid file with
// an exotic dtype gets "unsupported" rather than "unknown".
const StringRef kOtherSafetensorsDTypes[] = {
    "BOOL", "U8",  "I8",      "F8_E5M2", "F8_E4M3", "F8_E8M0",
    "I16",  "U16", "I32",     "U32",     "F64",     "I64",
    "U64",  "F4",  "F6_E2M3", "F6_E3M2", "C64"};

Error formatError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape))
    text += (i ? "," : "") + std::to_string(dim);
  return text + "]";
}

std::optional<DType> parseDType(StringRef name) {
  if (name == "F32")
    return DType::F32;
  if (name == "F16")
    return DType::F16;
  if (name == "BF16")
    return DType::BF16;
  return std::nullopt;
}

// Reads a non-negative integer from a JSON value.
std::optional<uint64_t> asCount(const json::Value &value) {
  std::optional<int64_t> integer = value.getAsInteger();
  if (!integer || *integer < 0)
    return std::nullopt;
  return static_cast<uint64_t>(*integer);
}

// A tensor's entry as read from the header, before its bytes are located.
struct HeaderEntry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0; // relative to the data section
};

Expected<HeaderEntry> parseEntry(StringRef name, const json::Value &value) {
  auto fail = [&](const Twine &what) {
    return formatError("tensor '" + name + "': " + what);
  };
  const json::Object *entry = value.getAsObject();
  if (!entry)
    return fail("entry is not an object");
  HeaderEntry result;
  result.name = name.str();

  const json::Value *dtypeValue = entry->get("dtype");
  if (!dtypeValue)
    return fail("missing 'dtype'");
  std::optional<StringRef> dtypeText = dtypeValue->getAsString();
  if (!dtypeText)
    return fail("'dtype' is not a string");
  std::optional<DType> dtype = parseDType(*dtypeText);
  if (!dtype) {
    if (llvm::is_contained(kOtherSafetensorsDTypes, *dtypeText))
      return formatError("unsupported dtype '" + *dtypeText + "' for tensor '" +
                         name + "' (supported: F32, F16, BF16)");
    return formatError("unknown dtype '" + *dtypeText + "' for tensor '" +
                       name + "'");
  }
  result.dtype = *dtype;

  const json::Value *shapeValue = entry->get("shape");
  if (!shapeValue)
    return fail("missing 'shape'");
  const json::Array *shape = shapeValue->getAsArray();
  if (!shape)
    return fail("'shape' must be an array of non-negative integers");
  // The byte size must fit in int64 so that offsets and sizes never wrap.
  uint64_t bytes = dtypeSize(result.dtype);
  bool overflows = false;
  for (const json::Value &dimValue : *shape) {
    std::optional<uint64_t> dim = asCount(dimValue);
    if (!dim)
      return fail("'shape' must be an array of non-negative integers");
    result.shape.push_back(static_cast<int64_t>(*dim));
    if (!overflows && *dim != 0 &&
        bytes > uint64_t(std::numeric_limits<int64_t>::max()) / *dim)
      overflows = true;
    bytes = overflows ? 0 : bytes * *dim;
  }
  // A zero dimension makes the tensor empty however large the others are.
  if (overflows && !llvm::is_contained(result.shape, 0))
    return fail("shape " + formatShape(result.shape) + " is too large");
  if (overflows)
    bytes = 0;

  const json::Value *offsetsValue = entry->get("data_offsets");
  if (!offsetsValue)
    return fail("missing 'data_offsets'");
  const json::Array *offsets = offsetsValue->getAsArray();
  std::optional<uint64_t> begin, end;
  if (offsets && offsets->size() == 2) {
    begin = asCount((*offsets)[0]);
    end = asCount((*offsets)[1]);
  }
  if (!begin || !end || *begin > *end)
    return fail("'data_offsets' must be [begin, end] with 0 <= begin <= end");
  result.begin = *begin;
  result.end = *end;
  if (*end - *begin != bytes)
    return fail("data_offsets [" + Twine(*begin) + "," + Twine(*end) +
                "] hold " + Twine(*end - *begin) + " bytes, but shape " +
                formatShape(result.shape) + " of " + dtypeName(result.dtype) +
                " needs " + Twine(bytes));
  return result;
}

Expected<StringMap<std::string>> parseMetadata(const json::Value &value) {
  const json::Object *object = value.getAsObject();
  if (!object)
    return formatError("'__metadata__' must be an object mapping strings to "
                       "strings");
  StringMap<std::string> metadata;
  for (const auto &[key, entry] : *object) {
    std::optional<StringRef> text = entry.getAsString();
    if (!text)
      return formatError("'__metadata__' value for key '" + key.str() +
                         "' is not a string");
    metadata[key.str()] = text->str();
  }
  return metadata;
}

// Two tensors may not share bytes: a writer that aliased them is broken, and
// an importer could not tell which weights were meant. Gaps are fine.
Error checkNoOverlap(ArrayRef<HeaderEntry> entries) {
  std::vector<const HeaderEntry *> byOffset;
  for (const HeaderEntry &entry : entries)
    if (entry.begin != entry.end) // empty ranges intersect nothing
      byOffset.push_back(&entry);
  llvm::sort(byOffset, [](const HeaderEntry *a, const HeaderEntry *b) {
    return std::tie(a->begin, a->end) < std::tie(b->begin, b->end);
  });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const HeaderEntry &prev = *byOffset[i - 1], &next = *byOffset[i];
    if (next.begin < prev.end)
      return formatError("tensors '" + prev.name + "' and '" + next.name +
                         "' overlap: data_offsets [" + Twine(prev.begin) + "," +
                         Twine(prev.end) + "] and [" + Twine(next.begin) + "," +
                         Twine(next.end) + "]");
  }
  return Error::success();
}

} // namespace

// ---- Reading
// ------------------------------------------------------------------

Expected<std::unique_ptr<SafeTensorsFile>>
SafeTensorsFile::open(StringRef path) {
  // Mapped, not read; a regular file only (/dev/zero as a checkpoint would
  // otherwise be read until memory runs out, a FIFO block forever).
  Expected<std::unique_ptr<MemoryBuffer>> buffer = readRegularFile(path, kAnyFileSize);
  if (!buffer)
    return formatError(toString(buffer.takeError()));
  return fromBuffer(std::move(*buffer));
}

Expected<std::unique_ptr<SafeTensorsFile>>
SafeTensorsFile::fromBuffer(std::unique_ptr<MemoryBuffer> buffer) {
  std::string fileName = buffer->getBufferIdentifier().str();
  auto fail = [&](Error err) -> Expected<std::unique_ptr<SafeTensorsFile>> {
    return formatError(fileName + ": " + toString(std::move(err)));
  };
  ArrayRef<uint8_t> file(
      reinterpret_cast<const uint8_t *>(buffer->getBufferStart()),
      buffer->getBufferSize());

  if (file.size() < 8)
    return fail(formatError("file is " + Twine(file.size()) +
                            " bytes, too short for the 8-byte header length"));
  uint64_t headerLength = support::endian::read64le(file.data());
  uint64_t afterLength = file.size() - 8;
  if (headerLength > kMaxHeaderBytes)
    return fail(formatError("header length " + Twine(headerLength) +
                            " exceeds the limit of " + Twine(kMaxHeaderBytes) +
                            " bytes (corrupt file?)"));
  if (headerLength > afterLength)
    return fail(formatError("header length " + Twine(headerLength) +
                            " exceeds the " + Twine(afterLength) +
                            " bytes that follow it (file truncated?)"));

  StringRef headerText(reinterpret_cast<const char *>(file.data() + 8),
                       headerLength);
  Expected<ParsedJsonObject> header = parseJsonObject(headerText);
  if (!header)
    return fail(formatError("header: " + toString(header.takeError())));
  if (const JsonMember *duplicate = findDuplicateKey(header->members))
    return fail(formatError("duplicate tensor name '" + duplicate->key +
                            "' in header"));

  auto result = std::unique_ptr<SafeTensorsFile>(new SafeTensorsFile());
  std::vector<HeaderEntry> entries;
  for (const JsonMember &member : header->members) {
    const json::Value &value = *header->object.get(member.key);
    if (member.key == "__metadata__") {
      Expected<StringMap<std::string>> metadata = parseMetadata(value);
      if (!metadata)
        return fail(metadata.takeError());
      result->metadata_ = std::move(*metadata);
      continue;
    }
    Expected<HeaderEntry> entry = parseEntry(member.key, value);
    if (!entry)
      return fail(entry.takeError());
    entries.push_back(std::move(*entry));
  }

  uint64_t dataStart = 8 + headerLength;
  uint64_t dataSize = file.size() - dataStart;
  for (const HeaderEntry &entry : entries)
    if (entry.end > dataSize)
      return fail(formatError(
          "tensor '" + entry.name + "': data ends at byte " + Twine(entry.end) +
          " of the data section, which has only " + Twine(dataSize) +
          " bytes (file truncated: expected at least " +
          Twine(dataStart + entry.end) + " bytes, file has " +
          Twine(file.size()) + ")"));
  if (Error err = checkNoOverlap(entries))
    return fail(std::move(err));

  for (HeaderEntry &entry : entries) {
    TensorView view;
    view.name = std::move(entry.name);
    view.dtype = entry.dtype;
    view.shape = std::move(entry.shape);
    view.offset = dataStart + entry.begin;
    view.bytes = file.slice(view.offset, entry.end - entry.begin);
    view.file = buffer->getBufferIdentifier();
    result->index_[view.name] = result->tensors_.size();
    result->tensors_.push_back(std::move(view));
  }
  result->path_ = std::move(fileName);
  result->buffers_.push_back(std::move(buffer));
  return std::move(result);
}

std::unique_ptr<SafeTensorsFile>
SafeTensorsFile::fromShards(std::string name,
                            std::vector<std::unique_ptr<SafeTensorsFile>> shards) {
  auto result = std::unique_ptr<SafeTensorsFile>(new SafeTensorsFile());
  result->path_ = std::move(name);
  for (std::unique_ptr<SafeTensorsFile> &shard : shards) {
    if (result->buffers_.empty())
      result->metadata_ = shard->metadata_;
    // The views point into the mapped buffers, which move without moving
    // their bytes.
    for (TensorView &view : shard->tensors_) {
      result->index_[view.name] = result->tensors_.size();
      result->tensors_.push_back(std::move(view));
    }
    for (std::unique_ptr<MemoryBuffer> &buffer : shard->buffers_)
      result->buffers_.push_back(std::move(buffer));
  }
  return result;
}

const TensorView *SafeTensorsFile::find(StringRef name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

// ---- Writing
// ------------------------------------------------------------------

namespace {

// JSON string as Python's json.dumps writes it (ensure_ascii: non-ASCII
// becomes \uXXXX, UTF-16 surrogate pairs above the BMP), so headers match the
// reference byte for byte even for unusual names.
void writeJsonString(raw_ostream &os, StringRef text) {
  os << '"';
  auto writeUnit = [&](unsigned unit) {
    os << "\\u" << format_hex_no_prefix(unit, 4, /*Upper=*/false);
  };
  for (size_t i = 0; i < text.size();) {
    unsigned char c = text[i];
    if (c < 0x80) {
      ++i;
      switch (c) {
      case '"':
        os << "\\\"";
        break;
      case '\\':
        os << "\\\\";
        break;
      case '\n':
        os << "\\n";
        break;
      case '\r':
        os << "\\r";
        break;
      case '\t':
        os << "\\t";
        break;
      case '\b':
        os << "\\b";
        break;
      case '\f':
        os << "\\f";
        break;
      default:
        if (c < 0x20)
          writeUnit(c);
        else
          os << c;
      }
      continue;
    }
    // Decode one UTF-8 sequence; names come from our own code, so invalid
    // UTF-8 only needs to stay harmless (each bad byte becomes U+FFFD).
    unsigned length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    uint32_t codePoint = length == 4   ? c & 0x07
                         : length == 3 ? c & 0x0F
                         : length == 2 ? c & 0x1F
                                       : 0xFFFD;
    bool valid = length > 1 && i + length <= text.size();
    for (unsigned k = 1; valid && k < length; ++k) {
      unsigned char next = text[i + k];
      valid = (next & 0xC0) == 0x80;
      codePoint = (codePoint << 6) | (next & 0x3F);
    }
    if (!valid) {
      codePoint = 0xFFFD;
      length = 1;
    }
    i += length;
    if (codePoint >= 0x10000) {
      codePoint -= 0x10000;
      writeUnit(0xD800 + (codePoint >> 10));
      writeUnit(0xDC00 + (codePoint & 0x3FF));
    } else {
      writeUnit(codePoint);
    }
  }
  os << '"';
}

Expected<uint64_t> tensorByteSize(const TensorHeaderSpec &tensor) {
  uint64_t bytes = dtypeSize(tensor.dtype);
  for (int64_t dim : tensor.shape) {
    if (dim < 0)
      return formatError("tensor '" + tensor.name +
                         "': negative dimension in " +
                         formatShape(tensor.shape));
    if (dim != 0 &&
        bytes > uint64_t(std::numeric_limits<int64_t>::max()) / uint64_t(dim))
      return formatError("tensor '" + tensor.name + "': shape " +
                         formatShape(tensor.shape) + " is too large");
    bytes *= uint64_t(dim);
  }
  return bytes;
}

} // namespace

namespace {
/// The 8-byte length, the compact JSON header (metadata first, tensors in
/// the given order with contiguous data, padded with spaces so the data
/// section starts 8-byte aligned) and each tensor's data from `writeData`,
/// whose byte counts are checked. `what` names the destination in errors.
Error writeSafeTensorsTo(
    raw_ostream &os, StringRef what, ArrayRef<TensorHeaderSpec> tensors,
    const std::vector<std::pair<std::string, std::string>> &metadata,
    function_ref<void(size_t, raw_ostream &)> writeData) {
  std::string header;
  raw_string_ostream hs(header);
  hs << '{';
  bool first = true;
  if (!metadata.empty()) {
    hs << "\"__metadata__\":{";
    for (auto [i, entry] : llvm::enumerate(metadata)) {
      hs << (i ? "," : "");
      writeJsonString(hs, entry.first);
      hs << ':';
      writeJsonString(hs, entry.second);
    }
    hs << '}';
    first = false;
  }
  std::vector<uint64_t> sizes;
  uint64_t offset = 0;
  for (const TensorHeaderSpec &tensor : tensors) {
    Expected<uint64_t> bytes = tensorByteSize(tensor);
    if (!bytes)
      return formatError(what + ": " + toString(bytes.takeError()));
    sizes.push_back(*bytes);
    hs << (first ? "" : ",");
    first = false;
    writeJsonString(hs, tensor.name);
    hs << ":{\"dtype\":\"" << dtypeName(tensor.dtype)
       << "\",\"shape\":" << formatShape(tensor.shape) << ",\"data_offsets\":["
       << offset << "," << offset + *bytes << "]}";
    offset += *bytes;
  }
  hs << '}';
  header.append((8 - header.size() % 8) % 8, ' ');

  char length[8];
  support::endian::write64le(length, header.size());
  os.write(length, sizeof(length));
  os << header;
  for (size_t i = 0; i < tensors.size(); ++i) {
    uint64_t before = os.tell();
    writeData(i, os);
    if (os.tell() - before != sizes[i])
      return formatError(what + ": tensor '" + tensors[i].name + "': got " +
                         Twine(os.tell() - before) + " bytes of data, shape " +
                         formatShape(tensors[i].shape) + " of " +
                         dtypeName(tensors[i].dtype) + " needs " + Twine(sizes[i]));
  }
  return Error::success();
}
} // namespace

Error writeSafeTensorsStreamed(
    StringRef path, ArrayRef<TensorHeaderSpec> tensors,
    const std::vector<std::pair<std::string, std::string>> &metadata,
    function_ref<void(size_t, raw_ostream &)> writeData) {
  // Write beside the destination and rename: a reader never sees a partial
  // file, and an interrupted write leaves the old file intact.
  SmallString<256> tempPath;
  int fd;
  if (std::error_code ec =
          sys::fs::createUniqueFile(path + ".tmp-%%%%%%%%", fd, tempPath))
    return formatError(path +
                       ": cannot create a temporary file: " + ec.message());
  {
    raw_fd_ostream os(fd, /*shouldClose=*/true);
    Error written = writeSafeTensorsTo(os, path, tensors, metadata, writeData);
    os.close();
    if (!written && os.has_error())
      written = formatError(path + ": write failed: " + os.error().message());
    os.clear_error(); // reported above; the file is discarded on error
    if (written) {
      sys::fs::remove(tempPath);
      return written;
    }
  }
  if (std::error_code ec = sys::fs::rename(tempPath, path)) {
    sys::fs::remove(tempPath);
    return formatError(path +
                       ": cannot rename the temporary file into "
                       "place: " +
                       ec.message());
  }
  return Error::success();
}

Expected<std::unique_ptr<SafeTensorsFile>> buildSafeTensors(
    StringRef name, ArrayRef<TensorHeaderSpec> tensors,
    const std::vector<std::pair<std::string, std::string>> &metadata,
    function_ref<void(size_t, raw_ostream &)> writeData) {
  SmallVector<char, 0> bytes;
  raw_svector_ostream os(bytes);
  if (Error err = writeSafeTensorsTo(os, name, tensors, metadata, writeData))
    return std::move(err);
  return SafeTensorsFile::fromBuffer(MemoryBuffer::getMemBufferCopy(
      StringRef(bytes.data(), bytes.size()), name));
}

Error writeSafeTensors(
    StringRef path, ArrayRef<TensorToWrite> tensors,
    const std::vector<std::pair<std::string, std::string>> &metadata) {
  std::vector<TensorHeaderSpec> specs;
  for (const TensorToWrite &tensor : tensors)
    specs.push_back({tensor.name, tensor.dtype, tensor.shape});
  return writeSafeTensorsStreamed(
      path, specs, metadata, [&](size_t i, raw_ostream &os) {
        os.write(reinterpret_cast<const char *>(tensors[i].data.data()),
                 tensors[i].data.size());
      });
}

} // namespace yan
