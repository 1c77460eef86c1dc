//===- yanc.cpp - The Yan ahead-of-time compiler driver -------------------===//
//
//   yanc MODEL_DIR [-o OUT] [--emit=yan]
//
// Reads config.json + model.safetensors from MODEL_DIR and writes the result
// of the requested stage. Exit status: 0 on success, 1 on any error (always
// with a message on stderr).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/Importer.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

namespace cl = llvm::cl;

namespace {
enum class EmitKind { Yan };

cl::OptionCategory yancCategory("yanc options");
cl::opt<std::string> modelDir(cl::Positional, cl::Required,
                              cl::desc("<model dir>"), cl::cat(yancCategory));
cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' = stdout)"),
                                cl::value_desc("path"), cl::init("-"),
                                cl::cat(yancCategory));
cl::opt<EmitKind> emit(
    "emit", cl::desc("What to produce"), cl::init(EmitKind::Yan),
    cl::values(clEnumValN(EmitKind::Yan, "yan",
                          "the imported yan module (MLIR text)")),
    cl::cat(yancCategory));

int fail(llvm::Error error) {
  llvm::WithColor::error(llvm::errs(), "yanc") << llvm::toString(std::move(error)) << "\n";
  return 1;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions({&yancCategory});
  cl::ParseCommandLineOptions(argc, argv, "yanc: Yan ahead-of-time compiler\n");

  llvm::Expected<yan::Checkpoint> checkpoint = yan::loadCheckpoint(modelDir);
  if (!checkpoint)
    return fail(checkpoint.takeError());

  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      yan::importCheckpoint(context, *checkpoint, modelDir);
  if (!module)
    return 1; // diagnostics already reported

  std::string errorMessage;
  std::unique_ptr<llvm::ToolOutputFile> output =
      mlir::openOutputFile(outputPath, &errorMessage);
  if (!output) {
    llvm::WithColor::error(llvm::errs(), "yanc") << errorMessage << "\n";
    return 1;
  }
  module->print(output->os());
  output->os() << "\n";
  output->keep();
  return 0;
}
