//===- CodeImage.cpp - One target's stages after import -------------------===//
#include "compiler/driver/CodeImage.h"

#include "compiler/codegen/ImageLinker.h"
#include "compiler/codegen/ObjectEmitter.h"
#include "compiler/codegen/Pipeline.h"
#include "compiler/codegen/RequiredFeatures.h"

#include "mlir/Pass/PassManager.h"

namespace yan {
llvm::Expected<ModelLayout> lowerToLLVMDialect(mlir::ModuleOp module,
                                               const CodegenOptions &options) {
  ModelLayout layout;
  auto nativeF16 = hasNativeF16Conversion(options.target);
  if (!nativeF16)
    return nativeF16.takeError();
  auto pairDot = hasBf16PairDot(options.target);
  if (!pairDot)
    return pairDot.takeError();

  mlir::PassManager loops(module.getContext());
  buildLowerToLoopsPipeline(loops, options.target.tiles,
                            options.prefillMaxTokens,
                            options.partitionAlignment, options.learn,
                            *nativeF16,
                            // The pair dot fills 16 f32 lanes.
                            *pairDot && options.target.tiles.quantLanes == 16
                                ? options.target.bf16PairDot
                                : Bf16PairDot{});
  if (failed(loops.run(module)))
    return llvm::createStringError("lowering the yan module to loops failed");
  if (llvm::Error err = takeLayout(module, layout))
    return std::move(err);

  mlir::PassManager llvmDialect(module.getContext());
  buildLoopsToLLVMPipeline(llvmDialect);
  if (failed(llvmDialect.run(module)))
    return llvm::createStringError("lowering to the LLVM dialect failed");
  return layout;
}

llvm::Expected<CodeImage>
compileCodeImage(mlir::ModuleOp module, const CodegenOptions &options,
                 const std::function<void(unsigned step)> &beforeStep) {
  auto step = [&](unsigned index) {
    if (beforeStep)
      beforeStep(index);
  };
  auto required = requiredCpuFeatures(options.target);
  if (!required)
    return required.takeError();
  step(0);
  auto layout = lowerToLLVMDialect(module, options);
  if (!layout)
    return layout.takeError();
  step(1);
  llvm::LLVMContext context;
  auto llvmModule = buildLLVMModule(module, context, *layout, options.target);
  if (!llvmModule)
    return llvmModule.takeError();
  step(2);
  auto object = emitObject(**llvmModule, options.target);
  if (!object)
    return object.takeError();
  step(3);
  auto image = linkCodeImage(*object);
  if (!image)
    return image.takeError();
  return CodeImage{options.target, std::move(*layout), std::move(*image),
                   std::move(*required)};
}

} // namespace yan
