//===- RequiredFeatures.cpp - What a code image asks of the CPU -----------===//
#include "compiler/codegen/RequiredFeatures.h"
#include "compiler/codegen/ObjectEmitter.h"

#include "yan/targets/cpu_feature_table.h"

#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"

#include <memory>

namespace yan {
namespace {

llvm::Expected<std::unique_ptr<llvm::MCSubtargetInfo>>
subtargetInfo(const ResolvedTarget &target) {
  initializeLLVMTargets();
  std::string message;
  const llvm::Target *llvmTarget = llvm::TargetRegistry::lookupTarget(target.triple, message);
  if (!llvmTarget)
    return llvm::createStringError("no LLVM backend for '" + target.triple + "': " + message);
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      llvmTarget->createMCSubtargetInfo(target.triple, target.cpu, target.features));
  if (!info)
    return llvm::createStringError("LLVM cannot describe CPU '" + target.cpu + "' on '" + target.triple + "'");
  return info;
}

/// LLVM's entry for `name`, or null.
const llvm::SubtargetFeatureKV *findFeature(const llvm::MCSubtargetInfo &info,
                                            llvm::StringRef name) {
  for (const llvm::SubtargetFeatureKV &kv : info.getAllProcessorFeatures())
    if (name == kv.Key)
      return &kv;
  return nullptr;
}

} // namespace

llvm::Expected<std::string> requiredCpuFeatures(const ResolvedTarget &target) {
  auto info = subtargetInfo(target);
  if (!info)
    return info.takeError();
  std::string required;
  for (const cpu::Feature &feature : cpu::featureTable(target.arch)) {
    const llvm::SubtargetFeatureKV *kv = findFeature(**info, feature.name);
    if (kv && (*info)->getFeatureBits().test(kv->Value))
      required += (required.empty() ? "" : ",") + std::string(feature.name);
  }
  return required;
}

namespace {
/// Whether LLVM enables `feature` for the target's CPU and features.
llvm::Expected<bool> featureEnabled(const ResolvedTarget &target,
                                    const std::string &feature) {
  auto info = subtargetInfo(target);
  if (!info)
    return info.takeError();
  const llvm::SubtargetFeatureKV *kv = findFeature(**info, feature);
  if (!kv)
    return llvm::createStringError("LLVM has no feature '" + feature +
                                   "' for '" + target.triple + "'");
  return (*info)->getFeatureBits().test(kv->Value);
}
} // namespace

llvm::Expected<bool> hasNativeF16Conversion(const ResolvedTarget &target) {
  if (target.f16ConversionFeature.empty())
    return true;
  return featureEnabled(target, target.f16ConversionFeature);
}

llvm::Expected<bool> hasBf16PairDot(const ResolvedTarget &target) {
  if (target.bf16PairDot.feature.empty())
    return false;
  return featureEnabled(target, target.bf16PairDot.feature);
}

llvm::Expected<std::vector<std::string>>
tableFeaturesUnknownToLLVM(const ResolvedTarget &target) {
  auto info = subtargetInfo(target);
  if (!info)
    return info.takeError();
  std::vector<std::string> unknown;
  for (const cpu::Feature &feature : cpu::featureTable(target.arch))
    if (!findFeature(**info, feature.name))
      unknown.push_back(feature.name);
  return unknown;
}

} // namespace yan
