//===- make_fixture_bundle.cpp - Writes the FAKE fixture bundle -----------===//
//
//   make-fixture-bundle OUT.yanb [x86_64|aarch64|riscv64] [--learn|--int8|--int4]
//
// (default: this host; other architectures are for runs under qemu-user).
// For the yan-run / yan-dump tests: a valid bundle around the fixture code
// image (NOT a model; see fixture/fixture_image.c) with one test vector;
// --learn adds its fake learn entries and a learn table; --int8/--int4
// store the fixture model's matrices so (yanc --weights), without test
// vector.
//
//===----------------------------------------------------------------------===//
#include "Fixture.h"

#include "compiler/import/ConvertWeights.h"

#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  std::string last = argc > 2 ? argv[argc - 1] : "";
  bool learn = last == "--learn";
  std::string quantized = last == "--int8" ? "int8" : last == "--int4" ? "int4" : "";
  if (learn || !quantized.empty())
    --argc;
  if (argc != 2 && argc != 3) {
    llvm::errs() << "usage: make-fixture-bundle OUT.yanb [x86_64|aarch64|riscv64] "
                    "[--learn|--int8|--int4]\n";
    return 2;
  }
  yan_arch_t arch = yan_host_arch();
  if (argc == 3) {
    std::string name = argv[2];
    arch = name == "x86_64"    ? YAN_ARCH_X86_64
           : name == "aarch64" ? YAN_ARCH_AARCH64
           : name == "riscv64" ? YAN_ARCH_RISCV64
                               : YAN_ARCH_UNKNOWN;
    if (arch == YAN_ARCH_UNKNOWN) {
      llvm::errs() << "make-fixture-bundle: unknown architecture '" << name << "'\n";
      return 2;
    }
  }
  static const std::vector<uint8_t> code =
      yan::test::fixtureFile(std::string("fixture_") + yan_arch_name(arch) + ".so");
  static yan::Checkpoint checkpoint =
      yan::test::randomCheckpoint(yan::test::fixtureConfig(), /*seed=*/7);
  if (!quantized.empty())
    llvm::cantFail(yan::selectWeightFormats(checkpoint, quantized, ""));
  yan::test::FixtureBundle fixture =
      learn ? yan::test::learnFixtureBundle(code, arch)
      : !quantized.empty()
          ? yan::test::fixtureBundleFor(checkpoint, yan::test::fixtureConfig(), code, {}, arch)
          : yan::test::fixtureBundle(code, {}, arch);
  if (llvm::Error error = yan::writeBundle(argv[1], fixture.contents)) {
    llvm::errs() << "make-fixture-bundle: " << llvm::toString(std::move(error)) << "\n";
    return 1;
  }
  return 0;
}
