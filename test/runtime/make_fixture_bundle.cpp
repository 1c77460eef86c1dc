//===- make_fixture_bundle.cpp - Writes the FAKE fixture bundle -----------===//
//
//   make-fixture-bundle OUT.yanb [x86_64|aarch64|riscv64] [--learn]
//
// (default: this host; other architectures are for runs under qemu-user).
// For the yan-run / yan-dump tests: a valid bundle around the fixture code
// image (NOT a model; see fixture/fixture_image.c) with one test vector;
// --learn adds its fake learn entries and a learn table.
//
//===----------------------------------------------------------------------===//
#include "Fixture.h"

#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  bool learn = argc > 2 && std::string(argv[argc - 1]) == "--learn";
  if (learn)
    --argc;
  if (argc != 2 && argc != 3) {
    llvm::errs() << "usage: make-fixture-bundle OUT.yanb [x86_64|aarch64|riscv64] [--learn]\n";
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
  yan::test::FixtureBundle fixture = learn ? yan::test::learnFixtureBundle(code, arch)
                                           : yan::test::fixtureBundle(code, {}, arch);
  if (llvm::Error error = yan::writeBundle(argv[1], fixture.contents)) {
    llvm::errs() << "make-fixture-bundle: " << llvm::toString(std::move(error)) << "\n";
    return 1;
  }
  return 0;
}
