//===- session.cpp - Running prefill / decode on a bundle -----------------===//
//
// A session is one allocation: the struct, the recurrent state and one arena
// big enough for prefill and decode (entries run one at a time per session,
// so they share it). prefill/decode only check arguments and call generated
// code: no allocation and no shared mutable data, so sessions on one bundle
// run concurrently. The one exception is lazy trust (weight_trust.h): in
// trusted mode the first use of a weight range hashes it under the bundle's
// lock (and allocates the bundle's L x P verification table once). The learn entries' larger memory is allocated
// only when a session first learns (session_learn.cpp).
//
//===----------------------------------------------------------------------===//
#include "learn_state.h"
#include "session_internal.h"
#include "status.h"
#include "weight_trust.h"

#include <cstdio>
#include <cstring>
#include <new>
#include <unistd.h>

using namespace yan::rt;

namespace {

constexpr size_t kAlign = 64; // what executable_abi.h promises for the arena
constexpr char kStateMagic[8] = {'Y', 'A', 'N', 'S', 'T', 'A', 'T', 'E'};
constexpr uint32_t kStateVersion = 1;

// The header of a saved state blob; the weight fingerprint (first bytes of
// the weight segment's sha256) stops a state from being restored into a
// different model with the same state size.
struct StateHeader {
  char magic[8];
  uint32_t version;
  uint32_t reserved;
  uint64_t stateFloats;
  uint8_t weightFingerprint[8];
};
static_assert(sizeof(StateHeader) == 32, "state header is 32 bytes");

size_t alignUp(size_t value) { return (value + kAlign - 1) & ~(kAlign - 1); }

void fingerprint(const yan_bundle_t *bundle, uint8_t out[8]) {
  const fb::Bundle &root = *bundle->verified.root;
  std::memcpy(out, root.segments()->Get(root.weight_segment())->sha256()->bytes()->data(), 8);
}

// One entry call on every thread of the session's pool.
struct EntryJob {
  yan_entry_fn_v3 entry;
  yan_entry_args_v3 args;
  std::atomic<int32_t> result{0};
};

void runEntryOnThread(void *context, uint32_t index) {
  auto *job = static_cast<EntryJob *>(context);
  yan_entry_args_v3 args = job->args;
  args.thread_index = index;
  int32_t result = job->entry(&args);
  if (result != 0)
    job->result.store(result, std::memory_order_relaxed);
}

// Non-finite logits are an error, not something to take an argmax of (a
// NaN compares false, so greedy decoding would silently pick token 0): they
// come from non-finite weights or state, which the recurrent state then
// carries on, so the session is poisoned like after a failed entry. Here,
// in the runtime, so every caller gets it; V floats per token are noise
// next to the V x D vocabulary projection that produced them.
yan_status_t checkFinite(yan_session_t *session, uint32_t entry, const float *logits,
                         int64_t count) {
  size_t total = static_cast<size_t>(count) * static_cast<size_t>(session->vocabSize);
  for (size_t i = 0; i < total; ++i) {
    uint32_t bits;
    std::memcpy(&bits, logits + i, sizeof bits);
    if ((bits & 0x7f800000u) != 0x7f800000u)
      continue;
    session->poisoned = true;
    return makeStatus(YAN_STATUS_NON_FINITE,
                      "the %s entry produced a non-finite logit (%g for id %lld of row "
                      "%lld): the weights or the state are not finite; the session state is "
                      "undefined until yan_session_reset or yan_session_set_state",
                      entry == YAN_ENTRY_PREFILL ? "prefill" : "decode",
                      static_cast<double>(logits[i]),
                      static_cast<long long>(i % static_cast<size_t>(session->vocabSize)),
                      static_cast<long long>(i / static_cast<size_t>(session->vocabSize)));
  }
  return nullptr;
}

yan_status_t run(yan_session_t *session, uint32_t entry, const int32_t *tokens,
                 int64_t count, float *logits) {
  yan_entry_args_v3 args{};
  args.weights = session->bundle->verified.weights;
  args.state = session->state;
  args.arena = session->arena;
  args.tokens = tokens;
  args.num_tokens = count;
  args.logits = logits;
  args.stats = session->stats;
  setPartitionCopies(session->bundle, args);
  int32_t result = runOnPool(session, session->bundle->entries[entry], args);
  if (session->trustFailed)
    return trustFailure(session);
  (entry == YAN_ENTRY_PREFILL ? session->prefillTokens : session->decodeTokens) +=
      static_cast<uint64_t>(count);
  if (result == 0)
    return checkFinite(session, entry, logits, count);
  session->poisoned = true;
  return makeStatus(YAN_STATUS_ENTRY_FAILED,
                    "the %s entry returned error %d; the session state is undefined "
                    "until yan_session_reset or yan_session_set_state",
                    entry == YAN_ENTRY_PREFILL ? "prefill" : "decode", result);
}

// The first verification failure makes the session unusable.
void failTrust(yan_session_t *session, yan_status_t status) {
  if (!session->trustFailed) {
    session->trustFailed = true;
    session->trustCode = yan_status_code(status);
    std::snprintf(session->trustMessage, sizeof session->trustMessage, "%s",
                  yan_status_message(status));
  }
  yan_status_free(status);
}

// yan_verify_fn_v5: called by thread 0 of the entry for a routed partition
// whose byte is 0 (executable_abi.h).
void verifySlot(void *verifier, int64_t slot) {
  auto *session = static_cast<yan_session_t *>(verifier);
  const fb::ModelConfig &c = *session->bundle->verified.root->config();
  int64_t slots = c.num_layers() * c.num_partitions();
  yan_status_t status =
      slot < 0 || slot >= slots
          ? makeStatus(YAN_STATUS_INTERNAL, "the code asked to verify slot %lld of %lld",
                       static_cast<long long>(slot), static_cast<long long>(slots))
          : verifyPartition(session->bundle, slot / c.num_partitions(),
                            slot % c.num_partitions());
  if (!status) {
    session->verifiedMap[slot] = 1;
    return;
  }
  session->verifiedMap[slots] = 1;
  failTrust(session, status);
}

// An entry's return value when weight verification refused it.
constexpr int32_t kRefusedByTrust = INT32_MIN;

} // namespace

