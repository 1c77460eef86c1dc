//===- yan-model-gen.cpp - Writes a deterministic random Yan model --------===//
//
//   yan-model-gen OUT_DIR [--preset tiny|small|3b] [--seed N] [--shards N]
//                 [--dtype f32|f16|bf16] [--vocab-size N] [--hidden-size N]
//                 [--num-layers N] [--num-channels N] [--slope-window N]
//                 [--num-partitions N] [--active-partitions N]
//                 [--partition-size N] [--norm-eps X]
//                 [--decays a,b,...] [--slopes a,b,...]
//
// Writes OUT_DIR/config.json and OUT_DIR/model.safetensors, byte-identical to
// test/reference/gen_model.py with the same arguments, so the toolchain can be
// tried without Python; with --shards N, the same tensors as Hugging Face
// shards (model-0000i-of-0000N.safetensors + model.safetensors.index.json). Exit status: 0 on success, 1 on any error (with a
// message on stderr).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/RandomModel.h"
#include "tools/common/LlvmToolSupport.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"

namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("yan-model-gen options");

cl::opt<std::string> outDir(cl::Positional, cl::Required,
                            cl::desc("<output dir>"), cl::cat(category));
cl::opt<std::string> preset("preset",
                            cl::desc("Base hyper-parameters: tiny, small or 3b"),
                            cl::init("tiny"), cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::desc("Generator seed (uint64)"), cl::init(0),
                       cl::cat(category));
cl::opt<unsigned> shards("shards",
                        cl::desc("Write N Hugging Face shards and their index "
                                 "instead of one model.safetensors"),
                        cl::init(1), cl::cat(category));
cl::opt<yan::DType>
    dtype("dtype", cl::desc("Weight dtype in the file"),
          cl::init(yan::DType::F32),
          cl::values(clEnumValN(yan::DType::F32, "f32", "float32"),
                     clEnumValN(yan::DType::F16, "f16", "IEEE half"),
                     clEnumValN(yan::DType::BF16, "bf16", "bfloat16")),
          cl::cat(category));

// Overrides of the preset's integer fields; unset ones keep the preset.
cl::opt<long long> vocabSize("vocab-size", cl::desc("Override vocab_size (V)"),
                             cl::cat(category));
cl::opt<long long> hiddenSize("hidden-size",
                              cl::desc("Override hidden_size (D)"),
                              cl::cat(category));
cl::opt<long long> numLayers("num-layers", cl::desc("Override num_layers (L)"),
                             cl::cat(category));
cl::opt<long long> numChannels("num-channels",
                               cl::desc("Override num_channels (C)"),
                               cl::cat(category));
cl::opt<long long> slopeWindow("slope-window",
                               cl::desc("Override slope_window (K)"),
                               cl::cat(category));
cl::opt<long long> numPartitions("num-partitions",
                                 cl::desc("Override num_partitions (P)"),
                                 cl::cat(category));
cl::opt<long long> activePartitions("active-partitions",
                                    cl::desc("Override active_partitions (k)"),
                                    cl::cat(category));
cl::opt<long long> partitionSize("partition-size",
                                 cl::desc("Override partition_size (F)"),
                                 cl::cat(category));

struct IntOverride {
  cl::opt<long long> &option;
  int64_t yan::ModelConfig::*member;
};

const IntOverride intOverrides[] = {
    {vocabSize, &yan::ModelConfig::vocabSize},
    {hiddenSize, &yan::ModelConfig::hiddenSize},
    {numLayers, &yan::ModelConfig::numLayers},
    {numChannels, &yan::ModelConfig::numChannels},
    {slopeWindow, &yan::ModelConfig::slopeWindow},
    {numPartitions, &yan::ModelConfig::numPartitions},
    {activePartitions, &yan::ModelConfig::activePartitions},
    {partitionSize, &yan::ModelConfig::partitionSize},
};

cl::opt<double> normEps("norm-eps", cl::desc("RMSNorm epsilon"),
                        cl::cat(category));
cl::list<double> decays("decays", cl::CommaSeparated,
                        cl::desc("Per-channel decays, comma separated"),
                        cl::cat(category));
cl::list<double> slopes("slopes", cl::CommaSeparated,
                        cl::desc("Per-channel slopes, comma separated"),
                        cl::cat(category));

int fail(llvm::Error error) {
  llvm::WithColor::error(llvm::errs(), "yan-model-gen")
      << yan::printableMessage(llvm::toString(std::move(error))) << "\n";
  return 1;
}

std::vector<float> toFloats(const cl::list<double> &values) {
  return std::vector<float>(values.begin(), values.end());
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions({&category});
  cl::ParseCommandLineOptions(
      argc, argv, "yan-model-gen: writes a deterministic random Yan model\n");
  if (llvm::Error error = yan::checkRepeatedOptions(category))
    return fail(std::move(error));

  llvm::Expected<yan::ModelConfig> config = yan::presetConfig(preset);
  if (!config)
    return fail(config.takeError());
  for (const IntOverride &override : intOverrides)
    if (override.option.getNumOccurrences())
      (*config).*override.member = override.option;
  if (normEps.getNumOccurrences())
    config->normEps = static_cast<float>(normEps);
  if (decays.getNumOccurrences()) {
    config->decays = toFloats(decays);
    config->explicitDecays = true;
  }
  if (slopes.getNumOccurrences()) {
    config->slopes = toFloats(slopes);
    config->explicitSlopes = true;
  }
  // Defaults depend on C and K, which the overrides may have changed.
  if (llvm::Error err = config->validateDimensions())
    return fail(std::move(err));
  config->fillDefaults();
  if (llvm::Error err = config->validate())
    return fail(std::move(err));

  if (llvm::Error err = yan::writeRandomModel(outDir, *config, seed, dtype, shards))
    return fail(std::move(err));
  return 0;
}
