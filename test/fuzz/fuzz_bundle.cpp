//===- fuzz_bundle.cpp - libFuzzer harness: the bundle loader -------------===//
//
// Input: the bytes of a .yanb file. Each input is opened three ways through
// the public C API:
//   1. development mode, YAN_BUNDLE_OPEN_NO_CODE: the header, signature block
//      shape, FlatBuffer, config, layout and hash checks, then every
//      accessor (what yan-dump reads);
//   2. trusted mode (a fixed test key, the one the seed corpus is signed
//      with): the signature path;
//   3. development mode with code: the host image is selected, its hash
//      checked and the image loaded by the ELF loader, which calls its
//      query function. Only when that image is one of the seed corpus's
//      genuine images (its SHA-256 among theirs, read from the seed
//      directory once): a hash stored in the bundle proves nothing here,
//      since libFuzzer's comparison tracing hands the hash the runtime
//      computed back to the mutator, which writes it into the FlatBuffer;
//      and development mode runs whatever code matches the bundle's own
//      hash (docs/security.md: only signatures protect code). Sessions are
//      not run (generated code trusts the config that dev-mode hashes do
//      not cover).
// Then, when the input is a version 3 bundle whose header is in range, 1 and
// 3 again with its table-of-contents hash recomputed: without that, almost
// every mutation of the FlatBuffer stops at the TOC hash and never reaches
// the checks behind it (the semantic checks must hold without the hash).
// The ELF loader on arbitrary images is fuzz_elf.cpp.
//
//===----------------------------------------------------------------------===//
#include "yan/crypto/signature.h"
#include "yan/crypto/toc_hash.h"
#include "yan/runtime.h"
#include "yan/tokenizer.h"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace {

const yan_public_key_t &testKey() {
  static const yan_public_key_t key = [] {
    yan_public_key_t k;
    uint8_t seed[32];
    std::memset(seed, 0x42, sizeof seed); // test/fuzz/CMakeLists.txt signs seeds with it
    yan::rt::ed25519PublicKey(seed, k.bytes);
    return k;
  }();
  return key;
}

void exercise(yan_bundle_t *b) {
  yan_model_config_t config;
  yan_bundle_config(b, &config);
  volatile float sink = 0;
  for (int64_t c = 0; c < config.num_channels; ++c)
    sink = sink + config.decays[c] + config.slopes[c];
  (void)yan_bundle_compiler_version(b);
  (void)yan_bundle_weight_bytes_per_token(b);
  (void)yan_bundle_state_floats(b);
  yan_signature_info_t sig;
  yan_bundle_signature_info(b, &sig);
  for (size_t i = 0; i < yan_bundle_segment_count(b); ++i) {
    yan_segment_info_t s;
    yan_status_free(yan_bundle_segment_info(b, i, &s));
  }
  for (size_t i = 0; i < yan_bundle_code_image_count(b); ++i) {
    yan_code_image_info_t info;
    yan_status_free(yan_bundle_code_image_info(b, i, &info));
    for (size_t e = 0; e < info.entry_count; ++e) {
      yan_entry_info_t entry;
      yan_status_free(yan_bundle_code_image_entry(b, i, e, &entry));
    }
  }
  for (size_t i = 0; i < yan_bundle_weight_count(b); ++i) {
    yan_weight_info_t w;
    yan_status_free(yan_bundle_weight_info(b, i, &w));
  }
  for (size_t i = 0; i < yan_bundle_test_vector_count(b); ++i) {
    yan_test_vector_t t;
    if (yan_status_t s = yan_bundle_test_vector(b, i, &t)) {
      yan_status_free(s);
      continue;
    }
    // Touch the first and last float of every array the runtime hands out.
    size_t rows = t.prompt_length + t.generated_length;
    size_t logits = rows * static_cast<size_t>(config.vocab_size);
    if (logits)
      sink = sink + t.expected_logits[0] + t.expected_logits[logits - 1];
    uint64_t state = yan_bundle_state_floats(b);
    if (t.prefill_state && state)
      sink = sink + t.prefill_state[0] + t.prefill_state[state - 1];
    if (t.final_state && state)
      sink = sink + t.final_state[0] + t.final_state[state - 1];
    for (size_t k = 0; k < t.prompt_length; ++k)
      sink = sink + static_cast<float>(t.prompt[k]);
  }
  // A tokenizer that passed verification must encode and decode anything.
  if (const yan_tokenizer_t *tok = yan_bundle_tokenizer(b)) {
    static const char kText[] = "the a \xff\xe2\x96\x81\xf0\x9f\x98\x80";
    int32_t ids[64];
    size_t count = 0;
    yan_status_free(yan_tokenizer_encode(tok, kText, sizeof(kText) - 1, ids, 64, &count));
    char text[256];
    size_t size = 0;
    yan_status_free(yan_tokenizer_decode(tok, ids, count <= 64 ? count : 0, text,
                                         sizeof(text), &size));
    for (int32_t id = 0; id < yan_tokenizer_vocab_size(tok); ++id)
      yan_status_free(yan_tokenizer_decode(tok, &id, 1, text, sizeof(text), &size));
  }
}

