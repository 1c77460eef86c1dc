//===- BundleRejectTest.cpp - Every defect gets its own status ------------===//
//
// Damaged or foreign bundles are refused at open with a distinct status code
// and a message that says what is wrong; nothing crashes (the fuzz-style
// tests flip every byte of the header and table of contents).
//
//===----------------------------------------------------------------------===//
#include "Fixture.h"
#include "yan/crypto/toc_hash.h"

#include "yan/bundle_format.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cstring>
#include <fstream>

using namespace yan;
using namespace yan::test;
using ::testing::HasSubstr;

namespace {

Status openBytes(const std::vector<uint8_t> &bytes, uint32_t flags = 0) {
  AlignedBytes aligned(bytes);
  BundlePtr bundle;
  return openMemory(aligned, bundle, flags);
}

std::vector<uint8_t> validBytes() { return bundleBytes(fixtureBundle(hostFixtureImage()).contents); }

yan_bundle_header headerOf(const std::vector<uint8_t> &bytes) {
  yan_bundle_header header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  return header;
}

// File offset of segment `index` of the valid fixture bundle.
uint64_t segmentOffset(const std::vector<uint8_t> &bytes, size_t index) {
  AlignedBytes aligned(bytes);
  BundlePtr bundle;
  Status status = openMemory(aligned, bundle);
  EXPECT_TRUE(status.ok()) << status.text();
  yan_segment_info_t info{};
  if (bundle)
    yan_status_free(yan_bundle_segment_info(bundle.get(), index, &info));
  return info.file_offset;
}

#define EXPECT_STATUS(status, expectedCode, fragment)                           \
  do {                                                                          \
    Status s_ = (status);                                                       \
    EXPECT_EQ(s_.code(), expectedCode) << s_.text();                            \
    EXPECT_THAT(s_.message(), HasSubstr(fragment));                             \
  } while (0)

TEST(BundleReject, ValidFixtureOpens) {
  Status status = openBytes(validBytes());
  EXPECT_TRUE(status.ok()) << status.text();
}

TEST(BundleReject, Truncated) {
  std::vector<uint8_t> bytes = validBytes();
  yan_bundle_header header = headerOf(bytes);
  uint64_t code = segmentOffset(bytes, 0), weights = segmentOffset(bytes, 1);
  for (uint64_t size : {uint64_t(0), uint64_t(1), uint64_t(63)}) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + size);
    EXPECT_STATUS(openBytes(cut), YAN_STATUS_TRUNCATED, "shorter than its 64-byte header");
  }
  for (uint64_t size : {uint64_t(64), uint64_t(65), 64 + header.flatbuffer_size / 2,
                        header.segment_base_offset, code + 100, weights + 1,
                        uint64_t(bytes.size() - 1)}) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + size);
    EXPECT_STATUS(openBytes(cut), YAN_STATUS_TRUNCATED, "truncated");
  }
}

TEST(BundleReject, TruncatedAndEmptyFiles) {
  std::vector<uint8_t> bytes = validBytes();
  std::string path = temporaryPath(".yanb");
  for (size_t size : {size_t(0), size_t(1000), bytes.size() / 2}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(size));
    BundlePtr bundle;
    Status status = openFile(path, bundle);
    EXPECT_EQ(status.code(), YAN_STATUS_TRUNCATED) << status.text();
    EXPECT_THAT(status.message(), HasSubstr(size == 0 ? "empty" : "truncated"));
  }
  llvm::sys::fs::remove(path);
  BundlePtr bundle;
  EXPECT_STATUS(openFile(path, bundle), YAN_STATUS_IO_ERROR, "cannot open");
}

TEST(BundleReject, TrailingBytes) {
  std::vector<uint8_t> bytes = validBytes();
  bytes.push_back(0);
  EXPECT_STATUS(openBytes(bytes), YAN_STATUS_BAD_HEADER, "trailing");
}

