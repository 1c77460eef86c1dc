//===- Tokenizer.h - yan.Tokenizer ----------------------------------------===//
#ifndef YAN_BINDINGS_PYTHON_TOKENIZER_H
#define YAN_BINDINGS_PYTHON_TOKENIZER_H

#include "Handles.h"

#include <pybind11/pybind11.h>

#include <memory>

namespace yan::python {

/// Bundle.tokenizer: a yan.Tokenizer, or None when the bundle has none.
pybind11::object tokenizerOf(std::shared_ptr<BundleHandle> bundle);

/// yan.Tokenizer: encode/decode with the bundle's SentencePiece vocabulary.
void defineTokenizer(pybind11::module_ &module);

} // namespace yan::python

#endif
