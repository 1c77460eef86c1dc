//===- LowerToLoops.cpp - yan entry points to loops over runtime buffers --===//
//
// Walks an entry point's ops in order (the importer emits a straight-line
// graph), gives every tensor a buffer (a weight view, a state view, the
// caller's logits, or an arena slot) and emits each op as loops over those
// buffers. See Passes.td for the calling convention and
// runtime/include/yan/executable_abi.h for what the arguments mean.
//
// Threads: every thread runs the whole function. Matrix products split their
// rows into fixed shares (multiples of the kernel's row block, so no result
// bit depends on the thread count); everything else runs on thread 0; a
// barrier separates steps whose inputs another thread wrote.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/EntryLowering.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "yan/IR/YanOps.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace yan {
#define GEN_PASS_DEF_LOWERTOLOOPS
#include "compiler/lowering/Passes.h.inc"

namespace detail {

namespace y = mlir::yan;

LogicalResult EntryLowering::checkSignature() {
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
      return source.emitError() << "state result " << i << " has type "
                                << type.getResult(i) << ", argument has "
                                << type.getInput(i);
  return success();
}

LogicalResult EntryLowering::countRouting() {
  // The statistics buffer has one counter per (layer, partition): every
  // router of the entry is a layer, and all must agree on P.
  for (auto router : source.getOps<y::RouterOp>()) {
    int64_t partitions = dimOf(router.getWeight(), 0);
    if (numLayers > 0 && partitions != numPartitions)
      return router.emitOpError() << "routes over " << partitions
                                  << " partitions; the entry's other routers "
                                  << "use " << numPartitions;
    numPartitions = partitions;
    ++numLayers;
  }
  return success();
}

void EntryLowering::createFunction() {
  MLIRContext *context = builder.getContext();
  auto dynamic = [&](Type element) {
    return MemRefType::get({ShapedType::kDynamic}, element);
  };
  Type i8 = IntegerType::get(context, 8), i64 = builder.getI64Type();
  Type index = builder.getIndexType();
  auto barrierType = builder.getFunctionType({i64}, {});
  auto type = builder.getFunctionType(
      {dynamic(i8), dynamic(builder.getF32Type()), dynamic(i8),
       dynamic(builder.getI32Type()), dynamic(builder.getF32Type()),
       dynamic(i64), dynamic(builder.getF64Type()),
       dynamic(builder.getF32Type()), index, index, i64, barrierType},
      {});
  entry = builder.create<func::FuncOp>(
      loc, ("yan_" + source.getSymName()).str(), type);
  Block *block = entry.addEntryBlock();
  builder.setInsertionPointToStart(block);
  weightsArg = block->getArgument(0);
  stateArg = block->getArgument(1);
  arenaArg = block->getArgument(2);
  tokensArg = block->getArgument(3);
  logitsArg = block->getArgument(4);
  statsArg = block->getArgument(5);
  learnArg = block->getArgument(6);
  optimizerStateArg = block->getArgument(7);
  threadIndex = block->getArgument(8);
  threadCount = block->getArgument(9);
  poolArg = block->getArgument(10);
  barrierArg = block->getArgument(11);

  auto tokensType = cast<RankedTensorType>(source.getArgument(0).getType());
  if (learning) {
    // The sample's N tokens: the forward runs over the first N-1, the
    // targets are the last N-1 (a view starting at token 1).
    dynamicTokens = true;
    numTokens = builder.create<arith::SubIOp>(
        loc, builder.create<memref::DimOp>(loc, tokensArg, 0), kernels.index(1));
    auto targetsType = MemRefType::get(
        {ShapedType::kDynamic}, builder.getI32Type(),
        StridedLayoutAttr::get(builder.getContext(), 1, {1}));
    buffers[source.getArgument(1)] = builder.create<memref::ReinterpretCastOp>(
        loc, targetsType, tokensArg, builder.getIndexAttr(1),
        ArrayRef<OpFoldResult>{numTokens},
        ArrayRef<OpFoldResult>{builder.getIndexAttr(1)});
  } else if (tokensType.isDynamicDim(0)) {
    dynamicTokens = true;
    numTokens = builder.create<memref::DimOp>(loc, tokensArg, 0);
  } else {
    maxTokens = tokensType.getDimSize(0);
    numTokens = kernels.index(maxTokens);
  }
  buffers[source.getArgument(0)] = tokensArg;
}

LogicalResult EntryLowering::mapState() {
  // State arguments are laid out one after the other in argument order; each
  // must feed exactly one yan.mcsd whose matching result is returned, so the
  // mixer can update the caller's state in place.
  auto returnOp = cast<func::ReturnOp>(source.getBody().front().getTerminator());
  for (unsigned i = 1; i < source.getNumArguments(); ++i) {
    Value arg = source.getArgument(i);
    auto type = cast<RankedTensorType>(arg.getType());
    if (!type.hasStaticShape() || !type.getElementType().isF32())
      return source.emitError() << "state argument " << i
                                << " must be a static f32 tensor";
    if (!arg.hasOneUse() || !isa<y::McsdOp>(*arg.getUsers().begin()))
      return source.emitError() << "state argument " << i
                                << " must be used by exactly one yan.mcsd";
    auto mcsd = cast<y::McsdOp>(*arg.getUsers().begin());
    Value updated = arg == mcsd.getH() ? mcsd.getHOut()
                    : arg == mcsd.getUHist() ? mcsd.getUHistOut()
                                             : Value();
    if (!updated || returnOp.getOperand(i) != updated)
      return source.emitError() << "state result " << i
                                << " must be the update of state argument "
                                << i;
    // A view of the flat state buffer at this argument's offset.
    SmallVector<int64_t> strides(type.getRank(), 1);
    for (int64_t d = type.getRank() - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * type.getDimSize(d + 1);
    auto viewType = MemRefType::get(
        type.getShape(), type.getElementType(),
        StridedLayoutAttr::get(builder.getContext(), stateFloats, strides));
    Value view = builder.create<memref::ReinterpretCastOp>(
        loc, viewType, stateArg, stateFloats, type.getShape(), strides);
    buffers[arg] = view;
    buffers[updated] = view;
    stateFloats += type.getNumElements();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

Value EntryLowering::temporary(ArrayRef<int64_t> shape, Type element,
                               int64_t &offset) {
  int64_t elements = 1;
  for (int64_t d : shape)
    elements *= d;
  offset = arena.allocate(elements * (element.getIntOrFloatBitWidth() / 8));
  auto type = MemRefType::get(shape, element);
  return builder.create<memref::ViewOp>(loc, type, arenaArg,
                                        kernels.index(offset), ValueRange{});
}

Value EntryLowering::arenaBuffer(Type tensorType) {
  auto type = cast<RankedTensorType>(tensorType);
  int64_t elements = 1;
  SmallVector<Value> dynamicSizes;
  for (int64_t d : type.getShape()) {
    if (ShapedType::isDynamic(d)) {
      elements *= maxTokens;
      dynamicSizes.push_back(numTokens);
    } else {
      elements *= d;
    }
  }
  int64_t bytes = elements * (type.getElementTypeBitWidth() / 8);
  int64_t offset = arena.allocate(bytes);
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
  return builder.create<memref::ViewOp>(loc, memrefType, arenaArg,
                                        kernels.index(offset), dynamicSizes);
}

Value EntryLowering::bufferFor(Value result) {
  if (Value existing = buffers.lookup(result))
    return existing; // state updated in place
  auto returnOp = cast<func::ReturnOp>(source.getBody().front().getTerminator());
  if (returnOp.getOperand(0) == result) {
    int64_t vocab = dimOf(result, 1);
    auto type = MemRefType::get({ShapedType::kDynamic, vocab},
                                builder.getF32Type());
    OpFoldResult zero = builder.getIndexAttr(0);
    Value view = builder.create<memref::ReinterpretCastOp>(
        loc, type, logitsArg, zero,
        ArrayRef<OpFoldResult>{numTokens, builder.getIndexAttr(vocab)},
        ArrayRef<OpFoldResult>{builder.getIndexAttr(vocab),
                               builder.getIndexAttr(1)});
    buffers[result] = view;
    return view;
  }
  Value view = arenaBuffer(result.getType());
  buffers[result] = view;
  arenaOffsets[result] = cast<arith::ConstantIndexOp>(
                             view.getDefiningOp<memref::ViewOp>()
                                 .getByteShift()
                                 .getDefiningOp())
                             .value();
  return view;
}

Value EntryLowering::weightView(y::WeightRefOp op) {
  auto weight = SymbolTable::lookupNearestSymbolFrom<y::WeightOp>(
      op, op.getNameAttr());
  int64_t offset =
      weight->getAttrOfType<IntegerAttr>(kWeightOffsetAttr).getInt();
  auto type = cast<RankedTensorType>(op.getType());
  int64_t elementBytes = type.getElementTypeBitWidth() / 8;
  int64_t partitions =
      weight->getAttrOfType<IntegerAttr>(kWeightPartitionsAttr).getInt();
  int64_t partitionElements = type.getNumElements() / partitions;
  int64_t stride = partitionElements;
  if (auto attr = weight->getAttrOfType<IntegerAttr>(kWeightPartitionStrideAttr))
    stride = attr.getInt() / elementBytes;
  auto dense = MemRefType::get(type.getShape(), type.getElementType());
  if (stride == partitionElements)
    return builder.create<memref::ViewOp>(loc, dense, weightsArg,
                                          kernels.index(offset), ValueRange{});
  // Partitions padded to the page size: a flat view of the whole span, then
  // the [P, ...] shape with the padded partition stride.
  int64_t span = (partitions - 1) * stride + partitionElements;
  Value flat = builder.create<memref::ViewOp>(
      loc, MemRefType::get({span}, type.getElementType()), weightsArg,
      kernels.index(offset), ValueRange{});
  SmallVector<int64_t> strides(type.getRank(), 1);
  for (int64_t d = type.getRank() - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * type.getDimSize(d + 1);
  strides[0] = stride;
  auto strided = MemRefType::get(
      type.getShape(), type.getElementType(),
      StridedLayoutAttr::get(builder.getContext(), 0, strides));
  return builder.create<memref::ReinterpretCastOp>(loc, strided, flat, 0,
                                                   type.getShape(), strides);
}

//===----------------------------------------------------------------------===//
// Threads
//===----------------------------------------------------------------------===//

void EntryLowering::serial(function_ref<void()> body) {
  Value first = builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                              threadIndex, kernels.index(0));
  auto ifOp = builder.create<scf::IfOp>(loc, first, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
  body();
}

void EntryLowering::barrier() {
  Value several = builder.create<arith::CmpIOp>(
      loc, arith::CmpIPredicate::ugt, threadCount, kernels.index(1));
  auto ifOp = builder.create<scf::IfOp>(loc, several, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
  builder.create<func::CallIndirectOp>(loc, barrierArg, ValueRange{poolArg});
}

std::pair<Value, Value> EntryLowering::share(int64_t rows,
                                             int64_t granularity) {
  return kernels.threadShare(kernels.index(rows), granularity, threadIndex,
                             threadCount);
}

std::pair<Value, Value> EntryLowering::shareDynamic(Value rows) {
  return kernels.threadShare(rows, 1, threadIndex, threadCount);
}

void EntryLowering::bumpStat(int64_t offset, Value partition) {
  Value p = partition;
  if (!p.getType().isIndex())
    p = builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), p);
  Value slot = builder.create<arith::AddIOp>(loc, p, kernels.index(offset));
  Value count = builder.create<memref::LoadOp>(loc, statsArg, slot);
  Value one = builder.create<arith::ConstantIntOp>(loc, 1, 64);
  builder.create<memref::StoreOp>(
      loc, builder.create<arith::AddIOp>(loc, count, one), statsArg, slot);
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

void EntryLowering::rmsNormRow(const Access &x, Value weight, Value out,
                               Value outRow, int64_t width, float eps) {
  KernelEmitter &k = kernels;
  Value sumSquares =
      k.forLoop(k.index(0), k.index(width), 1, {k.f32(0.0f)},
                [&](Value i, ValueRange acc) -> SmallVector<Value> {
                  Value v = k.loadF32(x, {i});
                  Value sq = builder.create<arith::MulFOp>(loc, v, v);
                  return {k.addReassoc(acc[0], sq)};
                })[0];
  Value mean = builder.create<arith::DivFOp>(loc, sumSquares,
                                             k.f32(static_cast<float>(width)));
  Value root = builder.create<math::SqrtOp>(
      loc, builder.create<arith::AddFOp>(loc, mean, k.f32(eps)));
  Value scale = builder.create<arith::DivFOp>(loc, k.f32(1.0f), root);
  k.forLoop(k.index(0), k.index(width), 1, [&](Value i) {
    Value v = builder.create<arith::MulFOp>(loc, k.loadF32(x, {i}), scale);
    Value w = k.loadF32(Access{weight, {}}, {i});
    k.store(builder.create<arith::MulFOp>(loc, v, w), out, {outRow, i});
  });
}

/// out[t, r] = dot(weight[r, :], x[t, :]) for all positions: this thread's
/// share of the weight rows, every position (rows outer: weights stream
/// once per call, not once per position).
void EntryLowering::matmulTransposed(Value x, Value weight, Value out,
                                     int64_t rows, int64_t cols) {
  KernelEmitter &k = kernels;
  auto [begin, end] = share(rows);
  k.dotRows(
      Access{weight, {}}, [&](Value t) { return Access{x, {t}}; }, numTokens,
      begin, end, cols,
      [&](Value row, Value t, Value dot) { k.store(dot, out, {t, row}); });
}

void EntryLowering::lowerEmbed(y::EmbedOp op) {
  KernelEmitter &k = kernels;
  Value table = buffer(op.getTable());
  Value out = bufferFor(op.getResult());
  int64_t width = dimOf(op.getTable(), 1);
  serial([&] {
    k.forLoop(k.index(0), numTokens, 1, [&](Value t) {
      Value token = builder.create<memref::LoadOp>(loc, tokensArg, t);
      Value row = builder.create<arith::IndexCastOp>(
          loc, builder.getIndexType(), token);
      k.forLoop(k.index(0), k.index(width), 1, [&](Value d) {
        k.store(k.loadF32(Access{table, {row}}, {d}), out, {t, d});
      });
    });
  });
}

void EntryLowering::lowerRmsNorm(y::RmsNormOp op) {
  KernelEmitter &k = kernels;
  Value x = buffer(op.getInput());
  Value out = bufferFor(op.getResult());
  float eps = op.getEps().convertToFloat();
  int64_t width = dimOf(op.getInput(), 1);
  serial([&] {
    k.forLoop(k.index(0), numTokens, 1, [&](Value t) {
      rmsNormRow(Access{x, {t}}, buffer(op.getWeight()), out, t, width, eps);
    });
  });
}

void EntryLowering::lowerLinear(y::LinearOp op) {
  matmulTransposed(buffer(op.getInput()), buffer(op.getWeight()),
                   bufferFor(op.getResult()), dimOf(op.getWeight(), 0),
                   dimOf(op.getWeight(), 1));
}

void EntryLowering::lowerAdd(arith::AddFOp op) {
  KernelEmitter &k = kernels;
  Value lhs = buffer(op.getLhs()), rhs = buffer(op.getRhs());
  Value out = bufferFor(op.getResult());
  int64_t width = dimOf(op.getResult(), 1);
  serial([&] {
    k.forLoop(k.index(0), numTokens, 1, [&](Value t) {
      k.forLoop(k.index(0), k.index(width), 1, [&](Value d) {
        Value a = builder.create<memref::LoadOp>(loc, lhs, ValueRange{t, d});
        Value b = builder.create<memref::LoadOp>(loc, rhs, ValueRange{t, d});
        k.store(builder.create<arith::AddFOp>(loc, a, b), out, {t, d});
      });
    });
  });
}

void EntryLowering::lowerMcsd(y::McsdOp op) {
  // Feature by feature (features are independent), positions in order: the
  // decay state and the last K-1 u values travel as loop-carried scalars, so
  // the state buffers can be read once and written once, in place.
  KernelEmitter &k = kernels;
  Value u = buffer(op.getU()), v = buffer(op.getV()), q = buffer(op.getQ());
  // The start state comes from h/u_hist and the final state goes to the
  // results' buffers: the same state view (in place) in prefill/decode,
  // separate buffers in the learn graph, which must not advance the state.
  Value h = buffer(op.getH()), hist = buffer(op.getUHist());
  Value hOut = bufferFor(op.getHOut()), histOut = bufferFor(op.getUHistOut());
  Value m = bufferFor(op.getM());
  int64_t hidden = dimOf(op.getH(), 0);
  int64_t channels = op.getNumChannels();
  int64_t window = op.getSlopeWindow();
  int64_t perChannel = hidden / channels;
  serial([&] {
    for (int64_t c = 0; c < channels; ++c) {
      float decay = op.getDecays()[c];
      float slope = op.getSlopes()[c];
      k.forLoop(k.index(c * perChannel), k.index((c + 1) * perChannel), 1,
                [&](Value i) {
        // carried: h, then u_{t-1}, u_{t-2}, ..., u_{t-K+1}
        SmallVector<Value> init{builder.create<memref::LoadOp>(loc, h, i)};
        for (int64_t j = 1; j < window; ++j)
          init.push_back(builder.create<memref::LoadOp>(
              loc, hist, ValueRange{k.index(window - 1 - j), i}));
        SmallVector<Value> last = k.forLoop(
            k.index(0), numTokens, 1, init,
            [&](Value t, ValueRange carried) -> SmallVector<Value> {
              Value ut =
                  builder.create<memref::LoadOp>(loc, u, ValueRange{t, i});
              Value s = ut;
              for (int64_t j = 1; j < window; ++j)
                s = k.mulAdd(k.f32(1.0f - static_cast<float>(j) * slope),
                             carried[j], s);
              Value vt =
                  builder.create<memref::LoadOp>(loc, v, ValueRange{t, i});
              Value decayed =
                  builder.create<arith::MulFOp>(loc, k.f32(decay), carried[0]);
              Value hNew = k.mulAdd(k.f32(1.0f - decay), vt, decayed);
              Value qt =
                  builder.create<memref::LoadOp>(loc, q, ValueRange{t, i});
              Value mixed = builder.create<arith::MulFOp>(
                  loc, builder.create<arith::MulFOp>(loc, s, hNew),
                  k.silu(qt));
              k.store(mixed, m, {t, i});
              SmallVector<Value> next{hNew};
              if (window > 1)
                next.push_back(ut);
              for (int64_t j = 1; j + 1 < window; ++j)
                next.push_back(carried[j]);
              return next;
            });
        builder.create<memref::StoreOp>(loc, last[0], hOut, i);
        for (int64_t j = 1; j < window; ++j)
          builder.create<memref::StoreOp>(
              loc, last[j], histOut, ValueRange{k.index(window - 1 - j), i});
      });
    }
  });
}

void EntryLowering::lowerRouter(y::RouterOp op) {
  KernelEmitter &k = kernels;
  Value x = buffer(op.getInput());
  Value weight = buffer(op.getWeight());
  Value indices = bufferFor(op.getIndices());
  Value alphas = bufferFor(op.getWeights());
  int64_t partitions = dimOf(op.getWeight(), 0);
  int64_t hidden = dimOf(op.getWeight(), 1);
  int64_t active = op.getActivePartitions();
  int64_t statsOffset = layer * numPartitions;
  ++layer;
  int64_t scratchOffset;
  Value logits = temporary({partitions}, builder.getF32Type(), scratchOffset);
  Type i32 = builder.getI32Type();

  serial([&] {
    Value minusOne = builder.create<arith::ConstantIntOp>(loc, -1, 32);
    Value zero32 = builder.create<arith::ConstantIntOp>(loc, 0, 32);
    k.forLoop(k.index(0), numTokens, 1, [&](Value t) {
      k.dotRows(
          Access{weight, {}}, [&](Value) { return Access{x, {t}}; },
          k.index(1), k.index(0), k.index(partitions), hidden,
          [&](Value row, Value, Value dot) { k.store(dot, logits, {row}); });
      // Top-k by repeated selection: the j-th pick is the largest logit not
      // yet picked; scanning upwards with a strict '>' keeps the lower index
      // on ties. The first unpicked partition is taken even if its logit is
      // NaN, so an index is always valid.
      k.forLoop(k.index(0), k.index(active), 1, [&](Value j) {
        SmallVector<Value> best = k.forLoop(
            k.index(0), k.index(partitions), 1, {k.f32(0.0f), minusOne},
            [&](Value p, ValueRange acc) -> SmallVector<Value> {
              Value p32 = builder.create<arith::IndexCastOp>(loc, i32, p);
              Value taken =
                  k.forLoop(k.index(0), j, 1,
                            {builder.create<arith::ConstantIntOp>(loc, 0, 1)},
                            [&](Value j2, ValueRange seen) -> SmallVector<Value> {
                              Value picked = builder.create<memref::LoadOp>(
                                  loc, indices, ValueRange{t, j2});
                              Value same = builder.create<arith::CmpIOp>(
                                  loc, arith::CmpIPredicate::eq, picked, p32);
                              return {builder.create<arith::OrIOp>(
                                  loc, seen[0], same)};
                            })[0];
              Value value = builder.create<memref::LoadOp>(loc, logits, p);
              Value none = builder.create<arith::CmpIOp>(
                  loc, arith::CmpIPredicate::slt, acc[1], zero32);
              Value greater = builder.create<arith::CmpFOp>(
                  loc, arith::CmpFPredicate::OGT, value, acc[0]);
              Value better = builder.create<arith::AndIOp>(
                  loc,
                  builder.create<arith::XOrIOp>(
                      loc, taken,
                      builder.create<arith::ConstantIntOp>(loc, 1, 1)),
                  builder.create<arith::OrIOp>(loc, none, greater));
              return {
                  builder.create<arith::SelectOp>(loc, better, value, acc[0]),
                  builder.create<arith::SelectOp>(loc, better, p32, acc[1])};
            });
        k.store(best[1], indices, {t, j});
        k.store(best[0], alphas, {t, j});
        if (countStats)
          bumpStat(statsOffset, best[1]);
      });
      // softmax over the picked logits; the first pick is the largest.
      Value largest = builder.create<memref::LoadOp>(
          loc, alphas, ValueRange{t, k.index(0)});
      Value total = k.forLoop(
          k.index(0), k.index(active), 1, {k.f32(0.0f)},
          [&](Value j, ValueRange acc) -> SmallVector<Value> {
            Value r =
                builder.create<memref::LoadOp>(loc, alphas, ValueRange{t, j});
            Value e = builder.create<math::ExpOp>(
                loc, builder.create<arith::SubFOp>(loc, r, largest));
            k.store(e, alphas, {t, j});
            return {builder.create<arith::AddFOp>(loc, acc[0], e)};
          })[0];
      k.forLoop(k.index(0), k.index(active), 1, [&](Value j) {
        Value e = builder.create<memref::LoadOp>(loc, alphas, ValueRange{t, j});
        k.store(builder.create<arith::DivFOp>(loc, e, total), alphas, {t, j});
      });
    });
  });
  arena.release(scratchOffset);
}

void EntryLowering::lowerPartitionedFfn(y::PartitionedFfnOp op) {
  Value out = bufferFor(op.getResult());
  KernelEmitter &k = kernels;
  int64_t hidden = dimOf(op.getW1(), 2);
  serial([&] {
    k.forLoop(k.index(0), numTokens, 1, [&](Value t) {
      k.forLoop(k.index(0), k.index(hidden), 1,
                [&](Value d) { k.store(k.f32(0.0f), out, {t, d}); });
    });
  });
  barrier();
  if (dynamicTokens)
    ffnGrouped(op, out);
  else
    ffnTokenByToken(op, out);
}

/// The buffers and sizes of a yan.partitioned_ffn.
struct FfnBuffers {
  Value x, indices, alphas, w1, w3, w2;
  int64_t partitions, ffnSize, hidden, active;
  Value tape1 = {}, tape3 = {}; // learn graphs: w1 x, w3 x per pair
};

FfnBuffers EntryLowering::ffnBuffers(y::PartitionedFfnOp op) {
  return {buffer(op.getInput()), buffer(op.getIndices()), buffer(op.getWeights()),
          buffer(op.getW1()),    buffer(op.getW3()),      buffer(op.getW2()),
          dimOf(op.getW1(), 0),  dimOf(op.getW1(), 1),    dimOf(op.getW1(), 2),
          dimOf(op.getIndices(), 1)};
}

/// Partition p applied to `count` input rows r (input row inputRow(r), routing
/// weight alphaOf(r), output row tokenOf(r)):
///   gated[r, :] = silu(w1[p] x_r) * (w3[p] x_r)
///   out[tokenOf(r), :] += alphaOf(r) * (w2[p] gated[r, :])
/// Only partition p's slice [p, :, :] of each weight is read. w1 and w3 split
/// their rows the same way, so a thread reads back only the gated values it
/// wrote; the barrier publishes them all before w2 reads them.
void EntryLowering::partitionProduct(const FfnBuffers &f, Value p, Value count,
                                     Value gated, Value out,
                                     function_ref<Value(Value)> inputRow,
                                     function_ref<Value(Value)> alphaOf,
                                     function_ref<Value(Value)> tokenOf,
                                     function_ref<Value(Value)> pairOf) {
  KernelEmitter &k = kernels;
  auto [fBegin, fEnd] = share(f.ffnSize);
  auto [dBegin, dEnd] = share(f.hidden);
  auto input = [&](Value r) { return Access{f.x, {inputRow(r)}}; };
  k.dotRows(Access{f.w1, {p}}, input, count, fBegin, fEnd, f.hidden,
            [&](Value row, Value r, Value dot) {
              k.store(k.silu(dot), gated, {r, row});
              if (f.tape1)
                k.store(dot, f.tape1, {pairOf(r), row});
            });
  k.dotRows(Access{f.w3, {p}}, input, count, fBegin, fEnd, f.hidden,
            [&](Value row, Value r, Value dot) {
              Value g = builder.create<memref::LoadOp>(loc, gated, ValueRange{r, row});
              k.store(builder.create<arith::MulFOp>(loc, g, dot), gated, {r, row});
              if (f.tape3)
                k.store(dot, f.tape3, {pairOf(r), row});
            });
  barrier();
  k.dotRows(Access{f.w2, {p}}, [&](Value r) { return Access{gated, {r}}; }, count,
            dBegin, dEnd, f.ffnSize, [&](Value d, Value r, Value dot) {
              Value t = tokenOf(r);
              Value acc = builder.create<memref::LoadOp>(loc, out, ValueRange{t, d});
              k.store(k.mulAdd(alphaOf(r), dot, acc), out, {t, d});
            });
  barrier();
}

/// Decode: each of the k routed partitions applied to the one token.
void EntryLowering::ffnTokenByToken(y::PartitionedFfnOp op, Value out) {
  KernelEmitter &k = kernels;
  FfnBuffers f = ffnBuffers(op);
  int64_t scratchOffset;
  Value gated = temporary({1, f.ffnSize}, builder.getF32Type(), scratchOffset);
  k.forLoop(k.index(0), numTokens, 1, [&](Value t) {
    k.forLoop(k.index(0), k.index(f.active), 1, [&](Value j) {
      Value p32 = builder.create<memref::LoadOp>(loc, f.indices, ValueRange{t, j});
      Value p = builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), p32);
      Value alpha = builder.create<memref::LoadOp>(loc, f.alphas, ValueRange{t, j});
      partitionProduct(
          f, p, k.index(1), gated, out, [&](Value) { return t; },
          [&](Value) { return alpha; }, [&](Value) { return t; });
    });
  });
  arena.release(scratchOffset);
}

/// Prefill: tokens grouped by partition. A counting sort lists, for every
/// partition, the (token, weight) pairs routed to it; then each partition
/// with any tokens is multiplied once, as a GEMM over its gathered rows, and
/// the result is scatter-added back with the routing weights. Partitions no
/// token routed to are skipped and their weights never read.
Value EntryLowering::loadIndex(Value memref, ValueRange at) {
  Value v = builder.create<memref::LoadOp>(loc, memref, at);
  return builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), v);
}

void EntryLowering::groupPairs(Value indices, int64_t partitions,
                               int64_t active, Value starts, Value pairs) {
  KernelEmitter &k = kernels;
  auto storeIndex = [&](Value v, Value memref, ValueRange at) {
    Type element = cast<MemRefType>(memref.getType()).getElementType();
    k.store(builder.create<arith::IndexCastOp>(loc, element, v), memref, at);
  };
  auto plusOne = [&](Value i) {
    return builder.create<arith::AddIOp>(loc, i, k.index(1)).getResult();
  };
  // starts[p + 1] = pairs routed to p; prefix sums make [starts[p],
  // starts[p + 1]) partition p's range of pairs.
  k.forLoop(k.index(0), k.index(partitions + 1), 1,
            [&](Value p) { storeIndex(k.index(0), starts, {p}); });
  k.forLoop(k.index(0), numTokens, 1, [&](Value t) {
    k.forLoop(k.index(0), k.index(active), 1, [&](Value j) {
      Value slot = plusOne(loadIndex(indices, {t, j}));
      storeIndex(plusOne(loadIndex(starts, {slot})), starts, {slot});
    });
  });
  k.forLoop(k.index(1), k.index(partitions + 1), 1, [&](Value p) {
    Value previous =
        loadIndex(starts, {builder.create<arith::SubIOp>(loc, p, k.index(1))});
    storeIndex(builder.create<arith::AddIOp>(loc, previous,
                                             loadIndex(starts, {p})),
               starts, {p});
  });
  // Fill, position order kept within a partition; cursor[p] walks p's range.
  int64_t cursorOffset;
  Value cursor = temporary({partitions}, builder.getI64Type(), cursorOffset);
  k.forLoop(k.index(0), k.index(partitions), 1, [&](Value p) {
    storeIndex(loadIndex(starts, {p}), cursor, {p});
  });
  k.forLoop(k.index(0), numTokens, 1, [&](Value t) {
    k.forLoop(k.index(0), k.index(active), 1, [&](Value j) {
      Value p = loadIndex(indices, {t, j});
      Value position = loadIndex(cursor, {p});
      Value pair = builder.create<arith::AddIOp>(
          loc, builder.create<arith::MulIOp>(loc, t, k.index(active)), j);
      storeIndex(pair, pairs, {position});
      storeIndex(plusOne(position), cursor, {p});
    });
  });
  arena.release(cursorOffset);
}

/// Prefill: tokens grouped by partition. A counting sort lists, for every
/// partition, the (token, pick) pairs routed to it; then each partition
/// with any tokens is multiplied once, as a GEMM over its gathered rows, and
/// the result is scatter-added back with the routing weights. Partitions no
/// token routed to are skipped and their weights never read.
void EntryLowering::ffnGrouped(y::PartitionedFfnOp op, Value out) {
  KernelEmitter &k = kernels;
  FfnBuffers f = ffnBuffers(op);
  // A learn graph differentiates this FFN: tape its pre-activations.
  if (learning && llvm::any_of(op.getInput().getUsers(), [](Operation *user) {
        return isa<y::PartitionedFfnGradOp>(user);
      })) {
    FfnTape tape;
    tape.h1 = temporary({maxTokens * f.active, f.ffnSize}, builder.getF32Type(),
                        tape.h1Offset);
    tape.h3 = temporary({maxTokens * f.active, f.ffnSize}, builder.getF32Type(),
                        tape.h3Offset);
    ffnTapes[op.getInput()] = tape;
    f.tape1 = tape.h1;
    f.tape3 = tape.h3;
  }
  int64_t partitions = f.partitions, active = f.active;
  int64_t startsOffset, pairsOffset, gatedOffset;
  Value starts, pairs;
  Value gated =
      temporary({maxTokens, f.ffnSize}, builder.getF32Type(), gatedOffset);
  // The stats counter of this layer's grouped multiplications.
  int64_t statsOffset = numLayers * numPartitions + (layer - 1) * numPartitions;
  auto plusOne = [&](Value i) {
    return builder.create<arith::AddIOp>(loc, i, k.index(1)).getResult();
  };
  starts = temporary({partitions + 1}, builder.getI64Type(), startsOffset);
  pairs = temporary({maxTokens * active}, builder.getI32Type(), pairsOffset);
  serial([&] {
    groupPairs(f.indices, partitions, active, starts, pairs);
    // One grouped multiplication per partition that any token routed to.
    if (countStats)
      k.forLoop(k.index(0), k.index(partitions), 1, [&](Value p) {
        Value count = builder.create<arith::SubIOp>(
            loc, loadIndex(starts, {plusOne(p)}), loadIndex(starts, {p}));
        Value used = builder.create<arith::CmpIOp>(
            loc, arith::CmpIPredicate::ugt, count, k.index(0));
        auto ifOp = builder.create<scf::IfOp>(loc, used, false);
        OpBuilder::InsertionGuard guard(builder);
        builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
        bumpStat(statsOffset, p);
      });
  });
  barrier();

  k.forLoop(k.index(0), k.index(partitions), 1, [&](Value p) {
    Value begin = loadIndex(starts, {p});
    Value count =
        builder.create<arith::SubIOp>(loc, loadIndex(starts, {plusOne(p)}), begin);
    Value used = builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ugt,
                                               count, k.index(0));
    // Every thread sees the same count (written before the barrier), so all
    // take the same branch and meet at the same barriers.
    auto ifOp = builder.create<scf::IfOp>(loc, used, false);
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
    auto pairOf = [&](Value r) {
      return loadIndex(pairs, {builder.create<arith::AddIOp>(loc, begin, r)});
    };
    auto token = [&](Value r) {
      return builder.create<arith::DivUIOp>(loc, pairOf(r), k.index(active))
          .getResult();
    };
    partitionProduct(
        f, p, count, gated, out, token,
        [&](Value r) {
          Value pair = pairOf(r);
          Value t = builder.create<arith::DivUIOp>(loc, pair, k.index(active));
          Value j = builder.create<arith::RemUIOp>(loc, pair, k.index(active));
          return builder.create<memref::LoadOp>(loc, f.alphas, ValueRange{t, j})
              .getResult();
        },
        token, pairOf);
  });
  arena.release(gatedOffset);
  arena.release(pairsOffset);
  arena.release(startsOffset);
}

