//===- elf_loader.h - Loading a code image ----------------------*- C++ -*-===//
//
// A deliberately small loader for the one kind of ELF yanc produces: a
// position-independent ELF64 little-endian shared object with no imports,
// no initializers and no TLS, exporting yan_executable_query. Like IREE's
// embedded ELF loader it never involves the system dynamic linker (no
// dlopen: no files on disk, no global symbol namespace, no LD_* influence).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_RUNTIME_ELF_LOADER_H
#define YAN_RUNTIME_ELF_LOADER_H

#include "yan/executable_abi.h"
#include "yan/runtime.h"

#include <cstddef>
#include <cstdint>

namespace yan::rt {

struct LoadedImage {
  uint8_t *region = nullptr;  // the anonymous mapping holding all segments
  size_t regionSize = 0;
  const yan_executable_v4 *executable = nullptr; // plan checked in range
};

/// The e_machine this runtime can execute (EM_X86_64, ...), 0 if none.
uint16_t hostElfMachine();

/// Validates `image` (every header field against `size`), maps its PT_LOAD
/// segments into one anonymous region, applies its relative relocations,
/// protects each segment per its flags and calls yan_executable_query.
/// Entries other than prefill/decode may be NULL (an image compiled without
/// learning); the bundle decides whether it needs them.
/// `image` must already be integrity-checked (sha256). On failure nothing
/// stays mapped.
yan_status_t loadElfImage(const uint8_t *image, size_t size,
                          uint16_t expectedMachine, LoadedImage *out);

void unloadElfImage(LoadedImage *image);

/// Everything loadElfImage does except calling yan_executable_query (which
/// runs the image's code), then unmaps: for the ELF fuzzer (test/fuzz),
/// which feeds images no hash vouches for.
yan_status_t checkElfImageNoQuery(const uint8_t *image, size_t size,
                                  uint16_t expectedMachine);

} // namespace yan::rt

#endif // YAN_RUNTIME_ELF_LOADER_H
