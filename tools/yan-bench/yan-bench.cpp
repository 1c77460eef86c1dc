//===- yan-bench.cpp - Decode/prefill speed against the memory bus --------===//
//
//   yan-bench BUNDLE [--json] [--decode-tokens N] [--prefill-tokens N]
//             [--warmup N] [--bandwidth-mib M] [--threads N]
//             [--learn [--learn-tokens N]] [--context N]
//
// Reports, from one run, at 1 thread and at N threads (default: the online
// cores): decode tokens/s (greedy, one token per step), prefill tokens/s (N
// tokens in one call, best of 3), the weight bytes one decode token reads
// (recorded by the compiler), the achieved weight bytes/s and its ratio to
// the memory read bandwidth measured with the same thread count; and the
// f32 FMA peak of as many threads at the vector width the loaded image may
// use (FmaPeak.h), with prefill's and decode's FLOP/s and their ratio to it.
// With --learn, also on one N-token sample (default 64): a forward pass
// (prefill of its N-1 inputs), the learn entry's forward + loss, a learn
// step (LEARN + applies, SGD) and their ratios, the step's FLOP/s (the
// compiler's count per position, recorded in the bundle) and its ratio to
// the FMA peak, and the peak memory the first learn step adds over the RSS
// after a forward pass (LearnBench.h). It names the code image it runs.
// With --context N, also decode tokens/s after an N-token prefill, next to
// the fresh figure: the recurrent state is O(1), so the two should agree.
// Numbers, not verdicts: nothing here passes or fails on speed.
//
//===----------------------------------------------------------------------===//
#include "FmaPeak.h"
#include "LearnBench.h"
#include "MemoryBandwidth.h"
#include "ModelCost.h"
#include "ToolSupport.h"
#include "yan/runtime.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <algorithm>
#include <thread>
#include <vector>

namespace {

struct Options {
  const char *bundle = nullptr;
  bool json = false;
  long long decodeTokens = 64;
  long long prefillTokens = 128;
  long long warmup = 32;
  long long bandwidthMiB = 512;
  long long threads = 0; // 0: 1 and the online cores
  std::vector<yan_public_key_t> trustedKeys; // --trust (repeatable)
  bool learn = false;
  long long learnTokens = 64;
  long long context = 0; // --context: 0 = not measured
};

int usage(const char *message) {
  // --help is an answer (stdout, exit 0); a usage error goes to stderr.
  if (message)
    std::fprintf(stderr, "yan-bench: error: %s\n", message);
  std::fprintf(message ? stderr : stdout,
               "usage: yan-bench BUNDLE [--json] [--decode-tokens N] [--prefill-tokens N]\n"
               "                 [--warmup N] [--bandwidth-mib M] [--threads N]\n"
               "                 [--trust KEY.pub]... [--learn [--learn-tokens N]]\n"
               "                 [--context N]\n");
  return 2;
}

int parseArgs(int argc, char **argv, Options *o) {
  struct Numeric {
    const char *flag;
    long long *value;
    long long min, max;
  } numerics[] = {
      {"--decode-tokens", &o->decodeTokens, 1, 1 << 20},
      {"--prefill-tokens", &o->prefillTokens, 1, 1 << 20},
      {"--warmup", &o->warmup, 0, 1 << 20},
      {"--bandwidth-mib", &o->bandwidthMiB, 16, 1 << 16},
      {"--threads", &o->threads, 0, 1024},
      {"--learn-tokens", &o->learnTokens, 2, 1 << 20},
      {"--context", &o->context, 1, 1 << 24},
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(nullptr);
      std::exit(0);
    }
    if (arg == "--json") {
      o->json = true;
      continue;
    }
    if (arg == "--learn") {
      o->learn = true;
      continue;
    }
    if (arg == "--trust") {
      if (i + 1 >= argc)
        return usage("--trust needs a public key file");
      if (!yan::tools::addTrustedKey("yan-bench", argv[++i], &o->trustedKeys))
        return 1;
      continue;
    }
    bool matched = false;
    for (Numeric &n : numerics) {
      if (arg != n.flag)
        continue;
      matched = true;
      if (i + 1 >= argc || !yan::tools::parseInt(argv[++i], n.min, n.max, n.value)) {
        std::string message = std::string(n.flag) + " takes an integer in [" +
                              std::to_string(n.min) + ", " + std::to_string(n.max) + "]";
        return usage(message.c_str());
      }
    }
    if (matched)
      continue;
    if (arg.rfind("--", 0) == 0 || o->bundle)
      return usage(("unexpected argument '" + arg + "'").c_str());
    o->bundle = argv[i];
  }
  if (!o->bundle)
    return usage("no bundle given");
  return 0;
}

