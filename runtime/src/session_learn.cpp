//===- session_learn.cpp - Learn steps on a session -----------------------===//
//
// The step protocol of executable_abi.h, per step:
//   1. LEARN on every thread of the session's pool with PARTITIONS = m: the
//      loss, the chosen partitions and their gradients land in the learn
//      arena; nothing else changes.
//   2. finite == 0: the step is rejected before anything changed.
//   3. Every chosen partition is prepared (its optimizer must match the one
//      it was trained with, its pages made writable, its optimizer state
//      reserved) before any is updated, so no failure leaves a step half
//      applied for a reason we could have seen coming.
//   4. Per chosen slot: the partition's step count + 1, then LEARN_APPLY
//      (clipping + optimizer step) in place, on the same arena; it writes
//      the values it replaces to the step's rollback copy.
// After the last step a forward-only LEARN (PARTITIONS = 0) gives the loss
// after. The session's recurrent state is only read.
// A step is accepted only if what it produced is finite: its partitions'
// weights and optimizer state as LEARN_APPLY stores them (a non-finite
// value clears the header's apply_finite flag), and the loss after
// it (the next step's LEARN or the loss-after evaluation); otherwise it is
// rolled back from the copy LEARN_APPLY wrote (learn_snapshot.h) and the call
// fails with NON_FINITE.
//
//===----------------------------------------------------------------------===//
#include "learn_header.h"
#include "learn_snapshot.h"
#include "learn_state.h"
#include "session_internal.h"
#include "status.h"
#include "yan/limits.h"

#include <cmath>
#include <cstring>
#include <new>

using namespace yan::rt;

static_assert(YAN_LEARN_SGD == static_cast<int>(YAN_OPTIMIZER_SGD) &&
                  YAN_LEARN_ADAMW == static_cast<int>(YAN_OPTIMIZER_ADAMW),
              "runtime.h optimizers are the ABI's");

