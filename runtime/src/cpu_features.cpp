//===- cpu_features.cpp - Host detection against the feature tables -------===//
//
// The tables (LLVM feature name -> where detection reports it) are shared
// with the compiler: yan/targets/cpu_feature_table.h, rows in
// targets/<arch>/CpuFeatures.def. The tables are data for every
// architecture (the compiler and the tests read all three); detection code
// exists only for the architecture this runtime is built for.
//
//===----------------------------------------------------------------------===//
#include "cpu_features.h"

#include "yan/targets/cpu_feature_table.h"

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

// Feature, Kind, Table and the detection words (kLeaf1Ecx, kHwcap, ...).
using namespace yan::cpu;

// The runtime's arch enum is the schema's (yan/targets/arch.h).
Table tableFor(yan_arch_t arch) { return cpu::featureTable(static_cast<Arch>(arch)); }

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