int32_t argmax(const float *row, int64_t vocab) {
  int32_t best = 0;
  for (int64_t v = 1; v < vocab; ++v)
    if (row[v] > row[best])
      best = static_cast<int32_t>(v);
  return best;
}

struct Result {
  unsigned threads = 1;
  double decodeTokensPerSecond = 0;
  double prefillTokensPerSecond = 0;
  double decodeTokensPerSecondAtContext = 0; // --context
  uint64_t weightBytesPerToken = 0;
  double memoryReadBytesPerSecond = 0;
  std::vector<double> pairedRatios; // PairedProbe's, ascending
  double flopsPerToken = 0; // matrix products (ModelCost.h)
  double learnFlopsPerToken = 0; // per predicted position of a learn step
  double learnFlopsPerRoutedPair = 0; // per routed pair of its weight gradients
  double peakFlopsPerSecond = 0;
  yan::tools::FmaProbe probe;
  yan::tools::LearnBenchResult learn;
  double achievedBytesPerSecond() const {
    return decodeTokensPerSecond * static_cast<double>(weightBytesPerToken);
  }
  double prefillFlopsPerSecond() const { return prefillTokensPerSecond * flopsPerToken; }
  double decodeFlopsPerSecond() const { return decodeTokensPerSecond * flopsPerToken; }
  /// One learn step on the sample: its N-1 predicted positions, and the
  /// chosen partitions' weight gradients (one product per routed pair).
  double learnFlops() const {
    return learnFlopsPerToken * double(learn.tokens - 1) +
           learnFlopsPerRoutedPair * double(learn.routedPairs);
  }
  double learnFlopsPerSecond() const {
    return learn.stepSeconds > 0 ? learnFlops() / learn.stepSeconds : 0.0;
  }
  double pairedRatioMedian() const {
    size_t n = pairedRatios.size();
    if (n == 0)
      return 0.0;
    return n % 2 ? pairedRatios[n / 2] : (pairedRatios[n / 2 - 1] + pairedRatios[n / 2]) / 2;
  }
  double pairedRatioMin() const { return pairedRatios.empty() ? 0.0 : pairedRatios.front(); }
  double pairedRatioMax() const { return pairedRatios.empty() ? 0.0 : pairedRatios.back(); }
  double bandwidthRatio() const {
    return memoryReadBytesPerSecond > 0 ? achievedBytesPerSecond() / memoryReadBytesPerSecond
                                        : 0.0;
  }
};

/// The same pseudo-random tokens in every run (xorshift64).
std::vector<int32_t> deterministicTokens(size_t count, int64_t vocab) {
  std::vector<int32_t> tokens(count);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int32_t &t : tokens) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    t = static_cast<int32_t>(x % static_cast<uint64_t>(vocab));
  }
  return tokens;
}

/// Decode segments that each follow one pass of a read-bandwidth probe.
constexpr long long kPairedSegments = 8;

/// A probe read right before each decode segment: each segment's achieved
/// weight bytes/s over the bandwidth of its own pass is one ratio. The two
/// are taken milliseconds apart, so on a machine whose memory bus is shared
/// with others (a VM's host) both see the same load, which a probe taken
/// once, seconds away from the decode, does not.
struct PairedProbe {
  yan::tools::ReadProbe *probe = nullptr;
  uint64_t bytesPerToken = 0;
  std::vector<double> ratios;
};

