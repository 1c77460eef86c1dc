//===- QuantKernels.cpp - Kernels over int8 / int4 weights ----------------===//
//
// The readers of quantized weights (docs/yan-model.md section 9): a weight's
// memref is its q plane (i8, [..., rows, qRowBytes]) and its scale plane is
// f16 [..., rows, groups]. Every accumulation stays f32.
//
// * Decode (one vector): the fused kernel. Per row block, the rows ahead
//   are prefetched and the block's scales widened once into a stack tile.
//   Per group of 32 columns and per row, q * x accumulate in an f32 vector
//   (q widened with sitofp; int4 nibbles widened to 32 bits, then split with
//   and / shift, the offset 8 folded into the sum's start, -8 * sum x, once
//   per group for all rows), then acc += d * group sum: the scale is
//   applied once per group, not per element. With a bf16 pair dot (the
//   target's intrinsics), four whole int4 groups a step: Bf16PairDot.cpp.
// * Prefill and learning (several vectors): a tile of rows is dequantized
//   once (w' = f32(d) * q, exact) into an f32 scratch on the stack and the
//   f32 kernel runs over it for every vector, so the dequantization is not
//   repeated per token and the result is the f32 kernel's on the dequantized
//   weights.
// * The transposed product of the backward pass (a frozen weight's rows as
//   inputs): each block of input rows dequantized once into a scratch tile
//   that every output reads (accumulateQuantizedInputs, TransposedKernels.cpp).
// * Single elements and vectors (embedding rows, the router's gradient):
//   dequantized where they are loaded.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;

namespace yan {
namespace {
constexpr int64_t kGroup = kQuantGroupSize;
/// Bytes of one int4 group: element j in the low nibble of byte j, element
/// j + 16 in the high nibble.
constexpr int64_t kInt4GroupBytes = kGroup / 2;

SmallVector<Value> withIndex(ArrayRef<Value> at, Value last) {
  SmallVector<Value> all(at.begin(), at.end());
  all.push_back(last);
  return all;
}
} // namespace

Value KernelEmitter::groupScale(const QuantizedWeight &weight,
                                ArrayRef<Value> at, Value group) {
  return widen(
      b.create<memref::LoadOp>(loc, weight.scales, withIndex(at, group)));
}

SmallVector<Value> KernelEmitter::groupQ(Value qPlane, QuantFormat format,
                                         ArrayRef<Value> at, Value group,
                                         int64_t lanes, int64_t chunks) {
  auto f32Vector = VectorType::get({lanes}, b.getF32Type());
  auto i8Constant = [&](int64_t width, int8_t value) -> Value {
    auto type = VectorType::get({width}, b.getI8Type());
    return b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(type, b.getI8IntegerAttr(value)));
  };
  SmallVector<Value> out;
  if (format == QuantFormat::Int8) {
    Value base = b.create<arith::MulIOp>(loc, group, index(kGroup));
    auto bytesType = VectorType::get({lanes}, b.getI8Type());
    for (int64_t c = 0; c < chunks; ++c) {
      Value col = c == 0 ? base
                         : b.create<arith::AddIOp>(loc, base, index(c * lanes))
                               .getResult();
      Value q = b.create<vector::LoadOp>(loc, bytesType, qPlane,
                                         withIndex(at, col));
      out.push_back(b.create<arith::SIToFPOp>(loc, f32Vector, q));
    }
    return out;
  }
  // int4: the group's 16 bytes give elements 0..15 (low nibbles) and 16..31
  // (high nibbles) in order; offset binary, so no sign extension is needed.
  Value byteIndex = b.create<arith::MulIOp>(loc, group, index(kInt4GroupBytes));
  auto bytesType = VectorType::get({kInt4GroupBytes}, b.getI8Type());
  Value bytes = b.create<vector::LoadOp>(loc, bytesType, qPlane,
                                         withIndex(at, byteIndex));
  Value eight = i8Constant(kInt4GroupBytes, 8);
  Value lowBits = b.create<arith::AndIOp>(loc, bytes,
                                          i8Constant(kInt4GroupBytes, 0x0f));
  Value highBits = b.create<arith::ShRUIOp>(loc, bytes,
                                            i8Constant(kInt4GroupBytes, 4));
  Value halves[2] = {b.create<arith::SubIOp>(loc, lowBits, eight),
                     b.create<arith::SubIOp>(loc, highBits, eight)};
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t first = c * lanes;
    Value part;
    if (lanes == kGroup) {
      SmallVector<int64_t> mask;
      for (int64_t j = 0; j < kGroup; ++j)
        mask.push_back(j);
      part = b.create<vector::ShuffleOp>(loc, halves[0], halves[1], mask);
    } else if (lanes == kInt4GroupBytes) {
      part = halves[first / kInt4GroupBytes];
    } else {
      part = b.create<vector::ExtractStridedSliceOp>(
          loc, halves[first / kInt4GroupBytes],
          ArrayRef<int64_t>{first % kInt4GroupBytes}, ArrayRef<int64_t>{lanes},
          ArrayRef<int64_t>{1});
    }
    out.push_back(b.create<arith::SIToFPOp>(loc, f32Vector, part));
  }
  return out;
}

