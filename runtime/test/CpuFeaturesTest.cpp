//===- CpuFeaturesTest.cpp - Feature tables, detection, messages ----------===//
//
// Needs only the runtime (no compiler), so it also runs cross-built under
// qemu: there YAN_TEST_EXPECT_PRESENT / YAN_TEST_EXPECT_ABSENT (comma
// separated) state what the emulated CPU has, e.g. "v,zvl256b" for
// `qemu-riscv64 -cpu rv64,v=true,vlen=256`, and the detection must agree.
//
//===----------------------------------------------------------------------===//
#include "cpu_features.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

using namespace yan::rt;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::string why(const HostCpu &cpu, const char *required) {
  char text[512];
  EXPECT_FALSE(meetsRequirements(cpu, required, text, sizeof text)) << required;
  return text;
}

bool meets(const HostCpu &cpu, const char *required) {
  char text[512];
  return meetsRequirements(cpu, required, text, sizeof text);
}

FeatureState stateOf(const HostCpu &cpu, const std::string &name) {
  return featureState(cpu, name.data(), name.size());
}

// A RISC-V CPU as Linux reports it: letters in AT_HWCAP, optionally
// riscv_hwprobe's extension word and V with `vlen` bits.
HostCpu riscv(const char *letters, unsigned vlen, bool hwprobe, uint64_t ext0 = 0) {
  HostCpu cpu;
  cpu.arch = YAN_ARCH_RISCV64;
  for (const char *c = letters; *c; ++c)
    cpu.words[0] |= uint64_t(1) << (*c - 'a');
  cpu.wordsKnown = 1;
  if (hwprobe) {
    cpu.words[1] = ext0;
    cpu.wordsKnown |= 2;
  }
  cpu.vlenBits = vlen;
  return cpu;
}

TEST(CpuFeatures, TablesHaveUniqueNames) {
  for (yan_arch_t arch : {YAN_ARCH_X86_64, YAN_ARCH_AARCH64, YAN_ARCH_RISCV64}) {
    std::set<std::string> names;
    ASSERT_GT(yan_cpu_feature_count(arch), 5u);
    for (size_t i = 0; i < yan_cpu_feature_count(arch); ++i)
      EXPECT_TRUE(names.insert(yan_cpu_feature_name(arch, i)).second)
          << yan_arch_name(arch) << ": " << yan_cpu_feature_name(arch, i);
    EXPECT_EQ(yan_cpu_feature_name(arch, yan_cpu_feature_count(arch)), nullptr);
  }
  EXPECT_EQ(yan_cpu_feature_count(YAN_ARCH_UNKNOWN), 0u);
}

TEST(CpuFeatures, EmptyRequirementsAlwaysMet) {
  EXPECT_TRUE(meets(HostCpu{}, ""));
  EXPECT_TRUE(meets(riscv("", 0, false), ""));
}

TEST(CpuFeatures, RiscvWithoutVectorUnit) {
  HostCpu cpu = riscv("imafdc", 0, false);
  EXPECT_TRUE(meets(cpu, "m,zmmul,a,f,d,c"));
  std::string text = why(cpu, "m,a,f,d,c,v,zve32x,zve64d,zvl128b");
  // One clear reason, not a list of V's sub-features.
  EXPECT_EQ(text, "needs the V vector extension (v, RVV 1.0), which this CPU lacks");
}

TEST(CpuFeatures, RiscvVectorLength) {
  HostCpu v128 = riscv("imafdcv", 128, false);
  EXPECT_TRUE(meets(v128, "v,zve64d,zvl32b,zvl64b,zvl128b"));
  EXPECT_EQ(why(v128, "v,zvl128b,zvl256b"),
            "needs VLEN >= 256 bits (zvl256b), but this CPU's VLEN is 128");
  // One clause for the largest length, however many zvl* are missing.
  EXPECT_EQ(why(v128, "v,zvl256b,zvl512b"),
            "needs VLEN >= 512 bits (zvl512b), but this CPU's VLEN is 128");
  HostCpu v256 = riscv("imafdcv", 256, false);
  EXPECT_TRUE(meets(v256, "v,zvl256b"));
  EXPECT_THAT(why(v256, "zvl512b"), HasSubstr("VLEN >= 512 bits"));
  // A length requirement without V itself (a hand-made image) still says why.
  EXPECT_EQ(why(riscv("imafdc", 0, false), "zvl256b"),
            "needs VLEN >= 256 bits (zvl256b), but this CPU has no vector unit");
}

