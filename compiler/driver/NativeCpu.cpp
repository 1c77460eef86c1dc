//===- NativeCpu.cpp - `yanc --cpu native`: this host's best preset --------===//
#include "compiler/driver/NativeCpu.h"

#include "compiler/codegen/RequiredFeatures.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

namespace yan {
namespace {

struct PresetFit {
  const CpuPreset *preset;
  size_t required = 0;                  // features its code may use
  llvm::SmallVector<llvm::StringRef> missing; // of those, absent on the host
  std::string requiredText;             // owns what `missing` views
};

llvm::Expected<PresetFit> fitOf(const TargetDescription &target, const CpuPreset &preset,
                                const llvm::StringSet<> &host) {
  auto resolved = resolveTarget(target.triple, preset.name, "");
  if (!resolved)
    return resolved.takeError();
  auto required = requiredCpuFeatures(*resolved);
  if (!required)
    return required.takeError();
  PresetFit fit{&preset};
  fit.requiredText = std::move(*required);
  for (llvm::StringRef name : llvm::split(fit.requiredText, ',')) {
    if (name.empty())
      continue;
    ++fit.required;
    if (!host.contains(name))
      fit.missing.push_back(name);
  }
  return fit;
}

std::string describeFits(llvm::ArrayRef<PresetFit> fits) {
  std::string text;
  for (const PresetFit &fit : fits) {
    text += (text.empty() ? "" : "; ") + fit.preset->name + ": ";
    if (fit.missing.empty())
      text += std::to_string(fit.required) + " features, all present";
    else
      text += "lacks " + llvm::join(fit.missing, ",");
  }
  return text;
}

} // namespace

llvm::Expected<NativeCpuChoice> chooseNativeCpu(const TargetDescription &target,
                                                llvm::StringRef hostFeatures) {
  llvm::StringSet<> host;
  for (llvm::StringRef name : llvm::split(hostFeatures, ','))
    if (!name.empty())
      host.insert(name);
  std::vector<PresetFit> fits;
  for (const CpuPreset &preset : target.presets) {
    auto fit = fitOf(target, preset, host);
    if (!fit)
      return fit.takeError();
    fits.push_back(std::move(*fit));
  }
  if (fits.empty())
    return llvm::createStringError("no CPU presets for " + std::string(archName(target.arch)));
  const PresetFit *best = nullptr, *baseline = &fits.front();
  for (const PresetFit &fit : fits) {
    if (fit.missing.empty() && (!best || fit.required > best->required))
      best = &fit;
    if (fit.required < baseline->required)
      baseline = &fit;
  }
  std::string arch = archName(target.arch);
  NativeCpuChoice choice;
  if (best) {
    choice.preset = best->preset->name;
    choice.reason = choice.preset + ", the " + arch +
                    " preset with the most features this CPU has all of (" +
                    describeFits(fits) + ")";
    return choice;
  }
  choice.preset = baseline->preset->name;
  choice.fallback = true;
  choice.reason = "this CPU lacks features every " + arch + " preset needs (" +
                  describeFits(fits) + "); using the baseline " + choice.preset +
                  " (the fewest features), which this CPU cannot run";
  return choice;
}

} // namespace yan
