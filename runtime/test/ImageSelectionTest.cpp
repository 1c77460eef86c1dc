//===- ImageSelectionTest.cpp - Which code image a CPU gets ---------------===//
//
// A bundle may hold several images for one architecture (rv64gc next to
// rv64gcv, x86-64-v2 next to v3). verifyBundle picks, for a described CPU,
// the most demanding image the CPU can run, and refuses with
// UNSUPPORTED_CPU naming the missing features when none fits. The CPU is
// plain data here, so RISC-V and AArch64 choices are tested on any host;
// the last tests go through the public API on the real CPU.
//
//===----------------------------------------------------------------------===//
#include "Fixture.h"
#include "bundle_internal.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace yan;
using namespace yan::test;
using ::testing::HasSubstr;

namespace {

struct Image {
  Arch arch;
  const char *cpu;
  const char *required;
};

std::vector<uint8_t> bundleWith(std::initializer_list<Image> images) {
  FixtureBundle fixture = fixtureBundle(hostFixtureImage());
  BundleCodeImage base = fixture.contents.codeImages[0];
  fixture.contents.codeImages.clear();
  for (const Image &image : images) {
    BundleCodeImage code = base;
    code.arch = image.arch;
    code.cpu = image.cpu;
    code.requiredFeatures = image.required;
    fixture.contents.codeImages.push_back(code);
  }
  return bundleBytes(fixture.contents);
}

// Verifies `bytes` as `cpu` would see them; `selected` gets the image.
Status select(const std::vector<uint8_t> &bytes, const rt::HostCpu &cpu, uint32_t *selected,
              uint32_t flags = 0) {
  AlignedBytes aligned(bytes);
  rt::VerifiedBundle verified;
  Status status = rt::verifyBundle(aligned.data(), aligned.size(), flags, cpu, &verified);
  *selected = verified.selectedImage;
  return status;
}

rt::HostCpu riscv(bool v, unsigned vlen) {
  rt::HostCpu cpu;
  cpu.arch = YAN_ARCH_RISCV64;
  for (char c : std::string(v ? "imafdcv" : "imafdc"))
    cpu.words[0] |= uint64_t(1) << (c - 'a');
  cpu.wordsKnown = 1; // no riscv_hwprobe, like qemu 7.2
  cpu.vlenBits = v ? vlen : 0;
  return cpu;
}

const char *kRv64gc = "m,zmmul,a,f,d,c";
const char *kRv64gcv = "m,zmmul,a,f,d,c,v,zve32x,zve32f,zve64x,zve64f,zve64d,zvl32b,zvl64b,zvl128b";
// What yanc records for spacemit-x60, less the scalar extensions: a superset.
const char *kX60 =
    "m,zmmul,a,f,d,c,v,zve32x,zve32f,zve64x,zve64f,zve64d,zvl32b,zvl64b,zvl128b,zvl256b";

TEST(ImageSelection, PrefersTheMostCapableImageTheCpuRuns) {
  auto bytes = bundleWith({{Arch::riscv64, "generic-rv64", kRv64gc},
                           {Arch::riscv64, "spacemit-x60", kX60},
                           {Arch::riscv64, "generic-rv64", kRv64gcv},
                           {Arch::aarch64, "cortex-a76", "neon,dotprod"}});
  uint32_t selected = 99;
  Status status = select(bytes, riscv(true, 256), &selected);
  ASSERT_TRUE(status.ok()) << status.text();
  EXPECT_EQ(selected, 1u); // VLEN 256 runs the spacemit-x60 image
  status = select(bytes, riscv(true, 128), &selected);
  ASSERT_TRUE(status.ok()) << status.text();
  EXPECT_EQ(selected, 2u);
  status = select(bytes, riscv(false, 0), &selected);
  ASSERT_TRUE(status.ok()) << status.text();
  EXPECT_EQ(selected, 0u); // the scalar fallback
}

TEST(ImageSelection, VlenDecidesBetweenVectorImages) {
  auto bytes = bundleWith({{Arch::riscv64, "generic-rv64", "v,zvl128b"},
                           {Arch::riscv64, "spacemit-x60", kX60}});
  uint32_t selected = 99;
  ASSERT_TRUE(select(bytes, riscv(true, 256), &selected).ok());
  EXPECT_EQ(selected, 1u);
  ASSERT_TRUE(select(bytes, riscv(true, 128), &selected).ok());
  EXPECT_EQ(selected, 0u);
}

TEST(ImageSelection, RefusesWithTheMissingFeature) {
  auto bytes = bundleWith({{Arch::riscv64, "generic-rv64", kRv64gcv}});
  uint32_t selected = 0;
  Status status = select(bytes, riscv(false, 0), &selected);
  EXPECT_EQ(status.code(), YAN_STATUS_UNSUPPORTED_CPU) << status.text();
  EXPECT_THAT(status.message(),
              HasSubstr("no riscv64 code image in this bundle runs on this CPU: image 0 "
                        "(cpu 'generic-rv64') needs the V vector extension (v, RVV 1.0), "
                        "which this CPU lacks"));
  EXPECT_EQ(selected, rt::kNoImage);
}

TEST(ImageSelection, NamesEveryRejectedImage) {
  auto bytes = bundleWith({{Arch::riscv64, "spacemit-x60", kX60},
                           {Arch::riscv64, "sifive-x280", "v,zvl512b,zba"}});
  uint32_t selected = 0;
  Status status = select(bytes, riscv(true, 128), &selected);
  EXPECT_EQ(status.code(), YAN_STATUS_UNSUPPORTED_CPU) << status.text();
  EXPECT_THAT(status.message(), HasSubstr("image 0 (cpu 'spacemit-x60') needs VLEN >= 256 bits "
                                          "(zvl256b), but this CPU's VLEN is 128"));
  EXPECT_THAT(status.message(), HasSubstr("; image 1 (cpu 'sifive-x280') needs VLEN >= 512"));
  EXPECT_THAT(status.message(), HasSubstr("needs zba, which this operating system cannot report"));
}

TEST(ImageSelection, ArchitectureMismatchIsStillNoImageForHost) {
  auto bytes = bundleWith({{Arch::aarch64, "cortex-a76", "neon"}});
  uint32_t selected = 0;
  Status status = select(bytes, riscv(true, 128), &selected);
  EXPECT_EQ(status.code(), YAN_STATUS_NO_IMAGE_FOR_HOST) << status.text();
}

TEST(ImageSelection, NoCodeModeNeedsNoFittingImage) {
  auto bytes = bundleWith({{Arch::riscv64, "generic-rv64", kRv64gcv}});
  uint32_t selected = 0;
  Status status = select(bytes, riscv(false, 0), &selected, YAN_BUNDLE_OPEN_NO_CODE);
  EXPECT_TRUE(status.ok()) << status.text();
  EXPECT_EQ(selected, rt::kNoImage);
}

TEST(ImageSelection, BundlesWithoutRequirementsLoadAnywhere) {
  auto bytes = bundleWith({{Arch::riscv64, "generic-rv64", ""}});
  uint32_t selected = 99;
  ASSERT_TRUE(select(bytes, riscv(false, 0), &selected).ok());
  EXPECT_EQ(selected, 0u);
}

// The public API on the real CPU: an image needing a feature no runtime
// knows is refused (never loaded and run).
TEST(ImageSelection, OpenRefusesWhatTheRuntimeCannotCheck) {
  auto bytes = bundleWith({{static_cast<Arch>(yan_host_arch()), "future-cpu",
                            "frobnicate"}});
  AlignedBytes aligned(bytes);
  BundlePtr bundle;
  Status status = openMemory(aligned, bundle);
  EXPECT_EQ(status.code(), YAN_STATUS_UNSUPPORTED_CPU) << status.text();
  EXPECT_THAT(status.message(), HasSubstr("frobnicate, which this runtime does not know"));
  EXPECT_STREQ(yan_status_code_name(YAN_STATUS_UNSUPPORTED_CPU), "UNSUPPORTED_CPU");
}

TEST(ImageSelection, OpenReportsRequiredFeatures) {
  char host[2048];
  yan_host_cpu_features(host, sizeof host);
  std::string first = std::string(host).substr(0, std::string(host).find(','));
  ASSERT_FALSE(first.empty());
  auto bytes = bundleWith({{static_cast<Arch>(yan_host_arch()), "host", first.c_str()}});
  AlignedBytes aligned(bytes);
  BundlePtr bundle;
  Status status = openMemory(aligned, bundle);
  ASSERT_TRUE(status.ok()) << status.text();
  yan_code_image_info_t info;
  ASSERT_TRUE(Status(yan_bundle_code_image_info(bundle.get(), 0, &info)).ok());
  EXPECT_EQ(std::string(info.required_features), first);
}

} // namespace
