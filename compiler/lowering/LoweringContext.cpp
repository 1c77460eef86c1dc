//===- LoweringContext.cpp - Buffers, arena and threads of one entry ------===//
#include "compiler/lowering/LoweringContext.h"

#include "compiler/abi/EntryAbi.h"

namespace yan::lowering {

LoweringContext::LoweringContext(func::FuncOp source, EntryKind kind,
                                 const EntryOptions &options)
    : source(source), builder(source), loc(source.getLoc()),
      kernels(builder, loc, options.kernels),
      maxTokens(options.maxTokens), entryKind(kind) {}

//===----------------------------------------------------------------------===//
// The function
//===----------------------------------------------------------------------===//

FunctionType LoweringContext::entryFunctionType(Builder &builder) {
  SmallVector<Type> inputs;
  auto element = [&](abi::Element e) -> Type {
    switch (e) {
    case abi::Element::I8:
      return builder.getIntegerType(8);
    case abi::Element::I32:
      return builder.getI32Type();
    case abi::Element::I64:
      return builder.getI64Type();
    case abi::Element::F32:
      return builder.getF32Type();
    case abi::Element::F64:
      return builder.getF64Type();
    case abi::Element::None:
      break;
    }
    llvm_unreachable("a buffer argument has an element type");
  };
  for (const abi::EntryField &field : abi::kEntryFields) {
    switch (field.lowered) {
    case abi::LoweredAs::Buffer:
      inputs.push_back(
          MemRefType::get({ShapedType::kDynamic}, element(field.element)));
      break;
    case abi::LoweredAs::Index:
      inputs.push_back(builder.getIndexType());
      break;
    case abi::LoweredAs::Word:
      inputs.push_back(builder.getI64Type());
      break;
    case abi::LoweredAs::Callback:
      inputs.push_back(builder.getFunctionType({builder.getI64Type()}, {}));
      break;
    case abi::LoweredAs::VerifyCallback:
      inputs.push_back(builder.getFunctionType(
          {builder.getI64Type(), builder.getI64Type()}, {}));
      break;
    case abi::LoweredAs::BufferSize:
      break; // the tokens memref carries it
    }
  }
  assert(inputs.size() == abi::kNumEntryArguments);
  return builder.getFunctionType(inputs, {});
}

void LoweringContext::createFunction() {
  entry = builder.create<func::FuncOp>(
      loc, ("yan_" + source.getSymName()).str(), entryFunctionType(builder));
  Block *block = entry.addEntryBlock();
  builder.setInsertionPointToStart(block);
  args.weights = block->getArgument(abi::kWeightsArg);
  args.state = block->getArgument(abi::kStateArg);
  args.arena = block->getArgument(abi::kArenaArg);
  args.tokens = block->getArgument(abi::kTokensArg);
  args.logits = block->getArgument(abi::kLogitsArg);
  args.stats = block->getArgument(abi::kStatsArg);
  args.learn = block->getArgument(abi::kLearnArg);
  args.optimizerState = block->getArgument(abi::kOptimizerStateArg);
  args.threadIndex = block->getArgument(abi::kThreadIndexArg);
  args.threadCount = block->getArgument(abi::kThreadCountArg);
  args.pool = block->getArgument(abi::kPoolArg);
  args.barrier = block->getArgument(abi::kBarrierArg);
  args.verified = block->getArgument(abi::kVerifiedArg);
  args.verify = block->getArgument(abi::kVerifyArg);
  args.verifier = block->getArgument(abi::kVerifierArg);
  args.partitionCopyOffsets = block->getArgument(abi::kPartitionCopyOffsetsArg);
  args.partitionCopies = block->getArgument(abi::kPartitionCopiesArg);

  switch (entryKind) {
  case EntryKind::Learn: {
    // The sample's N tokens: the forward runs over the first N-1, the
    // targets are the last N-1 (a view starting at token 1).
    numTokens = builder.create<arith::SubIOp>(
        loc, builder.create<memref::DimOp>(loc, args.tokens, 0),
        kernels.index(1));
    auto targetsType =
        MemRefType::get({ShapedType::kDynamic}, builder.getI32Type(),
                        StridedLayoutAttr::get(builder.getContext(), 1, {1}));
    buffers[source.getArgument(1)] = builder.create<memref::ReinterpretCastOp>(
        loc, targetsType, args.tokens, builder.getIndexAttr(1),
        ArrayRef<OpFoldResult>{numTokens},
        ArrayRef<OpFoldResult>{builder.getIndexAttr(1)});
    break;
  }
  case EntryKind::Dynamic:
    numTokens = builder.create<memref::DimOp>(loc, args.tokens, 0);
    break;
  case EntryKind::Fixed:
    maxTokens =
        cast<RankedTensorType>(source.getArgument(0).getType()).getDimSize(0);
    numTokens = kernels.index(maxTokens);
    break;
  }
  buffers[source.getArgument(0)] = args.tokens;
}

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

Value LoweringContext::temporary(ArrayRef<int64_t> shape, Type element,
                                 int64_t &offset) {
  int64_t elements = 1;
  for (int64_t d : shape)
    elements *= d;
  offset = arena.allocate(elements * (element.getIntOrFloatBitWidth() / 8));
  auto type = MemRefType::get(shape, element);
  return builder.create<memref::ViewOp>(loc, type, args.arena,
                                        kernels.index(offset), ValueRange{});
}

Value LoweringContext::arenaBuffer(Type tensorType) {
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
  return builder.create<memref::ViewOp>(loc, memrefType, args.arena,
                                        kernels.index(offset), dynamicSizes);
}

Value LoweringContext::bufferFor(Value result) {
  if (Value existing = buffers.lookup(result))
    return existing; // state updated in place
  auto returnOp =
      cast<func::ReturnOp>(source.getBody().front().getTerminator());
  if (returnOp.getOperand(0) == result) {
    int64_t vocab = dimOf(result, 1);
    auto type =
        MemRefType::get({ShapedType::kDynamic, vocab}, builder.getF32Type());
    OpFoldResult zero = builder.getIndexAttr(0);
    Value view = builder.create<memref::ReinterpretCastOp>(
        loc, type, args.logits, zero,
        ArrayRef<OpFoldResult>{numTokens, builder.getIndexAttr(vocab)},
        ArrayRef<OpFoldResult>{builder.getIndexAttr(vocab),
                               builder.getIndexAttr(1)});
    buffers[result] = view;
    return view;
  }
  Value view = arenaBuffer(result.getType());
  buffers[result] = view;
  arenaOffsets[result] =
      cast<arith::ConstantIndexOp>(
          view.getDefiningOp<memref::ViewOp>().getByteShift().getDefiningOp())
          .value();
  return view;
}

namespace {
/// A [P, ...] (or unpartitioned) view of `elements` of `element` type per
/// partition, in the given row-major `shape` (its last two dimensions the
/// matrix), starting `first` elements into the flat `span`-element view at
/// byte `offset`, partitions `stride` elements apart.
Value stridedWeightView(OpBuilder &builder, Location loc, Value weights,
                        Value offset, Type element, ArrayRef<int64_t> shape,
                        int64_t span, int64_t first, int64_t stride) {
  Value flat = builder.create<memref::ViewOp>(
      loc, MemRefType::get({span}, element), weights, offset, ValueRange{});
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  if (shape.size() == 3)
    strides[0] = stride;
  auto strided = MemRefType::get(
      shape, element,
      StridedLayoutAttr::get(builder.getContext(), first, strides));
  return builder.create<memref::ReinterpretCastOp>(loc, strided, flat, first,
                                                   shape, strides);
}
} // namespace

Value LoweringContext::quantizedWeightView(y::WeightOp weight,
                                           RankedTensorType type,
                                           QuantFormat format) {
  int64_t offset =
      weight->getAttrOfType<IntegerAttr>(kWeightOffsetAttr).getInt();
  int64_t partitions =
      weight->getAttrOfType<IntegerAttr>(kWeightPartitionsAttr).getInt();
  int64_t stride =
      weight->getAttrOfType<IntegerAttr>(kWeightPartitionStrideAttr).getInt();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rows = shape[shape.size() - 2], cols = shape.back();
  QuantSlabLayout slab = quantSlabLayout(format, rows, cols);
  // One slab per partition (docs/yan-model.md section 9): the q plane
  // [.., rows, qRowBytes] i8, then the scale plane [.., rows, groups] f16.
  SmallVector<int64_t> qShape(shape), scaleShape(shape);
  qShape.back() = slab.qRowBytes;
  scaleShape.back() = slab.groups;
  int64_t span = (partitions - 1) * stride + slab.bytes;
  Value at = kernels.index(offset);
  Value q = stridedWeightView(builder, loc, args.weights, at,
                              builder.getIntegerType(8), qShape, span, 0,
                              stride);
  Value scales = stridedWeightView(builder, loc, args.weights, at,
                                   builder.getF16Type(), scaleShape, span / 2,
                                   slab.scaleOffset / 2, stride / 2);
  kernels.registerQuantized(q, QuantizedWeight{format, scales});
  return q;
}

Value LoweringContext::weightView(y::WeightRefOp op) {
  auto weight =
      SymbolTable::lookupNearestSymbolFrom<y::WeightOp>(op, op.getNameAttr());
  auto type = cast<RankedTensorType>(op.getType());
  if (std::optional<StringRef> storage = weight.getStorage())
    return quantizedWeightView(weight, type, *parseQuantFormat(*storage));
  int64_t offset =
      weight->getAttrOfType<IntegerAttr>(kWeightOffsetAttr).getInt();
  int64_t elementBytes = type.getElementTypeBitWidth() / 8;
  int64_t partitions =
      weight->getAttrOfType<IntegerAttr>(kWeightPartitionsAttr).getInt();
  int64_t partitionElements = type.getNumElements() / partitions;
  int64_t stride = partitionElements;
  if (auto attr =
          weight->getAttrOfType<IntegerAttr>(kWeightPartitionStrideAttr))
    stride = attr.getInt() / elementBytes;
  auto dense = MemRefType::get(type.getShape(), type.getElementType());
  if (stride == partitionElements)
    return builder.create<memref::ViewOp>(loc, dense, args.weights,
                                          kernels.index(offset), ValueRange{});
  // Partitions padded to the page size: a flat view of the whole span, then
  // the [P, ...] shape with the padded partition stride.
  int64_t span = (partitions - 1) * stride + partitionElements;
  return stridedWeightView(builder, loc, args.weights, kernels.index(offset),
                           type.getElementType(), type.getShape(), span, 0,
                           stride);
}

Value LoweringContext::loadIndex(Value memref, ValueRange at) {
  Value v = builder.create<memref::LoadOp>(loc, memref, at);
  return builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), v);
}

