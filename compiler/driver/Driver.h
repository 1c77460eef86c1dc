//===- Driver.h - One staged compile, from checkpoint to bundle --*- C++ -*-===//
//
// The only library that sees every stage of the pipeline, run in order:
//
//   import     config.json + model.safetensors -> the yan module
//              (compiler/import)
//   lowering   yan passes (weight layout, the learn graph) and loops down to
//              the LLVM dialect (compiler/codegen/Pipeline, compiler/lowering,
//              compiler/autodiff)
//   codegen    LLVM IR with the ABI surface -> object -> code image
//              (compiler/codegen), once per target
//   bundle     code images + weights + metadata -> BundleContents
//              (compiler/bundle), or a static library for firmware
//
// A compile stops after any stage (yanc --emit); the tools parse flags, call
// compileModel once and write what it returns. Decisions that are the
// compiler's (learning by default, the partition alignment, what a bundle
// records, the cross-check of generated code against the bundle's layout)
// are made here, not in a tool.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_DRIVER_DRIVER_H
#define YAN_COMPILER_DRIVER_DRIVER_H

#include "compiler/bundle/BundleWriter.h"
#include "compiler/codegen/CompileReport.h"
#include "compiler/driver/CodeImage.h"
#include "compiler/driver/StaticLibrary.h"
#include "compiler/import/Checkpoint.h"
#include "targets/TargetDescription.h"

#include "llvm/Support/Error.h"
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace yan {

/// Where a compile stops, in pipeline order (yanc --emit=...). StaticLib
/// branches off after Llvm: the code as an object plus the weights, for
/// firmware.
enum class Stage {
  Yan,       // the imported yan module (text)
  Mlir,      // the module lowered to the LLVM dialect (text)
  Llvm,      // optimized LLVM IR with the ABI surface (text)
  Obj,       // the relocatable object (bytes)
  Image,     // the linked code image (bytes)
  StaticLib, // an ar archive and a C header
  Bundle,    // BundleContents for every target
};

/// What the user asked of learning, before the checkpoint is known.
struct LearnRequest {
  /// Unset: learn whenever the model has partitions (f32 partitions are
  /// trained in place, f16/bf16/int8/int4 ones in f32 copies made on their
  /// first update).
  std::optional<bool> enabled;
  int64_t partitions = 0; // M, the most partitions trained per layer; 0: k
  int64_t maxTokens = 128; // the longest sample one learn step takes
};

struct DriverOptions {
  Stage stopAfter = Stage::Bundle;
  /// Exactly one unless stopAfter is Bundle (one code image each).
  std::vector<ResolvedTarget> targets;
  /// "f32", "f16", "bf16", "int8", "int4": store the weights so; empty: the
  /// checkpoint's (selectWeightFormats).
  std::string weightFormat;
  /// Tensors stored f32 whatever weightFormat says: comma-separated tensor
  /// and family names (keptF32Tensors).
  std::string keepF32;
  int64_t prefillMaxTokens = kDefaultPrefillMaxTokens;
  /// Unset: the largest page size of the targets (largestPageSize).
  std::optional<int64_t> partitionAlignment;
  LearnRequest learn;
  /// Reference results to embed (test/reference/golden.py's JSON).
  std::vector<std::string> testVectorFiles;
  /// Fail when a session would need more bytes than this on any target.
  std::optional<int64_t> maxMemoryBytes;
  std::optional<std::array<uint8_t, 32>> signingSeed;
  std::string symbolPrefix = "yan_model"; // StaticLib
  /// Threads of a bundle compile (yanc --jobs): its targets' code images
  /// compile concurrently on them, and MLIR's parallel passes share them;
  /// 0: one per hardware thread.
  unsigned jobs = 0;
  /// Hears how far a bundle compile is (each target's codegen steps); called
  /// from the compile's threads. May be empty.
  ProgressFn progress;
  /// Prints a bundle compile's diagnostics: whole lines, those of a target
  /// prefixed with "TRIPLE (CPU): " when the bundle has several. Empty:
  /// stderr.
  std::function<void(llvm::StringRef text)> printDiagnostics;
};

/// What a compile produced; the members of its last stage are set.
struct CompileResult {
  std::string text;           // Yan, Mlir, Llvm
  std::vector<uint8_t> bytes; // Obj, Image
  StaticLibrary library;      // StaticLib
  BundleContents bundle;      // Bundle
  CompileReport report;       // Bundle: bundleBytes stays -1 (unwritten)

  // What `bundle` views (weights, code bytes): kept alive with it, which is
  // why compileModel returns the result by pointer.
  std::optional<Checkpoint> checkpoint;
  std::vector<CodeImage> images;
};

/// Loads MODEL_DIR and runs the stages up to options.stopAfter.
llvm::Expected<std::unique_ptr<CompileResult>> compileModel(llvm::StringRef modelDir,
                                                            const DriverOptions &options);

/// The compile failed and said why through MLIR's diagnostics, which are
/// already printed: the caller adds no message of its own.
class DiagnosedFailure : public llvm::ErrorInfo<DiagnosedFailure> {
public:
  static char ID;
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;
};

/// `--NAME VALUE` against the runtime's token limit (minimum .. the limit of
/// yan/limits.h), for the flags that size arenas.
llvm::Error checkTokenLimit(llvm::StringRef name, int64_t value, int64_t minimum);

/// "yanc <version> (LLVM <version>)": what a bundle records as its compiler.
std::string compilerVersion();

} // namespace yan

#endif // YAN_COMPILER_DRIVER_DRIVER_H
