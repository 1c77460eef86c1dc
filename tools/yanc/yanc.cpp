//===- yanc.cpp - The Yan ahead-of-time compiler --------------------------===//
//
//   yanc MODEL_DIR -o OUT.yanb [--target TRIPLE|native [--cpu NAME|native]
//        [--features +a,-b]]...
//        [--test-vectors FILE]... [--emit=yan|mlir|llvm|obj|image|bundle]
//   yanc MODEL_DIR --emit=static-lib -o LIBMODEL.a [--header FILE.h]
//        [--symbol-prefix NAME] [--target TRIPLE [--cpu NAME]]
//
// Reads config.json + model.safetensors from MODEL_DIR and writes the result
// of the requested stage. Exit status: 0 on success, 1 on any error (always
// with a message on stderr). docs/cli.md is the contract. The compile itself
// is compiler/driver's (compileModel); this file parses flags, checks what
// only a command line can get wrong, and writes the outputs.
//
//===----------------------------------------------------------------------===//
#include "BundleOutput.h"
#include "ProgressLine.h"
#include "compiler/driver/Driver.h"
#include "compiler/driver/NativeCpu.h"
#include "tools/common/LlvmToolSupport.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include "yan/arch.h"

namespace cl = llvm::cl;
using yan::Stage;

namespace {
cl::OptionCategory yancCategory("yanc options");
cl::cat yanc(yancCategory);
cl::opt<std::string> modelDir(cl::Positional, cl::Required, cl::desc("<model dir>"), yanc);
cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' = stdout)"),
                                cl::value_desc("path"), cl::init("-"), yanc);
cl::opt<Stage> emit(
    "emit", cl::desc("What to produce"), cl::init(Stage::Bundle), yanc,
    cl::values(
        clEnumValN(Stage::Yan, "yan", "the imported yan module (MLIR)"),
        clEnumValN(Stage::Mlir, "mlir", "the module lowered to the LLVM dialect (MLIR)"),
        clEnumValN(Stage::Llvm, "llvm", "optimized LLVM IR with the runtime ABI surface"),
        clEnumValN(Stage::Obj, "obj", "the relocatable object"),
        clEnumValN(Stage::Image, "image", "the linked code image (ELF shared object, no imports)"),
        clEnumValN(Stage::StaticLib, "static-lib",
                   "for firmware without a loader: an ar archive (code + "
                   "weights) and a C header with the same ABI (--header)"),
        clEnumValN(Stage::Bundle, "bundle",
                   "the .yanb bundle: code image(s), weights, metadata (default)")));
cl::opt<std::string> headerPath("header", cl::value_desc("path"), yanc,
    cl::desc("--emit=static-lib: where the C header goes (default: the archive's path with .h "
             "instead of .a)"));
cl::opt<std::string> symbolPrefix("symbol-prefix", cl::value_desc("name"), cl::init("yan_model"),
    yanc, cl::desc("--emit=static-lib: prefix of the library's C symbols and macros "
                   "(<prefix>_query, <prefix>_weights, PREFIX_*)"));
cl::list<std::string> targetTriples("target", cl::value_desc("triple"), yanc,
    cl::desc("Target triple (default x86_64; 'native': this machine's, with --cpu native unless "
             "--cpu names a preset); repeat for a multi-target bundle with one code image per "
             "target"));
cl::list<std::string> cpus("cpu", cl::value_desc("name"), yanc,
    cl::desc("CPU preset ('native': the preset with the most features this machine's CPU has "
             "all of, named on stderr); once for all targets or once per --target, in order"));
cl::list<std::string> featureLists("features", cl::value_desc("list"), yanc,
    cl::desc("Extra target features (+a,-b); once for all targets or once per --target, in order"));
cl::opt<int64_t> partitionAlignment("partition-alignment", cl::value_desc("bytes"), cl::init(-1),
    yanc, cl::desc("Byte alignment of each weight partition in the bundle (a power of two; 0 packs "
                   "them). Default: the largest page size of the targets (4 KiB x86-64 and "
                   "RISC-V, 16 KiB AArch64), so a token never touches the pages of partitions it "
                   "did not route to"));
enum class ReportKind { None, Text, Json };
cl::opt<ReportKind> report("report", cl::desc("After compiling, print what the model costs and needs"),
                           cl::init(ReportKind::None), cl::ValueOptional, yanc,
                           cl::values(clEnumValN(ReportKind::Text, "", "text (same as =text)"),
                                      clEnumValN(ReportKind::Text, "text", "text"),
                                      clEnumValN(ReportKind::Json, "json", "JSON")));
cl::opt<int64_t> maxMemory("max-memory", cl::value_desc("bytes"), cl::init(-1), yanc,
    cl::desc("Fail when a session would need more than this many bytes (weights + arena + state) "
             "on any target"));
cl::list<std::string> testVectorFiles("test-vectors", cl::value_desc("file"), yanc,
    cl::desc("Embed a reference test-vector set (JSON written by test/reference/golden.py); "
             "repeatable"));
