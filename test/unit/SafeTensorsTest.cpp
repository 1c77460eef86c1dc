//===- SafeTensorsTest.cpp - safetensors reader and writer ----------------===//

#include "compiler/import/SafeTensors.h"
#include "TestSupport.h"

#include "llvm/Support/Endian.h"
#include "gmock/gmock.h"
#include <cstring>

using namespace yan;
using namespace yan::test;
using ::testing::HasSubstr;

namespace {

// A file: 8-byte little-endian length, `header` verbatim, then `data`.
std::string fileBytes(llvm::StringRef header, llvm::StringRef data) {
  char length[8];
  llvm::support::endian::write64le(length, header.size());
  return std::string(length, 8) + header.str() + data.str();
}

llvm::Expected<std::unique_ptr<SafeTensorsFile>>
parseBytes(llvm::StringRef bytes) {
  return SafeTensorsFile::fromBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "test.safetensors"));
}

std::string parseError(llvm::StringRef header, llvm::StringRef data = "") {
  return errorMessage(parseBytes(fileBytes(header, data)));
}

std::string floatBytes(std::initializer_list<float> values) {
  std::string bytes;
  for (float value : values) {
    char le[4];
    llvm::support::endian::write32le(le, llvm::bit_cast<uint32_t>(value));
    bytes.append(le, 4);
  }
  return bytes;
}

llvm::ArrayRef<uint8_t> asBytes(llvm::StringRef text) {
  return {reinterpret_cast<const uint8_t *>(text.data()), text.size()};
}

float floatAt(const TensorView &view, size_t index) {
  return llvm::bit_cast<float>(
      llvm::support::endian::read32le(view.bytes.data() + 4 * index));
}

// ---- Writing and reading back
// ---------------------------------------------------

TEST(SafeTensors, WriterFormatIsCompactAndPadded) {
  TempDir dir;
  std::string data = floatBytes({1.0f, 2.0f});
  std::string halfData("\x00\x3c", 2); // 1.0 in F16
  TensorToWrite tensors[] = {{"a", DType::F32, {2}, asBytes(data)},
                             {"b", DType::F16, {1, 1}, asBytes(halfData)}};
  YAN_ASSERT_OK(writeSafeTensors(dir.file("m.safetensors"), tensors,
                                 {{"format", "pt"}, {"x", "y"}}));
  std::string bytes = readFile(dir.file("m.safetensors"));
  std::string header =
      "{\"__metadata__\":{\"format\":\"pt\",\"x\":\"y\"},"
      "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      "\"b\":{\"dtype\":\"F16\",\"shape\":[1,1],\"data_offsets\":[8,10]}}";
  header.append((8 - header.size() % 8) % 8, ' ');
  EXPECT_EQ(bytes, fileBytes(header, data + halfData));
  EXPECT_EQ(header.size() % 8, 0u);
  // No temporary file left behind.
  std::error_code ec;
  int files = 0;
  for (llvm::sys::fs::directory_iterator it(dir.path(), ec), end;
       it != end && !ec; it.increment(ec))
    ++files;
  EXPECT_EQ(files, 1);
}

