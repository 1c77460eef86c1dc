//===- Tokenizer.cpp - yan.Tokenizer --------------------------------------===//
//
// encode takes str (encoded as UTF-8) or bytes (any bytes, as the C API
// does) and returns a list of ids, as SentencePiece's EncodeAsIds; decode
// returns str, as DecodeIds (the runtime turns invalid byte sequences into
// U+FFFD, so its output is UTF-8), or bytes from decode_bytes.
//
//===----------------------------------------------------------------------===//
#include "Tokenizer.h"
#include "Errors.h"
#include "Tokens.h"

#include <pybind11/stl.h>

#include <string>
#include <vector>

namespace py = pybind11;

namespace yan::python {

namespace {

std::string bytesOf(const py::handle &text) {
  if (py::isinstance<py::str>(text))
    return text.cast<std::string>(); // UTF-8
  if (py::isinstance<py::bytes>(text) || py::isinstance<py::bytearray>(text))
    return std::string(py::bytes(py::reinterpret_borrow<py::object>(text)));
  fail(YAN_STATUS_INVALID_ARGUMENT, "text must be str or bytes");
}

std::vector<int32_t> encode(const TokenizerHandle &t, const py::handle &text) {
  std::string bytes = bytesOf(text);
  // Most texts need fewer ids than bytes; the runtime says when not.
  std::vector<int32_t> ids(bytes.size() + 1);
  size_t count = 0;
  yan_status_t status;
  {
    py::gil_scoped_release release;
    status = yan_tokenizer_encode(t.tokenizer, bytes.data(), bytes.size(), ids.data(),
                                  ids.size(), &count);
    if (status && yan_status_code(status) == YAN_STATUS_RESOURCE_EXHAUSTED && count > ids.size()) {
      yan_status_free(status);
      ids.resize(count);
      status = yan_tokenizer_encode(t.tokenizer, bytes.data(), bytes.size(), ids.data(),
                                    ids.size(), &count);
    }
  }
  check(status);
  ids.resize(count);
  return ids;
}

py::bytes decodeBytes(const TokenizerHandle &t, const py::handle &tokens) {
  std::vector<int32_t> ids = toTokens(tokens);
  std::string out(ids.size() * 4 + 16, '\0');
  size_t size = 0;
  yan_status_t status;
  {
    py::gil_scoped_release release;
    status = yan_tokenizer_decode(t.tokenizer, ids.data(), ids.size(), out.data(), out.size(),
                                  &size);
    if (status && yan_status_code(status) == YAN_STATUS_RESOURCE_EXHAUSTED && size > out.size()) {
      yan_status_free(status);
      out.resize(size);
      status = yan_tokenizer_decode(t.tokenizer, ids.data(), ids.size(), out.data(), out.size(),
                                    &size);
    }
  }
  check(status);
  out.resize(size);
  return py::bytes(out);
}

py::str decode(const TokenizerHandle &t, const py::handle &tokens) {
  std::string bytes = decodeBytes(t, tokens);
  return py::str(bytes); // strict UTF-8: the runtime writes valid UTF-8
}

py::str piece(const TokenizerHandle &t, int64_t id) {
  if (id < INT32_MIN || id > INT32_MAX)
    fail(YAN_STATUS_OUT_OF_RANGE, "token id " + std::to_string(id) + " does not fit in int32");
  const char *data = nullptr;
  size_t size = 0;
  check(yan_tokenizer_piece(t.tokenizer, static_cast<int32_t>(id), &data, &size));
  return py::str(data, size);
}

} // namespace

py::object tokenizerOf(std::shared_ptr<BundleHandle> bundle) {
  const yan_tokenizer_t *tokenizer = yan_bundle_tokenizer(bundle->bundle);
  if (!tokenizer)
    return py::none();
  return py::cast(TokenizerHandle{std::move(bundle), tokenizer});
}

void defineTokenizer(py::module_ &module) {
  py::class_<TokenizerHandle>(module, "Tokenizer",
                              "The bundle's SentencePiece tokenizer (Bundle.tokenizer).")
      .def("encode", &encode, py::arg("text"),
           "Text (str as UTF-8, or bytes) to ids, as SentencePiece's EncodeAsIds (no BOS/EOS).")
      .def("decode", &decode, py::arg("ids"), "Ids to text, as SentencePiece's DecodeIds.")
      .def("decode_bytes", &decodeBytes, py::arg("ids"), "Ids to the decoded bytes.")
      .def("piece", &piece, py::arg("id"), "The piece of an id as stored (U+2581 for spaces).")
      .def_property_readonly(
          "info",
          [](const TokenizerHandle &t) {
            yan_tokenizer_info_t i;
            yan_tokenizer_info(t.tokenizer, &i);
            return py::dict(py::arg("kind") = i.kind, py::arg("vocab_size") = i.vocab_size,
                            py::arg("unk_id") = i.unk_id, py::arg("bos_id") = i.bos_id,
                            py::arg("eos_id") = i.eos_id, py::arg("pad_id") = i.pad_id,
                            py::arg("add_dummy_prefix") = i.add_dummy_prefix != 0,
                            py::arg("byte_fallback") = i.byte_fallback != 0);
          },
          "kind, vocab_size, unk_id, bos_id, eos_id, pad_id (-1: none), add_dummy_prefix, "
          "byte_fallback.")
      .def_property_readonly("vocab_size", [](const TokenizerHandle &t) {
        return yan_tokenizer_vocab_size(t.tokenizer);
      })
      .def_property_readonly("bos_id", [](const TokenizerHandle &t) {
        return yan_tokenizer_bos_id(t.tokenizer);
      })
      .def_property_readonly("eos_id", [](const TokenizerHandle &t) {
        return yan_tokenizer_eos_id(t.tokenizer);
      });
}

} // namespace yan::python
