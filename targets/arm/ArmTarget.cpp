//===- ArmTarget.cpp - AArch64 ---------------------------------------------===//
#include "targets/TargetDescription.h"

namespace yan {

TargetDescription describeArmTarget() {
  TargetDescription target;
  target.arch = "aarch64";
  target.triple = "aarch64-unknown-linux-gnu";
  target.defaultCpu = "armv8.2-a";
  // Android and Apple parts use 16 KiB pages; a 16 KiB-aligned segment also
  // works on 4 KiB kernels.
  target.weightAlignment = 16384;
  // NEON is 128-bit (4 f32 lanes); we use 8-lane vectors, i.e. two q
  // registers per accumulator, for more FMAs in flight on wide cores.
  target.presets = {
      {"armv8.2-a", "generic", "+v8.2a,+neon,+fp-armv8", 8},
      {"cortex-a53", "cortex-a53", "", 8},
      {"cortex-a76", "cortex-a76", "+dotprod", 8},
  };
  return target;
}

} // namespace yan
