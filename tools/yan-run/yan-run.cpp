//===- yan-run.cpp - Run a Yan bundle -------------------------------------===//
//
//   yan-run BUNDLE --prompt 1,2,3 [--max-tokens N] [--temperature T --top-k K
//           --seed S] [--dump-logits FILE] [--skip-data-hashes]
//   yan-run BUNDLE --learn 5,6,7,... [--steps N] [--lr X] [--optimizer sgd|adamw]
//           [...] [--save-delta PATH] [--prompt ...]      (Learning.h)
//   yan-run BUNDLE --delta PATH --prompt 1,2,3 ...
//   yan-run BUNDLE --text "PROMPT" | --chat    (TextGeneration.h)
//   yan-run BUNDLE --learn-text "SENTENCE" [--delta D] --save-delta D
//   yan-run BUNDLE --selftest [--skip-data-hashes]
//
// Learning runs first, on the same session, so a --prompt in the same
// invocation sees the updated weights.
//
// Generation prefills the prompt, then picks and feeds N tokens (greedy by
// default: argmax, ties to the lowest id), printing the ids and tokens/s.
// --dump-logits writes raw little-endian float32 rows of V, one per evaluated
// position: each prompt position, then each generated (fed) token — the
// layout of test/reference/golden.py.
//
// --selftest replays the bundle's embedded test vectors: identical greedy
// tokens and max |a-b| / max(|b|, 1e-3) <= 1e-4 over all logits (and states
// when recorded).
//
// Only the runtime's C API is used (no LLVM), so the tool cross-compiles.
// Exit status: 0 ok, 1 runtime/selftest failure, 2 usage error.
//
//===----------------------------------------------------------------------===//
#include "Learning.h"
#include "Sampling.h"
#include "TextGeneration.h"
#include "ToolSupport.h"
#include "yan/runtime.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

constexpr double kTolerance = 1e-4;

struct Options {
  const char *bundle = nullptr;
  std::vector<int32_t> prompt;
  bool havePrompt = false;
  const char *text = nullptr; // --text PROMPT
  bool chat = false;          // --chat
  yan::tools::SamplingFlags sampling; // --max-tokens --temperature --top-k --seed
  const char *dumpLogits = nullptr;
  bool samplingOnly = false; // --top-k or --seed given: they need --temperature
  bool selftest = false;
  bool skipDataHashes = false;
  bool cpuInfo = false;
  long long threads = 0; // 0 = online cores
  bool stats = false;
  std::vector<yan_public_key_t> trustedKeys; // --trust (repeatable)
  std::vector<yan_public_key_t> trustedDeltaKeys; // --trust-delta (repeatable)
  const char *delta = nullptr;               // --delta PATH
  yan::tools::LearnFlags learn;
};

int usage(const char *message) {
  // --help is an answer (stdout, exit 0); a usage error goes to stderr.
  FILE *out = message ? stderr : stdout;
  if (message)
    std::fprintf(stderr, "yan-run: error: %s\n", message);
  std::fprintf(out,
               "usage: yan-run BUNDLE --prompt IDS [--max-tokens N] [--temperature T]\n"
               "               [--top-k K] [--seed S] [--dump-logits FILE]\n"
               "       yan-run BUNDLE --learn IDS [--steps N] [--optimizer sgd|adamw] [--lr X]\n"
               "               [--momentum M] [--beta1 B] [--beta2 B] [--eps E]\n"
               "               [--weight-decay W] [--clip C] [--learn-partitions M]\n"
               "               [--save-delta PATH [--sign-key KEY]] [--learn-report FILE.json]\n"
               "               [--dump-gradients PREFIX] [--dump-partitions FILE]\n"
               "               [--prompt IDS ...]\n"
               "       yan-run BUNDLE --text \"PROMPT\" [--max-tokens N] [sampling flags]\n"
               "       yan-run BUNDLE --chat [--max-tokens N] [sampling flags]\n"
               "       yan-run BUNDLE --learn-text \"SENTENCE\" [--delta D] --save-delta D\n"
               "       yan-run BUNDLE --delta PATH --prompt IDS ...\n"
               "       yan-run BUNDLE --selftest\n"
               "       yan-run --cpu-info   (architecture and CPU features the runtime sees)\n"
               "  IDS: comma-separated token ids, e.g. 1,2,3\n"
               "  --skip-data-hashes: do not hash weights/test data at open\n"
               "  --threads N: threads per session (default 0 = online cores)\n"
               "  --stats: print routing statistics after generating\n"
               "  --trust KEY.pub: accept only bundles signed by this key (repeatable)\n"
               "  --trust-delta KEY.pub: accept only deltas signed by this key (repeatable;\n"
               "    with --trust, a delta needs one)\n");
  return 2;
}

