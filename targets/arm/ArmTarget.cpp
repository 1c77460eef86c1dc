//===- ArmTarget.cpp - AArch64 ---------------------------------------------===//
#include "targets/TargetDescription.h"

namespace yan {

TargetDescription describeArmTarget() {
  // NEON is 128-bit (4 f32 lanes); we use 8-lane vectors, i.e. two q
  // registers per accumulator, for more FMAs in flight on wide cores; the
  // fused int8/int4 kernel likewise widens 8 q's (two sxtl / scvtf pairs)
  // per chunk, four chunks a group. Register tiles: 4 rows x 2 tokens (8
  // accumulators = 16 q, + 4 weight and 2 token vectors = 12 q) and 4
  // outputs x 2 vectors (16 q + 4 q inputs + a broadcast).
  static const CpuPreset presets[] = {
      // name         LLVM CPU      features                   tiles {f32
      //   lanes, row block, dot vectors, accumulate outputs, accumulate
      //   vectors, quant lanes, dequant rows}
      {"armv8.2-a", "generic", "+v8.2a,+neon,+fp-armv8", {8, 4, 2, 4, 2, 8, 16}},
      {"cortex-a53", "cortex-a53", "", {8, 4, 2, 4, 2, 8, 16}},
      {"cortex-a76", "cortex-a76", "+dotprod", {8, 4, 2, 4, 2, 8, 16}},
  };
  // Android and Apple parts use 16 KiB pages; a 16 KiB-aligned segment also
  // works on 4 KiB kernels.
  return describeTarget({Arch::aarch64, "aarch64-unknown-linux-gnu",
                         /*defaultCpu=*/"armv8.2-a", /*pageSize=*/16384,
                         /*abiName=*/""},
                        presets);
}

} // namespace yan
