//===- Bundle.cpp - yan.Bundle --------------------------------------------===//
//
// Opening is yan_bundle_open_file with every option of
// yan_bundle_open_options_t; what a bundle holds comes back as plain dicts
// and lists (the C structs' fields under the same names), so a harness can
// print or compare them without more types to learn.
//
//===----------------------------------------------------------------------===//
#include "Bundle.h"
#include "Bytes.h"
#include "Errors.h"
#include "Handles.h"
#include "Session.h"
#include "Tokenizer.h"

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

namespace py = pybind11;
using std::filesystem::path;

namespace yan::python {

namespace {

std::vector<yan_public_key_t> readKeys(const std::vector<path> &files) {
  std::vector<yan_public_key_t> keys(files.size());
  for (size_t i = 0; i < keys.size(); ++i)
    check(yan_public_key_read_file(files[i].c_str(), &keys[i]));
  return keys;
}

std::shared_ptr<BundleHandle> open(const path &file, const std::vector<path> &trustedKeys,
                                   const std::vector<path> &trustedDeltaKeys,
                                   const std::optional<path> &delta, bool skipDataHashes,
                                   bool noCode) {
  std::vector<yan_public_key_t> keys = readKeys(trustedKeys);
  std::vector<yan_public_key_t> deltaKeys = readKeys(trustedDeltaKeys);
  yan_bundle_open_options_t options = {};
  options.flags = (skipDataHashes ? uint32_t(YAN_BUNDLE_OPEN_SKIP_DATA_HASHES) : 0u) |
                  (noCode ? uint32_t(YAN_BUNDLE_OPEN_NO_CODE) : 0u);
  options.trusted_key_count = static_cast<uint32_t>(keys.size());
  options.trusted_keys = keys.data();
  options.trusted_delta_key_count = static_cast<uint32_t>(deltaKeys.size());
  options.trusted_delta_keys = deltaKeys.data();
  options.delta_path = delta ? delta->c_str() : nullptr;
  yan_bundle_t *bundle = nullptr;
  yan_status_t status;
  {
    // Verifying hashes every segment: let other Python threads run.
    py::gil_scoped_release release;
    status = yan_bundle_open_file(file.c_str(), &options, yan_allocator_system(), &bundle);
  }
  check(status);
  return std::make_shared<BundleHandle>(bundle);
}

py::dict config(const BundleHandle &handle) {
  yan_model_config_t c;
  yan_bundle_config(handle.bundle, &c);
  py::dict out;
  out["vocab_size"] = c.vocab_size;
  out["hidden_size"] = c.hidden_size;
  out["num_layers"] = c.num_layers;
  out["num_channels"] = c.num_channels;
  out["slope_window"] = c.slope_window;
  out["num_partitions"] = c.num_partitions;
  out["active_partitions"] = c.active_partitions;
  out["partition_size"] = c.partition_size;
  out["norm_eps"] = c.norm_eps;
  out["decays"] = std::vector<float>(c.decays, c.decays + c.num_channels);
  out["slopes"] = std::vector<float>(c.slopes, c.slopes + c.num_channels);
  return out;
}

py::dict imageInfo(const BundleHandle &handle, size_t image) {
  yan_code_image_info_t info;
  check(yan_bundle_code_image_info(handle.bundle, image, &info));
  py::list entries;
  for (size_t e = 0; e < info.entry_count; ++e) {
    yan_entry_info_t entry;
    check(yan_bundle_code_image_entry(handle.bundle, image, e, &entry));
    entries.append(py::dict(py::arg("name") = entry.name, py::arg("index") = entry.index,
                            py::arg("max_tokens") = entry.max_tokens,
                            py::arg("arena_bytes") = entry.arena_bytes));
  }
  return py::dict(py::arg("triple") = info.triple, py::arg("cpu") = info.cpu,
                  py::arg("features") = info.features,
                  py::arg("required_features") = info.required_features,
                  py::arg("arch") = yan_arch_name(info.arch),
                  py::arg("abi_version") = info.abi_version, py::arg("segment") = info.segment,
                  py::arg("entries") = entries);
}

py::dict learnInfo(BundleHandle &handle) {
  yan_bundle_learn_info_t info;
  {
    // trained_partitions changes under learn steps.
    py::gil_scoped_release release;
    std::shared_lock<std::shared_mutex> shared(handle.lock);
    yan_bundle_learn_info(handle.bundle, &info);
  }
  return py::dict(py::arg("has_learn") = info.has_learn != 0,
                  py::arg("learn_partitions") = info.learn_partitions,
                  py::arg("max_tokens") = info.max_tokens,
                  py::arg("arena_bytes") = info.arena_bytes,
                  py::arg("trained_partitions") = info.trained_partitions,
                  py::arg("optimizer_state_bytes") = info.optimizer_state_bytes,
                  py::arg("partition_copy_bytes") = info.partition_copy_bytes);
}

void saveDelta(BundleHandle &handle, const path &file, const std::optional<path> &signKey) {
  yan_secret_key_t key;
  if (signKey)
    check(yan_secret_key_read_file(signKey->c_str(), &key));
  yan_status_t status;
  {
    py::gil_scoped_release release;
    std::unique_lock<std::shared_mutex> exclusive(handle.lock);
    status = signKey ? yan_bundle_save_delta_signed(handle.bundle, file.c_str(), &key)
                     : yan_bundle_save_delta(handle.bundle, file.c_str());
  }
  explicit_bzero(&key, sizeof key); // the device's secret: not left on the stack
  check(status);
}

void applyDelta(BundleHandle &handle, const py::object &source) {
  // bytes-like: the delta itself; anything else: a path.
  if (PyObject_CheckBuffer(source.ptr())) {
    BytesView bytes(source);
    yan_status_t status;
    {
      py::gil_scoped_release release;
      std::unique_lock<std::shared_mutex> exclusive(handle.lock);
      status = yan_bundle_apply_delta_memory(handle.bundle, bytes.data(), bytes.size());
    }
    check(status);
    return;
  }
  path file = source.cast<path>();
  yan_status_t status;
  {
    py::gil_scoped_release release;
    std::unique_lock<std::shared_mutex> exclusive(handle.lock);
    status = yan_bundle_apply_delta(handle.bundle, file.c_str());
  }
  check(status);
}

} // namespace

void defineBundle(py::module_ &module) {
  py::class_<BundleHandle, std::shared_ptr<BundleHandle>>(
      module, "Bundle",
      "An open, verified .yanb bundle (yan_bundle_open_file). trusted_keys: paths of "
      "KEY.pub files (then only bundles signed by one of them open); trusted_delta_keys: "
      "KEY.pub files whose signed deltas apply (required for any delta in trusted mode); "
      "delta: a delta file applied at open; skip_data_hashes: hash only the code segment; "
      "no_code: verify without loading code (inspection only, no sessions).")
      .def(py::init(&open), py::arg("path"), py::kw_only(),
           py::arg("trusted_keys") = std::vector<path>{},
           py::arg("trusted_delta_keys") = std::vector<path>{},
           py::arg("delta") = std::optional<path>{}, py::arg("skip_data_hashes") = false,
           py::arg("no_code") = false)
      .def_property_readonly("config", &config,
                             "The model config (V, D, L, C, K, P, k, F, norm_eps, decays, slopes).")
      .def_property_readonly("vocab_size",
                             [](const BundleHandle &h) {
                               yan_model_config_t c;
                               yan_bundle_config(h.bundle, &c);
                               return c.vocab_size;
                             })
      .def_property_readonly("compiler_version",
                             [](const BundleHandle &h) {
                               return std::string(yan_bundle_compiler_version(h.bundle));
                             })
      .def_property_readonly("weight_bytes_per_token",
                             [](const BundleHandle &h) {
                               return yan_bundle_weight_bytes_per_token(h.bundle);
                             })
      .def_property_readonly("flops_per_token",
                             [](const BundleHandle &h) {
                               return yan_bundle_flops_per_token(h.bundle);
                             })
      .def_property_readonly("learn_flops_per_token",
                             [](const BundleHandle &h) {
                               return yan_bundle_learn_flops_per_token(h.bundle);
                             })
      .def_property_readonly("learn_flops_per_routed_pair",
                             [](const BundleHandle &h) {
                               return yan_bundle_learn_flops_per_routed_pair(h.bundle);
                             })
      .def_property_readonly("state_floats",
                             [](const BundleHandle &h) { return yan_bundle_state_floats(h.bundle); })
      .def_property_readonly(
          "images",
          [](const BundleHandle &h) {
            py::list images;
            for (size_t i = 0; i < yan_bundle_code_image_count(h.bundle); ++i)
              images.append(imageInfo(h, i));
            return images;
          },
          "Every code image: triple, cpu, features, required_features, arch, entries.")
      .def_property_readonly(
          "selected_image",
          [](const BundleHandle &h) -> py::object {
            size_t image = yan_bundle_selected_image(h.bundle);
            if (image == YAN_NO_IMAGE)
              return py::none();
            return py::int_(image);
          },
          "Index into images of the one loaded for this host (None with no_code and no fit).")
      .def_property_readonly(
          "signature",
          [](const BundleHandle &h) {
            yan_signature_info_t info;
            yan_bundle_signature_info(h.bundle, &info);
            return py::dict(py::arg("signed") = info.is_signed != 0,
                            py::arg("key_id") = std::string(info.key_id),
                            py::arg("verified") = info.verified != 0);
          })
      .def_property_readonly("learn_info", &learnInfo,
                             "has_learn, learn_partitions (M), max_tokens, arena_bytes, "
                             "trained_partitions, optimizer_state_bytes, "
                             "partition_copy_bytes.")
      .def_property_readonly("tokenizer", &tokenizerOf,
                             "The bundle's tokenizer (yan.Tokenizer), or None.")
      .def("session", &createSession, py::kw_only(), py::arg("threads") = 1,
           "A new session with zero state. threads: the caller plus threads-1 workers "
           "(0: one per online core); results are identical for any count.")
      .def("save_delta", &saveDelta, py::arg("path"), py::kw_only(),
           py::arg("sign_key") = std::optional<path>{},
           "Writes everything learned to a delta file, atomically (yan_bundle_save_delta); "
           "sign_key: a yan-keygen secret key file to sign it with.")
      .def("apply_delta", &applyDelta, py::arg("delta"),
           "Verifies and applies a delta: a path, or the file's bytes. The bundle must not "
           "have learned anything yet.")
      .def(
          "verify_weights",
          [](BundleHandle &h) {
            yan_status_t status;
            {
              py::gil_scoped_release release;
              std::shared_lock<std::shared_mutex> shared(h.lock);
              status = yan_bundle_verify_weights(h.bundle);
            }
            check(status);
          },
          "Verifies every weight byte now (yan_bundle_verify_weights): in trusted mode "
          "weights are otherwise verified on first use (docs/security.md, lazy trust).");
}

} // namespace yan::python
