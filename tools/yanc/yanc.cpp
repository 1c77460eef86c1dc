//===- yanc.cpp - The Yan ahead-of-time compiler driver -------------------===//
//
//   yanc MODEL_DIR -o OUT [--target TRIPLE] [--cpu NAME] [--features +a,-b]
//        [--emit=yan|mlir|llvm|obj|image|bundle]
//
// Reads config.json + model.safetensors from MODEL_DIR and writes the result
// of the requested stage. Exit status: 0 on success, 1 on any error (always
// with a message on stderr). docs/cli.md is the contract.
//
//===----------------------------------------------------------------------===//
#include "compiler/codegen/CodegenDriver.h"
#include "compiler/codegen/ImageLinker.h"
#include "compiler/codegen/ObjectEmitter.h"
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
enum class EmitKind { Yan, Mlir, Llvm, Obj, Image };

cl::OptionCategory yancCategory("yanc options");
cl::opt<std::string> modelDir(cl::Positional, cl::Required,
                              cl::desc("<model dir>"), cl::cat(yancCategory));
cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' = stdout)"),
                                cl::value_desc("path"), cl::init("-"),
                                cl::cat(yancCategory));
cl::opt<EmitKind> emit(
    "emit", cl::desc("What to produce"), cl::init(EmitKind::Image),
    cl::values(
        clEnumValN(EmitKind::Yan, "yan", "the imported yan module (MLIR)"),
        clEnumValN(EmitKind::Mlir, "mlir",
                   "the module lowered to the LLVM dialect (MLIR)"),
        clEnumValN(EmitKind::Llvm, "llvm",
                   "optimized LLVM IR with the runtime ABI surface"),
        clEnumValN(EmitKind::Obj, "obj", "the relocatable object"),
        clEnumValN(EmitKind::Image, "image",
                   "the linked code image (ELF shared object, no imports)")),
    cl::cat(yancCategory));
cl::opt<std::string> targetTriple("target",
                                  cl::desc("Target triple (default x86_64)"),
                                  cl::value_desc("triple"),
                                  cl::cat(yancCategory));
cl::opt<std::string> cpu("cpu", cl::desc("CPU preset or LLVM CPU name"),
                         cl::value_desc("name"), cl::cat(yancCategory));
cl::opt<std::string> features("features",
                              cl::desc("Extra target features (+a,-b)"),
                              cl::value_desc("list"), cl::cat(yancCategory));
cl::opt<int64_t> prefillMaxTokens(
    "prefill-max-tokens",
    cl::desc("Most tokens one prefill call handles (the runtime splits "
             "longer prompts); sizes the arena"),
    cl::init(64), cl::cat(yancCategory));

int fail(llvm::Error error) {
  llvm::WithColor::error(llvm::errs(), "yanc")
      << llvm::toString(std::move(error)) << "\n";
  return 1;
}

llvm::Error writeOutput(llvm::function_ref<void(llvm::raw_ostream &)> write) {
  std::string message;
  std::unique_ptr<llvm::ToolOutputFile> output =
      mlir::openOutputFile(outputPath, &message);
  if (!output)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   message.c_str());
  write(output->os());
  output->keep();
  return llvm::Error::success();
}

llvm::Error writeBytes(const std::vector<uint8_t> &bytes) {
  return writeOutput([&](llvm::raw_ostream &os) {
    os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  });
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions({&yancCategory});
  cl::ParseCommandLineOptions(argc, argv, "yanc: Yan ahead-of-time compiler\n");

  if (prefillMaxTokens < 1)
    return fail(llvm::createStringError(llvm::inconvertibleErrorCode(),
                                        "--prefill-max-tokens must be >= 1"));
  auto target = yan::resolveTarget(targetTriple, cpu, features);
  if (!target)
    return fail(target.takeError());

  llvm::Expected<yan::Checkpoint> checkpoint = yan::loadCheckpoint(modelDir);
  if (!checkpoint)
    return fail(checkpoint.takeError());

  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      yan::importCheckpoint(context, *checkpoint, modelDir);
  if (!module)
    return 1; // diagnostics already reported
  if (emit == EmitKind::Yan) {
    if (llvm::Error err = writeOutput(
            [&](llvm::raw_ostream &os) { module->print(os), os << "\n"; }))
      return fail(std::move(err));
    return 0;
  }

  yan::CodegenOptions options{*target, prefillMaxTokens};
  auto layout = yan::lowerToLLVMDialect(*module, options);
  if (!layout)
    return fail(layout.takeError());
  if (emit == EmitKind::Mlir) {
    if (llvm::Error err = writeOutput(
            [&](llvm::raw_ostream &os) { module->print(os), os << "\n"; }))
      return fail(std::move(err));
    return 0;
  }

  llvm::LLVMContext llvmContext;
  auto llvmModule =
      yan::buildLLVMModule(*module, llvmContext, *layout, *target);
  if (!llvmModule)
    return fail(llvmModule.takeError());
  if (emit == EmitKind::Llvm) {
    if (llvm::Error err = writeOutput(
            [&](llvm::raw_ostream &os) { (*llvmModule)->print(os, nullptr); }))
      return fail(std::move(err));
    return 0;
  }
  auto object = yan::emitObject(**llvmModule, *target);
  if (!object)
    return fail(object.takeError());
  if (emit == EmitKind::Obj) {
    if (llvm::Error err = writeBytes(*object))
      return fail(std::move(err));
    return 0;
  }
  auto image = yan::linkCodeImage(*object);
  if (!image)
    return fail(image.takeError());
  if (llvm::Error err = writeBytes(*image))
    return fail(std::move(err));
  return 0;
}