TEST(SafeTensors, RoundTrip) {
  TempDir dir;
  std::string f32 = floatBytes({1.5f, -2.0f, 0.25f, 8.0f, 3.0f, 4.0f});
  std::string bf16("\x80\x3f\x00\x40", 4); // 1.0, 2.0
  std::string empty;
  std::string scalar = floatBytes({42.0f});
  TensorToWrite tensors[] = {
      {"weights.z", DType::F32, {2, 3}, asBytes(f32)},
      {"caf\xc3\xa9", DType::BF16, {2}, asBytes(bf16)}, // "café": non-ASCII
      {"empty", DType::F16, {0, 5}, asBytes(empty)},
      {"scalar", DType::F32, {}, asBytes(scalar)},
  };
  YAN_ASSERT_OK(
      writeSafeTensors(dir.file("m.safetensors"), tensors, {{"format", "pt"}}));
  YAN_ASSERT_EXPECTED(file, SafeTensorsFile::open(dir.file("m.safetensors")));
  ASSERT_EQ((*file)->tensors().size(), 4u);
  // Header order is kept (it is not sorted).
  EXPECT_EQ((*file)->tensors()[0].name, "weights.z");
  EXPECT_EQ((*file)->tensors()[1].name, "caf\xc3\xa9");
  EXPECT_EQ((*file)->tensors()[2].name, "empty");
  EXPECT_EQ((*file)->tensors()[3].name, "scalar");

  const TensorView *z = (*file)->find("weights.z");
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->dtype, DType::F32);
  EXPECT_EQ(z->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(z->numElements(), 6);
  EXPECT_EQ(llvm::StringRef(reinterpret_cast<const char *>(z->bytes.data()),
                            z->bytes.size()),
            f32);
  EXPECT_EQ(floatAt(*z, 1), -2.0f);
  // offset counts from the start of the file.
  std::string raw = readFile(dir.file("m.safetensors"));
  uint64_t headerLength = llvm::support::endian::read64le(raw.data());
  EXPECT_EQ(z->offset, 8 + headerLength);

  const TensorView *cafe = (*file)->find("caf\xc3\xa9");
  ASSERT_NE(cafe, nullptr);
  EXPECT_EQ(cafe->dtype, DType::BF16);
  EXPECT_EQ(cafe->offset, z->offset + 24);
  EXPECT_EQ(cafe->bytes.size(), 4u);
  // Python's json.dumps escapes non-ASCII; so does our writer.
  EXPECT_THAT(raw, HasSubstr("\"caf\\u00e9\""));

  const TensorView *emptyView = (*file)->find("empty");
  ASSERT_NE(emptyView, nullptr);
  EXPECT_EQ(emptyView->numElements(), 0);
  EXPECT_TRUE(emptyView->bytes.empty());

  const TensorView *scalarView = (*file)->find("scalar");
  ASSERT_NE(scalarView, nullptr);
  EXPECT_EQ(scalarView->numElements(), 1);
  EXPECT_EQ(floatAt(*scalarView, 0), 42.0f);

  EXPECT_EQ((*file)->find("absent"), nullptr);
  EXPECT_EQ((*file)->metadata().lookup("format"), "pt");
  EXPECT_EQ((*file)->path(), dir.file("m.safetensors"));
}

TEST(SafeTensors, WriterRejectsWrongDataSize) {
  TempDir dir;
  std::string data = floatBytes({1.0f});
  TensorToWrite tensors[] = {{"a", DType::F32, {2}, asBytes(data)}};
  EXPECT_THAT(
      errorMessage(writeSafeTensors(dir.file("m.safetensors"), tensors, {})),
      HasSubstr("tensor 'a': got 4 bytes of data, shape [2] of F32 needs 8"));
  EXPECT_FALSE(llvm::sys::fs::exists(dir.file("m.safetensors")));
}

TEST(SafeTensors, WriterReplacesExistingFile) {
  TempDir dir;
  writeFile(dir.file("m.safetensors"), "old");
  TensorToWrite none[1] = {{"a", DType::F32, {0}, {}}};
  YAN_ASSERT_OK(writeSafeTensors(dir.file("m.safetensors"), none, {}));
  YAN_ASSERT_EXPECTED(file, SafeTensorsFile::open(dir.file("m.safetensors")));
  EXPECT_EQ((*file)->tensors().size(), 1u);
  EXPECT_TRUE((*file)->metadata().empty());
}

TEST(SafeTensors, WriterReportsUnwritableDirectory) {
  TempDir dir;
  EXPECT_THAT(errorMessage(writeSafeTensors(dir.file("no/such/dir/m"), {}, {})),
              HasSubstr("cannot create a temporary file"));
}

