//===- yan-dump.cpp - Describe a Yan bundle -------------------------------===//
//
//   yan-dump BUNDLE [--json] [--skip-data-hashes]
//   yan-dump BUNDLE --svg FILE [--bench FILE.json] [--peak-gflops G]   (SvgReport.h)
//
// Prints the bundle's segments (kind, file range, sha256), code images
// (target, ABI, entry points), model config, state size, weight/partition
// table, test vectors and the tokenizer. The bundle is fully verified but no code is loaded
// (YAN_BUNDLE_OPEN_NO_CODE), so bundles for other architectures can be
// inspected. Only the runtime's C API is used, so the tool cross-compiles.
// Exit status: 0 ok, 1 invalid bundle, 2 usage error.
//
//===----------------------------------------------------------------------===//
#include "SvgReport.h"
#include "ToolSupport.h"
#include "yan/quant_format.h"
#include "yan/runtime.h"
#include "yan/text/hex.h"
#include "yan/tokenizer.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

const char *kindName(yan_segment_kind_t kind) {
  switch (kind) {
  case YAN_SEGMENT_CODE: return "code";
  case YAN_SEGMENT_WEIGHTS: return "weights";
  case YAN_SEGMENT_TEST_DATA: return "test_data";
  }
  return "unknown";
}

const char *dtypeName(yan_dtype_t dtype) {
  switch (dtype) {
  case YAN_DTYPE_F32: return "f32";
  case YAN_DTYPE_F16: return "f16";
  case YAN_DTYPE_BF16: return "bf16";
  case YAN_DTYPE_INT8: return "int8";
  case YAN_DTYPE_INT4: return "int4";
  }
  return "unknown";
}

bool quantized(const yan_weight_info_t &w) {
  return w.dtype == YAN_DTYPE_INT8 || w.dtype == YAN_DTYPE_INT4;
}

/// The bytes a weight's values take, padding between partitions excluded.
uint64_t storedBytes(const yan_weight_info_t &w) {
  uint64_t parts = static_cast<uint64_t>(w.num_partitions);
  return (w.size - (parts - 1) * w.partition_stride) * parts;
}

std::string hex(const uint8_t *bytes, size_t count) {
  std::string text(2 * count, '0');
  yan::writeHex(bytes, count, &text[0]);
  return text;
}

using yan::tools::jsonQuote;

std::string shape(const yan_weight_info_t &w) {
  std::string text = "[";
  for (uint32_t d = 0; d < w.rank; ++d)
    text += (d ? "," : "") + std::to_string(w.shape[d]);
  return text + "]";
}

std::string floats(const float *values, int64_t count) {
  std::string text = "[";
  for (int64_t i = 0; i < count; ++i) {
    char number[32];
    std::snprintf(number, sizeof(number), "%s%.9g", i ? ", " : "", static_cast<double>(values[i]));
    text += number;
  }
  return text + "]";
}

// "none (development mode)", "signed by key ID: verified" or "signed by key
// ID: not verified (development mode: no --trust key)".
std::string signatureText(const yan_bundle_t *b) {
  yan_signature_info_t s;
  yan_bundle_signature_info(b, &s);
  if (!s.is_signed)
    return "none (development mode)";
  return std::string("signed by key ") + s.key_id +
         (s.verified ? ": verified" : ": not verified (development mode: no --trust key)");
}

// "sentencepiece-unigram, 4096 pieces, unk 0, bos 1, eos 2, pad -1, byte
// fallback, dummy prefix" or "none".
std::string tokenizerText(const yan_bundle_t *b) {
  const yan_tokenizer_t *t = yan_bundle_tokenizer(b);
  if (!t)
    return "none";
  yan_tokenizer_info_t info;
  yan_tokenizer_info(t, &info);
  char text[256];
  std::snprintf(text, sizeof(text), "%s, %d pieces, unk %d, bos %d, eos %d, pad %d%s%s",
                info.kind, info.vocab_size, info.unk_id, info.bos_id, info.eos_id,
                info.pad_id, info.byte_fallback ? ", byte fallback" : "",
                info.add_dummy_prefix ? ", dummy prefix" : "");
  return text;
}

