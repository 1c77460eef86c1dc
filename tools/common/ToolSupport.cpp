//===- ToolSupport.cpp - What the runtime tools share ---------------------===//
#include "ToolSupport.h"

#include <cerrno>
#include <climits>
#include <string>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sys/stat.h>

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
                                      const std::vector<yan_public_key_t> &keys,
                                      const std::vector<yan_public_key_t> &deltaKeys) {
  yan_bundle_open_options_t options = {};
  options.flags = flags;
  options.trusted_key_count = static_cast<uint32_t>(keys.size());
  options.trusted_keys = keys.empty() ? nullptr : keys.data();
  options.trusted_delta_key_count = static_cast<uint32_t>(deltaKeys.size());
  options.trusted_delta_keys = deltaKeys.empty() ? nullptr : deltaKeys.data();
  return options;
}

std::string jsonQuote(const char *text) {
  std::string out = "\"";
  for (const unsigned char *p = reinterpret_cast<const unsigned char *>(text); *p; ++p) {
    if (*p == '"' || *p == '\\') {
      out += '\\';
      out += static_cast<char>(*p);
    } else if (*p < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\u%04x", *p);
      out += escape;
    } else {
      out += static_cast<char>(*p);
    }
  }
  return out + "\"";
}

double nowSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

bool outputsAreDistinct(const std::vector<NamedPath> &outputs,
                        const std::vector<NamedPath> &inputs, std::string *message) {
  struct stat a, b;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].path || ::stat(outputs[i].path, &a) != 0)
      continue;
    auto clash = [&](const NamedPath &other, const char *role) {
      if (!other.path || ::stat(other.path, &b) != 0 || a.st_dev != b.st_dev ||
          a.st_ino != b.st_ino)
        return false;
      *message = std::string(outputs[i].flag) + " " + outputs[i].path + " is the same file as " +
                 other.flag + " " + other.path + ": refusing to overwrite " + role;
      return true;
    };
    for (const NamedPath &input : inputs)
      if (clash(input, "an input"))
        return false;
    for (size_t j = i + 1; j < outputs.size(); ++j)
      if (clash(outputs[j], "another output"))
        return false;
  }
  return true;
}

} // namespace yan::tools
