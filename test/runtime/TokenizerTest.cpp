//===- TokenizerTest.cpp - The bundle's tokenizer through the C API -------===//
//
// A hand-made SentencePiece model (unk, <s>, </s>, 256 byte pieces, a few
// normal pieces with chosen scores, a user-defined and an unused piece) in a
// fixture bundle opened without code. Parity with SentencePiece itself on a
// real model is test/e2e/test_tokenizer.py's job; here: the contract
// (sizes, errors, accessors), hand-checked Viterbi and decode cases, 10,000
// random byte strings, and damaged tables refused at open.
//
//===----------------------------------------------------------------------===//
#include "Fixture.h"
#include "yan/crypto/toc_hash.h"
#include "yan/text/utf8.h"
#include "yan/tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace yan;
using namespace yan::test;
using ::testing::HasSubstr;

namespace {

const std::string kSpace = "\xE2\x96\x81"; // U+2581

SentencePieceModel testModel() {
  SentencePieceModel m;
  auto add = [&](std::string piece, float score, PieceType type) {
    m.pieces.push_back({std::move(piece), score, type});
  };
  add("<unk>", 0, PieceType::Unknown);
  add("<s>", 0, PieceType::Control);
  add("</s>", 0, PieceType::Control);
  for (int b = 0; b < 256; ++b) {
    char piece[8];
    std::snprintf(piece, sizeof(piece), "<0x%02X>", b);
    add(piece, 0, PieceType::Byte);
  }
  add(kSpace, -2, PieceType::Normal);            // 259
  add("a", -3, PieceType::Normal);               // 260
  add("b", -3.5f, PieceType::Normal);            // 261
  add("c", -4, PieceType::Normal);               // 262
  add(kSpace + "a", -2.5f, PieceType::Normal);   // 263
  add("ab", -3, PieceType::Normal);              // 264
  add("abc", -4, PieceType::Normal);             // 265
  add(kSpace + "the", -1, PieceType::Normal);    // 266
  add("\xE6\xBC\xA2", -6, PieceType::Normal);    // 267 (U+6F22)
  add("<sep>", 0, PieceType::UserDefined);       // 268
  add("zz", -0.5f, PieceType::Unused);           // 269
  add("qqqq", 12345.5f, PieceType::Normal);      // 270
  add("wwww", -7, PieceType::Normal);            // 271
  m.unkId = 0;
  m.bosId = 1;
  m.eosId = 2;
  m.addDummyPrefix = true;
  m.byteFallback = true;
  return m;
}

constexpr int32_t kSpaceId = 259, kAbcId = 265, kTheId = 266, kSepId = 268;
constexpr int32_t kSpaceAId = 263, kHanId = 267;
int32_t byteId(uint8_t b) { return 3 + b; }

ModelConfig tokenizerConfig(int64_t vocab) {
  ModelConfig config = fixtureConfig();
  config.vocabSize = vocab;
  return config;
}

/// Bundle bytes with `model` (nullopt: none) for a config of its vocabulary.
std::vector<uint8_t> tokenizerBundle(const std::optional<SentencePieceModel> &model) {
  int64_t vocab = model ? static_cast<int64_t>(model->pieces.size()) : 300;
  static const Checkpoint checkpoint = randomCheckpoint(tokenizerConfig(272), 3);
  static const Checkpoint plain = randomCheckpoint(tokenizerConfig(300), 3);
  const Checkpoint &weights = vocab == 272 ? checkpoint : plain;
  FixtureBundle fixture =
      fixtureBundleFor(weights, tokenizerConfig(vocab), hostFixtureImage());
  fixture.contents.tokenizer = model;
  return bundleBytes(fixture.contents);
}

/// A bundle opened without code from its own aligned copy of the bytes
/// (open_memory borrows them: the bundle is released first).
struct OpenBundle {
  std::unique_ptr<AlignedBytes> bytes;
  BundlePtr bundle;
};

Status openBytes(const std::vector<uint8_t> &bytes, OpenBundle *out) {
  out->bundle.reset();
  out->bytes = std::make_unique<AlignedBytes>(bytes);
  yan_bundle_open_options_t options = {};
  options.flags = YAN_BUNDLE_OPEN_NO_CODE;
  yan_bundle_t *bundle = nullptr;
  Status status(yan_bundle_open_memory(out->bytes->data(), out->bytes->size(), &options,
                                       yan_allocator_system(), &bundle));
  out->bundle.reset(bundle);
  return status;
}

class TokenizerTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    open_ = new OpenBundle;
    Status status = openBytes(tokenizerBundle(testModel()), open_);
    ASSERT_TRUE(status.ok()) << status.text();
  }
  static void TearDownTestSuite() {
    delete open_;
    open_ = nullptr;
  }

  const yan_tokenizer_t *tok() const { return yan_bundle_tokenizer(open_->bundle.get()); }

  std::vector<int32_t> encode(const std::string &text) const {
    size_t count = 0;
    Status sizing(yan_tokenizer_encode(tok(), text.data(), text.size(), nullptr, 0, &count));
    EXPECT_TRUE(count == 0 ? sizing.ok() : sizing.code() == YAN_STATUS_RESOURCE_EXHAUSTED)
        << sizing.text();
    std::vector<int32_t> ids(count);
    size_t again = 0;
    Status status(yan_tokenizer_encode(tok(), text.data(), text.size(), ids.data(), ids.size(),
                                       &again));
    EXPECT_TRUE(status.ok()) << status.text();
    EXPECT_EQ(again, count);
    return ids;
  }

  std::string decode(const std::vector<int32_t> &ids) const {
    size_t size = 0;
    Status sizing(yan_tokenizer_decode(tok(), ids.data(), ids.size(), nullptr, 0, &size));
    EXPECT_TRUE(size == 0 ? sizing.ok() : sizing.code() == YAN_STATUS_RESOURCE_EXHAUSTED)
        << sizing.text();
    std::string text(size, '\0');
    Status status(yan_tokenizer_decode(tok(), ids.data(), ids.size(), &text[0], size, &size));
    EXPECT_TRUE(status.ok()) << status.text();
    return text;
  }

  static OpenBundle *open_;
};

