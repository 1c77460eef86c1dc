//===- bundle_info.cpp - Read-only accessors of an open bundle ------------===//
//
// Everything here reads the verified FlatBuffer; pointers returned point into
// the bundle's bytes and live as long as the bundle.
//
//===----------------------------------------------------------------------===//
#include "bundle_internal.h"
#include "learn_state.h"
#include "status.h"
#include "yan/crypto/signature.h"

#include <cstring>

using namespace yan::rt;

namespace {

const fb::Bundle &root(const yan_bundle_t *bundle) { return *bundle->verified.root; }

/// Element `index` of a vector of the table of contents (an absent vector
/// is empty), or OUT_OF_RANGE naming `what`: every indexed accessor below
/// checks its index this one way.
template <typename T>
yan_status_t element(const flatbuffers::Vector<flatbuffers::Offset<T>> *items, size_t index,
                     const char *what, const T **out) {
  size_t count = items ? items->size() : 0;
  if (index >= count)
    return makeStatus(YAN_STATUS_OUT_OF_RANGE, "%s index %zu out of range (bundle has %zu)",
                      what, index, count);
  *out = items->Get(static_cast<uint32_t>(index));
  return nullptr;
}

const char *str(const flatbuffers::String *s) { return s ? s->c_str() : ""; }

void fillEntry(const fb::EntryPoint *entry, yan_entry_info_t *out) {
  out->name = str(entry->name());
  out->index = entry->index();
  out->max_tokens = entry->max_tokens();
  out->arena_bytes = entry->arena_bytes();
}

// Inline values or a slice of a test_data segment (verified to be in bounds
// and 4-byte aligned; segments are 16 KiB-aligned in a 64-byte-aligned
// buffer, so the floats are aligned).
const float *floats(const yan_bundle_t *bundle, const fb::FloatData *data) {
  if (!data)
    return nullptr;
  if (data->values())
    return data->values()->data();
  const fb::SegmentSlice *slice = data->slice();
  if (!slice)
    return nullptr;
  const fb::Segment *segment = root(bundle).segments()->Get(slice->segment());
  return reinterpret_cast<const float *>(bundle->verified.segmentBase + segment->offset() +
                                         slice->offset());
}

} // namespace