namespace {

constexpr size_t kAlign = 64;
constexpr uint32_t kMaxSteps = YAN_LIMIT_LEARN_STEPS_PER_CALL;

const char *optimizerName(uint32_t optimizer) {
  return optimizer == YAN_OPTIMIZER_ADAMW ? "AdamW" : "SGD";
}

// Options with defaults filled in and every value checked.
struct Resolved {
  uint32_t optimizer = YAN_OPTIMIZER_SGD;
  uint32_t steps = 1;
  int64_t partitions = 0; // m
  double lr = 1e-2, momentum = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8,
         weightDecay = 1e-2, maxNorm = 0;
  yan_learn_step_fn onStep = nullptr;
  void *user = nullptr;
  bool lossAfter = true;
  bool stepGradients = false; // materialize gradients for onStep
};

struct DoubleOption {
  uint32_t bit;
  const char *name;
  double value;
  double *target;
  bool sgd, adamw;      // which optimizers use it
  bool belowOne;        // in [0, 1) rather than [0, inf)
};

yan_status_t resolveOptions(const yan_learn_options_t *o, int64_t bundlePartitions,
                            Resolved *out) {
  Resolved r;
  r.partitions = bundlePartitions;
  if (!o) {
    *out = r;
    return nullptr;
  }
  if (o->optimizer != YAN_LEARN_SGD && o->optimizer != YAN_LEARN_ADAMW)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "learn options: optimizer %u is neither YAN_LEARN_SGD nor "
                      "YAN_LEARN_ADAMW", o->optimizer);
  r.optimizer = o->optimizer;
  if (o->steps > kMaxSteps)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "learn options: steps = %u; at most %u", o->steps, kMaxSteps);
  r.steps = o->steps ? o->steps : 1;
  if (o->learn_partitions > static_cast<uint64_t>(bundlePartitions))
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "learn options: learn_partitions = %u exceeds the %lld partitions per "
                      "layer the bundle's learn entries were compiled for (yanc "
                      "--learn-partitions)", o->learn_partitions,
                      static_cast<long long>(bundlePartitions));
  if (o->learn_partitions)
    r.partitions = o->learn_partitions;
  DoubleOption doubles[] = {
      {YAN_LEARN_SET_LR, "lr", o->lr, &r.lr, true, true, false},
      {YAN_LEARN_SET_MOMENTUM, "momentum", o->momentum, &r.momentum, true, false, false},
      {YAN_LEARN_SET_BETA1, "beta1", o->beta1, &r.beta1, false, true, true},
      {YAN_LEARN_SET_BETA2, "beta2", o->beta2, &r.beta2, false, true, true},
      {YAN_LEARN_SET_EPS, "eps", o->eps, &r.eps, false, true, false},
      {YAN_LEARN_SET_WEIGHT_DECAY, "weight_decay", o->weight_decay, &r.weightDecay, false,
       true, false},
      {YAN_LEARN_SET_MAX_NORM, "max_norm", o->max_norm, &r.maxNorm, true, true, false},
  };
  uint32_t known = 0;
  for (const DoubleOption &d : doubles) {
    known |= d.bit;
    if (!(o->set & d.bit)) {
      // A value without its bit would silently be ignored: refuse it.
      if (d.value != 0)
        return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                          "learn options: %s = %g but its YAN_LEARN_SET_* bit is not set "
                          "in `set` (clear fields take their default)", d.name, d.value);
      continue;
    }
    bool used = r.optimizer == YAN_OPTIMIZER_ADAMW ? d.adamw : d.sgd;
    if (!used)
      return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                        "learn options: %s is not a parameter of %s", d.name,
                        optimizerName(r.optimizer));
    if (!std::isfinite(d.value) || d.value < 0 || (d.belowOne && d.value >= 1))
      return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                        "learn options: %s = %g is outside %s", d.name, d.value,
                        d.belowOne ? "[0, 1)" : "[0, inf)");
    *d.target = d.value;
  }
  if (o->set & ~known)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "learn options: unknown bits 0x%x in `set`", o->set & ~known);
  constexpr uint32_t kKnownFlags = YAN_LEARN_FLAG_NO_LOSS_AFTER | YAN_LEARN_FLAG_STEP_GRADIENTS;
  if (o->flags & ~kKnownFlags)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "learn options: unknown bits 0x%x in `flags`",
                      o->flags & ~kKnownFlags);
  r.lossAfter = !(o->flags & YAN_LEARN_FLAG_NO_LOSS_AFTER);
  r.stepGradients = (o->flags & YAN_LEARN_FLAG_STEP_GRADIENTS) != 0;
  r.onStep = o->on_step;
  r.user = o->on_step_user;
  *out = r;
  return nullptr;
}

// Everything learning needs from the bundle, or a clear refusal.
yan_status_t checkSample(const yan_session_t *session, const int32_t *tokens, size_t n,
                         const char *function) {
  YAN_RETURN_IF_ERROR(checkUsable(session, function));
  const VerifiedBundle &v = session->bundle->verified;
  if (v.learnPartitions <= 0)
    return makeStatus(YAN_STATUS_FAILED_PRECONDITION,
                      "%s: the bundle was compiled with --learn=off: it has no learn entry "
                      "points", function);
  if (!tokens)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "%s: NULL tokens", function);
  int64_t maxTokens = v.maxTokens[YAN_ENTRY_LEARN];
  if (n < 2 || n > static_cast<uint64_t>(maxTokens))
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "%s: a sample of %zu tokens; it needs 2 to %lld (the learn entry's "
                      "max_tokens, yanc --learn-max-tokens)", function, n,
                      static_cast<long long>(maxTokens));
  for (size_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= session->vocabSize)
      return makeStatus(YAN_STATUS_OUT_OF_RANGE,
                        "token %d at position %zu is outside the vocabulary [0, %lld)",
                        tokens[i], i, static_cast<long long>(session->vocabSize));
  return nullptr;
}

size_t alignUp(size_t value) { return (value + kAlign - 1) & ~(kAlign - 1); }

