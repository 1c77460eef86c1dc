//===- Module.cpp - The native module yan._native -------------------------===//
//
// Python bindings for the runtime's C API (yan/runtime.h's parts bundle.h,
// session.h and learn.h, and yan/tokenizer.h), with pybind11 (Debian's
// pybind11-dev): its numpy arrays, keyword arguments and exception
// translation replace what a hand-written extension would spell out in
// reference counting. The package `yan` (yan/__init__.py) re-exports
// this module's names.
//
//===----------------------------------------------------------------------===//
#include "Bundle.h"
#include "Errors.h"
#include "Session.h"
#include "Tokenizer.h"

namespace py = pybind11;

PYBIND11_MODULE(_native, module) {
  module.doc() = "The yan runtime: bundles, sessions, learning, deltas, the tokenizer.";
  yan::python::registerErrors(module);
  yan::python::defineTokenizer(module);
  yan::python::defineSession(module);
  yan::python::defineBundle(module);
  module.attr("host_arch") = yan_arch_name(yan_host_arch());
}
