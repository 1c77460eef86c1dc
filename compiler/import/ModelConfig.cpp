//===- ModelConfig.cpp - Yan config.json ----------------------------------===//

#include "compiler/import/ModelConfig.h"
#include "yan/limits.h"
#include "compiler/import/RegularFile.h"
#include "compiler/import/JsonMembers.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

using namespace llvm;

namespace yan {
namespace {

Error configError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

// The integer hyper-parameters, in config.json order, with where they live.
struct IntField {
  StringRef name;
  int64_t ModelConfig::*member;
};

const IntField kIntFields[] = {
    {"vocab_size", &ModelConfig::vocabSize},
    {"hidden_size", &ModelConfig::hiddenSize},
    {"num_layers", &ModelConfig::numLayers},
    {"num_channels", &ModelConfig::numChannels},
    {"slope_window", &ModelConfig::slopeWindow},
    {"num_partitions", &ModelConfig::numPartitions},
    {"active_partitions", &ModelConfig::activePartitions},
    {"partition_size", &ModelConfig::partitionSize},
};

// Fields that Hugging Face tooling adds to every config.json. They say nothing
// about the model's maths, so they are accepted and ignored. Any other unknown
// field is an error: it is most likely a misspelt hyper-parameter.
const StringRef kIgnoredFields[] = {
    "architectures",    "torch_dtype",   "transformers_version",
    "learn_partitions", "_name_or_path",
};

// Dimensions stay below 2^31 so that index arithmetic in 32 bits (as kernels
// may use) never overflows on one axis.
constexpr int64_t kMaxDim = std::numeric_limits<int32_t>::max();

// Limits the memory that default decays/slopes take before anything else is
// read: C floats each. Real models have tens of channels.
constexpr int64_t kMaxChannels = int64_t(1) << 24;

// `value` as Python's repr() writes the float32 value widened to double, but
// with the fewest digits that read back (as float32) to the same value: what
// the reference writes for a float32 hyper-parameter, e.g. 1e-05 for 1e-5f.
std::string formatFloat(float value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "Infinity" : "-Infinity";
  std::string sign = std::signbit(value) ? "-" : "";
  if (value == 0.0f)
    return sign + "0.0";
  // Shortest scientific form that round-trips: the correctly rounded p-digit
  // decimal round-trips whenever any p-digit decimal does.
  char buffer[32];
  for (int digits = 1; digits <= 9; ++digits) {
    snprintf(buffer, sizeof(buffer), "%.*e", digits - 1,
             static_cast<double>(std::fabs(value)));
    if (std::strtof(buffer, nullptr) == std::fabs(value))
      break;
  }
  // buffer is "d.ddde[+-]XX" (or "de[+-]XX" for one digit).
  StringRef text(buffer);
  auto [mantissa, exponentText] = text.split('e');
  std::string significand = mantissa.str();
  llvm::erase(significand, '.');
  int exponent = 0;
  exponentText.consume_front("+"); // getAsInteger takes "-05" but not "+02"
  exponentText.getAsInteger(10, exponent);
  // Python's repr switches to scientific notation outside [1e-4, 1e16).
  if (exponent < -4 || exponent >= 16) {
    std::string result = sign + significand.substr(0, 1);
    if (significand.size() > 1)
      result += "." + significand.substr(1);
    std::string magnitude = std::to_string(std::abs(exponent));
    if (magnitude.size() < 2)
      magnitude = "0" + magnitude;
    return result + "e" + (exponent < 0 ? "-" : "+") + magnitude;
  }
  if (exponent < 0)
    return sign + "0." + std::string(-exponent - 1, '0') + significand;
  size_t integerDigits = static_cast<size_t>(exponent) + 1;
  if (significand.size() <= integerDigits)
    return sign + significand +
           std::string(integerDigits - significand.size(), '0') + ".0";
  return sign + significand.substr(0, integerDigits) + "." +
         significand.substr(integerDigits);
}

// ---- Reading fields --------------------------------------------------------

// A value's text for a message, cut short: it may be a huge array.
std::string excerpt(StringRef raw) {
  raw = raw.trim();
  constexpr size_t kMaxChars = 40;
  return raw.size() <= kMaxChars ? raw.str()
                                 : raw.take_front(kMaxChars).str() + "...";
}

Expected<int64_t> readInteger(StringRef field, const JsonMember &member,
                              const json::Value &value) {
  // The raw text tells "64" from "64.0" or "6.4e1", which llvm::json would
  // all accept as the integer 64.
  if (value.kind() != json::Value::Number ||
      !isJsonIntegerLiteral(member.rawValue.trim()))
    return configError("field '" + field + "' must be an integer, got " +
                       excerpt(member.rawValue));
  std::optional<int64_t> integer = value.getAsInteger();
  if (!integer)
    return configError("field '" + field + "': " + excerpt(member.rawValue) +
                       " is out of range");
  return *integer;
}

Expected<double> readNumber(StringRef field, StringRef raw,
                            const json::Value &value) {
  std::optional<double> number = value.getAsNumber();
  if (!number)
    return configError("field '" + field + "' must be a number, got " +
                       excerpt(raw));
  return *number;
}

Expected<std::vector<float>> readFloatArray(StringRef field, StringRef raw,
                                            const json::Value &value) {
  const json::Array *array = value.getAsArray();
  if (!array)
    return configError("field '" + field +
                       "' must be an array of numbers, got " + excerpt(raw));
  std::vector<float> result;
  for (auto [i, element] : llvm::enumerate(*array)) {
    std::optional<double> number = element.getAsNumber();
    if (!number)
      return configError("field '" + field + "': entry " + Twine(i) +
                         " is not a number");
    result.push_back(static_cast<float>(*number));
  }
  return result;
}

// ---- Size limits -----------------------------------------------------------

// Byte counts at 4 bytes per element (F32, the widest dtype we read), in 128
// bits so the products themselves cannot overflow.
using Wide = __int128;
constexpr Wide kMaxBytes = std::numeric_limits<int64_t>::max();

Error checkSizesRepresentable(const ModelConfig &c) {
  Wide v = c.vocabSize, d = c.hiddenSize, l = c.numLayers, p = c.numPartitions,
       f = c.partitionSize;
  struct Product {
    StringRef field;
    const char *formula;
    Wide bytes;
  };
  const Product products[] = {
      {"vocab_size", "vocab_size * hidden_size * 4 bytes", v * d * 4},
      {"hidden_size", "hidden_size * hidden_size * 4 bytes", d * d * 4},
      {"num_partitions", "num_partitions * hidden_size * 4 bytes", p * d * 4},
      {"partition_size",
       "num_partitions * partition_size * hidden_size * 4 bytes",
       p * f * d * 4},
  };
  for (const Product &product : products)
    if (product.bytes > kMaxBytes)
      return configError("field '" + product.field + "': " + product.formula +
                         " overflows int64");
  Wide perLayer = 4 * d * d + 2 * d + p * d + 3 * p * f * d;
  Wide total = (2 * v * d + l * perLayer + d) * 4;
  if (total > kMaxBytes)
    return configError("field 'num_layers': the model's total size "
                       "(num_layers * per-layer size, 4 bytes per weight) "
                       "overflows int64");
  return Error::success();
}

} // namespace

// ---- Defaults ---------------------------------------------------------------

float ModelConfig::defaultDecay(int64_t c, int64_t numChannels) {
  // decay_c = 1 - 2^-(5 + 5 c / max(C-1, 1)): time constants from 32 to 1024
  // tokens, spread log-uniformly over the channels.
  double spread = 5.0 * static_cast<double>(c) /
                  static_cast<double>(std::max<int64_t>(numChannels - 1, 1));
  return static_cast<float>(1.0 - std::pow(2.0, -(5.0 + spread)));
}

float ModelConfig::defaultSlope(int64_t c, int64_t numChannels,
                                int64_t slopeWindow) {
  // slope_c = (c+1) / (C K): the largest, C/(C K) = 1/K, keeps
  // 1 - (K-1) slope > 0.
  return static_cast<float>(static_cast<double>(c + 1) /
                            static_cast<double>(numChannels * slopeWindow));
}

void ModelConfig::fillDefaults() {
  if (!explicitDecays) {
    decays.clear();
    for (int64_t c = 0; c < numChannels; ++c)
      decays.push_back(defaultDecay(c, numChannels));
  }
  if (!explicitSlopes) {
    slopes.clear();
    for (int64_t c = 0; c < numChannels; ++c)
      slopes.push_back(defaultSlope(c, numChannels, slopeWindow));
  }
}

// ---- Validation -------------------------------------------------------------

// The integer fields alone: checked before defaults are filled in, since
// those are sized by num_channels.
Error ModelConfig::validateDimensions() const {
  for (const IntField &field : kIntFields) {
    int64_t value = this->*field.member;
    if (value <= 0)
      return configError("field '" + field.name + "' must be positive, got " +
                         Twine(value));
    if (value > kMaxDim)
      return configError("field '" + field.name + "': " + Twine(value) +
                         " exceeds the limit " + Twine(kMaxDim));
  }
  if (slopeWindow > YAN_LIMIT_MAX_SLOPE_WINDOW)
    return configError("field 'slope_window': " + Twine(slopeWindow) +
                       " exceeds the limit " + Twine(YAN_LIMIT_MAX_SLOPE_WINDOW) +
                       " (runtime/include/yan/limits.h)");
  if (activePartitions > numPartitions)
    return configError("field 'active_partitions': " + Twine(activePartitions) +
                       " exceeds num_partitions " + Twine(numPartitions));
  if (hiddenSize % numChannels != 0)
    return configError("field 'num_channels': " + Twine(numChannels) +
                       " does not divide hidden_size " + Twine(hiddenSize));
  if (numChannels > kMaxChannels)
    return configError("field 'num_channels': " + Twine(numChannels) +
                       " exceeds the limit " + Twine(kMaxChannels));
  return checkSizesRepresentable(*this);
}

Error ModelConfig::validate() const {
  if (Error err = validateDimensions())
    return err;
  if (!(normEps > 0.0f) || !std::isfinite(normEps))
    return configError("field 'norm_eps' must be positive and finite (as a "
                       "float32), got " +
                       formatFloat(normEps));

  if (static_cast<int64_t>(decays.size()) != numChannels)
    return configError(
        "field 'decays' has " + Twine(decays.size()) +
        " entries, expected num_channels = " + Twine(numChannels));
  for (auto [c, decay] : llvm::enumerate(decays))
    if (!(decay > 0.0f && decay < 1.0f))
      return configError("field 'decays': entry " + Twine(c) + " is " +
                         formatFloat(decay) + ", outside (0, 1)");

  if (static_cast<int64_t>(slopes.size()) != numChannels)
    return configError(
        "field 'slopes' has " + Twine(slopes.size()) +
        " entries, expected num_channels = " + Twine(numChannels));
  for (auto [c, slope] : llvm::enumerate(slopes)) {
    if (!(slope >= 0.0f) || !std::isfinite(slope))
      return configError("field 'slopes': entry " + Twine(c) + " is " +
                         formatFloat(slope) + ", must be >= 0");
    // The oldest of the K window taps keeps weight 1 - (K-1) slope; in
    // float, as the dialect's verifier and the runtime compute it, so a
    // value at the edge is this field's error, not the verifier's.
    float oldestWeight = 1.0f - static_cast<float>(slopeWindow - 1) * slope;
    if (!(oldestWeight > 0.0f))
      return configError("field 'slopes': entry " + Twine(c) + " is " +
                         formatFloat(slope) +
                         ", but 1 - (slope_window - 1) * slope must be > 0 "
                         "(slope_window " +
                         Twine(slopeWindow) + ")");
  }
  return Error::success();
}

// ---- Writing
// ------------------------------------------------------------------

std::string ModelConfig::toJson() const {
  // Python's json.dump(indent=2) layout, in a fixed field order.
  std::string text;
  raw_string_ostream os(text);
  os << "{\n  \"model_type\": \"yan\"";
  for (const IntField &field : kIntFields)
    os << ",\n  \"" << field.name << "\": " << this->*field.member;
  os << ",\n  \"norm_eps\": " << formatFloat(normEps);
  auto writeArray = [&](StringRef name, const std::vector<float> &values) {
    os << ",\n  \"" << name << "\": [";
    for (auto [i, value] : llvm::enumerate(values))
      os << (i ? "," : "") << "\n    " << formatFloat(value);
    os << (values.empty() ? "]" : "\n  ]");
  };
  if (explicitDecays)
    writeArray("decays", decays);
  if (explicitSlopes)
    writeArray("slopes", slopes);
  os << "\n}\n";
  return text;
}

// ---- Parsing
// ------------------------------------------------------------------

Expected<ModelConfig> parseModelConfig(StringRef json, StringRef fileName) {
  auto fail = [&](Error err) -> Expected<ModelConfig> {
    return configError(fileName + ": " + toString(std::move(err)));
  };
  Expected<ParsedJsonObject> parsed = parseJsonObject(json);
  if (!parsed)
    return fail(parsed.takeError());
  if (const JsonMember *duplicate = findDuplicateKey(parsed->members))
    return fail(configError("duplicate field '" + duplicate->key + "'"));

  ModelConfig config;
  StringSet<> seen;
  for (const JsonMember &member : parsed->members) {
    StringRef key = member.key;
    const json::Value &value = *parsed->object.get(key);
    seen.insert(key);
    if (key == "model_type") {
      std::optional<StringRef> type = value.getAsString();
      if (!type || *type != "yan")
        return fail(configError("field 'model_type' must be \"yan\", got " +
                                excerpt(member.rawValue)));
      continue;
    }
    const IntField *intField = llvm::find_if(
        kIntFields, [&](const IntField &f) { return f.name == key; });
    if (intField != std::end(kIntFields)) {
      Expected<int64_t> integer = readInteger(key, member, value);
      if (!integer)
        return fail(integer.takeError());
      config.*intField->member = *integer;
      continue;
    }
    if (key == "norm_eps") {
      Expected<double> eps = readNumber(key, member.rawValue, value);
      if (!eps)
        return fail(eps.takeError());
      config.normEps = static_cast<float>(*eps);
      continue;
    }
    if (key == "decays" || key == "slopes") {
      Expected<std::vector<float>> values =
          readFloatArray(key, member.rawValue, value);
      if (!values)
        return fail(values.takeError());
      if (key == "decays") {
        config.decays = std::move(*values);
        config.explicitDecays = true;
      } else {
        config.slopes = std::move(*values);
        config.explicitSlopes = true;
      }
      continue;
    }
    if (!llvm::is_contained(kIgnoredFields, key))
      return fail(configError("unknown field '" + key + "'"));
  }

  if (!seen.contains("model_type"))
    return fail(configError("missing required field 'model_type'"));
  for (const IntField &field : kIntFields)
    if (!seen.contains(field.name))
      return fail(configError("missing required field '" + field.name + "'"));

  // Defaults depend on C and K: fill them only once those are known valid
  // (a huge C would otherwise allocate before validation rejects it).
  if (Error err = config.validateDimensions())
    return fail(std::move(err));
  config.fillDefaults();
  if (Error err = config.validate())
    return fail(std::move(err));
  return config;
}

Expected<ModelConfig> readModelConfig(StringRef path) {
  Expected<std::unique_ptr<MemoryBuffer>> buffer =
      readRegularFile(path, kMaxTextFileBytes, /*text=*/true);
  if (!buffer)
    return configError(toString(buffer.takeError()));
  return parseModelConfig((*buffer)->getBuffer(), path);
}

} // namespace yan
