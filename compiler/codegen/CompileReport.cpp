//===- CompileReport.cpp - Will it fit the chip? --------------------------===//
#include "compiler/codegen/CompileReport.h"

#include "llvm/Support/JSON.h"
#include "yan/executable_abi.h"

namespace yan {

TargetFootprint footprintOf(const ResolvedTarget &target, const ModelLayout &layout,
                            int64_t codeBytes) {
  TargetFootprint footprint{target, codeBytes, 0, 0};
  for (const EntryPointInfo &entry : layout.entries) {
    int64_t &arena = entry.index >= YAN_ENTRY_LEARN ? footprint.learnArenaBytes
                                                    : footprint.arenaBytes;
    arena = std::max(arena, entry.arenaBytes);
  }
  return footprint;
}

llvm::Error checkMemoryBudget(const CompileReport &report, int64_t budget) {
  for (const TargetFootprint &target : report.targets) {
    int64_t needed = report.memoryBytes(target);
    if (needed > budget)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "the model needs %lld bytes on %s (weights %lld + arena %lld + "
          "learn arena %lld + state %lld), more than --max-memory %lld",
          static_cast<long long>(needed), target.target.triple.c_str(),
          static_cast<long long>(report.weightBytes),
          static_cast<long long>(target.arenaBytes),
          static_cast<long long>(target.learnArenaBytes),
          static_cast<long long>(report.stateBytes),
          static_cast<long long>(budget));
  }
  return llvm::Error::success();
}

void printReport(llvm::raw_ostream &os, const CompileReport &report, bool json) {
  const ModelStats &s = report.stats;
  if (json) {
    llvm::json::Array targets;
    for (const TargetFootprint &t : report.targets)
      targets.push_back(llvm::json::Object{
          {"triple", t.target.triple},
          {"cpu", t.target.cpu},
          {"code_bytes", t.codeBytes},
          {"arena_bytes", t.arenaBytes},
          {"learn_arena_bytes", t.learnArenaBytes},
          {"memory_bytes", report.memoryBytes(t)}});
    llvm::json::Array formats;
    for (const FormatBytes &f : report.weightFormats)
      formats.push_back(
          llvm::json::Object{{"format", f.format}, {"tensors", f.tensors}, {"bytes", f.bytes}});
    llvm::json::Object root{
        {"parameters", s.parameters},
        {"active_parameters_per_token", s.activeParametersPerToken},
        {"weight_bytes_per_token", s.weightBytesPerToken},
        {"flops_per_token", s.flopsPerToken},
        {"learn_flops_per_token", report.learnFlopsPerToken},
        {"learn_flops_per_routed_pair", report.learnFlopsPerRoutedPair},
        {"weight_bytes", report.weightBytes},
        {"weight_formats", std::move(formats)},
        {"state_bytes_per_session", report.stateBytes},
        {"targets", std::move(targets)}};
    if (report.bundleBytes >= 0)
      root["bundle_bytes"] = report.bundleBytes;
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
    return;
  }
  os << "parameters: " << s.parameters << " total, "
     << s.activeParametersPerToken << " active per token ("
     << llvm::format("%.1f", 100.0 * s.activeParametersPerToken /
                                 std::max<int64_t>(s.parameters, 1))
     << "%)\n";
  os << "weight bytes read per token: " << s.weightBytesPerToken << "\n";
  os << "FLOPs per token: " << s.flopsPerToken << "\n";
  if (report.learnFlopsPerToken)
    os << "learn FLOPs per position: " << report.learnFlopsPerToken
       << " (forward + backward through the weights), and "
       << report.learnFlopsPerRoutedPair
       << " per (position, chosen partition) pair (weight gradients)\n";
  os << "weights: " << report.weightBytes << " bytes; state per session: "
     << report.stateBytes << " bytes\n";
  for (const FormatBytes &f : report.weightFormats)
    os << "  " << f.format << ": " << f.tensors << " tensors, " << f.bytes << " bytes\n";
  if (report.bundleBytes >= 0)
    os << "bundle: " << report.bundleBytes << " bytes\n";
  for (const TargetFootprint &t : report.targets)
    os << t.target.triple << " (" << t.target.cpu << "): code " << t.codeBytes
       << " bytes, arena " << t.arenaBytes << " bytes, learn arena "
       << t.learnArenaBytes << " bytes, memory per session "
       << report.memoryBytes(t) << " bytes\n";
}

} // namespace yan