TEST(BundleReject, FlippedByteInCodeSegment) {
  std::vector<uint8_t> bytes = validBytes();
  bytes[segmentOffset(bytes, 0) + 200] ^= 0x01;
  EXPECT_STATUS(openBytes(bytes), YAN_STATUS_HASH_MISMATCH, "segment 0 (code");
  // The code is checked even when data hashes are skipped.
  EXPECT_STATUS(openBytes(bytes, YAN_BUNDLE_OPEN_SKIP_DATA_HASHES), YAN_STATUS_HASH_MISMATCH,
                "segment 0 (code");
}

TEST(BundleReject, FlippedByteInWeightSegment) {
  std::vector<uint8_t> bytes = validBytes();
  bytes[segmentOffset(bytes, 1) + 5] ^= 0x80;
  EXPECT_STATUS(openBytes(bytes), YAN_STATUS_HASH_MISMATCH, "segment 1 (weights");
  // Skipping data hashes is the documented way to open without reading every page.
  AlignedBytes aligned(bytes);
  BundlePtr bundle;
  Status status = openMemory(aligned, bundle, YAN_BUNDLE_OPEN_SKIP_DATA_HASHES);
  ASSERT_TRUE(status.ok()) << status.text();
  yan_segment_info_t info;
  ASSERT_TRUE(Status(yan_bundle_segment_info(bundle.get(), 1, &info)).ok());
  EXPECT_FALSE(info.hash_verified);
}

TEST(BundleReject, BadMagicAndHeaderVersion) {
  std::vector<uint8_t> bytes = validBytes();
  std::vector<uint8_t> magic = bytes;
  magic[0] = 'X';
  EXPECT_STATUS(openBytes(magic), YAN_STATUS_BAD_MAGIC, "not a yan bundle");
  std::vector<uint8_t> version = bytes;
  version[8] = 9;
  EXPECT_STATUS(openBytes(version), YAN_STATUS_UNSUPPORTED_HEADER_VERSION, "version 9");
}

TEST(BundleReject, WrongFileIdentifier) {
  std::vector<uint8_t> bytes = validBytes();
  std::memcpy(bytes.data() + headerOf(bytes).flatbuffer_offset + 4, "NOPE", 4);
  EXPECT_STATUS(openBytes(bytes), YAN_STATUS_HASH_MISMATCH, "table of contents");
  rt::sealToc(bytes.data()); // the identifier check does not rely on the hash
  EXPECT_STATUS(openBytes(bytes), YAN_STATUS_BAD_IDENTIFIER, "\"NOPE\"");
}

// Development mode: one flipped bit anywhere before the segments (TOC hash
// included) is HASH_MISMATCH, before the FlatBuffer is interpreted.
TEST(BundleReject, TocHashCoversHeaderFlatBufferAndPadding) {
  std::vector<uint8_t> bytes = validBytes();
  yan_bundle_header h = headerOf(bytes);
  ASSERT_EQ(h.header_version, YAN_BUNDLE_HEADER_VERSION);
  ASSERT_EQ(h.flags, YAN_BUNDLE_FLAG_TOC_HASH);
  // Header fields no structural check constrains, the FlatBuffer, padding
  // and the hash itself.
  for (uint64_t offset : {uint64_t(40), h.flatbuffer_offset + 12,
                          h.flatbuffer_offset + h.flatbuffer_size - 1,
                          h.flatbuffer_offset + h.flatbuffer_size + 1,
                          h.segment_base_offset - 32, h.segment_base_offset - 1}) {
    std::vector<uint8_t> flipped = bytes;
    flipped[offset] ^= 0x80;
    Status status = openBytes(flipped);
    EXPECT_FALSE(status.ok()) << "offset " << offset;
    if (offset >= h.flatbuffer_offset)
      EXPECT_EQ(status.code(), YAN_STATUS_HASH_MISMATCH) << offset << ": " << status.text();
  }
}

TEST(BundleReject, UnknownSchemaVersion) {
  FixtureBundle fixture = fixtureBundle(hostFixtureImage());
  fixture.contents.schemaVersion = YAN_BUNDLE_SCHEMA_VERSION + 1;
  EXPECT_STATUS(openBytes(bundleBytes(fixture.contents)),
                YAN_STATUS_UNSUPPORTED_SCHEMA_VERSION, "schema version 2");
}

