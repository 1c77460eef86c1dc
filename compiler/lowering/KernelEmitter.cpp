//===- KernelEmitter.cpp - Building loops and vector kernels --------------===//
#include "compiler/lowering/KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace yan {
namespace {
SmallVector<Value> concat(ArrayRef<Value> a, ValueRange b) {
  SmallVector<Value> all(a.begin(), a.end());
  all.append(b.begin(), b.end());
  return all;
}
} // namespace

Value KernelEmitter::index(int64_t value) {
  return b.create<arith::ConstantIndexOp>(loc, value);
}

Value KernelEmitter::f32(float value) {
  return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(value));
}

void KernelEmitter::forLoop(Value lb, Value ub, int64_t step,
                            function_ref<void(Value)> body) {
  auto loop = b.create<scf::ForOp>(loc, lb, ub, index(step));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  body(loop.getInductionVar());
}

SmallVector<Value> KernelEmitter::forLoop(
    Value lb, Value ub, int64_t step, ValueRange init,
    function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  auto loop = b.create<scf::ForOp>(
      loc, lb, ub, index(step), init,
      [&](OpBuilder &nested, Location, Value iv, ValueRange args) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nested.getInsertionBlock(),
                            nested.getInsertionPoint());
        SmallVector<Value> next = body(iv, args);
        b.create<scf::YieldOp>(loc, next);
      });
  return SmallVector<Value>(loop.getResults());
}

Value KernelEmitter::widen(Value value) {
  Type element = getElementTypeOrSelf(value.getType());
  if (element.isF32())
    return value;
  if (element.isF16() && !nativeF16)
    return widenF16Bits(value);
  Type wide = b.getF32Type();
  if (auto vec = dyn_cast<VectorType>(value.getType()))
    wide = VectorType::get(vec.getShape(), b.getF32Type());
  return b.create<arith::ExtFOp>(loc, wide, value);
}

Value KernelEmitter::widenF16Bits(Value value) {
  // The half's exponent and mantissa bits move to the f32 positions and the
  // exponent is rebiased (+112); the largest exponent (inf/NaN) is rebiased
  // once more to stay the largest, and a zero exponent (zero, subnormal)
  // becomes 2^-14 * (1 + m/1024) - 2^-14 = m * 2^-24, exact in f32.
  auto typeLike = [&](Type element) -> Type {
    if (auto vec = dyn_cast<VectorType>(value.getType()))
      return VectorType::get(vec.getShape(), element);
    return element;
  };
  Type i16 = typeLike(b.getI16Type()), i32 = typeLike(b.getI32Type());
  Type f32Type = typeLike(b.getF32Type());
  auto constant = [&](uint32_t bits) -> Value {
    auto attr = b.getI32IntegerAttr(static_cast<int32_t>(bits));
    if (auto vec = dyn_cast<VectorType>(i32))
      return b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(vec, attr));
    return b.create<arith::ConstantOp>(loc, attr);
  };
  // One op per statement: the IR's order does not depend on the order in
  // which the host compiler evaluates arguments.
  Value halfBits = b.create<arith::BitcastOp>(loc, i16, value);
  Value half = b.create<arith::ExtUIOp>(loc, i32, halfBits);
  Value signBit = b.create<arith::AndIOp>(loc, half, constant(0x8000));
  Value sign = b.create<arith::ShLIOp>(loc, signBit, constant(16));
  Value unsignedHalf = b.create<arith::AndIOp>(loc, half, constant(0x7fff));
  Value bits = b.create<arith::ShLIOp>(loc, unsignedHalf, constant(13));
  Value exponent = b.create<arith::AndIOp>(loc, bits, constant(0x0f800000));
  Value rebiased = b.create<arith::AddIOp>(loc, bits, constant(0x38000000));
  Value infOrNan = b.create<arith::AddIOp>(loc, rebiased, constant(0x38000000));
  Value plusOne = b.create<arith::AddIOp>(loc, rebiased, constant(0x00800000));
  Value plusOneF = b.create<arith::BitcastOp>(loc, f32Type, plusOne);
  Value bias = b.create<arith::BitcastOp>(loc, f32Type, constant(0x38800000));
  Value smallF = b.create<arith::SubFOp>(loc, plusOneF, bias);
  Value small = b.create<arith::BitcastOp>(loc, i32, smallF);
  Value isInfOrNan = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                             exponent, constant(0x0f800000));
  Value isSmall = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                          exponent, constant(0));
  Value finite = b.create<arith::SelectOp>(loc, isSmall, small, rebiased);
  Value magnitude =
      b.create<arith::SelectOp>(loc, isInfOrNan, infOrNan, finite);
  Value signedBits = b.create<arith::OrIOp>(loc, magnitude, sign);
  return b.create<arith::BitcastOp>(loc, f32Type, signedBits);
}

