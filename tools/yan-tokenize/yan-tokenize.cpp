//===- yan-tokenize.cpp - Encode or decode text with a bundle's tokenizer ===//
//
//   yan-tokenize BUNDLE --encode [FILE|-]   text (any bytes) -> "1,2,3\n"
//   yan-tokenize BUNDLE --decode [FILE|-]   "1,2,3" (commas and/or
//                                           whitespace) -> raw bytes
//
// The whole input is one text (newlines included), as
// SentencePieceProcessor::EncodeAsIds would see it. The bundle's FlatBuffer
// is verified but neither code nor weights are needed, so bundles for any
// architecture work and the weights are not hashed
// (YAN_BUNDLE_OPEN_NO_CODE | YAN_BUNDLE_OPEN_SKIP_DATA_HASHES).
// Exit status: 0 ok, 1 runtime or input error, 2 usage error.
//
//===----------------------------------------------------------------------===//
#include "ToolSupport.h"
#include "yan/runtime.h"
#include "yan/tokenizer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

const char kUsage[] =
    "usage: yan-tokenize BUNDLE (--encode|--decode) [FILE|-]\n"
    "  --encode  read text (any bytes; default stdin) and print its token ids\n"
    "            as one comma-separated line\n"
    "  --decode  read token ids (separated by commas and/or whitespace) and\n"
    "            write the decoded text to stdout as raw bytes\n";

int usage(const char *message) {
  std::fprintf(stderr, "yan-tokenize: error: %s\n%s", message, kUsage);
  return 2;
}

int fail(const std::string &message) {
  std::fprintf(stderr, "yan-tokenize: error: %s\n", message.c_str());
  return 1;
}

// Reads all of `path` ("-": stdin) into `out`.
bool readAll(const char *path, std::string *out, std::string *error) {
  bool isStdin = !std::strcmp(path, "-");
  FILE *file = isStdin ? stdin : std::fopen(path, "rb");
  if (!file) {
    *error = std::string("cannot open ") + path + ": " + std::strerror(errno);
    return false;
  }
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0)
    out->append(buffer, n);
  bool ok = !std::ferror(file);
  if (!ok)
    *error = std::string("cannot read ") + path + ": " + std::strerror(errno);
  if (!isStdin)
    std::fclose(file);
  return ok;
}

// "1, 2 3\n4" -> {1, 2, 3, 4}; false (with a message) on anything else.
bool parseIds(const std::string &text, std::vector<int32_t> *ids, std::string *error) {
  size_t i = 0;
  auto isSeparator = [](char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (i < text.size()) {
    if (isSeparator(text[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && !isSeparator(text[i]))
      ++i;
    std::string token = text.substr(start, i - start);
    long long value;
    if (!yan::tools::parseInt(token.c_str(), INT32_MIN, INT32_MAX, &value)) {
      *error = "'" + token + "' at byte " + std::to_string(start) + " is not a token id";
      return false;
    }
    ids->push_back(static_cast<int32_t>(value));
  }
  return true;
}

int encode(const yan_tokenizer_t *tokenizer, const std::string &text) {
  std::vector<int32_t> ids(text.size() + 4); // a first guess; encode says what it needs
  size_t count = 0;
  yan_status_t status =
      yan_tokenizer_encode(tokenizer, text.data(), text.size(), ids.data(), ids.size(), &count);
  if (status && yan_status_code(status) == YAN_STATUS_RESOURCE_EXHAUSTED && count > ids.size()) {
    yan_status_free(status);
    ids.resize(count);
    status = yan_tokenizer_encode(tokenizer, text.data(), text.size(), ids.data(), ids.size(),
                                  &count);
  }
  if (status)
    return yan::tools::reportStatus("yan-tokenize", status);
  std::string line;
  for (size_t i = 0; i < count; ++i)
    line += (i ? "," : "") + std::to_string(ids[i]);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  return 0;
}

int decode(const yan_tokenizer_t *tokenizer, const std::string &input) {
  std::vector<int32_t> ids;
  std::string error;
  if (!parseIds(input, &ids, &error))
    return fail(error);
  size_t size = 0;
  yan_status_t status = yan_tokenizer_decode(tokenizer, ids.data(), ids.size(), nullptr, 0, &size);
  if (status && yan_status_code(status) != YAN_STATUS_RESOURCE_EXHAUSTED)
    return yan::tools::reportStatus("yan-tokenize", status);
  yan_status_free(status);
  std::string text(size, '\0');
  status = yan_tokenizer_decode(tokenizer, ids.data(), ids.size(), &text[0], text.size(), &size);
  if (status)
    return yan::tools::reportStatus("yan-tokenize", status);
  std::fwrite(text.data(), 1, size, stdout);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  const char *bundlePath = nullptr, *inputPath = nullptr;
  int mode = 0; // 1 encode, 2 decode
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    if (!std::strcmp(arg, "-h") || !std::strcmp(arg, "--help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!std::strcmp(arg, "--encode") || !std::strcmp(arg, "--decode")) {
      if (mode)
        return usage("give exactly one of --encode and --decode");
      mode = arg[2] == 'e' ? 1 : 2;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return usage((std::string("unknown option ") + arg).c_str());
    } else if (!bundlePath) {
      bundlePath = arg;
    } else if (!inputPath) {
      inputPath = arg;
    } else {
      return usage("too many arguments");
    }
  }
  if (!bundlePath)
    return usage("no bundle given");
  if (!mode)
    return usage("give --encode or --decode");
  std::string input, error;
  if (!readAll(inputPath ? inputPath : "-", &input, &error))
    return fail(error);
  yan_bundle_open_options_t options = {};
  options.flags = YAN_BUNDLE_OPEN_NO_CODE | YAN_BUNDLE_OPEN_SKIP_DATA_HASHES;
  yan_bundle_t *bundle = nullptr;
  if (yan_status_t status =
          yan_bundle_open_file(bundlePath, &options, yan_allocator_system(), &bundle))
    return yan::tools::reportStatus("yan-tokenize", status);
  int result;
  if (const yan_tokenizer_t *tokenizer = yan_bundle_tokenizer(bundle))
    result = mode == 1 ? encode(tokenizer, input) : decode(tokenizer, input);
  else
    result = fail(std::string(bundlePath) +
                  " has no tokenizer (compile a model directory with a tokenizer.model)");
  yan_bundle_release(bundle);
  return std::fflush(stdout) == 0 ? result : fail("cannot write to stdout");
}
