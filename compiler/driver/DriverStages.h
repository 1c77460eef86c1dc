//===- DriverStages.h - The driver's steps, shared by its files --*- C++ -*-===//
//
// Private to compiler/driver: Driver.cpp runs one target's stages,
// BundleAssembly.cpp every target's plus the bundle; both start the same.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_DRIVER_DRIVERSTAGES_H
#define YAN_COMPILER_DRIVER_DRIVERSTAGES_H

#include "compiler/driver/Driver.h"

#include "mlir/IR/OwningOpRef.h"

namespace yan {

/// The yan module of `checkpoint`; DiagnosedFailure when the importer
/// reported an error through the context.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importStage(mlir::MLIRContext &context, const Checkpoint &checkpoint,
            llvm::StringRef modelDir);

/// `request` for this model: learning on by default; M in
/// [0, P] (0: the model's k); the sample length within the runtime's limit.
llvm::Expected<LearnOptions> resolveLearnOptions(const Checkpoint &checkpoint,
                                                 const LearnRequest &request);

/// What lowering and codegen take for `target`.
CodegenOptions codegenOptionsFor(const ResolvedTarget &target, const DriverOptions &options,
                                 const LearnOptions &learn);

/// Stage::Bundle: a code image per target, then result.bundle and
/// result.report (BundleAssembly.cpp).
llvm::Error assembleBundle(llvm::StringRef modelDir, const DriverOptions &options,
                           CompileResult &result);

} // namespace yan

#endif // YAN_COMPILER_DRIVER_DRIVERSTAGES_H
