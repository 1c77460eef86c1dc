//===- StateLayout.cpp - Where each layer's state lives -------------------===//
#include "compiler/layout/StateLayout.h"

namespace yan {

StateLayout computeStateLayout(const ModelConfig &config) {
  StateLayout layout;
  uint64_t d = static_cast<uint64_t>(config.hiddenSize);
  uint64_t k = static_cast<uint64_t>(config.slopeWindow);
  for (int64_t l = 0; l < config.numLayers; ++l) {
    LayerStateLayout layer;
    layer.hOffset = static_cast<uint64_t>(l) * k * d;
    layer.hShape = {config.hiddenSize};
    layer.uHistOffset = layer.hOffset + d;
    layer.uHistShape = {config.slopeWindow - 1, config.hiddenSize};
    layout.layers.push_back(std::move(layer));
  }
  layout.stateFloats = static_cast<uint64_t>(config.numLayers) * k * d;
  return layout;
}

} // namespace yan
