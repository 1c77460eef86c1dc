//===- EntryLowering.cpp - One yan entry point to loops over buffers ------===//
//
// Walks an entry point's ops in order (the importer emits a straight-line
// graph), gives every tensor a buffer (a weight view, a state view, the
// caller's logits, or an arena slot) and emits each op with its lowering
// from ops/OpLowerings.h, followed by a barrier. Arena slots are released
// after their last reader, so the static plan reuses them.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/EntryLowering.h"
#include "compiler/lowering/LearnEntry.h"
#include "compiler/lowering/ops/OpLowerings.h"

#include "llvm/ADT/TypeSwitch.h"

namespace yan::lowering {
namespace {

class EntryLowering {
public:
  EntryLowering(func::FuncOp source, const EntryOptions &options)
      : ctx(source, entryKindOf(source), options) {}

  LogicalResult run(LearnFacts *facts);

private:
  LogicalResult checkSignature();
  LogicalResult countRouting();
  LogicalResult mapState();
  LogicalResult lowerOp(Operation *op);
  LogicalResult lowerGradientOp(Operation *op);
  LogicalResult lowerBody();
  void releaseDeadValues(Operation &op);
  void setEntryAttributes();

  LoweringContext ctx;
  DenseMap<Value, Operation *> lastUse;
};

LogicalResult EntryLowering::checkSignature() {
  func::FuncOp source = ctx.source;
  FunctionType type = source.getFunctionType();
  if (type.getNumInputs() < 1 || type.getNumResults() < 1)
    return source.emitError("an entry point takes tokens and returns logits");
  auto tokens = dyn_cast<RankedTensorType>(type.getInput(0));
  if (!tokens || tokens.getRank() != 1 ||
      !tokens.getElementType().isInteger(32))
    return source.emitError("argument 0 must be the tokens, tensor<Nxi32>");
  auto logits = dyn_cast<RankedTensorType>(type.getResult(0));
  if (!logits || logits.getRank() != 2 || !logits.getElementType().isF32())
    return source.emitError("result 0 must be the logits, tensor<NxVxf32>");
  if (type.getNumInputs() != type.getNumResults())
    return source.emitError(
        "every state argument must be returned as the matching result");
  for (unsigned i = 1; i < type.getNumInputs(); ++i)
    if (type.getInput(i) != type.getResult(i))
      return source.emitError()
             << "state result " << i << " has type " << type.getResult(i)
             << ", argument has " << type.getInput(i);
  return success();
}

LogicalResult EntryLowering::countRouting() {
  // The statistics buffer has one counter per (layer, partition): every
  // router of the entry is a layer, and all must agree on P.
  for (auto router : ctx.source.getOps<y::RouterOp>()) {
    int64_t partitions = ctx.dimOf(router.getWeight(), 0);
    if (ctx.numLayers > 0 && partitions != ctx.numPartitions)
      return router.emitOpError()
             << "routes over " << partitions
             << " partitions; the entry's other routers use "
             << ctx.numPartitions;
    ctx.numPartitions = partitions;
    ++ctx.numLayers;
  }
  return success();
}

LogicalResult EntryLowering::mapState() {
  // State arguments are laid out one after the other in argument order; each
  // must feed exactly one yan.mcsd whose matching result is returned, so the
  // mixer can update the caller's state in place.
  func::FuncOp source = ctx.source;
  OpBuilder &builder = ctx.builder;
  auto returnOp =
      cast<func::ReturnOp>(source.getBody().front().getTerminator());
  for (unsigned i = 1; i < source.getNumArguments(); ++i) {
    Value arg = source.getArgument(i);
    auto type = cast<RankedTensorType>(arg.getType());
    if (!type.hasStaticShape() || !type.getElementType().isF32())
      return source.emitError()
             << "state argument " << i << " must be a static f32 tensor";
    if (!arg.hasOneUse() || !isa<y::McsdOp>(*arg.getUsers().begin()))
      return source.emitError() << "state argument " << i
                                << " must be used by exactly one yan.mcsd";
    auto mcsd = cast<y::McsdOp>(*arg.getUsers().begin());
    Value updated = arg == mcsd.getH()       ? mcsd.getHOut()
                    : arg == mcsd.getUHist() ? mcsd.getUHistOut()
                                             : Value();
    if (!updated || returnOp.getOperand(i) != updated)
      return source.emitError()
             << "state result " << i << " must be the update of state argument "
             << i;
    // A view of the flat state buffer at this argument's offset.
    SmallVector<int64_t> strides(type.getRank(), 1);
    for (int64_t d = type.getRank() - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * type.getDimSize(d + 1);
    auto viewType = MemRefType::get(
        type.getShape(), type.getElementType(),
        StridedLayoutAttr::get(builder.getContext(), ctx.stateFloats, strides));
    Value view = builder.create<memref::ReinterpretCastOp>(
        ctx.loc, viewType, ctx.args.state, ctx.stateFloats, type.getShape(),
        strides);
    ctx.buffers[arg] = view;
    ctx.buffers[updated] = view;
    ctx.stateFloats += type.getNumElements();
  }
  return success();
}

namespace {
/// Whether the next op (weight references aside) is a yan.linear of the same
/// input, like a mixer's u, v and g projections. Then no barrier is needed
/// between them: the second reads nothing the first wrote, and its result
/// cannot share arena bytes with the first's input or result (both are
/// still live: the input is its operand, the result has users further on;
/// a result without users would not be).
bool nextLinearSharesInput(y::LinearOp linear) {
  Operation *next = linear->getNextNode();
  while (next && isa<y::WeightRefOp>(next))
    next = next->getNextNode();
  auto nextLinear = dyn_cast_or_null<y::LinearOp>(next);
  return nextLinear && nextLinear.getInput() == linear.getInput() &&
         !linear.getResult().use_empty();
}
} // namespace

/// The op lowerings, by op: each is one step, followed by a barrier (the
/// next step may read what any thread wrote), but between projections of
/// one input (nextLinearSharesInput).
LogicalResult EntryLowering::lowerOp(Operation *op) {
  auto step = [&](auto lower) {
    lower();
    ctx.barrier();
    return success();
  };
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](y::WeightRefOp ref) -> LogicalResult {
        ctx.buffers[ref.getResult()] = ctx.weightView(ref);
        return success();
      })
      .Case([&](y::EmbedOp o) { return step([&] { lowerEmbed(ctx, o); }); })
      .Case([&](y::RmsNormOp o) { return step([&] { lowerRmsNorm(ctx, o); }); })
      .Case([&](y::LinearOp o) {
        lowerLinear(ctx, o);
        if (!nextLinearSharesInput(o))
          ctx.barrier();
        return success();
      })
      .Case([&](arith::AddFOp o) { return step([&] { lowerAdd(ctx, o); }); })
      .Case([&](y::McsdOp o) { return step([&] { lowerMcsd(ctx, o); }); })
      .Case([&](y::RouterOp o) { return step([&] { lowerRouter(ctx, o); }); })
      .Case([&](y::PartitionedFfnOp o) {
        return step([&] { lowerPartitionedFfn(ctx, o); });
      })
      .Case([&](y::LmHeadOp o) { return step([&] { lowerLmHead(ctx, o); }); })
      .Case([&](func::ReturnOp) { return success(); })
      .Default([&](Operation *other) -> LogicalResult {
        if (ctx.isLearn())
          return lowerGradientOp(other);
        return other->emitOpError("cannot be lowered in a forward entry point");
      });
}

LogicalResult EntryLowering::lowerGradientOp(Operation *op) {
  auto step = [&](auto lower) {
    lower();
    ctx.barrier();
    return success();
  };
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](y::CrossEntropyOp o) {
        return step([&] { lowerCrossEntropy(ctx, o); });
      })
      .Case([&](y::CrossEntropyGradOp o) {
        return step([&] { lowerCrossEntropyGrad(ctx, o); });
      })
      .Case([&](y::LinearGradOp o) {
        return step([&] { lowerLinearGrad(ctx, o); });
      })
      .Case([&](y::RmsNormGradOp o) {
        return step([&] { lowerRmsNormGrad(ctx, o); });
      })
      .Case(
          [&](y::McsdGradOp o) { return step([&] { lowerMcsdGrad(ctx, o); }); })
      .Case([&](y::RouterGradOp o) {
        return step([&] { lowerRouterGrad(ctx, o); });
      })
      .Case([&](y::ChoosePartitionsOp o) {
        return step([&] { lowerChoosePartitions(ctx, o); });
      })
      .Case([&](y::PartitionedFfnGradOp o) {
        return step([&] { lowerPartitionedFfnGrad(ctx, o); });
      })
      .Case([&](y::PartitionGradSquaresOp o) {
        return step([&] { lowerPartitionGradSquares(ctx, o); });
      })
      .Case([&](y::GlobalNormOp o) {
        return step([&] { lowerGlobalNorm(ctx, o); });
      })
      .Default([&](Operation *other) {
        return other->emitOpError("cannot be lowered in a learn entry point");
      });
}

