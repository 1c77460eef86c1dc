//===- Bf16PairDot.cpp - int4 decode on bf16 pair dot products ------------===//
//
// The fused int4 matrix x vector kernel (QuantKernels.cpp) on a target with
// a bf16 pair dot (KernelShape::bf16DotIntrinsic; x86 vdpbf16ps with
// AVX512-BF16). Widening q to f32 costs a zero-extension, a conversion and
// an FMA per 16 weights, and that bounds the kernel (37 G weights/s per Zen 5
// core from L2, below what two cores can stream). Here, per pair of groups
// (64 weights, 32 bytes of a row):
//
// * the 32 bytes, zero-extended to 16-bit words, index a 32-entry table
//   whose entry n is bf16(n % 16 - 8): the low nibbles look up q exactly
//   (the table repeats, so bit 4 does not matter), the bytes shifted right
//   by 4 the high nibbles: two lookups give the pair's 64 q as bf16;
// * x was split once per input vector into two bf16 limbs, x = h + l + e
//   with h = bf16(x), l = bf16(x - h), |e| <= 2^-18 |x| (round to nearest
//   even twice), laid out in the q's order (pairDotLimbs);
// * four pair dots (q * h and q * l, low and high nibbles) sum the products,
//   each exact in f32, into 16 f32 lanes: lanes 0-7 belong to the first
//   group, 8-15 to the second, so one FMA with the two groups' scales
//   [d0 x 8, d1 x 8] adds them to the row's accumulator.
//
// The cost against f32 activations is e: each product is off by at most
// 2^-18 of its size (f32's own rounding is 2^-24), far inside the 1e-4 the
// numerics are held to (docs/codegen.md, "int4 decode on bf16 pair dots").
// An odd last group and a short group use the f32 path.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cstring>

using namespace mlir;

