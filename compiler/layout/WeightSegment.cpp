//===- WeightSegment.cpp - A checkpoint's bytes placed per the layout -----===//
#include "compiler/layout/WeightSegment.h"

namespace yan {

std::vector<BundleWeight> bundleWeights(const WeightLayout &layout,
                                        const Checkpoint &checkpoint) {
  std::vector<BundleWeight> weights;
  for (const WeightPlacement &p : layout.weights) {
    BundleWeight w;
    w.name = p.name;
    w.dtype = p.dtype;
    w.shape = p.shape;
    w.offset = p.offset;
    w.numPartitions = p.numPartitions;
    w.partitionStride = p.partitionStride;
    w.bytes = checkpoint.tensor(p.name).bytes;
    weights.push_back(std::move(w));
  }
  return weights;
}

} // namespace yan
