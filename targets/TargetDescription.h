//===- TargetDescription.h - What the compiler knows about a target -*- C++ -*-===//
//
// A target is data the passes consult (triple, CPU presets, vector width,
// page size), not `if (arch == ...)` spread through the compiler. Each
// targets/<arch>/ directory contributes one description.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TARGETS_TARGETDESCRIPTION_H
#define YAN_TARGETS_TARGETDESCRIPTION_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace yan {

/// A named CPU: what LLVM calls it, the features we add, and the f32 vector
/// lanes our kernels use on it.
struct CpuPreset {
  std::string name;     // what users pass to --cpu
  std::string llvmCpu;  // LLVM's CPU name
  std::string features; // "+a,+b"
  unsigned f32Lanes;
};

struct TargetDescription {
  std::string arch;        // "x86_64": the runtime's name for it
  std::string triple;      // default triple
  std::string defaultCpu;  // a preset name
  int64_t weightAlignment; // page size for weight segments
  std::vector<CpuPreset> presets;
};

/// The target a compilation uses, after applying --cpu and --features.
struct ResolvedTarget {
  std::string arch;
  std::string triple;
  std::string cpu;      // LLVM CPU name
  std::string features; // LLVM feature string
  unsigned f32Lanes;
  int64_t pageSize;      // weight partitions are aligned to it
};

/// Descriptions of every target we know.
const std::vector<TargetDescription> &allTargets();

/// Resolves `triple` (empty: the x86-64 default), `cpu` (empty: the target's
/// default preset; a preset name or any CPU LLVM knows) and extra
/// `features` ("+a,-b", appended to the preset's).
llvm::Expected<ResolvedTarget> resolveTarget(llvm::StringRef triple,
                                             llvm::StringRef cpu,
                                             llvm::StringRef features);

// One per targets/<arch>/.
TargetDescription describeX86Target();
TargetDescription describeArmTarget();
TargetDescription describeRiscvTarget();

} // namespace yan

#endif // YAN_TARGETS_TARGETDESCRIPTION_H
