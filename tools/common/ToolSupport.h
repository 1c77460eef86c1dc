//===- ToolSupport.h - What the runtime tools share --------------*- C++ -*-===//
//
// yan-run and yan-bench link only the runtime (they cross-compile), so they
// cannot use LLVM's command-line library; these are the few helpers they
// share instead of each writing its own.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TOOLS_COMMON_TOOLSUPPORT_H
#define YAN_TOOLS_COMMON_TOOLSUPPORT_H

#include "yan/runtime.h"

#include <string>
#include <vector>

namespace yan::tools {

/// Parses a whole decimal integer in [min, max].
bool parseInt(const char *text, long long min, long long max, long long *out);

/// Parses comma-separated int32 token ids ("1,2,3"), appending to `out`.
bool parseTokenList(const char *text, std::vector<int32_t> *out);

/// Parses a whole finite floating-point number (strtod syntax).
bool parseDouble(const char *text, double *out);

/// Prints "TOOL: error: MESSAGE [CODE]", frees `status`, returns 1 (the
/// tools' exit code for runtime errors).
int reportStatus(const char *tool, yan_status_t status);

/// --trust KEY.pub: reads the public key into `keys`; on failure prints
/// "TOOL: error: ..." and returns false (exit 1).
bool addTrustedKey(const char *tool, const char *path, std::vector<yan_public_key_t> *keys);

/// Open options with `flags`, the trusted keys (none: development mode) and
/// the keys deltas must be signed by (--trust-delta; in trusted mode, a
/// delta needs one of them).
yan_bundle_open_options_t openOptions(uint32_t flags,
                                      const std::vector<yan_public_key_t> &keys,
                                      const std::vector<yan_public_key_t> &deltaKeys = {});

/// One file a tool writes (`flag` PATH) or reads.
struct NamedPath {
  const char *flag; // "--dump-logits", "the bundle"
  const char *path; // NULL: not given
};

/// The first output that is the same file as an input or as another output
/// (device and inode, not names: links and "./x" are caught; outputs that
/// do not exist yet alias nothing): "FLAG PATH is also FLAG2 PATH2: ..." in
/// `message`, and false. Writing a bundle in use truncates its mapping
/// (SIGBUS), and an output over an input destroys it (issue 14).
bool outputsAreDistinct(const std::vector<NamedPath> &outputs,
                        const std::vector<NamedPath> &inputs, std::string *message);

/// `text` as a JSON string literal, quotes included (names and paths come
/// from files and command lines: everything is escaped).
std::string jsonQuote(const char *text);

/// A monotonic clock in seconds.
double nowSeconds();

} // namespace yan::tools

#endif // YAN_TOOLS_COMMON_TOOLSUPPORT_H
