//===- RequiredFeatures.cpp - What a code image asks of the CPU -----------===//
#include "compiler/codegen/RequiredFeatures.h"

#include "yan/runtime.h"

#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"

#include <memory>

namespace yan {
namespace {

llvm::Expected<yan_arch_t> runtimeArch(const ResolvedTarget &target) {
  for (yan_arch_t arch : {YAN_ARCH_X86_64, YAN_ARCH_AARCH64, YAN_ARCH_RISCV64})
    if (target.arch == yan_arch_name(arch))
      return arch;
  return llvm::createStringError("the runtime has no architecture named '" + target.arch + "'");
}

llvm::Expected<std::unique_ptr<llvm::MCSubtargetInfo>>
subtargetInfo(const ResolvedTarget &target) {
  static const bool initialized = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargetMCs();
    return true;
  }();
  (void)initialized;
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
  auto arch = runtimeArch(target);
  if (!arch)
    return arch.takeError();
  auto info = subtargetInfo(target);
  if (!info)
    return info.takeError();
  std::string required;
  for (size_t i = 0, e = yan_cpu_feature_count(*arch); i < e; ++i) {
    const char *name = yan_cpu_feature_name(*arch, i);
    const llvm::SubtargetFeatureKV *kv = findFeature(**info, name);
    if (kv && (*info)->getFeatureBits().test(kv->Value))
      required += (required.empty() ? "" : ",") + std::string(name);
  }
  return required;
}

llvm::Expected<std::vector<std::string>>
runtimeFeaturesUnknownToLLVM(const ResolvedTarget &target) {
  auto arch = runtimeArch(target);
  if (!arch)
    return arch.takeError();
  auto info = subtargetInfo(target);
  if (!info)
    return info.takeError();
  std::vector<std::string> unknown;
  for (size_t i = 0, e = yan_cpu_feature_count(*arch); i < e; ++i)
    if (!findFeature(**info, yan_cpu_feature_name(*arch, i)))
      unknown.push_back(yan_cpu_feature_name(*arch, i));
  return unknown;
}

} // namespace yan
