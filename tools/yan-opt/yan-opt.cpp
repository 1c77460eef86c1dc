//===- yan-opt.cpp - mlir-opt for the yan dialect -------------------------===//
//
// All upstream dialects and passes plus ours. This is the one translation unit
// that includes InitAllDialects/InitAllPasses (they are slow to compile).
//
//===----------------------------------------------------------------------===//
#include "compiler/codegen/Pipeline.h"
#include "compiler/autodiff/Passes.h"
#include "compiler/lowering/Passes.h"
#include "compiler/transforms/Passes.h"
#include "yan/IR/YanDialect.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  yan::registerYanPasses();
  yan::registerYanAutodiffPasses();
  yan::registerYanLoweringPasses();
  yan::registerYanPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::yan::YanDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "yan optimizer driver\n", registry));
}
