//===- TargetDescription.cpp - Looking targets up -------------------------===//
#include "targets/TargetDescription.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/TargetParser/Triple.h"

namespace yan {

const std::vector<TargetDescription> &allTargets() {
  static const std::vector<TargetDescription> targets{
      describeX86Target(), describeArmTarget(), describeRiscvTarget()};
  return targets;
}

llvm::Expected<ResolvedTarget> resolveTarget(llvm::StringRef tripleName,
                                             llvm::StringRef cpu,
                                             llvm::StringRef features) {
  const TargetDescription *description = nullptr;
  llvm::Triple triple(tripleName.empty() ? allTargets().front().triple
                                         : tripleName.str());
  for (const TargetDescription &candidate : allTargets())
    if (llvm::Triple(candidate.triple).getArch() == triple.getArch())
      description = &candidate;
  if (!description) {
    std::string known;
    for (const TargetDescription &candidate : allTargets())
      known += (known.empty() ? "" : ", ") + candidate.triple;
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "unsupported target '%s' (known: %s)",
                                   tripleName.str().c_str(), known.c_str());
  }
  llvm::StringRef presetName = cpu.empty() ? llvm::StringRef(description->defaultCpu) : cpu;
  ResolvedTarget resolved{description->arch, triple.str(), "", "", 0,
                          description->weightAlignment};
  for (const CpuPreset &preset : description->presets)
    if (preset.name == presetName) {
      resolved.cpu = preset.llvmCpu;
      resolved.features = preset.features;
      resolved.f32Lanes = preset.f32Lanes;
    }
  if (resolved.cpu.empty()) {
    std::string known;
    for (const CpuPreset &preset : description->presets)
      known += (known.empty() ? "" : ", ") + preset.name;
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "unknown CPU '%s' for %s (presets: %s)", presetName.str().c_str(),
        description->arch.c_str(), known.c_str());
  }
  if (!features.empty()) {
    for (llvm::StringRef feature : llvm::split(features, ','))
      if (feature.size() < 2 || (feature[0] != '+' && feature[0] != '-'))
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "feature '%s' must start with '+' or '-' (e.g. +avx512f)",
            feature.str().c_str());
    resolved.features += (resolved.features.empty() ? "" : ",") + features.str();
  }
  return resolved;
}

} // namespace yan
