//===- Bf16PairDot.cpp - int4 decode on bf16 pair dot products ------------===//
//
// The fused int4 matrix x vector kernel (QuantKernels.cpp) on a target with
// a bf16 pair dot (KernelShape::bf16DotIntrinsic; x86 vdpbf16ps with
// AVX512-BF16). Widening q to f32 costs a zero-extension, a conversion and
// an FMA per 16 weights, and that bounds the kernel (37 G weights/s per Zen 5
// core from L2, below what two cores can stream). Here, per four groups
// (128 weights, one 64-byte line of a row):
//
// * the 64 bytes, read as 32 little-endian 16-bit words, index a 32-entry
//   table whose entry n is bf16(n % 16 - 8); only bits 0-4 of a word index,
//   and the table repeats, so the words as read look up the low nibbles of
//   the even bytes exactly, and the words shifted right by 4, 8 and 12 the
//   high nibbles of the even bytes, the low and the high nibbles of the odd
//   bytes: four lookups give the 128 q as bf16, with no widening shuffle;
// * x was split once per input vector into two bf16 limbs, x = h + l + e
//   with h = bf16(x), l = bf16(x - h), |e| <= 2^-18 |x| (round to nearest
//   even twice), laid out in the q's order (pairDotLimbs);
// * eight pair dots (q * h and q * l for the four lookups), in two chains of
//   four, one per limb, sum the products, each exact in f32, into 16 f32
//   lanes: lane j sums bytes 4j .. 4j + 3, so lanes 4g .. 4g + 3 belong to
//   group g, and one FMA with the scales [d0 x 4, d1 x 4, d2 x 4, d3 x 4]
//   adds them to the row's accumulator.
//
// Against the earlier two-group step (32 bytes zero-extended to words, one
// shift, two lookups, a chain of four dots) a C model of the loop on Zen 5
// did 77 G weights/s per core from L2 against 56, and 28-30 GB/s per core
// from DRAM against 25, with the same prefetches (docs/codegen.md).
//
// The cost against f32 activations is e: each product is off by at most
// 2^-18 of its size (f32's own rounding is 2^-24), far inside the 1e-4 the
// numerics are held to (docs/codegen.md, "int4 decode on bf16 pair dots").
// The last (groups % 4) groups and a short group use the f32 path.
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
constexpr int64_t kGroupsPerStep = KernelEmitter::kPairDotGroupsPerStep;
constexpr int64_t kStepBytes = kGroupsPerStep * kQuantGroupSize / 2;
/// Table lookups per step: the q as read and shifted by 4, 8 and 12 bits.
constexpr int64_t kLookups = 4;
/// bf16 elements, and bytes, of the limbs of one step: limbs x lookups x 32.
constexpr int64_t kLimbWordsPerStep = kLimbs * kLookups * kPairWords;
constexpr int64_t kLimbBytesPerStep = kLimbWordsPerStep * 2;
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
  int64_t quads = fullGroups / kGroupsPerStep;
  if (weight.format != QuantFormat::Int4 || shape.bf16DotIntrinsic.empty() ||
      quads == 0 || quads * kLimbBytesPerStep > kMaxScratchBytes - kLimbsOffset ||
      block * fullGroups * 4 > kLimbsOffset)
    return {};
  Value limbs = b.create<memref::ViewOp>(
      loc, MemRefType::get({quads * kLimbWordsPerStep}, b.getBF16Type()),
      functionScratch(), index(kLimbsOffset), ValueRange{});
  Type element = cast<MemRefType>(vec.memref.getType()).getElementType();
  auto halfType = VectorType::get({kQuantGroupSize / 2}, element);
  auto wideType = VectorType::get({kPairWords}, b.getF32Type());
  auto limbType = VectorType::get({kPairWords}, b.getBF16Type());
  SmallVector<int64_t> concat;
  for (int64_t i = 0; i < kPairWords; ++i)
    concat.push_back(i);
  forLoop(index(0), index(quads), 1, [&](Value c) {
    Value first = b.create<arith::MulIOp>(
        loc, c, index(kGroupsPerStep * kQuantGroupSize));
    Value stepBase = b.create<arith::MulIOp>(loc, c, index(kLimbWordsPerStep));
    for (int64_t nibble = 0; nibble < 2; ++nibble) {
      // Elements 16 * nibble .. + 15 of each of the four groups: the ones
      // held in the low nibbles (0) or the high ones (1).
      SmallVector<Value> groups;
      for (int64_t g = 0; g < kGroupsPerStep; ++g) {
        SmallVector<Value> indices(vec.leading);
        indices.push_back(b.create<arith::AddIOp>(
            loc, first, index(g * kQuantGroupSize + 16 * nibble)));
        groups.push_back(
            widen(b.create<vector::LoadOp>(loc, halfType, vec.memref, indices)));
      }
      for (int64_t odd = 0; odd < 2; ++odd) {
        // Lookup k = 2 * odd + nibble: word w holds byte 2w + odd, element
        // 2 (w % 8) + odd + 16 * nibble of group w / 8.
        SmallVector<int64_t> pick;
        for (int64_t g = 0; g < 2; ++g)
          for (int64_t i = 0; i < 8; ++i)
            pick.push_back(g * 16 + 2 * i + odd);
        Value low = b.create<vector::ShuffleOp>(loc, groups[0], groups[1], pick);
        Value high = b.create<vector::ShuffleOp>(loc, groups[2], groups[3], pick);
        Value x = b.create<vector::ShuffleOp>(loc, low, high, concat);
        Value top = b.create<arith::TruncFOp>(loc, limbType, x);
        Value rest = b.create<arith::SubFOp>(
            loc, x, b.create<arith::ExtFOp>(loc, wideType, top));
        Value bottom = b.create<arith::TruncFOp>(loc, limbType, rest);
        Value limbValues[kLimbs] = {top, bottom};
        int64_t lookupIndex = 2 * odd + nibble;
        for (int64_t limb = 0; limb < kLimbs; ++limb) {
          Value at = b.create<arith::AddIOp>(
              loc, stepBase,
              index((limb * kLookups + lookupIndex) * kPairWords));
          b.create<vector::StoreOp>(loc, limbValues[limb], limbs, ValueRange{at});
        }
      }
    }
  });
  return limbs;
}

