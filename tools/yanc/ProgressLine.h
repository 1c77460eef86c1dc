//===- ProgressLine.h - yanc's progress line on a terminal -------*- C++ -*-===//
//
// One line on stderr, rewritten in place as the compile goes:
//
//   yanc: weights (write) 37% layers.11.ffn.w1
//   yanc: codegen 58% object [x86_64-unknown-linux-gnu (x86-64-v4)]
//
// Shown only when stderr is a terminal and --quiet is not given; otherwise
// every call is a no-op, so logs and pipes get only real diagnostics.
// Diagnostics printed while the line is up go through print(), which erases
// the line first; finish() erases it for good. Thread-safe: targets compile
// concurrently and each reports.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TOOLS_YANC_PROGRESSLINE_H
#define YAN_TOOLS_YANC_PROGRESSLINE_H

#include "compiler/bundle/Progress.h"

#include "llvm/Support/raw_ostream.h"
#include <chrono>
#include <mutex>
#include <string>

namespace yan {

class ProgressLine {
public:
  /// Draws on `os` (stderr) when `enabled`, `columns` wide.
  ProgressLine(llvm::raw_ostream &os, bool enabled, unsigned columns);
  ~ProgressLine() { finish(); }

  /// Redraws the line for `event` (at most every 50 ms unless the stage
  /// changed).
  void update(const ProgressEvent &event);
  /// Prints `text` (whole lines) below nothing: the line is erased first.
  void print(llvm::StringRef text);
  /// Erases the line; later updates draw it again.
  void finish();

  /// `update` as a ProgressFn.
  ProgressFn callback() {
    return [this](const ProgressEvent &event) { update(event); };
  }

private:
  void erase();

  llvm::raw_ostream &os;
  bool enabled;
  unsigned columns;
  std::mutex mutex;
  std::string shown; // what the line says now; empty: not drawn
  std::string stage; // the stage of the last event drawn
  std::chrono::steady_clock::time_point drawnAt;
};

} // namespace yan

#endif // YAN_TOOLS_YANC_PROGRESSLINE_H
