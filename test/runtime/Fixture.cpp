//===- Fixture.cpp - Bundles around the FAKE fixture code image -----------===//
#include "Fixture.h"

#include "compiler/layout/StateLayout.h"
#include "compiler/import/RandomModel.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "gtest/gtest.h"

#include <atomic>
#include <filesystem>
#include <mutex>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <unistd.h>

#ifndef YAN_RUNTIME_FIXTURE_DIR
#error "YAN_RUNTIME_FIXTURE_DIR must name the directory of the built fixture images"
#endif

namespace yan::test {

ModelConfig fixtureConfig() {
  ModelConfig c;
  c.vocabSize = kFixtureVocab;
  c.hiddenSize = 8;
  c.numLayers = 2;
  c.numChannels = 2;
  c.slopeWindow = 3;
  c.numPartitions = 4;
  c.activePartitions = 2;
  c.partitionSize = 4;
  c.fillDefaults();
  return c;
}

std::vector<uint8_t> fixtureFile(const std::string &name) {
  std::string path = std::string(YAN_RUNTIME_FIXTURE_DIR) + "/" + name;
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    ADD_FAILURE() << "cannot read fixture " << path << ": " << buffer.getError().message();
    return {};
  }
  return std::vector<uint8_t>((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
}

const std::vector<uint8_t> &hostFixtureImage() {
  static const std::vector<uint8_t> image =
      fixtureFile(std::string("fixture_") + yan_arch_name(yan_host_arch()) + ".so");
  return image;
}

Checkpoint randomCheckpoint(const ModelConfig &config, uint64_t seed) {
  std::string dir = temporaryPath("-model");
  llvm::cantFail(writeRandomModel(dir, config, seed, DType::F32));
  return llvm::cantFail(loadCheckpoint(dir));
}

const Checkpoint &fixtureCheckpoint() {
  static const Checkpoint checkpoint = randomCheckpoint(fixtureConfig(), /*seed=*/7);
  return checkpoint;
}

std::vector<float> fixtureLogitsRow(int32_t token, int64_t position) {
  float w0;
  std::memcpy(&w0, fixtureCheckpoint().tensor("embed.weight").bytes.data(), sizeof(w0));
  std::vector<float> row(kFixtureVocab);
  float p = static_cast<float>(position);
  for (int v = 0; v < kFixtureVocab; ++v)
    row[v] = static_cast<float>((token + v) % kFixtureVocab) + 1000.0f * p + w0;
  return row;
}

FixtureBundle fixtureBundleFor(const Checkpoint &checkpoint, const ModelConfig &config,
                               const std::vector<uint8_t> &code,
                               const WeightLayoutOptions &options, yan_arch_t arch) {
  FixtureBundle result;
  result.layout = llvm::cantFail(computeWeightLayout(checkpoint, options));
  BundleContents &c = result.contents;
  c.config = config;
  c.compilerVersion = "yanc-test-fixture 0";
  BundleCodeImage image;
  switch (arch) {
  case YAN_ARCH_AARCH64:
    image.triple = "aarch64-unknown-linux-gnu";
    image.arch = Arch::aarch64;
    break;
  case YAN_ARCH_RISCV64:
    image.triple = "riscv64-unknown-linux-gnu";
    image.arch = Arch::riscv64;
    break;
  default:
    image.triple = "x86_64-unknown-linux-gnu";
    image.arch = Arch::x86_64;
    break;
  }
  image.cpu = "generic";
  image.entries = {{"prefill", YAN_ENTRY_PREFILL, kFixturePrefillMax, 256},
                   {"decode", YAN_ENTRY_DECODE, 1, 128}};
  image.bytes = code;
  c.codeImages.push_back(image);
  c.weights = bundleWeights(result.layout, checkpoint);
  c.weightSegmentSize = result.layout.segmentSize;
  c.state = computeStateLayout(c.config);
  return result;
}

FixtureBundle fixtureBundle(const std::vector<uint8_t> &code,
                            const WeightLayoutOptions &options, yan_arch_t arch) {
  FixtureBundle result =
      fixtureBundleFor(fixtureCheckpoint(), fixtureConfig(), code, options, arch);
  BundleContents &c = result.contents;
  // Greedy on the fixture: after token x comes V-1-x.
  BundleTestVector t;
  t.name = "fixture-greedy";
  t.prompt = {1, 2, 3};
  int64_t position = 0;
  for (int32_t token : t.prompt) {
    std::vector<float> row = fixtureLogitsRow(token, position++);
    t.expectedLogits.insert(t.expectedLogits.end(), row.begin(), row.end());
  }
  int32_t next = static_cast<int32_t>(kFixtureVocab - 1 - t.prompt.back());
  for (int step = 0; step < 3; ++step) {
    t.generated.push_back(next);
    std::vector<float> row = fixtureLogitsRow(next, position++);
    t.expectedLogits.insert(t.expectedLogits.end(), row.begin(), row.end());
    next = static_cast<int32_t>(kFixtureVocab - 1 - next);
  }
  t.nextToken = next;
  t.prefillState.assign(kFixtureStateFloats, 3.0f);
  t.finalState.assign(kFixtureStateFloats, 6.0f);
  c.testVectors.push_back(std::move(t));
  return result;
}

FixtureBundle learnFixtureBundle(const std::vector<uint8_t> &code, yan_arch_t arch) {
  FixtureBundle result = fixtureBundle(code, {}, arch);
  for (BundleCodeImage &image : result.contents.codeImages) {
    // Arena: 128 bytes of header + 4 slots of 3 * F * D floats.
    image.entries.push_back({"learn", YAN_ENTRY_LEARN, kFixtureLearnMaxTokens, 2048});
    image.entries.push_back({"learn_apply", YAN_ENTRY_LEARN_APPLY, 1, 2048});
  }
  result.contents.learnPartitions = kFixtureLearnPartitions;
  return result;
}

std::vector<uint8_t> bundleBytes(const BundleContents &contents) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (llvm::Error error = writeBundle(os, contents)) {
    ADD_FAILURE() << llvm::toString(std::move(error));
    return {};
  }
  os.flush();
  return std::vector<uint8_t>(text.begin(), text.end());
}

namespace {
/// Every path temporaryPath handed out, removed (file or folder) when the
/// process that asked for it exits: a test that keeps a file for the whole
/// process (a static bundle path) or fails before its own cleanup leaves
/// nothing in TMPDIR. Forked children (crash and death tests) leave them to
/// their parent.
class TemporaryPaths {
public:
  ~TemporaryPaths() {
    if (::getpid() != owner_)
      return;
    std::error_code ignored;
    for (const std::string &path : paths_)
      std::filesystem::remove_all(path, ignored);
  }
  void add(const std::string &path) {
    std::lock_guard<std::mutex> lock(mutex_);
    paths_.push_back(path);
  }

private:
  pid_t owner_ = ::getpid();
  std::mutex mutex_;
  std::vector<std::string> paths_;
};
} // namespace

std::string temporaryPath(const std::string &suffix) {
  static std::atomic<int> counter{0};
  static TemporaryPaths made;
  std::string path = ::testing::TempDir() + "yan-runtime-test-" +
                     std::to_string(::getpid()) + "-" + std::to_string(counter++) + suffix;
  made.add(path);
  return path;
}

void AlignedBytes::Free::operator()(uint8_t *p) const { std::free(p); }

AlignedBytes::AlignedBytes(const std::vector<uint8_t> &bytes) : size_(bytes.size()) {
  size_t rounded = (bytes.size() + 63) / 64 * 64;
  data_.reset(static_cast<uint8_t *>(std::aligned_alloc(64, rounded ? rounded : 64)));
  if (!bytes.empty())
    std::memcpy(data_.get(), bytes.data(), bytes.size());
}

Status &Status::operator=(Status &&other) {
  if (this != &other) {
    yan_status_free(status_);
    status_ = other.status_;
    other.status_ = nullptr;
  }
  return *this;
}

std::string Status::text() const {
  return std::string(yan_status_code_name(code())) + ": " + message();
}

Status openMemory(const AlignedBytes &bytes, BundlePtr &bundle, uint32_t flags) {
  yan_bundle_open_options_t options{flags};
  yan_bundle_t *raw = nullptr;
  Status status = yan_bundle_open_memory(bytes.data(), bytes.size(), &options,
                                         yan_allocator_system(), &raw);
  bundle.reset(raw);
  return status;
}

Status openFile(const std::string &path, BundlePtr &bundle, uint32_t flags) {
  yan_bundle_open_options_t options{flags};
  yan_bundle_t *raw = nullptr;
  Status status =
      yan_bundle_open_file(path.c_str(), &options, yan_allocator_system(), &raw);
  bundle.reset(raw);
  return status;
}

} // namespace yan::test