Value KernelEmitter::loadF32(const Access &access, ValueRange indices) {
  if (const QuantizedWeight *weight = quantized(access.memref))
    return loadQuantizedF32(access, *weight, indices, /*vector=*/false);
  return widen(b.create<memref::LoadOp>(loc, access.memref,
                                        concat(access.leading, indices)));
}

Value KernelEmitter::loadVectorF32(const Access &access, ValueRange indices) {
  if (const QuantizedWeight *weight = quantized(access.memref))
    return loadQuantizedF32(access, *weight, indices, /*vector=*/true);
  Type element = cast<MemRefType>(access.memref.getType()).getElementType();
  auto type = VectorType::get({static_cast<int64_t>(vectorWidth)}, element);
  return widen(b.create<vector::LoadOp>(loc, type, access.memref,
                                        concat(access.leading, indices)));
}

void KernelEmitter::store(Value value, Value memref, ValueRange indices) {
  if (isa<VectorType>(value.getType()))
    b.create<vector::StoreOp>(loc, value, memref, indices);
  else
    b.create<memref::StoreOp>(loc, value, memref, indices);
}

Value KernelEmitter::loadLike(Value like, Value memref, ValueRange indices) {
  if (auto vec = dyn_cast<VectorType>(like.getType()))
    return b.create<vector::LoadOp>(loc, vec, memref, indices);
  return b.create<memref::LoadOp>(loc, memref, indices);
}

Value KernelEmitter::splatLike(Value scalar, Value like) {
  if (auto vec = dyn_cast<VectorType>(like.getType()))
    return b.create<vector::BroadcastOp>(loc, vec, scalar);
  return scalar;
}

Value KernelEmitter::f32Like(float value, Value like) {
  return splatLike(f32(value), like);
}

Value KernelEmitter::silu(Value x) {
  // x * sigmoid(x) = x / (1 + exp(-x)); exp is expanded to a polynomial later
  // (no libm in generated code). For x << 0, exp(-x) = inf and x/inf = -0.
  Value negated = b.create<arith::NegFOp>(loc, x);
  Value e = b.create<math::ExpOp>(loc, negated);
  Value denominator = b.create<arith::AddFOp>(loc, f32Like(1.0f, x), e);
  return b.create<arith::DivFOp>(loc, x, denominator);
}

Value KernelEmitter::mulAdd(Value a, Value x, Value acc) {
  // mul + add allowed to contract: an FMA where the target has one, and no
  // call to libm's fmaf where it does not (generated code imports nothing).
  auto contract = arith::FastMathFlags::contract;
  Value product = b.create<arith::MulFOp>(loc, a, x, contract);
  return b.create<arith::AddFOp>(loc, product, acc, contract);
}

Value KernelEmitter::addReassoc(Value lhs, Value rhs) {
  return b.create<arith::AddFOp>(loc, lhs, rhs,
                                 arith::FastMathFlags::reassoc);
}