int fail(yan_status_t status) { return yan::tools::reportStatus("yan-run", status); }

using yan::tools::parseInt;

/// A prompt: a non-empty token list.
bool parseTokens(const char *text, std::vector<int32_t> *out) {
  return yan::tools::parseTokenList(text, out) && !out->empty();
}

/// The argument at argv[i] (i moves past its value): 0 when it is taken,
/// else the exit code.
int parseArg(int argc, char **argv, int &i, Options *o) {
  std::string arg = argv[i];
  const char *value = i + 1 < argc ? argv[i + 1] : nullptr;
  auto needValue = [&](const char *name) {
    if (!value) {
      std::string message = std::string(name) + " needs a value";
      usage(message.c_str());
      return false;
    }
    ++i;
    return true;
  };
  long long number;
  if (int learn = yan::tools::parseLearnFlag(argc, argv, i, &o->learn, usage))
    return learn == 2 ? 2 : 0;
  static const char *const kTakesValue[] = {
      "--prompt",      "--text",  "--max-tokens", "--temperature", "--top-k",  "--seed",
      "--dump-logits", "--delta", "--trust",      "--trust-delta", "--threads"};
  for (const char *flag : kTakesValue)
    if (arg == flag && !needValue(flag))
      return 2;
  // A flag that names one file, given once.
  auto once = [&](const char **field) {
    if (*field)
      return usage((arg + " is given twice").c_str());
    *field = value;
    return 0;
  };
  if (arg == "--prompt") {
    if (o->havePrompt)
      return usage("--prompt is given twice");
    if (!parseTokens(value, &o->prompt))
      return usage("--prompt takes comma-separated integer token ids");
    o->havePrompt = true;
  } else if (arg == "--text") {
    return once(&o->text);
  } else if (arg == "--chat") {
    o->chat = true;
  } else if (arg == "--max-tokens") {
    if (!parseInt(value, 0, INT32_MAX, &o->sampling.maxTokens))
      return usage("--max-tokens takes an integer >= 0");
  } else if (arg == "--temperature") {
    char *end = nullptr;
    o->sampling.temperature = std::strtod(value, &end);
    if (!*value || *end || !(o->sampling.temperature >= 0.0) || !std::isfinite(o->sampling.temperature))
      return usage("--temperature takes a number >= 0");
  } else if (arg == "--top-k") {
    if (!parseInt(value, 0, INT32_MAX, &o->sampling.topK))
      return usage("--top-k takes an integer >= 0");
    o->samplingOnly = true;
  } else if (arg == "--seed") {
    if (!parseInt(value, 0, INT64_MAX, &number))
      return usage("--seed takes an integer >= 0");
    o->sampling.seed = static_cast<unsigned long long>(number);
    o->samplingOnly = true;
  } else if (arg == "--dump-logits") {
    return once(&o->dumpLogits);
  } else if (arg == "--delta") {
    return once(&o->delta);
  } else if (arg == "--selftest") {
    o->selftest = true;
  } else if (arg == "--skip-data-hashes") {
    o->skipDataHashes = true;
  } else if (arg == "--trust") {
    if (!yan::tools::addTrustedKey("yan-run", value, &o->trustedKeys))
      return 1;
  } else if (arg == "--trust-delta") {
    if (!yan::tools::addTrustedKey("yan-run", value, &o->trustedDeltaKeys))
      return 1;
  } else if (arg == "--stats") {
    o->stats = true;
  } else if (arg == "--threads") {
    if (!parseInt(value, 0, 1024, &o->threads))
      return usage("--threads takes an integer in [0, 1024] (0 = online cores)");
  } else if (arg == "--cpu-info") {
    o->cpuInfo = true;
  } else if (arg == "-h" || arg == "--help") {
    usage(nullptr);
    std::exit(0);
  } else if (!arg.empty() && arg[0] == '-') {
    std::string message = "unknown option " + arg;
    return usage(message.c_str());
  } else if (!o->bundle) {
    o->bundle = argv[i];
  } else {
    return usage("more than one bundle given");
  }
  return 0;
}

