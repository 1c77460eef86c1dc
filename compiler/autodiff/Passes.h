//===- Passes.h - Building the learn graph -----------------------*- C++ -*-===//
#ifndef YAN_COMPILER_AUTODIFF_PASSES_H
#define YAN_COMPILER_AUTODIFF_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace yan {

#define GEN_PASS_DECL
#include "compiler/autodiff/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/autodiff/Passes.h.inc"

} // namespace yan

#endif // YAN_COMPILER_AUTODIFF_PASSES_H