Value KernelEmitter::wholeStepsEnd(Value begin, Value end, int64_t step) {
  Value length = b.create<arith::SubIOp>(loc, end, begin);
  Value steps = b.create<arith::DivUIOp>(loc, length, index(step));
  return b.create<arith::AddIOp>(
      loc, begin, b.create<arith::MulIOp>(loc, steps, index(step)));
}

Value KernelEmitter::zeroVector() {
  auto vecType = VectorType::get({static_cast<int64_t>(vectorWidth)},
                                 b.getF32Type());
  return b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(vecType, b.getF32FloatAttr(0.0f)));
}

void KernelEmitter::forVectorsThenScalars(
    Value begin, Value end, function_ref<void(Value, Value)> body) {
  Value zeros = zeroVector();
  Value vectorsEnd = wholeStepsEnd(begin, end, vectorWidth);
  forLoop(begin, vectorsEnd, vectorWidth, [&](Value i) { body(i, zeros); });
  Value zero = f32(0.0f);
  forLoop(vectorsEnd, end, 1, [&](Value i) { body(i, zero); });
}

Value KernelEmitter::sumVectorsThenScalars(Value begin, Value end,
                                           SumStep step) {
  Value zeros = zeroVector();
  Value vectorsEnd = wholeStepsEnd(begin, end, vectorWidth);
  Value lanesSum = forLoop(begin, vectorsEnd, vectorWidth, {zeros},
                           [&](Value i, ValueRange acc) -> SmallVector<Value> {
                             return {step(i, zeros, acc[0])};
                           })[0];
  Value sum = b.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD,
                                            lanesSum,
                                            arith::FastMathFlags::reassoc);
  Value zero = f32(0.0f);
  return forLoop(vectorsEnd, end, 1, {sum},
                 [&](Value i, ValueRange acc) -> SmallVector<Value> {
                   return {step(i, zero, acc[0])};
                 })[0];
}

SmallVector<Value> KernelEmitter::outerProductTile(
    int64_t rows, int64_t vectors, ValueRange init, Value begin, Value end,
    function_ref<Value(int64_t, Value)> scalarOf,
    function_ref<Value(int64_t, Value)> vectorOf) {
  int64_t width = std::max<int64_t>(vectors, 1);
  auto vecType = VectorType::get({static_cast<int64_t>(vectorWidth)},
                                 b.getF32Type());
  return forLoop(begin, end, 1, init,
                 [&](Value r, ValueRange acc) -> SmallVector<Value> {
                   SmallVector<Value> right;
                   for (int64_t j = 0; j < width; ++j)
                     right.push_back(vectorOf(j, r));
                   SmallVector<Value> next;
                   for (int64_t i = 0; i < rows; ++i) {
                     Value a = scalarOf(i, r);
                     if (vectors)
                       a = b.create<vector::BroadcastOp>(loc, vecType, a);
                     for (int64_t j = 0; j < width; ++j)
                       next.push_back(
                           mulAdd(a, right[j], acc[i * width + j]));
                   }
                   return next;
                 });
}

Value KernelEmitter::reduceTransposed(ArrayRef<Value> accumulators) {
  // Each vector holds accumulators' `partials` lanes each, in row order.
  SmallVector<Value> level(accumulators);
  int64_t partials = vectorWidth;
  // The sum of the first and second halves of every group of `partials`
  // among the `lanes` lanes of x then y, groups in order.
  auto addHalves = [&](Value x, Value y, int64_t lanes) -> Value {
    SmallVector<int64_t> low, high;
    for (int64_t base = 0; base < lanes; base += partials)
      for (int64_t k = 0; k < partials / 2; ++k) {
        low.push_back(base + k);
        high.push_back(base + partials / 2 + k);
      }
    Value lo = b.create<vector::ShuffleOp>(loc, x, y, low);
    Value hi = b.create<vector::ShuffleOp>(loc, x, y, high);
    return b.create<arith::AddFOp>(loc, lo, hi);
  };
  for (; partials > 1; partials /= 2) {
    SmallVector<Value> next;
    if (level.size() > 1) {
      // Pairs of vectors into one of the same width.
      for (size_t i = 0; i < level.size(); i += 2)
        next.push_back(addHalves(level[i], level[i + 1], 2 * vectorWidth));
    } else {
      // One vector left: it halves its own width.
      Value v = level[0];
      next.push_back(
          addHalves(v, v, cast<VectorType>(v.getType()).getNumElements()));
    }
    level = std::move(next);
  }
  // vector.reduction's start value, added last (x + 0 is x but for -0).
  return b.create<arith::AddFOp>(loc, level[0], f32Like(0.0f, level[0]));
}

