//===- ProgressLine.cpp - yanc's progress line on a terminal --------------===//
#include "ProgressLine.h"

#include <algorithm>

namespace yan {

ProgressLine::ProgressLine(llvm::raw_ostream &os, bool enabled, unsigned columns)
    : os(os), enabled(enabled), columns(columns ? columns : 80) {}

void ProgressLine::update(const ProgressEvent &event) {
  if (!enabled)
    return;
  std::lock_guard<std::mutex> lock(mutex);
  auto now = std::chrono::steady_clock::now();
  bool newStage = event.stage != stage;
  if (!newStage && !shown.empty() && now - drawnAt < std::chrono::milliseconds(50))
    return;
  std::string line;
  llvm::raw_string_ostream text(line);
  int percent = static_cast<int>(event.fraction * 100);
  text << "yanc: " << event.stage << " " << std::clamp(percent, 0, 100) << "% " << event.item;
  if (!event.target.empty())
    text << " [" << event.target << "]";
  // Never wider than the terminal: a wrapped line cannot be rewritten.
  if (line.size() >= columns)
    line.resize(columns - 1);
  if (line == shown)
    return;
  // Back to the start of the line, the new text, and erase what was longer.
  os << "\r" << line << "\x1b[K";
  os.flush();
  shown = std::move(line);
  stage = event.stage.str();
  drawnAt = now;
}

void ProgressLine::erase() {
  if (shown.empty())
    return;
  os << "\r\x1b[K";
  os.flush();
  shown.clear();
  stage.clear();
}

void ProgressLine::print(llvm::StringRef text) {
  std::lock_guard<std::mutex> lock(mutex);
  erase();
  os << text;
  os.flush();
}

void ProgressLine::finish() {
  std::lock_guard<std::mutex> lock(mutex);
  erase();
}

} // namespace yan