std::string tokenizerJson(const yan_bundle_t *b) {
  const yan_tokenizer_t *t = yan_bundle_tokenizer(b);
  if (!t)
    return "null";
  yan_tokenizer_info_t info;
  yan_tokenizer_info(t, &info);
  char text[320];
  std::snprintf(text, sizeof(text),
                "{\"kind\": \"%s\", \"vocab_size\": %d, \"unk_id\": %d, \"bos_id\": %d, "
                "\"eos_id\": %d, \"pad_id\": %d, \"byte_fallback\": %s, "
                "\"add_dummy_prefix\": %s}",
                info.kind, info.vocab_size, info.unk_id, info.bos_id, info.eos_id, info.pad_id,
                info.byte_fallback ? "true" : "false", info.add_dummy_prefix ? "true" : "false");
  return text;
}

void printText(yan_bundle_t *b, const char *path) {
  yan_model_config_t c;
  yan_bundle_config(b, &c);
  std::printf("bundle: %s\ncompiler: %s\n", path, yan_bundle_compiler_version(b));
  std::printf("signature: %s\n", signatureText(b).c_str());
  std::printf("weight bytes per decode token: %" PRIu64 "\n",
              yan_bundle_weight_bytes_per_token(b));
  std::printf("FLOPs per token: %" PRIu64 "; per learn position: %" PRIu64
              "; per routed pair of a learn step's weight gradients: %" PRIu64 "\n",
              yan_bundle_flops_per_token(b), yan_bundle_learn_flops_per_token(b),
              yan_bundle_learn_flops_per_routed_pair(b));
  yan_bundle_learn_info_t learn;
  yan_bundle_learn_info(b, &learn);
  if (learn.has_learn)
    std::printf("learn: up to %" PRId64 " partitions per layer per step (docs/learning.md)\n",
                learn.learn_partitions);
  else
    std::printf("learn: off (no learn entries)\n");
  std::printf("config: V=%" PRId64 " D=%" PRId64 " L=%" PRId64 " C=%" PRId64 " K=%" PRId64
              " P=%" PRId64 " k=%" PRId64 " F=%" PRId64 " norm_eps=%g\n",
              c.vocab_size, c.hidden_size, c.num_layers, c.num_channels, c.slope_window,
              c.num_partitions, c.active_partitions, c.partition_size,
              static_cast<double>(c.norm_eps));
  std::printf("  decays: %s\n  slopes: %s\n", floats(c.decays, c.num_channels).c_str(),
              floats(c.slopes, c.num_channels).c_str());
  std::printf("state: %" PRIu64 " floats\n", yan_bundle_state_floats(b));
  std::printf("tokenizer: %s\n", tokenizerText(b).c_str());

  std::printf("segments:\n");
  for (size_t i = 0; i < yan_bundle_segment_count(b); ++i) {
    yan_segment_info_t s;
    yan_status_free(yan_bundle_segment_info(b, i, &s));
    std::printf("  %zu: %-9s offset %" PRIu64 " size %" PRIu64 " sha256 %s%s\n", i,
                kindName(s.kind), s.file_offset, s.size, hex(s.sha256, 32).c_str(),
                s.hash_verified == 2 ? " (trusted: each range verified on first use)"
                : s.hash_verified    ? " (verified)"
                                     : " (not verified)");
  }
  size_t selected = yan_bundle_selected_image(b);
  std::printf("code images:\n");
  for (size_t i = 0; i < yan_bundle_code_image_count(b); ++i) {
    yan_code_image_info_t img;
    yan_status_free(yan_bundle_code_image_info(b, i, &img));
    std::printf("  %zu: %s (%s) cpu '%s' features '%s' abi %u segment %u%s\n", i, img.triple,
                yan_arch_name(img.arch), img.cpu, img.features, img.abi_version, img.segment,
                i == selected ? " [this host]" : "");
    std::printf("     requires %s\n", *img.required_features ? img.required_features : "-");
    for (size_t e = 0; e < img.entry_count; ++e) {
      yan_entry_info_t entry;
      yan_status_free(yan_bundle_code_image_entry(b, i, e, &entry));
      std::printf("     entry %u %-8s max_tokens %" PRId64 " arena %" PRIu64 " bytes\n",
                  entry.index, entry.name, entry.max_tokens, entry.arena_bytes);
    }
  }
  std::printf("weights: %zu\n", yan_bundle_weight_count(b));
  for (size_t i = 0; i < yan_bundle_weight_count(b); ++i) {
    yan_weight_info_t w;
    yan_status_free(yan_bundle_weight_info(b, i, &w));
    std::printf("  %-28s %-4s %-14s offset %-10" PRIu64 " size %-10" PRIu64, w.name,
                dtypeName(w.dtype), shape(w).c_str(), w.offset, w.size);
    if (w.num_partitions > 1)
      std::printf(" partitions %" PRId64 " stride %" PRIu64, w.num_partitions,
                  w.partition_stride);
    if (quantized(w)) // docs/yan-model.md section 9: f16 scale per group
      std::printf(" group %d stored %" PRIu64, YAN_QUANT_GROUP_SIZE, storedBytes(w));
    std::printf("\n");
  }
  std::printf("test vectors: %zu\n", yan_bundle_test_vector_count(b));
  for (size_t i = 0; i < yan_bundle_test_vector_count(b); ++i) {
    yan_test_vector_t t;
    yan_status_free(yan_bundle_test_vector(b, i, &t));
    std::printf("  %s: prompt %zu tokens, %zu generated, states %s\n", t.name, t.prompt_length,
                t.generated_length, t.final_state ? "yes" : "no");
  }
}