void EntryLowering::lowerLmHead(y::LmHeadOp op) {
  KernelEmitter &k = kernels;
  Value x = buffer(op.getInput());
  Value weight = buffer(op.getWeight());
  Value logits = bufferFor(op.getLogits());
  int64_t vocab = dimOf(op.getWeight(), 0), hidden = dimOf(op.getWeight(), 1);
  int64_t scratchOffset;
  Value normed =
      temporary({maxTokens, hidden}, builder.getF32Type(), scratchOffset);
  serial([&] {
    k.forLoop(k.index(0), numTokens, 1, [&](Value t) {
      rmsNormRow(Access{x, {t}}, buffer(op.getNormWeight()), normed, t, hidden,
                 op.getEps().convertToFloat());
    });
  });
  barrier();
  matmulTransposed(normed, weight, logits, vocab, hidden);
  arena.release(scratchOffset);
}

LogicalResult EntryLowering::lowerOp(Operation *op) {
  auto step = [&](auto lower) {
    lower();
    barrier(); // the next step may read what any thread wrote
    return success();
  };
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](y::WeightRefOp ref) {
        buffers[ref.getResult()] = weightView(ref);
        return success();
      })
      .Case([&](y::EmbedOp o) { return step([&] { lowerEmbed(o); }); })
      .Case([&](y::RmsNormOp o) { return step([&] { lowerRmsNorm(o); }); })
      .Case([&](y::LinearOp o) { return step([&] { lowerLinear(o); }); })
      .Case([&](arith::AddFOp o) { return step([&] { lowerAdd(o); }); })
      .Case([&](y::McsdOp o) { return step([&] { lowerMcsd(o); }); })
      .Case([&](y::RouterOp o) { return step([&] { lowerRouter(o); }); })
      .Case([&](y::PartitionedFfnOp o) {
        return step([&] { lowerPartitionedFfn(o); });
      })
      .Case([&](y::LmHeadOp o) { return step([&] { lowerLmHead(o); }); })
      .Case([&](func::ReturnOp) { return success(); })
      .Default([&](Operation *other) -> LogicalResult {
        if (learning)
          return lowerGradientOp(other);
        return other->emitOpError("cannot be lowered in a forward entry point");
      });
}

