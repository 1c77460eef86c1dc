//===- RandomModel.h - Deterministic random Yan models -----------*- C++ -*-===//
//
// Writes config.json + model.safetensors for a random model, byte-identical to
// test/reference/gen_model.py (the generator is specified in
// docs/yan-model.md), so users can try the toolchain without Python.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_RANDOMMODEL_H
#define YAN_COMPILER_IMPORT_RANDOMMODEL_H

#include "compiler/import/FloatFormats.h"
#include "compiler/import/ModelConfig.h"
#include "compiler/import/SafeTensors.h"

namespace yan {

/// Named presets: "tiny", "small" and "3b" (docs/yan-model.md).
llvm::Expected<ModelConfig> presetConfig(llvm::StringRef name);

/// The uniform draw u in [-1, 1) for element `index` of tensor `name` and
/// `seed` (exact: a multiple of 2^-23); gen_model.py's uniform_scalar.
float randomUniform(llvm::StringRef name, uint64_t seed, uint64_t index);

/// Value of element `index` (flat, row-major) of tensor `name` with `shape`
/// for `seed`, exactly as the reference generator computes it: norm weights
/// 1 + u/8, embed.weight u, others u / sqrt(last dimension) (the scale
/// rounded to float32 once).
float randomWeight(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                   uint64_t seed, uint64_t index);

/// Writes the model into `dir` (created if missing): model.safetensors, or
/// with `shards` > 1 Hugging Face's sharded layout (ShardedCheckpoint.h),
/// the same tensors split in canonical order.
llvm::Error writeRandomModel(llvm::StringRef dir, const ModelConfig &config,
                             uint64_t seed, DType dtype, unsigned shards = 1);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_RANDOMMODEL_H
