//===- QuantFormats.h - int8 / int4 weight storage ----------------*- C++ -*-===//
//
// The quantized weight formats of docs/yan-model.md ("Quantized weight
// formats"): groups of 32 along each row, an f16 scale per group, and the
// storage layout of one slab (a [rows, cols] matrix: a whole 2-D weight, or
// one partition of a 3-D ffn weight). test/reference/quant_formats.py is the
// same contract in torch; the two agree byte for byte.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_QUANTFORMATS_H
#define YAN_COMPILER_IMPORT_QUANTFORMATS_H

#include "yan/quant_format.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <optional>
#include <vector>

namespace yan {

enum class QuantFormat { Int8, Int4 };

/// "int8" / "int4".
llvm::StringRef quantFormatName(QuantFormat format);
/// The inverse; nullopt for any other name.
std::optional<QuantFormat> parseQuantFormat(llvm::StringRef name);

/// Elements per group along a row (yan/quant_format.h's).
constexpr int64_t kQuantGroupSize = YAN_QUANT_GROUP_SIZE;
/// Both planes and the slab size are multiples of this many bytes.
constexpr int64_t kQuantSlabAlignment = YAN_QUANT_SLAB_ALIGNMENT;

/// Bits of one q: 8 or 4.
unsigned quantBits(QuantFormat format);

/// The smallest and largest q of `format` (int8: -127..127, int4: -8..7).
int quantMin(QuantFormat format);
int quantMax(QuantFormat format);

/// Where the bytes of one [rows, cols] slab live.
struct QuantSlabLayout {
  int64_t groups = 0;      // per row: ceil(cols / 32)
  int64_t qRowBytes = 0;   // q plane row stride: groups * (32 or 16)
  int64_t scaleOffset = 0; // start of the f16 scale plane (64-aligned)
  int64_t bytes = 0;       // the whole slab, a multiple of 64
};

/// rows, cols in [1, 2^31]: yan_quant_slab_layout (yan/quant_format.h, the
/// runtime's verifier uses it too).
QuantSlabLayout quantSlabLayout(QuantFormat format, int64_t rows, int64_t cols);

/// Quantizes the row-major float32 matrix `values` [rows, cols] into `slab`
/// (exactly quantSlabLayout(...).bytes long; padding is written as zeros,
/// int4 padding q's as the nibble of 0). Fails, naming `where` and the
/// element or group, on a non-finite value or a scale too large for f16.
llvm::Error quantizeSlab(QuantFormat format, llvm::StringRef where,
                         llvm::ArrayRef<float> values, int64_t rows, int64_t cols,
                         llvm::MutableArrayRef<uint8_t> slab);

/// Quantizes rows [firstRow, firstRow + values.size() / cols) of a
/// [rows, cols] slab into `slab` (the whole slab's bytes, its padding
/// already zero), so a slab can be filled from a checkpoint a few rows at a
/// time. Errors as quantizeSlab's, with the rows' indices in the slab.
llvm::Error quantizeRows(QuantFormat format, llvm::StringRef where,
                         llvm::ArrayRef<float> values, int64_t firstRow, int64_t rows,
                         int64_t cols, llvm::MutableArrayRef<uint8_t> slab);

/// w' = f32(d) * q of every element of `slab` into `values` [rows, cols].
void dequantizeSlab(QuantFormat format, llvm::ArrayRef<uint8_t> slab, int64_t rows,
                    int64_t cols, llvm::MutableArrayRef<float> values);

/// A tensor [..., rows, cols] (at least 2-D) as its slabs back to back, slab
/// i of a 3-D tensor (partition i of layers.*.ffn.*) named NAME[i] in errors.
llvm::Expected<std::vector<uint8_t>> quantizeTensor(QuantFormat format, llvm::StringRef name,
                                                    llvm::ArrayRef<float> values,
                                                    llvm::ArrayRef<int64_t> shape);

/// The inverse: w' of every element, row-major.
std::vector<float> dequantizeTensor(QuantFormat format, llvm::ArrayRef<uint8_t> bytes,
                                    llvm::ArrayRef<int64_t> shape);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_QUANTFORMATS_H
