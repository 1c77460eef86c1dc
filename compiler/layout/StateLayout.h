//===- StateLayout.h - Where each layer's state lives ------------*- C++ -*-===//
//
// The session state is one float array: per layer h [D] then u_hist [K-1, D]
// (oldest row first), layers in order, no padding — the flat layout of
// test/reference/golden.py. Codegen bakes these offsets in; the bundle
// records them so the runtime can check and expose them.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LAYOUT_STATELAYOUT_H
#define YAN_COMPILER_LAYOUT_STATELAYOUT_H

#include "compiler/import/ModelConfig.h"

#include <cstdint>
#include <vector>

namespace yan {

struct LayerStateLayout {
  uint64_t hOffset = 0;     // floats
  std::vector<int64_t> hShape;
  uint64_t uHistOffset = 0; // floats
  std::vector<int64_t> uHistShape;
};

struct StateLayout {
  std::vector<LayerStateLayout> layers;
  uint64_t stateFloats = 0;
};

/// The layout for a validated config.
StateLayout computeStateLayout(const ModelConfig &config);

} // namespace yan

#endif // YAN_COMPILER_LAYOUT_STATELAYOUT_H
