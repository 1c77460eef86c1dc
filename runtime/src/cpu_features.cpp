//===- cpu_features.cpp - Feature tables and host detection ---------------===//
//
// Each architecture has one table: LLVM feature name -> where detection
// reports it. Only user-level instruction-set extensions are listed; LLVM's
// tuning flags ("slow-3ops-lea"), system-only extensions (RAS, PAN,
// supervisor extensions) and hint-only extensions (zihintpause, zkt: they
// run as no-ops or are timing properties) cannot make user code fault, so
// yanc does not record them. The tables are data for every architecture
// (the compiler and the tests read all three); detection code exists only
// for the architecture this runtime is built for.
//
//===----------------------------------------------------------------------===//
#include "cpu_features.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__linux__) && (defined(__aarch64__) || defined(__riscv))
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace yan::rt {
namespace {

// How a feature is detected beyond its bits.
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
  uint8_t word;
  uint64_t mask;
};

constexpr uint64_t bit(unsigned i) { return uint64_t(1) << i; }

// x86-64 words: the cpuid registers holding feature flags.
enum X86Word : uint8_t {
  kLeaf1Ecx,
  kLeaf1Edx,
  kLeaf7Ebx,
  kLeaf7Ecx,
  kLeaf7Edx,
  kLeaf7Sub1Eax,
  kLeaf80000001Ecx,
};

constexpr Feature kX86Features[] = {
    {"cmov", Kind::Bits, kLeaf1Edx, bit(15)},
    {"cx8", Kind::Bits, kLeaf1Edx, bit(8)},
    {"mmx", Kind::Bits, kLeaf1Edx, bit(23)},
    {"fxsr", Kind::Bits, kLeaf1Edx, bit(24)},
    {"sse", Kind::Bits, kLeaf1Edx, bit(25)},
    {"sse2", Kind::Bits, kLeaf1Edx, bit(26)},
    {"sse3", Kind::Bits, kLeaf1Ecx, bit(0)},
    {"pclmul", Kind::Bits, kLeaf1Ecx, bit(1)},
    {"ssse3", Kind::Bits, kLeaf1Ecx, bit(9)},
    {"fma", Kind::BitsYmm, kLeaf1Ecx, bit(12)},
    {"cx16", Kind::Bits, kLeaf1Ecx, bit(13)},
    {"sse4.1", Kind::Bits, kLeaf1Ecx, bit(19)},
    {"sse4.2", Kind::Bits, kLeaf1Ecx, bit(20)},
    {"crc32", Kind::Bits, kLeaf1Ecx, bit(20)},
    {"movbe", Kind::Bits, kLeaf1Ecx, bit(22)},
    {"popcnt", Kind::Bits, kLeaf1Ecx, bit(23)},
    {"aes", Kind::Bits, kLeaf1Ecx, bit(25)},
    {"xsave", Kind::Bits, kLeaf1Ecx, bit(26)},
    {"avx", Kind::BitsYmm, kLeaf1Ecx, bit(28)},
    {"f16c", Kind::BitsYmm, kLeaf1Ecx, bit(29)},
    {"rdrnd", Kind::Bits, kLeaf1Ecx, bit(30)},
    {"bmi", Kind::Bits, kLeaf7Ebx, bit(3)},
    {"avx2", Kind::BitsYmm, kLeaf7Ebx, bit(5)},
    {"bmi2", Kind::Bits, kLeaf7Ebx, bit(8)},
    {"avx512f", Kind::BitsZmm, kLeaf7Ebx, bit(16)},
    {"avx512dq", Kind::BitsZmm, kLeaf7Ebx, bit(17)},
    {"adx", Kind::Bits, kLeaf7Ebx, bit(19)},
    {"avx512ifma", Kind::BitsZmm, kLeaf7Ebx, bit(21)},
    {"avx512cd", Kind::BitsZmm, kLeaf7Ebx, bit(28)},
    {"sha", Kind::Bits, kLeaf7Ebx, bit(29)},
    {"avx512bw", Kind::BitsZmm, kLeaf7Ebx, bit(30)},
    {"avx512vl", Kind::BitsZmm, kLeaf7Ebx, bit(31)},
    {"avx512vbmi", Kind::BitsZmm, kLeaf7Ecx, bit(1)},
    {"avx512vbmi2", Kind::BitsZmm, kLeaf7Ecx, bit(6)},
    {"gfni", Kind::Bits, kLeaf7Ecx, bit(8)},
    {"vaes", Kind::BitsYmm, kLeaf7Ecx, bit(9)},
    {"vpclmulqdq", Kind::BitsYmm, kLeaf7Ecx, bit(10)},
    {"avx512vnni", Kind::BitsZmm, kLeaf7Ecx, bit(11)},
    {"avx512bitalg", Kind::BitsZmm, kLeaf7Ecx, bit(12)},
    {"avx512vpopcntdq", Kind::BitsZmm, kLeaf7Ecx, bit(14)},
    {"avx512fp16", Kind::BitsZmm, kLeaf7Edx, bit(23)},
    {"avxvnni", Kind::BitsYmm, kLeaf7Sub1Eax, bit(4)},
    {"avx512bf16", Kind::BitsZmm, kLeaf7Sub1Eax, bit(5)},
    {"sahf", Kind::Bits, kLeaf80000001Ecx, bit(0)},
    {"lzcnt", Kind::Bits, kLeaf80000001Ecx, bit(5)},
};

// AArch64 words: AT_HWCAP, AT_HWCAP2 (Linux's HWCAP_* / HWCAP2_* bits).
// Not listed: ssbs and dit only add PSTATE controls that compiled code never
// touches (cortex-a76 implies ssbs; qemu 7.2 does not report it).
constexpr uint8_t kHwcap = 0, kHwcap2 = 1;
constexpr Feature kAArch64Features[] = {
    {"fp-armv8", Kind::Bits, kHwcap, bit(0)},         // FP
    {"neon", Kind::Bits, kHwcap, bit(1)},             // ASIMD
    {"aes", Kind::Bits, kHwcap, bit(3) | bit(4)},     // AES, PMULL
    {"sha2", Kind::Bits, kHwcap, bit(5) | bit(6)},    // SHA1, SHA2
    {"crc", Kind::Bits, kHwcap, bit(7)},              // CRC32
    {"lse", Kind::Bits, kHwcap, bit(8)},              // ATOMICS
    {"fullfp16", Kind::Bits, kHwcap, bit(9) | bit(10)}, // FPHP, ASIMDHP
    {"rdm", Kind::Bits, kHwcap, bit(12)},             // ASIMDRDM
    {"jsconv", Kind::Bits, kHwcap, bit(13)},          // JSCVT
    {"complxnum", Kind::Bits, kHwcap, bit(14)},       // FCMA
    {"rcpc", Kind::Bits, kHwcap, bit(15)},            // LRCPC
    {"ccpp", Kind::Bits, kHwcap, bit(16)},            // DCPOP
    {"sha3", Kind::Bits, kHwcap, bit(17)},            // SHA3
    {"sm4", Kind::Bits, kHwcap, bit(18) | bit(19)},   // SM3, SM4
    {"dotprod", Kind::Bits, kHwcap, bit(20)},         // ASIMDDP
    {"sve", Kind::Bits, kHwcap, bit(22)},             // SVE
    {"fp16fml", Kind::Bits, kHwcap, bit(23)},         // ASIMDFHM
    {"lse2", Kind::Bits, kHwcap, bit(25)},            // USCAT
    {"rcpc-immo", Kind::Bits, kHwcap, bit(26)},       // ILRCPC
    {"flagm", Kind::Bits, kHwcap, bit(27)},           // FLAGM
    {"sb", Kind::Bits, kHwcap, bit(29)},              // SB
    {"pauth", Kind::Bits, kHwcap, bit(30) | bit(31)}, // PACA, PACG
    {"ccdp", Kind::Bits, kHwcap2, bit(0)},            // DCPODP
    {"sve2", Kind::Bits, kHwcap2, bit(1)},            // SVE2
    {"altnzcv", Kind::Bits, kHwcap2, bit(7)},         // FLAGM2
    {"fptoint", Kind::Bits, kHwcap2, bit(8)},         // FRINT
    {"i8mm", Kind::Bits, kHwcap2, bit(13)},           // I8MM
    {"bf16", Kind::Bits, kHwcap2, bit(14)},           // BF16
    {"rand", Kind::Bits, kHwcap2, bit(16)},           // RNG
    {"bti", Kind::Bits, kHwcap2, bit(17)},            // BTI
    {"mte", Kind::Bits, kHwcap2, bit(18)},            // MTE
};

// RISC-V words: AT_HWCAP (bit 'X' - 'A' per single-letter extension) and
// riscv_hwprobe's RISCV_HWPROBE_KEY_IMA_EXT_0 (Linux 6.4+; bits from
// <asm/hwprobe.h>).
constexpr uint8_t kRiscvHwcap = 0, kRiscvExt0 = 1;
constexpr uint64_t letter(char c) { return bit(static_cast<unsigned>(c - 'a')); }
constexpr Feature kRiscvFeatures[] = {
    {"m", Kind::Bits, kRiscvHwcap, letter('m')},
    {"zmmul", Kind::Bits, kRiscvHwcap, letter('m')},
    {"a", Kind::Bits, kRiscvHwcap, letter('a')},
    {"f", Kind::Bits, kRiscvHwcap, letter('f')},
    {"d", Kind::Bits, kRiscvHwcap, letter('d')},
    {"c", Kind::Bits, kRiscvHwcap, letter('c')},
    {"v", Kind::Bits, kRiscvHwcap, letter('v')},
    {"zve32x", Kind::RiscvVector, 0, 0},
    {"zve32f", Kind::RiscvVector, 0, 0},
    {"zve64x", Kind::RiscvVector, 0, 0},
    {"zve64f", Kind::RiscvVector, 0, 0},
    {"zve64d", Kind::RiscvVector, 0, 0},
    {"zvl32b", Kind::RiscvVlen, 0, 32},
    {"zvl64b", Kind::RiscvVlen, 0, 64},
    {"zvl128b", Kind::RiscvVlen, 0, 128},
    {"zvl256b", Kind::RiscvVlen, 0, 256},
    {"zvl512b", Kind::RiscvVlen, 0, 512},
    {"zvl1024b", Kind::RiscvVlen, 0, 1024},
    {"zvl2048b", Kind::RiscvVlen, 0, 2048},
    {"zvl4096b", Kind::RiscvVlen, 0, 4096},
    {"zvl8192b", Kind::RiscvVlen, 0, 8192},
    {"zvl16384b", Kind::RiscvVlen, 0, 16384},
    {"zvl32768b", Kind::RiscvVlen, 0, 32768},
    {"zvl65536b", Kind::RiscvVlen, 0, 65536},
    {"zba", Kind::Bits, kRiscvExt0, bit(3)},
    {"zbb", Kind::Bits, kRiscvExt0, bit(4)},
    {"zbs", Kind::Bits, kRiscvExt0, bit(5)},
    {"zicboz", Kind::Bits, kRiscvExt0, bit(6)},
    {"zbc", Kind::Bits, kRiscvExt0, bit(7)},
    {"zbkb", Kind::Bits, kRiscvExt0, bit(8)},
    {"zbkc", Kind::Bits, kRiscvExt0, bit(9)},
    {"zbkx", Kind::Bits, kRiscvExt0, bit(10)},
    {"zknd", Kind::Bits, kRiscvExt0, bit(11)},
    {"zkne", Kind::Bits, kRiscvExt0, bit(12)},
    {"zknh", Kind::Bits, kRiscvExt0, bit(13)},
    {"zksed", Kind::Bits, kRiscvExt0, bit(14)},
    {"zksh", Kind::Bits, kRiscvExt0, bit(15)},
    {"zvbb", Kind::Bits, kRiscvExt0, bit(17)},
    {"zvbc", Kind::Bits, kRiscvExt0, bit(18)},
    {"zvkb", Kind::Bits, kRiscvExt0, bit(19)},
    {"zvkg", Kind::Bits, kRiscvExt0, bit(20)},
    {"zvkned", Kind::Bits, kRiscvExt0, bit(21)},
    {"zvknha", Kind::Bits, kRiscvExt0, bit(22)},
    {"zvknhb", Kind::Bits, kRiscvExt0, bit(23)},
    {"zvksed", Kind::Bits, kRiscvExt0, bit(24)},
    {"zvksh", Kind::Bits, kRiscvExt0, bit(25)},
    {"zfh", Kind::Bits, kRiscvExt0, bit(27)},
    {"zfhmin", Kind::Bits, kRiscvExt0, bit(28)},
    {"zvfh", Kind::Bits, kRiscvExt0, bit(30)},
    {"zvfhmin", Kind::Bits, kRiscvExt0, bit(31)},
    {"zfa", Kind::Bits, kRiscvExt0, bit(32)},
    {"ztso", Kind::Bits, kRiscvExt0, bit(33)},
    {"zicond", Kind::Bits, kRiscvExt0, bit(35)},
};

struct Table {
  const Feature *features;
  size_t count;
};

template <size_t N> constexpr Table table(const Feature (&features)[N]) {
  return {features, N};
}

Table tableFor(yan_arch_t arch) {
  switch (arch) {
  case YAN_ARCH_X86_64: return table(kX86Features);
  case YAN_ARCH_AARCH64: return table(kAArch64Features);
  case YAN_ARCH_RISCV64: return table(kRiscvFeatures);
  case YAN_ARCH_UNKNOWN: break;
  }
  return {nullptr, 0};
}

const Feature *lookup(yan_arch_t arch, const char *name, size_t length) {
  Table t = tableFor(arch);
  for (size_t i = 0; i < t.count; ++i)
    if (std::strlen(t.features[i].name) == length &&
        std::memcmp(t.features[i].name, name, length) == 0)
      return &t.features[i];
  return nullptr;
}

FeatureState stateOf(const HostCpu &cpu, const Feature &f) {
  bool hasV = cpu.vlenBits != 0;
  switch (f.kind) {
  case Kind::RiscvVector: return hasV ? FeatureState::Present : FeatureState::Absent;
  case Kind::RiscvVlen:
    return hasV && cpu.vlenBits >= f.mask ? FeatureState::Present : FeatureState::Absent;
  case Kind::Bits:
  case Kind::BitsYmm:
  case Kind::BitsZmm: break;
  }
  if (!(cpu.wordsKnown & (1u << f.word)))
    return FeatureState::Undetectable;
  if ((cpu.words[f.word] & f.mask) != f.mask)
    return FeatureState::Absent;
  if ((f.kind == Kind::BitsYmm && !cpu.osSavesYmm) ||
      (f.kind == Kind::BitsZmm && !cpu.osSavesZmm))
    return FeatureState::Absent;
  return FeatureState::Present;
}

/// Appends to a fixed buffer, always NUL-terminated, silently truncating.
struct Writer {
  char *out;
  size_t length;
  size_t used = 0;
  void append(const char *format, ...) __attribute__((format(printf, 2, 3))) {
    if (length == 0 || used >= length - 1)
      return;
    va_list args;
    va_start(args, format);
    int n = std::vsnprintf(out + used, length - used, format, args);
    va_end(args);
    if (n > 0)
      used = used + static_cast<size_t>(n) < length ? used + n : length - 1;
  }
};

// Visits each name of a comma-separated list.
template <typename Fn> void forEachName(const char *list, Fn fn) {
  for (const char *p = list; p && *p;) {
    const char *end = std::strchr(p, ',');
    size_t length = end ? static_cast<size_t>(end - p) : std::strlen(p);
    if (length)
      fn(p, length);
    p = end ? end + 1 : nullptr;
  }
}

bool isV(const char *name, size_t length) { return length == 1 && name[0] == 'v'; }

#if defined(__x86_64__)
void detect(HostCpu &cpu) {
  unsigned a, b, c, d;
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    cpu.words[kLeaf1Ecx] = c;
    cpu.words[kLeaf1Edx] = d;
    // XGETBV is only allowed when the OS enabled it (OSXSAVE, ecx bit 27).
    if (c & bit(27)) {
      uint32_t lo, hi;
      __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      cpu.osSavesYmm = (lo & 0x6) == 0x6;          // SSE + AVX state
      cpu.osSavesZmm = (lo & 0xe6) == 0xe6;        // + opmask, ZMM_Hi256, Hi16_ZMM
    }
  }
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    cpu.words[kLeaf7Ebx] = b;
    cpu.words[kLeaf7Ecx] = c;
    cpu.words[kLeaf7Edx] = d;
    unsigned subleaves = a;
    if (subleaves >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d))
      cpu.words[kLeaf7Sub1Eax] = a;
  }
  if (__get_cpuid(0x80000001, &a, &b, &c, &d))
    cpu.words[kLeaf80000001Ecx] = c;
  // A leaf the CPU lacks leaves its word zero: its features are absent.
  cpu.wordsKnown = 0x7f;
}
#elif defined(__aarch64__) && defined(__linux__)
void detect(HostCpu &cpu) {
  cpu.words[kHwcap] = getauxval(AT_HWCAP);
  cpu.words[kHwcap2] = getauxval(AT_HWCAP2);
  cpu.wordsKnown = 0x3;
}
#elif defined(__riscv) && defined(__linux__)
struct RiscvHwprobe {
  int64_t key;
  uint64_t value;
};
constexpr long kSysRiscvHwprobe = 258;  // __NR_riscv_hwprobe (Linux 6.4)
constexpr int64_t kKeyImaExt0 = 4;      // RISCV_HWPROBE_KEY_IMA_EXT_0

