//===- TextSupport.h - Text in and out for the runtime tools -----*- C++ -*-===//
//
// The tools' one way to turn text into ids and ids back into text through a
// bundle's tokenizer (runtime/include/yan/tokenizer.h), including the
// streaming form generation prints with, and reading a whole text file.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TOOLS_COMMON_TEXTSUPPORT_H
#define YAN_TOOLS_COMMON_TEXTSUPPORT_H

#include "yan/tokenizer.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace yan::tools {

/// The bundle's tokenizer; NULL after printing "TOOL: error: BUNDLE has no
/// tokenizer ..." (exit 1).
const yan_tokenizer_t *requireTokenizer(const char *tool, const yan_bundle_t *bundle,
                                        const char *bundlePath);

/// Encodes `text` (any bytes) into `ids` (replacing its contents).
yan_status_t encodeText(const yan_tokenizer_t *tokenizer, const std::string &text,
                        std::vector<int32_t> *ids);

/// Decodes `ids` into `text` (replacing its contents).
yan_status_t decodeIds(const yan_tokenizer_t *tokenizer, const std::vector<int32_t> &ids,
                       std::string *text);

/// Prints generated ids as text as they come. Decoding is not per token (a
/// character may span several byte pieces, and the first piece loses its
/// dummy-prefix space), so it decodes everything so far and prints what is
/// new, holding back a trailing run of byte pieces until it forms whole
/// characters: what is printed is always a prefix of the final decode.
class TextStream {
public:
  TextStream(const yan_tokenizer_t *tokenizer, FILE *out) : tokenizer_(tokenizer), out_(out) {}
  /// Adds one id and prints whatever text became final.
  yan_status_t add(int32_t id);
  /// Prints the rest (an incomplete byte sequence as U+FFFD, as decode does).
  yan_status_t finish();
  /// Starts a new text (chat turns): forgets the ids, keeps the stream.
  void restart();
  const std::string &text() const { return text_; }

private:
  yan_status_t print(bool all);
  const yan_tokenizer_t *tokenizer_;
  FILE *out_;
  std::vector<int32_t> ids_;
  std::string text_;    // decode(ids_) as of the last print
  size_t printed_ = 0;  // bytes of text_ printed
};

/// Reads a whole regular file (refusing FIFOs, devices and directories, and
/// files over `maxBytes`) into `out`; "-" reads standard input. On failure
/// prints "TOOL: error: ..." and returns false.
bool readTextFile(const char *tool, const char *path, size_t maxBytes, std::string *out);

} // namespace yan::tools

#endif // YAN_TOOLS_COMMON_TEXTSUPPORT_H
