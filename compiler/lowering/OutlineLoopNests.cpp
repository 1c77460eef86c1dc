//===- OutlineLoopNests.cpp - A function per outermost loop nest ----------===//
//
// See Passes.td (OutlineLoopNests): keeps the functions LLVM optimizes the
// size of one kernel, whatever the number of layers.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;

namespace yan {
#define GEN_PASS_DEF_OUTLINELOOPNESTS
#include "compiler/lowering/Passes.h.inc"

namespace {

/// The loops of `entry` that no other loop encloses.
SmallVector<scf::ForOp> outermostLoops(func::FuncOp entry) {
  SmallVector<scf::ForOp> loops;
  entry.walk<WalkOrder::PreOrder>([&](scf::ForOp loop) {
    loops.push_back(loop);
    return WalkResult::skip();
  });
  return loops;
}

/// Replaces `loop` by a call of a new private, noinline function `name`
/// holding a clone of it.
void outline(scf::ForOp loop, StringRef name, func::FuncOp entry) {
  // What the loop reads from outside: its bounds and initial values, and
  // the values its body uses from above.
  llvm::SetVector<Value> captured;
  for (Value operand : loop->getOperands())
    captured.insert(operand);
  getUsedValuesDefinedAbove(loop.getRegion(), captured);
  SmallVector<Value> arguments;
  SmallVector<Operation *> constants;
  for (Value value : captured) {
    Operation *def = value.getDefiningOp();
    if (def && def->hasTrait<OpTrait::ConstantLike>())
      constants.push_back(def);
    else
      arguments.push_back(value);
  }
  OpBuilder builder(entry);
  auto type = builder.getFunctionType(ValueRange(arguments).getTypes(),
                                      loop.getResultTypes());
  auto callee = builder.create<func::FuncOp>(loop.getLoc(), name, type);
  callee.setPrivate();
  // Not inlined back into the entry (that would undo the point).
  callee->setAttr("passthrough",
                  builder.getArrayAttr({builder.getStringAttr("noinline")}));
  Block *body = callee.addEntryBlock();
  IRMapping mapping;
  for (auto [value, argument] : llvm::zip(arguments, body->getArguments()))
    mapping.map(value, argument);
  builder.setInsertionPointToStart(body);
  for (Operation *constant : constants)
    builder.clone(*constant, mapping);
  Operation *copy = builder.clone(*loop, mapping);
  builder.create<func::ReturnOp>(loop.getLoc(), copy->getResults());
  builder.setInsertionPoint(loop);
  auto call = builder.create<func::CallOp>(loop.getLoc(), callee, arguments);
  loop->replaceAllUsesWith(call.getResults());
  loop->erase();
}

struct OutlineLoopNestsPass
    : impl::OutlineLoopNestsBase<OutlineLoopNestsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> entries;
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal() && func.isPublic())
        entries.push_back(func);
    for (func::FuncOp entry : entries) {
      unsigned index = 0;
      for (scf::ForOp loop : outermostLoops(entry))
        outline(loop, (entry.getSymName() + "_loop" + Twine(index++)).str(),
                entry);
    }
  }
};

} // namespace
} // namespace yan
