//===- RequiredFeaturesTest.cpp - What code images ask of the CPU ---------===//
//
// The CPU feature tables (targets/<arch>/CpuFeatures.def) and LLVM must
// agree on names (a misspelt name would silently never be required), the
// runtime must read the very same tables, and each preset must record the
// features its code may use, implied ones included.
//
//===----------------------------------------------------------------------===//
#include "compiler/codegen/RequiredFeatures.h"
#include "yan/runtime.h"
#include "yan/targets/cpu_feature_table.h"

#include "llvm/ADT/StringExtras.h"
#include "gtest/gtest.h"

#include <set>
#include <string>

using namespace yan;

namespace {

std::set<std::string> required(const char *triple, const char *cpu, const char *features = "") {
  auto target = resolveTarget(triple, cpu, features);
  EXPECT_TRUE(bool(target)) << llvm::toString(target.takeError());
  if (!target)
    return {};
  auto list = requiredCpuFeatures(*target);
  EXPECT_TRUE(bool(list)) << llvm::toString(list.takeError());
  std::set<std::string> names;
  if (list)
    for (llvm::StringRef name : llvm::split(*list, ','))
      if (!name.empty())
        names.insert(name.str());
  return names;
}

TEST(RequiredFeatures, RuntimeTableNamesAreLLVMFeatures) {
  for (const TargetDescription &description : allTargets()) {
    auto target = resolveTarget(description.triple, "", "");
    ASSERT_TRUE(bool(target)) << llvm::toString(target.takeError());
    auto unknown = tableFeaturesUnknownToLLVM(*target);
    ASSERT_TRUE(bool(unknown)) << llvm::toString(unknown.takeError());
    EXPECT_TRUE(unknown->empty()) << archName(description.arch) << ": " << llvm::join(*unknown, ", ");
  }
}

// One table, two readers: what yanc records is what the runtime checks,
// name for name and in order, for every architecture (the arch values are
// the same enum on both sides).
TEST(RequiredFeatures, RuntimeReadsTheSameTable) {
  for (const TargetDescription &description : allTargets()) {
    auto arch = static_cast<yan_arch_t>(description.arch);
    EXPECT_STREQ(yan_arch_name(arch), archName(description.arch));
    cpu::Table table = cpu::featureTable(description.arch);
    ASSERT_EQ(yan_cpu_feature_count(arch), table.count) << archName(description.arch);
    for (size_t i = 0; i < table.count; ++i)
      EXPECT_STREQ(yan_cpu_feature_name(arch, i), table.features[i].name);
  }
  EXPECT_STREQ(yan_arch_name(static_cast<yan_arch_t>(7)), "unknown");
  EXPECT_STREQ(yan_arch_name(static_cast<yan_arch_t>(257)), "unknown");
}

TEST(RequiredFeatures, EveryPresetResolves) {
  for (const TargetDescription &description : allTargets())
    for (const CpuPreset &preset : description.presets)
      EXPECT_FALSE(required(description.triple.c_str(), preset.name.c_str()).empty())
          << archName(description.arch) << " " << preset.name;
}

TEST(RequiredFeatures, X86Levels) {
  auto v2 = required("x86_64-linux-gnu", "x86-64-v2");
  EXPECT_TRUE(v2.count("sse4.2") && v2.count("popcnt"));
  EXPECT_FALSE(v2.count("avx"));
  auto v3 = required("x86_64-linux-gnu", "x86-64-v3");
  for (const char *name : {"avx", "avx2", "fma", "f16c", "bmi", "bmi2", "movbe", "lzcnt"})
    EXPECT_TRUE(v3.count(name)) << name;
  EXPECT_FALSE(v3.count("avx512f"));
  auto v4 = required("x86_64-linux-gnu", "x86-64-v4");
  for (const char *name : {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"})
    EXPECT_TRUE(v4.count(name)) << name;
  // --features adds to the preset.
  EXPECT_TRUE(required("x86_64-linux-gnu", "x86-64-v2", "+avx2").count("avx2"));
}

bool pairDot(const char *triple, const char *cpu, const char *features = "") {
  auto target = resolveTarget(triple, cpu, features);
  EXPECT_TRUE(bool(target)) << llvm::toString(target.takeError());
  if (!target)
    return false;
  auto enabled = hasBf16PairDot(*target);
  EXPECT_TRUE(bool(enabled)) << llvm::toString(enabled.takeError());
  return enabled && *enabled;
}

// The int4 kernel's bf16 pair dot follows LLVM's view of the CPU and
// features, as the code image's required features do.
TEST(RequiredFeatures, Bf16PairDotFollowsTheFeature) {
  EXPECT_TRUE(required("x86_64-linux-gnu", "x86-64-v4-bf16").count("avx512bf16"));
  EXPECT_FALSE(required("x86_64-linux-gnu", "x86-64-v4").count("avx512bf16"));
  EXPECT_TRUE(pairDot("x86_64-linux-gnu", "x86-64-v4-bf16"));
  EXPECT_FALSE(pairDot("x86_64-linux-gnu", "x86-64-v4"));
  EXPECT_TRUE(pairDot("x86_64-linux-gnu", "x86-64-v4", "+avx512bf16"));
  EXPECT_FALSE(pairDot("x86_64-linux-gnu", "x86-64-v4-bf16", "-avx512bf16"));
  EXPECT_FALSE(pairDot("aarch64-linux-gnu", "cortex-a76"));
  EXPECT_FALSE(pairDot("riscv64-linux-gnu", "rv64gcv"));
}

TEST(RequiredFeatures, AArch64ImpliedFeatures) {
  auto a53 = required("aarch64-linux-gnu", "cortex-a53");
  EXPECT_TRUE(a53.count("neon"));
  EXPECT_FALSE(a53.count("dotprod"));
  auto a76 = required("aarch64-linux-gnu", "cortex-a76");
  for (const char *name : {"neon", "dotprod", "fullfp16", "lse", "rdm"})
    EXPECT_TRUE(a76.count(name)) << name;
}

TEST(RequiredFeatures, RiscvVectorAndLength) {
  auto gc = required("riscv64-linux-gnu", "rv64gc");
  EXPECT_EQ(gc, (std::set<std::string>{"m", "zmmul", "a", "f", "d", "c"}));
  auto gcv = required("riscv64-linux-gnu", "rv64gcv");
  EXPECT_TRUE(gcv.count("v") && gcv.count("zvl128b"));
  EXPECT_FALSE(gcv.count("zvl256b"));
  auto x60 = required("riscv64-linux-gnu", "spacemit-x60");
  for (const char *name : {"v", "zvl256b", "zba", "zbb"})
    EXPECT_TRUE(x60.count(name)) << name;
  EXPECT_FALSE(x60.count("zvl512b"));
  EXPECT_TRUE(required("riscv64-linux-gnu", "sifive-x280").count("zvl512b"));
}

} // namespace
