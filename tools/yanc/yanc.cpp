//===- yanc.cpp - The Yan ahead-of-time compiler driver -------------------===//
//
//   yanc MODEL_DIR -o OUT.yanb [--target TRIPLE [--cpu NAME] [--features +a,-b]]...
//        [--test-vectors FILE]... [--emit=yan|mlir|llvm|obj|image|bundle]
//   yanc MODEL_DIR --emit=static-lib -o LIBMODEL.a [--header FILE.h]
//        [--symbol-prefix NAME] [--target TRIPLE [--cpu NAME]]
//
// Reads config.json + model.safetensors from MODEL_DIR and writes the result
// of the requested stage. Exit status: 0 on success, 1 on any error (always
// with a message on stderr). docs/cli.md is the contract.
//
//===----------------------------------------------------------------------===//
#include "BundleOutput.h"
#include "tools/common/LlvmToolSupport.h"
#include "compiler/bundle/BundleWriter.h"
#include "compiler/bundle/TestVectors.h"
#include "compiler/codegen/CodegenDriver.h"
#include "compiler/codegen/ImageLinker.h"
#include "compiler/codegen/ObjectEmitter.h"
#include "compiler/codegen/RequiredFeatures.h"
#include "compiler/codegen/StaticLibrary.h"
#include "compiler/import/ConvertWeights.h"
#include "compiler/import/Importer.h"
#include "compiler/codegen/CompileReport.h"
#include "compiler/transforms/ModelStats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

namespace cl = llvm::cl;

namespace {
enum class EmitKind { Yan, Mlir, Llvm, Obj, Image, StaticLib, Bundle };

cl::OptionCategory yancCategory("yanc options");
cl::opt<std::string> modelDir(cl::Positional, cl::Required,
                              cl::desc("<model dir>"), cl::cat(yancCategory));
cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' = stdout)"),
                                cl::value_desc("path"), cl::init("-"),
                                cl::cat(yancCategory));
cl::opt<EmitKind> emit(
    "emit", cl::desc("What to produce"), cl::init(EmitKind::Bundle),
    cl::values(
        clEnumValN(EmitKind::Yan, "yan", "the imported yan module (MLIR)"),
        clEnumValN(EmitKind::Mlir, "mlir",
                   "the module lowered to the LLVM dialect (MLIR)"),
        clEnumValN(EmitKind::Llvm, "llvm",
                   "optimized LLVM IR with the runtime ABI surface"),
        clEnumValN(EmitKind::Obj, "obj", "the relocatable object"),
        clEnumValN(EmitKind::Image, "image",
                   "the linked code image (ELF shared object, no imports)"),
        clEnumValN(EmitKind::StaticLib, "static-lib",
                   "for firmware without a loader: an ar archive (code + "
                   "weights) and a C header with the same ABI (--header)"),
        clEnumValN(EmitKind::Bundle, "bundle",
                   "the .yanb bundle: code image(s), weights, metadata "
                   "(default)")),
    cl::cat(yancCategory));
cl::opt<std::string> headerPath(
    "header",
    cl::desc("--emit=static-lib: where the C header goes (default: the "
             "archive's path with .h instead of .a)"),
    cl::value_desc("path"), cl::cat(yancCategory));
cl::opt<std::string> symbolPrefix(
    "symbol-prefix",
    cl::desc("--emit=static-lib: prefix of the library's C symbols and "
             "macros (<prefix>_query, <prefix>_weights, PREFIX_*)"),
    cl::value_desc("name"), cl::init("yan_model"), cl::cat(yancCategory));
cl::list<std::string> targetTriples(
    "target",
    cl::desc("Target triple (default x86_64); repeat for a multi-target "
             "bundle with one code image per target"),
    cl::value_desc("triple"), cl::cat(yancCategory));
cl::list<std::string> cpus(
    "cpu",
    cl::desc("CPU preset; once for all targets or once per --target, in order"),
    cl::value_desc("name"), cl::cat(yancCategory));
cl::list<std::string> featureLists(
    "features",
    cl::desc("Extra target features (+a,-b); once for all targets or once "
             "per --target, in order"),
    cl::value_desc("list"), cl::cat(yancCategory));
cl::opt<int64_t> partitionAlignment(
    "partition-alignment",
    cl::desc("Byte alignment of each weight partition in the bundle (a power "
             "of two; 0 packs them). Default: the largest page size of the "
             "targets (4 KiB x86-64 and RISC-V, 16 KiB AArch64), so a token "
             "never touches the pages of partitions it did not route to"),
    cl::value_desc("bytes"), cl::init(-1), cl::cat(yancCategory));