void printJson(yan_bundle_t *b, const char *path) {
  yan_model_config_t c;
  yan_bundle_config(b, &c);
  std::printf("{\n  \"bundle\": %s,\n  \"compiler_version\": %s,\n", jsonQuote(path).c_str(),
              jsonQuote(yan_bundle_compiler_version(b)).c_str());
  std::printf("  \"weight_bytes_per_token\": %" PRIu64 ",\n",
              yan_bundle_weight_bytes_per_token(b));
  std::printf("  \"flops_per_token\": %" PRIu64 ",\n  \"learn_flops_per_token\": %" PRIu64
              ",\n  \"learn_flops_per_routed_pair\": %" PRIu64 ",\n",
              yan_bundle_flops_per_token(b), yan_bundle_learn_flops_per_token(b),
              yan_bundle_learn_flops_per_routed_pair(b));
  yan_bundle_learn_info_t learn;
  yan_bundle_learn_info(b, &learn);
  std::printf("  \"learn_partitions\": %" PRId64 ",\n", learn.learn_partitions);
  yan_signature_info_t sig;
  yan_bundle_signature_info(b, &sig);
  std::printf("  \"signature\": {\"signed\": %s, \"key_id\": %s, \"verified\": %s},\n",
              sig.is_signed ? "true" : "false", sig.is_signed ? jsonQuote(sig.key_id).c_str() : "null",
              sig.verified ? "true" : "false");
  std::printf("  \"config\": {\"vocab_size\": %" PRId64 ", \"hidden_size\": %" PRId64
              ", \"num_layers\": %" PRId64 ", \"num_channels\": %" PRId64
              ", \"slope_window\": %" PRId64 ", \"num_partitions\": %" PRId64
              ", \"active_partitions\": %" PRId64 ", \"partition_size\": %" PRId64
              ", \"norm_eps\": %.9g, \"decays\": %s, \"slopes\": %s},\n",
              c.vocab_size, c.hidden_size, c.num_layers, c.num_channels, c.slope_window,
              c.num_partitions, c.active_partitions, c.partition_size,
              static_cast<double>(c.norm_eps), floats(c.decays, c.num_channels).c_str(),
              floats(c.slopes, c.num_channels).c_str());
  std::printf("  \"tokenizer\": %s,\n", tokenizerJson(b).c_str());
  std::printf("  \"state_floats\": %" PRIu64 ",\n  \"segments\": [", yan_bundle_state_floats(b));
  for (size_t i = 0; i < yan_bundle_segment_count(b); ++i) {
    yan_segment_info_t s;
    yan_status_free(yan_bundle_segment_info(b, i, &s));
    std::printf("%s\n    {\"kind\": \"%s\", \"offset\": %" PRIu64 ", \"size\": %" PRIu64
                ", \"sha256\": \"%s\", \"verified\": %s%s}",
                i ? "," : "", kindName(s.kind), s.file_offset, s.size, hex(s.sha256, 32).c_str(),
                s.hash_verified == 1 ? "true" : "false",
                s.hash_verified == 2 ? ", \"verified_on_first_use\": true" : "");
  }
  size_t selected = yan_bundle_selected_image(b);
  std::printf("\n  ],\n  \"code_images\": [");
  for (size_t i = 0; i < yan_bundle_code_image_count(b); ++i) {
    yan_code_image_info_t img;
    yan_status_free(yan_bundle_code_image_info(b, i, &img));
    std::printf("%s\n    {\"triple\": %s, \"arch\": \"%s\", \"cpu\": %s, \"features\": %s, "
                "\"required_features\": %s, "
                "\"abi_version\": %u, \"segment\": %u, \"host\": %s, \"entries\": [",
                i ? "," : "", jsonQuote(img.triple).c_str(), yan_arch_name(img.arch),
                jsonQuote(img.cpu).c_str(), jsonQuote(img.features).c_str(),
                jsonQuote(img.required_features).c_str(), img.abi_version,
                img.segment, i == selected ? "true" : "false");
    for (size_t e = 0; e < img.entry_count; ++e) {
      yan_entry_info_t entry;
      yan_status_free(yan_bundle_code_image_entry(b, i, e, &entry));
      std::printf("%s{\"name\": %s, \"index\": %u, \"max_tokens\": %" PRId64
                  ", \"arena_bytes\": %" PRIu64 "}",
                  e ? ", " : "", jsonQuote(entry.name).c_str(), entry.index, entry.max_tokens,
                  entry.arena_bytes);
    }
    std::printf("]}");
  }
  std::printf("\n  ],\n  \"weights\": [");
  for (size_t i = 0; i < yan_bundle_weight_count(b); ++i) {
    yan_weight_info_t w;
    yan_status_free(yan_bundle_weight_info(b, i, &w));
    std::printf("%s\n    {\"name\": %s, \"dtype\": \"%s\", \"shape\": %s, \"offset\": %" PRIu64
                ", \"size\": %" PRIu64 ", \"num_partitions\": %" PRId64
                ", \"partition_stride\": %" PRIu64 ", \"stored_bytes\": %" PRIu64,
                i ? "," : "", jsonQuote(w.name).c_str(), dtypeName(w.dtype), shape(w).c_str(),
                w.offset, w.size, w.num_partitions, w.partition_stride, storedBytes(w));
    if (quantized(w))
      std::printf(", \"group_size\": %d", YAN_QUANT_GROUP_SIZE);
    std::printf("}");
  }
  std::printf("\n  ],\n  \"test_vectors\": [");
  for (size_t i = 0; i < yan_bundle_test_vector_count(b); ++i) {
    yan_test_vector_t t;
    yan_status_free(yan_bundle_test_vector(b, i, &t));
    std::printf("%s\n    {\"name\": %s, \"prompt_length\": %zu, \"generated_length\": %zu, "
                "\"has_states\": %s}",
                i ? "," : "", jsonQuote(t.name).c_str(), t.prompt_length, t.generated_length,
                t.final_state ? "true" : "false");
  }
  std::printf("\n  ]\n}\n");
}

