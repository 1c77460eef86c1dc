//===- ToolSupport.cpp - What the runtime tools share ---------------------===//
#include "ToolSupport.h"

#include <cerrno>
#include <climits>
#include <string>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace yan::tools {

bool parseTokenList(const char *text, std::vector<int32_t> *out) {
  std::string all(text);
  size_t start = 0;
  while (true) {
    size_t comma = all.find(',', start);
    std::string item = all.substr(start, comma == std::string::npos ? comma : comma - start);
    long long value;
    if (!parseInt(item.c_str(), INT32_MIN, INT32_MAX, &value))
      return false;
    out->push_back(static_cast<int32_t>(value));
    if (comma == std::string::npos)
      return true;
    start = comma + 1;
  }
}

bool parseInt(const char *text, long long min, long long max, long long *out) {
  if (!text || !*text)
    return false;
  errno = 0;
  char *end = nullptr;
  long long value = std::strtoll(text, &end, 10);
  if (errno || *end || value < min || value > max)
    return false;
  *out = value;
  return true;
}

bool parseDouble(const char *text, double *out) {
  if (!text || !*text)
    return false;
  errno = 0;
  char *end = nullptr;
  double value = std::strtod(text, &end);
  if (errno || *end || !std::isfinite(value))
    return false;
  *out = value;
  return true;
}

int reportStatus(const char *tool, yan_status_t status) {
  std::fprintf(stderr, "%s: error: %s [%s]\n", tool, yan_status_message(status),
               yan_status_code_name(yan_status_code(status)));
  yan_status_free(status);
  return 1;
}

bool addTrustedKey(const char *tool, const char *path, std::vector<yan_public_key_t> *keys) {
  yan_public_key_t key;
  if (yan_status_t status = yan_public_key_read_file(path, &key)) {
    reportStatus(tool, status);
    return false;
  }
  keys->push_back(key);
  return true;
}

yan_bundle_open_options_t openOptions(uint32_t flags,
                                      const std::vector<yan_public_key_t> &keys) {
  yan_bundle_open_options_t options = {};
  options.flags = flags;
  options.trusted_key_count = static_cast<uint32_t>(keys.size());
  options.trusted_keys = keys.empty() ? nullptr : keys.data();
  return options;
}

double nowSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

} // namespace yan::tools
