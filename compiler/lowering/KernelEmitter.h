//===- KernelEmitter.h - Building loops and vector kernels -------*- C++ -*-===//
//
// The building blocks the yan lowering emits: counted loops, f32 loads from
// f32/f16/bf16 memrefs, silu, and the vectorized dot-product kernel that all
// matrix-vector work (linear, router, FFN, LM head) goes through.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LOWERING_KERNELEMITTER_H
#define YAN_COMPILER_LOWERING_KERNELEMITTER_H

#include "compiler/import/QuantFormats.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace yan {

/// A memref plus fixed leading indices: the row or matrix an access starts
/// from (e.g. partition p of a [P,F,D] weight is {w, {p}}).
struct Access {
  mlir::Value memref;
  llvm::SmallVector<mlir::Value> leading;
};

/// The target's kernel shapes (targets/ KernelTiles, passed in as the
/// -yan-lower-to-loops options).
struct KernelShape {
  /// f32 lanes per vector: the dot products', loads' and stores' width.
  unsigned vectorWidth = 8;
  /// Matrix rows per register tile of the dot-product kernels.
  int64_t rowBlock = 4;
  /// Vectors (tokens) per register tile of the dot-product kernel: rowBlock
  /// x dotVectors vector accumulators.
  int64_t dotVectors = 3;
  /// The transposed product's register tile: accumulateOutputs output rows
  /// x accumulateVectors column vectors.
  int64_t accumulateOutputs = 4;
  int64_t accumulateVectors = 3;
  /// f32 lanes of the fused quantized matrix x vector kernel (decode); like
  /// vectorWidth, a divisor of the 32-element group when weights are
  /// quantized.
  unsigned quantLanes = 8;
  /// Rows of a quantized matrix dequantized at once into an f32 scratch
  /// tile when several vectors share them (prefill, learning); rounded to
  /// whole row blocks and capped so the tile stays within kMaxScratchBytes.
  int64_t dequantRows = 16;
  /// Whether the target converts f16 to f32 in hardware; without it f16
  /// values are widened with integer operations (widen()).
  bool nativeF16 = true;
  /// The target's bf16 pair-dot and word-lookup intrinsics (targets/
  /// Bf16PairDot), both set or both empty; set only with quantLanes 16.
  /// The fused int4 decode kernel then works on pairs of groups with them
  /// (Bf16PairDot.cpp).
  std::string bf16DotIntrinsic;
  std::string wordLookupIntrinsic;
};

/// What makes a weight's memref quantized (docs/yan-model.md section 9):
/// the memref a weight reference is lowered to is then its q plane, i8
/// [..., rows, qRowBytes], and `scales` its f16 scale plane
/// [..., rows, groups] with the same leading (partition) dimensions.
struct QuantizedWeight {
  QuantFormat format;
  mlir::Value scales;
};

class KernelEmitter {
public:
  KernelEmitter(mlir::OpBuilder &builder, mlir::Location loc,
                const KernelShape &shape)
      : b(builder), loc(loc), vectorWidth(shape.vectorWidth), shape(shape),
        nativeF16(shape.nativeF16) {}

  mlir::Value index(int64_t value);
  mlir::Value f32(float value);
  /// `value` as an f32, or splat to a vector when `like` is a vector.
  mlir::Value f32Like(float value, mlir::Value like);
  /// A vector of vectorWidth f32 zeros.
  mlir::Value zeroVector();
  /// `scalar`, or splat to a vector when `like` is a vector.
  mlir::Value splatLike(mlir::Value scalar, mlir::Value like);

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

  /// Loads access[indices...] and widens it to f32 (a quantized weight's
  /// element: f32(d) * q, the dequantized value).
  mlir::Value loadF32(const Access &access, mlir::ValueRange indices);
  /// Loads a vector of `vectorWidth` elements along the last dimension and
  /// widens it to f32. From a quantized weight, the last index must be a
  /// multiple of vectorWidth (the vector then lies within one group).
  mlir::Value loadVectorF32(const Access &access, mlir::ValueRange indices);

