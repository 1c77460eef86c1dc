//===- StaticLibrary.h - A model as a static library for firmware -*- C++ -*-===//
//
// `yanc --emit=static-lib` is for systems that cannot load code at run time
// (no mmap/mprotect, no loader, code in flash): the same generated code as
// a bundle's code image, as a relocatable object the firmware links, plus
// the weight segment as read-only data and a C header. The entry points keep
// the code image's ABI (runtime/include/yan/executable_abi.h, embedded in
// the header), so firmware calls them exactly as the runtime does.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_DRIVER_STATICLIBRARY_H
#define YAN_COMPILER_DRIVER_STATICLIBRARY_H

#include "compiler/codegen/ModelLayout.h"
#include "compiler/import/Checkpoint.h"
#include "targets/TargetDescription.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <string>
#include <vector>

namespace yan {

struct StaticLibrary {
  std::vector<uint8_t> archive; // ar archive: <prefix>_code.o, <prefix>_weights.o
  std::string header;           // C header declaring what the archive defines
};

/// Builds the library from `codeModule` (buildLLVMModule's result; its
/// query function is renamed to `<symbolPrefix>_query` so several models can
/// share one program), the checkpoint's weights placed per `layout`, and
/// `requiredFeatures` (recorded in the header). `symbolPrefix` must be a C
/// identifier. Deterministic: the same inputs give the same bytes.
llvm::Expected<StaticLibrary>
buildStaticLibrary(llvm::Module &codeModule, const ModelLayout &layout,
                   const Checkpoint &checkpoint, const ResolvedTarget &target,
                   llvm::StringRef requiredFeatures, llvm::StringRef symbolPrefix);

/// Whether `name` can prefix the library's C symbols and macros.
bool isValidSymbolPrefix(llvm::StringRef name);

} // namespace yan

#endif // YAN_COMPILER_DRIVER_STATICLIBRARY_H
