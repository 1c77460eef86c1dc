//===- learn_header.cpp - The learn arena's header ------------------------===//
#include "learn_header.h"

#include "yan/executable_abi.h"

#include <cstring>

namespace yan::rt {

StepHeader readHeader(const uint8_t *arena) {
  StepHeader h;
  std::memcpy(&h.loss, arena + YAN_LEARN_LOSS_OFFSET, sizeof h.loss);
  std::memcpy(&h.gradNorm, arena + YAN_LEARN_GRAD_NORM_OFFSET, sizeof h.gradNorm);
  std::memcpy(&h.finite, arena + YAN_LEARN_FINITE_OFFSET, sizeof h.finite);
  std::memcpy(&h.routedPairs, arena + YAN_LEARN_ROUTED_PAIRS_OFFSET, sizeof h.routedPairs);
  h.chosen = reinterpret_cast<const int32_t *>(arena + YAN_LEARN_CHOSEN_OFFSET);
  return h;
}

void armApplyFinite(uint8_t *arena) {
  const int32_t finite = 1;
  std::memcpy(arena + YAN_LEARN_APPLY_FINITE_OFFSET, &finite, sizeof finite);
}

bool appliedValuesFinite(const uint8_t *arena) {
  int32_t finite = 0;
  std::memcpy(&finite, arena + YAN_LEARN_APPLY_FINITE_OFFSET, sizeof finite);
  return finite != 0;
}

} // namespace yan::rt
