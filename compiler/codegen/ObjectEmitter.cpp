//===- ObjectEmitter.cpp - LLVM dialect -> object code --------------------===//
#include "compiler/codegen/ObjectEmitter.h"
#include "compiler/abi/EntryAbi.h"

#include "yan/executable_abi.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

namespace yan {

void initializeLLVMTargets() {
  static const bool initialized = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    return true;
  }();
  (void)initialized;
}

namespace {


llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const ResolvedTarget &target) {
  initializeLLVMTargets();
  std::string message;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(target.triple, message);
  if (!llvmTarget)
    return llvm::createStringError("no LLVM backend for '" + target.triple + "': " + message);
  llvm::TargetOptions options;
  options.MCOptions.ABIName = target.abiName; // the target description's
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      target.triple, target.cpu, target.features, options, llvm::Reloc::PIC_,
      llvm::CodeModel::Small, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return llvm::createStringError("LLVM cannot target CPU '" + target.cpu + "' on '" +
                 target.triple + "'");
  return machine;
}

/// One wrapper per entry point: unpacks yan_entry_args_v3 into the memref
/// descriptors (allocated, aligned, offset, size, stride) of the lowered
/// function yan_<name>(weights, state, arena, tokens, logits, stats, learn,
/// optimizer_state, thread_index, thread_count, pool, barrier, verified,
/// verify, verifier, partition_copy_offsets, partition_copies, previous).
llvm::Function *buildEntryWrapper(llvm::Module &module,
                                  const EntryPointInfo &entry,
                                  const ModelLayout &layout) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Function *impl = module.getFunction("yan_" + entry.name);
  if (!impl)
    return nullptr;
  llvm::Type *ptr = llvm::PointerType::getUnqual(context);
  llvm::Type *i64 = llvm::Type::getInt64Ty(context);
  llvm::Type *i32 = llvm::Type::getInt32Ty(context);
  // yan_entry_args_v3, field by field (compiler/abi/EntryAbi.h).
  llvm::SmallVector<llvm::Type *> fields;
  for (const abi::EntryField &field : abi::kEntryFields)
    fields.push_back(field.storage == abi::FieldStorage::Pointer ? ptr : i64);
  auto *argsType = llvm::StructType::get(context, fields);
  auto *wrapper = llvm::Function::Create(
      llvm::FunctionType::get(i32, {ptr}, false),
      llvm::GlobalValue::InternalLinkage, "yan_entry_" + entry.name, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", wrapper));
  llvm::Value *args = wrapper->getArg(0);
  auto field = [&](unsigned i) {
    return b.CreateLoad(argsType->getElementType(i),
                        b.CreateStructGEP(argsType, args, i));
  };
  llvm::Value *weights = field(abi::kWeightsField),
              *state = field(abi::kStateField),
              *arena = field(abi::kArenaField),
              *tokens = field(abi::kTokensField),
              *count = field(abi::kNumTokensField),
              *logits = field(abi::kLogitsField),
              *stats = field(abi::kStatsField),
              *learn = field(abi::kLearnField),
              *optimizerState = field(abi::kOptimizerStateField),
              *threadIndex = field(abi::kThreadIndexField),
              *threadCount = field(abi::kThreadCountField),
              *pool = field(abi::kPoolField),
              *barrier = field(abi::kBarrierField),
              *verified = field(abi::kVerifiedField),
              *verify = field(abi::kVerifyField),
              *verifier = field(abi::kVerifierField),
              *copyOffsets = field(abi::kPartitionCopyOffsetsField),
              *copies = field(abi::kPartitionCopiesField),
              *previous = field(abi::kPreviousField);
  llvm::SmallVector<llvm::Value *> operands;
  auto descriptor = [&](llvm::Value *base, llvm::Value *size) {
    operands.append({base, base, b.getInt64(0), size, b.getInt64(1)});
  };
  descriptor(weights, b.getInt64(layout.weights.segmentSize));
  descriptor(state, b.getInt64(layout.stateFloats));
  descriptor(arena, b.getInt64(entry.arenaBytes));
  descriptor(tokens, count);
  descriptor(logits, b.CreateMul(count, b.getInt64(layout.vocabSize)));
  descriptor(stats, b.getInt64(layout.statsCounters));
  descriptor(learn, b.getInt64(YAN_LEARN_PARAM_COUNT));
  // The optimizer state's length depends on the optimizer; the generated
  // code indexes it within 6*F*D floats (executable_abi.h).
  descriptor(optimizerState, b.getInt64(0));
  operands.append({threadIndex, threadCount, b.CreatePtrToInt(pool, i64), barrier});
  // L * P partition bytes and the failure byte (executable_abi.h).
  descriptor(verified, b.getInt64(layout.statsCounters / 2 + 1));
  operands.append({verify, b.CreatePtrToInt(verifier, i64)});
  descriptor(copyOffsets, b.getInt64(layout.numLayers * layout.numPartitions));
  // The copies grow with the partitions trained; the generated code indexes
  // them at the offsets the runtime gives (executable_abi.h).
  descriptor(copies, b.getInt64(0));
  // LEARN_APPLY's rollback copy: the generated code views it as 3*F*D +
  // 6*F*D floats (executable_abi.h).
  descriptor(previous, b.getInt64(0));
  b.CreateCall(impl, operands);
  b.CreateRet(b.getInt32(0));
  return wrapper;
}