Value KernelEmitter::scalarQ(Value qPlane, QuantFormat format,
                             ArrayRef<Value> at, Value col) {
  Type f32Type = b.getF32Type();
  if (format == QuantFormat::Int8) {
    Value q = b.create<memref::LoadOp>(loc, qPlane, withIndex(at, col));
    return b.create<arith::SIToFPOp>(loc, f32Type, q);
  }
  Value group = b.create<arith::DivUIOp>(loc, col, index(kGroup));
  Value j = b.create<arith::RemUIOp>(loc, col, index(kGroup));
  Value byteIndex = b.create<arith::AddIOp>(
      loc, b.create<arith::MulIOp>(loc, group, index(kInt4GroupBytes)),
      b.create<arith::RemUIOp>(loc, j, index(kInt4GroupBytes)));
  Value byte = b.create<memref::LoadOp>(loc, qPlane, withIndex(at, byteIndex));
  // Element j >= 16 is the high nibble: shift by 4.
  Value shiftIndex = b.create<arith::MulIOp>(
      loc, b.create<arith::DivUIOp>(loc, j, index(kInt4GroupBytes)), index(4));
  Value shift =
      b.create<arith::IndexCastOp>(loc, b.getI8Type(), shiftIndex);
  Value nibble = b.create<arith::AndIOp>(
      loc, b.create<arith::ShRUIOp>(loc, byte, shift),
      b.create<arith::ConstantIntOp>(loc, 0x0f, 8));
  Value q = b.create<arith::SubIOp>(loc, nibble,
                                    b.create<arith::ConstantIntOp>(loc, 8, 8));
  return b.create<arith::SIToFPOp>(loc, f32Type, q);
}

Value KernelEmitter::loadQuantizedF32(const Access &access,
                                      const QuantizedWeight &weight,
                                      ValueRange indices, bool vector) {
  SmallVector<Value> at(access.leading);
  at.append(indices.begin(), indices.end());
  Value col = at.pop_back_val();
  Value group = b.create<arith::DivUIOp>(loc, col, index(kGroup));
  Value d = groupScale(weight, at, group);
  if (!vector)
    return b.create<arith::MulFOp>(
        loc, d, scalarQ(access.memref, weight.format, at, col));
  int64_t lanes = vectorWidth;
  auto f32Vector = VectorType::get({lanes}, b.getF32Type());
  Value q;
  if (weight.format == QuantFormat::Int8) {
    Value bytes = b.create<vector::LoadOp>(
        loc, VectorType::get({lanes}, b.getI8Type()), access.memref,
        withIndex(at, col));
    q = b.create<arith::SIToFPOp>(loc, f32Vector, bytes);
  } else if (lanes == kGroup) {
    q = groupQ(access.memref, weight.format, at, group, lanes, 1)[0];
  } else {
    // `col` is a multiple of lanes (< 16): the vector is lanes consecutive
    // low or high nibbles of the group.
    Value j = b.create<arith::RemUIOp>(loc, col, index(kGroup));
    Value byteIndex = b.create<arith::AddIOp>(
        loc, b.create<arith::MulIOp>(loc, group, index(kInt4GroupBytes)),
        b.create<arith::RemUIOp>(loc, j, index(kInt4GroupBytes)));
    auto bytesType = VectorType::get({lanes}, b.getI8Type());
    Value bytes = b.create<vector::LoadOp>(loc, bytesType, access.memref,
                                           withIndex(at, byteIndex));
    Value shiftIndex = b.create<arith::MulIOp>(
        loc, b.create<arith::DivUIOp>(loc, j, index(kInt4GroupBytes)),
        index(4));
    Value shift = b.create<vector::BroadcastOp>(
        loc, bytesType,
        b.create<arith::IndexCastOp>(loc, b.getI8Type(), shiftIndex));
    auto splat = [&](int8_t value) -> Value {
      return b.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(bytesType, b.getI8IntegerAttr(value)));
    };
    Value nibbles = b.create<arith::AndIOp>(
        loc, b.create<arith::ShRUIOp>(loc, bytes, shift), splat(0x0f));
    q = b.create<arith::SIToFPOp>(
        loc, f32Vector, b.create<arith::SubIOp>(loc, nibbles, splat(8)));
  }
  return b.create<arith::MulFOp>(
      loc, b.create<vector::BroadcastOp>(loc, f32Vector, d), q);
}