extern "C" {

void yan_bundle_config(const yan_bundle_t *bundle, yan_model_config_t *out) {
  const fb::ModelConfig *c = root(bundle).config();
  out->vocab_size = c->vocab_size();
  out->hidden_size = c->hidden_size();
  out->num_layers = c->num_layers();
  out->num_channels = c->num_channels();
  out->slope_window = c->slope_window();
  out->num_partitions = c->num_partitions();
  out->active_partitions = c->active_partitions();
  out->partition_size = c->partition_size();
  out->norm_eps = c->norm_eps();
  out->decays = c->decays()->data();
  out->slopes = c->slopes()->data();
}

const char *yan_bundle_compiler_version(const yan_bundle_t *bundle) {
  return str(root(bundle).compiler_version());
}

uint64_t yan_bundle_weight_bytes_per_token(const yan_bundle_t *bundle) {
  return root(bundle).weight_bytes_per_token();
}

uint64_t yan_bundle_flops_per_token(const yan_bundle_t *bundle) {
  return root(bundle).flops_per_token();
}

uint64_t yan_bundle_learn_flops_per_token(const yan_bundle_t *bundle) {
  return root(bundle).learn_flops_per_token();
}

uint64_t yan_bundle_learn_flops_per_routed_pair(const yan_bundle_t *bundle) {
  return root(bundle).learn_flops_per_routed_pair();
}

size_t yan_bundle_code_image_count(const yan_bundle_t *bundle) {
  return root(bundle).code_images()->size();
}

yan_status_t yan_bundle_code_image_info(const yan_bundle_t *bundle, size_t image,
                                        yan_code_image_info_t *out) {
  const fb::CodeImage *i = nullptr;
  YAN_RETURN_IF_ERROR(element(root(bundle).code_images(), image, "code image", &i));
  out->triple = str(i->triple());
  out->cpu = str(i->cpu());
  out->features = str(i->features());
  out->required_features = str(i->required_features());
  uint8_t arch = static_cast<uint8_t>(i->arch());
  out->arch = arch <= YAN_ARCH_RISCV64 ? static_cast<yan_arch_t>(arch) : YAN_ARCH_UNKNOWN;
  out->abi_version = i->abi_version();
  out->segment = i->segment();
  out->entry_count = i->entries()->size();
  return nullptr;
}

yan_status_t yan_bundle_code_image_entry(const yan_bundle_t *bundle, size_t image,
                                         size_t entry, yan_entry_info_t *out) {
  const fb::CodeImage *i = nullptr;
  YAN_RETURN_IF_ERROR(element(root(bundle).code_images(), image, "code image", &i));
  const fb::EntryPoint *e = nullptr;
  YAN_RETURN_IF_ERROR(element(i->entries(), entry, "entry", &e));
  fillEntry(e, out);
  return nullptr;
}

size_t yan_bundle_selected_image(const yan_bundle_t *bundle) {
  return bundle->verified.selectedImage == kNoImage ? YAN_NO_IMAGE
                                                    : bundle->verified.selectedImage;
}

void yan_bundle_signature_info(const yan_bundle_t *bundle, yan_signature_info_t *out) {
  *out = yan_signature_info_t{};
  out->is_signed = bundle->verified.isSigned;
  out->verified = bundle->verified.signatureVerified;
  if (out->is_signed)
    keyIdHex(bundle->verified.keyId, out->key_id);
}

yan_status_t yan_bundle_entry_info(const yan_bundle_t *bundle, uint32_t index,
                                   yan_entry_info_t *out) {
  if (bundle->verified.selectedImage == kNoImage)
    return makeStatus(YAN_STATUS_FAILED_PRECONDITION,
                      "the bundle has no code image for this host");
  const auto *entries = root(bundle).code_images()->Get(bundle->verified.selectedImage)->entries();
  for (const fb::EntryPoint *entry : *entries)
    if (entry->index() == index) {
      fillEntry(entry, out);
      return nullptr;
    }
  return makeStatus(YAN_STATUS_OUT_OF_RANGE, "the code image has no entry point %u", index);
}

size_t yan_bundle_segment_count(const yan_bundle_t *bundle) {
  return root(bundle).segments()->size();
}

yan_status_t yan_bundle_segment_info(const yan_bundle_t *bundle, size_t segment,
                                     yan_segment_info_t *out) {
  const fb::Segment *s = nullptr;
  YAN_RETURN_IF_ERROR(element(root(bundle).segments(), segment, "segment", &s));
  out->kind = static_cast<yan_segment_kind_t>(s->kind());
  out->file_offset = static_cast<uint64_t>(bundle->verified.segmentBase - bundle->data) +
                     s->offset();
  out->size = s->size();
  std::memcpy(out->sha256, s->sha256()->bytes()->data(), 32);
  bool selectedCode =
      bundle->verified.selectedImage != kNoImage &&
      segment == root(bundle).code_images()->Get(bundle->verified.selectedImage)->segment();
  bool lazyWeights =
      bundle->verified.lazyWeights && segment == root(bundle).weight_segment();
  out->hash_verified = lazyWeights ? 2 : bundle->verified.dataHashesVerified || selectedCode;
  return nullptr;
}

size_t yan_bundle_weight_count(const yan_bundle_t *bundle) {
  return root(bundle).weights()->size();
}

yan_status_t yan_bundle_weight_info(const yan_bundle_t *bundle, size_t weight,
                                    yan_weight_info_t *out) {
  const fb::Weight *w = nullptr;
  YAN_RETURN_IF_ERROR(element(root(bundle).weights(), weight, "weight", &w));
  out->name = str(w->name());
  out->dtype = static_cast<yan_dtype_t>(w->dtype());
  out->rank = w->shape()->size();
  for (uint32_t i = 0; i < YAN_MAX_RANK; ++i)
    out->shape[i] = i < out->rank ? w->shape()->Get(i) : 0;
  out->offset = w->offset();
  out->size = w->size();
  out->num_partitions = w->num_partitions();
  out->partition_stride = w->partition_stride();
  return nullptr;
}

uint64_t yan_bundle_state_floats(const yan_bundle_t *bundle) {
  return bundle->verified.stateFloats;
}

const uint8_t *yan_bundle_weight_segment(const yan_bundle_t *bundle) {
  return bundle->verified.weights;
}

void yan_bundle_learn_info(const yan_bundle_t *bundle, yan_bundle_learn_info_t *out) {
  *out = yan_bundle_learn_info_t{};
  const VerifiedBundle &v = bundle->verified;
  out->has_learn = v.learnPartitions > 0;
  out->learn_partitions = v.learnPartitions;
  if (out->has_learn && v.selectedImage != kNoImage) {
    out->max_tokens = v.maxTokens[YAN_ENTRY_LEARN];
    uint64_t arena = v.arenaBytes[YAN_ENTRY_LEARN] > v.arenaBytes[YAN_ENTRY_LEARN_APPLY]
                         ? v.arenaBytes[YAN_ENTRY_LEARN]
                         : v.arenaBytes[YAN_ENTRY_LEARN_APPLY];
    out->arena_bytes = arena + uint64_t(out->max_tokens - 1) *
                                   uint64_t(root(bundle).config()->vocab_size()) * 4;
  }
  if (const LearnState *state = bundle->learned) {
    out->trained_partitions = state->trained;
    out->optimizer_state_bytes = state->stateBytes;
    out->partition_copy_bytes = state->copyUsed;
  }
}

yan_status_t yan_bundle_partition_learn_state(const yan_bundle_t *bundle, int64_t layer,
                                              int64_t partition,
                                              yan_partition_learn_state_t *out) {
  const fb::ModelConfig &c = *root(bundle).config();
  if (layer < 0 || layer >= c.num_layers() || partition < 0 ||
      partition >= c.num_partitions())
    return makeStatus(YAN_STATUS_OUT_OF_RANGE,
                      "partition %lld of layer %lld: the model has %lld layers of %lld "
                      "partitions", static_cast<long long>(partition),
                      static_cast<long long>(layer), static_cast<long long>(c.num_layers()),
                      static_cast<long long>(c.num_partitions()));
  *out = yan_partition_learn_state_t{};
  if (!bundle->learned)
    return nullptr;
  const PartitionRecord &record = bundle->learned->record(layer, partition);
  if (record.steps == 0)
    return nullptr;
  out->steps = record.steps;
  out->optimizer = static_cast<yan_learn_optimizer_t>(record.optimizer);
  out->optimizer_state = record.optimizerState;
  out->optimizer_state_floats = record.stateFloats;
  out->weights_f32 = partitionCopy(bundle, layer, partition);
  return nullptr;
}

size_t yan_bundle_test_vector_count(const yan_bundle_t *bundle) {
  const auto *vectors = root(bundle).test_vectors();
  return vectors ? vectors->size() : 0;
}

yan_status_t yan_bundle_test_vector(const yan_bundle_t *bundle, size_t index,
                                    yan_test_vector_t *out) {
  const fb::TestVector *t = nullptr;
  YAN_RETURN_IF_ERROR(element(root(bundle).test_vectors(), index, "test vector", &t));
  out->name = str(t->name());
  out->prompt = t->prompt()->data();
  out->prompt_length = t->prompt()->size();
  out->generated = t->generated() ? t->generated()->data() : nullptr;
  out->generated_length = t->generated() ? t->generated()->size() : 0;
  out->next_token = t->next_token();
  out->expected_logits = floats(bundle, t->expected_logits());
  out->prefill_state = floats(bundle, t->prefill_state());
  out->final_state = floats(bundle, t->final_state());
  return nullptr;
}

} // extern "C"
