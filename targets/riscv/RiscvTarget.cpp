//===- RiscvTarget.cpp - RV64 ----------------------------------------------===//
#include "targets/TargetDescription.h"

namespace yan {

TargetDescription describeRiscvTarget() {
  // Debian's riscv64 is lp64d: float features are required to link with its
  // libraries and to match the runtime's calling convention (hence the ABI
  // name below). Fixed 8-lane vectors map onto RVV register groups for any
  // VLEN >= 128; without V they are scalarized. The int8/int4 kernels use
  // the same 8 lanes (an i8 chunk is 64 bits, widened with vsext / vfcvt at
  // LMUL 2 on VLEN 128, 1 on 256), so one code image serves both VLENs.
  // Register tiles sized for VLEN 128 (16 register groups of LMUL 2): 4
  // rows x 2 tokens (8 accumulators + 6 operands) and 4 outputs x 2 vectors.
  const char *rv64gc = "+m,+a,+f,+d,+c";
  const char *rv64gcv = "+m,+a,+f,+d,+c,+v";
  const CpuPreset presets[] = {
      // name           LLVM CPU        features  tiles {f32 lanes, row
      //   block, dot vectors, accumulate outputs, accumulate vectors, quant
      //   lanes, dequant rows}
      {"rv64gc", "generic-rv64", rv64gc, {8, 4, 2, 4, 2, 8, 16}},
      {"rv64gcv", "generic-rv64", rv64gcv, {8, 4, 2, 4, 2, 8, 16}},
      {"sifive-x280", "sifive-x280", rv64gcv, {8, 4, 2, 4, 2, 8, 16}},
      {"spacemit-x60", "spacemit-x60", rv64gcv, {8, 4, 2, 4, 2, 8, 16}},
  };
  return describeTarget({Arch::riscv64, "riscv64-unknown-linux-gnu",
                         /*defaultCpu=*/"rv64gcv", /*pageSize=*/4096,
                         /*abiName=*/"lp64d",
                         // fcvt.s.h needs Zfhmin (rv64gc and rv64gcv lack it).
                         /*f16ConversionFeature=*/"zfhmin"},
                        presets);
}

} // namespace yan