  /// Declares `qPlane` (what a quantized weight reference is lowered to) a
  /// quantized weight: every reader above and below dequantizes through it.
  void registerQuantized(mlir::Value qPlane, QuantizedWeight weight) {
    quantizedWeights[qPlane] = weight;
  }
  /// The quantized weight `memref` is the q plane of, or null.
  const QuantizedWeight *quantized(mlir::Value memref) const {
    auto it = quantizedWeights.find(memref);
    return it == quantizedWeights.end() ? nullptr : &it->second;
  }
  /// Stores a scalar, or a vector along the last dimension (an epilogue
  /// written once serves dotRows' per-element and whole-block results).
  void store(mlir::Value value, mlir::Value memref, mlir::ValueRange indices);
  /// Loads memref[indices...]: a scalar, or a vector of `like`'s type along
  /// the last dimension when `like` is a vector.
  mlir::Value loadLike(mlir::Value like, mlir::Value memref,
                       mlir::ValueRange indices);

  /// silu, sigmoid and siluGrad take an f32 or a vector of f32.
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
  /// `epilogue(r, t, dot)`. Register tiles of rowBlock rows x dotVectors
  /// vectors with the column loop innermost: each step loads rowBlock
  /// matrix vectors and dotVectors vectors and feeds rowBlock x dotVectors
  /// FMAs into as many vector accumulators, reduced once after the loop.
  /// Rows outer, so a block of weight rows is read from memory once and
  /// reused from cache by every vector (prefill); one vector (decode) takes
  /// tiles of rowBlock x 1. Rows and vectors outside whole tiles go one at a
  /// time; a scalar tail handles cols % vectorWidth. Every (row, vector)
  /// pair's sum is the same sequence of operations in any tile, so a result
  /// does not depend on the tiling or on how rows are split among threads.
  /// A quantized matrix (QuantKernels.cpp) takes the fused kernel when
  /// numVectors is 1 and otherwise dequantizes a tile of rows once into an
  /// f32 scratch and runs the f32 kernel over it for every vector.
  /// With `blockEpilogue`, the results of a whole row block and one vector
  /// go to it instead, as one vector<rowBlock x f32> of rows row0, row0 + 1,
  /// ... (reduceTransposed's sums when cols is whole vectors: the same as
  /// the reductions' on x86-64), so the caller's activation and stores run
  /// a vector at a time; rows outside whole blocks, and the fused kernel's
  /// rows, still go to `epilogue`.
  using BlockEpilogue = llvm::function_ref<void(
      mlir::Value row0, mlir::Value t, mlir::Value dots)>;
  void dotRows(const Access &matrix,
               llvm::function_ref<Access(mlir::Value t)> vectorOf,
               mlir::Value numVectors, mlir::Value rowBegin, mlir::Value rowEnd,
               int64_t cols,
               llvm::function_ref<void(mlir::Value row, mlir::Value t,
                                       mlir::Value dot)>
                   epilogue,
               BlockEpilogue blockEpilogue = {});

  /// The transposed product the backward pass is made of: for output rows
  /// o in [outBegin, outEnd) and columns c in [colBegin, colEnd)
  ///   outputOf(o)[c] += sum_{r in [0, numInputs)} coef(o, r) * inputOf(r)[c]
  /// (f32 outputs, inputs of any weight type). Input rows go
  /// accumulateDepth at a time (outermost, so a weight matrix as input
  /// streams from memory once while its block stays in cache); within a
  /// block, register tiles of accumulateOutputs outputs x accumulateVectors
  /// column vectors load their outputs once, run over the block's inputs
  /// (a step: the inputs' vectors, a broadcast coefficient per output, the
  /// tile's FMAs) and store them. Within an element the sum runs in r order,
  /// so a result does not depend on the tiling or on how outputs or columns
  /// are split among threads.
  void accumulateRows(llvm::function_ref<Access(mlir::Value o)> outputOf,
                      mlir::Value outBegin, mlir::Value outEnd,
                      llvm::function_ref<Access(mlir::Value r)> inputOf,
                      mlir::Value numInputs,
                      llvm::function_ref<mlir::Value(mlir::Value o,
                                                     mlir::Value r)>
                          coef,
                      mlir::Value colBegin, mlir::Value colEnd);

