//===- RequiredFeatures.h - What a code image asks of the CPU ----*- C++ -*-===//
//
// The runtime refuses to load a code image on a CPU that lacks a feature
// the image's code may use (instead of dying with SIGILL later). The image
// records those features, named from the table the runtime checks
// (targets/<arch>/CpuFeatures.def); this computes them from LLVM's own view
// of the target, so implied features count too (cortex-a76 implies dotprod and
// lse; spacemit-x60 implies zba, zbb and zvl256b).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_CODEGEN_REQUIREDFEATURES_H
#define YAN_COMPILER_CODEGEN_REQUIREDFEATURES_H

#include "targets/TargetDescription.h"

#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace yan {

/// Every feature of the CPU feature table for `target.arch` (the one the
/// runtime checks: yan/targets/cpu_feature_table.h) that LLVM enables for
/// the target's CPU and features, comma-separated in table order
/// ("cmov,cx8,...,avx2,fma").
llvm::Expected<std::string> requiredCpuFeatures(const ResolvedTarget &target);

/// Names in the CPU feature table for `target.arch` that LLVM does not know
/// for that target (a typo there would silently never be required); for
/// tests.
llvm::Expected<std::vector<std::string>>
tableFeaturesUnknownToLLVM(const ResolvedTarget &target);

/// Whether the target's CPU converts f16 to f32 in hardware
/// (target.f16ConversionFeature enabled, or none needed), as LLVM sees the
/// CPU and features.
llvm::Expected<bool> hasNativeF16Conversion(const ResolvedTarget &target);

/// Whether the fused int4 decode kernel may use the target's bf16 pair-dot
/// intrinsics (target.bf16PairDot.feature enabled), as LLVM sees the CPU and
/// features.
llvm::Expected<bool> hasBf16PairDot(const ResolvedTarget &target);

} // namespace yan

#endif // YAN_COMPILER_CODEGEN_REQUIREDFEATURES_H
