//===- X86Target.cpp - x86-64 ---------------------------------------------===//
#include "targets/TargetDescription.h"

namespace yan {

TargetDescription describeX86Target() {
  // The x86-64 micro-architecture levels: v2 (SSE4.2, 4 lanes), v3 (AVX2 +
  // FMA, 8 lanes: the default), v4 (AVX-512, 16 lanes in zmm registers).
  // v4 kept 8 lanes until yan-bench ran on an AMD Zen 5 (full-width 512-bit
  // FMA: a probe of 270 GFLOP/s per core against 135 with 256-bit vectors):
  // there 16 lanes and the 8 x 2 tile took 128-token prefill of `small`
  // from 1026 to 1583-1633 tokens/s and f32 decode from 225 to 255-292
  // (docs/performance.md). On Zen 4, which issues a 512-bit FMA as two
  // 256-bit halves, a zmm FMA does the work of two ymm ones. The fused
  // int8/int4 decode kernel is bound by widening q (vpmovsxbd + vcvtdq2ps
  // per vector), not by the bus: v4 widens 16 at a time (two chunks a
  // group), v3 8 (four), v2 4.
  // Register tiles (KernelTiles): v3's dot tile is 4 rows x 3 tokens (12
  // accumulators + 3 token vectors + 1 weight vector at a time = 16 ymm; 7
  // loads feed 12 FMAs, against 6 for 8 in the 4 x 2 tile it replaced,
  // which on a Zen 3 took 128-token prefill of `small` ~10% longer); its
  // transposed tile 4 outputs x 3 vectors (12 + 3 inputs + 1 broadcast =
  // 16). v4: 8 x 2 (16 + 8 + 2 of 32 zmm: a prefill call gives a partition
  // few tokens, so more rows per token load pay; 4 x 4 was 15-19% slower)
  // and 4 x 4 (16 + 4 + 1; 8 x 3 was 12% slower in the learn step).
  static const CpuPreset presets[] = {
      // name        LLVM CPU     features  tiles {f32 lanes, row block,
      //   dot vectors, accumulate outputs, accumulate vectors, quant lanes,
      //   dequant rows}
      {"x86-64-v2", "x86-64-v2", "", {4, 4, 2, 4, 2, 4, 16}},
      {"x86-64-v3", "x86-64-v3", "", {8, 4, 3, 4, 3, 8, 16}},
      {"x86-64-v4", "x86-64-v4", "", {16, 8, 2, 4, 4, 16, 16}},
      // v4 plus AVX512-BF16 (Zen 4 and 5, Cooper Lake, Sapphire Rapids and
      // later): the int4 decode kernel multiplies nibbles looked up as bf16
      // (vpermw) with two bf16 limbs of x (vdpbf16ps), 128 weights in 8 dot
      // instructions instead of 16 widenings and conversions (a C model of
      // the loop on Zen 5, L2-resident rows: 37 -> 77 G weights/s per core;
      // `small` int4 decode at 1 thread 998-1024 -> 1274-1370 tokens/s).
      {"x86-64-v4-bf16", "x86-64-v4", "+avx512bf16", {16, 8, 2, 4, 4, 16, 16}},
  };
  return describeTarget({Arch::x86_64, "x86_64-unknown-linux-gnu",
                         /*defaultCpu=*/"x86-64-v3", /*pageSize=*/4096,
                         /*abiName=*/"",
                         // F16C (vcvtph2ps): in v3 and v4, not in v2.
                         /*f16ConversionFeature=*/"f16c",
                         /*bf16PairDot=*/
                         {"avx512bf16", "llvm.x86.avx512bf16.dpbf16ps.512",
                          "llvm.x86.avx512.permvar.hi.512"}},
                        presets);
}

} // namespace yan