/// yan_executable_plan_v4: the sizes this code was compiled for, from the
/// same ModelLayout the bundle writer records, so the runtime can refuse a
/// table of contents that disagrees with the code (executable_abi.h).
llvm::GlobalVariable *buildPlan(llvm::Module &module, const ModelLayout &layout) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *i64 = llvm::Type::getInt64Ty(context);
  auto constant = [&](int64_t value) { return llvm::ConstantInt::get(i64, value); };
  llvm::SmallVector<llvm::Constant *> maxTokens, arenas;
  for (uint32_t i = 0; i < YAN_ENTRY_COUNT; ++i) {
    // Entries the image lacks (--learn=off) plan nothing: 0.
    bool present = i < layout.entries.size();
    maxTokens.push_back(constant(present ? layout.entries[i].maxTokens : 0));
    arenas.push_back(constant(present ? layout.entries[i].arenaBytes : 0));
  }
  auto *perEntry = llvm::ArrayType::get(i64, YAN_ENTRY_COUNT);
  llvm::SmallVector<llvm::Type *> fields(9, i64);
  fields.append({perEntry, perEntry});
  auto *planType = llvm::StructType::get(context, fields);
  static_assert(sizeof(yan_executable_plan_v4) == (9 + 2 * YAN_ENTRY_COUNT) * 8,
                "the plan is 9 int64 fields and two int64[YAN_ENTRY_COUNT] arrays");
  llvm::Constant *values[] = {
      constant(layout.vocabSize),
      constant(layout.hiddenSize),
      constant(layout.numLayers),
      constant(layout.numPartitions),
      constant(layout.partitionSize),
      constant(layout.stateFloats),
      constant(layout.statsCounters),
      constant(static_cast<int64_t>(layout.weights.segmentSize)),
      constant(layout.learnPartitions),
      llvm::ConstantArray::get(perEntry, maxTokens),
      llvm::ConstantArray::get(perEntry, arenas)};
  return new llvm::GlobalVariable(module, planType, /*isConstant=*/true,
                                  llvm::GlobalValue::InternalLinkage,
                                  llvm::ConstantStruct::get(planType, values), "yan_plan");
}

