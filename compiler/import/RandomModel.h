//===- RandomModel.h - Deterministic random Yan models -----------*- C++ -*-===//
//
// Writes config.json + model.safetensors for a random model, byte-identical to
// test/reference/gen_model.py (the generator is specified in
// docs/yan-model.md), so users can try the toolchain without Python.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_RANDOMMODEL_H
#define YAN_COMPILER_IMPORT_RANDOMMODEL_H

#include "compiler/import/ModelConfig.h"
#include "compiler/import/SafeTensors.h"

namespace yan {

/// Named presets: "tiny" and "small" (docs/yan-model.md).
llvm::Expected<ModelConfig> presetConfig(llvm::StringRef name);

/// Value of element `index` of tensor `name` for `seed`, exactly as the
/// reference generator computes it.
float randomWeight(llvm::StringRef name, uint64_t seed, uint64_t index);

/// Writes the model into `dir` (created if missing).
llvm::Error writeRandomModel(llvm::StringRef dir, const ModelConfig &config,
                             uint64_t seed, DType dtype);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_RANDOMMODEL_H
