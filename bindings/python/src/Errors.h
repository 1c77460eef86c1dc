//===- Errors.h - yan.Error: the one exception type of the bindings -------===//
//
// Every failure the runtime reports (a yan_status_t) and every argument the
// bindings refuse before calling it becomes one Python exception type,
// yan.Error, carrying the status code's name (`.code == "OUT_OF_RANGE"`),
// the runtime's message (`.message`) and the numeric code (`.status`), so a
// test harness catches one type and branches on the code, as C callers do.
// (Python's own TypeError still reports an argument of the wrong Python
// type, e.g. a str where a path or an int is expected.)
//
//===----------------------------------------------------------------------===//
#ifndef YAN_BINDINGS_PYTHON_ERRORS_H
#define YAN_BINDINGS_PYTHON_ERRORS_H

#include "yan/status.h"

#include <pybind11/pybind11.h>

#include <string>

namespace yan::python {

/// Thrown in C++, translated to yan.Error at the Python boundary (the
/// translator needs the GIL; a YanError may be built without it).
struct YanError {
  yan_status_code_t code;
  std::string message;
};

/// Throws YanError for a non-NULL status (freeing it); returns otherwise.
void check(yan_status_t status);

/// Throws YanError{code, message}.
[[noreturn]] void fail(yan_status_code_t code, std::string message);

/// Bytes as a Python str, undecodable bytes replaced (U+FFFD).
pybind11::str text(const std::string &bytes);

/// Creates yan.Error in `module` and registers the translator.
void registerErrors(pybind11::module_ &module);

} // namespace yan::python

#endif
