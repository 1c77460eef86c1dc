//===- ImageLinker.h - Objects -> one self-contained code image --*- C++ -*-===//
#ifndef YAN_COMPILER_CODEGEN_IMAGELINKER_H
#define YAN_COMPILER_CODEGEN_IMAGELINKER_H

#include "llvm/Support/Error.h"
#include <cstdint>
#include <vector>

namespace yan {

/// Links a relocatable object into a position-independent ELF shared object
/// with no imports (lld, --no-undefined, no libc), exporting only
/// yan_executable_query. The result is what the runtime's loader maps.
/// Deterministic: the same object gives the same bytes.
llvm::Expected<std::vector<uint8_t>>
linkCodeImage(const std::vector<uint8_t> &object);

} // namespace yan

#endif // YAN_COMPILER_CODEGEN_IMAGELINKER_H