void KernelEmitter::dotTile(const Access &matrix, ArrayRef<Access> vecs,
                            Value row0, int64_t block, int64_t cols,
                            ArrayRef<Value> ahead,
                            function_ref<void(Value, int64_t, Value)> epilogue,
                            function_ref<void(int64_t, Value)> blockEpilogue) {
  int64_t width = vectorWidth;
  int64_t mainCols = cols / width * width;
  int64_t numVecs = vecs.size();
  auto accType = VectorType::get({width}, b.getF32Type());
  SmallVector<Value> rows;
  for (int64_t r = 0; r < block; ++r)
    rows.push_back(r == 0 ? row0
                          : b.create<arith::AddIOp>(loc, row0, index(r))
                                .getResult());

  // Accumulator (r, j) at r * numVecs + j.
  SmallVector<Value> sums;
  if (mainCols > 0) {
    Value zero = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0f)));
    SmallVector<Value> init(block * numVecs, zero);
    SmallVector<Value> accs = forLoop(
        index(0), index(mainCols), width, init,
        [&](Value col, ValueRange acc) {
          SmallVector<Value> x, w;
          for (const Access &vec : vecs)
            x.push_back(loadVectorF32(vec, {col}));
          for (int64_t r = 0; r < block; ++r)
            w.push_back(loadVectorF32(matrix, {rows[r], col}));
          for (Value row : ahead) {
            SmallVector<Value> at(matrix.leading);
            at.append({row, col});
            b.create<memref::PrefetchOp>(loc, matrix.memref, at, /*isWrite=*/false,
                                         /*localityHint=*/3, /*isDataCache=*/true);
          }
          SmallVector<Value> next;
          for (int64_t r = 0; r < block; ++r)
            for (int64_t j = 0; j < numVecs; ++j)
              next.push_back(mulAdd(w[r], x[j], acc[r * numVecs + j]));
          return next;
        });
    if (blockEpilogue && mainCols == cols &&
        llvm::isPowerOf2_64(static_cast<uint64_t>(block)) && block <= width) {
      for (int64_t j = 0; j < numVecs; ++j) {
        SmallVector<Value> column;
        for (int64_t r = 0; r < block; ++r)
          column.push_back(accs[r * numVecs + j]);
        blockEpilogue(j, reduceTransposed(column));
      }
      return;
    }
    for (Value acc : accs)
      sums.push_back(b.create<vector::ReductionOp>(
          loc, vector::CombiningKind::ADD, acc,
          arith::FastMathFlags::reassoc));
  } else {
    sums.assign(block * numVecs, f32(0.0f));
  }
  if (mainCols < cols)
    sums = forLoop(index(mainCols), index(cols), 1, sums,
                   [&](Value col, ValueRange acc) {
                     SmallVector<Value> x;
                     for (const Access &vec : vecs)
                       x.push_back(loadF32(vec, {col}));
                     SmallVector<Value> next;
                     for (int64_t r = 0; r < block; ++r) {
                       Value w = loadF32(matrix, {rows[r], col});
                       for (int64_t j = 0; j < numVecs; ++j)
                         next.push_back(mulAdd(w, x[j], acc[r * numVecs + j]));
                     }
                     return next;
                   });
  if (blockEpilogue) {
    for (int64_t j = 0; j < numVecs; ++j) {
      SmallVector<Value> column;
      for (int64_t r = 0; r < block; ++r)
        column.push_back(sums[r * numVecs + j]);
      blockEpilogue(j, b.create<vector::FromElementsOp>(
                           loc, VectorType::get({block}, b.getF32Type()), column));
    }
    return;
  }
  for (int64_t r = 0; r < block; ++r)
    for (int64_t j = 0; j < numVecs; ++j)
      epilogue(rows[r], j, sums[r * numVecs + j]);
}