/// From the session's state and the logits of its last token: times
/// `decodeTokens` greedy decode steps after `warmup` untimed ones; with
/// `paired`, in kPairedSegments segments each after one probe pass (the
/// passes are not timed as decode).
yan_status_t timeDecode(yan_session_t *session, int64_t vocab, const Options &o,
                        float *logits, double *tokensPerSecond,
                        PairedProbe *paired = nullptr) {
  int32_t token = argmax(logits, vocab);
  for (long long i = 0; i < o.warmup; ++i) {
    if (yan_status_t s = yan_session_decode(session, token, logits))
      return s;
    token = argmax(logits, vocab);
  }
  bool pairing = paired && paired->probe && paired->probe->ok();
  long long segments = pairing ? std::min(kPairedSegments, o.decodeTokens) : 1;
  double decodeSeconds = 0;
  long long done = 0;
  for (long long segment = 0; segment < segments; ++segment) {
    long long count = o.decodeTokens * (segment + 1) / segments - done;
    double bandwidth = pairing ? paired->probe->pass() : 0.0;
    double start = yan::tools::nowSeconds();
    for (long long i = 0; i < count; ++i) {
      if (yan_status_t s = yan_session_decode(session, token, logits))
        return s;
      token = argmax(logits, vocab);
    }
    double seconds = yan::tools::nowSeconds() - start;
    decodeSeconds += seconds;
    done += count;
    if (pairing && bandwidth > 0 && seconds > 0)
      paired->ratios.push_back(double(count) * double(paired->bytesPerToken) / seconds /
                               bandwidth);
  }
  *tokensPerSecond = static_cast<double>(o.decodeTokens) / decodeSeconds;
  return nullptr;
}

/// Decode from a fresh state (after a one-token prompt).
yan_status_t benchDecode(yan_session_t *session, int64_t vocab, const Options &o,
                         std::vector<float> &logits, double *tokensPerSecond,
                         PairedProbe *paired) {
  int32_t prompt = 1 % static_cast<int32_t>(vocab);
  yan_session_reset(session);
  if (yan_status_t s = yan_session_prefill(session, &prompt, 1, logits.data()))
    return s;
  return timeDecode(session, vocab, o, logits.data(), tokensPerSecond, paired);
}

/// Decode after an o.context-token prefill, fed in chunks so the logits
/// buffer stays small whatever the context (V = 32000 at 8192 tokens would
/// be 1 GiB in one call).
yan_status_t benchDecodeAtContext(yan_session_t *session, int64_t vocab, const Options &o,
                                  std::vector<float> &logits, double *tokensPerSecond) {
  constexpr size_t kChunk = 256;
  std::vector<int32_t> context = deterministicTokens(static_cast<size_t>(o.context), vocab);
  std::vector<float> chunkLogits(kChunk * static_cast<size_t>(vocab));
  yan_session_reset(session);
  size_t last = 0;
  for (size_t at = 0; at < context.size(); at += kChunk) {
    size_t n = std::min(kChunk, context.size() - at);
    if (yan_status_t s = yan_session_prefill(session, context.data() + at, n, chunkLogits.data()))
      return s;
    last = n - 1;
  }
  std::copy_n(chunkLogits.begin() + static_cast<std::ptrdiff_t>(last * vocab), vocab,
              logits.begin());
  return timeDecode(session, vocab, o, logits.data(), tokensPerSecond);
}

/// Best of three prefills of the same deterministic prompt from a fresh state.
yan_status_t benchPrefill(yan_session_t *session, int64_t vocab, const Options &o,
                          std::vector<float> &logits, double *tokensPerSecond) {
  std::vector<int32_t> prompt =
      deterministicTokens(static_cast<size_t>(o.prefillTokens), vocab);
  logits.resize(prompt.size() * static_cast<size_t>(vocab));
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    yan_session_reset(session);
    double start = yan::tools::nowSeconds();
    if (yan_status_t s = yan_session_prefill(session, prompt.data(), prompt.size(),
                                             logits.data()))
      return s;
    double seconds = yan::tools::nowSeconds() - start;
    if (seconds > 0 && prompt.size() / seconds > best)
      best = prompt.size() / seconds;
  }
  *tokensPerSecond = best;
  return nullptr;
}

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

/// The code image the runtime loaded on this host (the one with the most
/// required features the CPU has, among a multi-image bundle's).
struct LoadedImage {
  std::string triple, cpu;
  std::string features; // as given to the compiler ("+avx512bf16"), often empty
};

