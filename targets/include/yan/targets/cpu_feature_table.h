//===- cpu_feature_table.h - The CPU features each target can check -*- C++ -*-===//
//
// One table per architecture: LLVM feature name -> where detection reports
// it. Written once (the rows are targets/<arch>/CpuFeatures.def) and read by
// both sides of the contract: the runtime detects these on the host
// (runtime/src/cpu_features.cpp) and yanc records, per code image, those
// LLVM enables for its CPU (compiler/codegen/RequiredFeatures.cpp).
//
// Only user-level instruction-set extensions are listed; LLVM's tuning
// flags ("slow-3ops-lea"), system-only extensions (RAS, PAN, supervisor
// extensions) and hint-only extensions (zihintpause, zkt: they run as no-ops
// or are timing properties) cannot make user code fault, so yanc does not
// record them.
//
// Header-only, C++17, no LLVM: the runtime's cross builds compile it, but no
// installed runtime header includes it (it is private to the runtime's
// build, like runtime/src).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TARGETS_CPU_FEATURE_TABLE_H
#define YAN_TARGETS_CPU_FEATURE_TABLE_H

#include "yan/targets/arch.h"

#include <cstddef>
#include <cstdint>

namespace yan::cpu {

/// How a feature is detected beyond its bits.
enum class Kind : uint8_t {
  Bits,        // all of `mask` set in words[word]
  BitsYmm,     // x86: and the OS saves YMM state (XCR0)
  BitsZmm,     // x86: and the OS saves opmask/ZMM state
  RiscvVector, // RISC-V zve*: implied by V
  RiscvVlen,   // RISC-V zvl<N>b: VLEN >= mask
};

struct Feature {
  const char *name; // LLVM's name
  Kind kind;
  uint8_t word; // which word of detection results (per architecture below)
  uint64_t mask;
};

constexpr uint64_t bit(unsigned i) { return uint64_t(1) << i; }

/// x86-64 words: the cpuid registers holding feature flags.
enum X86Word : uint8_t {
  kLeaf1Ecx,
  kLeaf1Edx,
  kLeaf7Ebx,
  kLeaf7Ecx,
  kLeaf7Edx,
  kLeaf7Sub1Eax,
  kLeaf80000001Ecx,
  kX86WordCount,
};

/// AArch64 words: AT_HWCAP, AT_HWCAP2.
enum AArch64Word : uint8_t { kHwcap, kHwcap2, kAArch64WordCount };

/// RISC-V words: AT_HWCAP, riscv_hwprobe's IMA_EXT_0.
enum RiscvWord : uint8_t { kRiscvHwcap, kRiscvExt0, kRiscvWordCount };
/// AT_HWCAP's bit for a single-letter RISC-V extension.
constexpr uint64_t letter(char c) { return bit(static_cast<unsigned>(c - 'a')); }

#define YAN_CPU_FEATURE(NAME, KIND, WORD, MASK) {NAME, Kind::KIND, WORD, MASK},
inline constexpr Feature kX86Features[] = {
#include "../../../x86/CpuFeatures.def"
};
inline constexpr Feature kAArch64Features[] = {
#include "../../../arm/CpuFeatures.def"
};
inline constexpr Feature kRiscvFeatures[] = {
#include "../../../riscv/CpuFeatures.def"
};
#undef YAN_CPU_FEATURE

struct Table {
  const Feature *features;
  size_t count;
  const Feature *begin() const { return features; }
  const Feature *end() const { return features + count; }
};

template <size_t N> constexpr Table table(const Feature (&features)[N]) {
  return {features, N};
}

/// The table of `arch`; empty for Arch::unknown.
constexpr Table featureTable(Arch arch) {
  switch (arch) {
  case Arch::x86_64: return table(kX86Features);
  case Arch::aarch64: return table(kAArch64Features);
  case Arch::riscv64: return table(kRiscvFeatures);
  case Arch::unknown: break;
  }
  return {nullptr, 0};
}

namespace detail {
constexpr bool sameName(const char *a, const char *b) {
  while (*a && *a == *b)
    ++a, ++b;
  return *a == *b;
}
/// Names unique, words within the architecture's detection results.
constexpr bool wellFormed(Table t, unsigned wordCount) {
  for (size_t i = 0; i < t.count; ++i) {
    if (t.features[i].word >= wordCount)
      return false;
    for (size_t j = 0; j < i; ++j)
      if (sameName(t.features[i].name, t.features[j].name))
        return false;
  }
  return t.count > 0;
}
} // namespace detail

static_assert(detail::wellFormed(featureTable(Arch::x86_64), kX86WordCount),
              "x86/CpuFeatures.def: a name twice or a word out of range");
static_assert(detail::wellFormed(featureTable(Arch::aarch64), kAArch64WordCount),
              "arm/CpuFeatures.def: a name twice or a word out of range");
static_assert(detail::wellFormed(featureTable(Arch::riscv64), kRiscvWordCount),
              "riscv/CpuFeatures.def: a name twice or a word out of range");

} // namespace yan::cpu

#endif // YAN_TARGETS_CPU_FEATURE_TABLE_H
