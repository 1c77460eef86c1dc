//===- LoweringContext.h - What every op lowering of an entry shares -*- C++
//-*-===//
//
// Lowering one yan entry point (a func.func of yan ops) produces a function
// with the runtime's calling convention (compiler/abi/EntryAbi.h). The op
// lowerings (ops/OpLowerings.h) each emit one op as loops over buffers; this
// context is what they share: the entry's arguments, the buffer every tensor
// lives in, the static arena plan, the thread helpers, the routing-statistics
// layout and, in a learn entry, the learn header and the forward's tape.
//
// Threads: every thread runs the whole function. Matrix products split their
// rows into fixed shares (multiples of the kernel's row block, so no result
// bit depends on the thread count); norms, residual additions and the mixer
// split their columns (share(width, lanes)); the small rest runs on thread 0
// (serial()); a barrier separates steps whose inputs another thread wrote.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LOWERING_LOWERINGCONTEXT_H
#define YAN_COMPILER_LOWERING_LOWERINGCONTEXT_H

#include "compiler/lowering/ArenaPlanner.h"
#include "compiler/lowering/KernelEmitter.h"
#include "compiler/lowering/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "yan/IR/YanOps.h"

namespace yan::lowering {

namespace y = mlir::yan;
using namespace mlir;

/// What kind of entry point is lowered; decides how tokens arrive and which
/// strategies the op lowerings pick.
enum class EntryKind {
  /// A fixed number of tokens per call (decode): the routed feed-forward
  /// runs token by token; routing statistics are counted.
  Fixed,
  /// A run-time number of tokens, at most maxTokens (prefill): tokens are
  /// grouped by partition; routing statistics are counted.
  Dynamic,
  /// The learn graph of -yan-build-learn: a sample of N tokens (forward over
  /// the first N-1, targets the last N-1), grouped like Dynamic, with the
  /// gradient ops and the learn header; nothing is counted.
  Learn,
};

/// The pass options one entry is lowered with.
struct EntryOptions {
  /// The token limit of a Dynamic entry (prefill) or of a Learn entry (the
  /// longest sample); a Fixed entry takes its count from its signature.
  int64_t maxTokens = 0;
  /// The target's kernel shapes (KernelEmitter).
  KernelShape kernels;
};

/// The lowered function's arguments (compiler/abi/EntryAbi.h).
struct EntryArguments {
  Value weights, state, arena, tokens, logits, stats, learn, optimizerState;
  Value threadIndex, threadCount, pool, barrier;
  Value verified, verify, verifier; // lazy trust (ops/VerifyPartitions.cpp)
  Value partitionCopyOffsets, partitionCopies; // PartitionCopies.cpp
};

/// Partition p's slices of a routed FFN's w1, w3, w2 ([F,D], [F,D], [D,F])
/// as the code reads them: the stored weights or the partition's f32 copy.
struct PartitionWeights {
  Access w1, w3, w2;
};

/// Where one layer's trainable weights sit in the weight segment (bytes):
/// what the optimizer entry needs to find partition p of layer l.
struct LearnLayerWeights {
  int64_t w1Offset = 0, w3Offset = 0, w2Offset = 0;
  int64_t w1Stride = 0, w3Stride = 0, w2Stride = 0;
  /// Arena byte offsets of the layer's gradient factors (LowRankGradient.h),
  /// which LEARN leaves in place for LEARN_APPLY: counts [M] i32, a1, a3, g
  /// [M, N, F], xs, ds [M, N, D] f32 (N = the sample's positions).
  int64_t counts = -1, a1 = -1, a3 = -1, g = -1, xs = -1, ds = -1;
};

/// What the learn entry tells the optimizer entry it is paired with.
struct LearnFacts {
  int64_t learnPartitions = 0; // M
  int64_t partitions = 0;      // P
  /// The stored partition weights' element type (f32 for quantized ones)
  /// and quantized format: plain f32 weights are updated in place; others
  /// (f16, bf16, int8, int4) in the partitions' f32 copies
  /// (PartitionCopies.cpp).
  Type weightElement;
  std::optional<QuantFormat> weightQuant;
  bool trainsInCopies() const { return weightQuant || !weightElement.isF32(); }
  int64_t ffnSize = 0, hidden = 0;
  int64_t maxPositions = 0; // the factors' planned N
  int64_t stateFloats = 0, statsCounters = 0;
  std::vector<LearnLayerWeights> layers;
};

/// In a learn graph, the forward routed FFN keeps its pre-activations w1 x
/// and w3 x per (position, pick) pair, [maxTokens * k, F] each, for its
/// gradient op (keyed by the FFN's input), instead of the backward
/// recomputing two of its five matrix products.
struct FfnTape {
  Value h1, h3;
  int64_t h1Offset = 0, h3Offset = 0;
};

/// The state only a learn entry has (LearnEntry.cpp).
struct LearnState {
  int64_t partitions = 0; // M slots per layer
  Value limit;            // the run-time number of partitions to train
  Value lossView, normView, finiteView, positionsView, routedPairsView,
      chosenView;
  DenseMap<Value, FfnTape> tapes;
  LearnFacts facts;
};

class LoweringContext {
public:
  LoweringContext(func::FuncOp source, EntryKind kind,
                  const EntryOptions &options);

