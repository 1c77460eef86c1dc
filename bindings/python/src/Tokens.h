//===- Tokens.h - Python token ids to int32 -------------------------------===//
//
// Token ids arrive as any 1-D sequence of integers (list, tuple, numpy array
// of any integer dtype). Floats are refused rather than truncated, and a
// value that does not fit the runtime's int32 is OUT_OF_RANGE naming it and
// its position, as the runtime names an id outside [0, V).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_BINDINGS_PYTHON_TOKENS_H
#define YAN_BINDINGS_PYTHON_TOKENS_H

#include <pybind11/pybind11.h>

#include <cstdint>
#include <vector>

namespace yan::python {

std::vector<int32_t> toTokens(const pybind11::handle &tokens);
int32_t toToken(const pybind11::handle &token);

} // namespace yan::python

#endif
