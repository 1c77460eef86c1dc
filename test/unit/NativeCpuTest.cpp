//===- NativeCpuTest.cpp - `yanc --cpu native` on described CPUs ----------===//
//
// The choice for CPUs described by their feature lists (the presets' own
// requirements, as yan_host_cpu_features would list them), and the
// `native` spellings of --target/--cpu with a described host.
//
//===----------------------------------------------------------------------===//
#include "compiler/codegen/RequiredFeatures.h"
#include "compiler/driver/NativeCpu.h"

#include "llvm/ADT/StringExtras.h"
#include "gtest/gtest.h"

#include <string>

using namespace yan;

namespace {

const TargetDescription &describedTarget(Arch arch) {
  for (const TargetDescription &target : allTargets())
    if (target.arch == arch)
      return target;
  ADD_FAILURE() << "no target for " << archName(arch);
  return allTargets().front();
}

/// What a preset's code requires: a CPU with exactly these features.
std::string cpuOf(Arch arch, const char *preset) {
  auto target = resolveTarget(describedTarget(arch).triple, preset, "");
  EXPECT_TRUE(bool(target)) << llvm::toString(target.takeError());
  if (!target)
    return "";
  auto features = requiredCpuFeatures(*target);
  EXPECT_TRUE(bool(features)) << llvm::toString(features.takeError());
  return features ? *features : "";
}

NativeCpuChoice choose(Arch arch, const std::string &host) {
  auto choice = chooseNativeCpu(describedTarget(arch), host);
  EXPECT_TRUE(bool(choice)) << llvm::toString(choice.takeError());
  return choice ? *choice : NativeCpuChoice{};
}

TEST(NativeCpu, PicksThePresetWithTheMostFeaturesTheHostHas) {
  for (const char *preset : {"x86-64-v2", "x86-64-v3", "x86-64-v4", "x86-64-v4-bf16"}) {
    NativeCpuChoice choice = choose(Arch::x86_64, cpuOf(Arch::x86_64, preset));
    EXPECT_EQ(choice.preset, preset);
    EXPECT_FALSE(choice.fallback);
    EXPECT_NE(choice.reason.find("the x86_64 preset with the most features"), std::string::npos)
        << choice.reason;
  }
  // v3 plus a few AVX-512 features is not v4.
  NativeCpuChoice partial =
      choose(Arch::x86_64, cpuOf(Arch::x86_64, "x86-64-v3") + ",avx512f,avx512dq");
  EXPECT_EQ(partial.preset, "x86-64-v3");
  EXPECT_NE(partial.reason.find("x86-64-v4: lacks avx512cd,avx512bw,avx512vl"),
            std::string::npos)
      << partial.reason;
  EXPECT_EQ(choose(Arch::riscv64, cpuOf(Arch::riscv64, "rv64gcv")).preset, "rv64gcv");
  EXPECT_EQ(choose(Arch::aarch64, cpuOf(Arch::aarch64, "cortex-a76")).preset, "cortex-a76");
}

TEST(NativeCpu, FallsBackToTheBaselineWhenNoPresetRuns) {
  NativeCpuChoice choice = choose(Arch::x86_64, "sse,sse2");
  EXPECT_TRUE(choice.fallback);
  EXPECT_EQ(choice.preset, "x86-64-v2");
  EXPECT_NE(choice.reason.find("this CPU lacks features every x86_64 preset needs"),
            std::string::npos)
      << choice.reason;
  EXPECT_NE(choice.reason.find("which this CPU cannot run"), std::string::npos);
}

/// A host of `arch` whose chooser returns `preset` and counts its calls.
NativeHost describedHost(Arch arch, std::string preset, int *calls) {
  NativeHost host;
  host.arch = arch;
  host.choosePreset = [preset, calls](const TargetDescription &target)
      -> llvm::Expected<std::string> {
    ++*calls;
    EXPECT_EQ(target.arch, Arch::x86_64);
    return preset;
  };
  return host;
}

TEST(NativeCpu, NativeSpellingsResolveToTheHost) {
  int calls = 0;
  NativeHost host = describedHost(Arch::x86_64, "x86-64-v2", &calls);
  auto targets = resolveTargets({"native"}, {}, {}, &host);
  ASSERT_TRUE(bool(targets)) << llvm::toString(targets.takeError());
  EXPECT_EQ((*targets)[0].arch, Arch::x86_64);
  EXPECT_EQ((*targets)[0].cpu, "x86-64-v2");
  EXPECT_EQ(calls, 1);
  // --target native with a named preset asks no choice.
  targets = resolveTargets({"native"}, {"x86-64-v4"}, {}, &host);
  ASSERT_TRUE(bool(targets)) << llvm::toString(targets.takeError());
  EXPECT_EQ((*targets)[0].cpu, "x86-64-v4");
  EXPECT_EQ(calls, 1);
  targets = resolveTargets({}, {"native"}, {}, &host);
  ASSERT_TRUE(bool(targets)) << llvm::toString(targets.takeError());
  EXPECT_EQ((*targets)[0].cpu, "x86-64-v2");
}

TEST(NativeCpu, NativeIsThisMachineOnly) {
  int calls = 0;
  NativeHost host = describedHost(Arch::x86_64, "x86-64-v3", &calls);
  auto targets = resolveTargets({"aarch64-linux-gnu"}, {"native"}, {}, &host);
  ASSERT_FALSE(bool(targets));
  EXPECT_EQ(llvm::toString(targets.takeError()),
            "--cpu native means this machine's CPU (x86_64), not one for --target "
            "aarch64-linux-gnu; name one of its presets: armv8.2-a, cortex-a53, cortex-a76");
  // Once for every target: the x86-64 one resolves, the AArch64 one cannot.
  targets = resolveTargets({"x86_64-linux-gnu", "aarch64-linux-gnu"}, {"native"}, {}, &host);
  EXPECT_FALSE(bool(targets));
  llvm::consumeError(targets.takeError());
  // Without a host (a library caller that gave none).
  targets = resolveTargets({}, {"native"}, {});
  ASSERT_FALSE(bool(targets));
  EXPECT_EQ(llvm::toString(targets.takeError()),
            "--cpu native: this build does not know the machine it runs on");
}

} // namespace
