//===- X86Target.cpp - x86-64 ---------------------------------------------===//
#include "targets/TargetDescription.h"

namespace yan {

TargetDescription describeX86Target() {
  // The x86-64 micro-architecture levels: v2 (SSE4.2, 4 lanes), v3 (AVX2 +
  // FMA, 8 lanes: the default), v4 (AVX-512; we keep 8 lanes, since 512-bit
  // vectors down-clock many parts and decode is memory-bound). The fused
  // int8/int4 decode kernel is bound by widening q (vpmovsxbd + vcvtdq2ps
  // per vector), not by the bus: v4 widens 16 at a time (two chunks a
  // group), v3 8 (four), v2 4.
  static const CpuPreset presets[] = {
      // name        LLVM CPU     features  tiles {f32 lanes, row block,
      //                                           quant lanes, dequant rows}
      {"x86-64-v2", "x86-64-v2", "", {4, 4, 4, 16}},
      {"x86-64-v3", "x86-64-v3", "", {8, 4, 8, 16}},
      {"x86-64-v4", "x86-64-v4", "", {8, 4, 16, 16}},
  };
  return describeTarget({Arch::x86_64, "x86_64-unknown-linux-gnu",
                         /*defaultCpu=*/"x86-64-v3", /*pageSize=*/4096,
                         /*abiName=*/"",
                         // F16C (vcvtph2ps): in v3 and v4, not in v2.
                         /*f16ConversionFeature=*/"f16c"},
                        presets);
}

} // namespace yan
