//===- BenchFigures.cpp - The figures of a `yan-bench --json` file --------===//
#include "BenchFigures.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace yan::tools {

namespace {

bool number(const std::string &object, const char *key, double *out) {
  std::string quoted = std::string("\"") + key + "\"";
  size_t at = object.find(quoted);
  if (at == std::string::npos)
    return false;
  at = object.find(':', at + quoted.size());
  if (at == std::string::npos)
    return false;
  const char *start = object.c_str() + at + 1;
  char *end = nullptr;
  double value = std::strtod(start, &end);
  if (end == start || !std::isfinite(value) || value < 0)
    return false;
  *out = value;
  return true;
}

} // namespace

bool readBenchFigures(const char *path, std::vector<BenchRun> *runs, std::string *error) {
  FILE *file = std::fopen(path, "rb");
  if (!file) {
    *error = std::string("cannot read '") + path + "': " + std::strerror(errno);
    return false;
  }
  std::string text;
  char buffer[4096];
  size_t n;
  // yan-bench writes a few hundred bytes; anything past 1 MiB is not its file.
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0 && text.size() < (1u << 20))
    text.append(buffer, n);
  std::fclose(file);
  size_t at = text.find("\"runs\"");
  if (at == std::string::npos) {
    *error = std::string(path) + ": no \"runs\" (not yan-bench --json output)";
    return false;
  }
  size_t close = text.find(']', at);
  for (size_t open = text.find('{', at); open != std::string::npos && open < close;
       open = text.find('{', open + 1)) {
    size_t end = text.find('}', open);
    if (end == std::string::npos)
      break;
    std::string object = text.substr(open, end - open + 1);
    BenchRun run;
    if (!number(object, "threads", &run.threads) ||
        !number(object, "decode_tokens_per_s", &run.decodeTokensPerS) ||
        !number(object, "prefill_tokens_per_s", &run.prefillTokensPerS) ||
        !number(object, "memory_read_bytes_per_s", &run.memoryReadBytesPerS)) {
      *error = std::string(path) + ": a run lacks threads, decode_tokens_per_s, "
                                   "prefill_tokens_per_s or memory_read_bytes_per_s";
      return false;
    }
    // Optional: files from a yan-bench before the FMA probe lack it.
    number(object, "peak_flops_per_s", &run.peakFlopsPerS);
    runs->push_back(run);
  }
  if (runs->empty()) {
    *error = std::string(path) + ": no runs";
    return false;
  }
  return true;
}

} // namespace yan::tools
