//===- fuzz_elf.cpp - libFuzzer harness: the ELF loader -------------------===//
//
// Input: a code image (ELF shared object). Everything the loader does to an
// image (header and program header checks, .dynsym lookup, mapping,
// relocation, protection) except calling its query function, which would
// run the fuzzer's bytes as code (checkElfImageNoQuery).
//
//===----------------------------------------------------------------------===//
#include "elf_loader.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The loader reads the image with aligned loads of ELF structures only
  // after checking offsets; give it a copy of exactly `size` bytes.
  uint8_t *copy = static_cast<uint8_t *>(std::malloc(size ? size : 1));
  if (size)
    std::memcpy(copy, data, size);
  yan_status_t status = yan::rt::checkElfImageNoQuery(copy, size, yan::rt::hostElfMachine());
  if (status && !*yan_status_message(status))
    std::abort();
  yan_status_free(status);
  std::free(copy);
  return 0;
}
