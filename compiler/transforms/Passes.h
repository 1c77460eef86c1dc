//===- Passes.h - yan-level passes -------------------------------*- C++ -*-===//
#ifndef YAN_COMPILER_TRANSFORMS_PASSES_H
#define YAN_COMPILER_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace yan {

#define GEN_PASS_DECL
#include "compiler/transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/transforms/Passes.h.inc"

} // namespace yan

#endif // YAN_COMPILER_TRANSFORMS_PASSES_H
