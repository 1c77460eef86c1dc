//===- DriverTest.cpp - One staged compile, stopped after each stage ------===//
//
// compiler/driver's compileModel on a generated tiny model: each stage's
// output is what that stage makes (text of the right IR, an ELF object, a
// shared object, an archive, bundle contents), and the decisions the driver
// owns (learning by default, the partition alignment, what the bundle
// records) come out as the CLI documents them.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/Driver.h"
#include "compiler/import/RandomModel.h"
#include "TestSupport.h"

#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <mutex>

namespace yan {
namespace {

using test::errorMessage;
using test::TempDir;

class DriverTest : public ::testing::Test {
protected:
  void SetUp() override { writeModel(f32Model, DType::F32); }

  static void writeModel(const TempDir &dir, DType dtype) {
    auto config = presetConfig("tiny");
    ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
    ASSERT_FALSE(bool(writeRandomModel(dir.path(), *config, 3, dtype)));
  }

  static DriverOptions optionsFor(Stage stop, std::vector<const char *> triples = {""}) {
    DriverOptions options;
    options.stopAfter = stop;
    // Inference only unless a test is about learning (half the compile).
    options.learn.enabled = false;
    for (const char *triple : triples)
      options.targets.push_back(llvm::cantFail(resolveTarget(triple, "", "")));
    return options;
  }

  std::unique_ptr<CompileResult> compile(const DriverOptions &options) {
    auto result = compileModel(f32Model.path(), options);
    EXPECT_TRUE(bool(result)) << llvm::toString(result.takeError());
    return result ? std::move(*result) : nullptr;
  }