Value KernelEmitter::rowOf(Value plane, ArrayRef<Value> at) {
  // A rank-1 view of one row: its start is computed once, outside the group
  // loop, so each load inside addresses the row's base plus the group's
  // offset (one register each) instead of re-adding the row's offset.
  auto type = cast<MemRefType>(plane.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> offsets(at.begin(), at.end());
  offsets.push_back(b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes(rank - 1, b.getIndexAttr(1));
  sizes.push_back(b.getIndexAttr(type.getShape().back()));
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  auto rowType = cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
      {type.getShape().back()}, type, offsets, sizes, strides));
  return b.create<memref::SubViewOp>(loc, rowType, plane, offsets, sizes,
                                     strides);
}

void KernelEmitter::fusedRowBlock(const Access &matrix,
                                  const QuantizedWeight &weight,
                                  const Access &vec, Value row0, int64_t block,
                                  int64_t cols, Value limbs,
                                  RowEpilogue epilogue) {
  int64_t lanes = shape.quantLanes;
  int64_t chunksPerGroup = kGroup / lanes;
  int64_t fullGroups = cols / kGroup;
  int64_t tailCols = cols % kGroup;
  auto accType = VectorType::get({lanes}, b.getF32Type());
  SmallVector<Value> rows;
  SmallVector<SmallVector<Value>> at; // leading indices + row
  for (int64_t r = 0; r < block; ++r) {
    rows.push_back(r == 0 ? row0
                          : b.create<arith::AddIOp>(loc, row0, index(r))
                                .getResult());
    at.push_back(withIndex(matrix.leading, rows.back()));
  }
  auto xChunks = [&](Value group, int64_t chunks) {
    SmallVector<Value> xs;
    Value base = b.create<arith::MulIOp>(loc, group, index(kGroup));
    Type element = cast<MemRefType>(vec.memref.getType()).getElementType();
    for (int64_t c = 0; c < chunks; ++c) {
      Value col = b.create<arith::AddIOp>(loc, base, index(c * lanes));
      SmallVector<Value> indices(vec.leading);
      indices.push_back(col);
      xs.push_back(widen(b.create<vector::LoadOp>(
          loc, VectorType::get({lanes}, element), vec.memref, indices)));
    }
    return xs;
  };
  // sum_c q_c * x_c over the group's chunks, in one f32 vector.
  auto groupDot = [&](ArrayRef<Value> at, Value group, ArrayRef<Value> xs) {
    SmallVector<Value> qs = groupQ(matrix.memref, weight.format, at, group,
                                   lanes, static_cast<int64_t>(xs.size()));
    Value acc = b.create<arith::MulFOp>(loc, qs[0], xs[0]);
    for (size_t c = 1; c < xs.size(); ++c)
      acc = mulAdd(qs[c], xs[c], acc);
    return acc;
  };

  SmallVector<Value> ahead = prefetchRows(matrix, weight, rows);
  SmallVector<Value> rowQ, aheadQ;
  if (fullGroups > 0)
    for (int64_t r = 0; r < block; ++r)
      rowQ.push_back(rowOf(matrix.memref, at[r]));
  for (Value row : ahead)
    aheadQ.push_back(rowOf(matrix.memref, withIndex(matrix.leading, row)));

  SmallVector<Value> sums(block, f32(0.0f));
  if (fullGroups > 0) {
    Value scales = widenedScales(weight, at, fullGroups);
    Value zero = b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0f)));
    SmallVector<Value> init(block, zero);
    // With the pair dot (limbs): its whole steps of groups first
    // (Bf16PairDot.cpp), the groups left over below.
    int64_t pairedGroups =
        limbs ? fullGroups / kPairDotGroupsPerStep * kPairDotGroupsPerStep : 0;
    if (limbs)
      init = pairDotGroups(rowQ, scales, limbs, aheadQ, init);
    SmallVector<Value> accs = forLoop(
        index(pairedGroups), index(fullGroups), 1, init, [&](Value g, ValueRange acc) {
          SmallVector<Value> xs = xChunks(g, chunksPerGroup);
          prefetchGroup(weight.format, aheadQ, g);
          // int4's offset 8, once per group for every row: the dot of
          // nibbles starts from -8 * sum x (q = nibble - 8).
          Value start;
          if (weight.format == QuantFormat::Int4) {
            Value sum = xs[0];
            for (size_t c = 1; c < xs.size(); ++c)
              sum = b.create<arith::AddFOp>(loc, sum, xs[c]);
            start = b.create<arith::MulFOp>(
                loc, sum, b.create<vector::BroadcastOp>(loc, accType, f32(-8.0f)));
          }
          SmallVector<Value> next;
          for (int64_t r = 0; r < block; ++r) {
            Value d = b.create<vector::BroadcastOp>(
                loc, accType,
                b.create<memref::LoadOp>(loc, scales, ValueRange{index(r), g}));
            SmallVector<Value> qs =
                fusedGroupQ(rowQ[r], weight.format, {}, g, lanes);
            Value dot = start ? mulAdd(qs[0], xs[0], start)
                              : b.create<arith::MulFOp>(loc, qs[0], xs[0]).getResult();
            for (size_t c = 1; c < xs.size(); ++c)
              dot = mulAdd(qs[c], xs[c], dot);
            next.push_back(mulAdd(d, dot, acc[r]));
          }
          return next;
        });
    for (int64_t r = 0; r < block; ++r)
      sums[r] = b.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD,
                                              accs[r],
                                              arith::FastMathFlags::reassoc);
  }
  if (tailCols > 0) {
    // The short last group: whole chunks as vectors, the rest one by one
    // (x has only `cols` elements; the stored q's beyond are never used).
    Value g = index(fullGroups);
    int64_t vectorChunks = tailCols / lanes;
    SmallVector<Value> xs = xChunks(g, vectorChunks);
    for (int64_t r = 0; r < block; ++r) {
      Value s = f32(0.0f);
      if (vectorChunks > 0)
        s = b.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD,
                                          groupDot(at[r], g, xs),
                                          arith::FastMathFlags::reassoc);
      for (int64_t col = fullGroups * kGroup + vectorChunks * lanes;
           col < cols; ++col)
        s = mulAdd(scalarQ(matrix.memref, weight.format, at[r], index(col)),
                   loadF32(vec, {index(col)}), s);
      sums[r] = mulAdd(groupScale(weight, at[r], g), s, sums[r]);
    }
  }
  for (int64_t r = 0; r < block; ++r)
    epilogue(rows[r], sums[r]);
}

