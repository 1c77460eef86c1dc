//===- ModelConfigTest.cpp - config.json parsing and validation -----------===//

#include "compiler/import/ModelConfig.h"
#include "TestSupport.h"

#include "llvm/ADT/StringExtras.h"
#include "gmock/gmock.h"
#include <map>

using namespace yan;
using namespace yan::test;
using ::testing::HasSubstr;

namespace {

// The tiny preset's fields, as a map so each test can change one.
std::map<std::string, std::string> tinyFields() {
  return {{"model_type", "\"yan\""}, {"vocab_size", "256"},
          {"hidden_size", "64"},     {"num_layers", "2"},
          {"num_channels", "4"},     {"slope_window", "4"},
          {"num_partitions", "8"},   {"active_partitions", "2"},
          {"partition_size", "32"}};
}

std::string toJsonText(const std::map<std::string, std::string> &fields) {
  std::string text = "{";
  for (const auto &[key, value] : fields)
    text += (text.size() > 1 ? ", \"" : "\"") + key + "\": " + value;
  return text + "}";
}

// Parses the tiny config with `key` set to `rawValue` (or removed if empty).
llvm::Expected<ModelConfig> parseWith(const std::string &key,
                                      const std::string &rawValue) {
  auto fields = tinyFields();
  if (rawValue.empty())
    fields.erase(key);
  else
    fields[key] = rawValue;
  return parseModelConfig(toJsonText(fields), "config.json");
}

std::string errorWith(const std::string &key, const std::string &rawValue) {
  return errorMessage(parseWith(key, rawValue));
}

TEST(ModelConfig, ParsesTinyAndFillsDefaults) {
  YAN_ASSERT_EXPECTED(
      config, parseModelConfig(toJsonText(tinyFields()), "config.json"));
  EXPECT_EQ(config->vocabSize, 256);
  EXPECT_EQ(config->hiddenSize, 64);
  EXPECT_EQ(config->numLayers, 2);
  EXPECT_EQ(config->numChannels, 4);
  EXPECT_EQ(config->slopeWindow, 4);
  EXPECT_EQ(config->numPartitions, 8);
  EXPECT_EQ(config->activePartitions, 2);
  EXPECT_EQ(config->partitionSize, 32);
  EXPECT_EQ(config->normEps, 1e-5f);
  EXPECT_FALSE(config->explicitDecays);
  EXPECT_FALSE(config->explicitSlopes);
  // decay_c = 1 - 2^-(5 + 5c/3): exact powers of two at both ends.
  ASSERT_EQ(config->decays.size(), 4u);
  EXPECT_EQ(config->decays[0], 0.96875f);      // 1 - 2^-5
  EXPECT_EQ(config->decays[3], 0.9990234375f); // 1 - 2^-10
  EXPECT_EQ(config->decays[1],
            static_cast<float>(1.0 - std::pow(2.0, -(5.0 + 5.0 / 3.0))));
  // slope_c = (c+1) / (C K) = (c+1) / 16.
  ASSERT_EQ(config->slopes.size(), 4u);
  EXPECT_EQ(config->slopes[0], 0.0625f);
  EXPECT_EQ(config->slopes[3], 0.25f);
}

TEST(ModelConfig, DefaultsWithOneChannel) {
  // max(C-1, 1) keeps C = 1 from dividing by zero.
  EXPECT_EQ(ModelConfig::defaultDecay(0, 1), 0.96875f);
  EXPECT_EQ(ModelConfig::defaultSlope(0, 1, 4), 0.25f);
  // Computed in double, rounded to float once: 1/3 is not 1.0f/3.0f chains.
  EXPECT_EQ(ModelConfig::defaultSlope(0, 3, 1), static_cast<float>(1.0 / 3.0));
}

TEST(ModelConfig, AcceptsHuggingFaceExtras) {
  auto fields = tinyFields();
  fields["architectures"] = "[\"YanForCausalLM\"]";
  fields["torch_dtype"] = "\"float32\"";
  fields["transformers_version"] = "\"4.40.0\"";
  fields["learn_partitions"] = "true";
  EXPECT_TRUE(bool(parseModelConfig(toJsonText(fields), "config.json")));
}

TEST(ModelConfig, ExplicitDecaysAndSlopes) {
  auto fields = tinyFields();
  fields["decays"] = "[0.5, 0.25, 0.125, 0.9]";
  fields["slopes"] = "[0, 0.1, 0.2, 0.3]";
  fields["norm_eps"] = "1e-6";
  YAN_ASSERT_EXPECTED(config,
                      parseModelConfig(toJsonText(fields), "config.json"));
  EXPECT_TRUE(config->explicitDecays);
  EXPECT_TRUE(config->explicitSlopes);
  EXPECT_EQ(config->decays, (std::vector<float>{0.5f, 0.25f, 0.125f, 0.9f}));
  EXPECT_EQ(config->slopes, (std::vector<float>{0.0f, 0.1f, 0.2f, 0.3f}));
  EXPECT_EQ(config->normEps, 1e-6f);
}

TEST(ModelConfig, ToJsonMatchesPythonLayout) {
  YAN_ASSERT_EXPECTED(
      config, parseModelConfig(toJsonText(tinyFields()), "config.json"));
  // What json.dump(indent=2) + "\n" writes in gen_model.py.
  EXPECT_EQ(config->toJson(), "{\n"
                              "  \"model_type\": \"yan\",\n"
                              "  \"vocab_size\": 256,\n"
                              "  \"hidden_size\": 64,\n"
                              "  \"num_layers\": 2,\n"
                              "  \"num_channels\": 4,\n"
                              "  \"slope_window\": 4,\n"
                              "  \"num_partitions\": 8,\n"
                              "  \"active_partitions\": 2,\n"
                              "  \"partition_size\": 32,\n"
                              "  \"norm_eps\": 1e-05\n"
                              "}\n");
}

TEST(ModelConfig, ToJsonRoundTripsExplicitArrays) {
  auto fields = tinyFields();
  fields["decays"] = "[0.5, 0.25, 0.125, 0.9]";
  YAN_ASSERT_EXPECTED(config,
                      parseModelConfig(toJsonText(fields), "config.json"));
  std::string json = config->toJson();
  EXPECT_THAT(json,
              HasSubstr("\"norm_eps\": 1e-05,\n  \"decays\": [\n"
                        "    0.5,\n    0.25,\n    0.125,\n    0.9\n  ]\n}"));
  EXPECT_THAT(json, ::testing::Not(HasSubstr("slopes")));
  YAN_ASSERT_EXPECTED(again, parseModelConfig(json, "config.json"));
  EXPECT_EQ(again->decays, config->decays);
  EXPECT_EQ(again->slopes, config->slopes);
  EXPECT_TRUE(again->explicitDecays);
  EXPECT_FALSE(again->explicitSlopes);
}

TEST(ModelConfig, ToJsonWritesFloatsAsPythonRepr) {
  // Shortest digits that read back to the same float32, in repr()'s format.
  const std::pair<float, const char *> cases[] = {
      {1e-5f, "1e-05"},    {1e-6f, "1e-06"},    {2.5e-7f, "2.5e-07"},
      {0.001f, "0.001"},   {0.0001f, "0.0001"}, {0.5f, "0.5"},
      {1.0f, "1.0"},       {100.0f, "100.0"},   {1e16f, "1e+16"},
      {123.25f, "123.25"}, {0.1f, "0.1"},       {3e-5f, "3e-05"},
  };
  auto config = parseModelConfig(toJsonText(tinyFields()), "config.json");
  ASSERT_TRUE(bool(config));
  for (auto [value, text] : cases) {
    config->normEps = value;
    EXPECT_THAT(config->toJson(),
                HasSubstr("\"norm_eps\": " + std::string(text) + "\n"))
        << text;
  }
}

TEST(ModelConfig, ReadsFile) {
  TempDir dir;
  writeFile(dir.file("config.json"), toJsonText(tinyFields()));
  YAN_ASSERT_EXPECTED(config, readModelConfig(dir.file("config.json")));
  EXPECT_EQ(config->hiddenSize, 64);
  EXPECT_THAT(errorMessage(readModelConfig(dir.file("nope.json"))),
              HasSubstr("nope.json: cannot read"));
}

// ---- Malformed files
// ----------------------------------------------------------

TEST(ModelConfigErrors, InvalidJsonNamesPosition) {
  std::string message =
      errorMessage(parseModelConfig("{\"vocab_size\" 1}", "config.json"));
  EXPECT_THAT(message, HasSubstr("config.json: invalid JSON: [1:15, byte=15]"));
  EXPECT_THAT(message, HasSubstr("Expected : after object key"));
}

TEST(ModelConfigErrors, NotAnObject) {
  EXPECT_THAT(errorMessage(parseModelConfig("[1, 2]", "config.json")),
              HasSubstr("config.json: the JSON value is not an object"));
}

TEST(ModelConfigErrors, NestingTooDeep) {
  auto fields = tinyFields();
  fields["architectures"] = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_THAT(errorMessage(parseModelConfig(toJsonText(fields), "config.json")),
              HasSubstr("nests deeper than"));
}

TEST(ModelConfigErrors, ModelType) {
  EXPECT_THAT(errorWith("model_type", "\"llama\""),
              HasSubstr("field 'model_type' must be \"yan\", got \"llama\""));
  EXPECT_THAT(errorWith("model_type", "7"),
              HasSubstr("field 'model_type' must be \"yan\""));
  EXPECT_THAT(errorWith("model_type", ""),
              HasSubstr("missing required field 'model_type'"));
}

TEST(ModelConfigErrors, MissingEachRequiredField) {
  for (const char *field : {"vocab_size", "hidden_size", "num_layers",
                            "num_channels", "slope_window", "num_partitions",
                            "active_partitions", "partition_size"})
    EXPECT_THAT(errorWith(field, ""),
                HasSubstr("config.json: missing required field '" +
                          std::string(field) + "'"));
}

TEST(ModelConfigErrors, WrongTypes) {
  EXPECT_THAT(errorWith("hidden_size", "\"64\""),
              HasSubstr("field 'hidden_size' must be an integer, got \"64\""));
  EXPECT_THAT(errorWith("hidden_size", "64.5"),
              HasSubstr("field 'hidden_size' must be an integer, got 64.5"));
  // Integral but written as a float: a sign of a broken writer.
  EXPECT_THAT(errorWith("hidden_size", "64.0"),
              HasSubstr("field 'hidden_size' must be an integer, got 64.0"));
  EXPECT_THAT(errorWith("hidden_size", "6.4e1"),
              HasSubstr("must be an integer"));
  // Messages quote a value only in part: it may be huge.
  std::string huge =
      errorWith("num_layers", "\"" + std::string(5000, 'x') + "\"");
  EXPECT_THAT(huge, HasSubstr("must be an integer, got \"xxx"));
  EXPECT_THAT(huge, HasSubstr("x..."));
  EXPECT_LT(huge.size(), 200u);
  EXPECT_THAT(errorWith("num_layers", "true"),
              HasSubstr("field 'num_layers' must be an integer, got true"));
  EXPECT_THAT(errorWith("num_layers", "null"),
              HasSubstr("field 'num_layers' must be an integer, got null"));
  EXPECT_THAT(errorWith("num_layers", "[2]"),
              HasSubstr("field 'num_layers' must be an integer"));
  EXPECT_THAT(errorWith("norm_eps", "\"1e-5\""),
              HasSubstr("field 'norm_eps' must be a number"));
  EXPECT_THAT(errorWith("decays", "0.5"),
              HasSubstr("field 'decays' must be an array of numbers"));
  EXPECT_THAT(errorWith("slopes", "[0.1, \"x\", 0.1, 0.1]"),
              HasSubstr("field 'slopes': entry 1 is not a number"));
}

TEST(ModelConfigErrors, NonPositiveSizes) {
  EXPECT_THAT(errorWith("vocab_size", "0"),
              HasSubstr("field 'vocab_size' must be positive, got 0"));
  EXPECT_THAT(errorWith("partition_size", "-3"),
              HasSubstr("field 'partition_size' must be positive, got -3"));
  // K < 1.
  EXPECT_THAT(errorWith("slope_window", "0"),
              HasSubstr("field 'slope_window' must be positive, got 0"));
  EXPECT_THAT(errorWith("active_partitions", "0"),
              HasSubstr("field 'active_partitions' must be positive"));
}

TEST(ModelConfigErrors, SizeLimits) {
  EXPECT_THAT(errorWith("vocab_size", "2147483648"),
              HasSubstr("field 'vocab_size': 2147483648 exceeds the limit "
                        "2147483647"));
  EXPECT_THAT(errorWith("vocab_size", "99999999999999999999"),
              HasSubstr("field 'vocab_size': 99999999999999999999 is out of "
                        "range"));
  EXPECT_THAT(errorWith("vocab_size", "-99999999999999999999"),
              HasSubstr("field 'vocab_size'"));
}

TEST(ModelConfigErrors, ProductsThatOverflow) {
  auto fields = tinyFields();
  fields["vocab_size"] = "2147483647";
  fields["hidden_size"] = "2147483647";
  fields["num_channels"] = "1";
  EXPECT_THAT(errorMessage(parseModelConfig(toJsonText(fields), "config.json")),
              HasSubstr("field 'vocab_size': vocab_size * hidden_size * 4 "
                        "bytes overflows int64"));

  fields = tinyFields();
  fields["num_partitions"] = "2147483647";
  fields["partition_size"] = "2147483647";
  EXPECT_THAT(errorMessage(parseModelConfig(toJsonText(fields), "config.json")),
              HasSubstr("field 'partition_size': num_partitions * "
                        "partition_size * hidden_size * 4 bytes overflows"));

  // Each tensor fits, but L layers of them do not.
  fields = tinyFields();
  fields["num_layers"] = "2147483647";
  fields["partition_size"] = "2000000";
  EXPECT_THAT(errorMessage(parseModelConfig(toJsonText(fields), "config.json")),
              HasSubstr("field 'num_layers': the model's total size"));

  // Large but representable is fine: validation must not reject real models.
  fields = tinyFields();
  fields["num_layers"] = "2147483647";
  EXPECT_TRUE(bool(parseModelConfig(toJsonText(fields), "config.json")));
}

TEST(ModelConfigErrors, ActivePartitionsAboveTotal) {
  EXPECT_THAT(errorWith("active_partitions", "9"),
              HasSubstr("field 'active_partitions': 9 exceeds num_partitions "
                        "8"));
}

TEST(ModelConfigErrors, ChannelsMustDivideHidden) {
  EXPECT_EQ(errorWith("num_channels", "5"),
            "config.json: field 'num_channels': 5 does not divide hidden_size "
            "64");
}

TEST(ModelConfigErrors, DecayCountAndRange) {
  EXPECT_THAT(errorWith("decays", "[0.5, 0.5, 0.5]"),
              HasSubstr("field 'decays' has 3 entries, expected num_channels "
                        "= 4"));
  EXPECT_THAT(errorWith("decays", "[0.5, 0.5, 1.0, 0.5]"),
              HasSubstr("field 'decays': entry 2 is 1.0, outside (0, 1)"));
  EXPECT_THAT(errorWith("decays", "[0, 0.5, 0.5, 0.5]"),
              HasSubstr("field 'decays': entry 0 is 0.0, outside (0, 1)"));
  // 0.99999999 rounds to 1.0f: the float32 value is what must be in range.
  EXPECT_THAT(errorWith("decays", "[0.5, 0.99999999, 0.5, 0.5]"),
              HasSubstr("entry 1 is 1.0, outside (0, 1)"));
}

TEST(ModelConfigErrors, SlopeCountAndRange) {
  EXPECT_THAT(errorWith("slopes", "[0.1]"),
              HasSubstr("field 'slopes' has 1 entries, expected num_channels "
                        "= 4"));
  EXPECT_THAT(errorWith("slopes", "[0.1, -0.5, 0.1, 0.1]"),
              HasSubstr("field 'slopes': entry 1 is -0.5, must be >= 0"));
  // K = 4: 1 - 3 * slope must stay positive.
  EXPECT_THAT(errorWith("slopes", "[0.1, 0.1, 0.1, 0.5]"),
              HasSubstr("field 'slopes': entry 3 is 0.5, but 1 - "
                        "(slope_window - 1) * slope must be > 0 "
                        "(slope_window 4)"));
  EXPECT_THAT(errorWith("slopes", "[0.1, 0.1, 0.1, 0.3333333333333333]"),
              HasSubstr("entry 3"));
  EXPECT_TRUE(bool(parseWith("slopes", "[0, 0, 0, 0.33]")));
}

TEST(ModelConfigErrors, NormEps) {
  EXPECT_THAT(errorWith("norm_eps", "0"),
              HasSubstr("field 'norm_eps' must be positive and finite"));
  EXPECT_THAT(errorWith("norm_eps", "-1e-5"),
              HasSubstr("field 'norm_eps' must be positive and finite"));
  // Positive doubles that are not positive finite float32 values.
  EXPECT_THAT(errorWith("norm_eps", "1e-50"),
              HasSubstr("field 'norm_eps' must be positive and finite"));
  EXPECT_THAT(errorWith("norm_eps", "1e300"),
              HasSubstr("field 'norm_eps' must be positive and finite (as a "
                        "float32), got Infinity"));
}

TEST(ModelConfigErrors, UnknownField) {
  EXPECT_THAT(errorWith("hiden_size", "64"),
              HasSubstr("config.json: unknown field 'hiden_size'"));
}

TEST(ModelConfigErrors, DuplicateField) {
  std::string json = toJsonText(tinyFields());
  json.insert(1, "\"hidden_size\": 32, ");
  EXPECT_THAT(errorMessage(parseModelConfig(json, "config.json")),
              HasSubstr("config.json: duplicate field 'hidden_size'"));
}

TEST(ModelConfig, ValidateWithoutDefaultsComplains) {
  // A config built in code must fill its defaults before validating.
  ModelConfig config;
  config.vocabSize = 4, config.hiddenSize = 4, config.numLayers = 1;
  config.numChannels = 2, config.slopeWindow = 1, config.numPartitions = 1;
  config.activePartitions = 1, config.partitionSize = 1;
  EXPECT_THAT(errorMessage(config.validate()),
              HasSubstr("field 'decays' has 0 entries"));
  config.fillDefaults();
  EXPECT_FALSE(bool(config.validate()));
}

} // namespace