namespace yan::rt {

int32_t runOnPool(yan_session_t *session, yan_entry_fn_v3 entry, const yan_entry_args_v3 &args) {
  if (session->trustFailed)
    return kRefusedByTrust;
  // Lazy trust: the weights outside the partitions before the first entry
  // call (cached per bundle); the partitions when the code asks.
  bool lazy = session->bundle->verified.lazyWeights;
  if (lazy) {
    if (yan_status_t status = verifyDenseWeights(session->bundle)) {
      failTrust(session, status);
      return kRefusedByTrust;
    }
  }
  EntryJob job;
  job.entry = entry;
  job.args = args;
  job.args.thread_index = 0;
  job.args.thread_count = session->pool->threads();
  job.args.pool = session->pool;
  job.args.barrier = &ThreadPool::barrier;
  job.args.verified = lazy ? session->verifiedMap : nullptr;
  job.args.verify = &verifySlot;
  job.args.verifier = session;
  session->pool->run(runEntryOnThread, &job);
  if (session->trustFailed)
    return kRefusedByTrust;
  return job.result.load(std::memory_order_relaxed);
}

yan_status_t trustFailure(const yan_session_t *session) {
  return makeStatus(session->trustCode,
                    "%s; the session refuses all further work (weight verification "
                    "failed: the bundle is damaged or was tampered with)",
                    session->trustMessage);
}

yan_status_t checkUsable(const yan_session_t *session, const char *function) {
  if (!session)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "%s: NULL session", function);
  if (session->trustFailed)
    return annotate(trustFailure(session), function);
  if (session->poisoned)
    return makeStatus(YAN_STATUS_FAILED_PRECONDITION,
                      "%s: an earlier entry failed; reset the session or set its state",
                      function);
  return nullptr;
}

} // namespace yan::rt

