//===- WeightSegment.cpp - A checkpoint's bytes placed per the layout -----===//
#include "compiler/layout/WeightSegment.h"

namespace yan {

std::vector<BundleWeight> bundleWeights(const WeightLayout &layout,
                                        const Checkpoint &checkpoint) {
  std::vector<BundleWeight> weights;
  for (const WeightPlacement &p : layout.weights) {
    BundleWeight w;
    w.name = p.name;
    w.format = WeightFormat{p.dtype, p.quant};
    w.shape = p.shape;
    w.offset = p.offset;
    w.numPartitions = p.numPartitions;
    w.partitionBytes = p.partitionBytes;
    w.partitionStride = p.partitionStride;
    const TensorView *tensor = &checkpoint.tensor(p.name);
    WeightFormat format = w.format;
    int64_t parts = p.numPartitions;
    w.writePartition = [tensor, format, parts](int64_t partition, ByteSink sink) {
      return streamPartition(*tensor, format, parts, partition, sink);
    };
    weights.push_back(std::move(w));
  }
  return weights;
}

} // namespace yan