OpenBundle *TokenizerTest::open_ = nullptr;

TEST_F(TokenizerTest, Info) {
  ASSERT_NE(tok(), nullptr);
  yan_tokenizer_info_t info;
  yan_tokenizer_info(tok(), &info);
  EXPECT_STREQ(info.kind, "sentencepiece-unigram");
  EXPECT_EQ(info.vocab_size, 272);
  EXPECT_EQ(info.unk_id, 0);
  EXPECT_EQ(info.bos_id, 1);
  EXPECT_EQ(info.eos_id, 2);
  EXPECT_EQ(info.pad_id, -1);
  EXPECT_EQ(info.add_dummy_prefix, 1);
  EXPECT_EQ(info.byte_fallback, 1);
  EXPECT_EQ(yan_tokenizer_vocab_size(tok()), 272);
  EXPECT_EQ(yan_tokenizer_unk_id(tok()), 0);
  EXPECT_EQ(yan_tokenizer_bos_id(tok()), 1);
  EXPECT_EQ(yan_tokenizer_eos_id(tok()), 2);
}

TEST_F(TokenizerTest, PieceAccessors) {
  const char *data = nullptr;
  size_t size = 0;
  ASSERT_TRUE(Status(yan_tokenizer_piece(tok(), kTheId, &data, &size)).ok());
  EXPECT_EQ(std::string(data, size), kSpace + "the");
  yan_piece_type_t type;
  ASSERT_TRUE(Status(yan_tokenizer_piece_type(tok(), kSepId, &type)).ok());
  EXPECT_EQ(type, YAN_PIECE_USER_DEFINED);
  uint8_t byte = 0;
  EXPECT_EQ(yan_tokenizer_is_byte_piece(tok(), byteId(0x41), &byte), 1);
  EXPECT_EQ(byte, 0x41);
  EXPECT_EQ(yan_tokenizer_is_byte_piece(tok(), kTheId, &byte), 0);
  EXPECT_EQ(yan_tokenizer_is_byte_piece(tok(), -1, nullptr), 0);
  EXPECT_EQ(yan_tokenizer_is_byte_piece(tok(), 272, nullptr), 0);
  EXPECT_EQ(Status(yan_tokenizer_piece(tok(), 272, &data, &size)).code(),
            YAN_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(Status(yan_tokenizer_piece_type(tok(), -5, &type)).code(), YAN_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(Status(yan_tokenizer_piece(tok(), 0, nullptr, &size)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
}

TEST_F(TokenizerTest, EncodeViterbi) {
  EXPECT_EQ(encode(""), std::vector<int32_t>{});
  // "_abc": _ + abc (-6) beats _a + b + c (-10) and _ + ab + c (-9).
  EXPECT_EQ(encode("abc"), (std::vector<int32_t>{kSpaceId, kAbcId}));
  EXPECT_EQ(encode("the"), (std::vector<int32_t>{kTheId}));
  EXPECT_EQ(encode("a a"), (std::vector<int32_t>{kSpaceAId, kSpaceAId}));
  // Unknown characters fall back to their bytes.
  EXPECT_EQ(encode("x"), (std::vector<int32_t>{kSpaceId, byteId('x')}));
  // An invalid byte is U+FFFD, whose bytes are not a piece.
  EXPECT_EQ(encode("\xff"),
            (std::vector<int32_t>{kSpaceId, byteId(0xEF), byteId(0xBF), byteId(0xBD)}));
  // User-defined pieces win; unused ones are never produced.
  EXPECT_EQ(encode("<sep>"), (std::vector<int32_t>{kSpaceId, kSepId}));
  EXPECT_EQ(encode("zz"), (std::vector<int32_t>{kSpaceId, byteId('z'), byteId('z')}));
  EXPECT_EQ(encode("\xE6\xBC\xA2"), (std::vector<int32_t>{kSpaceId, kHanId}));
  EXPECT_EQ(encode(std::string("\0", 1)), (std::vector<int32_t>{kSpaceId, byteId(0)}));
}

TEST_F(TokenizerTest, Decode) {
  EXPECT_EQ(decode({}), "");
  EXPECT_EQ(decode({kSpaceId, kAbcId}), "abc");
  // Control pieces are invisible and do not stop the prefix space's removal.
  EXPECT_EQ(decode({1, kTheId, 2}), "the");
  EXPECT_EQ(decode({kSpaceAId, kSpaceAId}), "a a");
  EXPECT_EQ(decode({0}), " \xE2\x81\x87 ");
  EXPECT_EQ(decode({byteId(0xE6), byteId(0xBC), byteId(0xA2)}), "\xE6\xBC\xA2");
  // An incomplete character: one U+FFFD per byte.
  EXPECT_EQ(decode({byteId(0xE6), byteId(0xBC)}), "\xEF\xBF\xBD\xEF\xBF\xBD");
  // Only the first piece loses its leading space; a byte piece first keeps it.
  EXPECT_EQ(decode({byteId('x'), kSpaceAId}), "x a");
}

TEST_F(TokenizerTest, BufferTooSmallReportsTheNeed) {
  int32_t ids[1];
  size_t count = 0;
  Status status(yan_tokenizer_encode(tok(), "abc", 3, ids, 1, &count));
  EXPECT_EQ(status.code(), YAN_STATUS_RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.message(), HasSubstr("needs 2 ids"));
  EXPECT_EQ(count, 2u);
  char out[2];
  size_t size = 0;
  int32_t abc[] = {kSpaceId, kAbcId};
  status = Status(yan_tokenizer_decode(tok(), abc, 2, out, sizeof(out), &size));
  EXPECT_EQ(status.code(), YAN_STATUS_RESOURCE_EXHAUSTED);
  EXPECT_EQ(size, 3u);
}

TEST_F(TokenizerTest, BadArguments) {
  size_t n = 0;
  int32_t id = 0;
  EXPECT_EQ(Status(yan_tokenizer_encode(nullptr, "a", 1, &id, 1, &n)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(yan_tokenizer_encode(tok(), nullptr, 1, &id, 1, &n)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(yan_tokenizer_encode(tok(), "a", 1, nullptr, 1, &n)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(yan_tokenizer_encode(tok(), "a", 1, &id, 1, nullptr)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(yan_tokenizer_decode(tok(), nullptr, 1, nullptr, 0, &n)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
  for (int32_t bad : {-1, 272, std::numeric_limits<int32_t>::max(),
                      std::numeric_limits<int32_t>::min()}) {
    int32_t ids[] = {kSpaceId, bad};
    char out[64];
    Status status(yan_tokenizer_decode(tok(), ids, 2, out, sizeof(out), &n));
    EXPECT_EQ(status.code(), YAN_STATUS_OUT_OF_RANGE);
    EXPECT_THAT(status.message(), HasSubstr("position 1"));
  }
  EXPECT_EQ(yan_bundle_tokenizer(nullptr), nullptr);
}

bool validUtf8(const std::string &s) {
  const auto *p = reinterpret_cast<const uint8_t *>(s.data());
  for (size_t i = 0; i < s.size();) {
    size_t length = yan::rt::utf8ValidLength(p + i, s.size() - i);
    if (!length)
      return false;
    i += length;
  }
  return true;
}

// 10,000 random byte strings (biased towards the vocabulary's bytes and
// UTF-8 lead bytes): encoding never fails, every id is in range, and valid
// UTF-8 without U+2581 decodes back to itself.
TEST_F(TokenizerTest, RandomBytes) {
  std::mt19937_64 rng(20240611);
  // Half the strings from pieces and whole characters (U+2581, which decodes
  // to a space, is the e2e test's), half raw bytes.
  const char *alphabet[] = {"a", "b", "c", " ", "the", "<sep>", "z", "\t", "\n", "\xE6\xBC\xA2",
                            "\xF0\x9F\x98\x80", "\xC3\xA9", "qqqq", "\xEF\xBF\xBD"};
  size_t roundTrips = 0;
  for (int i = 0; i < 10000; ++i) {
    size_t length = rng() % 301;
    std::string text;
    while (text.size() < length) {
      if (i % 2 == 0)
        text += alphabet[rng() % (sizeof(alphabet) / sizeof(alphabet[0]))];
      else
        text += static_cast<char>(rng() & 0xff);
    }
    std::vector<int32_t> ids = encode(text);
    if (!text.empty())
      ASSERT_FALSE(ids.empty());
    for (int32_t id : ids)
      ASSERT_TRUE(id >= 0 && id < 272 && id != 0) << id; // byte fallback: never unk
    std::string decoded = decode(ids);
    if (validUtf8(text) && text.find(kSpace) == std::string::npos) {
      ASSERT_EQ(decoded, text) << "text #" << i;
      ++roundTrips;
    }
  }
  EXPECT_GT(roundTrips, 1000u);
}

TEST_F(TokenizerTest, LongInputIsLinear) {
  std::string text;
  for (int i = 0; i < (1 << 20) / 4; ++i)
    text += "abc ";
  std::vector<int32_t> ids = encode(text);
  EXPECT_EQ(decode(ids), text);
}

TEST(TokenizerBundle, NoTokenizer) {
  OpenBundle open;
  Status status = openBytes(tokenizerBundle(std::nullopt), &open);
  ASSERT_TRUE(status.ok()) << status.text();
  EXPECT_EQ(yan_bundle_tokenizer(open.bundle.get()), nullptr);
}

TEST(TokenizerBundle, WriterRefusesAPieceCountOtherThanV) {
  FixtureBundle fixture =
      fixtureBundleFor(fixtureCheckpoint(), fixtureConfig(), hostFixtureImage());
  fixture.contents.tokenizer = testModel(); // 272 pieces, V = 16
  std::string message;
  llvm::handleAllErrors(yan::writeBundle(llvm::nulls(), fixture.contents),
                        [&](const llvm::ErrorInfoBase &e) { message = e.message(); });
  EXPECT_THAT(message, HasSubstr("the tokenizer has 272 pieces, the config's vocab_size is 16"));
}

// Replaces the first occurrence of `from` in `bytes` (which must exist).
void patch(std::vector<uint8_t> &bytes, const std::string &from, const std::string &to) {
  ASSERT_EQ(from.size(), to.size());
  std::vector<uint8_t> needle(from.begin(), from.end()); // unsigned, like `bytes`
  auto at = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
  ASSERT_NE(at, bytes.end()) << from;
  std::copy(to.begin(), to.end(), at);
  rt::sealToc(bytes.data()); // reach the tokenizer checks behind the TOC hash
}

std::string floatBytes(float value) {
  std::string bytes(sizeof(float), '\0');
  std::memcpy(&bytes[0], &value, sizeof(float));
  return bytes;
}

void expectRefused(std::vector<uint8_t> bytes, const char *what) {
  OpenBundle open;
  Status status = openBytes(bytes, &open);
  EXPECT_EQ(status.code(), YAN_STATUS_BAD_CONFIG) << status.text();
  EXPECT_THAT(status.message(), HasSubstr(what));
}

TEST(TokenizerBundle, DamagedTablesAreRefused) {
  const std::vector<uint8_t> good = tokenizerBundle(testModel());
  std::vector<uint8_t> bytes = good;
  patch(bytes, "qqqq", "wwww");
  expectRefused(bytes, "pieces 270 and 271 are both 'wwww'");
  bytes = good;
  patch(bytes, "qqqq", "q\xffqq");
  expectRefused(bytes, "piece 270 is not valid UTF-8");
  bytes = good;
  patch(bytes, "<0x41>", "<0x4g>");
  expectRefused(bytes, "piece 68 is a byte piece but not of the form <0xXX>");
  bytes = good;
  patch(bytes, "<0x41>", "<0x42>");
  expectRefused(bytes, "byte piece <0x42> appears twice");
  bytes = good;
  patch(bytes, floatBytes(12345.5f), floatBytes(std::numeric_limits<float>::quiet_NaN()));
  expectRefused(bytes, "piece 270 has a non-finite score");
  // The types vector: its length (272) then unk, control, control, byte...
  bytes = good;
  patch(bytes, std::string("\x10\x01\x00\x00\x02\x03\x03\x06", 8),
        std::string("\x10\x01\x00\x00\x09\x03\x03\x06", 8));
  expectRefused(bytes, "piece 0 has type 9");
  bytes = good;
  patch(bytes, std::string("\x10\x01\x00\x00\x02\x03\x03\x06", 8),
        std::string("\x10\x01\x00\x00\x01\x03\x03\x06", 8));
  expectRefused(bytes, "0 pieces of type UNKNOWN");
  bytes = good;
  patch(bytes, std::string("\x10\x01\x00\x00\x02\x03\x03\x06", 8),
        std::string("\x10\x01\x00\x00\x02\x01\x03\x06", 8));
  expectRefused(bytes, "bos_id 1 is not a CONTROL piece");
}

} // namespace