void printJson(const Options &o, const LoadedImage &image, const std::vector<Result> &results) {
  std::printf("{\n  \"bundle\": %s,\n", yan::tools::jsonQuote(o.bundle).c_str());
  std::printf("  \"image_triple\": %s,\n  \"image_cpu\": %s,\n  \"image_features\": %s,\n",
              yan::tools::jsonQuote(image.triple.c_str()).c_str(),
              yan::tools::jsonQuote(image.cpu.c_str()).c_str(),
              yan::tools::jsonQuote(image.features.c_str()).c_str());
  if (!results.empty() && results[0].learn.measured) {
    const yan::tools::LearnBenchResult &l = results[0].learn;
    std::printf("  \"learn_baseline_rss_bytes\": %" PRId64
                ",\n  \"learn_peak_rss_bytes\": %" PRId64
                ",\n  \"learn_extra_peak_bytes\": %" PRId64 ",\n",
                l.baselineRssBytes, l.peakRssBytes,
                l.peakRssBytes >= 0 ? l.peakRssBytes - l.baselineRssBytes : int64_t(-1));
  }
  std::printf("  \"runs\": [\n");
  for (size_t i = 0; i < results.size(); ++i) {
    const Result &r = results[i];
    std::printf("    {\"threads\": %u, \"decode_tokens_per_s\": %.3f, "
                "\"prefill_tokens_per_s\": %.3f, \"weight_bytes_per_token\": %" PRIu64
                ", \"achieved_bytes_per_s\": %.0f, \"memory_read_bytes_per_s\": %.0f, "
                "\"bandwidth_ratio\": %.4f",
                r.threads, r.decodeTokensPerSecond, r.prefillTokensPerSecond,
                r.weightBytesPerToken, r.achievedBytesPerSecond(),
                r.memoryReadBytesPerSecond, r.bandwidthRatio());
    std::printf(", \"paired_segments\": %zu, \"paired_bandwidth_ratio\": %.4f, "
                "\"paired_bandwidth_ratio_min\": %.4f, \"paired_bandwidth_ratio_max\": %.4f",
                r.pairedRatios.size(), r.pairedRatioMedian(), r.pairedRatioMin(),
                r.pairedRatioMax());
    std::printf(", \"flops_per_token\": %.0f, \"fma_probe\": \"%s\", \"vector_bits\": %u, "
                "\"peak_flops_per_s\": %.0f, \"prefill_flops_per_s\": %.0f, "
                "\"decode_flops_per_s\": %.0f, \"prefill_over_peak\": %.4f",
                r.flopsPerToken, r.probe.isa.c_str(), r.probe.vectorBits, r.peakFlopsPerSecond,
                r.prefillFlopsPerSecond(), r.decodeFlopsPerSecond(),
                ratio(r.prefillFlopsPerSecond(), r.peakFlopsPerSecond));
    if (o.context > 0)
      std::printf(", \"context_tokens\": %lld, \"decode_tokens_per_s_at_context\": %.3f, "
                  "\"decode_at_context_over_fresh\": %.4f",
                  o.context, r.decodeTokensPerSecondAtContext,
                  ratio(r.decodeTokensPerSecondAtContext, r.decodeTokensPerSecond));
    if (r.learn.measured) {
      const yan::tools::LearnBenchResult &l = r.learn;
      // Milliseconds to the nanosecond: a small model's forward takes tens of
      // microseconds, and the ratios below must be recomputable from these.
      std::printf(", \"learn_tokens\": %lld, \"forward_ms\": %.6f, \"forward_loss_ms\": %.6f, "
                  "\"learn_step_ms\": %.6f, \"learn_first_step_ms\": %.6f, "
                  "\"learn_over_forward\": %.3f, \"learn_over_forward_loss\": %.3f",
                  l.tokens, l.forwardSeconds * 1e3, l.forwardLossSeconds * 1e3,
                  l.stepSeconds * 1e3, l.firstStepSeconds * 1e3,
                  ratio(l.stepSeconds, l.forwardSeconds),
                  ratio(l.stepSeconds, l.forwardLossSeconds));
      std::printf(", \"learn_flops_per_token\": %.0f, \"learn_flops_per_routed_pair\": %.0f, "
                  "\"learn_routed_pairs\": %" PRIu64 ", \"learn_flops\": %.0f, "
                  "\"learn_flops_per_s\": %.0f, \"learn_over_peak\": %.4f",
                  r.learnFlopsPerToken, r.learnFlopsPerRoutedPair, l.routedPairs,
                  r.learnFlops(), r.learnFlopsPerSecond(),
                  ratio(r.learnFlopsPerSecond(), r.peakFlopsPerSecond));
    }
    std::printf("}%s\n", i + 1 < results.size() ? "," : "");
  }
  std::printf("  ]\n}\n");
}