TEST(BundleReject, UnknownAbiVersion) {
  FixtureBundle fixture = fixtureBundle(hostFixtureImage());
  fixture.contents.codeImages[0].abiVersion = 99;
  EXPECT_STATUS(openBytes(bundleBytes(fixture.contents)),
                YAN_STATUS_UNSUPPORTED_ABI_VERSION, "ABI version 99");
}

Arch otherArch() {
  return yan_host_arch() == YAN_ARCH_AARCH64 ? Arch::x86_64 : Arch::aarch64;
}

TEST(BundleReject, OnlyAnotherArchitecture) {
  std::vector<uint8_t> foreign = fixtureFile(
      otherArch() == Arch::aarch64 ? "fixture_aarch64.so" : "fixture_x86_64.so");
  FixtureBundle fixture = fixtureBundle(foreign);
  fixture.contents.codeImages[0].arch = otherArch();
  fixture.contents.codeImages[0].triple = "other";
  Status status = openBytes(bundleBytes(fixture.contents));
  EXPECT_EQ(status.code(), YAN_STATUS_NO_IMAGE_FOR_HOST) << status.text();
  EXPECT_THAT(status.message(), HasSubstr(yan_arch_name(yan_host_arch())));
  EXPECT_THAT(status.message(),
              HasSubstr(yan_arch_name(static_cast<yan_arch_t>(otherArch()))));
}

TEST(BundleReject, SelectsTheHostImageAmongSeveral) {
  std::vector<uint8_t> aarch64 = fixtureFile("fixture_aarch64.so");
  std::vector<uint8_t> riscv64 = fixtureFile("fixture_riscv64.so");
  std::vector<uint8_t> x86 = fixtureFile("fixture_x86_64.so");
  FixtureBundle fixture = fixtureBundle(aarch64);
  BundleCodeImage base = fixture.contents.codeImages[0];
  fixture.contents.codeImages.clear();
  struct {
    Arch arch;
    const std::vector<uint8_t> *bytes;
  } images[] = {{Arch::riscv64, &riscv64},
                {Arch::aarch64, &aarch64},
                {Arch::x86_64, &x86}};
  size_t hostIndex = 0;
  for (size_t i = 0; i < 3; ++i) {
    BundleCodeImage image = base;
    image.arch = images[i].arch;
    image.bytes = *images[i].bytes;
    if (static_cast<yan_arch_t>(image.arch) == yan_host_arch())
      hostIndex = i;
    fixture.contents.codeImages.push_back(image);
  }
  AlignedBytes aligned(bundleBytes(fixture.contents));
  BundlePtr bundle;
  Status status = openMemory(aligned, bundle);
  ASSERT_TRUE(status.ok()) << status.text();
  EXPECT_EQ(yan_bundle_selected_image(bundle.get()), hostIndex);
  EXPECT_EQ(yan_bundle_segment_count(bundle.get()), 5u);
}

TEST(BundleReject, ElfForAnotherMachine) {
  std::vector<uint8_t> foreign = fixtureFile(
      otherArch() == Arch::aarch64 ? "fixture_aarch64.so" : "fixture_x86_64.so");
  FixtureBundle fixture = fixtureBundle(foreign); // labelled as the host's
  EXPECT_STATUS(openBytes(bundleBytes(fixture.contents)), YAN_STATUS_BAD_ELF, "ELF machine");
}

TEST(BundleReject, ImageWithImports) {
  std::vector<uint8_t> imports = fixtureFile("fixture_imports.so");
  FixtureBundle fixture = fixtureBundle(imports);
  EXPECT_STATUS(openBytes(bundleBytes(fixture.contents)), YAN_STATUS_ELF_HAS_IMPORTS,
                "fixture_undefined_helper");
}

TEST(BundleReject, CodeThatIsNotElf) {
  std::vector<uint8_t> garbage(4096, 'x');
  FixtureBundle fixture = fixtureBundle(garbage);
  EXPECT_STATUS(openBytes(bundleBytes(fixture.contents)), YAN_STATUS_BAD_ELF, "no ELF magic");
  std::vector<uint8_t> tiny(10, 0);
  fixture = fixtureBundle(tiny);
  EXPECT_STATUS(openBytes(bundleBytes(fixture.contents)), YAN_STATUS_BAD_ELF,
                "smaller than an ELF64 header");
}

