//===- yan-perplexity.cpp - How well a bundle predicts a text file --------===//
//
//   yan-perplexity BUNDLE FILE [--delta D] [--json] [--threads N]
//                  [--chunk N] [--trust KEY.pub]
//
// Encodes FILE with the bundle's tokenizer and scores every token of it: the
// context starts with the end-of-document id (the model saw documents
// separated by it, so it is the state "a document begins"; the begin id when
// the tokenizer has no end id), the recurrent state carries across the whole
// file, and the prompt is fed through prefill in chunks. Prints the total
// cross-entropy as bits_per_byte (bits over the file's bytes: independent of
// the tokenizer), perplexity (per token), tokens and bytes, like llama.cpp's
// perplexity tool. test/reference/perplexity.py computes the same with the
// PyTorch reference.
//
// Exit status: 0 ok, 1 runtime error, 2 usage error.
//
//===----------------------------------------------------------------------===//
#include "TextSupport.h"
#include "ToolSupport.h"
#include "yan/runtime.h"
#include "yan/tokenizer.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr size_t kMaxFileBytes = size_t(1) << 30;

struct Options {
  const char *bundle = nullptr;
  const char *file = nullptr;
  const char *delta = nullptr;
  bool json = false;
  long long threads = 0;
  long long chunk = 256;
  std::vector<yan_public_key_t> trustedKeys;
  std::vector<yan_public_key_t> trustedDeltaKeys; // --trust-delta (repeatable)
};

const char kUsage[] =
    "usage: yan-perplexity BUNDLE FILE [--delta D] [--json] [--threads N] [--chunk N]\n"
    "                      [--trust KEY.pub]\n"
    "  Scores every token of FILE (encoded with the bundle's tokenizer; '-' reads\n"
    "  standard input) and prints bits_per_byte, perplexity, tokens and bytes.\n"
    "  --delta D: with the learned weights of delta file D\n"
    "  --json: one JSON object instead of text\n"
    "  --threads N: threads of the session (default 0 = online cores)\n"
    "  --chunk N: tokens per prefill call (default 256)\n"
    "  --trust KEY.pub: accept only bundles (and deltas) signed by this key\n";

int usage(const char *message) {
  if (message) {
    std::fprintf(stderr, "yan-perplexity: error: %s\n%s", message, kUsage);
    return 2;
  }
  std::fputs(kUsage, stdout);
  return 0;
}

int fail(yan_status_t status) { return yan::tools::reportStatus("yan-perplexity", status); }

int parseArgs(int argc, char **argv, Options *o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : nullptr;
    bool takesValue = arg == "--delta" || arg == "--threads" || arg == "--chunk" ||
                      arg == "--trust" || arg == "--trust-delta";
    if (takesValue && !value)
      return usage((arg + " needs a value").c_str());
    if (arg == "-h" || arg == "--help") {
      usage(nullptr);
      std::exit(0);
    } else if (arg == "--json") {
      o->json = true;
    } else if (arg == "--delta") {
      if (o->delta)
        return usage("--delta is given twice");
      o->delta = argv[++i];
    } else if (arg == "--threads") {
      if (!yan::tools::parseInt(argv[++i], 0, 1024, &o->threads))
        return usage("--threads takes an integer in [0, 1024] (0 = online cores)");
    } else if (arg == "--chunk") {
      if (!yan::tools::parseInt(argv[++i], 1, 1 << 20, &o->chunk))
        return usage("--chunk takes an integer in [1, 1048576]");
    } else if (arg == "--trust") {
      if (!yan::tools::addTrustedKey("yan-perplexity", argv[++i], &o->trustedKeys))
        return 1;
    } else if (arg == "--trust-delta") {
      if (!yan::tools::addTrustedKey("yan-perplexity", argv[++i], &o->trustedDeltaKeys))
        return 1;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage(("unknown option " + arg).c_str());
    } else if (!o->bundle) {
      o->bundle = argv[i];
    } else if (!o->file) {
      o->file = argv[i];
    } else {
      return usage("give one bundle and one file");
    }
  }
  if (!o->bundle || !o->file)
    return usage("give a bundle and a text file");
  return 0;
}

struct Score {
  double nats = 0.0; // sum of -log p(token)
  size_t tokens = 0;
};

/// -log softmax(row)[target] in double; NaN when the row is not finite.
double tokenLoss(const float *row, int64_t vocab, int32_t target) {
  double top = -INFINITY;
  for (int64_t v = 0; v < vocab; ++v) {
    if (!std::isfinite(row[v]))
      return NAN;
    top = std::max(top, static_cast<double>(row[v]));
  }
  double sum = 0.0;
  for (int64_t v = 0; v < vocab; ++v)
    sum += std::exp(static_cast<double>(row[v]) - top);
  return std::log(sum) + top - static_cast<double>(row[target]);
}