// The learn arena, LEARN's logits and the bookkeeping, in one allocation
// from the session's allocator, on the first learn call.
yan_status_t learnMemory(yan_session_t *session, LearnMemory **out) {
  if (session->learn) {
    *out = session->learn;
    return nullptr;
  }
  const VerifiedBundle &v = session->bundle->verified;
  const fb::ModelConfig &c = *v.root->config();
  // Sizes were bounded at verification (arena <= 2^40, logits within the
  // session budget, L * P counters too).
  uint64_t arenaBytes = v.arenaBytes[YAN_ENTRY_LEARN] > v.arenaBytes[YAN_ENTRY_LEARN_APPLY]
                            ? v.arenaBytes[YAN_ENTRY_LEARN]
                            : v.arenaBytes[YAN_ENTRY_LEARN_APPLY];
  size_t L = static_cast<size_t>(c.num_layers()), P = static_cast<size_t>(c.num_partitions());
  size_t M = static_cast<size_t>(v.learnPartitions);
  size_t arenaOffset = alignUp(sizeof(LearnMemory));
  size_t logitsOffset = arenaOffset + alignUp(static_cast<size_t>(arenaBytes));
  size_t logitsFloats = static_cast<size_t>(v.maxTokens[YAN_ENTRY_LEARN] - 1) *
                        static_cast<size_t>(session->vocabSize);
  size_t chosenOffset = logitsOffset + alignUp(logitsFloats * sizeof(float));
  size_t touchedOffset = chosenOffset + alignUp(L * M * sizeof(int32_t));
  size_t snapshotOffset = touchedOffset + alignUp(L * P);
  size_t snapshotBytes = static_cast<size_t>(stepSnapshotBytes(c, v.learnPartitions));
  size_t total = snapshotOffset + snapshotBytes;
  auto *bytes = static_cast<uint8_t *>(
      session->allocator.allocate(session->allocator.self, total, kAlign));
  if (!bytes)
    return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                      "cannot allocate the learn memory of a session: %zu bytes (arena %llu "
                      "bytes, %zu logits)", total, static_cast<unsigned long long>(arenaBytes),
                      logitsFloats);
  auto *memory = new (bytes) LearnMemory();
  memory->arena = bytes + arenaOffset;
  memory->logits = reinterpret_cast<float *>(bytes + logitsOffset);
  memory->lastChosen = reinterpret_cast<int32_t *>(bytes + chosenOffset);
  memory->touched = bytes + touchedOffset;
  memory->snapshot = bytes + snapshotOffset;
  memory->snapshotCapacity = snapshotBytes;
  for (size_t i = 0; i < L * M; ++i)
    memory->lastChosen[i] = -1;
  session->learn = memory;
  *out = memory;
  return nullptr;
}

// Runs LEARN with `partitions` per layer; fills `header`.
yan_status_t runLearn(yan_session_t *session, LearnMemory &memory, const int32_t *tokens,
                      size_t n, int64_t partitions, StepHeader *header) {
  const VerifiedBundle &v = session->bundle->verified;
  std::memset(memory.params, 0, sizeof memory.params);
  memory.params[YAN_LEARN_PARAM_PARTITIONS] = static_cast<double>(partitions);
  yan_entry_args_v3 args{};
  args.weights = v.weights;
  args.state = session->state;
  args.arena = memory.arena;
  args.tokens = tokens;
  args.num_tokens = static_cast<int64_t>(n);
  args.logits = memory.logits;
  args.stats = session->stats;
  setPartitionCopies(session->bundle, args);
  args.learn = memory.params;
  int32_t result = runOnPool(session, session->bundle->entries[YAN_ENTRY_LEARN], args);
  if (session->trustFailed)
    return trustFailure(session);
  if (result != 0) {
    // The ABI leaves the state undefined after a failure, even though LEARN
    // only reads it.
    session->poisoned = true;
    return makeStatus(YAN_STATUS_ENTRY_FAILED,
                      "the learn entry returned error %d; nothing was updated; the session "
                      "state is undefined until yan_session_reset or yan_session_set_state",
                      result);
  }
  *header = readHeader(memory.arena);
  return nullptr;
}