TEST(BundleReject, MisalignedMemoryAndNullArguments) {
  std::vector<uint8_t> bytes = validBytes();
  std::vector<uint8_t> shifted(bytes.size() + 64);
  AlignedBytes aligned(shifted);
  std::memcpy(const_cast<uint8_t *>(aligned.data()) + 1, bytes.data(), bytes.size());
  yan_bundle_t *bundle = nullptr;
  EXPECT_STATUS(yan_bundle_open_memory(aligned.data() + 1, bytes.size(), nullptr,
                                       yan_allocator_system(), &bundle),
                YAN_STATUS_INVALID_ARGUMENT, "aligned");
  EXPECT_STATUS(yan_bundle_open_memory(aligned.data(), bytes.size(), nullptr,
                                       yan_allocator_system(), nullptr),
                YAN_STATUS_INVALID_ARGUMENT, "NULL");
  EXPECT_EQ(bundle, nullptr);
}

// Every single-byte corruption of the header and FlatBuffer is either
// harmless or refused; none crashes. (Segments are covered by their hashes.)
TEST(BundleReject, EveryHeaderAndTocByteFlipped) {
  std::vector<uint8_t> bytes = validBytes();
  yan_bundle_header header = headerOf(bytes);
  uint64_t end = header.flatbuffer_offset + header.flatbuffer_size;
  AlignedBytes aligned(bytes);
  auto *data = const_cast<uint8_t *>(aligned.data());
  size_t refused = 0;
  for (uint64_t i = 0; i < end; ++i) {
    for (uint8_t mask : {uint8_t(0x01), uint8_t(0x80), uint8_t(0xff)}) {
      data[i] ^= mask;
      BundlePtr bundle;
      Status status = openMemory(aligned, bundle);
      if (!status.ok()) {
        ++refused;
        ASSERT_FALSE(status.message().empty());
      }
      data[i] ^= mask;
    }
  }
  EXPECT_GT(refused, end); // most corruptions are caught
}

// Several bytes of the table of contents damaged at once (deterministic
// pseudo-random positions): refused or harmless, and whatever opens runs.
TEST(BundleReject, RandomMultiByteDamage) {
  std::vector<uint8_t> bytes = validBytes();
  yan_bundle_header header = headerOf(bytes);
  AlignedBytes aligned(bytes);
  auto *data = const_cast<uint8_t *>(aligned.data());
  uint64_t state = 12345;
  auto next = [&state] { return (state = state * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
  for (int round = 0; round < 3000; ++round) {
    std::memcpy(data, bytes.data(), bytes.size());
    for (int k = 0; k < 4; ++k)
      data[64 + next() % header.flatbuffer_size] = static_cast<uint8_t>(next());
    BundlePtr bundle;
    if (!openMemory(aligned, bundle).ok())
      continue;
    yan_session_t *raw = nullptr;
    Status created = yan_session_create(bundle.get(), nullptr, &raw);
    SessionPtr session(raw);
    if (!created.ok())
      continue;
    yan_model_config_t config;
    yan_bundle_config(bundle.get(), &config);
    // The fake image writes 16 floats per row whatever the (damaged) config
    // says: size the buffer for both.
    if (config.vocab_size > (int64_t(1) << 20))
      continue;
    std::vector<float> logits(2 * static_cast<size_t>(std::max(config.vocab_size, kFixtureVocab)));
    int32_t tokens[2] = {1, 2};
    Status ran = yan_session_prefill(session.get(), tokens, 2, logits.data());
    (void)ran;
  }
}

TEST(BundleReject, EveryTruncationPointOfTheToc) {
  std::vector<uint8_t> bytes = validBytes();
  yan_bundle_header header = headerOf(bytes);
  for (uint64_t size = 0; size < header.flatbuffer_offset + header.flatbuffer_size + 16; ++size) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + size);
    ASSERT_EQ(openBytes(cut).code(), YAN_STATUS_TRUNCATED) << "size " << size;
  }
}

} // namespace