llvm::Error addAbiSurface(llvm::Module &module, const ModelLayout &layout) {
  llvm::LLVMContext &context = module.getContext();
  for (llvm::Function &function : module)
    if (!function.isDeclaration())
      function.setLinkage(llvm::GlobalValue::InternalLinkage);

  // Always YAN_ENTRY_COUNT slots; the learn slots are NULL in an image
  // compiled without learning.
  llvm::Type *ptr = llvm::PointerType::getUnqual(context);
  llvm::SmallVector<llvm::Constant *> wrappers(
      YAN_ENTRY_COUNT,
      llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(context)));
  for (const EntryPointInfo &entry : layout.entries) {
    llvm::Function *wrapper = buildEntryWrapper(module, entry, layout);
    if (!wrapper)
      return llvm::createStringError("lowered module lacks @yan_" + entry.name);
    wrappers[entry.index] = wrapper;
  }
  llvm::Type *i32 = llvm::Type::getInt32Ty(context);
  llvm::GlobalVariable *plan = buildPlan(module, layout);
  auto *tableType = llvm::ArrayType::get(ptr, wrappers.size());
  auto *entries = new llvm::GlobalVariable(
      module, tableType, /*isConstant=*/true, llvm::GlobalValue::InternalLinkage,
      llvm::ConstantArray::get(tableType, wrappers), "yan_entries");
  // yan_executable_v4.
  auto *executableType = llvm::StructType::get(context, {i32, i32, ptr, ptr});
  auto *executable = new llvm::GlobalVariable(
      module, executableType, true, llvm::GlobalValue::InternalLinkage,
      llvm::ConstantStruct::get(
          executableType,
          {llvm::ConstantInt::get(i32, YAN_EXECUTABLE_ABI_VERSION),
           llvm::ConstantInt::get(i32, wrappers.size()), entries, plan}),
      "yan_executable");

  auto *query = llvm::Function::Create(
      llvm::FunctionType::get(ptr, {i32}, false),
      llvm::GlobalValue::ExternalLinkage, YAN_EXECUTABLE_QUERY_SYMBOL, module);
  query->setVisibility(llvm::GlobalValue::DefaultVisibility);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", query));
  llvm::Value *matches = b.CreateICmpEQ(
      query->getArg(0), b.getInt32(YAN_EXECUTABLE_ABI_VERSION));
  b.CreateRet(b.CreateSelect(matches, executable,
                             llvm::ConstantPointerNull::get(
                                 llvm::PointerType::getUnqual(context))));
  return llvm::Error::success();
}

void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(&machine);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  llvm::ModulePassManager pipeline =
      builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  pipeline.run(module, modules);
}

} // namespace

llvm::Expected<std::unique_ptr<llvm::Module>>
buildLLVMModule(mlir::ModuleOp module, llvm::LLVMContext &context,
                const ModelLayout &layout, const ResolvedTarget &target) {
  mlir::DialectRegistry registry;
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);

  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context, "yan");
  if (!llvmModule)
    return llvm::createStringError("translation to LLVM IR failed");
  auto machine = createTargetMachine(target);
  if (!machine)
    return machine.takeError();
  llvmModule->setTargetTriple(target.triple);
  llvmModule->setDataLayout((*machine)->createDataLayout());
  if (llvm::Error err = addAbiSurface(*llvmModule, layout))
    return std::move(err);
  for (llvm::Function &function : *llvmModule) {
    if (function.isDeclaration())
      continue;
    // No memset/memcpy idioms: the image must not import anything.
    function.addFnAttr("no-builtins");
    function.addFnAttr("target-cpu", target.cpu);
    if (!target.features.empty())
      function.addFnAttr("target-features", target.features);
  }
  std::string message;
  llvm::raw_string_ostream os(message);
  if (llvm::verifyModule(*llvmModule, &os))
    return llvm::createStringError("generated LLVM IR is invalid: " + os.str());
  optimize(*llvmModule, **machine);
  return llvmModule;
}

llvm::Expected<std::vector<uint8_t>> emitObject(llvm::Module &module,
                                                const ResolvedTarget &target) {
  for (llvm::Function &function : module)
    if (function.isDeclaration() && !function.isIntrinsic() &&
        !function.use_empty())
      return llvm::createStringError("generated code would import '" + function.getName() +
                   "'; code images must be self-contained");
  auto machine = createTargetMachine(target);
  if (!machine)
    return machine.takeError();
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager passes;
  if ((*machine)->addPassesToEmitFile(passes, os, nullptr,
                                      llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("LLVM cannot emit objects for '" + target.triple + "'");
  passes.run(module);
  return std::vector<uint8_t>(buffer.begin(), buffer.end());
}

} // namespace yan