extern "C" {

yan_status_t yan_session_create(yan_bundle_t *bundle, const yan_allocator_t *allocator,
                                yan_session_t **out_session) {
  yan_session_options_t options{1};
  return yan_session_create_with_options(bundle, allocator, &options, out_session);
}

yan_status_t yan_session_create_with_options(yan_bundle_t *bundle,
                                             const yan_allocator_t *allocator,
                                             const yan_session_options_t *options,
                                             yan_session_t **out_session) {
  uint32_t threads = options ? options->threads : 1;
  if (threads == 0) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    threads = online > 0 ? static_cast<uint32_t>(online) : 1;
  }
  if (threads > 1024)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "yan_session_create: %u threads requested; at most 1024", threads);
  if (!bundle || !out_session)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_session_create: NULL argument");
  yan_allocator_t alloc = allocator ? *allocator : bundle->allocator;
  if (!alloc.allocate || !alloc.free)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_session_create: incomplete allocator");
  if (!bundle->image.executable)
    return makeStatus(YAN_STATUS_FAILED_PRECONDITION,
                      "yan_session_create: the bundle was opened without code "
                      "(YAN_BUNDLE_OPEN_NO_CODE)");
  const VerifiedBundle &v = bundle->verified;
  uint64_t arenaBytes = v.arenaBytes[YAN_ENTRY_PREFILL] > v.arenaBytes[YAN_ENTRY_DECODE]
                            ? v.arenaBytes[YAN_ENTRY_PREFILL]
                            : v.arenaBytes[YAN_ENTRY_DECODE];
  // Sizes were bounded at verification (state < 2^42 bytes, arena <= 2^40).
  size_t stateOffset = alignUp(sizeof(yan_session));
  size_t arenaOffset = alignUp(stateOffset + v.stateFloats * sizeof(float));
  const auto *config = v.root->config();
  size_t statsCount = 2 * static_cast<size_t>(config->num_layers()) *
                      static_cast<size_t>(config->num_partitions());
  size_t statsOffset = arenaOffset + alignUp(arenaBytes);
  size_t verifiedOffset = alignUp(statsOffset + statsCount * sizeof(uint64_t));
  size_t poolOffset = alignUp(verifiedOffset + statsCount / 2 + 1);
  size_t total = poolOffset + alignUp(ThreadPool::bytesFor(threads));
  void *memory = alloc.allocate(alloc.self, total, kAlign);
  if (!memory)
    return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                      "cannot allocate a session: %zu bytes (state %llu floats, arena "
                      "%llu bytes)", total, static_cast<unsigned long long>(v.stateFloats),
                      static_cast<unsigned long long>(arenaBytes));
  auto *bytes = static_cast<uint8_t *>(memory);
  auto *session = new (memory) yan_session();
  session->bundle = bundle;
  session->allocator = alloc;
  session->state = reinterpret_cast<float *>(bytes + stateOffset);
  session->arena = bytes + arenaOffset;
  session->stats = reinterpret_cast<uint64_t *>(bytes + statsOffset);
  session->statsCount = statsCount;
  session->prefillTokens = session->decodeTokens = 0;
  std::memset(session->stats, 0, statsCount * sizeof(uint64_t));
  session->verifiedMap = bytes + verifiedOffset;
  std::memset(session->verifiedMap, 0, statsCount / 2 + 1);
  session->trustFailed = false;
  session->trustCode = YAN_STATUS_OK;
  session->trustMessage[0] = '\0';
  session->pool = ThreadPool::create(bytes + poolOffset, threads);
  if (!session->pool) {
    session->~yan_session();
    alloc.free(alloc.self, memory);
    return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                      "cannot start %u threads for a session", threads);
  }
  session->vocabSize = v.root->config()->vocab_size();
  session->poisoned = false;
  session->learn = nullptr;
  std::memset(session->state, 0, v.stateFloats * sizeof(float));
  yan_bundle_retain(bundle);
  *out_session = session;
  return nullptr;
}

void yan_session_destroy(yan_session_t *session) {
  if (!session)
    return;
  yan_bundle_t *bundle = session->bundle;
  yan_allocator_t alloc = session->allocator;
  destroyLearnMemory(session);
  session->pool->destroy();
  session->~yan_session();
  alloc.free(alloc.self, session);
  yan_bundle_release(bundle);
}

yan_status_t yan_session_prefill(yan_session_t *session, const int32_t *tokens,
                                 size_t num_tokens, float *logits) {
  YAN_RETURN_IF_ERROR(checkUsable(session, "yan_session_prefill"));
  if (!tokens || !logits || num_tokens == 0)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "yan_session_prefill: need at least one token and non-NULL "
                      "tokens and logits");
  // Validate everything first so a bad token leaves the state untouched.
  for (size_t i = 0; i < num_tokens; ++i)
    if (tokens[i] < 0 || tokens[i] >= session->vocabSize)
      return makeStatus(YAN_STATUS_OUT_OF_RANGE,
                        "token %d at position %zu is outside the vocabulary [0, %lld)",
                        tokens[i], i, static_cast<long long>(session->vocabSize));
  auto chunk = static_cast<size_t>(session->bundle->verified.maxTokens[YAN_ENTRY_PREFILL]);
  for (size_t start = 0; start < num_tokens; start += chunk) {
    size_t count = num_tokens - start < chunk ? num_tokens - start : chunk;
    YAN_RETURN_IF_ERROR(run(session, YAN_ENTRY_PREFILL, tokens + start,
                            static_cast<int64_t>(count),
                            logits + start * static_cast<size_t>(session->vocabSize)));
  }
  return nullptr;
}