void printText(const Options &o, const LoadedImage &image, const std::vector<Result> &results) {
  std::printf("bundle: %s\n", o.bundle);
  std::printf("image: %s (cpu %s%s%s)\n", image.triple.c_str(), image.cpu.c_str(),
              image.features.empty() ? "" : ", features ", image.features.c_str());
  for (const Result &r : results) {
    std::printf("threads: %u\n", r.threads);
    std::printf("  decode:  %.1f tokens/s (%lld tokens after %lld warm-up)\n",
                r.decodeTokensPerSecond, o.decodeTokens, o.warmup);
    if (o.context > 0)
      std::printf("  decode after a %lld-token context: %.1f tokens/s (%.3f of fresh)\n",
                  o.context, r.decodeTokensPerSecondAtContext,
                  ratio(r.decodeTokensPerSecondAtContext, r.decodeTokensPerSecond));
    std::printf("  prefill: %.1f tokens/s (%lld tokens, best of 3)\n",
                r.prefillTokensPerSecond, o.prefillTokens);
    std::printf("  weight bytes per decode token: %" PRIu64 "\n", r.weightBytesPerToken);
    std::printf("  achieved: %.2f GB/s of weights; measured memory read bandwidth "
                "%.2f GB/s; ratio %.3f\n",
                r.achievedBytesPerSecond() / 1e9, r.memoryReadBytesPerSecond / 1e9,
                r.bandwidthRatio());
    std::printf("  paired: a probe pass before each of %zu decode segments; ratio median %.3f "
                "(min %.3f, max %.3f)\n",
                r.pairedRatios.size(), r.pairedRatioMedian(), r.pairedRatioMin(),
                r.pairedRatioMax());
    std::printf("  compute: prefill %.2f GFLOP/s, decode %.2f GFLOP/s (%.0f FLOP per token); "
                "measured f32 FMA peak %.2f GFLOP/s (%s, %u-bit); prefill / peak %.3f\n",
                r.prefillFlopsPerSecond() / 1e9, r.decodeFlopsPerSecond() / 1e9,
                r.flopsPerToken, r.peakFlopsPerSecond / 1e9, r.probe.isa.c_str(),
                r.probe.vectorBits, ratio(r.prefillFlopsPerSecond(), r.peakFlopsPerSecond));
    if (r.learn.measured) {
      const yan::tools::LearnBenchResult &l = r.learn;
      std::printf("  learn (%lld-token sample): forward %.3f ms (prefill of %lld), forward + "
                  "loss %.3f ms (learn entry), learn step %.3f ms (first %.3f ms); step / "
                  "forward %.2f, step / forward + loss %.2f\n",
                  l.tokens, l.forwardSeconds * 1e3, l.tokens - 1, l.forwardLossSeconds * 1e3,
                  l.stepSeconds * 1e3, l.firstStepSeconds * 1e3,
                  ratio(l.stepSeconds, l.forwardSeconds),
                  ratio(l.stepSeconds, l.forwardLossSeconds));
      std::printf("  learn compute: %.2f GFLOP/s (%.0f FLOP per step: %.0f per position x "
                  "%lld + %.0f per routed pair x %" PRIu64 "); learn / peak %.3f\n",
                  r.learnFlopsPerSecond() / 1e9, r.learnFlops(), r.learnFlopsPerToken,
                  l.tokens - 1, r.learnFlopsPerRoutedPair, l.routedPairs,
                  ratio(r.learnFlopsPerSecond(), r.peakFlopsPerSecond));
    }
  }
  if (!results.empty() && results[0].learn.measured && results[0].learn.peakRssBytes >= 0) {
    const yan::tools::LearnBenchResult &l = results[0].learn;
    std::printf("learn memory: %.1f MiB peak over %.1f MiB after a forward pass: %.1f MiB "
                "extra\n", l.peakRssBytes / 1048576.0, l.baselineRssBytes / 1048576.0,
                (l.peakRssBytes - l.baselineRssBytes) / 1048576.0);
  }
}

