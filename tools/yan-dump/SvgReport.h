//===- SvgReport.h - yan-dump --svg: memory and roofline per target -------===//
//
// A picture for bring-up: for every code image (target) of a bundle, where
// the memory goes (weights mapped, weights read per decode token, code,
// session arena, state, learn memory) and a roofline placing this model's
// decode and prefill against the target's memory bandwidth and FLOP peak.
// The roofline's figures come from `yan-bench --json` (measured where the
// bundle ran) and, for the compute roof, --peak-gflops (yan-bench measures
// no FLOP peak); without them the picture shows the model's arithmetic
// intensities only and says what is missing. docs/cli.md has the contract.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TOOLS_YAN_DUMP_SVG_REPORT_H
#define YAN_TOOLS_YAN_DUMP_SVG_REPORT_H

#include "yan/runtime.h"

#include <string>

namespace yan::tools {

struct SvgOptions {
  const char *benchJson = nullptr; // yan-bench --json output, or nullptr
  double peakGflops = 0;           // compute roof in GFLOP/s; 0: not given
};

/// Writes the SVG for `bundle` (opened with YAN_BUNDLE_OPEN_NO_CODE) to
/// `svgPath`; false with `*error` set when the bench file is unreadable or
/// malformed or the output cannot be written.
bool writeSvgReport(const yan_bundle_t *bundle, const char *bundlePath, const char *svgPath,
                    const SvgOptions &options, std::string *error);

} // namespace yan::tools

#endif
