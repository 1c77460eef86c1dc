//===- KernelEmitter.h - Building loops and vector kernels -------*- C++ -*-===//
//
// The building blocks the yan lowering emits: counted loops, f32 loads from
// f32/f16/bf16 memrefs, silu, and the vectorized dot-product kernel that all
// matrix-vector work (linear, router, FFN, LM head) goes through.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LOWERING_KERNELEMITTER_H
#define YAN_COMPILER_LOWERING_KERNELEMITTER_H

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace yan {

/// A memref plus fixed leading indices: the row or matrix an access starts
/// from (e.g. partition p of a [P,F,D] weight is {w, {p}}).
struct Access {
  mlir::Value memref;
  llvm::SmallVector<mlir::Value> leading;
};

class KernelEmitter {
public:
  /// `nativeF16`: whether the target converts f16 to f32 in hardware;
  /// without it f16 values are widened with integer operations (widen()).
  KernelEmitter(mlir::OpBuilder &builder, mlir::Location loc,
                unsigned vectorWidth, bool nativeF16 = true)
      : b(builder), loc(loc), vectorWidth(vectorWidth), nativeF16(nativeF16) {}

  mlir::Value index(int64_t value);
  mlir::Value f32(float value);

  /// for iv in [lb, ub) step `step`; `body` gets the induction variable.
  void forLoop(mlir::Value lb, mlir::Value ub, int64_t step,
               llvm::function_ref<void(mlir::Value)> body);
  /// The same with loop-carried values; returns the final values.
  llvm::SmallVector<mlir::Value>
  forLoop(mlir::Value lb, mlir::Value ub, int64_t step,
          mlir::ValueRange init,
          llvm::function_ref<llvm::SmallVector<mlir::Value>(
              mlir::Value, mlir::ValueRange)>
              body);

  /// Loads access[indices...] and widens it to f32.
  mlir::Value loadF32(const Access &access, mlir::ValueRange indices);
  /// Loads a vector of `vectorWidth` elements along the last dimension and
  /// widens it to f32.
  mlir::Value loadVectorF32(const Access &access, mlir::ValueRange indices);
  void store(mlir::Value value, mlir::Value memref, mlir::ValueRange indices);

  mlir::Value silu(mlir::Value x);
  mlir::Value sigmoid(mlir::Value x);
  /// d silu(x) / dx = sigmoid(x) * (1 + x * (1 - sigmoid(x))).
  mlir::Value siluGrad(mlir::Value x);
  /// a * x + acc, contractible to one FMA.
  mlir::Value mulAdd(mlir::Value a, mlir::Value x, mlir::Value acc);
  /// Adds with reassociation allowed, so reductions can be vectorized.
  mlir::Value addReassoc(mlir::Value lhs, mlir::Value rhs);

  /// For rows r in [rowBegin, rowEnd) and vectors t in [0, numVectors):
  /// dot(matrix[r, :], vectorOf(t)[:]) over `cols` elements, then
  /// `epilogue(r, t, dot)`. Rows outer, `rowBlock` at a time with one vector
  /// accumulator each (independent FMA chains keep the FMA units busy and the
  /// memory bus streaming); vectors inner, so a block of weight rows is read
  /// from memory once and reused from cache by every vector (prefill). A
  /// scalar tail handles cols % vectorWidth; rows outside whole blocks go one
  /// at a time. A row's result does not depend on the range it is computed
  /// in, as long as ranges start at multiples of rowBlock (threads' shares).
  void dotRows(const Access &matrix,
               llvm::function_ref<Access(mlir::Value t)> vectorOf,
               mlir::Value numVectors, mlir::Value rowBegin, mlir::Value rowEnd,
               int64_t cols,
               llvm::function_ref<void(mlir::Value row, mlir::Value t,
                                       mlir::Value dot)>
                   epilogue);

  /// The transposed product the backward pass is made of: for output rows
  /// o in [outBegin, outEnd) and columns c in [colBegin, colEnd)
  ///   outputOf(o)[c] += sum_{r in [0, numInputs)} coef(o, r) * inputOf(r)[c]
  /// (f32 outputs, inputs of any weight type). Input rows go
  /// `accumulateBlock` at a time, so an output vector is loaded and stored
  /// once per block; within
  /// an element the sum runs in r order, so a result does not depend on how
  /// outputs or columns are split among threads. `inputsOuter`: input blocks
  /// in the outer loop (a weight matrix as input streams once while the
  /// outputs stay in cache); otherwise outputs outer (each output row, e.g.
  /// a weight-gradient row, is finished before the next).
  void accumulateRows(llvm::function_ref<Access(mlir::Value o)> outputOf,
                      mlir::Value outBegin, mlir::Value outEnd,
                      llvm::function_ref<Access(mlir::Value r)> inputOf,
                      mlir::Value numInputs,
                      llvm::function_ref<mlir::Value(mlir::Value o,
                                                     mlir::Value r)>
                          coef,
                      mlir::Value colBegin, mlir::Value colEnd,
                      bool inputsOuter);

  unsigned lanes() const { return vectorWidth; }

  /// Thread `threadIndex` of `threadCount`'s share [begin, end) of `total`
  /// items: ceil(blocks / threads) whole blocks of `granularity` each, so
  /// every share starts at a multiple of the granularity.
  std::pair<mlir::Value, mlir::Value> threadShare(mlir::Value total,
                                                  int64_t granularity,
                                                  mlir::Value threadIndex,
                                                  mlir::Value threadCount);

  static constexpr int64_t rowBlock = 4;
  /// Input rows per output load/store in accumulateRows (the transposed
  /// product is bound by the output traffic, not by FMAs).
  static constexpr int64_t accumulateBlock = 8;

  mlir::OpBuilder &builder() { return b; }
  mlir::Location location() const { return loc; }

private:
  void dotRowBlock(const Access &matrix, const Access &vector, mlir::Value row0,
                   int64_t block, int64_t cols,
                   llvm::function_ref<void(mlir::Value, mlir::Value)> epilogue);
  /// f16/bf16 (scalar or vector) to f32: arith.extf, or for f16 on a
  /// target without native conversion, widenF16Bits.
  mlir::Value widen(mlir::Value value);
  /// f16 to f32 exactly (zeros, subnormals, infinities, NaN payloads) with
  /// integer operations and one exact f32 subtraction, so the code needs no
  /// __extendhfsf2, which a code image cannot import.
  mlir::Value widenF16Bits(mlir::Value value);
  void accumulateInputBlock(const Access &output, mlir::Value o,
                       llvm::function_ref<Access(mlir::Value r)> inputOf,
                       mlir::Value r0, int64_t block,
                       llvm::function_ref<mlir::Value(mlir::Value o,
                                                      mlir::Value r)>
                           coef,
                       mlir::Value colBegin, mlir::Value colEnd);

  mlir::OpBuilder &b;
  mlir::Location loc;
  unsigned vectorWidth;
  bool nativeF16;
};

} // namespace yan

#endif // YAN_COMPILER_LOWERING_KERNELEMITTER_H