/// Opens a session with `threads` and measures it.
yan_status_t measure(yan_bundle_t *bundle, const Options &o, unsigned threads,
                     bool measureMemory, Result &r) {
  yan_model_config_t config;
  yan_bundle_config(bundle, &config);
  yan_allocator_t allocator = yan_allocator_system();
  yan_session_options_t options{threads};
  yan_session_t *session = nullptr;
  if (yan_status_t s = yan_session_create_with_options(bundle, &allocator, &options, &session))
    return s;
  r.threads = yan_session_threads(session);
  r.weightBytesPerToken = yan_bundle_weight_bytes_per_token(bundle);
  yan_code_image_info_t image;
  if (!yan_bundle_code_image_info(bundle, yan_bundle_selected_image(bundle), &image))
    r.probe = yan::tools::fmaProbeForImage(image.arch, image.required_features);
  // The peak is the best of a probe before the model and one after it: a
  // VM's host can take a core for the whole of one probe (2 threads then
  // measured one core's FLOP/s, and prefill / peak read 1.2), rarely for
  // both, seconds apart.
  r.peakFlopsPerSecond = yan::tools::measureFmaPeak(&r.probe, r.threads);
  std::vector<float> logits(static_cast<size_t>(config.vocab_size));
  yan_status_t status = nullptr;
  // The learn step's extra memory is measured first, in the first run's
  // session, before the decode/prefill buffers of this process grow.
  if (o.learn)
    status = yan::tools::benchLearn(session, config.vocab_size, o.learnTokens,
                                    /*measureMemory=*/measureMemory, &r.learn);
  // One probe buffer for the passes paired with decode and the ones after
  // the model (allocated and faulted in once).
  yan::tools::ReadProbe probe(static_cast<size_t>(o.bandwidthMiB) << 20, r.threads);
  if (!status) {
    PairedProbe paired{&probe, r.weightBytesPerToken, {}};
    status = benchDecode(session, config.vocab_size, o, logits, &r.decodeTokensPerSecond,
                         &paired);
    r.pairedRatios = std::move(paired.ratios);
    std::sort(r.pairedRatios.begin(), r.pairedRatios.end());
  }
  if (!status && o.context > 0)
    status = benchDecodeAtContext(session, config.vocab_size, o, logits,
                                  &r.decodeTokensPerSecondAtContext);
  if (!status)
    status = benchPrefill(session, config.vocab_size, o, logits, &r.prefillTokensPerSecond);
  yan_session_destroy(session);
  // Measured right after the model, with as many threads.
  r.memoryReadBytesPerSecond = probe.best(3);
  yan::tools::ModelCost cost = yan::tools::modelCost(bundle);
  r.flopsPerToken = cost.flopsPerToken;
  r.learnFlopsPerToken = cost.learnFlopsPerToken;
  r.learnFlopsPerRoutedPair = cost.learnFlopsPerRoutedPair;
  r.peakFlopsPerSecond =
      std::max(r.peakFlopsPerSecond, yan::tools::measureFmaPeak(&r.probe, r.threads));
  return status;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (int code = parseArgs(argc, argv, &o))
    return code;
  yan_bundle_t *bundle = nullptr;
  yan_bundle_open_options_t options = yan::tools::openOptions(0, o.trustedKeys);
  if (yan_status_t s = yan_bundle_open_file(o.bundle, &options, yan_allocator_system(), &bundle))
    return yan::tools::reportStatus("yan-bench", s);
  unsigned many = o.threads > 0 ? static_cast<unsigned>(o.threads)
                                : std::max(1u, std::thread::hardware_concurrency());
  std::vector<unsigned> counts{1};
  if (many != 1)
    counts.push_back(many);
  std::vector<Result> results(counts.size());
  LoadedImage loaded;
  yan_code_image_info_t image;
  if (!yan_bundle_code_image_info(bundle, yan_bundle_selected_image(bundle), &image))
    loaded = {image.triple, image.cpu, image.features};
  yan_status_t status = nullptr;
  for (size_t i = 0; i < counts.size() && !status; ++i)
    status = measure(bundle, o, counts[i], /*measureMemory=*/i == 0, results[i]);
  yan_bundle_release(bundle);
  if (status)
    return yan::tools::reportStatus("yan-bench", status);
  if (o.json)
    printJson(o, loaded, results);
  else
    printText(o, loaded, results);
  return 0;
}
