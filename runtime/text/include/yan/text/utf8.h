//===- utf8.h - UTF-8 exactly as SentencePiece reads it ----------*- C++ -*-===//
//
// The tokenizer must split text into characters exactly where SentencePiece
// 0.1.97 does (src/util.h/.cc: OneCharLen, DecodeUTF8, IsValidDecodeUTF8),
// including its treatment of malformed bytes, so these copy its rules
// rather than a general-purpose decoder's.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TEXT_UTF8_H
#define YAN_TEXT_UTF8_H

#include <cstddef>
#include <cstdint>

namespace yan::rt {

/// The length a lead byte announces (1 for ASCII and for stray
/// continuation bytes), as SentencePiece's OneCharLen.
inline size_t utf8LeadLength(uint8_t lead) {
  static const uint8_t kLength[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLength[lead >> 4];
}

/// The length of the valid UTF-8 character at `s` (`n` >= 1 bytes
/// available), or 0 when the bytes there are not one: truncated sequences,
/// stray continuation bytes, overlong forms, surrogates, values above
/// U+10FFFF, and 0xF8-0xFF. (SentencePiece's IsValidDecodeUTF8: a decoded
/// U+FFFD written as EF BF BD counts as valid.)
inline size_t utf8ValidLength(const uint8_t *s, size_t n) {
  auto trail = [&](size_t i) { return (s[i] & 0xc0) == 0x80; };
  uint8_t b = s[0];
  if (b < 0x80)
    return 1;
  if (n >= 2 && (b & 0xe0) == 0xc0) {
    uint32_t cp = ((b & 0x1fu) << 6) | (s[1] & 0x3fu);
    return trail(1) && cp >= 0x80 ? 2 : 0;
  }
  if (n >= 3 && (b & 0xf0) == 0xe0) {
    uint32_t cp = ((b & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
    return trail(1) && trail(2) && cp >= 0x800 && (cp < 0xd800 || cp >= 0xe000) ? 3 : 0;
  }
  if (n >= 4 && (b & 0xf8) == 0xf0) {
    uint32_t cp = ((b & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) | ((s[2] & 0x3fu) << 6) |
                  (s[3] & 0x3fu);
    return trail(1) && trail(2) && trail(3) && cp >= 0x10000 && cp <= 0x10ffff ? 4 : 0;
  }
  return 0;
}

/// U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's stand-in for a space.
constexpr uint8_t kSpaceSymbol[3] = {0xe2, 0x96, 0x81};
/// U+FFFD REPLACEMENT CHARACTER.
constexpr uint8_t kReplacement[3] = {0xef, 0xbf, 0xbd};

} // namespace yan::rt

#endif // YAN_TEXT_UTF8_H