LogicalResult EntryLowering::run() {
  learning = source->hasAttr(y::kLearnPartitionsAttr);
  countStats = !learning;
  if (learning)
    learnPartitions =
        source->getAttrOfType<IntegerAttr>(y::kLearnPartitionsAttr).getInt();
  if (failed(learning ? success() : checkSignature()) ||
      failed(countRouting()))
    return failure();
  for (auto weight : source->getParentOfType<ModuleOp>().getOps<y::WeightOp>())
    if (!weight->hasAttr(kWeightOffsetAttr) ||
        !weight->hasAttr(kWeightPartitionsAttr))
      return weight.emitOpError("has no yan.offset: run -yan-layout-weights "
                                "first");
  createFunction();
  if (failed(learning ? mapLearnArguments() : mapState()))
    return entry.erase(), failure();

  Block &body = source.getBody().front();
  for (Operation &op : body)
    for (Value operand : op.getOperands())
      lastUse[operand] = &op;
  scf::IfOp backward;
  for (Operation &op : body) {
    if (failed(lowerOp(&op)))
      return entry.erase(), failure();
    // Free the arena slots of values whose last reader was this op, and of
    // results nobody reads (the learn graph's final recurrent state).
    for (Value operand : op.getOperands()) {
      auto it = arenaOffsets.find(operand);
      if (it != arenaOffsets.end() && lastUse[operand] == &op) {
        arena.release(it->second);
        arenaOffsets.erase(it);
      }
    }
    for (Value result : op.getResults()) {
      auto it = arenaOffsets.find(result);
      if (it != arenaOffsets.end() && result.use_empty()) {
        arena.release(it->second);
        arenaOffsets.erase(it);
      }
    }
    // The learn graph: once the loss is known, the header holds "nothing
    // chosen"; the backward runs only when the caller asks for partitions
    // (limit 0 evaluates the loss alone).
    if (learning && isa<y::CrossEntropyOp>(op)) {
      serial([&] { writeLearnHeaderDefaults(); });
      barrier();
      Value wanted = builder.create<arith::CmpIOp>(
          loc, arith::CmpIPredicate::ugt, limit, kernels.index(0));
      backward = builder.create<scf::IfOp>(loc, wanted, false);
      builder.setInsertionPointToStart(&backward.getThenRegion().front());
    }
  }
  if (backward)
    builder.setInsertionPointAfter(backward);
  if (learning) {
    barrier();
    serial([&] { writeFiniteFlag(); });
  }
  builder.create<func::ReturnOp>(loc);

  entry->setAttr(kEntryAttr, builder.getStringAttr(source.getSymName()));
  entry->setAttr(kMaxTokensAttr, builder.getI64IntegerAttr(maxTokens));
  entry->setAttr(kArenaBytesAttr, builder.getI64IntegerAttr(arena.size()));
  entry->setAttr(kStateFloatsAttr, builder.getI64IntegerAttr(stateFloats));
  entry->setAttr(kStatsCountersAttr,
                 builder.getI64IntegerAttr(2 * numLayers * numPartitions));
  if (learning) {
    entry->setAttr(y::kLearnPartitionsAttr,
                   builder.getI64IntegerAttr(learnPartitions));
    facts.stateFloats = stateFloats;
    facts.statsCounters = 2 * numLayers * numPartitions;
  }
  source.erase();
  return success();
}

} // namespace detail

namespace {
using detail::EntryLowering;

struct LowerToLoopsPass : impl::LowerToLoopsBase<LowerToLoopsPass> {
  using LowerToLoopsBase::LowerToLoopsBase;

  void runOnOperation() override {
    if (vectorWidth == 0) {
      getOperation().emitError("vector-width must be positive");
      return signalPassFailure();
    }
    SmallVector<func::FuncOp> entries;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal())
        entries.push_back(func);
    for (func::FuncOp func : entries) {
      bool learn = func->hasAttr(mlir::yan::kLearnPartitionsAttr);
      if (learn && learnMaxTokens < 2) {
        func.emitError("learn-max-tokens must be at least 2");
        return signalPassFailure();
      }
      EntryLowering lowering(func, learn ? learnMaxTokens : prefillMaxTokens,
                             vectorWidth);
      if (failed(lowering.run()))
        return signalPassFailure();
      // The optimizer step that consumes the learn entry's gradients.
      if (learn)
        detail::emitLearnApply(getOperation(), lowering.learnFacts(),
                               vectorWidth);
    }
  }
};

} // namespace
} // namespace yan