void detect(HostCpu &cpu) {
  cpu.words[kRiscvHwcap] = getauxval(AT_HWCAP);
  cpu.wordsKnown = 1u << kRiscvHwcap;
  RiscvHwprobe probe{kKeyImaExt0, 0};
  // Older kernels (and qemu-user before 8.1) return ENOSYS: multi-letter
  // extensions are then undetectable, and images needing them are refused.
  if (syscall(kSysRiscvHwprobe, &probe, 1, 0, nullptr, 0) == 0 && probe.key == kKeyImaExt0) {
    cpu.words[kRiscvExt0] = probe.value;
    cpu.wordsKnown |= 1u << kRiscvExt0;
  }
  // vlenb is readable only when V is present (the kernel reports V in
  // AT_HWCAP only when it also enables the vector unit for user space).
  if (cpu.words[kRiscvHwcap] & letter('v')) {
    unsigned long vlenb;
    // CSR 0xc22 is vlenb; by number, so the runtime itself needs no V.
    __asm__ volatile("csrr %0, 0xc22" : "=r"(vlenb));
    cpu.vlenBits = static_cast<uint32_t>(vlenb * 8);
  }
}
#else
void detect(HostCpu &) {}
#endif

} // namespace

HostCpu detectHostCpu() {
  HostCpu cpu;
  cpu.arch = yan_host_arch();
  detect(cpu);
  return cpu;
}

