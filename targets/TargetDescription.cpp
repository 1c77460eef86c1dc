//===- TargetDescription.cpp - Looking targets up -------------------------===//
#include "targets/TargetDescription.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/TargetParser/Triple.h"

#include <algorithm>

namespace yan {

TargetDescription describeTarget(TargetFacts facts, llvm::ArrayRef<CpuPreset> presets) {
  TargetDescription description;
  static_cast<TargetFacts &>(description) = std::move(facts);
  description.presets.assign(presets.begin(), presets.end());
  return description;
}

const std::vector<TargetDescription> &allTargets() {
  static const std::vector<TargetDescription> targets{
      describeX86Target(), describeArmTarget(), describeRiscvTarget()};
  return targets;
}

namespace {

/// The description whose default triple has `triple`'s architecture.
const TargetDescription *describe(const llvm::Triple &triple) {
  for (const TargetDescription &candidate : allTargets())
    if (llvm::Triple(candidate.triple).getArch() == triple.getArch())
      return &candidate;
  return nullptr;
}

llvm::Error checkFeatureList(llvm::StringRef features) {
  if (features.empty())
    return llvm::Error::success();
  for (llvm::StringRef feature : llvm::split(features, ','))
    if (feature.size() < 2 || (feature[0] != '+' && feature[0] != '-'))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "feature '%s' must start with '+' or '-' (e.g. +avx512f)",
          feature.str().c_str());
  return llvm::Error::success();
}

/// `triple` and `cpu` with "native" replaced by the host's triple and preset.
llvm::Error resolveNative(std::string &triple, std::string &cpu, const NativeHost *native) {
  bool nativeTriple = triple == "native", nativeCpu = cpu == "native";
  if (!nativeTriple && !nativeCpu)
    return llvm::Error::success();
  const char *flag = nativeTriple ? "--target native" : "--cpu native";
  if (!native || native->arch == Arch::unknown)
    return llvm::createStringError(llvm::Twine(flag) +
                                   ": this build does not know the machine it runs on");
  const TargetDescription *host = nullptr;
  for (const TargetDescription &candidate : allTargets())
    if (candidate.arch == native->arch)
      host = &candidate;
  if (!host)
    return llvm::createStringError(llvm::Twine(flag) + ": no target description for " +
                                   archName(native->arch));
  if (nativeTriple) {
    triple = host->triple;
    if (cpu.empty())
      cpu = "native";
  }
  if (cpu != "native")
    return llvm::Error::success();
  std::string shown = triple.empty() ? allTargets().front().triple : triple;
  const TargetDescription *description = describe(llvm::Triple(shown));
  if (description && description->arch != native->arch) {
    std::string presets;
    for (const CpuPreset &preset : description->presets)
      presets += (presets.empty() ? "" : ", ") + preset.name;
    return llvm::createStringError(
        "--cpu native means this machine's CPU (" + std::string(archName(native->arch)) +
        "), not one for --target " + shown + "; name one of its presets: " + presets);
  }
  if (!description)
    return llvm::Error::success(); // resolveTarget names the unknown triple
  auto preset = native->choosePreset(*description);
  if (!preset)
    return preset.takeError();
  cpu = std::move(*preset);
  return llvm::Error::success();
}

} // namespace

llvm::Expected<ResolvedTarget> resolveTarget(llvm::StringRef tripleName,
                                             llvm::StringRef cpu,
                                             llvm::StringRef features) {
  llvm::Triple triple(tripleName.empty() ? allTargets().front().triple
                                         : tripleName.str());
  const TargetDescription *description = describe(triple);
  if (!description) {
    std::string known;
    for (const TargetDescription &candidate : allTargets())
      known += (known.empty() ? "" : ", ") + candidate.triple;
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "unsupported target '%s' (known: %s)",
                                   tripleName.str().c_str(), known.c_str());
  }
  llvm::StringRef presetName = cpu.empty() ? llvm::StringRef(description->defaultCpu) : cpu;
  auto preset = llvm::find_if(description->presets,
                              [&](const CpuPreset &p) { return p.name == presetName; });
  if (preset == description->presets.end()) {
    std::string known;
    for (const CpuPreset &candidate : description->presets)
      known += (known.empty() ? "" : ", ") + candidate.name;
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "unknown CPU '%s' for %s (presets: %s)", presetName.str().c_str(),
        archName(description->arch), known.c_str());
  }
  if (llvm::Error error = checkFeatureList(features))
    return std::move(error);
  ResolvedTarget resolved{description->arch, triple.str(), preset->llvmCpu,
                          preset->features, preset->tiles, description->pageSize,
                          description->abiName,
                          description->f16ConversionFeature,
                          description->bf16PairDot};
  if (!features.empty())
    resolved.features += (resolved.features.empty() ? "" : ",") + features.str();
  return resolved;
}

llvm::Expected<std::vector<ResolvedTarget>>
resolveTargets(llvm::ArrayRef<std::string> tripleList, llvm::ArrayRef<std::string> cpus,
               llvm::ArrayRef<std::string> featureLists, const NativeHost *native) {
  std::vector<std::string> triples(tripleList.begin(), tripleList.end());
  if (triples.empty())
    triples.push_back("");
  auto pick = [&](llvm::ArrayRef<std::string> values, size_t i,
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
  std::vector<ResolvedTarget> resolved;
  for (size_t i = 0; i < triples.size(); ++i) {
    auto cpu = pick(cpus, i, "--cpu");
    if (!cpu)
      return cpu.takeError();
    auto features = pick(featureLists, i, "--features");
    if (!features)
      return features.takeError();
    std::string triple = triples[i];
    if (llvm::Error error = resolveNative(triple, *cpu, native))
      return std::move(error);
    auto target = resolveTarget(triple, *cpu, *features);
    if (!target)
      return target.takeError();
    // Two identical images would only make the bundle bigger.
    for (const ResolvedTarget &other : resolved)
      if (other.arch == target->arch && other.cpu == target->cpu &&
          other.features == target->features)
        return llvm::createStringError(
            "--target " + triple + " is given twice with cpu '" + target->cpu +
            "' and features '" + target->features +
            "': the bundle would hold the same code image twice");
    resolved.push_back(std::move(*target));
  }
  return resolved;
}

int64_t largestPageSize(llvm::ArrayRef<ResolvedTarget> targets) {
  int64_t page = 0;
  for (const ResolvedTarget &target : targets)
    page = std::max(page, target.pageSize);
  return page;
}

} // namespace yan
