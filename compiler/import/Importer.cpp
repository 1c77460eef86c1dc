//===- Importer.cpp - Checkpoint to yan module ----------------------------===//
#include "compiler/import/Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "yan/IR/YanOps.h"
#include "llvm/ADT/Twine.h"

using namespace mlir;

namespace yan {
namespace {

Type elementTypeOf(MLIRContext &context, DType dtype) {
  switch (dtype) {
  case DType::F32:
    return Float32Type::get(&context);
  case DType::F16:
    return Float16Type::get(&context);
  case DType::BF16:
    return BFloat16Type::get(&context);
  }
  llvm_unreachable("unknown dtype");
}

/// Builds one entry point; both entry points share this so that prefill and
/// decode are the same graph at different sequence lengths.
class ForwardBuilder {
public:
  ForwardBuilder(const Checkpoint &checkpoint, ModuleOp module,
                 Location baseLoc)
      : checkpoint(checkpoint), config(checkpoint.config), module(module),
        builder(module.getContext()), baseLoc(baseLoc),
        f32(builder.getF32Type()) {}

  void declareWeights() {
    builder.setInsertionPointToEnd(module.getBody());
    for (const ExpectedTensor &expected : expectedTensors(config)) {
      const TensorView &view = checkpoint.tensor(expected.name);
      WeightFormat format = checkpoint.storedFormat(expected.name);
      auto type = RankedTensorType::get(
          view.shape, elementTypeOf(*module.getContext(), format.dtype));
      // A quantized weight's values are f32; `storage` says how its bytes hold them.
      StringAttr storage =
          format.quant ? builder.getStringAttr(quantFormatName(*format.quant)) : nullptr;
      builder.create<mlir::yan::WeightOp>(named(expected.name),
                                          builder.getStringAttr(expected.name),
                                          TypeAttr::get(type), storage);
      weightTypes[expected.name] = type;
    }
  }

  void buildEntry(StringRef name, int64_t positions) {
    builder.setInsertionPointToEnd(module.getBody());
    int64_t d = config.hiddenSize;
    auto tokensType = RankedTensorType::get({positions}, builder.getI32Type());
    auto logitsType = RankedTensorType::get({positions, config.vocabSize}, f32);
    auto hType = RankedTensorType::get({d}, f32);
    auto histType = RankedTensorType::get({config.slopeWindow - 1, d}, f32);

    SmallVector<Type> inputs{tokensType}, results{logitsType};
    for (int64_t l = 0; l < config.numLayers; ++l) {
      inputs.append({hType, histType});
      results.append({hType, histType});
    }
    auto func = builder.create<func::FuncOp>(
        named(name), name, builder.getFunctionType(inputs, results));
    func.setArgAttr(0, "yan.input", builder.getStringAttr("tokens"));
    func.setResultAttr(0, "yan.output", builder.getStringAttr("logits"));
    for (int64_t l = 0; l < config.numLayers; ++l) {
      for (int64_t part = 0; part < 2; ++part) {
        auto stateName = builder.getStringAttr(
            "layers." + llvm::Twine(l) + (part == 0 ? ".h" : ".u_hist"));
        func.setArgAttr(1 + 2 * l + part, "yan.state", stateName);
        func.setResultAttr(1 + 2 * l + part, "yan.state", stateName);
      }
    }

    Block *entry = func.addEntryBlock();
    builder.setInsertionPointToStart(entry);
    SmallVector<Value> returned;
    Value x = builder.create<mlir::yan::EmbedOp>(
        named("embed"), activation(positions, d), weight("embed.weight"),
        entry->getArgument(0));
    returned.push_back(Value()); // logits, filled in below
    for (int64_t l = 0; l < config.numLayers; ++l) {
      Value h = entry->getArgument(1 + 2 * l);
      Value hist = entry->getArgument(2 + 2 * l);
      auto [next, hOut, histOut] = buildLayer(l, positions, x, h, hist);
      x = next;
      returned.append({hOut, histOut});
    }
    returned[0] = builder.create<mlir::yan::LmHeadOp>(
        named("lm_head"), logitsType, x, weight("final_norm.weight"),
        weight("lm_head.weight"), builder.getF32FloatAttr(config.normEps));
    builder.create<func::ReturnOp>(named(name), returned);
  }

private:
  std::tuple<Value, Value, Value> buildLayer(int64_t l, int64_t positions,
                                             Value x, Value h, Value hist) {
    std::string prefix = "layers." + std::to_string(l);
    int64_t d = config.hiddenSize;
    RankedTensorType act = activation(positions, d);
    FloatAttr eps = builder.getF32FloatAttr(config.normEps);

    // MCSD mixer.
    Location mixLoc = named(prefix + ".mix");
    Value a = builder.create<mlir::yan::RmsNormOp>(
        mixLoc, act, x, weight(prefix + ".mix_norm.weight"), eps);
    auto project = [&](StringRef which, Value input) -> Value {
      return builder.create<mlir::yan::LinearOp>(
          named(prefix + ".mix." + which.str()), act, input,
          weight(prefix + ".mix." + which.str() + ".weight"));
    };
    Value u = project("u", a), v = project("v", a), q = project("g", a);
    auto mcsd = builder.create<mlir::yan::McsdOp>(
        mixLoc, TypeRange{act, h.getType(), hist.getType()}, u, v, q, h, hist,
        config.numChannels, config.slopeWindow,
        builder.getDenseF32ArrayAttr(config.decays),
        builder.getDenseF32ArrayAttr(config.slopes));
    Value mixed = project("o", mcsd.getM());
    x = builder.create<arith::AddFOp>(mixLoc, x, mixed);

    // Partition-activated feed-forward.
    Location ffnLoc = named(prefix + ".ffn");
    Value b = builder.create<mlir::yan::RmsNormOp>(
        ffnLoc, act, x, weight(prefix + ".ffn_norm.weight"), eps);
    int64_t k = config.activePartitions;
    auto router = builder.create<mlir::yan::RouterOp>(
        named(prefix + ".router"),
        TypeRange{RankedTensorType::get({positions, k}, builder.getI32Type()),
                  RankedTensorType::get({positions, k}, f32)},
        b, weight(prefix + ".router.weight"), k);
    Value ffn = builder.create<mlir::yan::PartitionedFfnOp>(
        ffnLoc, act, b, router.getIndices(), router.getWeights(),
        weight(prefix + ".ffn.w1"), weight(prefix + ".ffn.w3"),
        weight(prefix + ".ffn.w2"));
    x = builder.create<arith::AddFOp>(ffnLoc, x, ffn);
    return {x, mcsd.getHOut(), mcsd.getUHistOut()};
  }

