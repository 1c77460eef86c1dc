//===- PartitionCopies.cpp - Reading a partition or its f32 copy ----------===//
//
// Learning on a bundle whose FFN weights are not f32 (f16, bf16, int8,
// int4) trains a partition in an f32 copy the runtime owns (executable_abi.h, "Partition copies"): every
// read of a routed partition's weights branches on the partition's copy
// offset, so trained partitions are read from their copy and the rest from
// the stored weights, which are never written.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/LoweringContext.h"

namespace yan::lowering {

Value partitionCopyOffset(OpBuilder &builder, Location loc, KernelEmitter &k,
                          Value offsets, Value layer, int64_t partitions,
                          Value p) {
  Type i64 = builder.getI64Type();
  // NULL: the runtime has made no copy yet (a bundle that never learned).
  Value address =
      builder.create<memref::ExtractAlignedPointerAsIndexOp>(loc, offsets);
  Value present = builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne,
                                                address, k.index(0));
  auto ifOp = builder.create<scf::IfOp>(loc, TypeRange{i64}, present, true);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
  Value slot = builder.create<arith::AddIOp>(
      loc, builder.create<arith::MulIOp>(loc, layer, k.index(partitions)), p);
  builder.create<scf::YieldOp>(
      loc, ValueRange{builder.create<memref::LoadOp>(loc, offsets, slot)});
  builder.setInsertionPointToStart(&ifOp.getElseRegion().front());
  builder.create<scf::YieldOp>(
      loc, ValueRange{builder.create<arith::ConstantIntOp>(loc, -1, 64)});
  return ifOp.getResult(0);
}

/// Whether `weight` is stored as plain f32 (not f16/bf16, not quantized).
static bool storedAsF32(Value weight) {
  if (!cast<RankedTensorType>(weight.getType()).getElementType().isF32())
    return false;
  auto ref = weight.getDefiningOp<y::WeightRefOp>();
  if (!ref)
    return true;
  auto decl =
      SymbolTable::lookupNearestSymbolFrom<y::WeightOp>(ref, ref.getNameAttr());
  return !decl || !decl.getStorage();
}

int64_t LoweringContext::ffnLayerOf(Value weight) {
  auto symbolOf = [](Value w) -> StringAttr {
    auto ref = w.getDefiningOp<y::WeightRefOp>();
    return ref ? ref.getNameAttr().getAttr() : StringAttr();
  };
  StringAttr name = symbolOf(weight);
  int64_t layer = 0;
  for (auto ffn : source.getOps<y::PartitionedFfnOp>()) {
    for (Value w : {ffn.getW1(), ffn.getW3(), ffn.getW2()})
      if (w == weight || (name && symbolOf(w) == name))
        return layer;
    ++layer;
  }
  return -1;
}

void LoweringContext::withPartitionWeights(
    Value w1, Value w3, Value w2, Value p,
    function_ref<void(const PartitionWeights &)> body) {
  Value w1Buffer = buffer(w1), w3Buffer = buffer(w3), w2Buffer = buffer(w2);
  PartitionWeights stored{Access{w1Buffer, {p}}, Access{w3Buffer, {p}},
                          Access{w2Buffer, {p}}};
  int64_t layer = ffnLayerOf(w1);
  if (storedAsF32(w1) || layer < 0) {
    body(stored);
    return;
  }
  // The tensor's dimensions: a quantized weight's buffer is its q plane.
  int64_t ffnSize = dimOf(w1, 1), hidden = dimOf(w1, 2);
  Value offset =
      partitionCopyOffset(builder, loc, kernels, args.partitionCopyOffsets,
                          kernels.index(layer), numPartitions, p);
  Value hasCopy = builder.create<arith::CmpIOp>(
      loc, arith::CmpIPredicate::sge, offset,
      builder.create<arith::ConstantIntOp>(loc, 0, 64));
  auto ifOp = builder.create<scf::IfOp>(loc, hasCopy, true);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&ifOp.getThenRegion().front());
  Value base =
      builder.create<arith::IndexCastOp>(loc, builder.getIndexType(), offset);
  int64_t sliceBytes = ffnSize * hidden * 4;
  auto copyView = [&](int64_t which, int64_t rows, int64_t cols) {
    Value at = builder.create<arith::AddIOp>(loc, base,
                                             kernels.index(which * sliceBytes));
    return builder.create<memref::ViewOp>(
        loc, MemRefType::get({1, rows, cols}, builder.getF32Type()),
        args.partitionCopies, at, ValueRange{});
  };
  Value zero = kernels.index(0);
  body(PartitionWeights{Access{copyView(0, ffnSize, hidden), {zero}},
                        Access{copyView(1, ffnSize, hidden), {zero}},
                        Access{copyView(2, hidden, ffnSize), {zero}}});
  builder.setInsertionPointToStart(&ifOp.getElseRegion().front());
  body(stored);
}

} // namespace yan::lowering
