//===- EntryLowering.h - Lowering one yan entry point to loops ---*- C++
//-*-===//
//
// The entry points of LowerToLoops: one yan function becomes one function
// with the runtime's calling convention (EntryLowering.cpp, over a
// LoweringContext and the per-op lowerings of ops/), and a learn entry gets
// its optimizer entry @yan_learn_apply (LowerLearnApply.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LOWERING_ENTRYLOWERING_H
#define YAN_COMPILER_LOWERING_ENTRYLOWERING_H

#include "compiler/lowering/LoweringContext.h"

namespace yan::lowering {

/// The kind of entry `source` is: Learn when -yan-build-learn tagged it,
/// Dynamic when its token count is a run-time value, else Fixed.
EntryKind entryKindOf(func::FuncOp source);

/// Lowers `source` into yan_<name> (inserted before it) and erases it.
/// For a Learn entry, `facts` receives what the optimizer entry needs.
LogicalResult lowerEntry(func::FuncOp source, const EntryOptions &options,
                         LearnFacts *facts = nullptr);

/// Adds @yan_learn_apply to `module`: clipping and the SGD/AdamW step for
/// one slot of the learn arena, in place in f32 weights, else in the
/// partition's f32 copy (LowerLearnApply.cpp), with the entries' kernel
/// shape (EntryOptions::kernels).
void emitLearnApply(ModuleOp module, const LearnFacts &facts,
                    const KernelShape &shape);

} // namespace yan::lowering

#endif // YAN_COMPILER_LOWERING_ENTRYLOWERING_H