Value KernelEmitter::widenedScales(const QuantizedWeight &weight,
                                   ArrayRef<SmallVector<Value>> rows,
                                   int64_t groups) {
  // Widened once per row block, not once per group and row: the group loop
  // then broadcasts each scale straight from this tile.
  int64_t block = static_cast<int64_t>(rows.size());
  Value tile = scratchTile(block, groups);
  constexpr int64_t kWidth = 8;
  int64_t vectorGroups = groups / kWidth * kWidth;
  auto halfVector = VectorType::get({kWidth}, b.getF16Type());
  for (int64_t r = 0; r < block; ++r) {
    if (vectorGroups > 0)
      forLoop(index(0), index(vectorGroups), kWidth, [&](Value g) {
        Value d = b.create<vector::LoadOp>(loc, halfVector, weight.scales,
                                           withIndex(rows[r], g));
        b.create<vector::StoreOp>(loc, widen(d), tile, ValueRange{index(r), g});
      });
    for (int64_t g = vectorGroups; g < groups; ++g)
      store(groupScale(weight, rows[r], index(g)), tile, {index(r), index(g)});
  }
  return tile;
}

SmallVector<Value> KernelEmitter::fusedGroupQ(Value qPlane, QuantFormat format,
                                              ArrayRef<Value> at, Value group,
                                              int64_t lanes) {
  auto f32Vector = VectorType::get({lanes}, b.getF32Type());
  SmallVector<Value> out;
  if (format == QuantFormat::Int8) {
    Value base = b.create<arith::MulIOp>(loc, group, index(kGroup));
    for (int64_t c = 0; c < kGroup / lanes; ++c) {
      Value col = b.create<arith::AddIOp>(loc, base, index(c * lanes));
      Value q = b.create<vector::LoadOp>(
          loc, VectorType::get({lanes}, b.getI8Type()), qPlane, withIndex(at, col));
      out.push_back(b.create<arith::SIToFPOp>(loc, f32Vector, q));
    }
    return out;
  }
  // int4: the nibbles (0..15) as they are, widened to 32 bits before they
  // are split (one and, one shift per pair of vectors; the offset 8 is the
  // caller's). Element j < 16 is byte j's low nibble, j + 16 its high one.
  int64_t width = std::min(lanes, kInt4GroupBytes);
  auto wordsType = VectorType::get({width}, b.getI32Type());
  auto splat = [&](int32_t value) -> Value {
    return b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(wordsType, b.getI32IntegerAttr(value)));
  };
  Value base = b.create<arith::MulIOp>(loc, group, index(kInt4GroupBytes));
  SmallVector<Value> low, high;
  for (int64_t o = 0; o < kInt4GroupBytes; o += width) {
    Value at8 = b.create<arith::AddIOp>(loc, base, index(o));
    Value bytes = b.create<vector::LoadOp>(
        loc, VectorType::get({width}, b.getI8Type()), qPlane, withIndex(at, at8));
    Value words = b.create<arith::ExtUIOp>(loc, wordsType, bytes);
    auto toF32 = [&](Value v) {
      return b.create<arith::SIToFPOp>(
          loc, VectorType::get({width}, b.getF32Type()), v);
    };
    low.push_back(toF32(b.create<arith::AndIOp>(loc, words, splat(0x0f))));
    high.push_back(toF32(b.create<arith::ShRUIOp>(loc, words, splat(4))));
  }
  if (lanes <= kInt4GroupBytes) {
    out.append(low);
    out.append(high);
    return out;
  }
  SmallVector<int64_t> mask;
  for (int64_t j = 0; j < kGroup; ++j)
    mask.push_back(j);
  out.push_back(b.create<vector::ShuffleOp>(loc, low[0], high[0], mask));
  return out;
}

