//===- Bundle.h - yan.Bundle ----------------------------------------------===//
#ifndef YAN_BINDINGS_PYTHON_BUNDLE_H
#define YAN_BINDINGS_PYTHON_BUNDLE_H

#include <pybind11/pybind11.h>

namespace yan::python {

/// yan.Bundle: open (trusted keys, delta, flags), what it holds, deltas.
void defineBundle(pybind11::module_ &module);

} // namespace yan::python

#endif
