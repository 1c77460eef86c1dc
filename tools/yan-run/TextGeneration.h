//===- TextGeneration.h - yan-run --text and --chat --------------*- C++ -*-===//
//
// Text in, text out through the bundle's tokenizer. A prompt starts a
// document: the context is the end-of-document id (what the model saw
// between training documents) followed by the prompt's ids; generation
// streams the continuation to stdout and stops at end-of-document or after
// --max-tokens. --chat does the same per line of standard input, keeping the
// recurrent state between turns (each answer's end-of-document is fed, so
// the next turn begins a new document in the same conversation).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TOOLS_YANRUN_TEXTGENERATION_H
#define YAN_TOOLS_YANRUN_TEXTGENERATION_H

#include "Sampling.h"
#include "yan/runtime.h"

#include <cstdio>
#include <string>

namespace yan::tools {

/// --text PROMPT: prints the continuation (then a newline). Returns the
/// exit code (0, or 1 after printing the error).
int runText(yan_bundle_t *bundle, yan_session_t *session, const char *bundlePath,
            const std::string &prompt, const SamplingFlags &flags);

/// --chat: one turn per line of `in` until end of input; prompts with "> "
/// on stderr when `in` is a terminal.
int runChat(yan_bundle_t *bundle, yan_session_t *session, const char *bundlePath, FILE *in,
            const SamplingFlags &flags);

} // namespace yan::tools

#endif // YAN_TOOLS_YANRUN_TEXTGENERATION_H