  RankedTensorType activation(int64_t positions, int64_t width) {
    return RankedTensorType::get({positions, width}, f32);
  }

  Value weight(StringRef name) {
    RankedTensorType type = weightTypes.lookup(name);
    assert(type && "weight declared by declareWeights");
    return builder.create<mlir::yan::WeightRefOp>(named(name), type,
                                            SymbolRefAttr::get(
                                                builder.getContext(), name));
  }

  Location named(const llvm::Twine &name) {
    return NameLoc::get(builder.getStringAttr(name), baseLoc);
  }

  const Checkpoint &checkpoint;
  const ModelConfig &config;
  ModuleOp module;
  OpBuilder builder;
  Location baseLoc;
  Type f32;
  llvm::StringMap<RankedTensorType> weightTypes;
};

/// The config as a module attribute, so later stages need no side channel.
DictionaryAttr configAttr(Builder &builder, const ModelConfig &config) {
  SmallVector<NamedAttribute> fields{
      builder.getNamedAttr("vocab_size", builder.getI64IntegerAttr(config.vocabSize)),
      builder.getNamedAttr("hidden_size", builder.getI64IntegerAttr(config.hiddenSize)),
      builder.getNamedAttr("num_layers", builder.getI64IntegerAttr(config.numLayers)),
      builder.getNamedAttr("num_channels", builder.getI64IntegerAttr(config.numChannels)),
      builder.getNamedAttr("slope_window", builder.getI64IntegerAttr(config.slopeWindow)),
      builder.getNamedAttr("num_partitions", builder.getI64IntegerAttr(config.numPartitions)),
      builder.getNamedAttr("active_partitions", builder.getI64IntegerAttr(config.activePartitions)),
      builder.getNamedAttr("partition_size", builder.getI64IntegerAttr(config.partitionSize)),
      builder.getNamedAttr("norm_eps", builder.getF32FloatAttr(config.normEps)),
  };
  return builder.getDictionaryAttr(fields);
}

} // namespace

OwningOpRef<ModuleOp> importCheckpoint(MLIRContext &context,
                                       const Checkpoint &checkpoint,
                                       StringRef source) {
  context.loadDialect<mlir::yan::YanDialect, func::FuncDialect,
                      arith::ArithDialect>();
  Location baseLoc = FileLineColLoc::get(&context, source, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(baseLoc);
  Builder attrBuilder(&context);
  (*module)->setAttr("yan.model", configAttr(attrBuilder, checkpoint.config));

  ForwardBuilder forward(checkpoint, *module, baseLoc);
  forward.declareWeights();
  forward.buildEntry(kPrefillEntry, ShapedType::kDynamic);
  forward.buildEntry(kDecodeEntry, 1);
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace yan
