//===- RiscvTarget.cpp - RV64 ----------------------------------------------===//
#include "targets/TargetDescription.h"

namespace yan {

TargetDescription describeRiscvTarget() {
  TargetDescription target;
  target.arch = "riscv64";
  target.triple = "riscv64-unknown-linux-gnu";
  target.defaultCpu = "rv64gcv";
  target.weightAlignment = 4096;
  // Debian's riscv64 is lp64d: float features are required to link with its
  // libraries and to match the runtime's calling convention (see
  // ObjectEmitter: ABI name lp64d). Fixed 8-lane vectors map onto RVV
  // register groups for any VLEN >= 128; without V they are scalarized.
  const char *rv64gc = "+m,+a,+f,+d,+c";
  const char *rv64gcv = "+m,+a,+f,+d,+c,+v";
  target.presets = {
      {"rv64gc", "generic-rv64", rv64gc, 8},
      {"rv64gcv", "generic-rv64", rv64gcv, 8},
      {"sifive-x280", "sifive-x280", rv64gcv, 8},
      {"spacemit-x60", "spacemit-x60", rv64gcv, 8},
  };
  return target;
}

} // namespace yan