enum class ReportKind { None, Text, Json };
cl::opt<ReportKind> report(
    "report", cl::desc("After compiling, print what the model costs and needs"),
    cl::init(ReportKind::None), cl::ValueOptional,
    cl::values(clEnumValN(ReportKind::Text, "", "text (same as =text)"),
               clEnumValN(ReportKind::Text, "text", "text"),
               clEnumValN(ReportKind::Json, "json", "JSON")),
    cl::cat(yancCategory));
cl::opt<int64_t> maxMemory(
    "max-memory",
    cl::desc("Fail when a session would need more than this many bytes "
             "(weights + arena + state) on any target"),
    cl::value_desc("bytes"), cl::init(-1), cl::cat(yancCategory));
cl::list<std::string> testVectorFiles(
    "test-vectors",
    cl::desc("Embed a reference test-vector set (JSON written by "
             "test/reference/golden.py); repeatable"),
    cl::value_desc("file"), cl::cat(yancCategory));
cl::opt<std::string> signKey(
    "sign-key",
    cl::desc("Sign the bundle with this Ed25519 secret key (yan-keygen's KEY "
             "file); runtimes given the matching KEY.pub accept only signed bundles"),
    cl::value_desc("file"), cl::cat(yancCategory));
enum class LearnKind { Off, Partitions };
cl::opt<LearnKind> learn(
    "learn",
    cl::desc("Compile the local-update graph (docs/learning.md). Default: "
             "partitions when the partition weights are f32, else off"),
    cl::values(clEnumValN(LearnKind::Off, "off", "inference only"),
               clEnumValN(LearnKind::Partitions, "partitions",
                          "learn entries that train the routed partitions")),
    cl::cat(yancCategory));
cl::opt<int64_t> learnMaxTokens(
    "learn-max-tokens",
    cl::desc("Longest sample one learn step takes (sizes its arena)"),
    cl::init(128), cl::cat(yancCategory));
cl::opt<int64_t> learnPartitions(
    "learn-partitions",
    cl::desc("Most partitions trained per layer and step, M (the runtime may "
             "ask for fewer); 0: the model's active_partitions k"),
    cl::init(0), cl::cat(yancCategory));
cl::opt<std::string> weightFormat(
    "weights",
    cl::desc("Store the weights as f32, f16 or bf16 (default: the "
             "checkpoint's dtype); e.g. an f16 checkpoint with --weights f32 "
             "gives a bundle that can learn"),
    cl::value_desc("format"), cl::cat(yancCategory));
cl::opt<int64_t> prefillMaxTokens(
    "prefill-max-tokens",
    cl::desc("Most tokens one prefill call handles (the runtime splits "
             "longer prompts); sizes the arena"),
    cl::init(64), cl::cat(yancCategory));

