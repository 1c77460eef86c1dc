//===- TargetDescription.h - What the compiler knows about a target -*- C++ -*-===//
//
// A target is data the compiler consults (triple, ABI, CPU presets, vector
// width, kernel tiles, page size), not `if (arch == ...)` spread through
// the compiler. Each targets/<arch>/ directory contributes one description
// (a table of presets and facts, built by describeTarget) and the CPU
// feature table the runtime checks (CpuFeatures.def,
// yan/targets/cpu_feature_table.h). A triple is mapped to its description,
// and so to its Arch, once: by resolveTarget.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TARGETS_TARGETDESCRIPTION_H
#define YAN_TARGETS_TARGETDESCRIPTION_H

#include "yan/targets/arch.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace yan {

/// The shapes the generated kernels use on a CPU. The lowering
/// (compiler/lowering/KernelEmitter, KernelShape) receives them as the
/// -yan-lower-to-loops options vector-width, row-block, dot-vectors,
/// accumulate-outputs, accumulate-vectors, quant-lanes and dequant-rows
/// (compiler/codegen/Pipeline). The two register tiles (docs/codegen.md,
/// "Register tiles") hold their accumulators in vector registers: their
/// products plus the operands of one step must fit the register file.
struct KernelTiles {
  unsigned f32Lanes = 8; // f32 lanes per vector (also the dot products' width)
  /// Matrix rows per register tile of the dot-product kernel (also the
  /// granularity of a thread's share of rows).
  unsigned rowBlock = 4;
  /// Vectors (tokens) per register tile of the dot-product kernel: a tile
  /// holds rowBlock x dotVectors vector accumulators; each step loads
  /// rowBlock weight vectors and dotVectors token vectors.
  unsigned dotVectors = 3;
  /// The transposed product's register tile (backward): outputs x column
  /// vectors accumulators; each step loads accumulateVectors input vectors
  /// and broadcasts one coefficient per output.
  unsigned accumulateOutputs = 4;
  unsigned accumulateVectors = 3;
  /// f32 lanes of the fused int8/int4 matrix x vector kernel (decode): per
  /// 32-element group, 32 / quantLanes q vectors are widened and multiplied
  /// into one accumulator before the group's scale is applied. A divisor of
  /// 32.
  unsigned quantLanes = 8;
  /// int8/int4 rows dequantized at once into an f32 tile that every vector
  /// of a prefill or learning product reuses (capped at 64 KiB of stack).
  unsigned dequantRows = 16;
};

/// A named CPU: what LLVM calls it, the features we add, and the kernel
/// shapes our code uses on it.
struct CpuPreset {
  std::string name;     // what users pass to --cpu
  std::string llvmCpu;  // LLVM's CPU name
  std::string features; // "+a,+b"
  KernelTiles tiles;
};

/// Two LLVM intrinsics the fused int4 decode kernel uses instead of widening
/// q to f32 (docs/codegen.md, "int4 decode on bf16 pair dots"), and the
/// feature that enables them. `dotIntrinsic`: acc[i] += a[2i] * b[2i] +
/// a[2i+1] * b[2i+1] over 16 f32 lanes and 32 bf16 elements, products exact
/// (x86: vdpbf16ps). `lookupIntrinsic`: a 32-entry table of 16-bit words
/// indexed by the low 5 bits of each of 32 words (x86: vpermw). Empty: the
/// architecture has none.
struct Bf16PairDot {
  std::string feature;
  std::string dotIntrinsic;
  std::string lookupIntrinsic;
};

/// The facts of an architecture that do not depend on the CPU.
struct TargetFacts {
  Arch arch;
  std::string triple;     // default triple
  std::string defaultCpu; // a preset name
  /// The largest memory page the target's systems use. Weight partitions
  /// are aligned to it (the default --partition-alignment is the largest
  /// page size of a bundle's targets), so a token never touches the pages
  /// of partitions it did not route to.
  int64_t pageSize;
  /// LLVM's target ABI name (TargetOptions::MCOptions::ABIName); empty:
  /// LLVM's default for the triple.
  std::string abiName;
  /// The LLVM feature that converts f16 to f32 in hardware ("f16c",
  /// "zfhmin"); empty when every CPU of the target has it. Without it the
  /// lowering widens f16 weights with integer operations (a code image
  /// cannot import the __extendhfsf2 library call).
  std::string f16ConversionFeature = {};
  Bf16PairDot bf16PairDot = {};
};

struct TargetDescription : TargetFacts {
  std::vector<CpuPreset> presets;
};

/// The shared builder of targets/<arch>/: facts plus a table of presets.
TargetDescription describeTarget(TargetFacts facts, llvm::ArrayRef<CpuPreset> presets);

/// The target a compilation uses, after applying --cpu and --features.
struct ResolvedTarget {
  Arch arch;
  std::string triple;
  std::string cpu;      // LLVM CPU name
  std::string features; // LLVM feature string
  KernelTiles tiles;
  int64_t pageSize;
  std::string abiName;
  std::string f16ConversionFeature; // TargetFacts'
  Bf16PairDot bf16PairDot;          // TargetFacts'
};

/// Descriptions of every target we know.
const std::vector<TargetDescription> &allTargets();

/// Resolves `triple` (empty: the x86-64 default), `cpu` (empty: the target's
/// default preset; otherwise a preset name) and extra
/// `features` ("+a,-b", appended to the preset's).
llvm::Expected<ResolvedTarget> resolveTarget(llvm::StringRef triple,
                                             llvm::StringRef cpu,
                                             llvm::StringRef features);

/// The machine `native` means (`--target native`, `--cpu native`): its
/// architecture, and how to pick its preset from a description of that
/// architecture (the driver's chooseNativeCpu, which asks LLVM what each
/// preset requires and compares with the host's detected features).
struct NativeHost {
  Arch arch = Arch::unknown;
  std::function<llvm::Expected<std::string>(const TargetDescription &)> choosePreset;
};

/// yanc's --target/--cpu/--features: one target per triple (no triple: the
/// default); `cpus` and `features` apply to every target when given once,
/// or pair with the triples in order. The same target twice is an error
/// (several per architecture are fine: rv64gc next to rv64gcv). With
/// `native`: the triple "native" is the host architecture's (with the CPU
/// "native" unless --cpu names one), and the CPU "native" is
/// native->choosePreset's, for the host's architecture only (native means
/// this machine: on another architecture it is an error).
llvm::Expected<std::vector<ResolvedTarget>>
resolveTargets(llvm::ArrayRef<std::string> triples, llvm::ArrayRef<std::string> cpus,
               llvm::ArrayRef<std::string> features, const NativeHost *native = nullptr);

/// The largest page size of `targets` (0 for none): the default alignment
/// of weight partitions in a bundle shared by all of them.
int64_t largestPageSize(llvm::ArrayRef<ResolvedTarget> targets);

// One per targets/<arch>/.
TargetDescription describeX86Target();
TargetDescription describeArmTarget();
TargetDescription describeRiscvTarget();

} // namespace yan

#endif // YAN_TARGETS_TARGETDESCRIPTION_H