/// What holds only for flags together, once all are read.
int checkArgs(Options *o) {
  if (o->cpuInfo)
    return o->bundle || o->havePrompt || o->selftest ? usage("--cpu-info takes no bundle") : 0;
  if (!o->bundle)
    return usage("no bundle given");
  if (int code = yan::tools::checkLearnFlags(o->learn, usage))
    return code;
  if (o->selftest && (o->learn.learn || o->delta))
    return usage("--selftest replays the base model's test vectors: not with --learn or "
                 "--delta");
  if (o->samplingOnly && o->sampling.temperature == 0.0)
    return usage("--top-k and --seed shape sampling: give --temperature > 0 "
                 "(greedy decoding uses neither)");
  int modes = o->selftest + o->havePrompt + (o->text != nullptr) + o->chat;
  if (modes > 1)
    return usage("give one of --prompt, --text, --chat and --selftest");
  if ((o->text || o->chat) && o->dumpLogits)
    return usage("--dump-logits goes with --prompt");
  bool learning = o->learn.learn || o->learn.saveDelta || o->learn.dumpPartitions;
  if (!modes && !learning)
    return usage("give --prompt, --text, --chat, --learn, --learn-text or --selftest");
  // Outputs never replace the bundle in use or the delta read (--save-delta
  // D with --delta D is the one exception: it saves what D became).
  std::vector<yan::tools::NamedPath> dumps = {{"--dump-logits", o->dumpLogits},
                                               {"--learn-report", o->learn.report},
                                               {"--dump-partitions", o->learn.dumpPartitions}};
  // --dump-gradients PREFIX writes PREFIX.s.f32 for every step s.
  std::vector<std::string> gradientFiles;
  if (o->learn.dumpGradients)
    for (uint32_t s = 0; s < std::max(o->learn.options.steps, 1u); ++s)
      gradientFiles.push_back(std::string(o->learn.dumpGradients) + "." + std::to_string(s) +
                              ".f32");
  for (const std::string &file : gradientFiles)
    dumps.push_back({"--dump-gradients", file.c_str()});
  std::vector<yan::tools::NamedPath> outputs = dumps;
  outputs.push_back({"--save-delta", o->learn.saveDelta});
  std::string clash;
  if (!yan::tools::outputsAreDistinct(outputs, {{"the bundle", o->bundle}}, &clash) ||
      !yan::tools::outputsAreDistinct(dumps, {{"--delta", o->delta}}, &clash))
    return usage(clash.c_str());
  return 0;
}

// Returns 0 to continue, else an exit code.
int parseArgs(int argc, char **argv, Options *o) {
  for (int i = 1; i < argc; ++i)
    if (int code = parseArg(argc, argv, i, o))
      return code;
  return checkArgs(o);
}

struct BundleHandle {
  yan_bundle_t *bundle = nullptr;
  yan_session_t *session = nullptr;
  ~BundleHandle() {
    yan_session_destroy(session);
    yan_bundle_release(bundle);
  }
};

yan_status_t openSession(const Options &o, BundleHandle *h) {
  yan_bundle_open_options_t options = yan::tools::openOptions(
      o.skipDataHashes ? uint32_t(YAN_BUNDLE_OPEN_SKIP_DATA_HASHES) : 0u, o.trustedKeys,
      o.trustedDeltaKeys);
  options.delta_path = o.delta;
  yan_status_t status =
      yan_bundle_open_file(o.bundle, &options, yan_allocator_system(), &h->bundle);
  if (status)
    return status;
  yan_session_options_t session{static_cast<uint32_t>(o.threads)};
  return yan_session_create_with_options(h->bundle, nullptr, &session, &h->session);
}

// Routing statistics: a histogram of routed partitions per layer, the grouped
// prefill multiplications, and the weight bytes a decode token reads.
void printStats(const BundleHandle &h) {
  yan_session_stats_t s;
  yan_session_stats(h.session, &s);
  std::printf("threads: %u\n", yan_session_threads(h.session));
  std::printf("tokens: %llu prefill, %llu decode\n",
              static_cast<unsigned long long>(s.prefill_tokens),
              static_cast<unsigned long long>(s.decode_tokens));
  std::printf("weight bytes read per decode token: %llu\n",
              static_cast<unsigned long long>(yan_bundle_weight_bytes_per_token(h.bundle)));
  for (int64_t l = 0; l < s.num_layers; ++l) {
    const uint64_t *tokens = s.partition_tokens + l * s.num_partitions;
    const uint64_t *groups = s.partition_groups + l * s.num_partitions;
    int64_t used = 0;
    uint64_t groupCalls = 0;
    for (int64_t p = 0; p < s.num_partitions; ++p) {
      used += tokens[p] > 0;
      groupCalls += groups[p];
    }
    std::printf("layer %lld: %lld of %lld partitions used, %llu prefill partition groups; "
                "tokens per partition:",
                static_cast<long long>(l), static_cast<long long>(used),
                static_cast<long long>(s.num_partitions),
                static_cast<unsigned long long>(groupCalls));
    for (int64_t p = 0; p < s.num_partitions; ++p)
      std::printf(" %llu", static_cast<unsigned long long>(tokens[p]));
    std::printf("\n");
  }
}

