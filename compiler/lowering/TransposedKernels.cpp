//===- TransposedKernels.cpp - The transposed product (learn backward) ----===//
//
// KernelEmitter::accumulateRows, out[o, c] += sum_r coef(o, r) * in[r, c]:
// register tiles of outputs x column vectors over cache blocks of input rows
// (docs/codegen.md, "Register tiles"), and their prefetches; quantized
// inputs a dequantized block at a time (accumulateQuantizedInputs).
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/KernelEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace yan {

// The next cache block's rows [rEnd, rEnd + accumulateDepth) at a column
// tile's lines, into L2 (L1 holds the current block): they arrive while this
// block is used, a whole block of column tiles ahead (accumulateTiles' L1
// prefetch runs two column tiles ahead). A matrix of 2 KiB rows from DRAM:
// `small`'s learn step, Zen 5, one thread, 152 -> 145 ms.
void KernelEmitter::prefetchNextInputBlock(function_ref<Access(Value)> inputOf,
                                           Value rBegin, Value rEnd,
                                           Value numInputs, Value col,
                                           int64_t vectors) {
  Access first = inputOf(rBegin);
  auto type = cast<MemRefType>(first.memref.getType());
  if (!numInputs || !vectors || quantized(first.memref) ||
      !type.hasStaticShape() ||
      static_cast<int64_t>(first.leading.size()) + 1 != type.getRank())
    return;
  Value aheadEnd = b.create<arith::MinUIOp>(
      loc, b.create<arith::AddIOp>(loc, rEnd, index(accumulateDepth)),
      numInputs);
  forLoop(rEnd, aheadEnd, 1, [&](Value r) {
    Access ahead = inputOf(r);
    for (int64_t j = 0; j < vectors; ++j) {
      SmallVector<Value> at(ahead.leading);
      at.push_back(j == 0 ? col
                          : b.create<arith::AddIOp>(loc, col,
                                                    index(j * vectorWidth))
                                .getResult());
      b.create<memref::PrefetchOp>(loc, ahead.memref, at, /*isWrite=*/false,
                                   /*localityHint=*/2, /*isDataCache=*/true);
    }
  });
}

void KernelEmitter::accumulateTiles(function_ref<Access(Value)> outputOf,
                                    Value outBegin, Value outEnd,
                                    function_ref<Access(Value)> inputOf,
                                    Value rBegin, Value rEnd,
                                    function_ref<Value(Value, Value)> coef,
                                    Value colBegin, Value colEnd,
                                    Value numInputs) {
  int64_t lanes = vectorWidth;
  int64_t tileOutputs = shape.accumulateOutputs;
  int64_t tileVectors = shape.accumulateVectors;
  auto vecType = VectorType::get({lanes}, b.getF32Type());
  // The line of an input row two column tiles on, prefetched as the tile
  // loads the row's vector: a weight as input (W^T dy) comes from DRAM in
  // the first output tile of each column tile, and its steps go down the
  // rows, which the hardware prefetcher follows poorly (`small`'s learn
  // step, Zen 5, one thread: 131-134 -> 121-126 ms with one tile ahead;
  // two tiles ahead 118-119 -> 115-117 ms on x86-64-v3, no change on v4). Only f32/f16/bf16
  // matrices of static shape: activations are dynamic, int8/int4 rows are
  // bytes, not columns.
  auto prefetchNextColumns = [&](const Access &input, Value col) {
    auto type = cast<MemRefType>(input.memref.getType());
    if (quantized(input.memref) || !type.hasStaticShape() ||
        static_cast<int64_t>(input.leading.size()) + 1 != type.getRank())
      return;
    int64_t lastCol = type.getShape().back() - 1;
    SmallVector<Value> at(input.leading);
    at.push_back(b.create<arith::MinUIOp>(
        loc, b.create<arith::AddIOp>(loc, col, index(2 * tileVectors * lanes)),
        index(lastCol)));
    b.create<memref::PrefetchOp>(loc, input.memref, at, /*isWrite=*/false,
                                 /*localityHint=*/3, /*isDataCache=*/true);
  };
  // Outputs [o0, o0 + outputs) x `vectors` column vectors from col (0: one
  // scalar column).
  auto tile = [&](Value o0, int64_t outputs, Value col, int64_t vectors) {
    int64_t width = std::max<int64_t>(vectors, 1);
    SmallVector<Value> os;
    SmallVector<SmallVector<Value>> at; // output element (i, j)'s indices
    SmallVector<Value> init;
    for (int64_t i = 0; i < outputs; ++i) {
      os.push_back(i == 0 ? o0
                          : b.create<arith::AddIOp>(loc, o0, index(i))
                                .getResult());
      Access output = outputOf(os.back());
      for (int64_t j = 0; j < width; ++j) {
        SmallVector<Value> indices(output.leading);
        indices.push_back(
            j == 0 ? col
                   : b.create<arith::AddIOp>(loc, col, index(j * lanes))
                         .getResult());
        init.push_back(
            vectors ? b.create<vector::LoadOp>(loc, vecType, output.memref,
                                               indices)
                          .getResult()
                    : b.create<memref::LoadOp>(loc, output.memref, indices)
                          .getResult());
        at.push_back(std::move(indices));
      }
    }
    SmallVector<Value> sums = outerProductTile(
        outputs, vectors, init, rBegin, rEnd,
        [&](int64_t i, Value r) { return coef(os[i], r); },
        [&](int64_t j, Value r) {
          Value c = at[j].back();
          Access input = inputOf(r);
          if (vectors == tileVectors)
            prefetchNextColumns(input, c);
          return vectors ? loadVectorF32(input, {c}) : loadF32(input, {c});
        });
    for (int64_t i = 0; i < outputs; ++i) {
      Value memref = outputOf(os[i]).memref;
      for (int64_t j = 0; j < width; ++j) {
        if (vectors)
          b.create<vector::StoreOp>(loc, sums[i * width + j], memref,
                                    at[i * width + j]);
        else
          store(sums[i * width + j], memref, at[i * width + j]);
      }
    }
  };
  Value outsEnd = wholeStepsEnd(outBegin, outEnd, tileOutputs);
  auto columnTile = [&](Value col, int64_t vectors) {
    prefetchNextInputBlock(inputOf, rBegin, rEnd, numInputs, col, vectors);
    forLoop(outBegin, outsEnd, tileOutputs,
            [&](Value o0) { tile(o0, tileOutputs, col, vectors); });
    // The last outputs in one tile of their count, not one at a time: a
    // one-output tile has only `vectors` FMA chains, too few to cover the
    // FMA latency, and a partition's few pairs often leave a remainder
    // (the grouped backward, 8 pairs a partition on average).
    Value rest = b.create<arith::SubIOp>(loc, outEnd, outsEnd);
    for (int64_t n = 1; n < tileOutputs; ++n) {
      auto onlyN = b.create<scf::IfOp>(
          loc,
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, rest,
                                  index(n)),
          /*withElseRegion=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&onlyN.getThenRegion().front());
      tile(outsEnd, n, col, vectors);
    }
  };
  Value tiledEnd = wholeStepsEnd(colBegin, colEnd, tileVectors * lanes);
  Value vectorEnd = wholeStepsEnd(tiledEnd, colEnd, lanes);
  forLoop(colBegin, tiledEnd, tileVectors * lanes,
          [&](Value col) { columnTile(col, tileVectors); });
  if (tileVectors > 1)
    forLoop(tiledEnd, vectorEnd, lanes,
            [&](Value col) { columnTile(col, 1); });
  forLoop(vectorEnd, colEnd, 1, [&](Value col) { columnTile(col, 0); });
}

void KernelEmitter::accumulateRows(function_ref<Access(Value)> outputOf,
                                   Value outBegin, Value outEnd,
                                   function_ref<Access(Value)> inputOf,
                                   Value numInputs,
                                   function_ref<Value(Value, Value)> coef,
                                   Value colBegin, Value colEnd) {
  if (const QuantizedWeight *weight = quantized(inputOf(index(0)).memref))
    if (accumulateQuantizedInputs(*weight, outputOf, outBegin, outEnd, inputOf,
                                  numInputs, coef, colBegin, colEnd))
      return;
  forLoop(index(0), numInputs, accumulateDepth, [&](Value r0) {
    Value r1 = b.create<arith::MinUIOp>(
        loc, b.create<arith::AddIOp>(loc, r0, index(accumulateDepth)),
        numInputs);
    accumulateTiles(outputOf, outBegin, outEnd, inputOf, r0, r1, coef,
                    colBegin, colEnd, numInputs);
  });
}

bool KernelEmitter::accumulateQuantizedInputs(
    const QuantizedWeight &weight, function_ref<Access(Value)> outputOf,
    Value outBegin, Value outEnd, function_ref<Access(Value)> inputOf,
    Value numInputs, function_ref<Value(Value, Value)> coef, Value colBegin,
    Value colEnd) {
  // The tile holds whole rows (every column a group can have), so a column
  // keeps its index.
  auto scales = cast<MemRefType>(weight.scales.getType());
  int64_t cols = scales.getShape().back() * kQuantGroupSize;
  if (accumulateBlock * cols * 4 > kMaxScratchBytes)
    return false;
  Value tile = scratchTile(accumulateBlock, cols);
  int64_t width = vectorWidth;
  Value mainEnd = b.create<arith::AddIOp>(
      loc, colBegin,
      b.create<arith::MulIOp>(
          loc,
          b.create<arith::DivUIOp>(
              loc, b.create<arith::SubIOp>(loc, colEnd, colBegin),
              index(width)),
          index(width)));
  Value lastInput = b.create<arith::SubIOp>(loc, numInputs, index(1));
  auto block = [&](Value r0, int64_t rows) {
    for (int64_t i = 0; i < rows; ++i) {
      Value r = b.create<arith::AddIOp>(loc, r0, index(i));
      Access input = inputOf(r);
      // The same row of the next block (clamped to the last input): its q
      // arrive while this block's outputs accumulate, where the widening
      // would otherwise wait on every line.
      Access ahead = inputOf(b.create<arith::MinUIOp>(
          loc, b.create<arith::AddIOp>(loc, r, index(accumulateBlock)),
          lastInput));
      prefetchQuantizedScales(ahead, weight, colBegin);
      forLoop(colBegin, mainEnd, width, [&](Value c) {
        prefetchQuantizedQ(ahead, weight, c);
        b.create<vector::StoreOp>(loc, loadVectorF32(input, {c}), tile,
                                  ValueRange{index(i), c});
      });
      forLoop(mainEnd, colEnd, 1, [&](Value c) {
        store(loadF32(input, {c}), tile, {index(i), c});
      });
    }
    accumulateTiles(
        outputOf, outBegin, outEnd,
        [&](Value r) {
          return Access{tile, {b.create<arith::SubIOp>(loc, r, r0)}};
        },
        r0, b.create<arith::AddIOp>(loc, r0, index(rows)), coef, colBegin,
        colEnd);
  };
  Value mainInputs = b.create<arith::MulIOp>(
      loc, b.create<arith::DivUIOp>(loc, numInputs, index(accumulateBlock)),
      index(accumulateBlock));
  forLoop(index(0), mainInputs, accumulateBlock,
          [&](Value r0) { block(r0, accumulateBlock); });
  forLoop(mainInputs, numInputs, 1, [&](Value r) { block(r, 1); });
  return true;
}

} // namespace yan