cl::opt<std::string> signKey("sign-key", cl::value_desc("file"), yanc,
    cl::desc("Sign the bundle with this Ed25519 secret key (yan-keygen's KEY file); runtimes "
             "given the matching KEY.pub accept only signed bundles"));
enum class LearnKind { Off, Partitions };
cl::opt<LearnKind> learn("learn", yanc,
    cl::desc("Compile the local-update graph (docs/learning.md). Default: partitions. Every "
             "weight format learns: f32 partitions are trained in place, f16/bf16/int8/int4 "
             "ones in f32 copies made on their first update (widened or dequantized)"),
    cl::values(clEnumValN(LearnKind::Off, "off", "inference only"),
               clEnumValN(LearnKind::Partitions, "partitions",
                          "learn entries that train the routed partitions")));
cl::opt<int64_t> learnMaxTokens("learn-max-tokens", cl::init(128), yanc,
    cl::desc("Longest sample one learn step takes (sizes its arena)"));
cl::opt<int64_t> learnPartitions("learn-partitions", cl::init(0), yanc,
    cl::desc("Most partitions trained per layer and step, M (the runtime may ask for fewer); 0: "
             "the model's active_partitions k"));
cl::opt<std::string> weightFormat("weights", cl::value_desc("format"), yanc,
    cl::desc("Store the weights as f32, f16, bf16, int8 or int4 (default: the checkpoint's "
             "dtype); every format learns (--learn; partitions not stored f32 are trained in f32 "
             "copies). "
             "int8/int4 quantize every matrix (docs/yan-model.md section 9); the norm vectors "
             "stay f32"));
cl::opt<std::string> keepF32("keep-f32", cl::value_desc("list"), yanc,
    cl::desc("Store these tensors as f32 whatever --weights says: a comma list of tensor names "
             "(e.g. layers.0.mix.u.weight) and families: embed, lm_head, router (every "
             "layers.*.router.weight), mix (layers.*.mix.{u,v,g,o}.weight), ffn "
             "(layers.*.ffn.{w1,w3,w2})"));
cl::opt<int64_t> prefillMaxTokens("prefill-max-tokens", cl::init(yan::kDefaultPrefillMaxTokens), yanc,
    cl::desc("Most tokens one prefill call handles (the runtime splits longer prompts); sizes "
             "the arena"));
cl::opt<unsigned> jobs("jobs", cl::value_desc("N"), cl::init(0), yanc,
    cl::desc("Threads of the compile: the code images of a multi-target bundle compile "
             "concurrently, and MLIR's parallel passes share them (bundle bytes do not depend "
             "on it). Default: one per hardware thread"));
cl::opt<bool> quiet("quiet", yanc,
    cl::desc("No progress line (it is shown only when stderr is a terminal: stage, percent, "
             "tensor or target)"));

int fail(llvm::Error error) {
  // A DiagnosedFailure was printed by MLIR's diagnostics already.
  if (error.isA<yan::DiagnosedFailure>())
    return llvm::consumeError(std::move(error)), 1;
  llvm::WithColor::error(llvm::errs(), "yanc")
      << yan::printableMessage(llvm::toString(std::move(error))) << "\n";
  return 1;
}

llvm::Error writeOutput(llvm::StringRef path, llvm::StringRef bytes) {
  std::string message;
  std::unique_ptr<llvm::ToolOutputFile> output = mlir::openOutputFile(path, &message);
  if (!output)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message.c_str());
  output->os() << bytes;
  output->keep();
  return llvm::Error::success();
}

/// `native` for --target/--cpu: the runtime's view of this machine (the
/// architecture it was built for, the CPU features it detects), the preset
/// chosen by the driver; the choice and why go to stderr.
yan::NativeHost nativeHost() {
  yan::NativeHost host;
  host.arch = static_cast<yan::Arch>(yan_host_arch());
  host.choosePreset = [](const yan::TargetDescription &target) -> llvm::Expected<std::string> {
    char features[4096];
    yan_host_cpu_features(features, sizeof features);
    auto choice = yan::chooseNativeCpu(target, features);
    if (!choice)
      return choice.takeError();
    (choice->fallback ? llvm::WithColor::warning(llvm::errs(), "yanc")
                      : llvm::WithColor::note(llvm::errs(), "yanc"))
        << "--cpu native: " << choice->reason << "\n";
    return choice->preset;
  };
  return host;
}

llvm::StringRef asText(const std::vector<uint8_t> &bytes) {
  return {reinterpret_cast<const char *>(bytes.data()), bytes.size()};
}

