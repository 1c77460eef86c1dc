//===- Importer.h - Checkpoint to yan module ---------------------*- C++ -*-===//
//
// Builds the `yan` module of a checkpoint: one yan.weight per tensor (bytes
// stay in the mapped file) and two entry points with explicit recurrent
// state, @prefill over N tokens and @decode over one token.
//
// Entry point signature (L layers; state per layer: h [D], u history [K-1,D]):
//   (tokens: tensor<Nxi32>, h_0, uhist_0, ..., h_{L-1}, uhist_{L-1})
//     -> (logits: tensor<NxV xf32>, h_0', uhist_0', ...)
// Argument and result attributes `yan.state` name each state tensor.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_IMPORTER_H
#define YAN_COMPILER_IMPORT_IMPORTER_H

#include "compiler/import/Checkpoint.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace yan {

/// Names of the entry points the importer creates.
inline constexpr llvm::StringLiteral kPrefillEntry = "prefill";
inline constexpr llvm::StringLiteral kDecodeEntry = "decode";
/// The learn graph and its optimizer step (compiler/autodiff, lowering).
inline constexpr llvm::StringLiteral kLearnEntry = "learn";
inline constexpr llvm::StringLiteral kLearnApplyEntry = "learn_apply";

/// Builds and verifies the module. `source` names the checkpoint in
/// locations. Returns null after reporting through the context's diagnostic
/// engine.
mlir::OwningOpRef<mlir::ModuleOp> importCheckpoint(mlir::MLIRContext &context,
                                                   const Checkpoint &checkpoint,
                                                   llvm::StringRef source);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_IMPORTER_H