TEST(SafeTensors, AnyCorrectWriter) {
  // What other writers produce: whitespace and newlines in the header,
  // metadata last, tensors listed in a different order from their data,
  // alignment gaps between tensors and trailing padding.
  std::string data(64, '\xAA');
  std::string b = floatBytes({5.0f, 6.0f});
  std::string a = floatBytes({1.0f, 2.0f, 3.0f});
  std::memcpy(&data[0], b.data(), 8);   // b at [0, 8)
  std::memcpy(&data[16], a.data(), 12); // a at [16, 28) after a gap
  std::string header = "{\n  \"a\": {\"dtype\": \"F32\", \"shape\": [3],\n"
                       "         \"data_offsets\": [16, 28]},\n"
                       "  \"b\" : { \"data_offsets\":[0,8], \"shape\":[2, 1],"
                       " \"dtype\":\"F32\" },\n"
                       "  \"__metadata__\": {\"format\": \"pt\"}\n}\n";
  header.append(37, ' ');
  YAN_ASSERT_EXPECTED(file, parseBytes(fileBytes(header, data)));
  ASSERT_EQ((*file)->tensors().size(), 2u);
  EXPECT_EQ((*file)->tensors()[0].name, "a");
  EXPECT_EQ((*file)->tensors()[1].name, "b");
  const TensorView &viewA = (*file)->tensors()[0];
  EXPECT_EQ(viewA.offset, 8 + header.size() + 16);
  EXPECT_EQ(floatAt(viewA, 0), 1.0f);
  EXPECT_EQ(floatAt(viewA, 2), 3.0f);
  const TensorView &viewB = (*file)->tensors()[1];
  EXPECT_EQ(viewB.shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(floatAt(viewB, 1), 6.0f);
  EXPECT_EQ((*file)->metadata().lookup("format"), "pt");
}

TEST(SafeTensors, EmptyHeaderHasNoTensors) {
  YAN_ASSERT_EXPECTED(file, parseBytes(fileBytes("{}", "")));
  EXPECT_TRUE((*file)->tensors().empty());
  YAN_ASSERT_EXPECTED(padded, parseBytes(fileBytes("{}      ", "trailing")));
  EXPECT_TRUE((*padded)->tensors().empty());
}

TEST(SafeTensors, ValidHalfAndBFloat16Files) {
  std::string data("\x00\x3c\x00\xc0"  // F16 1.0, -2.0
                   "\x80\x3f\x49\x40", // BF16 1.0, 3.140625
                   8);
  std::string header =
      "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
      "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}";
  YAN_ASSERT_EXPECTED(file, parseBytes(fileBytes(header, data)));
  const TensorView *h = (*file)->find("h");
  const TensorView *b = (*file)->find("b");
  ASSERT_TRUE(h && b);
  EXPECT_EQ(h->dtype, DType::F16);
  EXPECT_EQ(b->dtype, DType::BF16);
  EXPECT_EQ(h->bytes[1], 0x3c);
  EXPECT_EQ(b->bytes[3], 0x40);
  EXPECT_EQ(dtypeName(DType::BF16), "BF16");
  EXPECT_EQ(dtypeSize(DType::F16), 2u);
  EXPECT_EQ(dtypeSize(DType::F32), 4u);
}

TEST(SafeTensors, OpenMissingFile) {
  TempDir dir;
  EXPECT_THAT(errorMessage(SafeTensorsFile::open(dir.file("gone"))),
              HasSubstr("gone: cannot read: "));
}

// ---- Malformed files: one error each, naming the tensor or field
// -------------------

TEST(SafeTensorsErrors, ShorterThanLengthField) {
  EXPECT_EQ(errorMessage(parseBytes(std::string("\x02\x00\x00", 3))),
            "test.safetensors: file is 3 bytes, too short for the 8-byte "
            "header length");
  EXPECT_THAT(errorMessage(parseBytes("")), HasSubstr("file is 0 bytes"));
}

TEST(SafeTensorsErrors, AbsurdHeaderLength) {
  char length[8];
  llvm::support::endian::write64le(length, uint64_t(1) << 40);
  EXPECT_THAT(errorMessage(parseBytes(std::string(length, 8) + "{}")),
              HasSubstr("header length 1099511627776 exceeds the limit of "
                        "104857600 bytes"));
  llvm::support::endian::write64le(length, ~uint64_t(0));
  EXPECT_THAT(errorMessage(parseBytes(std::string(length, 8) + "{}")),
              HasSubstr("exceeds the limit"));
  // Plausible, but longer than the file.
  llvm::support::endian::write64le(length, 100);
  EXPECT_THAT(errorMessage(parseBytes(std::string(length, 8) + "{}")),
              HasSubstr("header length 100 exceeds the 2 bytes that follow "
                        "it (file truncated?)"));
}

TEST(SafeTensorsErrors, HeaderNotJson) {
  std::string message = parseError("{\"a\" 1}");
  EXPECT_THAT(message, HasSubstr("test.safetensors: header: invalid JSON: "
                                 "[1:6, byte=6]: Expected : after object key"));
  std::string badUtf8 = parseError("{\"a\":\xff}");
  EXPECT_THAT(badUtf8, HasSubstr("header: invalid JSON: "));
  EXPECT_THAT(badUtf8, HasSubstr("Invalid UTF-8"));
  EXPECT_THAT(parseError(std::string(8, ' ')), HasSubstr("invalid JSON"));
}

TEST(SafeTensorsErrors, HeaderNotObject) {
  EXPECT_THAT(parseError("[1,2]"),
              HasSubstr("header: the JSON value is not an object"));
}

TEST(SafeTensorsErrors, HeaderNestingTooDeep) {
  // Would overflow the stack of a recursive parser; must be an error instead.
  std::string deep = "{\"__metadata__\":" + std::string(1000000, '[') +
                     std::string(1000000, ']') + "}";
  EXPECT_THAT(parseError(deep), HasSubstr("header: JSON nests deeper than"));
}

TEST(SafeTensorsErrors, DuplicateTensorNames) {
  EXPECT_THAT(
      parseError("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":"
                 "[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
                 "\"data_offsets\":[4,8]}}",
                 std::string(8, '\0')),
      HasSubstr("duplicate tensor name 'a' in header"));
  // Escapes decode to the same name.
  EXPECT_THAT(parseError("{\"a\":{},\"\\u0061\":{}}"),
              HasSubstr("duplicate tensor name 'a'"));
}

TEST(SafeTensorsErrors, EntryNotObject) {
  EXPECT_EQ(parseError("{\"w\":[1,2]}"),
            "test.safetensors: tensor 'w': entry is not an object");
}

TEST(SafeTensorsErrors, DType) {
  EXPECT_THAT(parseError("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}"),
              HasSubstr("tensor 'w': missing 'dtype'"));
  EXPECT_THAT(parseError("{\"w\":{\"dtype\":4,\"shape\":[1],"
                         "\"data_offsets\":[0,4]}}"),
              HasSubstr("tensor 'w': 'dtype' is not a string"));
  EXPECT_THAT(parseError("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],"
                         "\"data_offsets\":[0,8]}}"),
              HasSubstr("unsupported dtype 'F64' for tensor 'w' (supported: "
                        "F32, F16, BF16)"));
  EXPECT_THAT(parseError("{\"w\":{\"dtype\":\"I64\",\"shape\":[1],"
                         "\"data_offsets\":[0,8]}}"),
              HasSubstr("unsupported dtype 'I64' for tensor 'w'"));
  EXPECT_THAT(parseError("{\"w\":{\"dtype\":\"f32\",\"shape\":[1],"
                         "\"data_offsets\":[0,4]}}"),
              HasSubstr("unknown dtype 'f32' for tensor 'w'"));
}

TEST(SafeTensorsErrors, Shape) {
  auto withShape = [](const std::string &shape) {
    return parseError("{\"w\":{\"dtype\":\"F32\",\"shape\":" + shape +
                      ",\"data_offsets\":[0,4]}}");
  };
  const char *expected = "tensor 'w': 'shape' must be an array of "
                         "non-negative integers";
  EXPECT_THAT(withShape("4"), HasSubstr(expected));
  EXPECT_THAT(withShape("[-1]"), HasSubstr(expected));
  EXPECT_THAT(withShape("[1.5]"), HasSubstr(expected));
  EXPECT_THAT(withShape("[\"1\"]"), HasSubstr(expected));
  EXPECT_THAT(withShape("[null]"), HasSubstr(expected));
  EXPECT_THAT(withShape("[18446744073709551615]"), HasSubstr(expected));
  EXPECT_THAT(parseError("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}"),
              HasSubstr("tensor 'w': missing 'shape'"));
  EXPECT_THAT(withShape("[4294967296,4294967296]"),
              HasSubstr("tensor 'w': shape [4294967296,4294967296] is too "
                        "large"));
}

TEST(SafeTensorsErrors, DataOffsets) {
  auto withOffsets = [](const std::string &offsets) {
    return parseError("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
                      "\"data_offsets\":" +
                          offsets + "}}",
                      std::string(16, '\0'));
  };
  const char *expected =
      "tensor 'w': 'data_offsets' must be [begin, end] with 0 <= begin <= end";
  EXPECT_THAT(withOffsets("4"), HasSubstr(expected));
  EXPECT_THAT(withOffsets("[0]"), HasSubstr(expected));
  EXPECT_THAT(withOffsets("[0,4,8]"), HasSubstr(expected));
  EXPECT_THAT(withOffsets("[8,4]"), HasSubstr(expected));
  EXPECT_THAT(withOffsets("[-4,0]"), HasSubstr(expected));
  EXPECT_THAT(withOffsets("[\"0\",4]"), HasSubstr(expected));
  EXPECT_THAT(parseError("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}"),
              HasSubstr("tensor 'w': missing 'data_offsets'"));
}

TEST(SafeTensorsErrors, SizeDoesNotMatchShape) {
  EXPECT_THAT(
      parseError("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],"
                 "\"data_offsets\":[0,12]}}",
                 std::string(16, '\0')),
      HasSubstr("tensor 'w': data_offsets [0,12] hold 12 bytes, but shape "
                "[2,2] of F32 needs 16"));
  EXPECT_THAT(parseError("{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],"
                         "\"data_offsets\":[0,12]}}",
                         std::string(16, '\0')),
              HasSubstr("shape [3] of BF16 needs 6"));
}

TEST(SafeTensorsErrors, TruncatedData) {
  std::string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],"
                       "\"data_offsets\":[0,16]}}";
  std::string message = parseError(header, std::string(10, '\0'));
  EXPECT_THAT(message,
              HasSubstr("tensor 'w': data ends at byte 16 of the data "
                        "section, which has only 10 bytes (file truncated: "
                        "expected at least " +
                        std::to_string(8 + header.size() + 16) +
                        " bytes, file has " +
                        std::to_string(8 + header.size() + 10) + ")"));
}