// No message: --help, whose usage goes to stdout (exit 0).
int usage(const char *message) {
  if (message)
    std::fprintf(stderr, "yan-dump: error: %s\n", message);
  std::fprintf(message ? stderr : stdout, "usage: yan-dump BUNDLE [--json] [--skip-data-hashes] [--trust KEY.pub]...\n"
                       "       yan-dump BUNDLE --svg FILE [--bench FILE.json] [--peak-gflops G]\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  const char *path = nullptr;
  bool json = false;
  uint32_t flags = YAN_BUNDLE_OPEN_NO_CODE;
  std::vector<yan_public_key_t> keys;
  const char *svgPath = nullptr;
  yan::tools::SvgOptions svg;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json"))
      json = true;
    else if (!std::strcmp(argv[i], "--trust")) {
      if (i + 1 >= argc)
        return usage("--trust needs a public key file");
      if (!yan::tools::addTrustedKey("yan-dump", argv[++i], &keys))
        return 1;
    }
    else if (!std::strcmp(argv[i], "--svg")) {
      if (i + 1 >= argc)
        return usage("--svg needs an output file");
      if (svgPath)
        return usage("--svg is given twice");
      svgPath = argv[++i];
    } else if (!std::strcmp(argv[i], "--bench")) {
      if (i + 1 >= argc)
        return usage("--bench needs a yan-bench --json file");
      if (svg.benchJson)
        return usage("--bench is given twice");
      svg.benchJson = argv[++i];
    } else if (!std::strcmp(argv[i], "--peak-gflops")) {
      if (svg.peakGflops > 0)
        return usage("--peak-gflops is given twice");
      char *end = nullptr;
      svg.peakGflops = i + 1 < argc ? std::strtod(argv[i + 1], &end) : 0;
      if (i + 1 >= argc || *end || !(svg.peakGflops > 0 && svg.peakGflops < 1e12))
        return usage("--peak-gflops takes a number of GFLOP/s > 0");
      ++i;
    }
    else if (!std::strcmp(argv[i], "--skip-data-hashes"))
      flags |= YAN_BUNDLE_OPEN_SKIP_DATA_HASHES;
    else if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help"))
      return usage(nullptr), 0;
    else if (argv[i][0] == '-')
      return usage((std::string("unknown option ") + argv[i]).c_str());
    else if (path)
      return usage("more than one bundle given");
    else
      path = argv[i];
  }
  if (!path)
    return usage("no bundle given");
  if (!svgPath && (svg.benchJson || svg.peakGflops > 0))
    return usage("--bench and --peak-gflops go with --svg");
  if (svgPath && json)
    return usage("give --json or --svg, not both");
  yan_bundle_open_options_t options = yan::tools::openOptions(flags, keys);
  yan_bundle_t *bundle = nullptr;
  if (yan_status_t status = yan_bundle_open_file(path, &options, yan_allocator_system(), &bundle)) {
    std::fprintf(stderr, "yan-dump: error: %s [%s]\n", yan_status_message(status),
                 yan_status_code_name(yan_status_code(status)));
    yan_status_free(status);
    return 1;
  }
  std::string error;
  if (svgPath && !yan::tools::writeSvgReport(bundle, path, svgPath, svg, &error)) {
    std::fprintf(stderr, "yan-dump: error: %s\n", error.c_str());
    yan_bundle_release(bundle);
    return 1;
  }
  if (!svgPath && json)
    printJson(bundle, path);
  else if (!svgPath)
    printText(bundle, path);
  yan_bundle_release(bundle);
  return 0;
}
