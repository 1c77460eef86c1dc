//===- RiscvTarget.cpp - RV64 ----------------------------------------------===//
#include "targets/TargetDescription.h"

namespace yan {

TargetDescription describeRiscvTarget() {
  // Debian's riscv64 is lp64d: float features are required to link with its
  // libraries and to match the runtime's calling convention (hence the ABI
  // name below). Fixed 8-lane vectors map onto RVV register groups for any
  // VLEN >= 128; without V they are scalarized.
  const char *rv64gc = "+m,+a,+f,+d,+c";
  const char *rv64gcv = "+m,+a,+f,+d,+c,+v";
  const CpuPreset presets[] = {
      // name           LLVM CPU        features  tiles
      {"rv64gc", "generic-rv64", rv64gc, {8}},
      {"rv64gcv", "generic-rv64", rv64gcv, {8}},
      {"sifive-x280", "sifive-x280", rv64gcv, {8}},
      {"spacemit-x60", "spacemit-x60", rv64gcv, {8}},
  };
  return describeTarget({Arch::riscv64, "riscv64-unknown-linux-gnu",
                         /*defaultCpu=*/"rv64gcv", /*pageSize=*/4096,
                         /*abiName=*/"lp64d",
                         // fcvt.s.h needs Zfhmin (rv64gc and rv64gcv lack it).
                         /*f16ConversionFeature=*/"zfhmin"},
                        presets);
}

} // namespace yan