TEST(SafeTensorsErrors, TruncatedRealFile) {
  TempDir dir;
  std::string data = floatBytes({1, 2, 3, 4});
  TensorToWrite tensors[] = {{"w", DType::F32, {4}, asBytes(data)}};
  YAN_ASSERT_OK(writeSafeTensors(dir.file("m.safetensors"), tensors, {}));
  std::string bytes = readFile(dir.file("m.safetensors"));
  writeFile(dir.file("m.safetensors"), llvm::StringRef(bytes).drop_back(1));
  EXPECT_THAT(errorMessage(SafeTensorsFile::open(dir.file("m.safetensors"))),
              HasSubstr("file truncated"));
}

TEST(SafeTensorsErrors, OverlappingTensors) {
  std::string header =
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
      "\"z\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
  EXPECT_THAT(parseError(header, std::string(24, '\0')),
              HasSubstr("tensors 'a' and 'b' overlap: data_offsets [0,16] "
                        "and [8,16]"));
  // Touching ranges and empty tensors inside others are not overlaps.
  std::string fine =
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
      "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}";
  EXPECT_TRUE(bool(parseBytes(fileBytes(fine, std::string(16, '\0')))));
}

TEST(SafeTensorsErrors, Metadata) {
  EXPECT_THAT(parseError("{\"__metadata__\":[\"pt\"]}"),
              HasSubstr("'__metadata__' must be an object mapping strings to "
                        "strings"));
  EXPECT_THAT(parseError("{\"__metadata__\":{\"format\":\"pt\",\"n\":3}}"),
              HasSubstr("'__metadata__' value for key 'n' is not a string"));
}

TEST(SafeTensorsErrors, NeverCrashesOnTruncations) {
  // Every prefix of a valid file is either valid or one clean error.
  TempDir dir;
  std::string data = floatBytes({1, 2, 3, 4});
  TensorToWrite tensors[] = {{"w", DType::F32, {2, 2}, asBytes(data)}};
  YAN_ASSERT_OK(
      writeSafeTensors(dir.file("m.safetensors"), tensors, {{"format", "pt"}}));
  std::string bytes = readFile(dir.file("m.safetensors"));
  for (size_t size = 0; size < bytes.size(); ++size) {
    auto file = parseBytes(llvm::StringRef(bytes).take_front(size));
    ASSERT_FALSE(bool(file)) << size;
    llvm::consumeError(file.takeError());
  }
  // Every header length too.
  for (uint64_t length = 0; length < 200; ++length) {
    std::string copy = bytes;
    llvm::support::endian::write64le(&copy[0], length);
    auto file = parseBytes(copy);
    if (!file)
      llvm::consumeError(file.takeError());
  }
}

} // namespace
