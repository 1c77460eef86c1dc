//===- host_arch.cpp - Which code image this runtime can run --------------===//
#include "yan/runtime.h"

#include "yan/targets/arch.h"

// yan_arch_t is the C API's mirror of the one architecture enum, the bundle
// schema's (yan/targets/arch.h): the same values, so a code image's arch
// byte converts by value.
static_assert(YAN_ARCH_UNKNOWN == static_cast<int>(yan::Arch::unknown), "yan_arch_t");
static_assert(YAN_ARCH_X86_64 == static_cast<int>(yan::Arch::x86_64), "yan_arch_t");
static_assert(YAN_ARCH_AARCH64 == static_cast<int>(yan::Arch::aarch64), "yan_arch_t");
static_assert(YAN_ARCH_RISCV64 == static_cast<int>(yan::Arch::riscv64), "yan_arch_t");
static_assert(YAN_ARCH_RISCV64 == static_cast<int>(yan::Arch::MAX),
              "a new yan.fb.Arch value needs a yan_arch_t value");

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
  // (A value beyond the enum must not wrap into a known one.)
  if (arch < YAN_ARCH_UNKNOWN || arch > YAN_ARCH_RISCV64)
    return "unknown";
  return yan::archName(static_cast<yan::Arch>(arch));
}

} // extern "C"
