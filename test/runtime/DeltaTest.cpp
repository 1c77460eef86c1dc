//===- DeltaTest.cpp - Saving, verifying and applying deltas --------------===//
//
// Deltas on fixture bundles (no learn entries needed: a delta only carries
// weights and optimizer state), made by the tests' own writer
// (DeltaSupport): applied deltas change exactly their partitions and leave
// the file untouched; saving gives back the same bytes; every damaged byte,
// every truncation and every structural defect is refused with its own
// status before anything changes, and the bundle keeps working.
//
//===----------------------------------------------------------------------===//
#include "DeltaSupport.h"
#include "Fixture.h"

#include "gtest/gtest.h"

#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace yan::test;

namespace {

std::string writeFixtureBundle(const yan::WeightLayoutOptions &options = {}) {
  std::string path = temporaryPath(".yanb");
  writeFileBytes(path, bundleBytes(fixtureBundle(hostFixtureImage(), options).contents));
  return path;
}

// A bundle file shared by the tests of this file (never modified: that is
// one of the things checked).
const std::string &bundlePath() {
  static const std::string path = writeFixtureBundle();
  return path;
}

BundlePtr openBundle(const std::string &path = bundlePath()) {
  BundlePtr bundle;
  Status status = openFile(path, bundle);
  EXPECT_TRUE(status.ok()) << status.text();
  return bundle;
}

// Two records of each kind the format has: SGD without and with momentum,
// AdamW; out of the fixture's 2 layers x 4 partitions.
std::vector<DeltaRecord> someRecords(const DeltaModel &m, uint32_t seed = 1) {
  return {randomRecord(m, 0, 1, YAN_LEARN_SGD, 3, false, seed),
          randomRecord(m, 0, 3, YAN_LEARN_ADAMW, 2, true, seed + 1),
          randomRecord(m, 1, 0, YAN_LEARN_SGD, 1, true, seed + 2)};
}

// The fixture's prefill reads weight 0; a working bundle answers.
void expectWorks(yan_bundle_t *bundle) {
  yan_session_t *raw = nullptr;
  Status status = yan_session_create(bundle, nullptr, &raw);
  ASSERT_TRUE(status.ok()) << status.text();
  SessionPtr session(raw);
  int32_t tokens[2] = {1, 2};
  std::vector<float> logits(2 * kFixtureVocab);
  status = yan_session_prefill(session.get(), tokens, 2, logits.data());
  EXPECT_TRUE(status.ok()) << status.text();
  std::vector<float> expected = fixtureLogitsRow(1, 0), second = fixtureLogitsRow(2, 1);
  expected.insert(expected.end(), second.begin(), second.end());
  EXPECT_EQ(logits, expected);
}

std::vector<uint8_t> baseSegment() {
  static const std::vector<uint8_t> segment = [] {
    BundlePtr bundle = openBundle();
    return weightSegment(bundle.get());
  }();
  return segment;
}

TEST(Delta, ApplyChangesExactlyItsPartitions) {
  BundlePtr bundle = openBundle();
  DeltaModel m = DeltaModel::of(bundle.get());
  std::vector<DeltaRecord> records = someRecords(m);
  std::vector<uint8_t> delta = buildDelta(m, records);
  std::vector<uint8_t> fileBefore = readFileBytes(bundlePath());
  Status status = yan_bundle_apply_delta_memory(bundle.get(), delta.data(), delta.size());
  ASSERT_TRUE(status.ok()) << status.text();

  std::vector<uint8_t> expected = baseSegment();
  for (const DeltaRecord &r : records)
    for (int t = 0; t < 3; ++t)
      std::memcpy(&expected[m.offsets[r.layer * 3 + t] + r.partition * m.strides[r.layer * 3 + t]],
                  &r.weights[t * m.tensorBytes], m.tensorBytes);
  EXPECT_EQ(weightSegment(bundle.get()), expected);
  for (const DeltaRecord &r : records) {
    yan_partition_learn_state_t s;
    ASSERT_TRUE(Status(yan_bundle_partition_learn_state(bundle.get(), r.layer, r.partition, &s)).ok());
    EXPECT_EQ(s.steps, r.steps);
    EXPECT_EQ(s.optimizer, static_cast<yan_learn_optimizer_t>(r.optimizer));
    ASSERT_EQ(s.optimizer_state_floats, r.state.size());
    if (!r.state.empty()) {
      EXPECT_EQ(std::memcmp(s.optimizer_state, r.state.data(), r.state.size() * 4), 0);
    }
  }
  yan_partition_learn_state_t untouched;
  ASSERT_TRUE(Status(yan_bundle_partition_learn_state(bundle.get(), 1, 3, &untouched)).ok());
  EXPECT_EQ(untouched.steps, 0u);
  yan_bundle_learn_info_t info;
  yan_bundle_learn_info(bundle.get(), &info);
  EXPECT_EQ(info.trained_partitions, records.size());
  EXPECT_EQ(info.has_learn, 0); // the fixture bundle has no learn table
  // Copy-on-write: the file itself never changes.
  EXPECT_EQ(readFileBytes(bundlePath()), fileBefore);
  // Another bundle on the same file sees the base weights.
  EXPECT_EQ(weightSegment(openBundle().get()), baseSegment());
  expectWorks(bundle.get());
}

TEST(Delta, SaveGivesBackTheSameBytes) {
  BundlePtr bundle = openBundle();
  DeltaModel m = DeltaModel::of(bundle.get());
  std::vector<uint8_t> delta = buildDelta(m, someRecords(m, 7));
  ASSERT_TRUE(Status(yan_bundle_apply_delta_memory(bundle.get(), delta.data(), delta.size())).ok());
  std::string path = temporaryPath(".yand");
  Status status = yan_bundle_save_delta(bundle.get(), path.c_str());
  ASSERT_TRUE(status.ok()) << status.text();
  EXPECT_EQ(readFileBytes(path), delta);
  struct stat info;
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // Saving again replaces it with identical bytes; no temporary is left.
  ASSERT_TRUE(Status(yan_bundle_save_delta(bundle.get(), path.c_str())).ok());
  EXPECT_EQ(readFileBytes(path), delta);
  std::string dir = path.substr(0, path.rfind('/'));
  std::string stem = path.substr(path.rfind('/') + 1) + ".tmp-";
  DIR *d = ::opendir(dir.c_str());
  ASSERT_NE(d, nullptr);
  while (dirent *e = ::readdir(d))
    EXPECT_NE(std::string(e->d_name).rfind(stem, 0), 0u) << "left behind: " << e->d_name;
  ::closedir(d);
}

TEST(Delta, OpenWithDeltaPath) {
  BundlePtr bundle = openBundle();
  DeltaModel m = DeltaModel::of(bundle.get());
  std::vector<DeltaRecord> records = someRecords(m, 11);
  std::string path = temporaryPath(".yand");
  writeFileBytes(path, buildDelta(m, records));

  yan_bundle_open_options_t options{};
  options.delta_path = path.c_str();
  yan_bundle_t *raw = nullptr;
  Status status = yan_bundle_open_file(bundlePath().c_str(), &options, yan_allocator_system(), &raw);
  ASSERT_TRUE(status.ok()) << status.text();
  BundlePtr withDelta(raw);
  EXPECT_EQ(partitionBytes(withDelta.get(), m, 0, 3), records[1].weights);
  EXPECT_EQ(partitionBytes(withDelta.get(), m, 1, 0), records[2].weights);

  // A damaged delta fails the open, naming the delta; the bundle opens
  // without it.
  std::vector<uint8_t> bad = readFileBytes(path);
  bad[kDeltaHeaderBytes + 10] ^= 0x40;
  writeFileBytes(path, bad);
  raw = nullptr;
  status = yan_bundle_open_file(bundlePath().c_str(), &options, yan_allocator_system(), &raw);
  EXPECT_EQ(status.code(), YAN_STATUS_HASH_MISMATCH) << status.text();
  EXPECT_NE(status.message().find("delta '" + path + "'"), std::string::npos) << status.text();
  EXPECT_EQ(raw, nullptr);
  expectWorks(openBundle().get());

  options.delta_path = "/nonexistent/dir/x.yand";
  status = yan_bundle_open_file(bundlePath().c_str(), &options, yan_allocator_system(), &raw);
  EXPECT_EQ(status.code(), YAN_STATUS_IO_ERROR) << status.text();
}

TEST(Delta, MemoryBundleNeverWritesTheCallersBytes) {
  std::vector<uint8_t> bytes = readFileBytes(bundlePath());
  AlignedBytes aligned(bytes);
  BundlePtr bundle;
  ASSERT_TRUE(openMemory(aligned, bundle).ok());
  DeltaModel m = DeltaModel::of(bundle.get());
  std::vector<DeltaRecord> records = someRecords(m, 3);
  std::vector<uint8_t> delta = buildDelta(m, records);
  Status status = yan_bundle_apply_delta_memory(bundle.get(), delta.data(), delta.size());
  ASSERT_TRUE(status.ok()) << status.text();
  EXPECT_EQ(std::memcmp(aligned.data(), bytes.data(), bytes.size()), 0);
  EXPECT_EQ(partitionBytes(bundle.get(), m, 0, 1), records[0].weights);
  std::vector<uint8_t> expected = baseSegment();
  std::vector<uint8_t> actual = weightSegment(bundle.get());
  for (const DeltaRecord &r : records)
    for (int t = 0; t < 3; ++t) {
      size_t at = m.offsets[r.layer * 3 + t] + r.partition * m.strides[r.layer * 3 + t];
      std::memcpy(&expected[at], &actual[at], m.tensorBytes);
    }
  EXPECT_EQ(actual, expected);
  expectWorks(bundle.get());
}

TEST(Delta, EmptyDeltaRoundTrips) {
  BundlePtr bundle = openBundle();
  std::string path = temporaryPath(".yand");
  ASSERT_TRUE(Status(yan_bundle_save_delta(bundle.get(), path.c_str())).ok());
  DeltaModel m = DeltaModel::of(bundle.get());
  EXPECT_EQ(readFileBytes(path), buildDelta(m, {}));
  BundlePtr other = openBundle();
  Status status = yan_bundle_apply_delta(other.get(), path.c_str());
  EXPECT_TRUE(status.ok()) << status.text();
  EXPECT_EQ(weightSegment(other.get()), baseSegment());
}

TEST(Delta, OnlyOntoAFreshBundle) {
  BundlePtr bundle = openBundle();
  DeltaModel m = DeltaModel::of(bundle.get());
  std::vector<uint8_t> delta = buildDelta(m, someRecords(m));
  ASSERT_TRUE(Status(yan_bundle_apply_delta_memory(bundle.get(), delta.data(), delta.size())).ok());
  Status status = yan_bundle_apply_delta_memory(bundle.get(), delta.data(), delta.size());
  EXPECT_EQ(status.code(), YAN_STATUS_FAILED_PRECONDITION) << status.text();
}

TEST(Delta, SaveFailuresAreClear) {
  BundlePtr bundle = openBundle();
  Status status = yan_bundle_save_delta(bundle.get(), "/nonexistent/dir/x.yand");
  EXPECT_EQ(status.code(), YAN_STATUS_IO_ERROR) << status.text();
  EXPECT_NE(status.message().find("/nonexistent/dir/x.yand"), std::string::npos);
}

// Applies `delta` to a fresh bundle; expects `code` and a bundle that is
// unchanged and still works.
void expectRefused(const std::vector<uint8_t> &delta, yan_status_code_t code,
                   const std::string &needle, const std::string &what) {
  BundlePtr bundle = openBundle();
  Status status = yan_bundle_apply_delta_memory(bundle.get(), delta.data(), delta.size());
  EXPECT_EQ(status.code(), code) << what << ": " << status.text();
  EXPECT_NE(status.message().find(needle), std::string::npos) << what << ": " << status.text();
  yan_bundle_learn_info_t info;
  yan_bundle_learn_info(bundle.get(), &info);
  EXPECT_EQ(info.trained_partitions, 0u) << what;
  EXPECT_EQ(weightSegment(bundle.get()), baseSegment()) << what;
}

TEST(Delta, EveryDamagedByteIsRefused) {
  BundlePtr bundle = openBundle();
  DeltaModel m = DeltaModel::of(bundle.get());
  const std::vector<uint8_t> delta = buildDelta(m, someRecords(m));
  // Regions and what a flipped bit there is: the checksum covers all but
  // the fields checked before it.
  auto expectedCode = [&](size_t i) {
    if (i < 4)
      return YAN_STATUS_BAD_MAGIC;
    if (i < 8)
      return YAN_STATUS_UNSUPPORTED_HEADER_VERSION;
    if (i < 12)
      return YAN_STATUS_BAD_HEADER; // header_size
    if (i >= 16 && i < 24)
      return YAN_STATUS_TRUNCATED; // file_size (either way: shorter or longer)
    if (i >= 92 && i < 96)
      return YAN_STATUS_BAD_HEADER; // flags (before the signature and checksum)
    return YAN_STATUS_HASH_MISMATCH;
  };
  BundlePtr target = openBundle();
  for (size_t i = 0; i < delta.size(); ++i) {
    for (uint8_t bit : {uint8_t(0x01), uint8_t(0x80)}) {
      std::vector<uint8_t> damaged = delta;
      damaged[i] ^= bit;
      Status status = yan_bundle_apply_delta_memory(target.get(), damaged.data(), damaged.size());
      yan_status_code_t want = expectedCode(i);
      if (want == YAN_STATUS_TRUNCATED && status.code() == YAN_STATUS_BAD_HEADER)
        want = YAN_STATUS_BAD_HEADER; // the size got smaller: trailing bytes
      ASSERT_EQ(status.code(), want) << "byte " << i << " bit " << int(bit) << ": " << status.text();
      ASSERT_FALSE(status.message().empty());
    }
  }
  yan_bundle_learn_info_t info;
  yan_bundle_learn_info(target.get(), &info);
  EXPECT_EQ(info.trained_partitions, 0u);
  EXPECT_EQ(weightSegment(target.get()), baseSegment());
  expectWorks(target.get());
  // And the undamaged delta still applies to it.
  EXPECT_TRUE(Status(yan_bundle_apply_delta_memory(target.get(), delta.data(), delta.size())).ok());
}

TEST(Delta, EveryTruncationIsRefused) {
  BundlePtr bundle = openBundle();
  DeltaModel m = DeltaModel::of(bundle.get());
  const std::vector<uint8_t> delta = buildDelta(m, someRecords(m));
  BundlePtr target = openBundle();
  for (size_t length = 0; length < delta.size(); ++length) {
    Status status = yan_bundle_apply_delta_memory(target.get(), delta.data(), length);
    ASSERT_EQ(status.code(), YAN_STATUS_TRUNCATED) << "length " << length << ": " << status.text();
  }
  // From a file too (what a torn write would leave).
  std::string path = temporaryPath(".yand");
  for (size_t length : {size_t(0), size_t(3), size_t(96), size_t(200), delta.size() - 1}) {
    writeFileBytes(path, std::vector<uint8_t>(delta.begin(), delta.begin() + length));
    Status status = yan_bundle_apply_delta(target.get(), path.c_str());
    EXPECT_EQ(status.code(), YAN_STATUS_TRUNCATED) << length << ": " << status.text();
    EXPECT_NE(status.message().find(path), std::string::npos);
  }
  EXPECT_EQ(weightSegment(target.get()), baseSegment());
  expectWorks(target.get());
}

// Defects a checksum cannot catch (the delta is re-signed after each).
TEST(Delta, StructuralDefectsAreRefused) {
  BundlePtr bundle = openBundle();
  DeltaModel m = DeltaModel::of(bundle.get());
  std::vector<DeltaRecord> records = someRecords(m);
  const std::vector<uint8_t> good = buildDelta(m, records);
  size_t record1 = kDeltaHeaderBytes + kDeltaRecordHeaderBytes + records[0].weights.size() +
                   records[0].state.size() * 4;
  auto patched = [&](size_t offset, std::vector<uint8_t> bytes) {
    std::vector<uint8_t> d = good;
    std::memcpy(&d[offset], bytes.data(), bytes.size());
    resign(d);
    return d;
  };
  auto le32 = [](uint32_t v) {
    return std::vector<uint8_t>{uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
  };
  auto withRecords = [&](std::vector<DeltaRecord> rs) { return buildDelta(m, rs); };

  expectRefused(patched(kDeltaHeaderBytes, le32(2)), YAN_STATUS_BAD_LAYOUT, "outside the model",
                "layer out of range");
  expectRefused(patched(kDeltaHeaderBytes + 4, le32(4)), YAN_STATUS_BAD_LAYOUT,
                "outside the model", "partition out of range");
  expectRefused(patched(kDeltaHeaderBytes, le32(0xffffffff)), YAN_STATUS_BAD_LAYOUT,
                "outside the model", "negative layer");
  expectRefused(withRecords({records[0], records[0]}), YAN_STATUS_BAD_LAYOUT, "duplicate",
                "duplicate record");
  expectRefused(withRecords({records[1], records[0]}), YAN_STATUS_BAD_LAYOUT, "order",
                "records out of order");
  expectRefused(patched(kDeltaHeaderBytes + 8, le32(2)), YAN_STATUS_BAD_LAYOUT, "optimizer",
                "unknown optimizer");
  expectRefused(patched(kDeltaHeaderBytes + 12, le32(1)), YAN_STATUS_BAD_LAYOUT, "reserved",
                "record reserved field");
  expectRefused(patched(kDeltaHeaderBytes + 16, std::vector<uint8_t>(8, 0)),
                YAN_STATUS_BAD_LAYOUT, "steps 0", "zero steps");
  {
    DeltaRecord r = records[0];
    r.weights.resize(r.weights.size() - 4);
    expectRefused(withRecords({r}), YAN_STATUS_BAD_LAYOUT, "weight bytes", "short weights");
  }
  {
    DeltaRecord r = records[1]; // AdamW without its state
    r.state.clear();
    expectRefused(withRecords({r}), YAN_STATUS_BAD_LAYOUT, "AdamW", "AdamW without state");
  }
  {
    DeltaRecord r = records[0]; // SGD with a state of the wrong size
    r.state.resize(5);
    expectRefused(withRecords({r}), YAN_STATUS_BAD_LAYOUT, "SGD", "odd SGD state");
  }
  // record_count disagreeing with the records.
  expectRefused(patched(12, le32(2)), YAN_STATUS_BAD_LAYOUT, "after its last record",
                "count too low");
  expectRefused(patched(12, le32(4)), YAN_STATUS_BAD_LAYOUT, "past the payload",
                "count too high");
  expectRefused(patched(12, le32(1000)), YAN_STATUS_BAD_HEADER, "the model has",
                "count beyond the model");
  expectRefused(patched(92, le32(1)), YAN_STATUS_BAD_HEADER, "flags 0x1", "flags of an unsigned delta");
  // Bound to another model.
  expectRefused(patched(24, {uint8_t(good[24] ^ 1)}), YAN_STATUS_DELTA_MISMATCH,
                "another base model", "other weights");
  expectRefused(patched(64, le32(5)), YAN_STATUS_DELTA_MISMATCH, "num_partitions",
                "other config");
  expectRefused(patched(88, le32(2)), YAN_STATUS_DELTA_MISMATCH, "dtype", "other dtype");
  expectRefused(patched(4, le32(3)), YAN_STATUS_UNSUPPORTED_HEADER_VERSION, "version 3",
                "newer version");
  expectRefused(patched(4, le32(2)), YAN_STATUS_BAD_HEADER, "flags 0x0, expected 0x1",
                "version 2 without its signature flag");
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  expectRefused(longer, YAN_STATUS_BAD_HEADER, "trailing", "trailing byte");
  std::vector<uint8_t> notDelta(200, 'x');
  expectRefused(notDelta, YAN_STATUS_BAD_MAGIC, "not a yan delta", "garbage");
  (void)record1;
}

// Values a checksum vouches for but learning never produces (issue 14): a
// NaN/inf weight or optimizer state, a negative AdamW second moment, and a
// step count the next step would wrap to 0 (AdamW then divides by zero).
// Saving a delta over the bundle in use would replace it (issue 14): the
// runtime compares the file, not the name (a hard link is the same file).
TEST(Delta, SavingOverTheBundleInUseIsRefused) {
  std::string path = temporaryPath(".yanb");
  writeFileBytes(path, readFileBytes(bundlePath()));
  std::string link = path + ".link";
  ASSERT_EQ(::link(path.c_str(), link.c_str()), 0);
  BundlePtr bundle = openBundle(path);
  for (const std::string &target : {path, link}) {
    Status status = yan_bundle_save_delta(bundle.get(), target.c_str());
    EXPECT_EQ(status.code(), YAN_STATUS_INVALID_ARGUMENT) << status.text();
    EXPECT_NE(status.message().find("the bundle file in use"), std::string::npos);
  }
  EXPECT_EQ(readFileBytes(path), readFileBytes(bundlePath()));
  expectWorks(bundle.get());
  std::remove(link.c_str());
  std::remove(path.c_str());
}

TEST(Delta, NonFiniteValuesAndImpossibleStepCountsAreRefused) {
  BundlePtr bundle = openBundle();
  DeltaModel m = DeltaModel::of(bundle.get());
  ASSERT_EQ(m.dtype, uint32_t(YAN_DTYPE_F32));
  const std::vector<DeltaRecord> records = someRecords(m);
  auto with = [&](const std::function<void(DeltaRecord &sgd, DeltaRecord &adamw)> &change) {
    std::vector<DeltaRecord> rs = records;
    change(rs[0], rs[1]);
    return buildDelta(m, rs);
  };
  auto setFloat = [](std::vector<uint8_t> &bytes, size_t index, float value) {
    std::memcpy(&bytes[index * 4], &value, 4);
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  size_t slice = static_cast<size_t>(m.sliceFloats());
  expectRefused(with([&](DeltaRecord &r, DeltaRecord &) { setFloat(r.weights, 5, nan); }),
                YAN_STATUS_NON_FINITE, "weight element 5", "NaN weight");
  expectRefused(with([&](DeltaRecord &r, DeltaRecord &) {
                  setFloat(r.weights, 3 * slice - 1, -inf); }),
                YAN_STATUS_NON_FINITE, "is not finite", "-inf in the last w2 element");
  expectRefused(with([&](DeltaRecord &, DeltaRecord &a) { a.state[7] = inf; }),
                YAN_STATUS_NON_FINITE, "optimizer state float 7", "inf exp_avg");
  expectRefused(with([&](DeltaRecord &, DeltaRecord &a) { a.state[3 * slice] = -1.0f; }),
                YAN_STATUS_NON_FINITE, "exp_avg_sq", "negative exp_avg_sq");
  expectRefused(with([&](DeltaRecord &, DeltaRecord &a) { a.steps = UINT64_MAX; }),
                YAN_STATUS_BAD_LAYOUT, "optimizer steps", "2^64-1 steps");
  expectRefused(with([&](DeltaRecord &, DeltaRecord &a) { a.steps = uint64_t(1) << 53; }),
                YAN_STATUS_BAD_LAYOUT, "optimizer steps", "2^53 steps");
  // The largest step count is fine (negative first moments too).
  std::vector<uint8_t> largest = with([&](DeltaRecord &, DeltaRecord &a) {
    a.steps = (uint64_t(1) << 53) - 1;
    a.state[0] = -1.0f;
  });
  Status status = yan_bundle_apply_delta_memory(bundle.get(), largest.data(), largest.size());
  EXPECT_TRUE(status.ok()) << status.text();
}

TEST(Delta, AnotherModelsDeltaIsRefused) {
  // Same checkpoint, page-aligned partitions: another weight segment.
  std::string otherPath = writeFixtureBundle({64, 4096});
  BundlePtr other = openBundle(otherPath);
  DeltaModel otherModel = DeltaModel::of(other.get());
  std::vector<uint8_t> delta = buildDelta(otherModel, someRecords(otherModel));
  expectRefused(delta, YAN_STATUS_DELTA_MISMATCH, "another base model", "other bundle's delta");
  // It applies where it belongs, with the other layout's offsets.
  Status status = yan_bundle_apply_delta_memory(other.get(), delta.data(), delta.size());
  EXPECT_TRUE(status.ok()) << status.text();
  EXPECT_EQ(partitionBytes(other.get(), otherModel, 0, 3), someRecords(otherModel)[1].weights);
}

} // namespace
