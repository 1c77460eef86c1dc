//===- FloatFormats.h - float32 <-> IEEE half and bfloat16 ------*- C++ -*-===//
//
// The one place the compiler converts between float32 and the 16-bit
// formats, rounding exactly as PyTorch does (the reference writes and reads
// the same bits).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_FLOATFORMATS_H
#define YAN_COMPILER_IMPORT_FLOATFORMATS_H

#include "llvm/ADT/bit.h"
#include <algorithm>
#include <cstdint>
#include <cstring>

namespace yan {

/// float32 -> IEEE binary16 / bfloat16 bits, rounding to nearest even
/// (subnormals included; overflow goes to infinity; NaN stays a quiet NaN).
uint16_t floatToHalfBits(float value);
uint16_t floatToBFloat16Bits(float value);

/// binary16 / bfloat16 bits -> float32 (exact).
float halfBitsToFloat(uint16_t bits);
inline float bfloat16BitsToFloat(uint16_t bits) {
  return llvm::bit_cast<float>(uint32_t(bits) << 16);
}

/// The first of `count` little-endian `Bits` words at `bytes` whose
/// `exponent` bits are all ones (inf or NaN), or `count`. Counts hits per
/// block first, a loop that vectorizes (a finite tensor is the common case,
/// and this runs over every weight).
template <typename Bits>
uint64_t firstNonFinite(const void *bytes, uint64_t count, Bits exponent) {
  constexpr uint64_t kBlock = 1024;
  const auto *base = static_cast<const uint8_t *>(bytes);
  auto word = [&](uint64_t i) {
    Bits w;
    std::memcpy(&w, base + i * sizeof(Bits), sizeof(Bits));
    return w;
  };
  for (uint64_t start = 0; start < count; start += kBlock) {
    uint64_t end = std::min(start + kBlock, count);
    Bits hits = 0;
    for (uint64_t i = start; i < end; ++i)
      hits |= static_cast<Bits>((word(i) & exponent) == exponent);
    if (hits == 0)
      continue;
    for (uint64_t i = start; i < end; ++i)
      if ((word(i) & exponent) == exponent)
        return i;
  }
  return count;
}

} // namespace yan

#endif // YAN_COMPILER_IMPORT_FLOATFORMATS_H
