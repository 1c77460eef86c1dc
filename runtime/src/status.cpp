//===- status.cpp - yan_status_t ------------------------------------------===//
//
// Statuses live only on error paths, so they use plain malloc rather than a
// session allocator: an error must be reportable even before (or because) an
// allocator failed. The message is stored inline after the struct.
//
//===----------------------------------------------------------------------===//
#include "status.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

struct yan_status {
  yan_status_code_t code;
  char message[1]; // NUL-terminated, allocated to fit
};

namespace {
// Returned when a status cannot be allocated; immutable, never freed.
const yan_status kOutOfMemory = {YAN_STATUS_RESOURCE_EXHAUSTED,
                                 {'\0'}};

yan_status_t allocate(yan_status_code_t code, const char *text, size_t length) {
  auto *status = static_cast<yan_status *>(
      std::malloc(sizeof(yan_status) + length));
  if (!status)
    return const_cast<yan_status *>(&kOutOfMemory);
  status->code = code;
  std::memcpy(status->message, text, length);
  status->message[length] = '\0';
  return status;
}
} // namespace

namespace yan::rt {

yan_status_t makeStatus(yan_status_code_t code, const char *format, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, format);
  int length = std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  if (length < 0)
    length = 0;
  bool cut = static_cast<size_t>(length) >= sizeof(buffer);
  if (cut)
    length = sizeof(buffer) - 1; // messages are short; truncate, don't fail
  // Messages quote bytes from files (weight names, key text, pieces):
  // control bytes are escaped as \xNN so a message stays one line and
  // cannot drive a terminal, and an over-long message says it was cut.
  char text[1024];
  size_t out = 0;
  constexpr size_t kRoom = sizeof(text) - 16; // for one escape and the mark
  for (int i = 0; i < length && out < kRoom; ++i) {
    auto byte = static_cast<unsigned char>(buffer[i]);
    if (byte < 0x20 || byte == 0x7f)
      out += static_cast<size_t>(std::snprintf(text + out, 5, "\\x%02x", byte));
    else
      text[out++] = static_cast<char>(byte);
    if (out >= kRoom && i + 1 < length)
      cut = true;
  }
  if (cut)
    out += static_cast<size_t>(std::snprintf(text + out, sizeof(text) - out, " [...]"));
  return allocate(code == YAN_STATUS_OK ? YAN_STATUS_INTERNAL : code, text, out);
}

yan_status_t annotate(yan_status_t status, const char *prefix) {
  if (!status || status == &kOutOfMemory)
    return status;
  yan_status_t result = makeStatus(status->code, "%s: %s", prefix,
                                   status->message);
  yan_status_free(status);
  return result;
}

} // namespace yan::rt

extern "C" {

yan_status_code_t yan_status_code(const struct yan_status *status) {
  return status ? status->code : YAN_STATUS_OK;
}

const char *yan_status_message(const struct yan_status *status) {
  if (!status)
    return "";
  if (status == &kOutOfMemory)
    return "out of memory (while reporting an error)";
  return status->message;
}

const char *yan_status_code_name(yan_status_code_t code) {
  switch (code) {
  case YAN_STATUS_OK: return "OK";
  case YAN_STATUS_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
  case YAN_STATUS_OUT_OF_RANGE: return "OUT_OF_RANGE";
  case YAN_STATUS_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
  case YAN_STATUS_IO_ERROR: return "IO_ERROR";
  case YAN_STATUS_TRUNCATED: return "TRUNCATED";
  case YAN_STATUS_BAD_MAGIC: return "BAD_MAGIC";
  case YAN_STATUS_UNSUPPORTED_HEADER_VERSION: return "UNSUPPORTED_HEADER_VERSION";
  case YAN_STATUS_BAD_HEADER: return "BAD_HEADER";
  case YAN_STATUS_BAD_IDENTIFIER: return "BAD_IDENTIFIER";
  case YAN_STATUS_BAD_FLATBUFFER: return "BAD_FLATBUFFER";
  case YAN_STATUS_UNSUPPORTED_SCHEMA_VERSION: return "UNSUPPORTED_SCHEMA_VERSION";
  case YAN_STATUS_BAD_LAYOUT: return "BAD_LAYOUT";
  case YAN_STATUS_HASH_MISMATCH: return "HASH_MISMATCH";
  case YAN_STATUS_UNSUPPORTED_ABI_VERSION: return "UNSUPPORTED_ABI_VERSION";
  case YAN_STATUS_NO_IMAGE_FOR_HOST: return "NO_IMAGE_FOR_HOST";
  case YAN_STATUS_BAD_CONFIG: return "BAD_CONFIG";
  case YAN_STATUS_BAD_ELF: return "BAD_ELF";
  case YAN_STATUS_ELF_HAS_IMPORTS: return "ELF_HAS_IMPORTS";
  case YAN_STATUS_ENTRY_FAILED: return "ENTRY_FAILED";
  case YAN_STATUS_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
  case YAN_STATUS_INTERNAL: return "INTERNAL";
  case YAN_STATUS_UNSUPPORTED_CPU: return "UNSUPPORTED_CPU";
  case YAN_STATUS_UNSIGNED: return "UNSIGNED";
  case YAN_STATUS_UNTRUSTED_KEY: return "UNTRUSTED_KEY";
  case YAN_STATUS_BAD_SIGNATURE: return "BAD_SIGNATURE";
  case YAN_STATUS_NON_FINITE: return "NON_FINITE";
  case YAN_STATUS_DELTA_MISMATCH: return "DELTA_MISMATCH";
  }
  return "UNKNOWN";
}

void yan_status_free(yan_status_t status) {
  if (status && status != &kOutOfMemory)
    std::free(status);
}

} // extern "C"
