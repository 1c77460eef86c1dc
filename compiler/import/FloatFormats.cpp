//===- FloatFormats.cpp - float32 <-> IEEE half and bfloat16 ---------------===//

#include "compiler/import/FloatFormats.h"

#include "llvm/ADT/bit.h"

namespace yan {

uint16_t floatToHalfBits(float value) {
  uint32_t bits = llvm::bit_cast<uint32_t>(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  uint32_t magnitude = bits & 0x7FFFFFFF;
  if (magnitude > 0x7F800000) // NaN: the canonical quiet NaN, as PyTorch
    return sign | 0x7E00;
  // From halfway between 65504 (the largest half) and 65536 up, the nearest
  // even is infinity.
  if (magnitude >= 0x477FF000)
    return sign | 0x7C00;
  if (magnitude >= 0x38800000) { // normal in half: >= 2^-14
    uint32_t exponent = (magnitude >> 23) - 127 + 15;
    uint32_t mantissa = magnitude & 0x7FFFFF;
    uint32_t half = (exponent << 10) | (mantissa >> 13);
    uint32_t rest = mantissa & 0x1FFF;
    // A carry out of the mantissa correctly bumps the exponent.
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
      ++half;
    return sign | static_cast<uint16_t>(half);
  }
  // Subnormal half: value = mantissa * 2^(exponent - 150); in units of the
  // smallest subnormal 2^-24 that is mantissa >> (126 - exponent).
  // At or below 2^-25 (half the smallest subnormal) it rounds to zero (the
  // tie goes to the even zero).
  if (magnitude <= 0x33000000)
    return sign;
  uint32_t exponent = magnitude >> 23;
  uint32_t mantissa = (magnitude & 0x7FFFFF) | 0x800000;
  uint32_t shift = 126 - exponent; // 14..24
  uint32_t half = mantissa >> shift;
  uint32_t rest = mantissa & ((1u << shift) - 1);
  uint32_t halfway = 1u << (shift - 1);
  // Rounding up from the largest subnormal gives 0x400, the smallest normal.
  if (rest > halfway || (rest == halfway && (half & 1)))
    ++half;
  return sign | static_cast<uint16_t>(half);
}

uint16_t floatToBFloat16Bits(float value) {
  uint32_t bits = llvm::bit_cast<uint32_t>(value);
  if ((bits & 0x7FFFFFFF) > 0x7F800000) // NaN: PyTorch's canonical 0x7FC0
    return 0x7FC0;
  // Adding 0x7FFF plus the kept lowest bit rounds to nearest, ties to even;
  // overflow past the largest finite value correctly becomes infinity.
  uint32_t lsb = (bits >> 16) & 1;
  return static_cast<uint16_t>((bits + 0x7FFF + lsb) >> 16);
}

float halfBitsToFloat(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1F;
  uint32_t mantissa = bits & 0x3FF;
  if (exponent == 0x1F) // infinity or NaN (payload kept)
    return llvm::bit_cast<float>(sign | 0x7F800000 | (mantissa << 13));
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float32.
    float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  return llvm::bit_cast<float>(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

} // namespace yan