// Generated code is trusted, but the runtime indexes its tables with these:
// a chosen slot must name a partition, ascending per layer, at most m used
// slots per layer, unused slots (-1) after the used ones.
yan_status_t checkChosen(const StepHeader &h, int64_t layers, int64_t slotsPerLayer,
                         int64_t partitions, int64_t m) {
  for (int64_t l = 0; l < layers; ++l) {
    int64_t previous = -1, used = 0;
    for (int64_t j = 0; j < slotsPerLayer; ++j) {
      int32_t p = h.chosen[l * slotsPerLayer + j];
      bool ok = p == -1 ? true : (used == j && p > previous && p < partitions && used < m);
      if (!ok)
        return makeStatus(YAN_STATUS_INTERNAL,
                          "the learn entry chose an invalid partition %d for slot %lld of "
                          "layer %lld (m = %lld); nothing was updated", p,
                          static_cast<long long>(j), static_cast<long long>(l),
                          static_cast<long long>(m));
      if (p >= 0) {
        previous = p;
        ++used;
      }
    }
  }
  return nullptr;
}

// Step 3 of the protocol: every chosen partition ready to be updated.
yan_status_t prepareSlots(yan_bundle_t *bundle, LearnState &state, const StepHeader &h,
                          int64_t slotsPerLayer, const Resolved &o, uint32_t step) {
  for (int64_t l = 0; l < state.layers; ++l)
    for (int64_t j = 0; j < slotsPerLayer; ++j) {
      int32_t p = h.chosen[l * slotsPerLayer + j];
      if (p < 0)
        continue;
      const PartitionRecord &record = state.record(l, p);
      if (record.steps > 0 && record.optimizer != o.optimizer)
        return makeStatus(YAN_STATUS_FAILED_PRECONDITION,
                          "step %u: partition %d of layer %lld was trained with %s; it cannot "
                          "continue with %s (optimizer state is per partition); nothing was "
                          "updated in this step", step + 1, p, static_cast<long long>(l),
                          optimizerName(record.optimizer), optimizerName(o.optimizer));
      // The step count must stay exact as the double LEARN_APPLY receives
      // and never wrap (yan/limits.h).
      if (record.steps + 1 >= YAN_LIMIT_OPTIMIZER_STEPS)
        return makeStatus(YAN_STATUS_FAILED_PRECONDITION,
                          "step %u: partition %d of layer %lld has %llu optimizer steps, the "
                          "most one partition may have; nothing was updated in this step",
                          step + 1, p, static_cast<long long>(l),
                          static_cast<unsigned long long>(record.steps));
    }
  uint64_t floats = optimizerStateFloats(state, o.optimizer, o.momentum != 0);
  for (int64_t l = 0; l < state.layers; ++l)
    for (int64_t j = 0; j < slotsPerLayer; ++j) {
      int32_t p = h.chosen[l * slotsPerLayer + j];
      if (p < 0)
        continue;
      yan_status_t status = makeWritable(bundle, state, l, p);
      if (!status)
        status = reserveOptimizerState(bundle, state, state.record(l, p), floats);
      if (status) {
        releaseUntrainedState(bundle, state);
        return status;
      }
    }
  return nullptr;
}