  /// One register tile of a sum of outer products: for i < rows, j < width
  /// (width = vectors, or 1 scalar column when vectors is 0)
  ///   acc[i * width + j] += scalarOf(i, r) * vectorOf(j, r)
  /// for r in [begin, end) in order, starting from `init`; returns the
  /// accumulators. vectorOf(j, r) is a vector of vectorWidth lanes (a
  /// scalar when vectors is 0); scalarOf is broadcast.
  llvm::SmallVector<mlir::Value> outerProductTile(
      int64_t rows, int64_t vectors, mlir::ValueRange init, mlir::Value begin,
      mlir::Value end,
      llvm::function_ref<mlir::Value(int64_t i, mlir::Value r)> scalarOf,
      llvm::function_ref<mlir::Value(int64_t j, mlir::Value r)> vectorOf);

  unsigned lanes() const { return vectorWidth; }

  /// The end of [begin, end)'s whole steps: begin + (end - begin) / step *
  /// step (where a tiled loop hands over to its remainder loop). Needs
  /// begin <= end (index arithmetic is unsigned: a negative length wraps).
  mlir::Value wholeStepsEnd(mlir::Value begin, mlir::Value end, int64_t step);

  /// An elementwise loop over [begin, end): body(i, like) handles the
  /// elements from i, a vector of lanes() of them when `like` (a zero of
  /// their type) is a vector, else one; whole vectors first. Needs
  /// begin <= end.
  void forVectorsThenScalars(
      mlir::Value begin, mlir::Value end,
      llvm::function_ref<void(mlir::Value i, mlir::Value like)> body);
  /// The same with a sum: step(i, like, acc)
  /// handles the elements from i (a vector of lanes() of them when `like`,
  /// a zero of their type, is a vector; else one) and returns acc plus its
  /// partial. Whole vectors first with a vector accumulator, reduced
  /// (reassociated) into the scalar accumulator of the remaining elements.
  /// Returns the sum. Needs begin <= end.
  using SumStep = llvm::function_ref<mlir::Value(
      mlir::Value i, mlir::Value like, mlir::Value acc)>;
  mlir::Value sumVectorsThenScalars(mlir::Value begin, mlir::Value end,
                                    SumStep step);

  /// Thread `threadIndex` of `threadCount`'s share [begin, end) of `total`
  /// items: ceil(blocks / threads) whole blocks of `granularity` each, so
  /// every share starts at a multiple of the granularity.
  std::pair<mlir::Value, mlir::Value> threadShare(mlir::Value total,
                                                  int64_t granularity,
                                                  mlir::Value threadIndex,
                                                  mlir::Value threadCount);

  int64_t rowBlock() const { return shape.rowBlock; }
  const KernelShape &tiles() const { return shape; }
  /// The most bytes of one f32 scratch tile a quantized kernel puts on the
  /// stack (it must fit in any thread's stack, Android's included).
  static constexpr int64_t kMaxScratchBytes = 64 * 1024;
  /// Whole int4 groups per step of the pair-dot kernel: one 64-byte line of
  /// a row's q.
  static constexpr int64_t kPairDotGroupsPerStep = 4;
  /// Input rows of a quantized input dequantized at once into a scratch
  /// tile by accumulateRows.
  static constexpr int64_t accumulateBlock = 8;
  /// Input rows per cache block of accumulateRows. The inputs are rows of a
  /// matrix (a weight, or tokens) whose stride is usually a power of two
  /// times the cache line (2 KiB for D = 512), so a column stripe of them
  /// falls into two L1 sets per line: 16 rows (8 lines a set) stay in L1
  /// while every output tile runs over them, 32 (16 lines, more than the
  /// 12 ways of Zen 5's L1) and 128 did not. On the grouped backward's
  /// shapes (8-64 outputs, 512 x 512 weights from DRAM) 32 was up to 1.7x
  /// faster than 128 and 16 up to 2.2x (docs/performance.md). 16 was held
  /// back while Debian's qemu-riscv64 7.2 aborted on the RISC-V image; that
  /// abort was exp's vfcvt.rtz.x.f.v, which -yan-expand-math now rewrites
  /// (docs/targets.md).
  static constexpr int64_t accumulateDepth = 16;