SmallVector<Value> KernelEmitter::prefetchRows(const Access &matrix,
                                               const QuantizedWeight &weight,
                                               ArrayRef<Value> rows) {
  auto qType = cast<MemRefType>(matrix.memref.getType());
  if (!qType.hasStaticShape())
    return {};
  int64_t rowBytes = qType.getShape().back();
  int64_t block = static_cast<int64_t>(rows.size());
  // Whole row blocks, at least kPrefetchBytes of q ahead of this block.
  int64_t blocks = std::max<int64_t>(
      1, (kPrefetchBytes + block * rowBytes - 1) / (block * rowBytes));
  SmallVector<Value> ahead = rowsAhead(matrix, rows, blocks * block);
  for (Value later : ahead) {
    SmallVector<Value> at = withIndex(matrix.leading, later);
    at.push_back(index(0));
    b.create<memref::PrefetchOp>(loc, weight.scales, at, /*isWrite=*/false,
                                 /*localityHint=*/3, /*isDataCache=*/true);
  }
  return ahead;
}

void KernelEmitter::prefetchQuantizedQ(const Access &row,
                                      const QuantizedWeight &weight,
                                      Value col) {
  // int8: byte `col`; int4: the first byte of col's group.
  Value byte = col;
  if (weight.format != QuantFormat::Int8)
    byte = b.create<arith::MulIOp>(
        loc, b.create<arith::DivUIOp>(loc, col, index(kGroup)),
        index(kInt4GroupBytes));
  b.create<memref::PrefetchOp>(loc, row.memref, withIndex(row.leading, byte),
                               /*isWrite=*/false, /*localityHint=*/3,
                               /*isDataCache=*/true);
}