// Step 4: one LEARN_APPLY per chosen slot.
yan_status_t applySlots(yan_session_t *session, LearnMemory &memory, LearnState &state,
                        const StepHeader &h, int64_t slotsPerLayer, const Resolved &o,
                        const int32_t *tokens) {
  yan_bundle_t *bundle = session->bundle;
  double *params = memory.params;
  params[YAN_LEARN_PARAM_PARTITIONS] = static_cast<double>(o.partitions);
  params[YAN_LEARN_PARAM_OPTIMIZER] = o.optimizer;
  params[YAN_LEARN_PARAM_LR] = o.lr;
  params[YAN_LEARN_PARAM_MOMENTUM] = o.momentum;
  params[YAN_LEARN_PARAM_BETA1] = o.beta1;
  params[YAN_LEARN_PARAM_BETA2] = o.beta2;
  params[YAN_LEARN_PARAM_EPS] = o.eps;
  params[YAN_LEARN_PARAM_WEIGHT_DECAY] = o.weightDecay;
  params[YAN_LEARN_PARAM_MAX_NORM] = o.maxNorm;
  bool needsState = o.optimizer == YAN_OPTIMIZER_ADAMW || o.momentum != 0;
  uint64_t saved = 0; // the slot's index in the step's copy (beginStepCopy)
  for (int64_t l = 0; l < state.layers; ++l)
    for (int64_t j = 0; j < slotsPerLayer; ++j) {
      int32_t p = h.chosen[l * slotsPerLayer + j];
      if (p < 0)
        continue;
      PartitionRecord &record = state.record(l, p);
      if (record.steps++ == 0)
        ++state.trained;
      record.optimizer = o.optimizer;
      params[YAN_LEARN_PARAM_SLOT] = static_cast<double>(l * slotsPerLayer + j);
      params[YAN_LEARN_PARAM_STEP] = static_cast<double>(record.steps);
      yan_entry_args_v3 args{};
      args.weights = bundle->verified.weights; // a memory bundle's copy by now
      args.state = session->state;
      args.arena = memory.arena;
      args.tokens = tokens;
      args.num_tokens = 0;
      args.logits = memory.logits;
      args.stats = session->stats;
      setPartitionCopies(bundle, args);
      args.learn = params;
      args.optimizer_state = needsState ? record.optimizerState : nullptr;
      args.previous = stepCopyValues(memory, saved++);
      int32_t result =
          runOnPool(session, bundle->entries[YAN_ENTRY_LEARN_APPLY], args);
      memory.touched[l * state.partitions + p] = 1;
      if (result != 0) {
        session->poisoned = true;
        return makeStatus(YAN_STATUS_ENTRY_FAILED,
                          "the learn_apply entry returned error %d updating partition %d of "
                          "layer %lld, whose weights and optimizer state are now undefined; "
                          "the session is poisoned until reset",
                          result, p, static_cast<long long>(l));
      }
    }
  return nullptr;
}

// LEARN keeps the chosen partitions' gradients as low-rank factors in its
// arena; LEARN_APPLY with YAN_OPTIMIZER_GRADIENT writes one slot's dense
// pre-clip gradient (w1, w3, w2) where optimizer_state points. Unused slots
// are zero.
yan_status_t materializeGradients(yan_session_t *session, LearnMemory &memory,
                                  const StepHeader &h) {
  const VerifiedBundle &v = session->bundle->verified;
  const fb::ModelConfig &c = *v.root->config();
  size_t slots = static_cast<size_t>(c.num_layers()) * static_cast<size_t>(v.learnPartitions);
  size_t perSlot = 3 * static_cast<size_t>(c.partition_size()) *
                   static_cast<size_t>(c.hidden_size());
  if (!memory.gradients) {
    memory.gradients = static_cast<float *>(session->allocator.allocate(
        session->allocator.self, slots * perSlot * sizeof(float), kAlign));
    if (!memory.gradients)
      return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                        "cannot allocate %zu bytes for the dense gradients",
                        slots * perSlot * sizeof(float));
  }
  double params[YAN_LEARN_PARAM_COUNT] = {};
  params[YAN_LEARN_PARAM_OPTIMIZER] = YAN_OPTIMIZER_GRADIENT;
  for (size_t slot = 0; slot < slots; ++slot) {
    float *out = memory.gradients + slot * perSlot;
    if (h.chosen[slot] < 0) {
      std::memset(out, 0, perSlot * sizeof(float));
      continue;
    }
    params[YAN_LEARN_PARAM_SLOT] = static_cast<double>(slot);
    yan_entry_args_v3 args{};
    args.weights = v.weights;
    args.state = session->state;
    args.arena = memory.arena;
    args.logits = memory.logits;
    args.stats = session->stats;
    setPartitionCopies(session->bundle, args);
    args.learn = params;
    args.optimizer_state = out;
    int32_t result = runOnPool(session, session->bundle->entries[YAN_ENTRY_LEARN_APPLY], args);
    if (result != 0)
      return makeStatus(YAN_STATUS_ENTRY_FAILED,
                        "the learn_apply entry returned error %d reading slot %zu's gradient",
                        result, slot);
  }
  return nullptr;
}

