//===- SessionTest.cpp - Sessions on the fixture bundle -------------------===//
//
// The fixture image's entries are trivial (fixture/fixture_image.c), so these
// test the runtime's plumbing: chunked prefill, decode, state save/restore,
// token checks, failure handling and independence of sessions.
//
//===----------------------------------------------------------------------===//
#include "Fixture.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstring>
#include <limits>
#include <thread>

using namespace yan;
using namespace yan::test;
using ::testing::HasSubstr;

namespace {

class SessionTest : public ::testing::Test {
protected:
  void SetUp() override {
    bytes_ = std::make_unique<AlignedBytes>(bundleBytes(fixtureBundle(hostFixtureImage()).contents));
    Status status = openMemory(*bytes_, bundle_);
    ASSERT_TRUE(status.ok()) << status.text();
  }

  SessionPtr newSession() {
    yan_session_t *session = nullptr;
    Status status = yan_session_create(bundle_.get(), nullptr, &session);
    EXPECT_TRUE(status.ok()) << status.text();
    return SessionPtr(session);
  }

  std::vector<float> expectedRows(const std::vector<int32_t> &tokens, int64_t start) {
    std::vector<float> rows;
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::vector<float> row = fixtureLogitsRow(tokens[i], start + static_cast<int64_t>(i));
      rows.insert(rows.end(), row.begin(), row.end());
    }
    return rows;
  }

  std::unique_ptr<AlignedBytes> bytes_;
  BundlePtr bundle_;
};

TEST_F(SessionTest, PrefillLongerThanMaxTokensRunsInChunks) {
  SessionPtr session = newSession();
  std::vector<int32_t> tokens = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}; // 3 chunks of <= 4
  std::vector<float> logits(tokens.size() * kFixtureVocab);
  Status status = yan_session_prefill(session.get(), tokens.data(), tokens.size(), logits.data());
  ASSERT_TRUE(status.ok()) << status.text();
  EXPECT_EQ(logits, expectedRows(tokens, 0));
  EXPECT_EQ(yan_session_state_floats(session.get())[0], 10.0f);
}

TEST_F(SessionTest, DecodeContinuesWherePrefillStopped) {
  SessionPtr session = newSession();
  std::vector<int32_t> prompt = {4, 5};
  std::vector<float> logits(2 * kFixtureVocab);
  ASSERT_TRUE(Status(yan_session_prefill(session.get(), prompt.data(), 2, logits.data())).ok());
  std::vector<float> row(kFixtureVocab);
  ASSERT_TRUE(Status(yan_session_decode(session.get(), 9, row.data())).ok());
  EXPECT_EQ(row, fixtureLogitsRow(9, 2));
  yan_session_reset(session.get());
  ASSERT_TRUE(Status(yan_session_decode(session.get(), 9, row.data())).ok());
  EXPECT_EQ(row, fixtureLogitsRow(9, 0));
}

TEST_F(SessionTest, OutOfRangeTokenNamesTokenAndPositionAndKeepsState) {
  SessionPtr session = newSession();
  std::vector<int32_t> tokens = {1, 2, 3, 16, 4};
  std::vector<float> logits(tokens.size() * kFixtureVocab);
  Status status = yan_session_prefill(session.get(), tokens.data(), tokens.size(), logits.data());
  EXPECT_EQ(status.code(), YAN_STATUS_OUT_OF_RANGE);
  EXPECT_THAT(status.message(), HasSubstr("token 16 at position 3"));
  EXPECT_THAT(status.message(), HasSubstr("[0, 16)"));
  EXPECT_EQ(yan_session_state_floats(session.get())[0], 0.0f); // nothing ran
  tokens[3] = -1;
  status = yan_session_prefill(session.get(), tokens.data(), tokens.size(), logits.data());
  EXPECT_EQ(status.code(), YAN_STATUS_OUT_OF_RANGE);
  EXPECT_THAT(status.message(), HasSubstr("token -1 at position 3"));
  std::vector<float> row(kFixtureVocab);
  status = yan_session_decode(session.get(), 1 << 30, row.data());
  EXPECT_EQ(status.code(), YAN_STATUS_OUT_OF_RANGE);
  EXPECT_THAT(status.message(), HasSubstr("token 1073741824"));
}