SmallVector<Value> KernelEmitter::pairDotGroups(ArrayRef<Value> rowQ,
                                                Value scales, Value limbs,
                                                ArrayRef<Value> aheadQ,
                                                ArrayRef<Value> init) {
  int64_t quads =
      cast<MemRefType>(limbs.getType()).getShape()[0] / kLimbWordsPerStep;
  auto wordsType = VectorType::get({kPairWords}, b.getI16Type());
  auto limbType = VectorType::get({kPairWords}, b.getBF16Type());
  auto accType = VectorType::get({kPairLanes}, b.getF32Type());
  SmallVector<int16_t> table;
  for (int64_t n = 0; n < kPairWords; ++n)
    table.push_back(static_cast<int16_t>(bf16Bits(static_cast<float>(n % 16 - 8))));
  Value lookupTable = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(wordsType, ArrayRef<int16_t>(table)));
  auto shiftBy = [&](int64_t bits) -> Value {
    return b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(wordsType, b.getI16IntegerAttr(bits)));
  };
  Value shifts[kLookups - 1] = {shiftBy(4), shiftBy(8), shiftBy(12)};
  Value zero = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0f)));
  auto lookup = [&](Value words) -> Value {
    Value found = b.create<LLVM::CallIntrinsicOp>(
                       loc, wordsType, shape.wordLookupIntrinsic,
                       ValueRange{lookupTable, words})
                      .getResult(0);
    return b.create<vector::BitCastOp>(loc, limbType, found);
  };
  // The four groups' scales under the lanes their sums fill.
  SmallVector<int64_t> spread;
  for (int64_t lane = 0; lane < kPairLanes; ++lane)
    spread.push_back(lane / (kPairLanes / kGroupsPerStep));
  return forLoop(index(0), index(quads), 1, init, [&](Value c, ValueRange acc) {
    Value group0 = b.create<arith::MulIOp>(loc, c, index(kGroupsPerStep));
    prefetchGroup(QuantFormat::Int4, aheadQ, group0);
    SmallVector<Value> xs;
    Value stepBase = b.create<arith::MulIOp>(loc, c, index(kLimbWordsPerStep));
    for (int64_t i = 0; i < kLimbs * kLookups; ++i)
      xs.push_back(b.create<vector::LoadOp>(
          loc, limbType, limbs,
          ValueRange{b.create<arith::AddIOp>(loc, stepBase, index(i * kPairWords))}));
    Value byte = b.create<arith::MulIOp>(loc, c, index(kStepBytes));
    SmallVector<Value> next;
    for (size_t r = 0; r < rowQ.size(); ++r) {
      Value bytes = b.create<vector::LoadOp>(
          loc, VectorType::get({kStepBytes}, b.getI8Type()), rowQ[r], ValueRange{byte});
      Value words = b.create<vector::BitCastOp>(loc, wordsType, bytes);
      Value q[kLookups] = {lookup(words)};
      for (int64_t k = 1; k < kLookups; ++k)
        q[k] = lookup(b.create<arith::ShRUIOp>(loc, words, shifts[k - 1]));
      // One chain per limb: two chains of four dots, not one of eight.
      Value limbDots[kLimbs];
      for (int64_t limb = 0; limb < kLimbs; ++limb) {
        Value dot = zero;
        for (int64_t k = 0; k < kLookups; ++k)
          dot = b.create<LLVM::CallIntrinsicOp>(
                     loc, accType, shape.bf16DotIntrinsic,
                     ValueRange{dot, q[k], xs[limb * kLookups + k]})
                    .getResult(0);
        limbDots[limb] = dot;
      }
      Value dot = b.create<arith::AddFOp>(loc, limbDots[0], limbDots[1]);
      Value d = b.create<vector::LoadOp>(
          loc, VectorType::get({kGroupsPerStep}, b.getF32Type()), scales,
          ValueRange{index(static_cast<int64_t>(r)), group0});
      Value spreadScales = b.create<vector::ShuffleOp>(loc, d, d, spread);
      next.push_back(mulAdd(spreadScales, dot, acc[r]));
    }
    return next;
  });
}

} // namespace yan