/// Frees the arena slots of values whose last reader was `op`, and of
/// results nobody reads (the learn graph's final recurrent state).
void EntryLowering::releaseDeadValues(Operation &op) {
  for (Value operand : op.getOperands()) {
    auto it = ctx.arenaOffsets.find(operand);
    if (it != ctx.arenaOffsets.end() && lastUse[operand] == &op) {
      ctx.arena.release(it->second);
      ctx.arenaOffsets.erase(it);
    }
  }
  for (Value result : op.getResults()) {
    auto it = ctx.arenaOffsets.find(result);
    if (it != ctx.arenaOffsets.end() && result.use_empty()) {
      ctx.arena.release(it->second);
      ctx.arenaOffsets.erase(it);
    }
  }
}

LogicalResult EntryLowering::lowerBody() {
  OpBuilder &builder = ctx.builder;
  Block &body = ctx.source.getBody().front();
  for (Operation &op : body)
    for (Value operand : op.getOperands())
      lastUse[operand] = &op;
  scf::IfOp backward;
  for (Operation &op : body) {
    if (failed(lowerOp(&op)))
      return failure();
    releaseDeadValues(op);
    // The learn graph: once the loss is known, the header holds "nothing
    // chosen"; the backward runs only when the caller asks for partitions
    // (limit 0 evaluates the loss alone).
    if (ctx.isLearn() && isa<y::CrossEntropyOp>(op)) {
      ctx.serial([&] { writeLearnHeaderDefaults(ctx); });
      ctx.barrier();
      Value wanted =
          builder.create<arith::CmpIOp>(ctx.loc, arith::CmpIPredicate::ugt,
                                        ctx.learn.limit, ctx.kernels.index(0));
      backward = builder.create<scf::IfOp>(ctx.loc, wanted, false);
      builder.setInsertionPointToStart(&backward.getThenRegion().front());
    }
  }
  if (backward) {
    ctx.barrier();
    ctx.serial([&] { writeRoutedPairs(ctx); });
    builder.setInsertionPointAfter(backward);
  }
  if (ctx.isLearn()) {
    ctx.barrier();
    ctx.serial([&] { writeFiniteFlag(ctx); });
  }
  // After the outermost lazy-trust guard (ops/VerifyPartitions.cpp).
  builder.setInsertionPointToEnd(&ctx.entry.getBody().front());
  builder.create<func::ReturnOp>(ctx.loc);
  return success();
}

