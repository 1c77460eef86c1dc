//===- Progress.h - How far a long compile is, as events ---------*- C++ -*-===//
//
// The stages that take time (each target's code image, the weight segment's
// hash and write passes) say how far they are through a ProgressFn; what is
// shown, and whether anything is, is the tool's (yanc's progress line). It
// lives here, with the last stage that reports, so the driver and the bundle
// writer share one event type.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_BUNDLE_PROGRESS_H
#define YAN_COMPILER_BUNDLE_PROGRESS_H

#include "llvm/ADT/StringRef.h"
#include <functional>

namespace yan {

struct ProgressEvent {
  llvm::StringRef stage;  // "codegen", "weights (hash)", "weights (write)"
  llvm::StringRef item;   // the step or the tensor being worked on
  llvm::StringRef target; // the code image's target, empty for shared work
  double fraction = 0;    // of the stage done, in [0, 1]
};

/// Called from any thread (targets compile concurrently); may be empty.
using ProgressFn = std::function<void(const ProgressEvent &)>;

} // namespace yan

#endif // YAN_COMPILER_BUNDLE_PROGRESS_H