void describeStep(const yan_session_t *session, const StepHeader &h, uint32_t step,
                  yan_learn_step_t *out) {
  const fb::ModelConfig &c = *session->bundle->verified.root->config();
  out->step = step;
  out->finite = h.finite != 0;
  out->loss = h.loss;
  out->grad_norm = h.gradNorm;
  out->num_layers = c.num_layers();
  out->slots_per_layer = session->bundle->verified.learnPartitions;
  out->chosen = h.chosen;
  out->gradients = nullptr; // only yan_session_learn_gradients materializes them
  out->floats_per_slot = 3 * static_cast<uint64_t>(c.partition_size()) *
                         static_cast<uint64_t>(c.hidden_size());
  out->routed_pairs = h.routedPairs;
}

} // namespace

namespace yan::rt {

void destroyLearnMemory(yan_session_t *session) {
  if (!session->learn)
    return;
  if (session->learn->gradients)
    session->allocator.free(session->allocator.self, session->learn->gradients);
  session->learn->~LearnMemory();
  session->allocator.free(session->allocator.self, session->learn);
  session->learn = nullptr;
}

} // namespace yan::rt

extern "C" {

yan_status_t yan_session_learn(yan_session_t *session, const int32_t *tokens, size_t n,
                               const yan_learn_options_t *options,
                               yan_learn_result_t *out) {
  YAN_RETURN_IF_ERROR(checkSample(session, tokens, n, "yan_session_learn"));
  if (!out)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_session_learn: NULL result");
  yan_bundle_t *bundle = session->bundle;
  const int64_t M = bundle->verified.learnPartitions;
  Resolved o;
  YAN_RETURN_IF_ERROR(resolveOptions(options, M, &o));
  LearnGuard guard(bundle);
  YAN_RETURN_IF_ERROR(guard.status("yan_session_learn"));
  LearnMemory *memory = nullptr;
  YAN_RETURN_IF_ERROR(learnMemory(session, &memory));
  LearnState *state = nullptr;
  YAN_RETURN_IF_ERROR(learnState(bundle, &state));
  const int64_t L = state->layers, P = state->partitions;
  std::memset(memory->touched, 0, static_cast<size_t>(L * P));

  yan_learn_result_t result{};
  result.num_layers = L;
  result.slots_per_layer = M;
  result.chosen = memory->lastChosen;
  for (uint32_t s = 0; s < o.steps; ++s) {
    StepHeader h;
    YAN_RETURN_IF_ERROR(runLearn(session, *memory, tokens, n, o.partitions, &h));
    if (!h.finite) {
      if (s == 0)
        return makeStatus(YAN_STATUS_NON_FINITE,
                          "step 1 rejected: non-finite loss or gradient (loss %g); weights "
                          "unchanged", static_cast<double>(h.loss));
      // A finite step s made the loss non-finite: it goes too.
      if (!std::isfinite(h.loss)) {
        restoreStep(session, *memory, *state);
        return makeStatus(YAN_STATUS_NON_FINITE,
                          "step %u made the loss non-finite (%g): rolled back (the %u "
                          "step(s) of this call before it stay applied)",
                          s, static_cast<double>(h.loss), s - 1);
      }
      return makeStatus(YAN_STATUS_NON_FINITE,
                        "step %u rejected: non-finite gradient (loss %g); weights "
                        "unchanged by it (steps 1 to %u of this call stay applied)",
                        s + 1, static_cast<double>(h.loss), s);
    }
    YAN_RETURN_IF_ERROR(checkChosen(h, L, M, P, o.partitions));
    YAN_RETURN_IF_ERROR(prepareSlots(bundle, *state, h, M, o, s));
    if (o.onStep) {
      // LEARN_APPLY with YAN_OPTIMIZER_GRADIENT only reads the arena: the
      // step's updates below still see what LEARN left.
      if (o.stepGradients)
        YAN_RETURN_IF_ERROR(materializeGradients(session, *memory, h));
      yan_learn_step_t step;
      describeStep(session, h, s, &step);
      if (o.stepGradients)
        step.gradients = memory->gradients;
      o.onStep(o.user, &step);
    }
    uint64_t stateFloats = optimizerStateFloats(*state, o.optimizer, o.momentum != 0);
    YAN_RETURN_IF_ERROR(beginStepCopy(*memory, *state, h.chosen, M, stateFloats));
    std::memcpy(memory->lastChosen, h.chosen, static_cast<size_t>(L * M) * sizeof(int32_t));
    armApplyFinite(memory->arena);
    YAN_RETURN_IF_ERROR(applySlots(session, *memory, *state, h, M, o, tokens));
    completeStepCopy(*memory);
    if (!appliedValuesFinite(memory->arena)) {
      restoreStep(session, *memory, *state);
      return makeStatus(YAN_STATUS_NON_FINITE,
                        "step %u produced non-finite weights or optimizer state (loss before "
                        "it %g, gradient norm %g): rolled back (the %u step(s) of this call "
                        "before it stay applied)",
                        s + 1, static_cast<double>(h.loss), static_cast<double>(h.gradNorm), s);
    }
    if (s == 0)
      result.loss_before = h.loss;
    result.grad_norm = h.gradNorm;
    result.steps = s + 1;
    result.routed_pairs += h.routedPairs;
  }
  result.loss_after = NAN;
  if (o.lossAfter) {
    StepHeader after;
    YAN_RETURN_IF_ERROR(runLearn(session, *memory, tokens, n, 0, &after));
    if (!std::isfinite(after.loss)) {
      restoreStep(session, *memory, *state);
      return makeStatus(YAN_STATUS_NON_FINITE,
                        "step %u made the loss non-finite (%g): rolled back (the %u step(s) "
                        "of this call before it stay applied)",
                        o.steps, static_cast<double>(after.loss), o.steps - 1);
    }
    result.loss_after = after.loss;
  }
  for (int64_t i = 0; i < L * P; ++i)
    result.partitions_touched += memory->touched[i];
  *out = result;
  return nullptr;
}

yan_status_t yan_session_learn_gradients(yan_session_t *session, const int32_t *tokens,
                                         size_t n, uint32_t learn_partitions,
                                         yan_learn_step_t *out) {
  YAN_RETURN_IF_ERROR(checkSample(session, tokens, n, "yan_session_learn_gradients"));
  if (!out)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_session_learn_gradients: NULL out");
  yan_learn_options_t options{};
  options.learn_partitions = learn_partitions;
  Resolved o;
  YAN_RETURN_IF_ERROR(resolveOptions(&options, session->bundle->verified.learnPartitions, &o));
  LearnGuard guard(session->bundle);
  YAN_RETURN_IF_ERROR(guard.status("yan_session_learn_gradients"));
  LearnMemory *memory = nullptr;
  YAN_RETURN_IF_ERROR(learnMemory(session, &memory));
  StepHeader h;
  YAN_RETURN_IF_ERROR(runLearn(session, *memory, tokens, n, o.partitions, &h));
  YAN_RETURN_IF_ERROR(materializeGradients(session, *memory, h));
  describeStep(session, h, 0, out);
  out->gradients = memory->gradients;
  return nullptr;
}

yan_status_t yan_session_learn_loss(yan_session_t *session, const int32_t *tokens, size_t n,
                                    float *loss) {
  YAN_RETURN_IF_ERROR(checkSample(session, tokens, n, "yan_session_learn_loss"));
  if (!loss)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_session_learn_loss: NULL loss");
  LearnGuard guard(session->bundle);
  YAN_RETURN_IF_ERROR(guard.status("yan_session_learn_loss"));
  LearnMemory *memory = nullptr;
  YAN_RETURN_IF_ERROR(learnMemory(session, &memory));
  StepHeader h;
  YAN_RETURN_IF_ERROR(runLearn(session, *memory, tokens, n, 0, &h));
  *loss = h.loss;
  return nullptr;
}

} // extern "C"
