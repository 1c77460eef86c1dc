//===- learn_header.h - The learn arena's header ----------------*- C++ -*-===//
//
// What LEARN leaves at the start of the learn arena for the runtime, and
// the apply_finite flag the LEARN_APPLY calls of a step clear when they
// store a non-finite value (executable_abi.h, "Learn arena").
//
//===----------------------------------------------------------------------===//
#ifndef YAN_RUNTIME_LEARN_HEADER_H
#define YAN_RUNTIME_LEARN_HEADER_H

#include <cstdint>

namespace yan::rt {

struct StepHeader {
  float loss = 0;
  float gradNorm = 0;
  int32_t finite = 0;
  uint32_t routedPairs = 0;        // (position, chosen partition) pairs
  const int32_t *chosen = nullptr; // [L * M], in the arena
};

StepHeader readHeader(const uint8_t *arena);

/// Sets apply_finite to 1, before a step's LEARN_APPLY calls.
void armApplyFinite(uint8_t *arena);

/// Whether the step's LEARN_APPLY calls stored only finite weights and
/// optimizer state (none cleared apply_finite since armApplyFinite).
bool appliedValuesFinite(const uint8_t *arena);

} // namespace yan::rt

#endif // YAN_RUNTIME_LEARN_HEADER_H