void KernelEmitter::prefetchQuantizedScales(const Access &row,
                                           const QuantizedWeight &weight,
                                           Value col) {
  Value group = b.create<arith::DivUIOp>(loc, col, index(kGroup));
  b.create<memref::PrefetchOp>(loc, weight.scales,
                               withIndex(row.leading, group),
                               /*isWrite=*/false, /*localityHint=*/3,
                               /*isDataCache=*/true);
}

void KernelEmitter::prefetchGroup(QuantFormat format, ArrayRef<Value> aheadRows,
                                  Value group) {
  int64_t groupBytes = format == QuantFormat::Int8 ? kGroup : kInt4GroupBytes;
  Value byte = b.create<arith::MulIOp>(loc, group, index(groupBytes));
  for (Value row : aheadRows) {
    b.create<memref::PrefetchOp>(loc, row, ValueRange{byte}, /*isWrite=*/false,
                                 /*localityHint=*/3, /*isDataCache=*/true);
  }
}

void KernelEmitter::dequantizeRows(const Access &matrix,
                                   const QuantizedWeight &weight, Value row0,
                                   Value rows, int64_t cols, Value tile,
                                   int64_t aheadRows) {
  // f16 scales in a 64-byte line.
  constexpr int64_t kScalesPerLine = 32;
  int64_t lanes = shape.quantLanes;
  int64_t fullGroups = cols / kGroup;
  int64_t tailCols = cols % kGroup;
  auto vecType = VectorType::get({lanes}, b.getF32Type());
  forLoop(index(0), rows, 1, [&](Value i) {
    Value row = b.create<arith::AddIOp>(loc, row0, i);
    SmallVector<Value> at = withIndex(matrix.leading, row);
    // The same row of the next tile: its q and scales arrive while the f32
    // kernel runs over this tile, where the dequantization would otherwise
    // wait on every line (the streams are too short for the hardware).
    SmallVector<Value> aheadRow;
    SmallVector<Value> ahead = rowsAhead(matrix, {row}, aheadRows);
    if (!ahead.empty()) {
      SmallVector<Value> aheadAt = withIndex(matrix.leading, ahead.front());
      for (int64_t g = 0; g < fullGroups + (tailCols > 0); g += kScalesPerLine) {
        SmallVector<Value> scaleAt = aheadAt;
        scaleAt.push_back(index(g));
        b.create<memref::PrefetchOp>(loc, weight.scales, scaleAt,
                                     /*isWrite=*/false, /*localityHint=*/3,
                                     /*isDataCache=*/true);
      }
      aheadRow.push_back(rowOf(matrix.memref, aheadAt));
    }
    auto storeGroup = [&](Value g, int64_t chunks) {
      prefetchGroup(weight.format, aheadRow, g);
      Value d = b.create<vector::BroadcastOp>(loc, vecType,
                                              groupScale(weight, at, g));
      SmallVector<Value> qs =
          groupQ(matrix.memref, weight.format, at, g, lanes, chunks);
      Value base = b.create<arith::MulIOp>(loc, g, index(kGroup));
      for (int64_t c = 0; c < chunks; ++c) {
        Value col = b.create<arith::AddIOp>(loc, base, index(c * lanes));
        b.create<vector::StoreOp>(loc, b.create<arith::MulFOp>(loc, d, qs[c]),
                                  tile, ValueRange{i, col});
      }
    };
    forLoop(index(0), index(fullGroups), 1,
            [&](Value g) { storeGroup(g, kGroup / lanes); });
    if (tailCols > 0) {
      int64_t vectorChunks = tailCols / lanes;
      if (vectorChunks > 0)
        storeGroup(index(fullGroups), vectorChunks);
      for (int64_t col = fullGroups * kGroup + vectorChunks * lanes;
           col < cols; ++col)
        store(loadF32(matrix, {at.back(), index(col)}), tile, {i, index(col)});
    }
  });
}