TEST(CpuFeatures, RiscvMultiLetterExtensionsNeedHwprobe) {
  HostCpu old = riscv("imafdcv", 256, false);
  EXPECT_EQ(stateOf(old, "zba"), FeatureState::Undetectable);
  EXPECT_THAT(why(old, "v,zba,zbb"), HasSubstr("needs zba, zbb, which this operating system "
                                               "cannot report"));
  HostCpu withProbe = riscv("imafdcv", 256, true, (1u << 3) | (1u << 4)); // zba, zbb
  EXPECT_TRUE(meets(withProbe, "v,zba,zbb,zvl256b"));
  EXPECT_EQ(why(withProbe, "zba,zbs"), "needs zbs, which this CPU lacks");
}

TEST(CpuFeatures, X86NeedsOsSupportForWideRegisters) {
  HostCpu cpu;
  cpu.arch = YAN_ARCH_X86_64;
  cpu.wordsKnown = 0x7f;
  cpu.words[0] = (1u << 28) | (1u << 12); // leaf 1 ecx: AVX, FMA
  cpu.words[2] = (1u << 5) | (1u << 16);  // leaf 7 ebx: AVX2, AVX-512F
  // The CPU has the instructions but the OS does not save YMM/ZMM state.
  EXPECT_EQ(why(cpu, "avx,avx2,fma"), "needs avx, avx2, fma, which this CPU lacks");
  cpu.osSavesYmm = true;
  EXPECT_TRUE(meets(cpu, "avx,avx2,fma"));
  EXPECT_EQ(why(cpu, "avx2,avx512f"), "needs avx512f, which this CPU lacks");
  cpu.osSavesZmm = true;
  EXPECT_TRUE(meets(cpu, "avx2,avx512f"));
}

TEST(CpuFeatures, AArch64FeaturesNeedingSeveralBits) {
  HostCpu cpu;
  cpu.arch = YAN_ARCH_AARCH64;
  cpu.wordsKnown = 3;
  cpu.words[0] = 0x3 | (1u << 9); // FP, ASIMD, FPHP but not ASIMDHP
  EXPECT_TRUE(meets(cpu, "fp-armv8,neon"));
  EXPECT_EQ(why(cpu, "neon,fullfp16,dotprod"), "needs fullfp16, dotprod, which this CPU lacks");
}

TEST(CpuFeatures, UnknownNamesAreRefused) {
  HostCpu cpu = riscv("imafdcv", 128, true);
  EXPECT_EQ(stateOf(cpu, "avx2"), FeatureState::UnknownName); // another arch's name
  EXPECT_THAT(why(cpu, "m,frobnicate"),
              HasSubstr("needs frobnicate, which this runtime does not know how to detect"));
}

TEST(CpuFeatures, TruncatesLongMessagesSafely) {
  HostCpu cpu = riscv("", 0, false);
  char tiny[16];
  EXPECT_FALSE(meetsRequirements(cpu, "m,a,f,d,c", tiny, sizeof tiny));
  EXPECT_EQ(std::strlen(tiny), sizeof tiny - 1);
}

// The real CPU: the architecture's baseline is always detected, and under
// qemu the test's environment says what the emulated CPU has.
TEST(CpuFeatures, DetectsThisHost) {
  HostCpu cpu = detectHostCpu();
  EXPECT_EQ(cpu.arch, yan_host_arch());
  const char *baseline = cpu.arch == YAN_ARCH_X86_64    ? "sse2"
                         : cpu.arch == YAN_ARCH_AARCH64 ? "neon"
                                                        : "m";
  EXPECT_EQ(stateOf(cpu, baseline), FeatureState::Present);
  char all[2048];
  describeHostCpu(cpu, all, sizeof all);
  std::string listed = std::string(",") + all + ",";
  EXPECT_THAT(listed, HasSubstr(std::string(",") + baseline + ","));
  auto each = [](const char *list, auto fn) {
    std::string text = list ? list : "";
    for (size_t start = 0; start < text.size();) {
      size_t comma = text.find(',', start);
      fn(text.substr(start, comma - start));
      start = comma == std::string::npos ? text.size() : comma + 1;
    }
  };
  each(std::getenv("YAN_TEST_EXPECT_PRESENT"), [&](const std::string &name) {
    EXPECT_EQ(stateOf(cpu, name), FeatureState::Present) << name << " (host: " << all << ")";
  });
  each(std::getenv("YAN_TEST_EXPECT_ABSENT"), [&](const std::string &name) {
    EXPECT_EQ(stateOf(cpu, name), FeatureState::Absent) << name << " (host: " << all << ")";
    EXPECT_THAT(listed, Not(HasSubstr("," + name + ",")));
  });
}

} // namespace
