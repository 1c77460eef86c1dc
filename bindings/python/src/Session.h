//===- Session.h - yan.Session --------------------------------------------===//
#ifndef YAN_BINDINGS_PYTHON_SESSION_H
#define YAN_BINDINGS_PYTHON_SESSION_H

#include "Handles.h"

#include <pybind11/pybind11.h>

#include <memory>

namespace yan::python {

/// Bundle.session(threads=...).
std::shared_ptr<SessionHandle> createSession(std::shared_ptr<BundleHandle> bundle,
                                             int64_t threads);

/// yan.Session: prefill/decode to numpy, state, statistics, learn.
void defineSession(pybind11::module_ &module);

} // namespace yan::python

#endif
