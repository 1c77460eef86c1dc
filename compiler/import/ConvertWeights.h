//===- ConvertWeights.h - Storing a checkpoint's weights in another format ===//
//
// `yanc --weights FORMAT --keep-f32 LIST`: the bundle stores the weights in
// FORMAT (f32, f16, bf16, int8, int4) instead of the checkpoint's own dtype.
// Nothing is converted up front: the checkpoint stays mapped, records each
// tensor's stored format (Checkpoint::storedFormats), and the bundle writer
// and the static library's weight segment convert one partition (one slab)
// at a time as they write it (streamPartition), so the compiler's memory
// does not grow with the model.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_CONVERTWEIGHTS_H
#define YAN_COMPILER_IMPORT_CONVERTWEIGHTS_H

#include "compiler/import/Checkpoint.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace yan {

/// "f32", "f16", "bf16", "int8", "int4" (yanc's spelling) -> WeightFormat.
llvm::Expected<WeightFormat> parseWeightFormat(llvm::StringRef name);

/// The families --keep-f32 accepts besides tensor names, and what each
/// matches: embed (embed.weight), lm_head (lm_head.weight), router
/// (layers.*.router.weight), mix (layers.*.mix.{u,v,g,o}.weight), ffn
/// (layers.*.ffn.{w1,w3,w2}).
bool inKeepFamily(llvm::StringRef family, llvm::StringRef tensorName);

/// The tensors `list` (comma-separated tensor names and family names, as
/// yanc --keep-f32 and test/reference's --keep-f32 take it) selects, in
/// the canonical order; an entry that names neither a tensor of `config`
/// nor a family is an error.
llvm::Expected<std::vector<std::string>> keptF32Tensors(const ModelConfig &config,
                                                        llvm::StringRef list);

/// How a tensor of rank `rank` stored in the file as `fileDtype` is stored
/// in the bundle under `yanc --weights chosen` (unset: the file's dtype):
/// f32 when `keptF32`; a quantized format only for matrices (rank >= 2),
/// the norm vectors then staying f32.
WeightFormat storedFormatFor(std::optional<WeightFormat> chosen, DType fileDtype, size_t rank,
                             bool keptF32);

/// Records in `checkpoint.storedFormats` how the bundle stores each tensor:
/// `format` (empty: the checkpoint's dtype) for every tensor, except that
/// the norm vectors (rank 1) are never quantized (f32 under int8/int4) and
/// the tensors `keepF32` selects are f32. Then runs every conversion once
/// without keeping its bytes, so a value that does not fit (f16/bf16
/// overflow, a quantization scale beyond f16) is an error here, naming the
/// tensor, whatever the compile emits.
llvm::Error selectWeightFormats(Checkpoint &checkpoint, llvm::StringRef format,
                                llvm::StringRef keepF32);

/// Element `index` (row-major) of `tensor`, widened exactly to float32.
float tensorElement(const TensorView &tensor, int64_t index);

/// Receives converted bytes, a piece at a time.
using ByteSink = llvm::function_ref<void(llvm::ArrayRef<uint8_t>)>;

/// Partition `partition` of `tensor` (one of `numPartitions` equal slices
/// along its leading dimension) stored as `format`, handed to `sink` in
/// pieces: the mapped bytes themselves when the format is the file's;
/// 64 KiB pieces for f32/f16/bf16 conversions (round to nearest even;
/// widening is exact); one slab at a time for int8/int4 (filled a few rows
/// at a time). A value that does not fit is an error naming the tensor and
/// element (f16/bf16) or group (int8/int4).
llvm::Error streamPartition(const TensorView &tensor, WeightFormat format,
                            int64_t numPartitions, int64_t partition, ByteSink sink);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_CONVERTWEIGHTS_H
