//===- BundleAssembly.cpp - Every target's code image, then the bundle ----===//
//
// What a bundle records comes from the checkpoint and the code images,
// whose layouts agree (the layout does not depend on the target); the
// state layout the runtime uses is computed independently from the config
// and checked against what the generated code assumes.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/DriverStages.h"

#include "compiler/autodiff/Passes.h"
#include "compiler/bundle/TestVectors.h"
#include "compiler/import/Importer.h"
#include "compiler/transforms/ModelStats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

namespace yan {
namespace {

/// Per-token costs of the imported @decode (before lowering erases the yan
/// ops): parameters, weight bytes, FLOPs.
ModelStats decodeStats(mlir::ModuleOp module) {
  auto decode = module.lookupSymbol<mlir::func::FuncOp>(kDecodeEntry);
  return decode ? modelStatsOf(decode) : ModelStats{};
}

/// The learn entry's FLOP counts: per position, counted as the decode
/// entry's are, and per (position, chosen partition) pair of its weight
/// gradients; of the entry -yan-build-learn makes of `module` (built on a
/// copy: lowering builds it again); zeros without learning.
struct LearnFlops {
  int64_t perToken = 0, perRoutedPair = 0;
};

llvm::Expected<LearnFlops> learnFlopsOf(mlir::ModuleOp module, const LearnOptions &learn) {
  if (!learn.enabled)
    return LearnFlops{};
  mlir::OwningOpRef<mlir::ModuleOp> copy = module.clone();
  mlir::PassManager pm(module.getContext());
  BuildLearnOptions build;
  build.learnPartitions = learn.partitions;
  pm.addPass(createBuildLearn(build));
  if (mlir::failed(pm.run(*copy)))
    return llvm::make_error<DiagnosedFailure>();
  auto entry = copy->lookupSymbol<mlir::func::FuncOp>(kLearnEntry);
  if (!entry)
    return LearnFlops{};
  LearnFlops flops{modelStatsOf(entry).flopsPerToken, weightGradientFlopsPerPair(entry)};
  if (flops.perRoutedPair < 0) {
    entry.emitError("learning needs every layer's partitions to have the same size (the "
                    "runtime counts weight-gradient pairs over all layers)");
    return llvm::make_error<DiagnosedFailure>();
  }
  return flops;
}

BundleCodeImage bundleCodeImage(const CodeImage &image) {
  BundleCodeImage code;
  code.triple = image.target.triple;
  code.arch = image.target.arch;
  code.cpu = image.target.cpu;
  code.features = image.target.features;
  code.requiredFeatures = image.requiredFeatures;
  for (const EntryPointInfo &entry : image.layout.entries)
    code.entries.push_back({entry.name, entry.index, entry.maxTokens,
                            static_cast<uint64_t>(entry.arenaBytes)});
  code.bytes = image.bytes;
  return code;
}

/// Everything the bundle records, from the checkpoint and the code images.
llvm::Expected<BundleContents> bundleContents(const Checkpoint &checkpoint,
                                              const std::vector<CodeImage> &images,
                                              const DriverOptions &options) {
  const ModelLayout &layout = images.front().layout;
  BundleContents contents;
  contents.config = checkpoint.config;
  contents.compilerVersion = compilerVersion();
  contents.weights = bundleWeights(layout.weights, checkpoint);
  contents.weightSegmentSize = layout.weights.segmentSize;
  contents.state = computeStateLayout(checkpoint.config);
  if (static_cast<int64_t>(contents.state.stateFloats) != layout.stateFloats)
    return llvm::createStringError("internal error: generated code uses " +
                                   llvm::Twine(layout.stateFloats) +
                                   " state floats, the bundle layout " +
                                   llvm::Twine(contents.state.stateFloats));
  for (const CodeImage &image : images)
    contents.codeImages.push_back(bundleCodeImage(image));
  for (const std::string &path : options.testVectorFiles) {
    auto vector = readTestVector(path, checkpoint.config.vocabSize, layout.stateFloats);
    if (!vector)
      return vector.takeError();
    contents.testVectors.push_back(std::move(*vector));
  }
  contents.tokenizer = checkpoint.tokenizer; // MODEL_DIR/tokenizer.model, if any
  contents.learnPartitions = layout.learnPartitions;
  contents.signingSeed = options.signingSeed;
  return contents;
}

/// The sizes and costs a report prints and the memory budget checks.
void completeReport(CompileReport &report, const BundleContents &contents,
                    const std::vector<CodeImage> &images) {
  report.weightBytes = static_cast<int64_t>(contents.weightSegmentSize);
  for (const BundleWeight &w : contents.weights) {
    std::string format = weightFormatName(w.format).str();
    auto it = llvm::find_if(report.weightFormats,
                            [&](const FormatBytes &f) { return f.format == format; });
    if (it == report.weightFormats.end())
      it = report.weightFormats.insert(it, FormatBytes{format, 0, 0});
    it->tensors += 1;
    it->bytes += static_cast<int64_t>(w.partitionBytes) * w.numPartitions;
  }
  report.stateBytes = images.front().layout.stateFloats * 4;
  for (const CodeImage &image : images)
    report.targets.push_back(
        footprintOf(image.target, image.layout, static_cast<int64_t>(image.bytes.size())));
}

} // namespace

llvm::Error assembleBundle(llvm::StringRef modelDir, const DriverOptions &options,
                           CompileResult &result) {
  const Checkpoint &checkpoint = *result.checkpoint;
  auto learning = resolveLearnOptions(checkpoint, options.learn);
  if (!learning)
    return learning.takeError();
  llvm::DefaultThreadPool pool(llvm::hardware_concurrency(options.jobs));
  {
    // The model's costs, from a module of its own (each target's is
    // lowered in place); an import error is reported here, once.
    mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
    context.setThreadPool(pool);
    mlir::ScopedDiagnosticHandler print(&context, [&](mlir::Diagnostic &diag) {
      std::string text;
      mlir::LogicalResult handled = formatError(diag, "", text);
      printDiagnostics(options, text);
      return handled;
    });
    auto module = importStage(context, checkpoint, modelDir);
    if (!module)
      return module.takeError();
    result.report.stats = decodeStats(**module);
    auto learnFlops = learnFlopsOf(**module, *learning);
    if (!learnFlops)
      return learnFlops.takeError();
    result.report.learnFlopsPerToken = learnFlops->perToken;
    result.report.learnFlopsPerRoutedPair = learnFlops->perRoutedPair;
  }
  auto images = compileTargetImages(checkpoint, modelDir, options, *learning, pool);
  if (!images)
    return images.takeError();
  result.images = std::move(*images);
  auto contents = bundleContents(checkpoint, result.images, options);
  if (!contents)
    return contents.takeError();
  contents->weightBytesPerToken = result.report.stats.weightBytesPerToken;
  contents->flopsPerToken = result.report.stats.flopsPerToken;
  contents->learnFlopsPerToken = result.report.learnFlopsPerToken;
  contents->learnFlopsPerRoutedPair = result.report.learnFlopsPerRoutedPair;
  result.bundle = std::move(*contents);
  completeReport(result.report, result.bundle, result.images);
  if (options.maxMemoryBytes)
    return checkMemoryBudget(result.report, *options.maxMemoryBytes);
  return llvm::Error::success();
}

} // namespace yan
