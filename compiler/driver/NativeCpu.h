//===- NativeCpu.h - `yanc --cpu native`: this host's best preset -*- C++ -*-===//
//
// Which preset of the host's architecture to compile for when the user asks
// for this machine: the preset with the most required features (LLVM's view
// of the preset, as a code image records them: RequiredFeatures) that the
// host has all of. It is the rule the runtime uses to pick among a bundle's
// images (the one needing the most features the CPU has), so a `--cpu
// native` bundle holds the image a bundle of every preset would load here.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_DRIVER_NATIVECPU_H
#define YAN_COMPILER_DRIVER_NATIVECPU_H

#include "targets/TargetDescription.h"

#include "llvm/Support/Error.h"
#include <string>

namespace yan {

struct NativeCpuChoice {
  std::string preset; // a preset name of the target
  /// The host runs none of the presets: `preset` is the baseline (the
  /// fewest required features), whose code this host cannot run.
  bool fallback = false;
  /// One sentence: the choice and why (each preset's count, or what it
  /// needs that the host lacks).
  std::string reason;
};

/// The preset of `target` for a host whose CPU has `hostFeatures`
/// (comma-separated names of the CPU feature table, as
/// yan_host_cpu_features writes them). Ties go to the earlier preset of
/// the table, so the choice is deterministic.
llvm::Expected<NativeCpuChoice> chooseNativeCpu(const TargetDescription &target,
                                                llvm::StringRef hostFeatures);

} // namespace yan

#endif // YAN_COMPILER_DRIVER_NATIVECPU_H
