//===- BenchFigures.h - The figures of a `yan-bench --json` file ----------===//
#ifndef YAN_TOOLS_YAN_DUMP_BENCH_FIGURES_H
#define YAN_TOOLS_YAN_DUMP_BENCH_FIGURES_H

#include <string>
#include <vector>

namespace yan::tools {

/// One entry of yan-bench's "runs" (one thread count).
struct BenchRun {
  double threads = 0;
  double decodeTokensPerS = 0;
  double prefillTokensPerS = 0;
  double memoryReadBytesPerS = 0; // read bandwidth measured in the same run
  double peakFlopsPerS = 0;       // f32 FMA peak measured in the same run (0: none)
};

/// Reads the runs of a yan-bench --json file (the only writer of this
/// format: the numbers are found by key inside each run object). False with
/// `*error` when the file is unreadable or a run lacks a figure.
bool readBenchFigures(const char *path, std::vector<BenchRun> *runs, std::string *error);

} // namespace yan::tools

#endif
