//===- EntryLowering.h - Lowering one yan entry point to loops ---*- C++ -*-===//
//
// The state of lowering one entry point (a yan function) into a function
// with the runtime's calling convention: the buffers every tensor lives in,
// the arena plan, the thread helpers and one lowering per op. The forward
// ops are lowered in LowerToLoops.cpp, the gradient ops of the learn graph
// in LowerGradients.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LOWERING_ENTRYLOWERING_H
#define YAN_COMPILER_LOWERING_ENTRYLOWERING_H

#include "compiler/lowering/ArenaPlanner.h"
#include "compiler/lowering/KernelEmitter.h"
#include "compiler/lowering/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "yan/IR/YanOps.h"

namespace yan::detail {

namespace y = mlir::yan;
using namespace mlir;

struct FfnBuffers;

/// Lowers one entry point.
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
  int64_t ffnSize = 0, hidden = 0;
  int64_t maxPositions = 0; // the factors' planned N
  int64_t stateFloats = 0, statsCounters = 0;
  std::vector<LearnLayerWeights> layers;
};

class EntryLowering {
public:
  /// `maxTokens`: the token limit of a dynamic-length forward entry (prefill)
  /// or of the learn entry (the longest sample).
  EntryLowering(func::FuncOp source, int64_t maxTokens, unsigned vectorWidth)
      : source(source), builder(source), loc(source.getLoc()),
        kernels(builder, loc, vectorWidth), maxTokens(maxTokens) {}

  LogicalResult run();
  /// After run() of a learn entry: what LowerLearnApply needs.
  const LearnFacts &learnFacts() const { return facts; }

private:
  LogicalResult checkSignature();
  LogicalResult countRouting();
  void createFunction();
  LogicalResult mapState();
  LogicalResult mapLearnArguments();
  LogicalResult lowerOp(Operation *op);
  LogicalResult lowerGradientOp(Operation *op);

  // Buffers.
  Value arenaBuffer(Type tensorType);
  Value temporary(ArrayRef<int64_t> shape, Type element, int64_t &offset);
  Value weightView(y::WeightRefOp op);
  Value bufferFor(Value result);
  Value buffer(Value tensor) { return buffers.lookup(tensor); }

  // Threads.
  void serial(function_ref<void()> body);
  void barrier();
  /// This thread's share [begin, end) of `rows` rows, in whole multiples of
  /// `granularity` (the kernel's row block, or a vector of columns).
  /// The same for a run-time number of rows (granularity 1).
  std::pair<Value, Value> shareDynamic(Value rows);
  std::pair<Value, Value> share(int64_t rows,
                                int64_t granularity = KernelEmitter::rowBlock);
  /// stats[offset + partition] += 1 (partition: i32 or index).
  void bumpStat(int64_t offset, Value partition);

  // Kernels.
  void rmsNormRow(const Access &x, Value weight, Value out, Value outRow,
                  int64_t width, float eps);
  void matmulTransposed(Value x, Value weight, Value out, int64_t rows,
                        int64_t cols);
  void lowerEmbed(y::EmbedOp op);
  void lowerRmsNorm(y::RmsNormOp op);
  void lowerLinear(y::LinearOp op);
  void lowerAdd(arith::AddFOp op);
  void lowerMcsd(y::McsdOp op);
  void lowerRouter(y::RouterOp op);
  void lowerPartitionedFfn(y::PartitionedFfnOp op);
  FfnBuffers ffnBuffers(y::PartitionedFfnOp op);
  void partitionProduct(const FfnBuffers &f, Value p, Value count, Value gated,
                        Value out, function_ref<Value(Value)> inputRow,
                        function_ref<Value(Value)> alphaOf,
                        function_ref<Value(Value)> tokenOf,
                        function_ref<Value(Value)> pairOf = {});
  void ffnTokenByToken(y::PartitionedFfnOp op, Value out);
  void ffnGrouped(y::PartitionedFfnOp op, Value out);
  void lowerLmHead(y::LmHeadOp op);
  /// Counting sort of the (position, pick) pairs by partition: pairs[
  /// starts[p] .. starts[p+1]) are p's pairs t*k + j in position order.
  /// starts: i64 [P+1], pairs: i32 [maxTokens*k], allocated by the caller
  /// (before serial(), so every thread has the views); runs on one thread.
  void groupPairs(Value indices, int64_t partitions, int64_t active,
                  Value starts, Value pairs);
  Value loadIndex(Value memref, ValueRange at);

  // The learn graph (LowerGradients.cpp).
  void lowerCrossEntropy(y::CrossEntropyOp op);
  void lowerCrossEntropyGrad(y::CrossEntropyGradOp op);
  void lowerLinearGrad(y::LinearGradOp op);
  void lowerRmsNormGrad(y::RmsNormGradOp op);
  void lowerMcsdGrad(y::McsdGradOp op);
  void lowerRouterGrad(y::RouterGradOp op);
  void lowerChoosePartitions(y::ChoosePartitionsOp op);
  void lowerPartitionedFfnGrad(y::PartitionedFfnGradOp op);
  void lowerPartitionGradSquares(y::PartitionGradSquaresOp op);
  void lowerGlobalNorm(y::GlobalNormOp op);
  /// Zeroes `rows` x `cols` of a 2-D f32 buffer, columns split among threads.
  void zeroColumns(Value buffer, Value rows, int64_t cols);
  /// Learn header at the start of the arena: views and the final flag.
  void writeLearnHeaderDefaults();
  void writeFiniteFlag();

  int64_t dimOf(Value tensor, unsigned i) {
    return cast<RankedTensorType>(tensor.getType()).getDimSize(i);
  }

  func::FuncOp source;
  func::FuncOp entry;
  OpBuilder builder;
  Location loc;
  KernelEmitter kernels;
  int64_t maxTokens;
  ArenaPlanner arena;

  Value weightsArg, stateArg, arenaArg, tokensArg, logitsArg, statsArg;
  Value learnArg, optimizerStateArg;
  Value threadIndex, threadCount, poolArg, barrierArg;
  Value numTokens; // index
  bool dynamicTokens = false;
  DenseMap<Value, Value> buffers;
  DenseMap<Value, int64_t> arenaOffsets; // values living in the arena
  DenseMap<Value, Operation *> lastUse;
  int64_t stateFloats = 0;
  // Routing statistics: layer l of numLayers has numPartitions partitions.
  int64_t numLayers = 0, numPartitions = 0, layer = 0;
  // Learn entries: M slots per layer, the run-time limit (index), the
  // header views, and whether routing statistics are counted (not when
  // learning).
  bool learning = false;
  /// In a learn graph, the forward routed FFN keeps its pre-activations
  /// w1 x and w3 x per (position, pick) pair, [maxTokens * k, F] each, for
  /// its gradient op (keyed by the FFN's input), instead of the backward
  /// recomputing two of its five matrix products.
  struct FfnTape {
    Value h1, h3;
    int64_t h1Offset = 0, h3Offset = 0;
  };
  DenseMap<Value, FfnTape> ffnTapes;
  bool countStats = true;
  int64_t learnPartitions = 0;
  Value limit;
  Value lossView, normView, finiteView, positionsView, chosenView;
  LearnFacts facts;
};

/// Adds @yan_learn_apply to `module`: clipping and the SGD/AdamW step for
/// one slot of the learn arena, in place in the weights (LowerLearnApply.cpp).
void emitLearnApply(ModuleOp module, const LearnFacts &facts,
                    unsigned vectorWidth);

} // namespace yan::detail

#endif // YAN_COMPILER_LOWERING_ENTRYLOWERING_H