void KernelEmitter::dotRows(const Access &matrix,
                            function_ref<Access(Value)> vectorOf,
                            Value numVectors, Value rowBegin, Value rowEnd,
                            int64_t cols,
                            function_ref<void(Value, Value, Value)> epilogue,
                            BlockEpilogue blockEpilogue) {
  if (const QuantizedWeight *weight = quantized(matrix.memref))
    return dotRowsQuantized(matrix, *weight, vectorOf, numVectors, rowBegin,
                            rowEnd, cols, epilogue, blockEpilogue);
  dotRowsF32(matrix, vectorOf, numVectors, rowBegin, rowEnd, cols,
             /*fromMemory=*/true, epilogue, blockEpilogue);
}

void KernelEmitter::dotRowsF32(const Access &matrix,
                               function_ref<Access(Value)> vectorOf,
                               Value numVectors, Value rowBegin, Value rowEnd,
                               int64_t cols, bool fromMemory,
                               function_ref<void(Value, Value, Value)> epilogue,
                               BlockEpilogue blockEpilogue) {
  int64_t rowBlock = shape.rowBlock, tileVectors = shape.dotVectors;
  Value rowsEnd = wholeStepsEnd(rowBegin, rowEnd, rowBlock);
  Value vectorsEnd = wholeStepsEnd(index(0), numVectors, tileVectors);
  auto tile = [&](Value row0, int64_t rows, Value t0, int64_t vectors) {
    // One vector (decode) streams each row once: the hardware prefetcher
    // keeps up with that, and the prefetches would only cost issue slots.
    SmallVector<Value> ahead;
    if (fromMemory && vectors > 1)
      ahead = nextBlockRowsOfTile(matrix, row0, rows, t0);
    SmallVector<Value> ts;
    SmallVector<Access> vecs;
    for (int64_t j = 0; j < vectors; ++j) {
      ts.push_back(j == 0 ? t0
                          : b.create<arith::AddIOp>(loc, t0, index(j))
                                .getResult());
      vecs.push_back(vectorOf(ts.back()));
    }
    auto wholeBlock = [&](int64_t j, Value dots) {
      blockEpilogue(row0, ts[j], dots);
    };
    dotTile(matrix, vecs, row0, rows, cols, ahead,
            [&](Value row, int64_t j, Value dot) { epilogue(row, ts[j], dot); },
            blockEpilogue && rows == rowBlock
                ? function_ref<void(int64_t, Value)>(wholeBlock)
                : function_ref<void(int64_t, Value)>());
  };
  // Past the whole tiles, vectors go two at a time while they can (tiles
  // wider than two leave up to tileVectors - 1), then one at a time: a
  // one-vector tile has a single FMA chain per row, bound by the FMA's
  // latency at half the pipes' rate, and x86-64-v3's 3-vector tile leaves
  // two vectors in a third of the partitions a prefill call groups.
  Value pairsEnd = tileVectors > 2
                       ? wholeStepsEnd(vectorsEnd, numVectors, 2)
                       : vectorsEnd;
  auto rowTiles = [&](Value row0, int64_t rows) {
    if (tileVectors > 1)
      forLoop(index(0), vectorsEnd, tileVectors,
              [&](Value t0) { tile(row0, rows, t0, tileVectors); });
    if (tileVectors > 2)
      forLoop(vectorsEnd, pairsEnd, 2,
              [&](Value t0) { tile(row0, rows, t0, 2); });
    forLoop(tileVectors > 1 ? pairsEnd : index(0), numVectors, 1,
            [&](Value t) { tile(row0, rows, t, 1); });
  };
  forLoop(rowBegin, rowsEnd, rowBlock,
          [&](Value row0) { rowTiles(row0, rowBlock); });
  forLoop(rowsEnd, rowEnd, 1, [&](Value row) { rowTiles(row, 1); });
}

