//===- Fixture.h - Bundles around the FAKE fixture code image ---*- C++ -*-===//
//
// Runtime tests need real bundles before yanc can produce them: these use a
// random checkpoint for the weights (yan::writeRandomModel) and the fixture
// code image of fixture/fixture_image.c (trivial entries, NOT a model) whose
// behaviour expectedLogits() mirrors.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TEST_RUNTIME_FIXTURE_H
#define YAN_TEST_RUNTIME_FIXTURE_H

#include "compiler/bundle/BundleWriter.h"
#include "compiler/import/Checkpoint.h"
#include "yan/runtime.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace yan::test {

constexpr int64_t kFixtureVocab = 16;
constexpr uint64_t kFixtureStateFloats = 48;
constexpr int64_t kFixturePrefillMax = 4;
constexpr int32_t kFixtureFailingToken = 15; // the fixture's entries return 7
// The fixture image's fake learn entries (fixture/fixture_image.c).
constexpr int64_t kFixtureLearnPartitions = 2; // M
constexpr int64_t kFixtureLearnMaxTokens = 8;
/// Where fixture_image.c expects layer l's FFN tensor t (0 w1, 1 w3, 2 w2)
/// in the default layout of fixtureConfig() (partitions packed, 128 bytes).
constexpr uint64_t fixtureFfnOffset(int64_t layer, int tensor) {
  return 1792 + uint64_t(layer) * 2816 + uint64_t(tensor) * 512;
}

/// The fixture model config (V=16, D=8, L=2, C=2, K=3, P=4, k=2, F=4).
ModelConfig fixtureConfig();

/// Bytes of a file in the fixture build directory ("fixture_x86_64.so", ...).
std::vector<uint8_t> fixtureFile(const std::string &name);

/// The fixture image for this host.
const std::vector<uint8_t> &hostFixtureImage();

/// A loaded random checkpoint for fixtureConfig() (created once per process).
const Checkpoint &fixtureCheckpoint();

/// A random checkpoint for `config` (written to a temporary directory and
/// loaded; keep it alive while bundles made from it are written).
Checkpoint randomCheckpoint(const ModelConfig &config, uint64_t seed);

/// What the fixture's entries return for `token` at absolute `position`.
std::vector<float> fixtureLogitsRow(int32_t token, int64_t position);

/// Contents of a valid bundle: fixtureCheckpoint()'s weights per `layout`,
/// `code` as an x86_64/aarch64/riscv64 image (arch of the host by default),
/// one test vector (prompt 1,2,3; 3 greedy steps) and its states.
struct FixtureBundle {
  WeightLayout layout;
  BundleContents contents;
};
FixtureBundle fixtureBundle(const std::vector<uint8_t> &code,
                            const WeightLayoutOptions &options = {},
                            yan_arch_t arch = yan_host_arch());

/// The same around another checkpoint of a config the fixture image runs
/// (V = 16, state of 48 floats: L = 2, K = 3, D = 8; other dimensions are
/// free), without test vectors.
FixtureBundle fixtureBundleFor(const Checkpoint &checkpoint, const ModelConfig &config,
                               const std::vector<uint8_t> &code,
                               const WeightLayoutOptions &options = {},
                               yan_arch_t arch = yan_host_arch());

/// fixtureBundle with the fake learn entries and a learn table (M =
/// kFixtureLearnPartitions): `code` must be a fixture image with learn
/// entries (hostFixtureImage()).
FixtureBundle learnFixtureBundle(const std::vector<uint8_t> &code,
                                 yan_arch_t arch = yan_host_arch());

/// The bytes writeBundle produces for `contents` (fails the test on error).
std::vector<uint8_t> bundleBytes(const BundleContents &contents);

/// A unique temporary path (file not created).
std::string temporaryPath(const std::string &suffix);

/// 64-byte aligned copy of some bytes (open_memory requires the alignment).
class AlignedBytes {
public:
  explicit AlignedBytes(const std::vector<uint8_t> &bytes);
  const uint8_t *data() const { return data_.get(); }
  size_t size() const { return size_; }

private:
  struct Free {
    void operator()(uint8_t *p) const;
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_;
};

/// Owns a status; prints as "CODE: message".
class Status {
public:
  Status(yan_status_t status = nullptr) : status_(status) {}
  Status(Status &&other) : status_(other.status_) { other.status_ = nullptr; }
  Status &operator=(Status &&other);
  ~Status() { yan_status_free(status_); }
  bool ok() const { return status_ == nullptr; }
  yan_status_code_t code() const { return yan_status_code(status_); }
  std::string message() const { return yan_status_message(status_); }
  std::string text() const;

private:
  yan_status_t status_;
};

struct BundleDeleter {
  void operator()(yan_bundle_t *b) const { yan_bundle_release(b); }
};
struct SessionDeleter {
  void operator()(yan_session_t *s) const { yan_session_destroy(s); }
};
using BundlePtr = std::unique_ptr<yan_bundle_t, BundleDeleter>;
using SessionPtr = std::unique_ptr<yan_session_t, SessionDeleter>;

/// Opens bytes from (aligned) memory; `bundle` is set on success.
Status openMemory(const AlignedBytes &bytes, BundlePtr &bundle, uint32_t flags = 0);
Status openFile(const std::string &path, BundlePtr &bundle, uint32_t flags = 0);

} // namespace yan::test

#endif // YAN_TEST_RUNTIME_FIXTURE_H