namespace yan {
namespace {
constexpr int64_t kPairWords = 32;  // bf16 elements of one pair-dot operand
constexpr int64_t kPairLanes = 16;  // its f32 lanes
constexpr int64_t kLimbs = 2;
/// Bytes of the limbs of one pair of groups: 2 limbs x 2 halves x 32 bf16.
constexpr int64_t kLimbBytesPerPair = kLimbs * 2 * kPairWords * 2;
/// The limbs live in the upper half of the function's scratch bytes; the
/// lower half holds the row block's widened scales (widenedScales).
constexpr int64_t kLimbsOffset = KernelEmitter::kMaxScratchBytes / 2;

/// The bits of bf16(v) for a small integer v (exact: bf16 keeps 8 bits).
uint16_t bf16Bits(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return static_cast<uint16_t>(bits >> 16);
}
} // namespace

Value KernelEmitter::pairDotLimbs(const QuantizedWeight &weight,
                                  const Access &vec, int64_t block,
                                  int64_t cols) {
  int64_t fullGroups = cols / kQuantGroupSize;
  int64_t pairs = fullGroups / 2;
  if (weight.format != QuantFormat::Int4 || shape.bf16DotIntrinsic.empty() ||
      pairs == 0 || pairs * kLimbBytesPerPair > kMaxScratchBytes - kLimbsOffset ||
      block * fullGroups * 4 > kLimbsOffset)
    return {};
  Value limbs = b.create<memref::ViewOp>(
      loc, MemRefType::get({pairs * kLimbs * 2 * kPairWords}, b.getBF16Type()),
      functionScratch(), index(kLimbsOffset), ValueRange{});
  Type element = cast<MemRefType>(vec.memref.getType()).getElementType();
  auto halfType = VectorType::get({kPairLanes}, element);
  auto wideType = VectorType::get({kPairWords}, b.getF32Type());
  auto limbType = VectorType::get({kPairWords}, b.getBF16Type());
  SmallVector<int64_t> concat;
  for (int64_t i = 0; i < kPairWords; ++i)
    concat.push_back(i);
  forLoop(index(0), index(pairs), 1, [&](Value p) {
    Value group0 = b.create<arith::MulIOp>(loc, p, index(2 * kQuantGroupSize));
    for (int64_t half = 0; half < 2; ++half) {
      // Elements 16 * half .. + 15 of the pair's two groups, in the order
      // of the q's words: the low nibbles (half 0) or the high ones (1).
      auto load = [&](int64_t offset) {
        SmallVector<Value> indices(vec.leading);
        indices.push_back(b.create<arith::AddIOp>(loc, group0, index(offset)));
        return widen(b.create<vector::LoadOp>(loc, halfType, vec.memref, indices));
      };
      Value first = load(16 * half);
      Value second = load(kQuantGroupSize + 16 * half);
      Value x = b.create<vector::ShuffleOp>(loc, first, second, concat);
      Value high = b.create<arith::TruncFOp>(loc, limbType, x);
      Value rest = b.create<arith::SubFOp>(
          loc, x, b.create<arith::ExtFOp>(loc, wideType, high));
      Value low = b.create<arith::TruncFOp>(loc, limbType, rest);
      Value pairBase = b.create<arith::MulIOp>(loc, p, index(kLimbs * 2 * kPairWords));
      Value limbValues[kLimbs] = {high, low};
      for (int64_t limb = 0; limb < kLimbs; ++limb) {
        Value at = b.create<arith::AddIOp>(
            loc, pairBase, index((limb * 2 + half) * kPairWords));
        b.create<vector::StoreOp>(loc, limbValues[limb], limbs, ValueRange{at});
      }
    }
  });
  return limbs;
}

SmallVector<Value> KernelEmitter::pairDotGroups(ArrayRef<Value> rowQ,
                                                Value scales, Value limbs,
                                                ArrayRef<Value> aheadQ,
                                                ArrayRef<Value> init) {
  int64_t pairs = cast<MemRefType>(limbs.getType()).getShape()[0] /
                  (kLimbs * 2 * kPairWords);
  auto wordsType = VectorType::get({kPairWords}, b.getI16Type());
  auto limbType = VectorType::get({kPairWords}, b.getBF16Type());
  auto accType = VectorType::get({kPairLanes}, b.getF32Type());
  SmallVector<int16_t> table;
  for (int64_t n = 0; n < kPairWords; ++n)
    table.push_back(static_cast<int16_t>(bf16Bits(static_cast<float>(n % 16 - 8))));
  Value lookupTable = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(wordsType, ArrayRef<int16_t>(table)));
  Value four = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(wordsType, b.getI16IntegerAttr(4)));
  Value zero = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0f)));
  auto lookup = [&](Value words) -> Value {
    Value found = b.create<LLVM::CallIntrinsicOp>(
                       loc, wordsType, shape.wordLookupIntrinsic,
                       ValueRange{lookupTable, words})
                      .getResult(0);
    return b.create<vector::BitCastOp>(loc, limbType, found);
  };
  // The scales of groups 2p and 2p + 1 under the lanes their sums fill.
  SmallVector<int64_t> spread;
  for (int64_t lane = 0; lane < kPairLanes; ++lane)
    spread.push_back(lane < kPairLanes / 2 ? 0 : 1);
  return forLoop(index(0), index(pairs), 1, init, [&](Value p, ValueRange acc) {
    Value group0 = b.create<arith::MulIOp>(loc, p, index(2));
    prefetchGroup(QuantFormat::Int4, aheadQ, group0);
    SmallVector<Value> xs;
    Value pairBase = b.create<arith::MulIOp>(loc, p, index(kLimbs * 2 * kPairWords));
    for (int64_t i = 0; i < kLimbs * 2; ++i)
      xs.push_back(b.create<vector::LoadOp>(
          loc, limbType, limbs,
          ValueRange{b.create<arith::AddIOp>(loc, pairBase, index(i * kPairWords))}));
    Value byte = b.create<arith::MulIOp>(loc, p, index(kPairWords));
    SmallVector<Value> next;
    for (size_t r = 0; r < rowQ.size(); ++r) {
      Value bytes = b.create<vector::LoadOp>(
          loc, VectorType::get({kPairWords}, b.getI8Type()), rowQ[r], ValueRange{byte});
      Value words = b.create<arith::ExtUIOp>(loc, wordsType, bytes);
      Value q[2] = {lookup(words),
                    lookup(b.create<arith::ShRUIOp>(loc, words, four))};
      Value dot = zero;
      for (int64_t limb = 0; limb < kLimbs; ++limb)
        for (int64_t half = 0; half < 2; ++half)
          dot = b.create<LLVM::CallIntrinsicOp>(
                     loc, accType, shape.bf16DotIntrinsic,
                     ValueRange{dot, q[half], xs[limb * 2 + half]})
                    .getResult(0);
      Value d = b.create<vector::LoadOp>(
          loc, VectorType::get({2}, b.getF32Type()), scales,
          ValueRange{index(static_cast<int64_t>(r)), group0});
      Value spreadScales = b.create<vector::ShuffleOp>(loc, d, d, spread);
      next.push_back(mulAdd(spreadScales, dot, acc[r]));
    }
    return next;
  });
}

} // namespace yan
