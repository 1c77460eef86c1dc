//===- LowRankGradient.cpp - Weight gradients kept as factors -------------===//
#include "compiler/lowering/LowRankGradient.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace yan {

void forEachGradientChunk(
    KernelEmitter &k, const LowRankGradient &gradient, Value rowBegin,
    Value rowEnd, function_ref<void(Value, Value, int64_t, Value)> body) {
  OpBuilder &b = k.builder();
  Location loc = k.location();
  int64_t lanes = k.lanes();
  int64_t blockCols = 4 * lanes;
  int64_t blocked = gradient.cols / blockCols * blockCols;
  int64_t vectorized = gradient.cols / lanes * lanes;
  auto vecType = VectorType::get({lanes}, b.getF32Type());
  Value zero = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(vecType, b.getF32FloatAttr(0.0f)));
  auto coefficient = [&](Value r, Value row) {
    return k.loadF32(gradient.left, {r, row});
  };
  // `vectors` vectors (0: one scalar) starting at column `col`.
  auto chunk = [&](Value row, Value col, int64_t vectors) {
    int64_t count = std::max<int64_t>(vectors, 1);
    SmallVector<Value> init(count, vectors ? zero : k.f32(0.0f));
    SmallVector<Value> sums = k.forLoop(
        k.index(0), gradient.count, 1, init,
        [&](Value r, ValueRange acc) -> SmallVector<Value> {
          Value a = coefficient(r, row);
          SmallVector<Value> next;
          if (vectors == 0) {
            next.push_back(k.mulAdd(a, k.loadF32(gradient.right, {r, col}), acc[0]));
            return next;
          }
          Value splat = b.create<vector::BroadcastOp>(loc, vecType, a);
          for (int64_t i = 0; i < vectors; ++i) {
            Value at = b.create<arith::AddIOp>(loc, col, k.index(i * lanes));
            next.push_back(
                k.mulAdd(splat, k.loadVectorF32(gradient.right, {r, at}), acc[i]));
          }
          return next;
        });
    for (int64_t i = 0; i < count; ++i) {
      Value at = b.create<arith::AddIOp>(loc, col, k.index(i * lanes));
      body(row, at, vectors ? lanes : 0, sums[i]);
    }
  };
  k.forLoop(rowBegin, rowEnd, 1, [&](Value row) {
    k.forLoop(k.index(0), k.index(blocked), blockCols,
              [&](Value col) { chunk(row, col, 4); });
    k.forLoop(k.index(blocked), k.index(vectorized), lanes,
              [&](Value col) { chunk(row, col, 1); });
    k.forLoop(k.index(vectorized), k.index(gradient.cols), 1,
              [&](Value col) { chunk(row, col, 0); });
  });
}

} // namespace yan