  EntryKind kind() const { return entryKind; }
  bool isLearn() const { return entryKind == EntryKind::Learn; }
  /// A run-time token count (prefill, learn): tokens grouped by partition.
  bool hasDynamicTokens() const { return entryKind != EntryKind::Fixed; }
  /// Routing statistics are counted by the inference entries only.
  bool countsStats() const { return entryKind != EntryKind::Learn; }

  /// The lowered function's type, from the entry ABI description.
  static FunctionType entryFunctionType(Builder &builder);
  /// Creates `entry` (yan_<name>) with the ABI's arguments, maps the tokens
  /// (and a learn entry's targets) and sets numTokens and maxTokens.
  void createFunction();

  // Buffers.
  /// A view of the arena for a tensor of `tensorType` (dynamic dimensions
  /// planned for maxTokens, sized by numTokens).
  Value arenaBuffer(Type tensorType);
  /// Scratch of a static shape in the arena; `offset` is what release()
  /// takes back.
  Value temporary(ArrayRef<int64_t> shape, Type element, int64_t &offset);
  /// The weight's memref in the weight segment: its elements, or for a
  /// quantized weight its q plane, registered with the kernels
  /// (KernelEmitter::registerQuantized) together with its scale plane.
  Value weightView(y::WeightRefOp op);
  Value quantizedWeightView(y::WeightOp weight, RankedTensorType type,
                            QuantFormat format);
  /// The buffer op result `result` is written to: the state view it
  /// updates in place, the caller's logits, or a fresh arena slot.
  Value bufferFor(Value result);
  Value buffer(Value tensor) { return buffers.lookup(tensor); }
  Value loadIndex(Value memref, ValueRange at);

  // Threads.
  /// `body` runs on thread 0 only.
  void serial(function_ref<void()> body);
  void barrier();
  /// This thread's share [begin, end) of `rows` rows, in whole multiples of
  /// `granularity` (a vector of columns; by default the kernel's row block).
  std::pair<Value, Value> share(int64_t rows, int64_t granularity);
  std::pair<Value, Value> share(int64_t rows) {
    return share(rows, kernels.rowBlock());
  }
  /// The same for a run-time number of rows (granularity 1).
  std::pair<Value, Value> shareDynamic(Value rows);
  /// stats[offset + partition] += 1 (partition: i32 or index).
  void bumpStat(int64_t offset, Value partition);

  // Partition copies (PartitionCopies.cpp).
  /// Emits `body` for partition p of the routed FFN whose weights are w1,
  /// w3, w2 (tensors of [P,F,D], [P,F,D], [P,D,F]). Stored weights that are
  /// not plain f32 (f16, bf16, int8, int4) are trained in an f32 copy the runtime makes on a partition's
  /// first update (executable_abi.h, "Partition copies"): then `body` is
  /// emitted twice, under a run-time branch on the partition's copy offset,
  /// once over the copy and once over the stored weights. f32 weights are
  /// trained in place: `body` is emitted once, over them.
  void withPartitionWeights(Value w1, Value w3, Value w2, Value p,
                            function_ref<void(const PartitionWeights &)> body);

  int64_t dimOf(Value tensor, unsigned i) const {
    return cast<RankedTensorType>(tensor.getType()).getDimSize(i);
  }

  func::FuncOp source;
  func::FuncOp entry;
  OpBuilder builder;
  Location loc;
  KernelEmitter kernels;
  ArenaPlanner arena;
  EntryArguments args;
  Value numTokens; // index
  int64_t maxTokens;
  DenseMap<Value, Value> buffers;
  DenseMap<Value, int64_t> arenaOffsets; // values living in the arena
  int64_t stateFloats = 0;
  // Routing statistics: layer l of numLayers has numPartitions partitions;
  // routersLowered counts the routers lowered so far (the current layer + 1
  // while its feed-forward is lowered).
  int64_t numLayers = 0, numPartitions = 0, routersLowered = 0;
  LearnState learn;

private:
  /// The layer of the routed FFN that reads `weight` (its w1, w3 or w2):
  /// the index of that yan.partitioned_ffn among the entry's.
  int64_t ffnLayerOf(Value weight);

  EntryKind entryKind;
};

/// partition_copy_offsets[layer * P + p], or -1 when the runtime passed no
/// table (no partition has a copy): an i64.
Value partitionCopyOffset(OpBuilder &builder, Location loc, KernelEmitter &k,
                          Value offsets, Value layer, int64_t partitions,
                          Value p);

} // namespace yan::lowering

#endif // YAN_COMPILER_LOWERING_LOWERINGCONTEXT_H