//===----------------------------------------------------------------------===//
// Threads
//===----------------------------------------------------------------------===//

void LoweringContext::serial(function_ref<void()> body) {
  Value first = builder.create<arith::CmpIOp>(
      loc, arith::CmpIPredicate::eq, args.threadIndex, kernels.index(0));
  auto ifOp = builder.create<scf::IfOp>(loc, first, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
  body();
}

void LoweringContext::barrier() {
  Value several = builder.create<arith::CmpIOp>(
      loc, arith::CmpIPredicate::ugt, args.threadCount, kernels.index(1));
  auto ifOp = builder.create<scf::IfOp>(loc, several, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
  builder.create<func::CallIndirectOp>(loc, args.barrier,
                                       ValueRange{args.pool});
}

std::pair<Value, Value> LoweringContext::share(int64_t rows,
                                               int64_t granularity) {
  return kernels.threadShare(kernels.index(rows), granularity, args.threadIndex,
                             args.threadCount);
}

std::pair<Value, Value> LoweringContext::shareDynamic(Value rows) {
  return kernels.threadShare(rows, 1, args.threadIndex, args.threadCount);
}

void LoweringContext::bumpStat(int64_t offset, Value partition) {
  Value p = partition;
  if (!p.getType().isIndex())
    p = builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), p);
  Value slot = builder.create<arith::AddIOp>(loc, p, kernels.index(offset));
  Value count = builder.create<memref::LoadOp>(loc, args.stats, slot);
  Value one = builder.create<arith::ConstantIntOp>(loc, 1, 64);
  builder.create<memref::StoreOp>(
      loc, builder.create<arith::AddIOp>(loc, count, one), args.stats, slot);
}

} // namespace yan::lowering