using Digest = std::array<uint8_t, 32>;

/// The SHA-256 of the code segment `bundle` selected for this host, if any.
bool selectedCodeHash(const yan_bundle_t *bundle, Digest *out) {
  size_t image = yan_bundle_selected_image(bundle);
  yan_code_image_info_t info;
  yan_segment_info_t segment;
  if (image == YAN_NO_IMAGE || yan_bundle_code_image_info(bundle, image, &info))
    return false;
  if (yan_status_t status = yan_bundle_segment_info(bundle, info.segment, &segment)) {
    yan_status_free(status);
    return false;
  }
  std::memcpy(out->data(), segment.sha256, out->size());
  return true;
}

yan_bundle_t *openNoCode(const uint8_t *data, size_t size) {
  yan_bundle_open_options_t options = {};
  options.flags = YAN_BUNDLE_OPEN_NO_CODE;
  yan_bundle_t *bundle = nullptr;
  if (yan_status_t status =
          yan_bundle_open_memory(data, size, &options, yan_allocator_system(), &bundle)) {
    yan_status_free(status);
    return nullptr;
  }
  return bundle;
}

/// The code images of the seed bundles (YAN_FUZZ_SEED_BUNDLES, a
/// directory): the only code the harness lets the loader run.
const std::set<Digest> &genuineCode() {
  static const std::set<Digest> digests = [] {
    std::set<Digest> found;
    DIR *dir = opendir(YAN_FUZZ_SEED_BUNDLES);
    if (!dir)
      return found;
    while (const dirent *entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name.size() < 5 || name.compare(name.size() - 5, 5, ".yanb") != 0)
        continue;
      std::ifstream file(std::string(YAN_FUZZ_SEED_BUNDLES) + "/" + name, std::ios::binary);
      std::vector<char> bytes((std::istreambuf_iterator<char>(file)), {});
      void *memory = nullptr;
      if (bytes.empty() || posix_memalign(&memory, 64, bytes.size()) != 0)
        continue;
      std::memcpy(memory, bytes.data(), bytes.size());
      if (yan_bundle_t *bundle = openNoCode(static_cast<uint8_t *>(memory), bytes.size())) {
        Digest digest;
        if (selectedCodeHash(bundle, &digest))
          found.insert(digest);
        yan_bundle_release(bundle);
      }
      std::free(memory);
    }
    closedir(dir);
    return found;
  }();
  return digests;
}

/// Whether opening with code could run code other than a seed's: the
/// selected image's hash (checked at open against the bundle's own table)
/// is not a seed image's.
bool runsForeignCode(const uint8_t *data, size_t size) {
  yan_bundle_t *bundle = openNoCode(data, size);
  if (!bundle)
    return false; // refused before any code is chosen; open with code refuses too
  Digest digest;
  bool foreign = selectedCodeHash(bundle, &digest) && !genuineCode().count(digest);
  yan_bundle_release(bundle);
  return foreign;
}

void openWith(const uint8_t *data, size_t size, uint32_t flags, bool trusted) {
  yan_bundle_open_options_t options = {};
  options.flags = flags;
  if (trusted) {
    options.trusted_key_count = 1;
    options.trusted_keys = &testKey();
  }
  yan_bundle_t *bundle = nullptr;
  if (yan_status_t status =
          yan_bundle_open_memory(data, size, &options, yan_allocator_system(), &bundle)) {
    // Every refusal carries a message.
    if (!*yan_status_message(status))
      std::abort();
    yan_status_free(status);
    return;
  }
  exercise(bundle);
  yan_bundle_release(bundle);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The runtime needs 64-byte aligned bytes (weights are used in place); an
  // exact-size allocation keeps ASan's redzone right after the last byte.
  void *memory = nullptr;
  if (posix_memalign(&memory, 64, size ? size : 1) != 0)
    return 0;
  uint8_t *copy = static_cast<uint8_t *>(memory);
  if (size)
    std::memcpy(copy, data, size);
  openWith(copy, size, YAN_BUNDLE_OPEN_NO_CODE, false);
  openWith(copy, size, YAN_BUNDLE_OPEN_NO_CODE, true);
  if (!runsForeignCode(copy, size))
    openWith(copy, size, 0, false);
  yan_bundle_header header;
  if (size >= sizeof header) {
    std::memcpy(&header, copy, sizeof header);
    if (header.header_version == YAN_BUNDLE_HEADER_VERSION &&
        header.segment_base_offset >= YAN_BUNDLE_TOC_HASH_SIZE &&
        header.segment_base_offset <= size) {
      yan::rt::sealToc(copy);
      openWith(copy, size, YAN_BUNDLE_OPEN_NO_CODE, false);
      if (!runsForeignCode(copy, size))
        openWith(copy, size, 0, false);
    }
  }
  std::free(copy);
  return 0;
}
