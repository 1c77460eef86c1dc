//===- bundle.cpp - Opening and releasing bundles -------------------------===//
//
// open = map (or borrow) -> verifyBundle -> verify and build the tokenizer,
// if any -> load the selected code image -> resolve entry points -> apply a
// delta, if given. Everything the bundle owns hangs off one allocation from
// the caller's allocator plus the file mapping, the code region, the
// tokenizer's tables and, once it learns, its learn state (learn_state.h).
//
//===----------------------------------------------------------------------===//
#include "bundle_internal.h"
#include "learn_state.h"
#include "status.h"
#include "tokenizer_internal.h"

#include <new>

using namespace yan::rt;

namespace {

bool validAllocator(const yan_allocator_t &allocator) {
  return allocator.allocate && allocator.free;
}

void destroy(yan_bundle_t *bundle) {
  destroyTokenizer(bundle->tokenizer);
  destroyLearnState(bundle);
  destroyWeightTrust(bundle);
  unloadElfImage(&bundle->image);
  unmapFile(&bundle->mapping);
  yan_allocator_t allocator = bundle->allocator;
  bundle->~yan_bundle();
  allocator.free(allocator.self, bundle);
}

// Deltas must be signed by a delta key in trusted mode and whenever delta
// keys are given (delta_signature.cpp); the keys are copied.
yan_status_t setDeltaTrust(const yan_bundle_open_options_t &options, DeltaTrust *out) {
  if (options.trusted_delta_key_count > YAN_MAX_TRUSTED_DELTA_KEYS ||
      (options.trusted_delta_key_count && !options.trusted_delta_keys))
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "trusted_delta_key_count = %u: at most %u keys, and not NULL",
                      options.trusted_delta_key_count, YAN_MAX_TRUSTED_DELTA_KEYS);
  out->required = options.trusted_key_count > 0 || options.trusted_delta_key_count > 0;
  out->count = options.trusted_delta_key_count;
  for (uint32_t i = 0; i < out->count; ++i)
    out->keys[i] = options.trusted_delta_keys[i];
  return nullptr;
}

// Takes ownership of `mapping` (unmapped on failure).
yan_status_t open(const uint8_t *data, size_t size, FileMapping mapping,
                  const yan_bundle_open_options_t *options,
                  yan_allocator_t allocator, yan_bundle_t **out) {
  void *memory = allocator.allocate(allocator.self, sizeof(yan_bundle_t),
                                    alignof(yan_bundle_t));
  if (!memory) {
    unmapFile(&mapping);
    return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED, "cannot allocate the bundle");
  }
  auto *bundle = new (memory) yan_bundle_t();
  bundle->allocator = allocator;
  bundle->mapping = mapping;
  bundle->data = data;
  bundle->size = size;

  uint32_t flags = options ? options->flags : 0;
  TrustedKeys trust;
  if (options) {
    trust.keys = options->trusted_keys;
    trust.count = options->trusted_key_count;
  }
  yan_status_t status =
      verifyBundle(data, size, flags, detectHostCpu(), &bundle->verified, trust);
  if (!status && options)
    status = setDeltaTrust(*options, &bundle->deltaTrust);
  // The tokenizer table is verified (and its lookup tables built) before any
  // code is loaded, like the rest of the FlatBuffer.
  if (!status)
    status = createTokenizer(*bundle->verified.root, allocator, &bundle->tokenizer);
  bool loadCode = !(flags & YAN_BUNDLE_OPEN_NO_CODE);
  if (!status && loadCode) {
    const fb::Bundle &root = *bundle->verified.root;
    const fb::CodeImage *image = root.code_images()->Get(bundle->verified.selectedImage);
    const fb::Segment *segment = root.segments()->Get(image->segment());
    status = annotate(loadElfImage(bundle->verified.segmentBase + segment->offset(),
                                   static_cast<size_t>(segment->size()),
                                   hostElfMachine(), &bundle->image),
                      "loading the code image");
  }
  if (!status && loadCode)
    status = checkPlan(bundle->verified, *bundle->image.executable->plan);
  for (uint32_t i = 0; !status && loadCode && i < YAN_ENTRY_COUNT; ++i) {
    bundle->entries[i] = bundle->image.executable->entries[i];
    // The loader lets the learn slots be NULL (--learn=off); a bundle with
    // a learn table promised them.
    if (!bundle->entries[i] && bundle->verified.learnPartitions > 0)
      status = makeStatus(YAN_STATUS_BAD_ELF,
                          "the bundle has a learn table but its code image has no entry "
                          "point %u", i);
  }
  if (!status && options && options->delta_path)
    status = yan_bundle_apply_delta(bundle, options->delta_path);
  if (!status) {
    *out = bundle;
    return nullptr;
  }
  destroy(bundle);
  return status;
}

} // namespace

extern "C" {

yan_status_t yan_bundle_open_file(const char *path,
                                  const yan_bundle_open_options_t *options,
                                  yan_allocator_t allocator, yan_bundle_t **out_bundle) {
  if (!out_bundle || !validAllocator(allocator))
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "yan_bundle_open_file: NULL out_bundle or incomplete allocator");
  FileMapping mapping;
  YAN_RETURN_IF_ERROR(mapFile(path, &mapping));
  return annotate(open(mapping.data, mapping.size, mapping, options, allocator, out_bundle),
                  path);
}

yan_status_t yan_bundle_open_memory(const void *data, size_t size,
                                    const yan_bundle_open_options_t *options,
                                    yan_allocator_t allocator, yan_bundle_t **out_bundle) {
  if (!out_bundle || !validAllocator(allocator) || (!data && size))
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "yan_bundle_open_memory: NULL argument or incomplete allocator");
  if (reinterpret_cast<uintptr_t>(data) % YAN_BUNDLE_WEIGHT_ALIGNMENT != 0)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "yan_bundle_open_memory: data must be %u-byte aligned "
                      "(weights are used in place)", YAN_BUNDLE_WEIGHT_ALIGNMENT);
  return open(static_cast<const uint8_t *>(data), size, FileMapping{}, options, allocator,
              out_bundle);
}

void yan_bundle_retain(yan_bundle_t *bundle) {
  if (bundle)
    bundle->references.fetch_add(1, std::memory_order_relaxed);
}

void yan_bundle_release(yan_bundle_t *bundle) {
  if (bundle && bundle->references.fetch_sub(1, std::memory_order_acq_rel) == 1)
    destroy(bundle);
}

} // extern "C"
