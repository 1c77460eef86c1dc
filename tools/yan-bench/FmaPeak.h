//===- FmaPeak.h - Measured f32 FMA peak of this CPU ---------------*- C++ -*-===//
//
// The compute roof a bundle's kernels are measured against: f32 fused
// multiply-adds on independent register chains (enough of them to cover the
// FMA latency of every core we target), at the vector width the image this
// host loaded may use, on as many threads as the run. A FLOP is half an FMA
// lane; a CPU without FMA (x86-64 before v3) is measured with a multiply and
// an add per lane instead.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TOOLS_YANBENCH_FMAPEAK_H
#define YAN_TOOLS_YANBENCH_FMAPEAK_H

#include "yan/runtime.h"

#include <string>

namespace yan::tools {

struct FmaProbe {
  unsigned vectorBits = 0; // 0: scalar; RVV: the CPU's VLEN, found by the probe
  std::string isa;         // what is timed: "avx512f", "avx2+fma", "sse", "neon", "rvv", "scalar"
};

/// The widest f32 FMA the image may use: from its triple's architecture and
/// the features the runtime checked before loading it (required_features).
FmaProbe fmaProbeForImage(yan_arch_t arch, const char *requiredFeatures);

/// FLOP/s of `threads` threads running the probe at once, best of 3 passes
/// of about 50 ms each. Fills `probe->vectorBits` for RVV.
double measureFmaPeak(FmaProbe *probe, unsigned threads);

} // namespace yan::tools

#endif // YAN_TOOLS_YANBENCH_FMAPEAK_H