  mlir::OpBuilder &builder() { return b; }
  mlir::Location location() const { return loc; }

private:
  // QuantKernels.cpp
  using RowEpilogue = llvm::function_ref<void(mlir::Value, mlir::Value)>;
  /// dotRows on an f32, f16 or bf16 matrix. `fromMemory`: the matrix is a
  /// weight streamed from memory, not a tile in scratch; then a tile of
  /// several vectors prefetches some of the next row block's lines as it
  /// reads its own (nextBlockRowsOfTile). A partition's rows are read once
  /// from DRAM and then from cache by the other vectors' tiles; without the
  /// prefetch the first tile of each row block waits for DRAM (128-token
  /// prefill of `small`, f32, Zen 5: 0.43 -> 0.54 of the FMA peak on one
  /// thread).
  void dotRowsF32(const Access &matrix,
                  llvm::function_ref<Access(mlir::Value t)> vectorOf,
                  mlir::Value numVectors, mlir::Value rowBegin,
                  mlir::Value rowEnd, int64_t cols, bool fromMemory,
                  llvm::function_ref<void(mlir::Value, mlir::Value, mlir::Value)>
                      epilogue,
                  BlockEpilogue blockEpilogue);
  void dotRowsQuantized(
      const Access &matrix, const QuantizedWeight &weight,
      llvm::function_ref<Access(mlir::Value t)> vectorOf,
      mlir::Value numVectors, mlir::Value rowBegin, mlir::Value rowEnd,
      int64_t cols,
      llvm::function_ref<void(mlir::Value, mlir::Value, mlir::Value)>
          epilogue,
      BlockEpilogue blockEpilogue);
  /// `limbs`: pairDotLimbs' for this vector, or null.
  void fusedRowBlock(const Access &matrix, const QuantizedWeight &weight,
                     const Access &vector, mlir::Value row0, int64_t block,
                     int64_t cols, mlir::Value limbs, RowEpilogue epilogue);
  // Bf16PairDot.cpp
  /// The bf16 limbs of `vector` (cols elements) in the fused int4 kernel's
  /// order, in the function's scratch bytes; null when the kernel does not
  /// use the pair dot for this weight (not int4, no intrinsic, fewer than four
  /// groups, or limbs or the `block` rows' scale tile too large for scratch).
  mlir::Value pairDotLimbs(const QuantizedWeight &weight, const Access &vector,
                           int64_t block, int64_t cols);
  /// The row block's accumulators (`init`, one per row of `rowQ`) after the
  /// whole steps of kPairDotGroupsPerStep groups, by pair dots over
  /// `limbs`; `scales` is the block's widenedScales tile, `aheadQ`
  /// prefetchRows' rows.
  llvm::SmallVector<mlir::Value> pairDotGroups(llvm::ArrayRef<mlir::Value> rowQ,
                                               mlir::Value scales,
                                               mlir::Value limbs,
                                               llvm::ArrayRef<mlir::Value> aheadQ,
                                               llvm::ArrayRef<mlir::Value> init);
  /// The f16 scales of groups [0, groups) of `rows` (each the leading
  /// indices and the row) widened into an f32 [rows, groups] scratch tile.
  mlir::Value widenedScales(const QuantizedWeight &weight,
                            llvm::ArrayRef<llvm::SmallVector<mlir::Value>> rows,
                            int64_t groups);
  /// The fused kernel's q of one whole group of row `at`: 32 / lanes f32
  /// vectors, int8's q, or int4's nibbles before the offset 8 is subtracted.
  llvm::SmallVector<mlir::Value> fusedGroupQ(mlir::Value qPlane,
                                             QuantFormat format,
                                             llvm::ArrayRef<mlir::Value> at,
                                             mlir::Value group, int64_t lanes);
  /// Software prefetch for the fused kernel, whose row blocks are short
  /// streams the hardware prefetcher barely trains on: prefetchRows
  /// prefetches the scales of the rows kPrefetchBytes of q ahead of `rows`
  /// and returns those rows (none when the q plane's shape is not static);
  /// prefetchGroup prefetches `group` of their q's, given as row views
  /// (rowOf).
  llvm::SmallVector<mlir::Value> prefetchRows(const Access &matrix,
                                              const QuantizedWeight &weight,
                                              llvm::ArrayRef<mlir::Value> rows);
  void prefetchGroup(QuantFormat format, llvm::ArrayRef<mlir::Value> aheadRows,
                     mlir::Value group);
  /// The rows of the block after [row0, row0 + rows) that the dot tile of
  /// token vectors from t0 prefetches: 3 of them, the tile's index times 3
  /// onwards, mod `rows` (rowsAhead).
  llvm::SmallVector<mlir::Value> nextBlockRowsOfTile(const Access &matrix,
                                                     mlir::Value row0,
                                                     int64_t rows,
                                                     mlir::Value t0);
  /// `rows` + `distance`, each clamped to the matrix's last row (never a
  /// byte of another partition or weight); none when `matrix`'s memref is
  /// not [leading..., rows, cols] of static shape.
  llvm::SmallVector<mlir::Value> rowsAhead(const Access &matrix,
                                           llvm::ArrayRef<mlir::Value> rows,
                                           int64_t distance);
  /// A rank-1 view of the row of `plane` at `at` (leading indices + row).
  mlir::Value rowOf(mlir::Value plane, llvm::ArrayRef<mlir::Value> at);
  static constexpr int64_t kPrefetchBytes = 4096;
  /// Prefetches the line of quantized row `row`'s q (its memref is the q
  /// plane) holding element `col`, or of its scales.
  void prefetchQuantizedQ(const Access &row, const QuantizedWeight &weight,
                          mlir::Value col);
  void prefetchQuantizedScales(const Access &row,
                               const QuantizedWeight &weight, mlir::Value col);
  /// Rows [row0, row0 + rows) of `matrix` dequantized into `tile`,
  /// prefetching the q and scales of the rows aheadRows further on.
  void dequantizeRows(const Access &matrix, const QuantizedWeight &weight,
                      mlir::Value row0, mlir::Value rows, int64_t cols,
                      mlir::Value tile, int64_t aheadRows);
  /// q of one group of row `at` (the leading indices and the row) as
  /// `lanes`-wide f32 vectors, the first `chunks` of 32 / lanes.
  llvm::SmallVector<mlir::Value>
  groupQ(mlir::Value qPlane, QuantFormat format,
         llvm::ArrayRef<mlir::Value> at, mlir::Value group, int64_t lanes,
         int64_t chunks);
  /// q of element `col` (< 32 * groups) of row `at`, as an f32 scalar.
  mlir::Value scalarQ(mlir::Value qPlane, QuantFormat format,
                      llvm::ArrayRef<mlir::Value> at, mlir::Value col);
  /// d of group `group` of row `at`, in f32.
  mlir::Value groupScale(const QuantizedWeight &weight,
                         llvm::ArrayRef<mlir::Value> at, mlir::Value group);
  mlir::Value loadQuantizedF32(const Access &access,
                               const QuantizedWeight &weight,
                               mlir::ValueRange indices, bool vector);
  /// accumulateRows (inputs outer) over a quantized input: each block of
  /// input rows is dequantized once, columns [colBegin, colEnd), into a
  /// scratch tile that every output then reads. False (nothing emitted)
  /// when a block's rows do not fit in the scratch.
  bool accumulateQuantizedInputs(
      const QuantizedWeight &weight,
      llvm::function_ref<Access(mlir::Value o)> outputOf, mlir::Value outBegin,
      mlir::Value outEnd, llvm::function_ref<Access(mlir::Value r)> inputOf,
      mlir::Value numInputs,
      llvm::function_ref<mlir::Value(mlir::Value o, mlir::Value r)> coef,
      mlir::Value colBegin, mlir::Value colEnd);
  /// An f32 [rows, cols] scratch at the start of the enclosing function
  /// (stack memory that loops reuse, not an allocation per iteration).
  mlir::Value scratchTile(int64_t rows, int64_t cols);
  /// The function's kMaxScratchBytes of stack, allocated at its start once.
  mlir::Value functionScratch();

