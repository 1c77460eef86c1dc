//===- Session.cpp - yan.Session ------------------------------------------===//
//
// prefill/decode write the runtime's logits straight into a new numpy
// float32 array (no copy), with the GIL released while the generated code
// runs. State blobs are bytes, as yan_session_get_state writes them.
//
//===----------------------------------------------------------------------===//
#include "Session.h"
#include "Bytes.h"
#include "Errors.h"
#include "Learn.h"
#include "Tokens.h"

#include <pybind11/numpy.h>

#include <string>

namespace py = pybind11;

namespace yan::python {

namespace {

int64_t vocabSize(const SessionHandle &s) {
  yan_model_config_t c;
  yan_bundle_config(s.bundle->bundle, &c);
  return c.vocab_size;
}

/// Runs `call` with the GIL released, holding the bundle's lock shared and
/// the session's mutex; returns its status.
template <typename Call> yan_status_t locked(SessionHandle &s, Call call) {
  py::gil_scoped_release release;
  std::shared_lock<std::shared_mutex> shared(s.bundle->lock);
  std::lock_guard<std::mutex> own(s.lock);
  return call();
}

py::array_t<float> prefill(SessionHandle &s, const py::handle &tokens) {
  std::vector<int32_t> ids = toTokens(tokens);
  int64_t v = vocabSize(s);
  // An empty prompt gets the runtime's own INVALID_ARGUMENT below.
  py::array_t<float> logits({static_cast<py::ssize_t>(ids.size()), static_cast<py::ssize_t>(v)});
  float *out = logits.mutable_data();
  check(locked(s, [&] { return yan_session_prefill(s.session, ids.data(), ids.size(), out); }));
  return logits;
}

py::array_t<float> decode(SessionHandle &s, const py::handle &token) {
  int32_t id = toToken(token);
  py::array_t<float> logits(static_cast<py::ssize_t>(vocabSize(s)));
  float *out = logits.mutable_data();
  check(locked(s, [&] { return yan_session_decode(s.session, id, out); }));
  return logits;
}

py::bytes getState(SessionHandle &s) {
  std::string blob(yan_session_state_size(s.session), '\0');
  check(locked(s, [&] { return yan_session_get_state(s.session, blob.data(), blob.size()); }));
  return py::bytes(blob);
}

void setState(SessionHandle &s, const py::object &state) {
  BytesView blob(state);
  check(locked(s, [&] { return yan_session_set_state(s.session, blob.data(), blob.size()); }));
}

py::array_t<float> stateFloats(SessionHandle &s) {
  size_t n = yan_bundle_state_floats(s.bundle->bundle);
  py::array_t<float> out(static_cast<py::ssize_t>(n));
  float *dst = out.mutable_data();
  check(locked(s, [&] {
    const float *src = yan_session_state_floats(s.session);
    std::copy(src, src + n, dst);
    return yan_status_t{nullptr};
  }));
  return out;
}

py::dict stats(SessionHandle &s) {
  yan_session_stats_t st;
  std::vector<uint64_t> tokens, groups;
  check(locked(s, [&] {
    yan_session_stats(s.session, &st);
    size_t n = static_cast<size_t>(st.num_layers * st.num_partitions);
    tokens.assign(st.partition_tokens, st.partition_tokens + n);
    groups.assign(st.partition_groups, st.partition_groups + n);
    return yan_status_t{nullptr};
  }));
  auto matrix = [&](const std::vector<uint64_t> &values) {
    py::array_t<uint64_t> out({static_cast<py::ssize_t>(st.num_layers),
                               static_cast<py::ssize_t>(st.num_partitions)});
    std::copy(values.begin(), values.end(), out.mutable_data());
    return out;
  };
  return py::dict(py::arg("partition_tokens") = matrix(tokens),
                  py::arg("partition_groups") = matrix(groups),
                  py::arg("prefill_tokens") = st.prefill_tokens,
                  py::arg("decode_tokens") = st.decode_tokens);
}

} // namespace

std::shared_ptr<SessionHandle> createSession(std::shared_ptr<BundleHandle> bundle,
                                             int64_t threads) {
  if (threads < 0 || threads > 4096)
    fail(YAN_STATUS_INVALID_ARGUMENT,
         "threads must be in [0, 4096] (0: one per online core), not " + std::to_string(threads));
  yan_session_options_t options = {};
  options.threads = static_cast<uint32_t>(threads);
  yan_session_t *session = nullptr;
  yan_status_t status;
  {
    py::gil_scoped_release release;
    std::shared_lock<std::shared_mutex> shared(bundle->lock);
    status = yan_session_create_with_options(bundle->bundle, nullptr, &options, &session);
  }
  check(status);
  return std::make_shared<SessionHandle>(std::move(bundle), session);
}

void defineSession(py::module_ &module) {
  py::class_<SessionHandle, std::shared_ptr<SessionHandle>> session(
      module, "Session",
      "A conversation on a bundle: recurrent state, an arena and a thread pool "
      "(Bundle.session()). One thread at a time uses it; the bindings serialize calls.");
  session
      .def(py::init([](std::shared_ptr<BundleHandle> bundle, int64_t threads) {
             return createSession(std::move(bundle), threads);
           }),
           py::arg("bundle"), py::kw_only(), py::arg("threads") = 1)
      .def_property_readonly("threads",
                             [](const SessionHandle &s) { return yan_session_threads(s.session); })
      .def("prefill", &prefill, py::arg("tokens"),
           "Feeds the tokens; returns float32 logits [len(tokens), V] (row t: after token t).")
      .def("decode", &decode, py::arg("token"), "Feeds one token; returns float32 logits [V].")
      .def(
          "reset",
          [](SessionHandle &s) {
            check(locked(s, [&] {
              yan_session_reset(s.session);
              return yan_status_t{nullptr};
            }));
          },
          "Back to the zero state (also clears a failure).")
      .def("get_state", &getState, "The state blob (bytes): header + state floats.")
      .def("set_state", &setState, py::arg("state"),
           "Restores a blob from get_state (refused for another model or size).")
      .def_property_readonly("state_floats", &stateFloats,
                             "A copy of the raw state floats (the bundle's state layout).")
      .def("stats", &stats,
           "Routing statistics: partition_tokens/partition_groups [L, P] (uint64), "
           "prefill_tokens, decode_tokens.")
      .def(
          "reset_stats",
          [](SessionHandle &s) {
            check(locked(s, [&] {
              yan_session_reset_stats(s.session);
              return yan_status_t{nullptr};
            }));
          });
  defineLearn(module, session);
}

} // namespace yan::python
