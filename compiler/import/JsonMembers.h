//===- JsonMembers.h - Ordered members of a JSON object ---*- C++ -*-===//
//
// llvm::json::Object is a hash map: it forgets the order of keys and silently
// keeps the last of duplicate keys. Safetensors headers need the order (tensors
// are listed in header order) and both file formats must reject duplicates, so
// this scanner lists the members of a top-level object as written, with each
// value's raw text (which also tells "64" from "64.0").
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_JSONMEMBERS_H
#define YAN_COMPILER_IMPORT_JSONMEMBERS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include <string>
#include <vector>

namespace yan {

struct JsonMember {
  std::string key;          // decoded (escapes resolved)
  llvm::StringRef rawValue; // the value's text, a slice of the input
};

/// A parsed JSON object: the values by key, and the members as written.
struct ParsedJsonObject {
  llvm::json::Object object;
  std::vector<JsonMember> members;
};

/// Parses `text`, which must hold one JSON object. Errors say what is wrong
/// ("invalid JSON: [1:6, byte=6]: ...", "... is not an object", nesting too
/// deep); duplicate keys are left to the caller (see findDuplicateKey), which
/// knows what to call them.
llvm::Expected<ParsedJsonObject> parseJsonObject(llvm::StringRef text);

/// Lists the members of the JSON object `text`, in order, duplicates
/// included. Call it on text that llvm::json::parse accepted; it still fails
/// cleanly (never crashes) on anything else.
llvm::Expected<std::vector<JsonMember>> scanObjectMembers(llvm::StringRef text);

/// The first key that occurs twice, or nullptr.
const JsonMember *findDuplicateKey(const std::vector<JsonMember> &members);

/// Whether `raw` is a JSON integer literal: optional '-', digits, nothing else.
bool isJsonIntegerLiteral(llvm::StringRef raw);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_JSONMEMBERS_H
