//===- fuzz_tokenizer.cpp - libFuzzer harness for encode / decode ---------===//
//
// The tokenizer of one bundle (a 300-piece SentencePiece model with byte
// fallback, compiled by yanc at build time: YAN_FUZZ_TOKENIZER_BUNDLE) on
// arbitrary input. The first byte picks the operation:
//   even: encode the rest as text, check every id is in range, decode the
//         ids; valid UTF-8 without U+2581 must come back unchanged and any
//         decode must be valid UTF-8;
//   odd:  decode the rest as int32 ids (mostly in range, some not: those
//         must be OUT_OF_RANGE), and the output must be valid UTF-8.
// A broken property traps, so libFuzzer keeps the input. (Damaged tokenizer
// tables are fuzz-bundle's: its seeds include a bundle with a tokenizer.)
//
//===----------------------------------------------------------------------===//
#include "yan/runtime.h"
#include "yan/text/utf8.h"
#include "yan/tokenizer.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

// Open for the process's life (a global, so LeakSanitizer sees it held).
yan_bundle_t *bundle = nullptr;
const yan_tokenizer_t *tokenizer = nullptr;

bool validUtf8(const uint8_t *s, size_t n) {
  for (size_t i = 0; i < n;) {
    size_t length = yan::rt::utf8ValidLength(s + i, n - i);
    if (!length)
      return false;
    i += length;
  }
  return true;
}

bool hasSpaceSymbol(const uint8_t *s, size_t n) {
  for (size_t i = 0; i + 3 <= n; ++i)
    if (!std::memcmp(s + i, yan::rt::kSpaceSymbol, 3))
      return true;
  return false;
}

// Decodes `ids`; traps unless the status is OK or (when `mayBeOutOfRange`)
// OUT_OF_RANGE, and unless the output is valid UTF-8.
std::vector<uint8_t> decode(const std::vector<int32_t> &ids, bool mayBeOutOfRange, bool *ok) {
  size_t size = 0;
  yan_status_t status = yan_tokenizer_decode(tokenizer, ids.data(), ids.size(), nullptr, 0, &size);
  yan_status_code_t code = yan_status_code(status);
  yan_status_free(status);
  *ok = code == YAN_STATUS_OK || code == YAN_STATUS_RESOURCE_EXHAUSTED;
  if (!*ok) {
    if (!(mayBeOutOfRange && code == YAN_STATUS_OUT_OF_RANGE))
      __builtin_trap();
    return {};
  }
  std::vector<uint8_t> out(size);
  status = yan_tokenizer_decode(tokenizer, ids.data(), ids.size(),
                                reinterpret_cast<char *>(out.data()), out.size(), &size);
  if (status || size != out.size() || !validUtf8(out.data(), out.size()))
    __builtin_trap();
  return out;
}

void encodeAndBack(const uint8_t *text, size_t n) {
  size_t count = 0;
  yan_status_t status =
      yan_tokenizer_encode(tokenizer, reinterpret_cast<const char *>(text), n, nullptr, 0, &count);
  yan_status_free(status);
  std::vector<int32_t> ids(count);
  status = yan_tokenizer_encode(tokenizer, reinterpret_cast<const char *>(text), n, ids.data(),
                                ids.size(), &count);
  if (status || count != ids.size() || (n > 0) != (count > 0))
    __builtin_trap();
  int32_t vocab = yan_tokenizer_vocab_size(tokenizer);
  for (int32_t id : ids)
    if (id < 0 || id >= vocab)
      __builtin_trap();
  bool ok = false;
  std::vector<uint8_t> back = decode(ids, false, &ok);
  if (validUtf8(text, n) && !hasSpaceSymbol(text, n) &&
      (back.size() != n || (n && std::memcmp(back.data(), text, n))))
    __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  yan_bundle_open_options_t options = {};
  options.flags = YAN_BUNDLE_OPEN_NO_CODE;
  yan_status_t status = yan_bundle_open_file(YAN_FUZZ_TOKENIZER_BUNDLE, &options,
                                             yan_allocator_system(), &bundle);
  if (status || !(tokenizer = yan_bundle_tokenizer(bundle))) {
    std::fprintf(stderr, "fuzz-tokenizer: cannot open %s: %s\n", YAN_FUZZ_TOKENIZER_BUNDLE,
                 status ? yan_status_message(status) : "no tokenizer");
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  const uint8_t *rest = data + 1;
  size_t n = size - 1;
  if (data[0] % 2 == 0) {
    encodeAndBack(rest, n);
  } else {
    // Ids mostly in [0, V), a few just outside or far outside.
    int32_t vocab = yan_tokenizer_vocab_size(tokenizer);
    std::vector<int32_t> ids(n / 4);
    bool outside = false;
    for (size_t i = 0; i < ids.size(); ++i) {
      uint32_t raw;
      std::memcpy(&raw, rest + 4 * i, 4);
      ids[i] = (raw >> 31) ? static_cast<int32_t>(raw)
                           : static_cast<int32_t>(raw % static_cast<uint32_t>(vocab + 1));
      outside |= ids[i] < 0 || ids[i] >= vocab;
    }
    bool ok = false;
    decode(ids, true, &ok);
    if (ok == outside)
      __builtin_trap();
  }
  return 0;
}