int fail(llvm::Error error) {
  llvm::WithColor::error(llvm::errs(), "yanc")
      << yan::printableMessage(llvm::toString(std::move(error))) << "\n";
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
/// --target/--cpu/--features: --cpu and --features apply to every target
/// when given once, or pair with the targets in order.
llvm::Expected<std::vector<yan::ResolvedTarget>> resolveTargets() {
  std::vector<std::string> triples(targetTriples.begin(), targetTriples.end());
  if (triples.empty())
    triples.push_back("");
  auto pick = [&](const cl::list<std::string> &values, size_t i,
                  llvm::StringRef flag) -> llvm::Expected<std::string> {
    if (values.empty())
      return "";
    if (values.size() == 1)
      return values.front();
    if (values.size() != triples.size())
      return llvm::createStringError(flag + " is given " + llvm::Twine(values.size()) +
                       " times for " + llvm::Twine(triples.size()) +
                       " targets; give it once or once per --target");
    return values[i];
  };
  std::vector<yan::ResolvedTarget> resolved;
  for (size_t i = 0; i < triples.size(); ++i) {
    auto cpu = pick(cpus, i, "--cpu");
    if (!cpu)
      return cpu.takeError();
    auto features = pick(featureLists, i, "--features");
    if (!features)
      return features.takeError();
    auto target = yan::resolveTarget(triples[i], *cpu, *features);
    if (!target)
      return target.takeError();
    // Several images per architecture are fine (e.g. rv64gc next to
    // rv64gcv: the runtime picks the most capable one the CPU runs), but
    // two identical ones are a mistake.
    for (const yan::ResolvedTarget &other : resolved)
      if (other.arch == target->arch && other.cpu == target->cpu &&
          other.features == target->features)
        return llvm::createStringError("--target " + triples[i] + " is given twice with cpu '" +
                         target->cpu + "' and features '" + target->features +
                         "': the bundle would hold the same code image twice");
    resolved.push_back(std::move(*target));
  }
  return resolved;
}

/// --partition-alignment, or the largest page size of `targets`: one weight
/// segment serves every code image of a bundle.
int64_t partitionAlignmentFor(llvm::ArrayRef<yan::ResolvedTarget> targets) {
  if (partitionAlignment >= 0)
    return partitionAlignment;
  int64_t page = 0;
  for (const yan::ResolvedTarget &target : targets)
    page = std::max(page, target.pageSize);
  return page;
}

/// --learn and friends, resolved for this model: learning needs f32 weights
/// (an update of f16/bf16 partitions would not be the reference's update).
llvm::Expected<yan::LearnOptions> learnOptionsFor(const yan::Checkpoint &checkpoint) {
  yan::LearnOptions options;
  bool f32 = checkpoint.tensor("layers.0.ffn.w1").dtype == yan::DType::F32;
  if (learn.getNumOccurrences() && learn == LearnKind::Partitions && !f32)
    return llvm::createStringError(
        "--learn=partitions needs f32 weights; this model's are " +
        yan::dtypeName(checkpoint.tensor("layers.0.ffn.w1").dtype) +
        " (compile with --learn=off)");
  options.enabled = learn.getNumOccurrences() ? learn == LearnKind::Partitions : f32;
  if (llvm::Error error = yan::checkTokenLimit("learn-max-tokens", learnMaxTokens, 2))
    return std::move(error);
  if (learnPartitions < 0 || learnPartitions > checkpoint.config.numPartitions)
    return llvm::createStringError(
        "--learn-partitions must be in [0, " +
        llvm::Twine(checkpoint.config.numPartitions) + "] (0: k)");
  options.partitions = learnPartitions ? learnPartitions
                                       : checkpoint.config.activePartitions;
  options.maxTokens = learnMaxTokens;
  return options;
}

/// --emit=static-lib: the archive to -o, the header next to it.
llvm::Error emitStaticLibrary(llvm::Module &module, const yan::ModelLayout &layout,
                              const yan::Checkpoint &checkpoint,
                              const yan::ResolvedTarget &target) {
  auto required = yan::requiredCpuFeatures(target);
  if (!required)
    return required.takeError();
  auto library = yan::buildStaticLibrary(module, layout, checkpoint, target, *required,
                                         symbolPrefix);
  if (!library)
    return library.takeError();
  std::string header = headerPath;
  if (header.empty()) {
    llvm::SmallString<256> path(outputPath);
    llvm::sys::path::replace_extension(path, ".h");
    header = path.str().str();
  }
  if (llvm::Error err = writeBytes(library->archive))
    return err;
  return llvm::writeToOutput(header, [&](llvm::raw_ostream &os) {
    os << library->header;
    return llvm::Error::success();
  });
}

/// Stops after one stage of the pipeline (--emit other than bundle).
int emitStage(const yan::Checkpoint &checkpoint,
              const yan::ResolvedTarget &target) {
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      yan::importCheckpoint(context, checkpoint, modelDir);
  if (!module)
    return 1; // diagnostics already reported
  auto printModule = [&](llvm::raw_ostream &os) { module->print(os), os << "\n"; };
  if (emit == EmitKind::Yan) {
    if (llvm::Error err = writeOutput(printModule))
      return fail(std::move(err));
    return 0;
  }
  auto learning = learnOptionsFor(checkpoint);
  if (!learning)
    return fail(learning.takeError());
  yan::CodegenOptions options{target, prefillMaxTokens,
                              partitionAlignmentFor({target}), *learning};
  auto layout = yan::lowerToLLVMDialect(*module, options);
  if (!layout)
    return fail(layout.takeError());
  if (emit == EmitKind::Mlir) {
    if (llvm::Error err = writeOutput(printModule))
      return fail(std::move(err));
    return 0;
  }
  llvm::LLVMContext llvmContext;
  auto llvmModule = yan::buildLLVMModule(*module, llvmContext, *layout, target);
  if (!llvmModule)
    return fail(llvmModule.takeError());
  if (emit == EmitKind::Llvm) {
    if (llvm::Error err = writeOutput(
            [&](llvm::raw_ostream &os) { (*llvmModule)->print(os, nullptr); }))
      return fail(std::move(err));
    return 0;
  }
  if (emit == EmitKind::StaticLib) {
    if (llvm::Error err = emitStaticLibrary(**llvmModule, *layout, checkpoint, target))
      return fail(std::move(err));
    return 0;
  }
  auto object = yan::emitObject(**llvmModule, target);
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

/// Per-token costs of the imported @decode (before lowering erases the yan
/// ops): parameters, weight bytes, FLOPs.
yan::ModelStats decodeStats(mlir::ModuleOp module) {
  auto decode = module.lookupSymbol<mlir::func::FuncOp>(yan::kDecodeEntry);
  return decode ? yan::modelStatsOf(decode) : yan::ModelStats{};
}

/// Everything the bundle records, from the checkpoint and the code images
/// (whose layouts agree: layout does not depend on the target).
llvm::Expected<yan::BundleContents>
bundleContents(const yan::Checkpoint &checkpoint,
               const std::vector<yan::CodeImage> &images) {
  const yan::ModelLayout &layout = images.front().layout;
  yan::BundleContents contents;
  contents.config = checkpoint.config;
  contents.compilerVersion =
      "yanc " YAN_VERSION " (LLVM " LLVM_VERSION_STRING ")";
  contents.weights = yan::bundleWeights(layout.weights, checkpoint);
  contents.weightSegmentSize = layout.weights.segmentSize;
  contents.state = yan::computeStateLayout(checkpoint.config);
  if (static_cast<int64_t>(contents.state.stateFloats) != layout.stateFloats)
    return llvm::createStringError("internal error: generated code uses " +
                     llvm::Twine(layout.stateFloats) +
                     " state floats, the bundle layout " +
                     llvm::Twine(contents.state.stateFloats));
  for (const yan::CodeImage &image : images) {
    auto arch = yan::bundleArchForTriple(image.target.triple);
    if (!arch)
      return arch.takeError();
    yan::BundleCodeImage code;
    code.triple = image.target.triple;
    code.arch = *arch;
    code.cpu = image.target.cpu;
    code.features = image.target.features;
    code.requiredFeatures = image.requiredFeatures;
    for (const yan::EntryPointInfo &entry : image.layout.entries)
      code.entries.push_back({entry.name, entry.index, entry.maxTokens,
                              static_cast<uint64_t>(entry.arenaBytes)});
    code.bytes = image.bytes;
    contents.codeImages.push_back(std::move(code));
  }
  for (const std::string &path : testVectorFiles) {
    auto vector = yan::readTestVector(path, checkpoint.config.vocabSize,
                                      layout.stateFloats);
    if (!vector)
      return vector.takeError();
    contents.testVectors.push_back(std::move(*vector));
  }
  contents.tokenizer = checkpoint.tokenizer; // MODEL_DIR/tokenizer.model, if any
  return contents;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions({&yancCategory});
  cl::ParseCommandLineOptions(argc, argv, "yanc: Yan ahead-of-time compiler\n");
  if (llvm::Error error = yan::checkRepeatedOptions(yancCategory))
    return fail(std::move(error));

  if (llvm::Error error = yan::checkTokenLimit("prefill-max-tokens", prefillMaxTokens, 1))
    return fail(std::move(error));
  // As LLVM's tools do: binary output is never dumped into a terminal (a
  // forgotten -o would print a bundle's bytes as garbage).
  bool binary = emit == EmitKind::Obj || emit == EmitKind::Image || emit == EmitKind::Bundle;
  if (binary && (outputPath == "-" || outputPath.empty()) &&
      llvm::sys::Process::StandardOutIsDisplayed())
    return fail(llvm::createStringError(
        "refusing to write binary output to a terminal: give -o FILE (or redirect stdout)"));
  auto targets = resolveTargets();
  if (!targets)
    return fail(targets.takeError());
  if (emit != EmitKind::Bundle && targets->size() != 1)
    return fail(llvm::createStringError("--emit other than bundle takes exactly one --target"));
  if (emit == EmitKind::StaticLib && (outputPath == "-" || outputPath.empty()))
    return fail(llvm::createStringError("--emit=static-lib writes two files: give the archive's "
                          "path with -o (e.g. -o libmodel.a)"));
  if (emit != EmitKind::StaticLib &&
      (headerPath.getNumOccurrences() || symbolPrefix.getNumOccurrences()))
    return fail(llvm::createStringError("--header and --symbol-prefix only apply to --emit=static-lib"));
  if (!yan::isValidSymbolPrefix(symbolPrefix))
    return fail(llvm::createStringError("--symbol-prefix '" + symbolPrefix +
                          "' is not a C identifier (letters, digits and '_', not "
                          "starting with a digit)"));

  // Outputs never replace inputs (compared as files, not names).
  std::vector<std::string> inputs;
  for (const char *name : {"config.json", "model.safetensors", "tokenizer.model"}) {
    llvm::SmallString<256> path(modelDir);
    llvm::sys::path::append(path, name);
    inputs.push_back(std::string(path));
  }
  inputs.insert(inputs.end(), testVectorFiles.begin(), testVectorFiles.end());
  if (signKey.getNumOccurrences())
    inputs.push_back(signKey);
  if (llvm::Error error = yan::checkOutputIsNotAnInput("-o", outputPath, inputs))
    return fail(std::move(error));
  if (llvm::Error error = yan::checkOutputIsNotAnInput("--header", headerPath, inputs))
    return fail(std::move(error));

  // The key is read (and its permissions checked) before the long compile.
  std::optional<std::array<uint8_t, 32>> signingSeed;
  if (signKey.getNumOccurrences()) {
    if (emit != EmitKind::Bundle)
      return fail(llvm::createStringError("--sign-key applies to bundles only (--emit=bundle)"));
    auto seed = yan::readSigningKey(signKey);
    if (!seed)
      return fail(seed.takeError());
    signingSeed = *seed;
  }

  llvm::Expected<yan::Checkpoint> checkpoint = yan::loadCheckpoint(modelDir);
  if (!checkpoint)
    return fail(checkpoint.takeError());
  if (weightFormat.getNumOccurrences()) {
    auto format = yan::parseWeightFormat(weightFormat);
    if (!format)
      return fail(format.takeError());
    checkpoint = yan::convertWeights(std::move(*checkpoint), *format);
    if (!checkpoint)
      return fail(checkpoint.takeError());
  }
  if (emit != EmitKind::Bundle)
    return emitStage(*checkpoint, targets->front());

  std::vector<yan::CodeImage> images;
  yan::CompileReport compileReport;
  for (const yan::ResolvedTarget &target : *targets) {
    mlir::MLIRContext context;
    mlir::OwningOpRef<mlir::ModuleOp> module =
        yan::importCheckpoint(context, *checkpoint, modelDir);
    if (!module)
      return 1; // diagnostics already reported
    if (images.empty())
      compileReport.stats = decodeStats(*module);
    auto learning = learnOptionsFor(*checkpoint);
    if (!learning)
      return fail(learning.takeError());
    auto image = yan::compileCodeImage(
        *module, {target, prefillMaxTokens, partitionAlignmentFor(*targets),
                  *learning});
    if (!image)
      return fail(image.takeError());
    images.push_back(std::move(*image));
  }
  auto contents = bundleContents(*checkpoint, images);
  if (!contents)
    return fail(contents.takeError());
  contents->weightBytesPerToken = compileReport.stats.weightBytesPerToken;
  contents->learnPartitions = images.front().layout.learnPartitions;
  contents->signingSeed = signingSeed;
  compileReport.weightBytes = static_cast<int64_t>(contents->weightSegmentSize);
  compileReport.stateBytes = images.front().layout.stateFloats * 4;
  for (const yan::CodeImage &image : images)
    compileReport.targets.push_back(yan::footprintOf(
        image.target, image.layout, static_cast<int64_t>(image.bytes.size())));
  if (maxMemory >= 0)
    if (llvm::Error err = yan::checkMemoryBudget(compileReport, maxMemory))
      return fail(std::move(err));
  if (llvm::Error written = yan::writeVerifiedBundle(outputPath, *contents))
    return fail(std::move(written));
  if (report != ReportKind::None) {
    uint64_t size = 0;
    if (outputPath != "-" && !llvm::sys::fs::file_size(outputPath, size))
      compileReport.bundleBytes = static_cast<int64_t>(size);
    // With the bundle on stdout, the report goes to stderr.
    yan::printReport(outputPath == "-" ? llvm::errs() : llvm::outs(), compileReport,
                     report == ReportKind::Json);
  }
  return 0;
}
