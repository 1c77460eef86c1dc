//===- TextGeneration.cpp - yan-run --text and --chat ---------------------===//
#include "TextGeneration.h"

#include "TextSupport.h"
#include "ToolSupport.h"
#include "yan/tokenizer.h"

#include <unistd.h>
#include <vector>

namespace yan::tools {
namespace {

int fail(yan_status_t status) { return reportStatus("yan-run", status); }

/// The id that starts a document: end-of-document, else begin.
int32_t documentStart(const yan_tokenizer_t *tokenizer) {
  int32_t eos = yan_tokenizer_eos_id(tokenizer);
  return eos >= 0 ? eos : yan_tokenizer_bos_id(tokenizer);
}

/// Feeds `context`, then samples and streams up to flags.maxTokens ids,
/// stopping at end-of-document (which is not fed). Returns the exit code.
int continueText(yan_session_t *session, const yan_tokenizer_t *tokenizer,
                 const std::vector<int32_t> &context, const SamplingFlags &flags,
                 Sampler &sampler) {
  int64_t vocab = yan_tokenizer_vocab_size(tokenizer);
  std::vector<float> logits(context.size() * static_cast<size_t>(vocab));
  if (yan_status_t status =
          yan_session_prefill(session, context.data(), context.size(), logits.data()))
    return fail(status);
  std::vector<float> row(logits.end() - vocab, logits.end());
  int32_t eos = yan_tokenizer_eos_id(tokenizer);
  TextStream stream(tokenizer, stdout);
  for (long long step = 0; step < flags.maxTokens; ++step) {
    int32_t token = sampler.pick(row.data());
    if (token == eos)
      break;
    if (yan_status_t status = stream.add(token))
      return fail(status);
    if (yan_status_t status = yan_session_decode(session, token, row.data()))
      return fail(status);
  }
  if (yan_status_t status = stream.finish())
    return fail(status);
  if (stream.text().empty() || stream.text().back() != '\n')
    std::fputc('\n', stdout);
  std::fflush(stdout);
  return 0;
}

} // namespace

int runText(yan_bundle_t *bundle, yan_session_t *session, const char *bundlePath,
            const std::string &prompt, const SamplingFlags &flags) {
  const yan_tokenizer_t *tokenizer = requireTokenizer("yan-run", bundle, bundlePath);
  if (!tokenizer)
    return 1;
  std::vector<int32_t> ids;
  if (yan_status_t status = encodeText(tokenizer, prompt, &ids))
    return fail(status);
  ids.insert(ids.begin(), documentStart(tokenizer));
  Sampler sampler(flags, yan_tokenizer_vocab_size(tokenizer));
  return continueText(session, tokenizer, ids, flags, sampler);
}

int runChat(yan_bundle_t *bundle, yan_session_t *session, const char *bundlePath, FILE *in,
            const SamplingFlags &flags) {
  const yan_tokenizer_t *tokenizer = requireTokenizer("yan-run", bundle, bundlePath);
  if (!tokenizer)
    return 1;
  bool interactive = isatty(fileno(in));
  Sampler sampler(flags, yan_tokenizer_vocab_size(tokenizer));
  int32_t start = documentStart(tokenizer);
  std::string line;
  while (true) {
    if (interactive)
      std::fputs("> ", stderr);
    line.clear();
    int c;
    while ((c = std::fgetc(in)) != EOF && c != '\n')
      line.push_back(static_cast<char>(c));
    if (c == EOF && line.empty())
      return 0;
    std::vector<int32_t> ids;
    if (yan_status_t status = encodeText(tokenizer, line, &ids))
      return fail(status);
    // Every turn begins a new document (closing the previous answer, also
    // one cut by --max-tokens); the state keeps the conversation.
    ids.insert(ids.begin(), start);
    if (int code = continueText(session, tokenizer, ids, flags, sampler))
      return code;
    if (c == EOF)
      return 0;
  }
}

} // namespace yan::tools
