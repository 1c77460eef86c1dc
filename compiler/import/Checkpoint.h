//===- Checkpoint.h - A Yan checkpoint: config + weights ---------*- C++ -*-===//
//
// A model directory holds config.json and model.safetensors, and optionally
// tokenizer.model (a SentencePiece model, SentencePieceModel.h). Loading checks
// that the file holds exactly the tensors the config implies, with the right
// shapes and a supported dtype; each defect is one error naming the tensor.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_CHECKPOINT_H
#define YAN_COMPILER_IMPORT_CHECKPOINT_H

#include "compiler/import/ModelConfig.h"
#include "compiler/import/QuantFormats.h"
#include "compiler/import/SafeTensors.h"
#include "compiler/import/SentencePieceModel.h"

#include <map>
#include <optional>

namespace yan {

/// A tensor the config implies, in the canonical order of docs/yan-model.md.
struct ExpectedTensor {
  std::string name;
  std::vector<int64_t> shape;
};

/// The single list of a model's tensors: names and shapes, canonical order.
std::vector<ExpectedTensor> expectedTensors(const ModelConfig &config);

/// How the bundle stores one weight: f32/f16/bf16 elements, or int8/int4
/// slabs (quant set; dtype is then F32, the type of the values the slabs
/// hold; docs/yan-model.md section 9).
struct WeightFormat {
  DType dtype = DType::F32;
  std::optional<QuantFormat> quant;

  bool operator==(const WeightFormat &other) const {
    return dtype == other.dtype && quant == other.quant;
  }
  bool operator!=(const WeightFormat &other) const { return !(*this == other); }
};

/// "f32", "f16", "bf16", "int8", "int4" (yanc --weights' spelling).
llvm::StringRef weightFormatName(WeightFormat format);

struct Checkpoint {
  ModelConfig config;
  std::unique_ptr<SafeTensorsFile> weights;
  /// MODEL_DIR/tokenizer.model when present (bundles embed it).
  std::optional<SentencePieceModel> tokenizer;
  /// The tensors the bundle stores in another format than the file's
  /// (yanc --weights / --keep-f32, selectWeightFormats); the bytes are
  /// converted as the bundle is written (streamPartition), never held whole.
  std::map<std::string, WeightFormat, std::less<>> storedFormats;

  const TensorView &tensor(llvm::StringRef name) const {
    return *weights->find(name);
  }

  /// How the bundle stores tensor `name`: storedFormats' entry, else the
  /// file's dtype.
  WeightFormat storedFormat(llvm::StringRef name) const;

  /// The storage format of the routed partitions' weights
  /// (isPartitionedWeight), the ones on-device learning updates; none for a
  /// model without layers.
  std::optional<WeightFormat> partitionWeightFormat() const;
};

/// True for the weights stored as routed partitions: layers.<l>.ffn.{w1,w3,w2}.
bool isPartitionedWeight(llvm::StringRef name);

/// Loads MODEL_DIR/config.json, MODEL_DIR/model.safetensors and, when
/// present, MODEL_DIR/tokenizer.model (whose defects are errors too).
llvm::Expected<Checkpoint> loadCheckpoint(llvm::StringRef modelDir);

/// Checks `weights` against `config` (missing, extra, shape, dtype; all
/// tensors must share one dtype).
llvm::Error checkTensors(const ModelConfig &config,
                         const SafeTensorsFile &weights);

/// Every element of every tensor is finite (loadCheckpoint runs it after
/// checkTensors): a NaN or inf weight compiles into a bundle whose logits
/// are all NaN. The error names the tensor and the element's index.
llvm::Error checkFiniteWeights(const SafeTensorsFile &weights);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_CHECKPOINT_H
