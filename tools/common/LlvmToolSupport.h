//===- LlvmToolSupport.h - What yanc and yan-model-gen share ---*- C++ -*-===//
//
// The LLVM-based tools' counterpart of ToolSupport.h, header-only (the two
// tools link no common library of their own).
//
// One value per single-value option: LLVM's command-line library lets a cl::opt occur any number of times and
// keeps the last value, so "yanc -o a.yanb -o b.yanb" silently wrote b.yanb
// (issue 14). yanc and yan-model-gen (the LLVM-based tools) call this after
// parsing; the runtime tools parse by hand and refuse repeats themselves.
//
// Printable messages: errors quote bytes from the files read (tensor
// names, JSON strings, shapes); control bytes are escaped as \xNN so an
// error stays one line and cannot drive the terminal, and very long values
// are elided in the middle (a 100,000-dimension shape printed a 200 KB
// line), as the runtime does for its statuses (runtime/src/status.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TOOLS_COMMON_LLVMTOOLSUPPORT_H
#define YAN_TOOLS_COMMON_LLVMTOOLSUPPORT_H

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <cstdio>
#include <string>

namespace yan {

/// An error naming the first option of `category` given more than once,
/// lists (repeatable by design, e.g. --target) excepted.
inline llvm::Error checkRepeatedOptions(llvm::cl::OptionCategory &category) {
  for (auto &entry : llvm::cl::getRegisteredOptions()) {
    llvm::cl::Option *option = entry.getValue();
    bool ours = llvm::is_contained(option->Categories, &category);
    bool list = option->getNumOccurrencesFlag() == llvm::cl::ZeroOrMore ||
                option->getNumOccurrencesFlag() == llvm::cl::OneOrMore ||
                option->isPositional();
    if (ours && !list && option->getNumOccurrences() > 1)
      return llvm::createStringError(
          (option->ArgStr.size() == 1 ? "-" : "--") + option->ArgStr + " is given " + llvm::Twine(option->getNumOccurrences()) +
          " times: give it once");
  }
  return llvm::Error::success();
}

/// `message` with control bytes escaped and, beyond `limit` bytes, its
/// middle elided.
inline std::string printableMessage(llvm::StringRef message, size_t limit = 2000) {
  std::string out;
  auto append = [&](llvm::StringRef part) {
    for (char c : part) {
      auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte == 0x7f) {
        char escaped[5];
        std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
        out += escaped;
      } else {
        out += c;
      }
    }
  };
  if (message.size() <= limit) {
    append(message);
  } else {
    append(message.take_front(limit / 2));
    out += " [... " + std::to_string(message.size() - limit) + " bytes elided ...] ";
    append(message.take_back(limit / 2));
  }
  return out;
}

} // namespace yan

#endif // YAN_TOOLS_COMMON_LLVMTOOLSUPPORT_H
