//===- BundleOutput.cpp - Writing only bundles the runtime accepts --------===//
#include "BundleOutput.h"

#include "yan/runtime.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <memory>

namespace yan {
namespace {

// What the runtime's verifier says about a bundle, as an llvm::Error; the
// staging file's name in it becomes the output's.
llvm::Error refusal(yan_status_t status, llvm::StringRef staging = "",
                    llvm::StringRef path = "") {
  std::string said = yan_status_message(status);
  if (!staging.empty())
    for (size_t at = said.find(staging.str()); at != std::string::npos;
         at = said.find(staging.str(), at + path.size()))
      said.replace(at, staging.size(), path.str());
  std::string message = "the runtime would refuse this bundle: " + said + " [" +
                        yan_status_code_name(yan_status_code(status)) + "]";
  yan_status_free(status);
  return llvm::createStringError(message);
}

// Everything but code loading (a bundle may hold no image for this host)
// and the weight hashes (computed over exactly these bytes while writing).
yan_bundle_open_options_t verifyOptions() {
  yan_bundle_open_options_t options{};
  options.flags = YAN_BUNDLE_OPEN_NO_CODE | YAN_BUNDLE_OPEN_SKIP_DATA_HASHES;
  return options;
}

llvm::Error verifyFile(const std::string &staging, llvm::StringRef path) {
  yan_bundle_open_options_t options = verifyOptions();
  yan_bundle_t *bundle = nullptr;
  if (yan_status_t status =
          yan_bundle_open_file(staging.c_str(), &options, yan_allocator_system(), &bundle))
    return refusal(status, staging, path);
  yan_bundle_release(bundle);
  return llvm::Error::success();
}

// stdout: built in memory (open_memory wants 64-byte aligned bytes).
llvm::Error writeToStdout(const BundleContents &contents, const ProgressFn &progress) {
  llvm::SmallString<0> bytes;
  llvm::raw_svector_ostream os(bytes);
  if (llvm::Error error = writeBundle(os, contents, progress))
    return error;
  void *aligned = nullptr;
  if (posix_memalign(&aligned, YAN_BUNDLE_WEIGHT_ALIGNMENT, bytes.size() ? bytes.size() : 1))
    return llvm::createStringError("cannot allocate " + llvm::Twine(bytes.size()) +
                                   " bytes to verify the bundle");
  std::unique_ptr<void, decltype(&std::free)> owner(aligned, &std::free);
  std::memcpy(aligned, bytes.data(), bytes.size());
  yan_bundle_open_options_t options = verifyOptions();
  yan_bundle_t *bundle = nullptr;
  if (yan_status_t status = yan_bundle_open_memory(aligned, bytes.size(), &options,
                                                   yan_allocator_system(), &bundle))
    return refusal(status);
  yan_bundle_release(bundle);
  llvm::outs() << bytes;
  llvm::outs().flush();
  return llvm::Error::success();
}

} // namespace

llvm::Error writeVerifiedBundle(llvm::StringRef path, const BundleContents &contents,
                                const ProgressFn &progress) {
  if (path == "-")
    return writeToStdout(contents, progress);
  // A name beside the output (same file system: the rename is atomic);
  // writeBundle itself writes it atomically too.
  llvm::SmallString<256> staging;
  llvm::sys::fs::createUniquePath(path + ".yanc-%%%%%%", staging, /*MakeAbsolute=*/false);
  std::string temporary(staging.str());
  if (llvm::Error error = writeBundle(temporary, contents, progress)) {
    llvm::sys::fs::remove(temporary);
    return error;
  }
  if (llvm::Error error = verifyFile(temporary, path)) {
    llvm::sys::fs::remove(temporary);
    return error;
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, path)) {
    llvm::sys::fs::remove(temporary);
    return llvm::createStringError(ec, "cannot write " + path + ": " + ec.message());
  }
  return llvm::Error::success();
}

llvm::Error checkOutputIsNotAnInput(llvm::StringRef flag, llvm::StringRef output,
                                    llvm::ArrayRef<std::string> inputs) {
  if (output.empty() || output == "-")
    return llvm::Error::success();
  for (const std::string &input : inputs) {
    bool same = false;
    // An error (e.g. either does not exist yet) means: not the same file.
    if (!llvm::sys::fs::equivalent(output, input, same) && same)
      return llvm::createStringError(flag + " " + output + " is the input file " + input +
                                     ": refusing to overwrite what yanc reads");
  }
  return llvm::Error::success();
}

llvm::Error checkOutputsAreNotInputs(llvm::StringRef modelDir,
                                     llvm::ArrayRef<std::string> otherInputs,
                                     llvm::StringRef output, llvm::StringRef header) {
  std::vector<std::string> inputs;
  for (const char *name : {"config.json", "model.safetensors", "tokenizer.model"}) {
    llvm::SmallString<256> path(modelDir);
    llvm::sys::path::append(path, name);
    inputs.push_back(std::string(path));
  }
  inputs.insert(inputs.end(), otherInputs.begin(), otherInputs.end());
  if (llvm::Error error = checkOutputIsNotAnInput("-o", output, inputs))
    return error;
  return checkOutputIsNotAnInput("--header", header, inputs);
}

} // namespace yan