Value KernelEmitter::functionScratch() {
  auto function =
      b.getInsertionBlock()->getParent()->getParentOfType<FunctionOpInterface>();
  Value &bytes = scratchBytes[function.getOperation()];
  if (!bytes) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&function.getFunctionBody().front());
    bytes = b.create<memref::AllocaOp>(
        loc, MemRefType::get({kMaxScratchBytes}, b.getI8Type()),
        b.getI64IntegerAttr(64));
  }
  return bytes;
}

Value KernelEmitter::scratchTile(int64_t rows, int64_t cols) {
  return b.create<memref::ViewOp>(
      loc, MemRefType::get({rows, cols}, b.getF32Type()), functionScratch(),
      index(0), ValueRange{});
}

void KernelEmitter::dotRowsQuantized(
    const Access &matrix, const QuantizedWeight &weight,
    function_ref<Access(Value)> vectorOf, Value numVectors, Value rowBegin,
    Value rowEnd, int64_t cols,
    function_ref<void(Value, Value, Value)> epilogue,
    BlockEpilogue blockEpilogue) {
  int64_t rowBlock = shape.rowBlock;
  auto fused = [&](Value t) {
    Access vec = vectorOf(t);
    Value limbs = pairDotLimbs(weight, vec, rowBlock, cols);
    Value length = b.create<arith::SubIOp>(loc, rowEnd, rowBegin);
    Value mainEnd = b.create<arith::AddIOp>(
        loc, rowBegin,
        b.create<arith::MulIOp>(
            loc, b.create<arith::DivUIOp>(loc, length, index(rowBlock)),
            index(rowBlock)));
    auto rowsFrom = [&](Value row0, int64_t block) {
      fusedRowBlock(matrix, weight, vec, row0, block, cols, limbs,
                    [&](Value row, Value dot) { epilogue(row, t, dot); });
    };
    forLoop(rowBegin, mainEnd, rowBlock,
            [&](Value row0) { rowsFrom(row0, rowBlock); });
    forLoop(mainEnd, rowEnd, 1, [&](Value row) { rowsFrom(row, 1); });
  };
  // Rows of the scratch tile: whole row blocks, as many as dequantRows and
  // the scratch allow. A row wider than the scratch falls back to the fused
  // kernel per vector.
  int64_t rowBytes = cols * 4;
  int64_t fit = kMaxScratchBytes / rowBytes;
  int64_t tileRows = std::min(shape.dequantRows, fit);
  if (tileRows >= rowBlock)
    tileRows -= tileRows % rowBlock;
  Value single = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                         numVectors, index(1));
  auto one = b.create<scf::IfOp>(loc, single, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&one.getThenRegion().front());
  fused(index(0));
  // Several vectors (none: nothing is read).
  b.setInsertionPointToStart(&one.getElseRegion().front());
  Value several = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ugt,
                                          numVectors, index(1));
  auto many = b.create<scf::IfOp>(loc, several, /*withElseRegion=*/false);
  b.setInsertionPointToStart(&many.getThenRegion().front());
  if (tileRows == 0) {
    forLoop(index(0), numVectors, 1, fused);
    return;
  }
  Value tile = scratchTile(tileRows, cols);
  forLoop(rowBegin, rowEnd, tileRows, [&](Value r0) {
    Value rows = b.create<arith::MinUIOp>(
        loc, index(tileRows), b.create<arith::SubIOp>(loc, rowEnd, r0));
    dequantizeRows(matrix, weight, r0, rows, cols, tile, tileRows);
    auto shifted = [&](Value row0, Value t, Value dots) {
      blockEpilogue(b.create<arith::AddIOp>(loc, r0, row0), t, dots);
    };
    dotRowsF32(Access{tile, {}}, vectorOf, numVectors, index(0), rows, cols,
               /*fromMemory=*/false,
               [&](Value row, Value t, Value dot) {
                 epilogue(b.create<arith::AddIOp>(loc, r0, row), t, dot);
               },
               blockEpilogue ? BlockEpilogue(shifted) : BlockEpilogue());
  });
}

} // namespace yan
