//===- Bytes.h - A read-only view of a bytes-like Python object -----------===//
//
// State blobs and in-memory deltas arrive as bytes, bytearray, memoryview or
// a contiguous numpy array. PyBUF_SIMPLE asks for one contiguous run of
// bytes (a strided view is refused with Python's BufferError), which is what
// the C API reads.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_BINDINGS_PYTHON_BYTES_H
#define YAN_BINDINGS_PYTHON_BYTES_H

#include <pybind11/pybind11.h>

namespace yan::python {

class BytesView {
public:
  explicit BytesView(const pybind11::handle &object) {
    if (PyObject_GetBuffer(object.ptr(), &view_, PyBUF_SIMPLE) != 0)
      throw pybind11::error_already_set();
  }
  BytesView(const BytesView &) = delete;
  BytesView &operator=(const BytesView &) = delete;
  ~BytesView() { PyBuffer_Release(&view_); }

  const void *data() const { return view_.buf; }
  size_t size() const { return static_cast<size_t>(view_.len); }

private:
  Py_buffer view_{};
};

} // namespace yan::python

#endif