int generate(const Options &o, const BundleHandle &h) {
  yan_model_config_t config;
  yan_bundle_config(h.bundle, &config);
  const int64_t vocab = config.vocab_size;
  const size_t n = o.prompt.size();

  FILE *dump = nullptr;
  if (o.dumpLogits && !(dump = std::fopen(o.dumpLogits, "wb"))) {
    std::fprintf(stderr, "yan-run: error: cannot write '%s': %s\n", o.dumpLogits,
                 std::strerror(errno));
    return 1;
  }
  auto writeRows = [&](const float *rows, size_t count) {
    return !dump || std::fwrite(rows, sizeof(float) * static_cast<size_t>(vocab), count, dump) == count;
  };

  // The prompt's logits are kept in memory (one row per position): refuse a
  // prompt whose rows would not fit rather than fail to allocate them.
  constexpr size_t kMaxPromptLogitsBytes = size_t(1) << 30;
  if (n > kMaxPromptLogitsBytes / sizeof(float) / static_cast<size_t>(vocab)) {
    if (dump)
      std::fclose(dump);
    std::fprintf(stderr,
                 "yan-run: error: a %zu-token prompt needs %zu rows of %lld logits, more "
                 "than yan-run's %zu-byte limit; give at most %zu tokens\n",
                 n, n, static_cast<long long>(vocab), kMaxPromptLogitsBytes,
                 kMaxPromptLogitsBytes / sizeof(float) / static_cast<size_t>(vocab));
    return 1;
  }
  std::vector<float> logits(n * static_cast<size_t>(vocab));
  double start = yan::tools::nowSeconds();
  yan_status_t status = yan_session_prefill(h.session, o.prompt.data(), n, logits.data());
  double prefillSeconds = yan::tools::nowSeconds() - start;
  if (status) {
    if (dump)
      std::fclose(dump);
    return fail(status);
  }
  bool ok = writeRows(logits.data(), n);

  yan::tools::Sampler sampler(o.sampling, vocab);
  std::vector<float> row(logits.end() - vocab, logits.end());
  std::vector<int32_t> generated;
  double decodeSeconds = 0.0;
  for (long long step = 0; step < o.sampling.maxTokens && ok; ++step) {
    int32_t token = sampler.pick(row.data());
    generated.push_back(token);
    start = yan::tools::nowSeconds();
    status = yan_session_decode(h.session, token, row.data());
    decodeSeconds += yan::tools::nowSeconds() - start;
    if (status)
      break;
    ok = writeRows(row.data(), 1);
  }
  if (dump && std::fclose(dump) != 0)
    ok = false;
  if (!ok) {
    yan_status_free(status);
    std::fprintf(stderr, "yan-run: error: writing '%s' failed\n", o.dumpLogits);
    return 1;
  }
  std::printf("generated:");
  for (int32_t token : generated)
    std::printf(" %d", token);
  std::printf("\n");
  if (status)
    return fail(status);
  std::printf("prefill: %zu tokens in %.3f ms (%.1f tokens/s)\n", n, prefillSeconds * 1e3,
              prefillSeconds > 0 ? static_cast<double>(n) / prefillSeconds : 0.0);
  if (!generated.empty())
    std::printf("decode: %zu tokens in %.3f ms (%.1f tokens/s)\n", generated.size(),
                decodeSeconds * 1e3,
                decodeSeconds > 0 ? static_cast<double>(generated.size()) / decodeSeconds : 0.0);
  if (o.stats)
    printStats(h);
  return 0;
}

