//===- Driver.cpp - One staged compile, from checkpoint to bundle ---------===//
#include "compiler/driver/Driver.h"

#include "compiler/codegen/ImageLinker.h"
#include "compiler/codegen/ObjectEmitter.h"
#include "compiler/codegen/RequiredFeatures.h"
#include "compiler/driver/DriverStages.h"
#include "compiler/import/ConvertWeights.h"
#include "compiler/import/Importer.h"
#include "yan/limits.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/LLVMContext.h"

namespace yan {

char DiagnosedFailure::ID = 0;

void DiagnosedFailure::log(llvm::raw_ostream &os) const {
  os << "failed; the diagnostics above say why";
}

std::error_code DiagnosedFailure::convertToErrorCode() const {
  return llvm::inconvertibleErrorCode();
}

llvm::Error checkTokenLimit(llvm::StringRef name, int64_t value, int64_t minimum) {
  if (value >= minimum && value <= YAN_LIMIT_MAX_TOKENS)
    return llvm::Error::success();
  return llvm::createStringError("--" + name + " " + llvm::Twine(value) + " is outside [" +
                                 llvm::Twine(minimum) + ", " +
                                 llvm::Twine(YAN_LIMIT_MAX_TOKENS) +
                                 "] (the runtime's limit, yan/limits.h)");
}

std::string compilerVersion() {
  return "yanc " YAN_VERSION " (LLVM " LLVM_VERSION_STRING ")";
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importStage(mlir::MLIRContext &context, const Checkpoint &checkpoint,
            llvm::StringRef modelDir) {
  mlir::OwningOpRef<mlir::ModuleOp> module = importCheckpoint(context, checkpoint, modelDir);
  if (!module)
    return llvm::make_error<DiagnosedFailure>();
  return module;
}

llvm::Expected<LearnOptions> resolveLearnOptions(const Checkpoint &checkpoint,
                                                 const LearnRequest &request) {
  // f32 partitions are trained in place; f16/bf16/int8/int4 ones in f32
  // copies made on their first update, widened or dequantized
  // (docs/learning.md).
  std::optional<WeightFormat> format = checkpoint.partitionWeightFormat();
  if (request.enabled.value_or(false) && !format)
    return llvm::createStringError(
        "--learn=partitions needs routed FFN partitions; this model has none");
  LearnOptions options;
  options.enabled = request.enabled.value_or(format.has_value());
  if (llvm::Error error = checkTokenLimit("learn-max-tokens", request.maxTokens, 2))
    return std::move(error);
  int64_t numPartitions = checkpoint.config.numPartitions;
  if (request.partitions < 0 || request.partitions > numPartitions)
    return llvm::createStringError("--learn-partitions must be in [0, " +
                                   llvm::Twine(numPartitions) + "] (0: k)");
  options.partitions =
      request.partitions ? request.partitions : checkpoint.config.activePartitions;
  options.maxTokens = request.maxTokens;
  return options;
}

CodegenOptions codegenOptionsFor(const ResolvedTarget &target, const DriverOptions &options,
                                 const LearnOptions &learn) {
  return {target, options.prefillMaxTokens,
          options.partitionAlignment.value_or(largestPageSize(options.targets)), learn};
}

namespace {

std::string printed(mlir::ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os);
  os << "\n";
  return text;
}

/// The stages of one target up to `options.stopAfter` (any but Bundle).
llvm::Error runTargetStages(const Checkpoint &checkpoint, llvm::StringRef modelDir,
                            const DriverOptions &options, CompileResult &result) {
  const ResolvedTarget &target = options.targets.front();
  Stage stop = options.stopAfter;
  mlir::MLIRContext context;
  auto module = importStage(context, checkpoint, modelDir);
  if (!module)
    return module.takeError();
  if (stop == Stage::Yan) {
    result.text = printed(**module);
    return llvm::Error::success();
  }
  auto learning = resolveLearnOptions(checkpoint, options.learn);
  if (!learning)
    return learning.takeError();
  auto layout = lowerToLLVMDialect(**module, codegenOptionsFor(target, options, *learning));
  if (!layout)
    return layout.takeError();
  if (stop == Stage::Mlir) {
    result.text = printed(**module);
    return llvm::Error::success();
  }
  llvm::LLVMContext llvmContext;
  auto llvmModule = buildLLVMModule(**module, llvmContext, *layout, target);
  if (!llvmModule)
    return llvmModule.takeError();
  if (stop == Stage::Llvm) {
    llvm::raw_string_ostream os(result.text);
    (*llvmModule)->print(os, nullptr);
    return llvm::Error::success();
  }
  if (stop == Stage::StaticLib) {
    auto required = requiredCpuFeatures(target);
    if (!required)
      return required.takeError();
    auto library = buildStaticLibrary(**llvmModule, *layout, checkpoint, target, *required,
                                      options.symbolPrefix);
    if (!library)
      return library.takeError();
    result.library = std::move(*library);
    return llvm::Error::success();
  }
  auto object = emitObject(**llvmModule, target);
  if (!object)
    return object.takeError();
  if (stop == Stage::Obj) {
    result.bytes = std::move(*object);
    return llvm::Error::success();
  }
  auto image = linkCodeImage(*object);
  if (!image)
    return image.takeError();
  result.bytes = std::move(*image);
  return llvm::Error::success();
}

/// The checkpoint, with the formats its weights are stored in
/// (options.weightFormat, options.keepF32).
llvm::Expected<Checkpoint> loadStage(llvm::StringRef modelDir, const DriverOptions &options) {
  llvm::Expected<Checkpoint> checkpoint = loadCheckpoint(modelDir);
  if (!checkpoint)
    return checkpoint;
  if (llvm::Error error =
          selectWeightFormats(*checkpoint, options.weightFormat, options.keepF32))
    return std::move(error);
  return checkpoint;
}

} // namespace

llvm::Expected<std::unique_ptr<CompileResult>> compileModel(llvm::StringRef modelDir,
                                                            const DriverOptions &options) {
  if (options.targets.empty())
    return llvm::createStringError("no target to compile for");
  if (options.stopAfter != Stage::Bundle && options.targets.size() != 1)
    return llvm::createStringError("a compile that stops before the bundle takes exactly one target");
  auto checkpoint = loadStage(modelDir, options);
  if (!checkpoint)
    return checkpoint.takeError();
  auto result = std::make_unique<CompileResult>();
  result->checkpoint.emplace(std::move(*checkpoint));
  llvm::Error error = options.stopAfter == Stage::Bundle
                          ? assembleBundle(modelDir, options, *result)
                          : runTargetStages(*result->checkpoint, modelDir, options, *result);
  if (error)
    return std::move(error);
  return result;
}

} // namespace yan
