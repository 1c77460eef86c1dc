//===- Learning.cpp - yan-run's learning flags ----------------------------===//
#include "Learning.h"

#include "TextSupport.h"
#include "ToolSupport.h"

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>
#include <vector>

#include "yan/quant_format.h"

namespace yan::tools {
namespace {

struct DoubleFlag {
  const char *flag;
  uint32_t bit;
  double yan_learn_options_t::*field;
  const char *optimizer; // the only optimizer taking it, or nullptr
};

const DoubleFlag kDoubleFlags[] = {
    {"--lr", YAN_LEARN_SET_LR, &yan_learn_options_t::lr, nullptr},
    {"--momentum", YAN_LEARN_SET_MOMENTUM, &yan_learn_options_t::momentum, "sgd"},
    {"--beta1", YAN_LEARN_SET_BETA1, &yan_learn_options_t::beta1, "adamw"},
    {"--beta2", YAN_LEARN_SET_BETA2, &yan_learn_options_t::beta2, "adamw"},
    {"--eps", YAN_LEARN_SET_EPS, &yan_learn_options_t::eps, "adamw"},
    {"--weight-decay", YAN_LEARN_SET_WEIGHT_DECAY, &yan_learn_options_t::weight_decay,
     "adamw"},
    {"--clip", YAN_LEARN_SET_MAX_NORM, &yan_learn_options_t::max_norm, nullptr},
};

// JSON numbers: NaN and infinities are not JSON, so they become null.
void printNumber(FILE *out, double value) {
  if (std::isfinite(value))
    std::fprintf(out, "%.9g", value);
  else
    std::fprintf(out, "null");
}

struct StepRecord {
  float loss, gradNorm;
  std::vector<std::vector<int32_t>> chosen; // per layer, ascending
  uint64_t routedPairs;
};

// What the per-step callback collects and writes.
struct StepSink {
  const LearnFlags *flags;
  std::vector<StepRecord> steps;
  std::string error; // the first failure writing a gradient file
};

void onStep(void *user, const yan_learn_step_t *step) {
  auto *sink = static_cast<StepSink *>(user);
  StepRecord record{step->loss, step->grad_norm, {}, step->routed_pairs};
  record.chosen.resize(static_cast<size_t>(step->num_layers));
  for (int64_t l = 0; l < step->num_layers; ++l)
    for (int64_t j = 0; j < step->slots_per_layer; ++j) {
      int32_t p = step->chosen[l * step->slots_per_layer + j];
      if (p >= 0)
        record.chosen[static_cast<size_t>(l)].push_back(p);
    }
  sink->steps.push_back(record);
  if (!sink->flags->dumpGradients || !sink->error.empty())
    return;
  // PREFIX.s.f32: per layer, per chosen partition (slots are ascending):
  // the slot's pre-clip w1, w3, w2 gradients.
  std::string path =
      std::string(sink->flags->dumpGradients) + "." + std::to_string(step->step) + ".f32";
  FILE *file = std::fopen(path.c_str(), "wb");
  bool ok = file != nullptr;
  for (int64_t slot = 0; ok && slot < step->num_layers * step->slots_per_layer; ++slot)
    if (step->chosen[slot] >= 0)
      ok = std::fwrite(step->gradients + slot * step->floats_per_slot, sizeof(float),
                       step->floats_per_slot, file) == step->floats_per_slot;
  if (file && std::fclose(file) != 0)
    ok = false;
  if (!ok)
    sink->error = "cannot write '" + path + "': " + std::strerror(errno);
}

bool writeReport(const char *path, const yan_learn_result_t &result, const StepSink &sink) {
  FILE *out = std::fopen(path, "w");
  if (!out)
    return false;
  std::fprintf(out, "{\n  \"loss_before\": ");
  printNumber(out, result.loss_before);
  std::fprintf(out, ",\n  \"loss_after\": ");
  printNumber(out, result.loss_after);
  std::fprintf(out, ",\n  \"partitions_touched\": %u,\n  \"routed_pairs\": %" PRIu64
                   ",\n  \"steps\": [",
               result.partitions_touched, result.routed_pairs);
  for (size_t s = 0; s < sink.steps.size(); ++s) {
    const StepRecord &r = sink.steps[s];
    std::fprintf(out, "%s\n    {\"loss\": ", s ? "," : "");
    printNumber(out, r.loss);
    std::fprintf(out, ", \"grad_norm\": ");
    printNumber(out, r.gradNorm);
    std::fprintf(out, ", \"chosen\": [");
    for (size_t l = 0; l < r.chosen.size(); ++l) {
      std::fprintf(out, "%s[", l ? ", " : "");
      for (size_t j = 0; j < r.chosen[l].size(); ++j)
        std::fprintf(out, "%s%d", j ? ", " : "", r.chosen[l][j]);
      std::fprintf(out, "]");
    }
    std::fprintf(out, "], \"routed_pairs\": %" PRIu64 "}", r.routedPairs);
  }
  std::fprintf(out, "%s]\n}\n", sink.steps.empty() ? "" : "\n  ");
  return std::fclose(out) == 0;
}

// f16 / bf16 -> f32, exactly.
float toFloat(const uint8_t *at, yan_dtype_t dtype) {
  if (dtype == YAN_DTYPE_F32) {
    float f;
    std::memcpy(&f, at, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, at, 2);
  if (dtype == YAN_DTYPE_F16)
    return yan_f16_to_f32(h);
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Partition p of weight `w` ([P, rows, cols]) as stored, in f32: widened
// (f16/bf16) or dequantized (int8/int4, the slab's w' = f32(d) * q).
void storedPartition(const uint8_t *segment, const yan_weight_info_t &w, int64_t p,
                     std::vector<float> &out) {
  const uint8_t *at = segment + w.offset + static_cast<uint64_t>(p) * w.partition_stride;
  uint64_t rows = static_cast<uint64_t>(w.shape[1]), cols = static_cast<uint64_t>(w.shape[2]);
  if (w.dtype == YAN_DTYPE_INT8 || w.dtype == YAN_DTYPE_INT4) {
    unsigned bits = w.dtype == YAN_DTYPE_INT8 ? 8 : 4;
    for (uint64_t r = 0; r < rows; ++r)
      yan_quant_dequantize_row(bits, at, rows, cols, r, out.data() + r * cols);
    return;
  }
  size_t elementBytes = w.dtype == YAN_DTYPE_F32 ? 4 : 2;
  for (size_t e = 0; e < out.size(); ++e)
    out[e] = toFloat(at + e * elementBytes, w.dtype);
}

// Every layer's w1 [P,F,D], w3 [P,F,D], w2 [P,D,F] as f32, partition padding
// removed: what the code reads now (a trained partition's f32 copy when the
// weights are not f32; the others widened or dequantized).
bool dumpPartitions(yan_bundle_t *bundle, const char *path, std::string *error) {
  yan_model_config_t config;
  yan_bundle_config(bundle, &config);
  FILE *out = std::fopen(path, "wb");
  if (!out) {
    *error = std::string("cannot write '") + path + "': " + std::strerror(errno);
    return false;
  }
  const uint8_t *segment = yan_bundle_weight_segment(bundle);
  bool ok = true;
  std::vector<float> row;
  for (int64_t l = 0; ok && l < config.num_layers; ++l)
    for (const char *tensor : {"w1", "w3", "w2"}) {
      std::string name = "layers." + std::to_string(l) + ".ffn." + tensor;
      yan_weight_info_t w{};
      bool found = false;
      for (size_t i = 0; !found && i < yan_bundle_weight_count(bundle); ++i) {
        yan_status_free(yan_bundle_weight_info(bundle, i, &w));
        found = name == w.name;
      }
      if (!found) {
        *error = "the bundle has no weight " + name;
        std::fclose(out);
        return false;
      }
      size_t elements = static_cast<size_t>(config.partition_size * config.hidden_size);
      row.resize(elements);
      int tensorIndex = tensor[1] == '1' ? 0 : tensor[1] == '3' ? 1 : 2;
      for (int64_t p = 0; ok && p < w.num_partitions; ++p) {
        // A trained partition of weights that are not f32 lives in its f32
        // copy.
        yan_partition_learn_state_t learned{};
        yan_status_free(yan_bundle_partition_learn_state(bundle, l, p, &learned));
        if (learned.weights_f32) {
          const float *copy = learned.weights_f32 + tensorIndex * elements;
          row.assign(copy, copy + elements);
        } else {
          storedPartition(segment, w, p, row);
        }
        ok = std::fwrite(row.data(), sizeof(float), elements, out) == elements;
      }
    }
  if (std::fclose(out) != 0 || !ok) {
    *error = std::string("writing '") + path + "' failed";
    return false;
  }
  return true;
}

int fail(const std::string &message) {
  std::fprintf(stderr, "yan-run: error: %s\n", message.c_str());
  return 1;
}

} // namespace

int parseLearnFlag(int argc, char **argv, int &i, LearnFlags *f,
                   int (*usage)(const char *message)) {
  std::string arg = argv[i];
  const char *value = i + 1 < argc ? argv[i + 1] : nullptr;
  auto needValue = [&]() {
    if (!value) {
      usage((arg + " needs a value").c_str());
      return false;
    }
    ++i;
    return true;
  };
  for (const DoubleFlag &d : kDoubleFlags) {
    if (arg != d.flag)
      continue;
    if (!needValue())
      return 2;
    if (!parseDouble(value, &(f->options.*d.field))) {
      usage((arg + " takes a finite number").c_str());
      return 2;
    }
    f->options.set |= d.bit;
    if (d.optimizer)
      f->optimizerOnly.push_back(std::string(d.flag) + "/" + d.optimizer);
    return 1;
  }
  long long number;
  if (arg == "--learn") {
    if (!needValue())
      return 2;
    if (!f->sample.empty()) {
      usage("--learn is given twice");
      return 2;
    }
    if (!parseTokenList(value, &f->sample)) {
      usage("--learn takes comma-separated integer token ids");
      return 2;
    }
    f->learn = true;
  } else if (arg == "--learn-text") {
    if (!needValue())
      return 2;
    if (f->learnText) {
      usage("--learn-text is given twice");
      return 2;
    }
    f->learnText = value;
    f->learn = true;
    if (!f->optimizerGiven)
      f->options.optimizer = TextLearnDefaults::kOptimizer;
  } else if (arg == "--target-loss") {
    if (!needValue())
      return 2;
    if (!parseDouble(value, &f->targetLoss) || !(f->targetLoss > 0)) {
      usage("--target-loss takes a number > 0");
      return 2;
    }
    f->targetLossGiven = true;
  } else if (arg == "--steps") {
    if (!needValue())
      return 2;
    if (!parseInt(value, 1, 1 << 20, &number)) {
      usage("--steps takes an integer in [1, 1048576]");
      return 2;
    }
    f->options.steps = static_cast<uint32_t>(number);
  } else if (arg == "--learn-partitions") {
    if (!needValue())
      return 2;
    if (!parseInt(value, 1, INT32_MAX, &number)) {
      usage("--learn-partitions takes an integer >= 1");
      return 2;
    }
    f->options.learn_partitions = static_cast<uint32_t>(number);
  } else if (arg == "--optimizer") {
    if (!needValue())
      return 2;
    std::string name = value;
    if (name != "sgd" && name != "adamw") {
      usage("--optimizer takes sgd or adamw");
      return 2;
    }
    if (f->optimizerGiven) {
      usage("--optimizer is given twice");
      return 2;
    }
    f->options.optimizer = name == "adamw" ? YAN_LEARN_ADAMW : YAN_LEARN_SGD;
    f->optimizerGiven = true;
  } else if (arg == "--save-delta") {
    if (!needValue())
      return 2;
    if (f->saveDelta) {
      usage("--save-delta is given twice");
      return 2;
    }
    f->saveDelta = value;
  } else if (arg == "--sign-key") {
    if (!needValue())
      return 2;
    if (f->signKey) {
      usage("--sign-key is given twice");
      return 2;
    }
    f->signKey = value;
  } else if (arg == "--learn-report") {
    if (!needValue())
      return 2;
    f->report = value;
  } else if (arg == "--dump-gradients") {
    if (!needValue())
      return 2;
    f->dumpGradients = value;
  } else if (arg == "--dump-partitions") {
    if (!needValue())
      return 2;
    f->dumpPartitions = value;
  } else {
    return 0;
  }
  return 1;
}

int checkLearnFlags(const LearnFlags &f, int (*usage)(const char *message)) {
  const char *optimizer = f.options.optimizer == YAN_LEARN_ADAMW ? "adamw" : "sgd";
  for (const std::string &flag : f.optimizerOnly) {
    size_t slash = flag.find('/');
    if (flag.substr(slash + 1) != optimizer)
      return usage((flag.substr(0, slash) + " is a parameter of --optimizer " +
                    flag.substr(slash + 1) + " (the optimizer is " + optimizer + ")")
                       .c_str());
  }
  if (f.learnText && !f.sample.empty())
    return usage("give either --learn IDS or --learn-text SENTENCE");
  if (f.targetLossGiven && f.dumpGradients)
    return usage("--dump-gradients needs every step: not with --target-loss");
  bool learnOnly = f.options.set || f.options.steps || f.options.learn_partitions ||
                   f.optimizerGiven || f.report || f.dumpGradients || f.targetLossGiven;
  if (f.signKey && !f.saveDelta)
    return usage("--sign-key signs the delta --save-delta writes: give --save-delta");
  if (learnOnly && !f.learn)
    return usage("--steps, --lr, --optimizer, --momentum, --beta1, --beta2, --eps, "
                 "--weight-decay, --clip, --learn-partitions, --target-loss, --learn-report "
                 "and --dump-gradients need --learn or --learn-text");
  return 0;
}

/// --learn-text: the sentence's ids as the sample, an end-of-document fed to
/// the session first (the sentence begins a document, and its first word is
/// not part of the loss), and the defaults for what was not given. Returns 0
/// or the exit code after printing.
static int prepareTextSample(yan_bundle_t *bundle, yan_session_t *session,
                             const char *bundlePath, const LearnFlags &f,
                             std::vector<int32_t> *sample, yan_learn_options_t *options,
                             double *targetLoss) {
  const yan_tokenizer_t *tokenizer = requireTokenizer("yan-run", bundle, bundlePath);
  if (!tokenizer)
    return 1;
  if (yan_status_t status = encodeText(tokenizer, f.learnText, sample))
    return reportStatus("yan-run", status);
  int32_t eos = yan_tokenizer_eos_id(tokenizer);
  if (eos < 0)
    return fail("--learn-text needs a tokenizer with an end-of-document id");
  // No end-of-document after the sentence: every taught fact would teach
  // "documents end here" too, which costs the rest of the text (measured).
  std::vector<float> logits(static_cast<size_t>(yan_tokenizer_vocab_size(tokenizer)));
  if (yan_status_t status = yan_session_prefill(session, &eos, 1, logits.data()))
    return reportStatus("yan-run", status);
  if (!options->steps)
    options->steps = TextLearnDefaults::kSteps;
  if (!(options->set & YAN_LEARN_SET_LR)) {
    options->lr = TextLearnDefaults::kLr;
    options->set |= YAN_LEARN_SET_LR;
  }
  if (!f.targetLossGiven)
    *targetLoss = TextLearnDefaults::kTargetLoss;
  return 0;
}

/// Runs options.steps steps on `sample`. With a target loss, the sample's
/// loss is measured before each step (a forward only) and learning stops
/// once it is below the target: a sentence is trained as much as it needs
/// and no more, which is what keeps the rest of the model intact.
static yan_status_t learnSteps(yan_session_t *session, const std::vector<int32_t> &sample,
                               yan_learn_options_t options, double targetLoss,
                               yan_learn_result_t *out) {
  if (targetLoss <= 0)
    return yan_session_learn(session, sample.data(), sample.size(), &options, out);
  uint32_t maxSteps = options.steps ? options.steps : 1;
  options.steps = 1;
  options.flags |= YAN_LEARN_FLAG_NO_LOSS_AFTER;
  float loss = 0.0f;
  if (yan_status_t status = yan_session_learn_loss(session, sample.data(), sample.size(), &loss))
    return status;
  yan_learn_result_t total{};
  total.loss_before = loss;
  std::set<std::pair<int64_t, int32_t>> touched; // (layer, partition)
  while (total.steps < maxSteps && !(loss < targetLoss)) {
    yan_learn_result_t step;
    if (yan_status_t status =
            yan_session_learn(session, sample.data(), sample.size(), &options, &step))
      return status;
    for (int64_t slot = 0; slot < step.num_layers * step.slots_per_layer; ++slot)
      if (step.chosen[slot] >= 0)
        touched.insert({slot / step.slots_per_layer, step.chosen[slot]});
    total.grad_norm = step.grad_norm;
    total.routed_pairs += step.routed_pairs;
    total.num_layers = step.num_layers;
    total.slots_per_layer = step.slots_per_layer;
    total.chosen = step.chosen;
    ++total.steps;
    if (yan_status_t status =
            yan_session_learn_loss(session, sample.data(), sample.size(), &loss))
      return status;
  }
  total.loss_after = loss;
  total.partitions_touched = static_cast<uint32_t>(touched.size());
  *out = total;
  return nullptr;
}

int runLearning(yan_bundle_t *bundle, yan_session_t *session, const char *bundlePath,
                const LearnFlags &f) {
  if (f.learn) {
    StepSink sink{&f, {}, {}};
    yan_learn_options_t options = f.options;
    std::vector<int32_t> sample = f.sample;
    double targetLoss = f.targetLoss;
    if (f.learnText)
      if (int code = prepareTextSample(bundle, session, bundlePath, f, &sample, &options,
                                       &targetLoss))
        return code;
    options.on_step = onStep;
    options.on_step_user = &sink;
    if (f.dumpGradients)
      options.flags |= YAN_LEARN_FLAG_STEP_GRADIENTS;
    yan_learn_result_t result;
    double start = nowSeconds();
    yan_status_t status = learnSteps(session, sample, options, targetLoss, &result);
    double seconds = nowSeconds() - start;
    // --learn-text fed a document start; what follows starts afresh.
    if (f.learnText)
      yan_session_reset(session);
    if (status)
      return reportStatus("yan-run", status);
    if (!sink.error.empty())
      return fail(sink.error);
    std::printf("learn: %u steps (%s) on %zu tokens in %.3f ms\n", result.steps,
                options.optimizer == YAN_LEARN_ADAMW ? "adamw" : "sgd", sample.size(),
                seconds * 1e3);
    std::printf("loss before: %.6f\nloss after: %.6f\npartitions touched: %u\n",
                result.loss_before, result.loss_after, result.partitions_touched);
    if (f.report && !writeReport(f.report, result, sink))
      return fail(std::string("cannot write '") + f.report + "': " + std::strerror(errno));
  }
  if (f.saveDelta) {
    yan_secret_key_t key;
    yan_status_t status = f.signKey ? yan_secret_key_read_file(f.signKey, &key) : nullptr;
    if (!status)
      status = f.signKey ? yan_bundle_save_delta_signed(bundle, f.saveDelta, &key)
                         : yan_bundle_save_delta(bundle, f.saveDelta);
    std::memset(&key, 0, sizeof key);
    if (status)
      return reportStatus("yan-run", status);
    std::printf("saved delta: %s\n", f.saveDelta);
  }
  std::string error;
  if (f.dumpPartitions && !dumpPartitions(bundle, f.dumpPartitions, &error))
    return fail(error);
  return 0;
}

} // namespace yan::tools
