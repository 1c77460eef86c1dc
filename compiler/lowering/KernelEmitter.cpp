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
  b.create<memref::StoreOp>(loc, value, memref, indices);
}

Value KernelEmitter::silu(Value x) {
  // x * sigmoid(x) = x / (1 + exp(-x)); exp is expanded to a polynomial later
  // (no libm in generated code). For x << 0, exp(-x) = inf and x/inf = -0.
  Value negated = b.create<arith::NegFOp>(loc, x);
  Value e = b.create<math::ExpOp>(loc, negated);
  Value denominator = b.create<arith::AddFOp>(loc, f32(1.0f), e);
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

void KernelEmitter::dotRowBlock(const Access &matrix, const Access &vec,
                                Value row0, int64_t block, int64_t cols,
                                function_ref<void(Value, Value)> epilogue) {
  int64_t width = vectorWidth;
  int64_t mainCols = cols / width * width;
  auto accType = VectorType::get({width}, b.getF32Type());
  SmallVector<Value> rows;
  for (int64_t r = 0; r < block; ++r)
    rows.push_back(r == 0 ? row0
                          : b.create<arith::AddIOp>(loc, row0, index(r))
                                .getResult());

  SmallVector<Value> sums;
  if (mainCols > 0) {
    Value zero = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0f)));
    SmallVector<Value> init(block, zero);
    SmallVector<Value> accs = forLoop(
        index(0), index(mainCols), width, init,
        [&](Value col, ValueRange acc) {
          Value x = loadVectorF32(vec, {col});
          SmallVector<Value> next;
          for (int64_t r = 0; r < block; ++r) {
            Value w = loadVectorF32(matrix, {rows[r], col});
            next.push_back(mulAdd(w, x, acc[r]));
          }
          return next;
        });
    for (Value acc : accs)
      sums.push_back(b.create<vector::ReductionOp>(
          loc, vector::CombiningKind::ADD, acc,
          arith::FastMathFlags::reassoc));
  } else {
    sums.assign(block, f32(0.0f));
  }
  if (mainCols < cols)
    sums = forLoop(index(mainCols), index(cols), 1, sums,
                   [&](Value col, ValueRange acc) {
                     Value x = loadF32(vec, {col});
                     SmallVector<Value> next;
                     for (int64_t r = 0; r < block; ++r) {
                       Value w = loadF32(matrix, {rows[r], col});
                       next.push_back(mulAdd(w, x, acc[r]));
                     }
                     return next;
                   });
  for (int64_t r = 0; r < block; ++r)
    epilogue(rows[r], sums[r]);
}

void KernelEmitter::dotRows(const Access &matrix,
                            function_ref<Access(Value)> vectorOf,
                            Value numVectors, Value rowBegin, Value rowEnd,
                            int64_t cols,
                            function_ref<void(Value, Value, Value)> epilogue) {
  if (const QuantizedWeight *weight = quantized(matrix.memref))
    return dotRowsQuantized(matrix, *weight, vectorOf, numVectors, rowBegin,
                            rowEnd, cols, epilogue);
  int64_t rowBlock = shape.rowBlock;
  Value length = b.create<arith::SubIOp>(loc, rowEnd, rowBegin);
  Value blocks = b.create<arith::DivUIOp>(loc, length, index(rowBlock));
  Value mainEnd = b.create<arith::AddIOp>(
      loc, rowBegin, b.create<arith::MulIOp>(loc, blocks, index(rowBlock)));
  auto blockOf = [&](Value row0, int64_t block) {
    forLoop(index(0), numVectors, 1, [&](Value t) {
      dotRowBlock(matrix, vectorOf(t), row0, block, cols,
                  [&](Value row, Value dot) { epilogue(row, t, dot); });
    });
  };
  forLoop(rowBegin, mainEnd, rowBlock,
          [&](Value row0) { blockOf(row0, rowBlock); });
  forLoop(mainEnd, rowEnd, 1, [&](Value row) { blockOf(row, 1); });
}

Value KernelEmitter::sigmoid(Value x) {
  Value one = f32(1.0f);
  if (auto vec = dyn_cast<VectorType>(x.getType()))
    one = b.create<vector::BroadcastOp>(loc, vec, one);
  Value e = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, x));
  return b.create<arith::DivFOp>(loc, one, b.create<arith::AddFOp>(loc, one, e));
}

