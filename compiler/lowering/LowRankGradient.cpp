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
  // A register tile of `rows` rows x `vectors` vectors (0: one scalar
  // column), the transposed product's tile shape: for each factor row r,
  // `vectors` loads of right[r] and `rows` broadcasts of left[r] feed rows *
  // vectors FMAs (a small GEMM, G = L^T R, whose inner dimension is the
  // factor rank).
  OpBuilder &b = k.builder();
  Location loc = k.location();
  int64_t lanes = k.lanes();
  int64_t tileRows = k.tiles().accumulateOutputs;
  int64_t tileVectors = k.tiles().accumulateVectors;
  int64_t tileCols = tileVectors * lanes;
  int64_t tiled = gradient.cols / tileCols * tileCols;
  int64_t vectorized = gradient.cols / lanes * lanes;
  auto tile = [&](Value row0, int64_t rows, Value col, int64_t vectors) {
    int64_t width = std::max<int64_t>(vectors, 1);
    Value zero = vectors ? k.zeroVector() : k.f32(0.0f);
    SmallVector<Value> rowIndex, colIndex;
    for (int64_t i = 0; i < rows; ++i)
      rowIndex.push_back(b.create<arith::AddIOp>(loc, row0, k.index(i)));
    for (int64_t j = 0; j < width; ++j)
      colIndex.push_back(b.create<arith::AddIOp>(loc, col, k.index(j * lanes)));
    SmallVector<Value> init(rows * width, zero);
    SmallVector<Value> sums = k.outerProductTile(
        rows, vectors, init, k.index(0), gradient.count,
        [&](int64_t i, Value r) {
          return k.loadF32(gradient.left, {r, rowIndex[i]});
        },
        [&](int64_t j, Value r) {
          return vectors ? k.loadVectorF32(gradient.right, {r, colIndex[j]})
                         : k.loadF32(gradient.right, {r, colIndex[j]});
        });
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < width; ++j)
        body(rowIndex[i], colIndex[j], vectors ? lanes : 0, sums[i * width + j]);
  };
  auto rowBlock = [&](Value row0, int64_t rows) {
    k.forLoop(k.index(0), k.index(tiled), tileCols,
              [&](Value col) { tile(row0, rows, col, tileVectors); });
    k.forLoop(k.index(tiled), k.index(vectorized), lanes,
              [&](Value col) { tile(row0, rows, col, 1); });
    k.forLoop(k.index(vectorized), k.index(gradient.cols), 1,
              [&](Value col) { tile(row0, rows, col, 0); });
  };
  Value mainEnd = k.wholeStepsEnd(rowBegin, rowEnd, tileRows);
  k.forLoop(rowBegin, mainEnd, tileRows,
            [&](Value row0) { rowBlock(row0, tileRows); });
  k.forLoop(mainEnd, rowEnd, 1, [&](Value row) { rowBlock(row, 1); });
}

} // namespace yan
