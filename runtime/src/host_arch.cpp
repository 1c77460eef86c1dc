//===- host_arch.cpp - Which code image this runtime can run --------------===//
#include "yan/runtime.h"

extern "C" {

yan_arch_t yan_host_arch(void) {
#if defined(__x86_64__)
  return YAN_ARCH_X86_64;
#elif defined(__aarch64__)
  return YAN_ARCH_AARCH64;
#elif defined(__riscv) && __riscv_xlen == 64
  return YAN_ARCH_RISCV64;
#else
  return YAN_ARCH_UNKNOWN;
#endif
}

const char *yan_arch_name(yan_arch_t arch) {
  switch (arch) {
  case YAN_ARCH_X86_64: return "x86_64";
  case YAN_ARCH_AARCH64: return "aarch64";
  case YAN_ARCH_RISCV64: return "riscv64";
  case YAN_ARCH_UNKNOWN: break;
  }
  return "unknown";
}

} // extern "C"
