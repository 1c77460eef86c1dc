//===- plan_check.cpp - The table of contents against the code's plan -----===//
//
// The runtime sizes everything from the FlatBuffer (arena, state, logits
// rows, prompt chunks, token range) while the code uses the constants it
// was compiled with. Those must agree, or a damaged or edited table of
// contents turns into out-of-bounds accesses in generated code, which
// checks nothing (issue 14: an entry's max_tokens one higher than its arena
// was planned for crashed, a smaller arena hung, a larger V let token ids
// read past the embedding). The code image states its plan
// (executable_abi.h v4); this compares field by field, after loading the
// image and before anything is called. It does not rely on the TOC hash,
// so it also protects version 1/2 bundles and hand-edited ones.
//
//===----------------------------------------------------------------------===//
#include "bundle_internal.h"
#include "status.h"

namespace yan::rt {
namespace {

yan_status_t mismatch(const char *field, int64_t toc, int64_t planned) {
  return makeStatus(YAN_STATUS_BAD_LAYOUT,
                    "the table of contents says %s = %lld, but the code image was compiled "
                    "for %lld: the bundle's metadata does not describe its code",
                    field, static_cast<long long>(toc), static_cast<long long>(planned));
}

// A negative planned value: the image does not depend on it (test images
// only; yanc states every field).
bool agrees(int64_t toc, int64_t planned) { return planned < 0 || toc == planned; }

} // namespace

yan_status_t checkPlan(const VerifiedBundle &v, const yan_executable_plan_v4 &plan) {
  const fb::Bundle &root = *v.root;
  const fb::ModelConfig &c = *root.config();
  const fb::Segment &weights = *root.segments()->Get(root.weight_segment());
  struct Field {
    const char *name;
    int64_t toc, planned;
  } fields[] = {
      {"vocab_size", c.vocab_size(), plan.vocab_size},
      {"hidden_size", c.hidden_size(), plan.hidden_size},
      {"num_layers", c.num_layers(), plan.num_layers},
      {"num_partitions", c.num_partitions(), plan.num_partitions},
      {"partition_size", c.partition_size(), plan.partition_size},
      {"state_floats", static_cast<int64_t>(v.stateFloats), plan.state_floats},
      {"the routing counters (2 x L x P)", 2 * c.num_layers() * c.num_partitions(),
       plan.stats_counters},
      // Sizes were bounded by verification (< 2^48): no sign change.
      {"the weight segment's size", static_cast<int64_t>(weights.size()),
       plan.weight_segment_bytes},
  };
  for (const Field &f : fields)
    if (!agrees(f.toc, f.planned))
      return mismatch(f.name, f.toc, f.planned);
  // The learn entries are used only by bundles with a learn table.
  uint32_t entries = v.learnPartitions > 0 ? YAN_ENTRY_COUNT : YAN_ENTRY_LEARN;
  if (v.learnPartitions > 0 && !agrees(v.learnPartitions, plan.learn_partitions))
    return mismatch("learn_partitions", v.learnPartitions, plan.learn_partitions);
  static const char *const kMaxTokens[YAN_ENTRY_COUNT] = {
      "prefill max_tokens", "decode max_tokens", "learn max_tokens",
      "learn_apply max_tokens"};
  static const char *const kArena[YAN_ENTRY_COUNT] = {
      "prefill arena_bytes", "decode arena_bytes", "learn arena_bytes",
      "learn_apply arena_bytes"};
  for (uint32_t i = 0; i < entries; ++i) {
    if (!agrees(v.maxTokens[i], plan.max_tokens[i]))
      return mismatch(kMaxTokens[i], v.maxTokens[i], plan.max_tokens[i]);
    // Arenas are bounded by 2^40 at verification.
    if (!agrees(static_cast<int64_t>(v.arenaBytes[i]), plan.arena_bytes[i]))
      return mismatch(kArena[i], static_cast<int64_t>(v.arenaBytes[i]),
                      plan.arena_bytes[i]);
  }
  return nullptr;
}

} // namespace yan::rt