SmallVector<Value> KernelEmitter::rowsAhead(const Access &matrix,
                                            ArrayRef<Value> rows,
                                            int64_t distance) {
  auto type = cast<MemRefType>(matrix.memref.getType());
  int64_t rowDim = static_cast<int64_t>(matrix.leading.size());
  if (!type.hasStaticShape() || rowDim + 2 != type.getRank())
    return {};
  int64_t lastRow = type.getShape()[rowDim] - 1;
  SmallVector<Value> ahead;
  for (Value row : rows)
    ahead.push_back(b.create<arith::MinUIOp>(
        loc, b.create<arith::AddIOp>(loc, row, index(distance)), index(lastRow)));
  return ahead;
}

// Rotating by the tile's index spreads a block's prefetches over its token
// tiles: when every tile prefetched all of the next block's rows, the first
// tile issued them in a burst the core could not hold in flight (the later
// tiles' repeats were what brought most lines in), and each column step
// spent a load slot per row. With 3 rows a tile, x86-64-v4's 8-row blocks
// are covered in 3 tiles and v3's 4-row blocks in 2 (a partition's 8-16
// tokens are 4-8 tiles of 2). `small`, f32, Zen 5, 128-token prefill, 1
// thread: v3 1453-1458 -> 1555-1566 tokens/s, v4 2379-2472 -> 2599-2671 (2
// and 4 rows a tile, or 3 two blocks ahead, gained less).
SmallVector<Value> KernelEmitter::nextBlockRowsOfTile(const Access &matrix,
                                                      Value row0, int64_t rows,
                                                      Value t0) {
  constexpr int64_t kRowsPerTile = 3;
  Value tileIndex = b.create<arith::DivUIOp>(loc, t0, index(shape.dotVectors));
  Value first = b.create<arith::MulIOp>(loc, tileIndex, index(kRowsPerTile));
  SmallVector<Value> inBlock;
  for (int64_t i = 0; i < std::min(kRowsPerTile, rows); ++i)
    inBlock.push_back(b.create<arith::AddIOp>(
        loc, row0,
        b.create<arith::RemUIOp>(
            loc, b.create<arith::AddIOp>(loc, first, index(i)), index(rows))));
  return rowsAhead(matrix, inBlock, rows);
}

Value KernelEmitter::sigmoid(Value x) {
  Value one = f32Like(1.0f, x);
  Value e = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, x));
  return b.create<arith::DivFOp>(loc, one, b.create<arith::AddFOp>(loc, one, e));
}

Value KernelEmitter::siluGrad(Value x) {
  Value s = sigmoid(x);
  Value one = f32Like(1.0f, x);
  Value inner = b.create<arith::AddFOp>(
      loc, one,
      b.create<arith::MulFOp>(loc, x, b.create<arith::SubFOp>(loc, one, s)));
  return b.create<arith::MulFOp>(loc, s, inner);
}

std::pair<Value, Value> KernelEmitter::threadShare(Value total,
                                                  int64_t granularity,
                                                  Value threadIndex,
                                                  Value threadCount) {
  Value blocks = b.create<arith::CeilDivUIOp>(loc, total, index(granularity));
  Value perThread = b.create<arith::MulIOp>(
      loc, b.create<arith::CeilDivUIOp>(loc, blocks, threadCount),
      index(granularity));
  Value begin = b.create<arith::MinUIOp>(
      loc, b.create<arith::MulIOp>(loc, threadIndex, perThread), total);
  Value end = b.create<arith::MinUIOp>(
      loc, b.create<arith::AddIOp>(loc, begin, perThread), total);
  return {begin, end};
}

} // namespace yan