yan_status_t yan_session_decode(yan_session_t *session, int32_t token, float *logits) {
  YAN_RETURN_IF_ERROR(checkUsable(session, "yan_session_decode"));
  if (!logits)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_session_decode: NULL logits");
  if (token < 0 || token >= session->vocabSize)
    return makeStatus(YAN_STATUS_OUT_OF_RANGE,
                      "token %d at position 0 is outside the vocabulary [0, %lld)", token,
                      static_cast<long long>(session->vocabSize));
  return run(session, YAN_ENTRY_DECODE, &token, 1, logits);
}

void yan_session_reset(yan_session_t *session) {
  if (!session)
    return;
  std::memset(session->state, 0, session->bundle->verified.stateFloats * sizeof(float));
  session->poisoned = false;
}

size_t yan_session_state_size(const yan_session_t *session) {
  return session ? sizeof(StateHeader) +
                       session->bundle->verified.stateFloats * sizeof(float)
                 : 0;
}

yan_status_t yan_session_get_state(const yan_session_t *session, void *buffer, size_t size) {
  YAN_RETURN_IF_ERROR(checkUsable(session, "yan_session_get_state"));
  size_t need = yan_session_state_size(session);
  if (!buffer || size != need)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "yan_session_get_state: buffer of %zu bytes, need exactly %zu", size,
                      need);
  StateHeader header{};
  std::memcpy(header.magic, kStateMagic, sizeof(kStateMagic));
  header.version = kStateVersion;
  header.stateFloats = session->bundle->verified.stateFloats;
  fingerprint(session->bundle, header.weightFingerprint);
  std::memcpy(buffer, &header, sizeof(header));
  std::memcpy(static_cast<uint8_t *>(buffer) + sizeof(header), session->state,
              need - sizeof(header));
  return nullptr;
}

yan_status_t yan_session_set_state(yan_session_t *session, const void *buffer, size_t size) {
  if (!session || !buffer)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_session_set_state: NULL argument");
  size_t need = yan_session_state_size(session);
  if (size != need)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "yan_session_set_state: state of %zu bytes, this model's is %zu",
                      size, need);
  StateHeader header;
  std::memcpy(&header, buffer, sizeof(header));
  uint8_t expected[8];
  fingerprint(session->bundle, expected);
  if (std::memcmp(header.magic, kStateMagic, sizeof(kStateMagic)) != 0 ||
      header.version != kStateVersion ||
      header.stateFloats != session->bundle->verified.stateFloats)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "yan_session_set_state: not a version-%u state blob for this model",
                      kStateVersion);
  if (std::memcmp(header.weightFingerprint, expected, sizeof(expected)) != 0)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "yan_session_set_state: the state was saved from a different model "
                      "(weight fingerprint differs)");
  std::memcpy(session->state, static_cast<const uint8_t *>(buffer) + sizeof(header),
              need - sizeof(header));
  session->poisoned = false;
  return nullptr;
}

const float *yan_session_state_floats(const yan_session_t *session) {
  return session ? session->state : nullptr;
}

uint32_t yan_session_threads(const yan_session_t *session) {
  return session ? session->pool->threads() : 0;
}

void yan_session_stats(const yan_session_t *session, yan_session_stats_t *out) {
  if (!session || !out)
    return;
  const auto *config = session->bundle->verified.root->config();
  size_t layerPartitions = session->statsCount / 2;
  out->num_layers = config->num_layers();
  out->num_partitions = config->num_partitions();
  out->partition_tokens = session->stats;
  out->partition_groups = session->stats + layerPartitions;
  out->prefill_tokens = session->prefillTokens;
  out->decode_tokens = session->decodeTokens;
}

void yan_session_reset_stats(yan_session_t *session) {
  if (!session)
    return;
  std::memset(session->stats, 0, session->statsCount * sizeof(uint64_t));
  session->prefillTokens = session->decodeTokens = 0;
}

} // extern "C"