  TempDir f32Model;
};

/// ELF e_type: 1 relocatable, 3 shared object.
int elfType(const std::vector<uint8_t> &bytes) {
  if (bytes.size() < 18 || llvm::StringRef(reinterpret_cast<const char *>(bytes.data()), 4) !=
                               "\x7f"
                               "ELF")
    return -1;
  return bytes[16] | bytes[17] << 8;
}

TEST_F(DriverTest, StopsAfterEachTextStage) {
  auto yan = compile(optionsFor(Stage::Yan));
  ASSERT_TRUE(yan);
  EXPECT_NE(yan->text.find("yan.weight"), std::string::npos);
  EXPECT_NE(yan->text.find("func.func @decode"), std::string::npos);
  EXPECT_EQ(yan->text.find("llvm.func"), std::string::npos);

  auto mlir = compile(optionsFor(Stage::Mlir));
  ASSERT_TRUE(mlir);
  EXPECT_NE(mlir->text.find("llvm.func @yan_decode"), std::string::npos);
  EXPECT_EQ(mlir->text.find("yan.weight"), std::string::npos);

  auto llvmIr = compile(optionsFor(Stage::Llvm, {"aarch64-linux-gnu"}));
  ASSERT_TRUE(llvmIr);
  EXPECT_NE(llvmIr->text.find("target triple = \"aarch64-linux-gnu\""), std::string::npos);
  EXPECT_NE(llvmIr->text.find("@yan_executable_query"), std::string::npos);
  EXPECT_TRUE(mlir->bytes.empty() && mlir->bundle.codeImages.empty());
}

TEST_F(DriverTest, StopsAfterEachBinaryStage) {
  auto object = compile(optionsFor(Stage::Obj));
  ASSERT_TRUE(object);
  EXPECT_EQ(elfType(object->bytes), 1);
  auto image = compile(optionsFor(Stage::Image));
  ASSERT_TRUE(image);
  EXPECT_EQ(elfType(image->bytes), 3);
  DriverOptions libraryOptions = optionsFor(Stage::StaticLib);
  libraryOptions.symbolPrefix = "tiny";
  auto library = compile(libraryOptions);
  ASSERT_TRUE(library);
  EXPECT_EQ(llvm::StringRef(reinterpret_cast<const char *>(library->library.archive.data()),
                            library->library.archive.size())
                .substr(0, 8),
            "!<arch>\n");
  EXPECT_NE(library->library.header.find("tiny_query"), std::string::npos);
}

TEST_F(DriverTest, BundleRecordsEveryTargetAndLearnsF32ByDefault) {
  DriverOptions options = optionsFor(Stage::Bundle, {"x86_64-linux-gnu", "aarch64-linux-gnu"});
  options.learn.enabled.reset(); // the default
  auto result = compile(options);
  ASSERT_TRUE(result);
  const BundleContents &bundle = result->bundle;
  ASSERT_EQ(bundle.codeImages.size(), 2u);
  EXPECT_EQ(bundle.codeImages[0].arch, Arch::x86_64);
  EXPECT_EQ(bundle.codeImages[1].arch, Arch::aarch64);
  EXPECT_EQ(bundle.codeImages[1].triple, "aarch64-linux-gnu");
  EXPECT_FALSE(bundle.codeImages[0].requiredFeatures.empty());
  EXPECT_EQ(llvm::StringRef(bundle.compilerVersion).substr(0, 5), "yanc ");
  // f32 partitions: the learn entries are there by default, M = k.
  EXPECT_EQ(bundle.learnPartitions, bundle.config.activePartitions);
  EXPECT_EQ(bundle.state.stateFloats, static_cast<uint64_t>(result->images[0].layout.stateFloats));
  // One weight segment for both: partitions on AArch64's 16 KiB pages.
  bool sawPartitioned = false;
  for (const BundleWeight &weight : bundle.weights)
    if (isPartitionedWeight(weight.name)) {
      sawPartitioned = true;
      EXPECT_EQ(weight.offset % 16384, 0u) << weight.name;
      EXPECT_EQ(weight.partitionStride % 16384, 0u) << weight.name;
    }
  EXPECT_TRUE(sawPartitioned);
  ASSERT_EQ(result->report.targets.size(), 2u);
  EXPECT_EQ(result->report.weightBytes, static_cast<int64_t>(bundle.weightSegmentSize));
}

TEST_F(DriverTest, LearnIsOnByDefaultForEveryWeightFormat) {
  // f16 (and int4) partitions are trained in f32 copies (docs/learning.md).
  TempDir f16Model;
  writeModel(f16Model, DType::F16);
  auto checkpoint = loadCheckpoint(f16Model.path());
  ASSERT_TRUE(bool(checkpoint));
  EXPECT_EQ(checkpoint->partitionWeightFormat(), (WeightFormat{DType::F16, {}}));

  DriverOptions byDefault = optionsFor(Stage::Bundle);
  byDefault.learn.enabled.reset();
  auto learning = compileModel(f16Model.path(), byDefault);
  ASSERT_TRUE(bool(learning)) << llvm::toString(learning.takeError());
  EXPECT_EQ((*learning)->bundle.learnPartitions, (*learning)->bundle.config.activePartitions);

  DriverOptions off = optionsFor(Stage::Bundle);
  off.learn.enabled = false;
  auto inferenceOnly = compileModel(f16Model.path(), off);
  ASSERT_TRUE(bool(inferenceOnly)) << llvm::toString(inferenceOnly.takeError());
  EXPECT_EQ((*inferenceOnly)->bundle.learnPartitions, 0);

  // int4 partitions too: trained in f32 copies of their dequantized values.
  DriverOptions int4 = optionsFor(Stage::Bundle);
  int4.learn.enabled.reset();
  int4.weightFormat = "int4";
  auto quantized = compileModel(f16Model.path(), int4);
  ASSERT_TRUE(bool(quantized)) << llvm::toString(quantized.takeError());
  EXPECT_EQ((*quantized)->bundle.learnPartitions, (*quantized)->bundle.config.activePartitions);
}

TEST_F(DriverTest, RefusesWhatTheRuntimeCannotRun) {
  DriverOptions options = optionsFor(Stage::Mlir, {"x86_64-linux-gnu", "aarch64-linux-gnu"});
  EXPECT_NE(errorMessage(compileModel(f32Model.path(), options)).find("exactly one target"),
            std::string::npos);
  DriverOptions tooLong = optionsFor(Stage::Mlir);
  tooLong.learn.maxTokens = 1;
  EXPECT_NE(errorMessage(compileModel(f32Model.path(), tooLong)).find("--learn-max-tokens 1"),
            std::string::npos);
  // Stopping at the yan module decides nothing about learning.
  tooLong.stopAfter = Stage::Yan;
  auto yanOnly = compileModel(f32Model.path(), tooLong);
  EXPECT_TRUE(bool(yanOnly)) << llvm::toString(yanOnly.takeError());
}

// Targets compile concurrently; a failing target's diagnostics come out as
// whole lines naming it, in target order, after every target is done.
TEST_F(DriverTest, ConcurrentTargetsNameTheirDiagnostics) {
  DriverOptions options = optionsFor(Stage::Bundle, {"x86_64-linux-gnu", "aarch64-linux-gnu"});
  options.jobs = 2;
  options.partitionAlignment = 3; // each target's layout pass refuses it
  std::string printed;
  options.printDiagnostics = [&](llvm::StringRef text) { printed += text.str(); };
  auto result = compileModel(f32Model.path(), options);
  // The error after the diagnostics names each failed target too.
  EXPECT_EQ(errorMessage(std::move(result)),
            "x86_64-linux-gnu (x86-64-v3): lowering the yan module to loops failed\n"
            "aarch64-linux-gnu (generic): lowering the yan module to loops failed");
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(printed).rtrim('\n').split(lines, '\n');
  ASSERT_EQ(lines.size(), 2u) << printed;
  const char *labels[] = {"x86_64-linux-gnu (x86-64-v3): ", "aarch64-linux-gnu (generic): "};
  for (auto [line, label] : llvm::zip(lines, labels)) {
    EXPECT_TRUE(line.starts_with(label)) << line.str();
    EXPECT_NE(line.find("error: weight layout: partition alignment 3 is not a power of two"),
              llvm::StringRef::npos)
        << line.str();
  }
}

// Every target reports each codegen step, the fraction never past 1.
TEST_F(DriverTest, ReportsEachTargetsCodegenSteps) {
  DriverOptions options = optionsFor(Stage::Bundle, {"x86_64-linux-gnu", "aarch64-linux-gnu"});
  std::mutex mutex;
  std::vector<std::string> seen;
  options.progress = [&](const ProgressEvent &event) {
    std::lock_guard<std::mutex> lock(mutex);
    EXPECT_EQ(event.stage, "codegen");
    EXPECT_LE(event.fraction, 1.0);
    seen.push_back((event.target + " " + event.item).str());
  };
  ASSERT_TRUE(compile(options));
  std::sort(seen.begin(), seen.end());
  std::vector<std::string> expected;
  for (const char *target : {"aarch64-linux-gnu (generic)", "x86_64-linux-gnu (x86-64-v3)"})
    for (const char *step : kCodeImageSteps)
      expected.push_back(std::string(target) + " " + step);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);
}

} // namespace
} // namespace yan
