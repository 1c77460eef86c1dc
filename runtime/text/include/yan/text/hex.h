//===- hex.h - Lower-case hex text of bytes ----------------------*- C++ -*-===//
//
// The one hex encoder: digests (sha256Hex), key ids and key files
// (signature.cpp), yan-dump's hashes. Header-only and dependency-free so
// the runtime (also cross-built, no exceptions), its tools and the compiler
// can all include it (CMake target yan_hex, runtime/text); no installed
// header does.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TEXT_HEX_H
#define YAN_TEXT_HEX_H

#include <cstddef>
#include <cstdint>

namespace yan {

/// Writes the lower-case hex of `size` bytes to out[0, 2 * size), no NUL.
inline void writeHex(const uint8_t *bytes, size_t size, char *out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
}

/// writeHex, NUL-terminated: `out` holds 2 * size + 1 chars.
inline void writeHexString(const uint8_t *bytes, size_t size, char *out) {
  writeHex(bytes, size, out);
  out[2 * size] = '\0';
}

} // namespace yan

#endif // YAN_TEXT_HEX_H
