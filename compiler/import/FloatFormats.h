//===- FloatFormats.h - float32 <-> IEEE half and bfloat16 ------*- C++ -*-===//
//
// The one place the compiler converts between float32 and the 16-bit
// formats, rounding exactly as PyTorch does (the reference writes and reads
// the same bits).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_FLOATFORMATS_H
#define YAN_COMPILER_IMPORT_FLOATFORMATS_H

#include <cstdint>

namespace yan {

/// float32 -> IEEE binary16 / bfloat16 bits, rounding to nearest even
/// (subnormals included; overflow goes to infinity; NaN stays a quiet NaN).
uint16_t floatToHalfBits(float value);
uint16_t floatToBFloat16Bits(float value);

/// binary16 / bfloat16 bits -> float32 (exact).
float halfBitsToFloat(uint16_t bits);
float bfloat16BitsToFloat(uint16_t bits);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_FLOATFORMATS_H
