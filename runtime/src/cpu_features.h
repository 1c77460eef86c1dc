//===- cpu_features.h - What the host CPU can execute -----------*- C++ -*-===//
//
// A code image records the CPU features its code may use, by LLVM feature
// name ("avx2", "dotprod", "v", "zvl256b"; see CodeImage.required_features
// in bundle.fbs). This module is the runtime's side of that contract: the
// table of names it can check on each architecture (shared with yanc, which
// records only names from it: yan/targets/cpu_feature_table.h, rows in
// targets/<arch>/CpuFeatures.def), and detection on the host
// (cpuid + xgetbv on x86-64, AT_HWCAP/AT_HWCAP2 on AArch64, AT_HWCAP + the
// riscv_hwprobe syscall + vlenb on RISC-V), so an image the CPU cannot run
// is refused with a message instead of dying with SIGILL.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_RUNTIME_CPU_FEATURES_H
#define YAN_RUNTIME_CPU_FEATURES_H

#include "yan/runtime.h"

#include <cstddef>
#include <cstdint>

namespace yan::rt {

/// Raw detection results for one architecture: which words of feature bits
/// the OS reported, and RISC-V's vector length. Plain data so tests can
/// describe any CPU without running on it.
struct HostCpu {
  yan_arch_t arch = YAN_ARCH_UNKNOWN;
  // x86-64: cpuid words (X86Word in the table header); AArch64: AT_HWCAP,
  // AT_HWCAP2; RISC-V: AT_HWCAP, riscv_hwprobe IMA_EXT_0.
  uint64_t words[8] = {};
  // Bit i set: words[i] was obtained (e.g. riscv_hwprobe exists), so a zero
  // bit in it means "absent" rather than "unknown".
  uint32_t wordsKnown = 0;
  // x86-64: XCR0 allows YMM (AVX) / ZMM + opmask (AVX-512) state.
  bool osSavesYmm = false;
  bool osSavesZmm = false;
  // RISC-V: VLEN in bits (0 without V).
  uint32_t vlenBits = 0;
};

/// Detects the CPU this process runs on (a few cpuid/getauxval/syscalls;
/// cheap enough to call at every bundle open).
HostCpu detectHostCpu();

enum class FeatureState {
  Present,
  Absent,
  Undetectable, // known name, but this OS does not report it
  UnknownName,  // not in this runtime's table for the architecture
};

FeatureState featureState(const HostCpu &cpu, const char *name, size_t length);

/// Checks every name of `required` (comma-separated, no '+'). Returns true
/// when the CPU has them all; otherwise writes a sentence naming what is
/// missing ("needs avx512f, avx512bw, which this CPU lacks") to `why`.
bool meetsRequirements(const HostCpu &cpu, const char *required, char *why,
                       size_t whyLength);

/// Comma-separated names of every feature in the table `cpu` has, for
/// diagnostics (yan-run --cpu-info). Truncated to `length`.
void describeHostCpu(const HostCpu &cpu, char *out, size_t length);

} // namespace yan::rt

#endif // YAN_RUNTIME_CPU_FEATURES_H
