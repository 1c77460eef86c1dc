//===- TestVectors.h - Reference results to embed in a bundle ----*- C++ -*-===//
#ifndef YAN_COMPILER_BUNDLE_TESTVECTORS_H
#define YAN_COMPILER_BUNDLE_TESTVECTORS_H

#include "compiler/bundle/BundleWriter.h"

namespace yan {

/// Reads a test-vector set written by test/reference/golden.py
/// (`--test-vectors PREFIX` writes PREFIX.json; `--logits F --json J` writes
/// J): prompt, generated tokens, the logits file beside the JSON and, when
/// present, the prefill/final state files. Sizes are checked against the
/// model (V rows per evaluated position, stateFloats per state).
llvm::Expected<BundleTestVector> readTestVector(llvm::StringRef jsonPath,
                                                int64_t vocabSize,
                                                int64_t stateFloats);

} // namespace yan

#endif // YAN_COMPILER_BUNDLE_TESTVECTORS_H