Value KernelEmitter::siluGrad(Value x) {
  Value s = sigmoid(x);
  Value one = f32(1.0f);
  Value inner = b.create<arith::AddFOp>(
      loc, one,
      b.create<arith::MulFOp>(loc, x, b.create<arith::SubFOp>(loc, one, s)));
  return b.create<arith::MulFOp>(loc, s, inner);
}

void KernelEmitter::accumulateInputBlock(const Access &output, Value o,
                                    function_ref<Access(Value)> inputOf,
                                    Value r0, int64_t block,
                                    function_ref<Value(Value, Value)> coef,
                                    Value colBegin, Value colEnd) {
  int64_t width = vectorWidth;
  auto vecType = VectorType::get({width}, b.getF32Type());
  SmallVector<Access> inputs;
  SmallVector<Value> coefs, coefVecs;
  for (int64_t i = 0; i < block; ++i) {
    Value r = i == 0 ? r0 : b.create<arith::AddIOp>(loc, r0, index(i)).getResult();
    inputs.push_back(inputOf(r));
    coefs.push_back(coef(o, r));
    coefVecs.push_back(b.create<vector::BroadcastOp>(loc, vecType, coefs.back()));
  }
  Value length = b.create<arith::SubIOp>(loc, colEnd, colBegin);
  Value mainEnd = b.create<arith::AddIOp>(
      loc, colBegin,
      b.create<arith::MulIOp>(
          loc, b.create<arith::DivUIOp>(loc, length, index(width)),
          index(width)));
  auto outIndices = [&](Value c) {
    SmallVector<Value> at(output.leading);
    at.push_back(c);
    return at;
  };
  forLoop(colBegin, mainEnd, width, [&](Value c) {
    Value acc = b.create<vector::LoadOp>(loc, vecType, output.memref, outIndices(c));
    for (int64_t i = 0; i < block; ++i)
      acc = mulAdd(coefVecs[i], loadVectorF32(inputs[i], {c}), acc);
    b.create<vector::StoreOp>(loc, acc, output.memref, outIndices(c));
  });
  forLoop(mainEnd, colEnd, 1, [&](Value c) {
    Value acc = b.create<memref::LoadOp>(loc, output.memref, outIndices(c));
    for (int64_t i = 0; i < block; ++i)
      acc = mulAdd(coefs[i], loadF32(inputs[i], {c}), acc);
    b.create<memref::StoreOp>(loc, acc, output.memref, outIndices(c));
  });
}

void KernelEmitter::accumulateRows(function_ref<Access(Value)> outputOf,
                                   Value outBegin, Value outEnd,
                                   function_ref<Access(Value)> inputOf,
                                   Value numInputs,
                                   function_ref<Value(Value, Value)> coef,
                                   Value colBegin, Value colEnd,
                                   bool inputsOuter) {
  Value blocks = b.create<arith::DivUIOp>(loc, numInputs, index(accumulateBlock));
  Value mainEnd = b.create<arith::MulIOp>(loc, blocks, index(accumulateBlock));
  auto overInputs = [&](function_ref<void(Value r0, int64_t block)> body) {
    forLoop(index(0), mainEnd, accumulateBlock,
            [&](Value r0) { body(r0, accumulateBlock); });
    forLoop(mainEnd, numInputs, 1, [&](Value r) { body(r, 1); });
  };
  auto one = [&](Value o, Value r0, int64_t block) {
    accumulateInputBlock(outputOf(o), o, inputOf, r0, block, coef, colBegin,
                         colEnd);
  };
  if (inputsOuter) {
    if (const QuantizedWeight *weight = quantized(inputOf(index(0)).memref))
      if (accumulateQuantizedInputs(*weight, outputOf, outBegin, outEnd,
                                    inputOf, numInputs, coef, colBegin,
                                    colEnd))
        return;
    overInputs([&](Value r0, int64_t block) {
      forLoop(outBegin, outEnd, 1, [&](Value o) { one(o, r0, block); });
    });
  } else {
    forLoop(outBegin, outEnd, 1, [&](Value o) {
      overInputs([&](Value r0, int64_t block) { one(o, r0, block); });
    });
  }
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