FeatureState featureState(const HostCpu &cpu, const char *name, size_t length) {
  const Feature *f = lookup(cpu.arch, name, length);
  return f ? stateOf(cpu, *f) : FeatureState::UnknownName;
}

bool meetsRequirements(const HostCpu &cpu, const char *required, char *why,
                       size_t whyLength) {
  // V implies every zve*, and zvl* only matter with a vector unit: when V
  // itself is required and missing, say that once instead of listing parts.
  bool vMissing = false;
  forEachName(required, [&](const char *name, size_t length) {
    if (isV(name, length) && featureState(cpu, name, length) == FeatureState::Absent)
      vMissing = true;
  });
  // One list per kind of failure, joined into one sentence at the end.
  char absentText[256] = "", vlenText[128] = "", undetectableText[256] = "",
       unknownText[256] = "";
  Writer absent{absentText, sizeof absentText},
      undetectable{undetectableText, sizeof undetectableText},
      unknown{unknownText, sizeof unknownText};
  uint64_t vlenNeeded = 0; // the largest zvl<N>b the CPU's VLEN misses
  bool ok = true;
  forEachName(required, [&](const char *name, size_t length) {
    int n = static_cast<int>(length);
    switch (featureState(cpu, name, length)) {
    case FeatureState::Present: return;
    case FeatureState::UnknownName:
      unknown.append("%s%.*s", unknown.used ? ", " : "", n, name);
      break;
    case FeatureState::Undetectable:
      undetectable.append("%s%.*s", undetectable.used ? ", " : "", n, name);
      break;
    case FeatureState::Absent: {
      const Feature *f = lookup(cpu.arch, name, length);
      if (f->kind == Kind::RiscvVlen) {
        vlenNeeded = f->mask > vlenNeeded ? f->mask : vlenNeeded;
      } else if (f->kind == Kind::RiscvVector && vMissing) {
        // reported as the V extension
      } else if (cpu.arch == YAN_ARCH_RISCV64 && isV(name, length)) {
        absent.append("%sthe V vector extension (v, RVV 1.0)", absent.used ? ", " : "");
      } else {
        absent.append("%s%.*s", absent.used ? ", " : "", n, name);
      }
      break;
    }
    }
    ok = false;
  });
  if (ok)
    return true;
  if (vlenNeeded && !vMissing) {
    Writer vlen{vlenText, sizeof vlenText};
    auto bits = static_cast<unsigned long long>(vlenNeeded);
    if (cpu.vlenBits)
      vlen.append("VLEN >= %llu bits (zvl%llub), but this CPU's VLEN is %u", bits, bits,
                  cpu.vlenBits);
    else
      vlen.append("VLEN >= %llu bits (zvl%llub), but this CPU has no vector unit", bits,
                  bits);
  }
  Writer out{why, whyLength};
  if (whyLength)
    why[0] = '\0';
  auto clause = [&](const char *what, const char *tail) {
    if (*what)
      out.append("%sneeds %s%s", out.used ? "; " : "", what, tail);
  };
  clause(absentText, ", which this CPU lacks");
  clause(vlenText, "");
  clause(undetectableText,
         ", which this operating system cannot report (RISC-V multi-letter "
         "extensions need the riscv_hwprobe syscall, Linux 6.4+)");
  clause(unknownText, ", which this runtime does not know how to detect");
  return false;
}

void describeHostCpu(const HostCpu &cpu, char *out, size_t length) {
  Writer w{out, length};
  if (length)
    out[0] = '\0';
  Table t = tableFor(cpu.arch);
  for (size_t i = 0; i < t.count; ++i)
    if (stateOf(cpu, t.features[i]) == FeatureState::Present)
      w.append("%s%s", w.used ? "," : "", t.features[i].name);
}

} // namespace yan::rt

extern "C" {

size_t yan_cpu_feature_count(yan_arch_t arch) { return yan::rt::tableFor(arch).count; }

const char *yan_cpu_feature_name(yan_arch_t arch, size_t index) {
  yan::rt::Table t = yan::rt::tableFor(arch);
  return index < t.count ? t.features[index].name : nullptr;
}

void yan_host_cpu_features(char *out, size_t size) {
  yan::rt::describeHostCpu(yan::rt::detectHostCpu(), out, size);
}

} // extern "C"
