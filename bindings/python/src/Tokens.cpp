//===- Tokens.cpp - Python token ids to int32 -----------------------------===//
#include "Tokens.h"
#include "Errors.h"

#include <pybind11/numpy.h>

#include <limits>
#include <string>

namespace py = pybind11;

namespace yan::python {

namespace {

int32_t narrow(int64_t value, size_t position) {
  if (value < std::numeric_limits<int32_t>::min() || value > std::numeric_limits<int32_t>::max())
    fail(YAN_STATUS_OUT_OF_RANGE, "token id " + std::to_string(value) + " at position " +
                                      std::to_string(position) + " does not fit in int32");
  return static_cast<int32_t>(value);
}

} // namespace

std::vector<int32_t> toTokens(const py::handle &tokens) {
  py::array array = py::array::ensure(tokens);
  if (!array)
    fail(YAN_STATUS_INVALID_ARGUMENT, "token ids must be a sequence of integers");
  if (array.ndim() != 1)
    fail(YAN_STATUS_INVALID_ARGUMENT,
         "token ids must be one-dimensional, not " + std::to_string(array.ndim()) + "-D");
  std::vector<int32_t> out;
  if (array.size() == 0)
    return out; // np.asarray([]) is float64: an empty list has no dtype to check
  char kind = array.dtype().kind();
  if (kind != 'i' && kind != 'u')
    fail(YAN_STATUS_INVALID_ARGUMENT,
         std::string("token ids must be integers, not dtype kind '") + kind + "'");
  // uint64 values above INT64_MAX would wrap in the cast below.
  if (kind == 'u' && array.itemsize() == 8) {
    auto values = py::array_t<uint64_t, py::array::forcecast>::ensure(array);
    for (py::ssize_t i = 0; i < values.size(); ++i)
      if (values.at(i) > uint64_t(std::numeric_limits<int64_t>::max()))
        fail(YAN_STATUS_OUT_OF_RANGE, "token id " + std::to_string(values.at(i)) +
                                          " at position " + std::to_string(i) +
                                          " does not fit in int32");
  }
  auto values = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(array);
  out.reserve(static_cast<size_t>(values.size()));
  const int64_t *data = values.data();
  for (py::ssize_t i = 0; i < values.size(); ++i)
    out.push_back(narrow(data[i], static_cast<size_t>(i)));
  return out;
}

int32_t toToken(const py::handle &token) {
  // Python ints and numpy integer scalars; bool and float are refused.
  if (py::isinstance<py::bool_>(token) || !PyIndex_Check(token.ptr()))
    fail(YAN_STATUS_INVALID_ARGUMENT, "a token id must be an integer");
  int overflow = 0;
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(token.ptr()));
  if (!index)
    throw py::error_already_set();
  long long value = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (overflow)
    fail(YAN_STATUS_OUT_OF_RANGE, "token id " + std::string(py::str(index)) +
                                      " does not fit in int32");
  return narrow(value, 0);
}

} // namespace yan::python
