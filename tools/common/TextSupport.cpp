//===- TextSupport.cpp - Text in and out for the runtime tools ------------===//
#include "TextSupport.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace yan::tools {

const yan_tokenizer_t *requireTokenizer(const char *tool, const yan_bundle_t *bundle,
                                        const char *bundlePath) {
  const yan_tokenizer_t *tokenizer = yan_bundle_tokenizer(bundle);
  if (!tokenizer)
    std::fprintf(stderr,
                 "%s: error: %s has no tokenizer (compile a model directory that has a "
                 "tokenizer.model); give token ids instead\n",
                 tool, bundlePath);
  return tokenizer;
}

yan_status_t encodeText(const yan_tokenizer_t *tokenizer, const std::string &text,
                        std::vector<int32_t> *ids) {
  // Usually fewer ids than bytes; when not (invalid UTF-8 becomes U+FFFD,
  // three byte pieces per byte), the first call says how many.
  size_t count = 0;
  ids->resize(text.size() + 4);
  yan_status_t status =
      yan_tokenizer_encode(tokenizer, text.data(), text.size(), ids->data(), ids->size(), &count);
  if (status && yan_status_code(status) == YAN_STATUS_RESOURCE_EXHAUSTED && count > ids->size()) {
    yan_status_free(status);
    ids->resize(count);
    status = yan_tokenizer_encode(tokenizer, text.data(), text.size(), ids->data(), ids->size(),
                                  &count);
  }
  if (!status)
    ids->resize(count);
  return status;
}

yan_status_t decodeIds(const yan_tokenizer_t *tokenizer, const std::vector<int32_t> &ids,
                       std::string *text) {
  size_t size = 0;
  yan_status_t status = yan_tokenizer_decode(tokenizer, ids.data(), ids.size(), nullptr, 0, &size);
  if (status && yan_status_code(status) != YAN_STATUS_RESOURCE_EXHAUSTED)
    return status;
  yan_status_free(status);
  text->resize(size);
  status = yan_tokenizer_decode(tokenizer, ids.data(), ids.size(), text->data(), size, &size);
  if (!status)
    text->resize(size);
  return status;
}

namespace {
/// How many of the last bytes of `bytes` start a UTF-8 character that more
/// bytes could still complete (0..3).
size_t incompleteTail(const std::vector<uint8_t> &bytes) {
  size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    uint8_t lead = bytes[n - back];
    if ((lead & 0xC0) == 0x80)
      continue; // a continuation byte: look further back for the lead
    size_t need = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3
                : (lead & 0xF8) == 0xF0 ? 4 : 1;
    return need > back ? back : 0;
  }
  return 0;
}
} // namespace

yan_status_t TextStream::add(int32_t id) {
  ids_.push_back(id);
  return print(false);
}

yan_status_t TextStream::finish() { return print(true); }

void TextStream::restart() {
  ids_.clear();
  text_.clear();
  printed_ = 0;
}

yan_status_t TextStream::print(bool all) {
  // The ids of a trailing run of byte pieces that is still an incomplete
  // character are held back: their decode changes once it completes.
  size_t held = 0;
  if (!all) {
    std::vector<uint8_t> tail;
    for (size_t i = ids_.size(); i > 0 && tail.size() < 4; --i) {
      uint8_t byte;
      if (!yan_tokenizer_is_byte_piece(tokenizer_, ids_[i - 1], &byte))
        break;
      tail.insert(tail.begin(), byte);
    }
    held = incompleteTail(tail);
  }
  std::vector<int32_t> stable(ids_.begin(), ids_.end() - static_cast<ptrdiff_t>(held));
  std::string text;
  if (yan_status_t status = decodeIds(tokenizer_, stable, &text))
    return status;
  // A prefix's decode is a prefix of the whole decode except for a held
  // byte run, which is excluded above.
  if (text.size() > printed_ && text.compare(0, printed_, text_, 0, printed_) == 0) {
    std::fwrite(text.data() + printed_, 1, text.size() - printed_, out_);
    std::fflush(out_);
    printed_ = text.size();
  }
  text_ = std::move(text);
  return nullptr;
}

bool readTextFile(const char *tool, const char *path, size_t maxBytes, std::string *out) {
  bool isStdin = std::strcmp(path, "-") == 0;
  int fd = isStdin ? STDIN_FILENO : ::open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "%s: error: cannot open '%s': %s\n", tool, path, std::strerror(errno));
    return false;
  }
  struct stat st;
  if (!isStdin && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
    std::fprintf(stderr, "%s: error: '%s' is not a regular file\n", tool, path);
    ::close(fd);
    return false;
  }
  if (!isStdin)
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  out->clear();
  char buffer[1 << 16];
  while (true) {
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      std::fprintf(stderr, "%s: error: reading '%s': %s\n", tool, path, std::strerror(errno));
      break;
    }
    if (got == 0) {
      if (!isStdin)
        ::close(fd);
      return true;
    }
    if (out->size() + static_cast<size_t>(got) > maxBytes) {
      std::fprintf(stderr, "%s: error: '%s' is larger than %zu bytes\n", tool, path, maxBytes);
      break;
    }
    out->append(buffer, static_cast<size_t>(got));
  }
  if (!isStdin)
    ::close(fd);
  return false;
}

} // namespace yan::tools
