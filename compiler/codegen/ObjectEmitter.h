//===- ObjectEmitter.h - LLVM dialect -> object code -------------*- C++ -*-===//
#ifndef YAN_COMPILER_CODEGEN_OBJECTEMITTER_H
#define YAN_COMPILER_CODEGEN_OBJECTEMITTER_H

#include "compiler/codegen/ModelLayout.h"
#include "targets/TargetDescription.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include <memory>
#include <vector>

namespace yan {

/// Registers every LLVM backend (target infos, targets, MCs, asm printers),
/// once per process. Codegen and RequiredFeatures call it before they look a
/// target up; the driver calls it before targets compile on several threads,
/// since LLVM's registry is not safe to fill concurrently.
void initializeLLVMTargets();

/// Translates an LLVM-dialect module to LLVM IR and adds the ABI surface of
/// runtime/include/yan/executable_abi.h: one wrapper per entry point taking
/// yan_entry_args_v2, the entry table and the exported yan_executable_query.
/// Everything else becomes internal. Optimizes at O3 for `target`.
llvm::Expected<std::unique_ptr<llvm::Module>>
buildLLVMModule(mlir::ModuleOp module, llvm::LLVMContext &context,
                const ModelLayout &layout, const ResolvedTarget &target);

/// Emits a relocatable object for `target`. Fails if the code would import
/// anything (a libm or libc call the lowering should have avoided).
llvm::Expected<std::vector<uint8_t>> emitObject(llvm::Module &module,
                                                const ResolvedTarget &target);

} // namespace yan

#endif // YAN_COMPILER_CODEGEN_OBJECTEMITTER_H
