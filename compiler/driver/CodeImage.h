//===- CodeImage.h - One target's stages after import ------------*- C++ -*-===//
//
// The stages the driver runs per target, each callable on its own so a
// compile can stop after any of them: lowering (yan passes and loops down to
// the LLVM dialect, compiler/codegen/Pipeline), LLVM IR with the ABI
// surface, the object and the linked code image (compiler/codegen).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_DRIVER_CODEIMAGE_H
#define YAN_COMPILER_DRIVER_CODEIMAGE_H

#include "compiler/codegen/ModelLayout.h"
#include "compiler/codegen/Pipeline.h"
#include "targets/TargetDescription.h"

#include "mlir/IR/BuiltinOps.h"
#include <functional>

namespace yan {

struct CodegenOptions {
  ResolvedTarget target;
  int64_t prefillMaxTokens = kDefaultPrefillMaxTokens;
  /// Weight partitions start at multiples of this (the largest page size of
  /// the bundle's targets), so unrouted partitions' pages are never touched.
  int64_t partitionAlignment = 0;
  LearnOptions learn;
};

/// Lowers a yan-level module (as the importer builds it) in place to the
/// LLVM dialect and returns the layout facts the bundle needs. Errors are
/// reported through the context's diagnostic engine and as the result.
llvm::Expected<ModelLayout> lowerToLLVMDialect(mlir::ModuleOp module,
                                               const CodegenOptions &options);

/// lowerToLLVMDialect, then LLVM IR, object and the linked code image.
struct CodeImage {
  ResolvedTarget target;
  ModelLayout layout;
  std::vector<uint8_t> bytes; // ELF shared object, no imports
  std::string requiredFeatures; // what the runtime checks (RequiredFeatures.h)
};
/// The steps of compileCodeImage, in order; `beforeStep` (if set) hears
/// each one's index and name as it starts.
inline constexpr const char *kCodeImageSteps[] = {"lowering", "LLVM IR", "object", "linking"};
llvm::Expected<CodeImage>
compileCodeImage(mlir::ModuleOp module, const CodegenOptions &options,
                 const std::function<void(unsigned step)> &beforeStep = {});

} // namespace yan

#endif // YAN_COMPILER_DRIVER_CODEIMAGE_H