// max_i |a_i - b_i| / max(max_i |b_i|, 1e-3): the error relative to the
// scale of the expected values, the tolerance metric of the project's
// numerics tests (test/e2e/test_numerics.py). NaN anywhere -> infinity.
double relativeError(const float *actual, const float *expected, size_t count) {
  double worstError = 0.0, scale = 1e-3;
  for (size_t i = 0; i < count; ++i) {
    double b = expected[i];
    double error = std::fabs(static_cast<double>(actual[i]) - b);
    if (std::isnan(error))
      return INFINITY;
    worstError = std::max(worstError, error);
    scale = std::max(scale, std::fabs(b));
  }
  return worstError / scale;
}

// Runs one test vector; prints its verdict; returns true when it passes.
bool selftestVector(const BundleHandle &h, const yan_test_vector_t &t, int64_t vocab,
                    uint64_t stateFloats) {
  const char *name = *t.name ? t.name : "(unnamed)";
  yan_session_reset(h.session);
  const size_t v = static_cast<size_t>(vocab);
  // Every evaluated row, in the expected layout, compared at the end as one
  // array (the same metric as the end-to-end tests).
  std::vector<float> logits((t.prompt_length + t.generated_length) * v);
  if (yan_status_t status = yan_session_prefill(h.session, t.prompt, t.prompt_length, logits.data())) {
    std::printf("selftest %s: FAILED: ", name);
    fail(status);
    return false;
  }
  double stateError = 0.0;
  if (t.prefill_state)
    stateError = relativeError(yan_session_state_floats(h.session), t.prefill_state, stateFloats);
  const float *last = logits.data() + (t.prompt_length - 1) * v;
  for (size_t i = 0; i < t.generated_length; ++i) {
    int32_t token = yan::tools::greedyToken(last, vocab);
    if (token != t.generated[i]) {
      std::printf("selftest %s: FAILED: greedy token %zu is %d, expected %d\n", name, i,
                  token, t.generated[i]);
      return false;
    }
    float *row = logits.data() + (t.prompt_length + i) * v;
    if (yan_status_t status = yan_session_decode(h.session, token, row)) {
      std::printf("selftest %s: FAILED: ", name);
      fail(status);
      return false;
    }
    last = row;
  }
  double worst = relativeError(logits.data(), t.expected_logits, logits.size());
  if (t.next_token >= 0 && yan::tools::greedyToken(last, vocab) != t.next_token) {
    std::printf("selftest %s: FAILED: next token %d, expected %d\n", name,
                yan::tools::greedyToken(last, vocab), t.next_token);
    return false;
  }
  if (t.final_state)
    stateError = std::max(stateError, relativeError(yan_session_state_floats(h.session),
                                                    t.final_state, stateFloats));
  bool pass = worst <= kTolerance && stateError <= kTolerance;
  std::printf("selftest %s: %s (max rel error: logits %.3g, state %.3g; tolerance %.0e; "
              "%zu rows, %zu greedy tokens)\n",
              name, pass ? "ok" : "FAILED", worst, stateError, kTolerance,
              t.prompt_length + t.generated_length, t.generated_length);
  return pass;
}

int selftest(const Options &o) {
  BundleHandle h;
  if (yan_status_t status = openSession(o, &h))
    return fail(status);
  size_t count = yan_bundle_test_vector_count(h.bundle);
  if (count == 0) {
    std::fprintf(stderr, "yan-run: error: %s has no test vectors\n", o.bundle);
    return 1;
  }
  yan_model_config_t config;
  yan_bundle_config(h.bundle, &config);
  bool all = true;
  for (size_t i = 0; i < count; ++i) {
    yan_test_vector_t t;
    if (yan_status_t status = yan_bundle_test_vector(h.bundle, i, &t))
      return fail(status);
    all = selftestVector(h, t, config.vocab_size, yan_bundle_state_floats(h.bundle)) && all;
  }
  return all ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  if (int code = parseArgs(argc, argv, &options))
    return code;
  if (options.cpuInfo) {
    char features[2048];
    yan_host_cpu_features(features, sizeof features);
    std::printf("arch: %s\nfeatures: %s\n", yan_arch_name(yan_host_arch()), features);
    return 0;
  }
  if (options.selftest)
    return selftest(options);
  BundleHandle h;
  if (yan_status_t status = openSession(options, &h))
    return fail(status);
  if (int code = yan::tools::runLearning(h.bundle, h.session, options.bundle, options.learn))
    return code;
  if (options.text)
    return yan::tools::runText(h.bundle, h.session, options.bundle, options.text,
                               options.sampling);
  if (options.chat)
    return yan::tools::runChat(h.bundle, h.session, options.bundle, stdin, options.sampling);
  return options.havePrompt ? generate(options, h) : 0;
}
