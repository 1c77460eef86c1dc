//===- BundleOutput.h - Writing only bundles the runtime accepts -*- C++ -*-===//
//
// yanc writes a bundle, then opens it with the runtime's own verifier
// (every check but loading code and hashing the weights, which were just
// hashed while writing) before it takes the output's name. So a bundle
// yanc writes is never one the runtime refuses (issue 14: a
// --prefill-max-tokens whose arena the runtime's session budget refuses
// used to compile with exit 0): one implementation of every rule, not a
// second copy of them in the compiler. The flags whose limits are known
// before compiling are also checked up front (yan/limits.h, the driver's
// checkTokenLimit), so an absurd one fails in milliseconds rather than
// after a long compile.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TOOLS_YANC_BUNDLEOUTPUT_H
#define YAN_TOOLS_YANC_BUNDLEOUTPUT_H

#include "compiler/bundle/BundleWriter.h"

#include "llvm/Support/Error.h"

namespace yan {

/// Writes `contents` to `path` ("-": stdout) atomically, after the runtime
/// has verified the bytes; an error (and no output) otherwise. `progress`
/// hears of the weight segment's passes (writeBundle).
llvm::Error writeVerifiedBundle(llvm::StringRef path, const BundleContents &contents,
                                const ProgressFn &progress = {});

/// An error when the existing file `output` (given as `flag`) is one of
/// `inputs` (same device and inode, whatever the names): yanc must never
/// overwrite what it reads (issue 14: -o MODEL_DIR/model.safetensors).
llvm::Error checkOutputIsNotAnInput(llvm::StringRef flag, llvm::StringRef output,
                                    llvm::ArrayRef<std::string> inputs);

/// checkOutputIsNotAnInput for -o `output` and --header `header` against
/// everything yanc reads: MODEL_DIR's files and `otherInputs`.
llvm::Error checkOutputsAreNotInputs(llvm::StringRef modelDir,
                                     llvm::ArrayRef<std::string> otherInputs,
                                     llvm::StringRef output, llvm::StringRef header);

} // namespace yan

#endif // YAN_TOOLS_YANC_BUNDLEOUTPUT_H