/// The flags as driver options, after the checks only a command line can
/// fail (in the order users meet them); the key is read, and its
/// permissions checked, before the long compile.
llvm::Expected<yan::DriverOptions> driverOptions() {
  // As LLVM's tools do: binary output is never dumped into a terminal (a
  // forgotten -o would print a bundle's bytes as garbage).
  bool binary = emit == Stage::Obj || emit == Stage::Image || emit == Stage::Bundle;
  bool toStdout = outputPath == "-" || outputPath.empty();
  if (binary && toStdout && llvm::sys::Process::StandardOutIsDisplayed())
    return llvm::createStringError(
        "refusing to write binary output to a terminal: give -o FILE (or redirect stdout)");
  yan::DriverOptions options;
  yan::NativeHost native = nativeHost();
  auto targets = yan::resolveTargets(targetTriples, cpus, featureLists, &native);
  if (!targets)
    return targets.takeError();
  options.targets = std::move(*targets);
  if (emit != Stage::Bundle && options.targets.size() != 1)
    return llvm::createStringError("--emit other than bundle takes exactly one --target");
  if (emit == Stage::StaticLib && toStdout)
    return llvm::createStringError("--emit=static-lib writes two files: give the archive's "
                                   "path with -o (e.g. -o libmodel.a)");
  if (emit != Stage::StaticLib &&
      (headerPath.getNumOccurrences() || symbolPrefix.getNumOccurrences()))
    return llvm::createStringError("--header and --symbol-prefix only apply to --emit=static-lib");
  if (!yan::isValidSymbolPrefix(symbolPrefix))
    return llvm::createStringError("--symbol-prefix '" + symbolPrefix +
                                   "' is not a C identifier (letters, digits and '_', not "
                                   "starting with a digit)");
  std::vector<std::string> inputs(testVectorFiles.begin(), testVectorFiles.end());
  if (signKey.getNumOccurrences())
    inputs.push_back(signKey);
  if (llvm::Error error = yan::checkOutputsAreNotInputs(modelDir, inputs, outputPath, headerPath))
    return std::move(error);
  if (signKey.getNumOccurrences()) {
    if (emit != Stage::Bundle)
      return llvm::createStringError("--sign-key applies to bundles only (--emit=bundle)");
    auto seed = yan::readSigningKey(signKey);
    if (!seed)
      return seed.takeError();
    options.signingSeed = *seed;
  }
  options.stopAfter = emit;
  options.weightFormat = weightFormat;
  options.keepF32 = keepF32;
  options.prefillMaxTokens = prefillMaxTokens;
  if (partitionAlignment >= 0)
    options.partitionAlignment = partitionAlignment;
  if (learn.getNumOccurrences())
    options.learn.enabled = learn == LearnKind::Partitions;
  options.learn.partitions = learnPartitions;
  options.learn.maxTokens = learnMaxTokens;
  options.testVectorFiles.assign(testVectorFiles.begin(), testVectorFiles.end());
  if (maxMemory >= 0)
    options.maxMemoryBytes = maxMemory;
  options.symbolPrefix = symbolPrefix;
  if (jobs.getNumOccurrences() && jobs == 0)
    return llvm::createStringError("--jobs must be at least 1 (leave it out for one thread per "
                                   "hardware thread)");
  options.jobs = jobs;
  return options;
}

/// What the driver produced, to -o (the static library's header beside it).
llvm::Error writeResult(yan::CompileResult &result, yan::ProgressLine &progress) {
  switch (emit) {
  case Stage::Yan:
  case Stage::Mlir:
  case Stage::Llvm: return writeOutput(outputPath, result.text);
  case Stage::Obj:
  case Stage::Image: return writeOutput(outputPath, asText(result.bytes));
  case Stage::StaticLib: {
    std::string header = headerPath;
    if (header.empty()) {
      llvm::SmallString<256> path(outputPath);
      llvm::sys::path::replace_extension(path, ".h");
      header = path.str().str();
    }
    if (llvm::Error error = writeOutput(outputPath, asText(result.library.archive)))
      return error;
    return writeOutput(header, result.library.header);
  }
  case Stage::Bundle: break;
  }
  if (llvm::Error error =
          yan::writeVerifiedBundle(outputPath, result.bundle, progress.callback()))
    return error;
  progress.finish();
  if (report == ReportKind::None)
    return llvm::Error::success();
  uint64_t size = 0;
  if (outputPath != "-" && !llvm::sys::fs::file_size(outputPath, size))
    result.report.bundleBytes = static_cast<int64_t>(size);
  // With the bundle on stdout, the report goes to stderr.
  yan::printReport(outputPath == "-" ? llvm::errs() : llvm::outs(), result.report,
                   report == ReportKind::Json);
  return llvm::Error::success();
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
  auto options = driverOptions();
  if (!options)
    return fail(options.takeError());
  yan::ProgressLine progress(llvm::errs(),
                             !quiet && llvm::sys::Process::StandardErrIsDisplayed(),
                             llvm::sys::Process::StandardErrColumns());
  options->progress = progress.callback();
  options->printDiagnostics = [&progress](llvm::StringRef text) { progress.print(text); };
  auto result = yan::compileModel(modelDir, *options);
  llvm::Error error = result ? writeResult(**result, progress) : result.takeError();
  progress.finish();
  if (error)
    return fail(std::move(error));
  return 0;
}