TEST_F(SessionTest, InvalidArguments) {
  SessionPtr session = newSession();
  int32_t token = 1;
  float logits[kFixtureVocab];
  EXPECT_EQ(Status(yan_session_prefill(session.get(), &token, 0, logits)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(yan_session_prefill(session.get(), nullptr, 1, logits)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(yan_session_decode(session.get(), 1, nullptr)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(yan_session_decode(nullptr, 1, logits)).code(), YAN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(yan_session_create(nullptr, nullptr, nullptr)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
}

TEST_F(SessionTest, EntryFailurePoisonsUntilReset) {
  SessionPtr session = newSession();
  float logits[kFixtureVocab];
  Status status = yan_session_decode(session.get(), kFixtureFailingToken, logits);
  EXPECT_EQ(status.code(), YAN_STATUS_ENTRY_FAILED);
  EXPECT_THAT(status.message(), HasSubstr("decode entry returned error 7"));
  EXPECT_EQ(Status(yan_session_decode(session.get(), 1, logits)).code(),
            YAN_STATUS_FAILED_PRECONDITION);
  yan_session_reset(session.get());
  EXPECT_TRUE(Status(yan_session_decode(session.get(), 1, logits)).ok());
}

TEST_F(SessionTest, SaveAndRestoreAConversation) {
  SessionPtr a = newSession();
  std::vector<int32_t> prompt = {1, 2, 3};
  std::vector<float> logits(3 * kFixtureVocab);
  ASSERT_TRUE(Status(yan_session_prefill(a.get(), prompt.data(), 3, logits.data())).ok());
  size_t size = yan_session_state_size(a.get());
  EXPECT_EQ(size, 32 + kFixtureStateFloats * 4);
  std::vector<uint8_t> saved(size);
  ASSERT_TRUE(Status(yan_session_get_state(a.get(), saved.data(), size)).ok());

  SessionPtr b = newSession();
  ASSERT_TRUE(Status(yan_session_set_state(b.get(), saved.data(), size)).ok());
  std::vector<float> rowA(kFixtureVocab), rowB(kFixtureVocab);
  ASSERT_TRUE(Status(yan_session_decode(a.get(), 7, rowA.data())).ok());
  ASSERT_TRUE(Status(yan_session_decode(b.get(), 7, rowB.data())).ok());
  EXPECT_EQ(rowA, rowB);
  EXPECT_EQ(rowA, fixtureLogitsRow(7, 3));

  EXPECT_EQ(Status(yan_session_get_state(a.get(), saved.data(), size - 1)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Status(yan_session_set_state(b.get(), saved.data(), size - 4)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
  std::vector<uint8_t> foreign = saved;
  foreign[24] ^= 1; // weight fingerprint
  Status status = yan_session_set_state(b.get(), foreign.data(), size);
  EXPECT_EQ(status.code(), YAN_STATUS_INVALID_ARGUMENT);
  EXPECT_THAT(status.message(), HasSubstr("different model"));
  foreign = saved;
  foreign[0] = 'X';
  EXPECT_EQ(Status(yan_session_set_state(b.get(), foreign.data(), size)).code(),
            YAN_STATUS_INVALID_ARGUMENT);
}

TEST_F(SessionTest, SessionsOutliveTheCallersBundleReference) {
  SessionPtr session = newSession();
  bundle_.reset(); // the session keeps the bundle alive
  float logits[kFixtureVocab];
  EXPECT_TRUE(Status(yan_session_decode(session.get(), 2, logits)).ok());
}

TEST_F(SessionTest, SessionsOnOneBundleRunConcurrently) {
  constexpr int kThreads = 4, kSteps = 2000;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      SessionPtr session = newSession();
      std::vector<float> row(kFixtureVocab);
      for (int step = 0; step < kSteps; ++step) {
        int32_t token = (t + step) % (kFixtureVocab - 1);
        Status status = yan_session_decode(session.get(), token, row.data());
        if (!status.ok() || row != fixtureLogitsRow(token, step))
          ++failures[t];
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(failures[t], 0) << "thread " << t;
}

// A NaN weight (the fixture adds weights[0] to every logit; opened without
// hashing the weights, as --skip-data-hashes would) gives NaN logits: an
// error that poisons the session, not an argmax of 0 (issue 14).
TEST(SessionNonFinite, NonFiniteLogitsAreAnErrorAndPoisonTheSession) {
  std::vector<uint8_t> bytes = bundleBytes(fixtureBundle(hostFixtureImage()).contents);
  uint64_t weightsAt = 0;
  {
    AlignedBytes aligned(bytes);
    BundlePtr bundle;
    ASSERT_TRUE(openMemory(aligned, bundle).ok());
    for (size_t i = 0; i < yan_bundle_segment_count(bundle.get()); ++i) {
      yan_segment_info_t info;
      Status(yan_bundle_segment_info(bundle.get(), i, &info));
      if (info.kind == YAN_SEGMENT_WEIGHTS)
        weightsAt = info.file_offset;
    }
  }
  ASSERT_NE(weightsAt, 0u);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(&bytes[weightsAt], &nan, sizeof nan);
  AlignedBytes aligned(bytes);
  BundlePtr bundle;
  ASSERT_TRUE(openMemory(aligned, bundle, YAN_BUNDLE_OPEN_SKIP_DATA_HASHES).ok());
  yan_session_t *raw = nullptr;
  ASSERT_TRUE(Status(yan_session_create(bundle.get(), nullptr, &raw)).ok());
  SessionPtr session(raw);
  std::vector<float> logits(3 * kFixtureVocab);
  int32_t prompt[3] = {1, 2, 3};
  Status status = yan_session_prefill(session.get(), prompt, 3, logits.data());
  EXPECT_EQ(status.code(), YAN_STATUS_NON_FINITE) << status.text();
  EXPECT_THAT(status.message(), ::testing::HasSubstr("non-finite logit"));
  status = yan_session_decode(session.get(), 1, logits.data());
  EXPECT_EQ(status.code(), YAN_STATUS_FAILED_PRECONDITION) << status.text();
  yan_session_reset(session.get());
  status = yan_session_decode(session.get(), 1, logits.data());
  EXPECT_EQ(status.code(), YAN_STATUS_NON_FINITE) << status.text();
}

} // namespace
