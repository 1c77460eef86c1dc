//===- ModelConfig.h - Yan config.json ---------------------------*- C++ -*-===//
//
// The hyper-parameters of a Yan model (docs/yan-model.md), read from
// config.json and validated as a whole: every inconsistency is an error
// naming the field.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_MODELCONFIG_H
#define YAN_COMPILER_IMPORT_MODELCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <string>
#include <vector>

namespace yan {

struct ModelConfig {
  int64_t vocabSize = 0;        // V
  int64_t hiddenSize = 0;       // D
  int64_t numLayers = 0;        // L
  int64_t numChannels = 0;      // C, D % C == 0
  int64_t slopeWindow = 0;      // K >= 1
  int64_t numPartitions = 0;    // P
  int64_t activePartitions = 0; // k, 1 <= k <= P
  int64_t partitionSize = 0;    // F
  float normEps = 1e-5f;
  // Always filled after parsing: from the file, or the documented defaults.
  std::vector<float> decays; // [C], each in (0, 1)
  std::vector<float> slopes; // [C], >= 0 and 1 - (K-1)*slope > 0
  // Whether decays/slopes came from the file (a writer round-trips them).
  bool explicitDecays = false;
  bool explicitSlopes = false;

  /// Channel c's decay and slope defaults, computed in double and rounded to
  /// float once, as the reference does.
  static float defaultDecay(int64_t c, int64_t numChannels);
  static float defaultSlope(int64_t c, int64_t numChannels,
                            int64_t slopeWindow);

  /// Sets decays/slopes that were not given explicitly to the defaults (for
  /// configs built in code; parsing does it already).
  void fillDefaults();

  /// Checks the integer fields alone (positive, in range, consistent, sizes
  /// representable); validate() does this first.
  llvm::Error validateDimensions() const;

  /// Checks every constraint of docs/yan-model.md, including limits that keep
  /// sizes representable (no product of dimensions overflows int64).
  llvm::Error validate() const;

  /// config.json text for this config (fields in a fixed order).
  std::string toJson() const;
};

/// Parses and validates config.json text. `fileName` is used in messages.
llvm::Expected<ModelConfig> parseModelConfig(llvm::StringRef json,
                                             llvm::StringRef fileName);

/// Reads and validates a config.json file.
llvm::Expected<ModelConfig> readModelConfig(llvm::StringRef path);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_MODELCONFIG_H
