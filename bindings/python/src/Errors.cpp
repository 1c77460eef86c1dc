//===- Errors.cpp - yan.Error and the YanError translator -----------------===//
#include "Errors.h"

namespace py = pybind11;

namespace yan::python {

void check(yan_status_t status) {
  if (!status)
    return;
  YanError error{yan_status_code(status), yan_status_message(status)};
  yan_status_free(status);
  throw error;
}

void fail(yan_status_code_t code, std::string message) {
  throw YanError{code, std::move(message)};
}

py::str text(const std::string &bytes) {
  // Messages quote paths and file contents, which need not be UTF-8.
  PyObject *decoded = PyUnicode_DecodeUTF8(bytes.data(), static_cast<Py_ssize_t>(bytes.size()),
                                           "replace");
  if (!decoded)
    throw py::error_already_set();
  return py::reinterpret_steal<py::str>(decoded);
}

namespace {
// yan.Error. pybind11 translators are plain function pointers, so the type
// is reached through this one global, set once at import. It is never
// freed: translators live for the process, and a Python object must not be
// destroyed after the interpreter is gone.
py::object *errorType = nullptr;

void translate(std::exception_ptr pointer) {
  try {
    if (pointer)
      std::rethrow_exception(pointer);
  } catch (const YanError &error) {
    const char *name = yan_status_code_name(error.code);
    // str(e) reads like the C tools' "message [CODE]" lines.
    py::object instance = (*errorType)(text(error.message + " [" + name + "]"));
    instance.attr("code") = py::str(name);
    instance.attr("message") = text(error.message);
    instance.attr("status") = py::int_(static_cast<int>(error.code));
    PyErr_SetObject(errorType->ptr(), instance.ptr());
  }
}
} // namespace

void registerErrors(py::module_ &module) {
  auto *type = new py::object(py::reinterpret_steal<py::object>(PyErr_NewExceptionWithDoc(
      "yan.Error",
      "A runtime failure: .code is the status code's name (\"OUT_OF_RANGE\", ...), "
      ".message the runtime's message, .status the numeric yan_status_code_t.",
      PyExc_Exception, nullptr)));
  if (!type->ptr())
    throw py::error_already_set();
  module.attr("Error") = *type;

  errorType = type;
  py::register_exception_translator(&translate);
}

} // namespace yan::python
