//===- HostileConfigTest.cpp - config.json values at integer limits -------===//
//
// Issue 7 ("hostile values"): V, D, L, P, F (and C, K, k) at the limits of
// their integer types, negative, fractional or out of double range are each
// a clear error naming the field; a config that is valid but huge never
// makes the readers allocate by the config's numbers (checkTensors stops at
// the first tensor the file does not have).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/Checkpoint.h"
#include "compiler/import/ModelConfig.h"
#include "compiler/import/RandomModel.h"
#include "compiler/import/SafeTensors.h"
#include "TestSupport.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "gmock/gmock.h"

#include <map>

using namespace yan;
using ::testing::HasSubstr;

namespace {

std::map<std::string, std::string> tinyFields() {
  return {{"model_type", "\"yan\""}, {"vocab_size", "256"},   {"hidden_size", "64"},
          {"num_layers", "2"},       {"num_channels", "4"},   {"slope_window", "4"},
          {"num_partitions", "8"},   {"active_partitions", "2"}, {"partition_size", "32"}};
}

std::string jsonWith(const std::string &key, const std::string &value) {
  auto fields = tinyFields();
  fields[key] = value;
  std::string text = "{";
  for (const auto &[k, v] : fields)
    text += (text.size() > 1 ? ", \"" : "\"") + k + "\": " + v;
  return text + "}";
}

const char *const kIntFields[] = {"vocab_size",     "hidden_size",       "num_layers",
                                  "num_channels",   "slope_window",      "num_partitions",
                                  "active_partitions", "partition_size"};

TEST(HostileConfig, EveryIntegerFieldAtTheLimitsIsAClearError) {
  const char *const values[] = {
      "9223372036854775807",  // INT64_MAX
      "-9223372036854775808", // INT64_MIN
      "9223372036854775808",  // INT64_MAX + 1 (not an int64)
      "18446744073709551615", // UINT64_MAX
      "-1", "0",
      "4294967296",           // 2^32 (an int32 cast would make it 0)
      "2147483648",           // INT32_MAX + 1
      "9007199254740993",     // 2^53 + 1 (not exact as a double)
      "1e300", "1e400", "-1e400", "2.5", "64.0", "\"64\"", "null", "true", "[64]", "{}"};
  for (const char *field : kIntFields)
    for (const char *value : values) {
      auto config = parseModelConfig(jsonWith(field, value), "config.json");
      ASSERT_FALSE(static_cast<bool>(config)) << field << " = " << value;
      std::string message = llvm::toString(config.takeError());
      EXPECT_THAT(message, HasSubstr("config.json")) << field << " = " << value;
      // The field is named, except where the value is refused for what
      // another field must satisfy (e.g. num_channels dividing hidden_size).
      EXPECT_TRUE(message.find(field) != std::string::npos ||
                  message.find("num_channels") != std::string::npos ||
                  message.find("active_partitions") != std::string::npos)
          << field << " = " << value << ": " << message;
    }
}

// Dimensions each within int32 whose products are not representable.
TEST(HostileConfig, ProductsThatOverflowAreRefused) {
  auto fields = tinyFields();
  fields["vocab_size"] = "2147483647";
  fields["hidden_size"] = "2147483647";
  fields["num_channels"] = "2147483647";
  std::string text = "{";
  for (const auto &[k, v] : fields)
    text += (text.size() > 1 ? ", \"" : "\"") + k + "\": " + v;
  auto config = parseModelConfig(text + "}", "config.json");
  ASSERT_FALSE(static_cast<bool>(config));
  llvm::consumeError(config.takeError());
}

// A valid config of 2^31 - 1 layers next to a small checkpoint: refused at
// the first missing tensor, without materializing the 2^31 tensor names.
TEST(HostileConfig, HugeButValidConfigDoesNotAllocateByItsNumbers) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("yan-hostile", dir));
  ModelConfig small;
  small.vocabSize = 16;
  small.hiddenSize = 8;
  small.numLayers = 1;
  small.numChannels = 2;
  small.slopeWindow = 2;
  small.numPartitions = 2;
  small.activePartitions = 1;
  small.partitionSize = 4;
  small.fillDefaults();
  ASSERT_FALSE(static_cast<bool>(writeRandomModel(dir, small, 1, DType::F32)));
  auto weights = SafeTensorsFile::open((dir + "/model.safetensors").str());
  ASSERT_TRUE(static_cast<bool>(weights)) << llvm::toString(weights.takeError());

  ModelConfig huge = small;
  huge.numLayers = 2147483647;
  ASSERT_FALSE(static_cast<bool>(huge.validate()));
  llvm::Error error = checkTensors(huge, **weights);
  ASSERT_TRUE(static_cast<bool>(error));
  EXPECT_THAT(llvm::toString(std::move(error)), HasSubstr("missing tensor 'layers.1."));
  llvm::sys::fs::remove_directories(dir);
}

} // namespace