void EntryLowering::setEntryAttributes() {
  OpBuilder &builder = ctx.builder;
  func::FuncOp entry = ctx.entry;
  int64_t statsCounters = 2 * ctx.numLayers * ctx.numPartitions;
  entry->setAttr(kEntryAttr, builder.getStringAttr(ctx.source.getSymName()));
  entry->setAttr(kMaxTokensAttr, builder.getI64IntegerAttr(ctx.maxTokens));
  entry->setAttr(kArenaBytesAttr, builder.getI64IntegerAttr(ctx.arena.size()));
  entry->setAttr(kStateFloatsAttr, builder.getI64IntegerAttr(ctx.stateFloats));
  entry->setAttr(kStatsCountersAttr, builder.getI64IntegerAttr(statsCounters));
  if (ctx.isLearn()) {
    entry->setAttr(y::kLearnPartitionsAttr,
                   builder.getI64IntegerAttr(ctx.learn.partitions));
    ctx.learn.facts.stateFloats = ctx.stateFloats;
    ctx.learn.facts.statsCounters = statsCounters;
  }
}

LogicalResult EntryLowering::run(LearnFacts *facts) {
  func::FuncOp source = ctx.source;
  if (ctx.isLearn())
    ctx.learn.partitions =
        source->getAttrOfType<IntegerAttr>(y::kLearnPartitionsAttr).getInt();
  if (failed(ctx.isLearn() ? success() : checkSignature()) ||
      failed(countRouting()))
    return failure();
  for (auto weight : source->getParentOfType<ModuleOp>().getOps<y::WeightOp>())
    if (!weight->hasAttr(kWeightOffsetAttr) ||
        !weight->hasAttr(kWeightPartitionsAttr))
      return weight.emitOpError("has no yan.offset: run -yan-layout-weights "
                                "first");
  ctx.createFunction();
  if (failed(ctx.isLearn() ? mapLearnArguments(ctx) : mapState()) ||
      failed(lowerBody()))
    return ctx.entry.erase(), failure();
  setEntryAttributes();
  if (facts)
    *facts = std::move(ctx.learn.facts);
  source.erase();
  return success();
}

} // namespace

EntryKind entryKindOf(func::FuncOp source) {
  if (source->hasAttr(y::kLearnPartitionsAttr))
    return EntryKind::Learn;
  if (source.getNumArguments() == 0)
    return EntryKind::Fixed; // refused by the signature check
  auto tokens = dyn_cast<RankedTensorType>(source.getArgument(0).getType());
  return tokens && tokens.isDynamicDim(0) ? EntryKind::Dynamic
                                          : EntryKind::Fixed;
}

LogicalResult lowerEntry(func::FuncOp source, const EntryOptions &options,
                         LearnFacts *facts) {
  return EntryLowering(source, options).run(facts);
}

} // namespace yan::lowering
