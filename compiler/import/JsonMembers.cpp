//===- JsonMembers.cpp - Ordered members of a JSON object -----------------===//

#include "compiler/import/JsonMembers.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

using namespace llvm;

namespace yan {
namespace {

Error scanError(size_t pos, const Twine &what) {
  return createStringError(inconvertibleErrorCode(), "malformed JSON at byte " +
                                                         Twine(pos) + ": " +
                                                         what);
}

bool isJsonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

class Scanner {
public:
  explicit Scanner(StringRef text) : text(text) {}

  Expected<std::vector<JsonMember>> members() {
    std::vector<JsonMember> result;
    skipSpace();
    if (!consume('{'))
      return scanError(pos, "expected '{'");
    skipSpace();
    if (consume('}'))
      return finish(std::move(result));
    while (true) {
      skipSpace();
      size_t keyStart = pos;
      if (Error err = skipString())
        return std::move(err);
      // The key token is itself a JSON string: let llvm::json decode escapes.
      Expected<json::Value> key = json::parse(text.slice(keyStart, pos));
      if (!key)
        return key.takeError();
      skipSpace();
      if (!consume(':'))
        return scanError(pos, "expected ':'");
      skipSpace();
      size_t valueStart = pos;
      if (Error err = skipValue(0))
        return std::move(err);
      result.push_back(
          {key->getAsString()->str(), text.slice(valueStart, pos)});
      skipSpace();
      if (consume('}'))
        return finish(std::move(result));
      if (!consume(','))
        return scanError(pos, "expected ',' or '}'");
    }
  }

private:
  // Bounds the recursion on input that did not come through parseJsonObject.
  static constexpr unsigned kMaxDepth = 64;

  Expected<std::vector<JsonMember>> finish(std::vector<JsonMember> result) {
    skipSpace();
    if (pos != text.size())
      return scanError(pos, "trailing characters after the object");
    return std::move(result);
  }

  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  void skipSpace() {
    while (pos < text.size() && isJsonSpace(text[pos]))
      ++pos;
  }

  Error skipString() {
    if (!consume('"'))
      return scanError(pos, "expected a string");
    while (pos < text.size()) {
      char c = text[pos++];
      if (c == '"')
        return Error::success();
      if (c == '\\')
        ++pos; // the escaped character (\uXXXX's digits are plain chars)
    }
    return scanError(pos, "unterminated string");
  }

  Error skipValue(unsigned depth) {
    if (depth > kMaxDepth)
      return scanError(pos, "nesting too deep");
    if (pos >= text.size())
      return scanError(pos, "expected a value");
    char c = text[pos];
    if (c == '"')
      return skipString();
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++pos;
      skipSpace();
      if (consume(close))
        return Error::success();
      while (true) {
        skipSpace();
        if (c == '{') {
          if (Error err = skipString())
            return err;
          skipSpace();
          if (!consume(':'))
            return scanError(pos, "expected ':'");
          skipSpace();
        }
        if (Error err = skipValue(depth + 1))
          return err;
        skipSpace();
        if (consume(close))
          return Error::success();
        if (!consume(','))
          return scanError(pos, "expected ',' or a closing bracket");
      }
    }
    // A number or a literal: runs until a delimiter.
    size_t start = pos;
    while (pos < text.size() && !isJsonSpace(text[pos]) && text[pos] != ',' &&
           text[pos] != '}' && text[pos] != ']')
      ++pos;
    if (pos == start)
      return scanError(pos, "expected a value");
    return Error::success();
  }

  StringRef text;
  size_t pos = 0;
};

// Nesting depth of `text`, counted without recursion: llvm::json::parse
// recurses once per level and would overflow the stack on hostile input, so
// this runs first. Brackets inside strings do not count.
bool nestsDeeperThan(StringRef text, unsigned limit) {
  unsigned depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit)
        return true;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// Deep nesting is legal JSON but no file of ours needs more than a few levels.
constexpr unsigned kMaxNestingDepth = 64;

} // namespace

Expected<ParsedJsonObject> parseJsonObject(StringRef text) {
  if (nestsDeeperThan(text, kMaxNestingDepth))
    return createStringError(inconvertibleErrorCode(),
                             "JSON nests deeper than " +
                                 Twine(kMaxNestingDepth) + " levels");
  Expected<json::Value> value = json::parse(text);
  if (!value)
    return createStringError(inconvertibleErrorCode(),
                             "invalid JSON: " + toString(value.takeError()));
  json::Object *object = value->getAsObject();
  if (!object)
    return createStringError(inconvertibleErrorCode(),
                             "the JSON value is not an object");
  Expected<std::vector<JsonMember>> members = scanObjectMembers(text);
  if (!members)
    return members.takeError();
  return ParsedJsonObject{std::move(*object), std::move(*members)};
}

Expected<std::vector<JsonMember>> scanObjectMembers(StringRef text) {
  return Scanner(text).members();
}

const JsonMember *findDuplicateKey(const std::vector<JsonMember> &members) {
  StringSet<> seen;
  for (const JsonMember &member : members)
    if (!seen.insert(member.key).second)
      return &member;
  return nullptr;
}

bool isJsonIntegerLiteral(StringRef raw) {
  raw.consume_front("-");
  return !raw.empty() &&
         llvm::all_of(raw, [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace yan