  /// The sums of `accumulators` (a power of two of them, at most the vector
  /// width) as one vector, in order: shuffles pair the vectors and add each
  /// accumulator's upper half of lanes to its lower half, level by level,
  /// until one lane is left each. Per accumulator that is the tree LLVM
  /// reduces a vector with on x86-64 (upper half onto lower), so the sums
  /// equal vector.reduction's there; it costs log2(width) shuffle-add levels
  /// for the whole tile instead of a reduction per accumulator.
  mlir::Value reduceTransposed(llvm::ArrayRef<mlir::Value> accumulators);
  /// One register tile of dotRows: rows [row0, row0 + rows) x `vectors`;
  /// each column step also prefetches the lines of the rows `ahead` at that
  /// column.
  void dotTile(const Access &matrix, llvm::ArrayRef<Access> vectors,
               mlir::Value row0, int64_t rows, int64_t cols,
               llvm::ArrayRef<mlir::Value> ahead,
               llvm::function_ref<void(mlir::Value row, int64_t j,
                                       mlir::Value dot)>
                   epilogue,
               llvm::function_ref<void(int64_t j, mlir::Value dots)>
                   blockEpilogue);
  /// f16/bf16 (scalar or vector) to f32: arith.extf, or for f16 on a
  /// target without native conversion, widenF16Bits.
  mlir::Value widen(mlir::Value value);
  /// f16 to f32 exactly (zeros, subnormals, infinities, NaN payloads) with
  /// integer operations and one exact f32 subtraction, so the code needs no
  /// __extendhfsf2, which a code image cannot import.
  mlir::Value widenF16Bits(mlir::Value value);
  /// accumulateRows over the inputs [rBegin, rEnd) (at most a cache
  /// block): column tiles outer, output tiles inner. With `numInputs`, the
  /// inputs are a matrix streamed from memory and each column tile first
  /// prefetches the next cache block's part of it (prefetchNextInputBlock).
  void accumulateTiles(llvm::function_ref<Access(mlir::Value o)> outputOf,
                       mlir::Value outBegin, mlir::Value outEnd,
                       llvm::function_ref<Access(mlir::Value r)> inputOf,
                       mlir::Value rBegin, mlir::Value rEnd,
                       llvm::function_ref<mlir::Value(mlir::Value o,
                                                      mlir::Value r)>
                           coef,
                       mlir::Value colBegin, mlir::Value colEnd,
                       mlir::Value numInputs = {});
  /// The input rows [rEnd, min(rEnd + accumulateDepth, numInputs)) at the
  /// `vectors` vectors from `col`, prefetched into L2; nothing without
  /// numInputs, for a scalar column (vectors 0) or for an input that is not
  /// an f32/f16/bf16 matrix of static shape.
  void prefetchNextInputBlock(llvm::function_ref<Access(mlir::Value r)> inputOf,
                              mlir::Value rBegin, mlir::Value rEnd,
                              mlir::Value numInputs, mlir::Value col,
                              int64_t vectors);
  mlir::OpBuilder &b;
  mlir::Location loc;
  unsigned vectorWidth;
  KernelShape shape;
  bool nativeF16;
  llvm::DenseMap<mlir::Value, QuantizedWeight> quantizedWeights;
  /// Per function: the stack bytes scratchTile views.
  llvm::DenseMap<mlir::Operation *, mlir::Value> scratchBytes;
};

} // namespace yan

#endif // YAN_COMPILER_LOWERING_KERNELEMITTER_H
