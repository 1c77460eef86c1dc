//===- DriverStages.h - The driver's steps, shared by its files --*- C++ -*-===//
//
// Private to compiler/driver: Driver.cpp runs one target's stages,
// BundleAssembly.cpp every target's plus the bundle; both start the same.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_DRIVER_DRIVERSTAGES_H
#define YAN_COMPILER_DRIVER_DRIVERSTAGES_H

#include "compiler/driver/Driver.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/ThreadPool.h"

namespace yan {

/// The yan module of `checkpoint`; DiagnosedFailure when the importer
/// reported an error through the context.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importStage(mlir::MLIRContext &context, const Checkpoint &checkpoint,
            llvm::StringRef modelDir);

/// `request` for this model: learning on by default (any stored format); M in
/// [0, P] (0: the model's k); the sample length within the runtime's limit.
llvm::Expected<LearnOptions> resolveLearnOptions(const Checkpoint &checkpoint,
                                                 const LearnRequest &request);

/// What lowering and codegen take for `target`.
CodegenOptions codegenOptionsFor(const ResolvedTarget &target, const DriverOptions &options,
                                 const LearnOptions &learn);

/// Stage::Bundle: every target's code image, in target order, compiled on
/// `pool` (TargetImages.cpp). Each target's diagnostics are printed
/// (printDiagnostics) once every target is done, in target order; with
/// several targets each line and error names its target.
llvm::Expected<std::vector<CodeImage>>
compileTargetImages(const Checkpoint &checkpoint, llvm::StringRef modelDir,
                    const DriverOptions &options, const LearnOptions &learning,
                    llvm::ThreadPoolInterface &pool);

/// An error diagnostic as MLIR's default handler prints it ("LOC: error:
/// MESSAGE"), after `prefix`, appended to `text`; failure (not handled) for
/// other severities, which the default handler drops too.
mlir::LogicalResult formatError(mlir::Diagnostic &diag, llvm::StringRef prefix,
                                std::string &text);

/// Prints diagnostics' text through options.printDiagnostics (stderr when
/// unset).
void printDiagnostics(const DriverOptions &options, llvm::StringRef text);

/// Stage::Bundle: a code image per target, then result.bundle and
/// result.report (BundleAssembly.cpp).
llvm::Error assembleBundle(llvm::StringRef modelDir, const DriverOptions &options,
                           CompileResult &result);

} // namespace yan

#endif // YAN_COMPILER_DRIVER_DRIVERSTAGES_H