/// Feeds context[0..n-2] in chunks and scores context[1..n-1]. Returns 0,
/// or 1 after printing the error.
int scoreTokens(yan_session_t *session, int64_t vocab, const std::vector<int32_t> &context,
                         size_t chunk, Score *score) {
  std::vector<float> logits(chunk * static_cast<size_t>(vocab));
  for (size_t begin = 0; begin + 1 < context.size(); begin += chunk) {
    size_t n = std::min(chunk, context.size() - 1 - begin);
    if (yan_status_t status = yan_session_prefill(session, context.data() + begin, n, logits.data()))
      return fail(status);
    for (size_t t = 0; t < n; ++t) {
      double loss = tokenLoss(logits.data() + t * static_cast<size_t>(vocab), vocab,
                              context[begin + t + 1]);
      if (!std::isfinite(loss)) {
        std::fprintf(stderr, "yan-perplexity: error: the logits at token %zu are not finite\n",
                     begin + t);
        return 1;
      }
      score->nats += loss;
      ++score->tokens;
    }
  }
  return 0;
}

void printResult(const Options &o, size_t bytes, const Score &score, double seconds) {
  double bitsPerByte = score.nats / std::log(2.0) / static_cast<double>(bytes);
  double natsPerToken = score.nats / static_cast<double>(score.tokens);
  double perplexity = std::exp(natsPerToken);
  double tokensPerSecond = seconds > 0 ? static_cast<double>(score.tokens) / seconds : 0.0;
  if (o.json) {
    std::printf("{\"bits_per_byte\": %.9g, \"perplexity\": %.9g, \"nats_per_token\": %.9g, "
                "\"tokens\": %zu, \"bytes\": %zu, \"tokens_per_s\": %.1f}\n",
                bitsPerByte, perplexity, natsPerToken, score.tokens, bytes, tokensPerSecond);
    return;
  }
  std::printf("bits_per_byte: %.6f\nperplexity: %.4f\nnats_per_token: %.6f\n"
              "tokens: %zu\nbytes: %zu\ntokens_per_s: %.1f\n",
              bitsPerByte, perplexity, natsPerToken, score.tokens, bytes, tokensPerSecond);
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (int code = parseArgs(argc, argv, &o))
    return code;
  std::string text;
  if (!yan::tools::readTextFile("yan-perplexity", o.file, kMaxFileBytes, &text))
    return 1;
  if (text.empty()) {
    std::fprintf(stderr, "yan-perplexity: error: '%s' is empty: nothing to score\n", o.file);
    return 1;
  }
  yan_bundle_open_options_t options =
      yan::tools::openOptions(0, o.trustedKeys, o.trustedDeltaKeys);
  options.delta_path = o.delta;
  yan_bundle_t *bundle = nullptr;
  if (yan_status_t status = yan_bundle_open_file(o.bundle, &options, yan_allocator_system(), &bundle))
    return fail(status);
  int code = 1;
  yan_session_t *session = nullptr;
  yan_session_options_t sessionOptions{static_cast<uint32_t>(o.threads)};
  const yan_tokenizer_t *tokenizer = yan::tools::requireTokenizer("yan-perplexity", bundle, o.bundle);
  std::vector<int32_t> ids;
  if (tokenizer) {
    int32_t start = yan_tokenizer_eos_id(tokenizer);
    if (start < 0)
      start = yan_tokenizer_bos_id(tokenizer);
    if (yan_status_t status = yan::tools::encodeText(tokenizer, text, &ids)) {
      code = fail(status);
    } else if (start < 0) {
      std::fprintf(stderr, "yan-perplexity: error: the tokenizer has neither an end-of-document "
                           "nor a begin id to start the context with\n");
    } else if (yan_status_t status = yan_session_create_with_options(bundle, nullptr,
                                                                     &sessionOptions, &session)) {
      code = fail(status);
    } else {
      ids.insert(ids.begin(), start);
      yan_model_config_t config;
      yan_bundle_config(bundle, &config);
      Score score;
      double begin = yan::tools::nowSeconds();
      code = scoreTokens(session, config.vocab_size, ids, static_cast<size_t>(o.chunk), &score);
      if (code == 0)
        printResult(o, text.size(), score, yan::tools::nowSeconds() - begin);
    }
  }
  yan_session_destroy(session);
  yan_bundle_release(bundle);
  return code;
}
