//===- ConvertWeights.h - Storing a checkpoint's weights in another format ===//
//
// `yanc --weights FORMAT`: the bundle stores every weight as FORMAT instead of
// the checkpoint's own dtype. A committed model can then ship small (f16)
// while its bundle holds f32 weights that on-device learning can update.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_CONVERTWEIGHTS_H
#define YAN_COMPILER_IMPORT_CONVERTWEIGHTS_H

#include "compiler/import/Checkpoint.h"

namespace yan {

/// "f32", "f16", "bf16" (yanc's spelling) -> DType.
llvm::Expected<DType> parseWeightFormat(llvm::StringRef name);

/// Element `index` (row-major) of `tensor`, widened exactly to float32.
float tensorElement(const TensorView &tensor, int64_t index);

/// `checkpoint` with every tensor stored as `dtype`: f16/bf16 -> f32 widens
/// exactly; f32 -> f16/bf16 and f16 <-> bf16 round to nearest even, and a
/// value that does not fit (finite before, infinite after) is an error
/// naming the tensor and element. The converted weights are held in memory
/// as a safetensors image (so every later stage sees an ordinary
/// checkpoint); the same dtype returns `checkpoint` unchanged.
llvm::Expected<Checkpoint> convertWeights(Checkpoint checkpoint, DType dtype);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_CONVERTWEIGHTS_H
