//===- SvgReport.cpp - yan-dump --svg: memory and roofline per target -----===//
//
// Plain SVG 1.1 (rects, lines, circles, text; no scripts, no CSS, no fonts
// beyond "sans-serif") so any viewer, rsvg-convert or a browser draws it the
// same. Every drawn part has an id (bar-<target>-<part>, roof-memory-<t>,
// point-<t>-decode-<threads>, ...) so tests and people can find it.
//
//===----------------------------------------------------------------------===//
#include "SvgReport.h"
#include "BenchFigures.h"
#include "ModelCost.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace yan::tools {

namespace {

constexpr double kWidth = 960, kHeader = 80, kPanel = 420;

std::string escape(const std::string &text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    default: out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
    }
  }
  return out;
}

std::string format(const char *fmt, double a, double b = 0, double c = 0, double d = 0) {
  char buffer[512]; // the longest use is the <svg> element
  std::snprintf(buffer, sizeof buffer, fmt, a, b, c, d);
  return buffer;
}

std::string bytes(double n) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (n >= 1024 && u < 4) {
    n /= 1024;
    ++u;
  }
  return format(u ? "%.1f " : "%.0f ", n) + units[u];
}

std::string rate(double n, const char *unit) { // 1.2e10 -> "12.0 G<unit>"
  const char *prefixes[] = {"", "k", "M", "G", "T", "P"};
  int p = 0;
  while (n >= 1000 && p < 5) {
    n /= 1000;
    ++p;
  }
  return format("%.3g ", n) + prefixes[p] + unit;
}

struct Svg {
  std::string out;
  void text(double x, double y, const std::string &s, double size = 13,
            const char *anchor = "start", const char *weight = "normal",
            const char *fill = "#222") {
    out += format("<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\"", x, y, size) +
           " font-family=\"sans-serif\" text-anchor=\"" + anchor + "\" font-weight=\"" + weight +
           "\" fill=\"" + fill + "\">" + escape(s) + "</text>\n";
  }
  void rect(const std::string &id, double x, double y, double w, double h, const char *fill,
            const char *stroke = "none") {
    out += "<rect" + (id.empty() ? std::string() : " id=\"" + id + "\"") +
           format(" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"", x, y, w, h) +
           " fill=\"" + fill + "\" stroke=\"" + stroke + "\"/>\n";
  }
  void line(const std::string &id, double x1, double y1, double x2, double y2, const char *stroke,
            double width, const char *dash = nullptr) {
    out += "<line" + (id.empty() ? std::string() : " id=\"" + id + "\"") +
           format(" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"", x1, y1, x2, y2) +
           " stroke=\"" + stroke + "\"" + format(" stroke-width=\"%.1f\"", width) +
           (dash ? std::string(" stroke-dasharray=\"") + dash + "\"" : std::string()) + "/>\n";
  }
  void circle(const std::string &id, double x, double y, double r, const char *fill) {
    out += "<circle id=\"" + id + "\"" + format(" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"", x, y, r) +
           " fill=\"" + fill + "\" stroke=\"#222\" stroke-width=\"1\"/>\n";
  }
};

struct Part {
  const char *id, *label, *color;
  double value;
};

/// Horizontal bars on a log scale (the parts span four orders of magnitude).
void drawMemory(Svg &svg, size_t t, double x0, double y0, const ModelCost &cost,
                const TargetCost &target) {
  std::vector<Part> parts = {
      {"weights-mapped", "weights mapped", "#4e79a7", double(cost.weightBytesMapped)},
      {"weights-read", "weights read / decode token", "#f28e2b", double(cost.weightBytesPerToken)},
      {"code", "code", "#76b7b2", double(target.codeBytes)},
      {"arena", "arena (prefill/decode)", "#59a14f", double(target.arenaBytes)},
      {"state", "state", "#edc948", double(cost.stateBytes)},
      {"learn", "learn arena", "#b07aa1", double(target.learnBytes)},
  };
  svg.text(x0, y0, "Where the memory goes (log scale)", 14, "start", "bold");
  double largest = 1;
  for (const Part &p : parts)
    largest = std::max(largest, p.value);
  const double floor = 64, barX = x0 + 185, barMax = 150;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Part &p = parts[i];
    double y = y0 + 22 + double(i) * 42;
    svg.text(x0, y + 14, p.label, 12);
    svg.rect("", barX, y, barMax, 20, "#f2f2f2");
    if (p.value > 0) {
      double w = barMax * std::log(std::max(p.value, floor) / floor * 2) /
                 std::log(largest / floor * 2);
      svg.rect(std::string("bar-") + std::to_string(t) + "-" + p.id, barX, y, std::max(w, 6.0),
               20, p.color);
    }
    svg.text(barX + barMax + 8, y + 14, p.value > 0 ? bytes(p.value) : "none", 12);
  }
}

double logPos(double v, double lo, double hi, double a, double b) {
  return a + (b - a) * (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
}

/// Log-log roofline: FLOP/s against FLOP per weight byte.
void drawRoofline(Svg &svg, size_t t, double x0, double y0, const ModelCost &cost,
                  const TargetCost &target, const std::vector<BenchRun> &runs,
                  double peakFlops) {
  svg.text(x0, y0, "Roofline (FLOP/s vs FLOP per weight byte)", 14, "start", "bold");
  const double left = x0 + 60, right = x0 + 420, top = y0 + 20, bottom = y0 + 280;
  double iLo = std::pow(10, std::floor(std::log10(std::max(cost.decodeIntensity, 1e-3) / 3)));
  double iHi = std::pow(10, std::ceil(std::log10(std::max(target.prefillIntensity, 1.0) * 30)));
  double bandwidth = 0, achieved = 0;
  for (const BenchRun &r : runs) {
    bandwidth = std::max(bandwidth, r.memoryReadBytesPerS);
    achieved = std::max({achieved, r.decodeTokensPerS * cost.flopsPerToken,
                         r.prefillTokensPerS * cost.flopsPerToken});
  }
  double top_value = std::max({peakFlops, bandwidth * iHi, achieved, 1e9});
  if (peakFlops > 0)
    top_value = std::max({peakFlops, achieved, 1e9});
  double fHi = std::pow(10, std::ceil(std::log10(top_value * 2)));
  double fLo = fHi / 1e5;
  auto X = [&](double i) { return logPos(i, iLo, iHi, left, right); };
  auto Y = [&](double f) { return logPos(f, fLo, fHi, bottom, top); };

  svg.rect("", left, top, right - left, bottom - top, "#ffffff", "#999");
  for (double i = iLo; i <= iHi * 1.001; i *= 10) {
    svg.line("", X(i), top, X(i), bottom, "#e4e4e4", 1);
    svg.text(X(i), bottom + 15, format("%g", i), 11, "middle");
  }
  for (double f = fLo; f <= fHi * 1.001; f *= 10) {
    svg.line("", left, Y(f), right, Y(f), "#e4e4e4", 1);
    svg.text(left - 5, Y(f) + 4, rate(f, ""), 11, "end");
  }
  svg.text((left + right) / 2, bottom + 32, "FLOP per weight byte", 12, "middle");
  std::string ts = std::to_string(t);

  // The model's two intensities, whatever is known about the target.
  svg.line("intensity-" + ts + "-decode", X(cost.decodeIntensity), top, X(cost.decodeIntensity),
           bottom, "#e15759", 1.5, "4,3");
  svg.line("intensity-" + ts + "-prefill", X(target.prefillIntensity), top,
           X(target.prefillIntensity), bottom, "#4e79a7", 1.5, "4,3");
  svg.text(X(cost.decodeIntensity) + 4, top + 14,
           "decode " + format("%.3g", cost.decodeIntensity), 11, "start", "normal", "#b8343a");
  svg.text(X(target.prefillIntensity) + 4, top + 28,
           "prefill " + format("%.3g", target.prefillIntensity), 11, "start", "normal", "#2f5d8a");

  if (bandwidth > 0) {
    // Memory roof: FLOP/s = bandwidth x intensity, up to the compute peak.
    double knee = peakFlops > 0 ? peakFlops / bandwidth : iHi;
    double iEnd = std::min(knee, iHi), iStart = std::max(iLo, fLo / bandwidth);
    if (iStart < iEnd)
      svg.line("roof-memory-" + ts, X(iStart), Y(bandwidth * iStart), X(iEnd),
               Y(std::min(bandwidth * iEnd, fHi)), "#222", 3);
    svg.text(X(iStart) + 14, Y(bandwidth * iStart) + 16,
             "memory roof " + rate(bandwidth, "B/s"), 11, "start");
  }
  if (peakFlops > 0) {
    double knee = bandwidth > 0 ? std::max(peakFlops / bandwidth, iLo) : iLo;
    if (knee < iHi)
      svg.line("roof-compute-" + ts, X(knee), Y(peakFlops), X(iHi), Y(peakFlops), "#222", 3);
    svg.text(right - 4, Y(peakFlops) + 16, "FLOP peak " + rate(peakFlops, "FLOP/s"), 11, "end");
  }
  for (const BenchRun &r : runs) {
    std::string threads = format("%.0f", r.threads);
    double dy = r.decodeTokensPerS * cost.flopsPerToken;
    double py = r.prefillTokensPerS * cost.flopsPerToken;
    if (dy > 0) {
      svg.circle("point-" + ts + "-decode-" + threads, X(cost.decodeIntensity), Y(dy), 6,
                 "#e15759");
      svg.text(X(cost.decodeIntensity) - 9, Y(dy) + 4, threads + " thr", 10, "end");
    }
    if (py > 0) {
      svg.circle("point-" + ts + "-prefill-" + threads, X(target.prefillIntensity), Y(py), 6,
                 "#4e79a7");
      svg.text(X(target.prefillIntensity) + 9, Y(py) + 4, threads + " thr", 10, "start");
    }
  }
}

/// What the roofline rests on, under the memory bars.
void drawNotes(Svg &svg, double x0, double y0, const TargetCost &target,
               const std::vector<BenchRun> &runs, double peakFlops, bool peakGiven) {
  std::vector<std::string> lines;
  for (const BenchRun &r : runs)
    lines.push_back(format("yan-bench, %.0f thread(s): decode ", r.threads) +
                    rate(r.decodeTokensPerS, "tok/s") + ", prefill " +
                    rate(r.prefillTokensPerS, "tok/s") + ", memory " +
                    rate(r.memoryReadBytesPerS, "B/s"));
  if (runs.empty())
    lines.push_back(target.thisHost
                        ? "no yan-bench figures: give --bench FILE.json (yan-bench --json)"
                        : "no figures for this target: run yan-bench --json and yan-dump --svg on it");
  if (peakFlops <= 0)
    lines.push_back("no FLOP peak (yan-bench --json measures one; or --peak-gflops): no "
                    "compute roof");
  else
    lines.push_back(peakGiven ? "compute roof: --peak-gflops"
                              : "compute roof: f32 FMA peak measured by yan-bench");
  lines.push_back(format("prefill: chunks of %.0f tokens, each weight read once per chunk",
                         double(target.prefillChunk)));
  for (size_t i = 0; i < lines.size(); ++i)
    svg.text(x0, y0 + 15 * double(i), lines[i], 11, "start", "normal", "#444");
}

} // namespace

bool writeSvgReport(const yan_bundle_t *bundle, const char *bundlePath, const char *svgPath,
                    const SvgOptions &options, std::string *error) {
  std::vector<BenchRun> runs;
  if (options.benchJson && !readBenchFigures(options.benchJson, &runs, error))
    return false;
  ModelCost cost = modelCost(bundle);
  double height = kHeader + kPanel * double(std::max<size_t>(cost.targets.size(), 1)) + 10;

  Svg svg;
  svg.out = format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
                   "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
                   kWidth, height, kWidth, height);
  svg.rect("", 0, 0, kWidth, height, "#ffffff");
  const char *name = std::strrchr(bundlePath, '/') ? std::strrchr(bundlePath, '/') + 1 : bundlePath;
  svg.text(20, 30, std::string("yan bundle ") + name, 20, "start", "bold");
  svg.text(20, 55,
           rate(cost.flopsPerToken, "FLOP") + " per token (matrix products), " +
               bytes(double(cost.weightBytesMapped)) + " of weights mapped, " +
               bytes(double(cost.weightBytesPerToken)) + " read per decode token, " +
               bytes(double(cost.stateBytes)) + " of state",
           13);
  for (size_t t = 0; t < cost.targets.size(); ++t) {
    const TargetCost &target = cost.targets[t];
    double y0 = kHeader + kPanel * double(t);
    svg.out += "<g id=\"target-" + std::to_string(t) + "\">\n";
    svg.rect("panel-" + std::to_string(t), 10, y0, kWidth - 20, kPanel - 10, "#fafafa", "#bbb");
    svg.text(20, y0 + 24,
             "target " + std::to_string(t) + ": " + target.triple + " (" + target.cpu + ")" +
                 (target.thisHost ? ", this host" : ""),
             15, "start", "bold");
    drawMemory(svg, t, 25, y0 + 56, cost, target);
    // yan-bench measured the image its machine runs, and --peak-gflops is
    // that machine's: both belong to the image this host would load, when
    // yan-dump runs where yan-bench ran.
    std::vector<BenchRun> figures = target.thisHost ? runs : std::vector<BenchRun>{};
    // The roof: --peak-gflops when given, else the highest FMA peak
    // yan-bench measured (its thread counts, like the memory roof's).
    bool peakGiven = options.peakGflops > 0;
    double peak = peakGiven ? options.peakGflops * 1e9 : 0;
    for (const BenchRun &r : figures)
      if (!peakGiven)
        peak = std::max(peak, r.peakFlopsPerS);
    if (!target.thisHost)
      peak = 0;
    drawRoofline(svg, t, 480, y0 + 56, cost, target, figures, peak);
    drawNotes(svg, 25, y0 + 340, target, figures, peak, peakGiven);
    svg.out += "</g>\n";
  }
  svg.out += "</svg>\n";

  FILE *file = std::fopen(svgPath, "wb");
  bool ok = file && std::fwrite(svg.out.data(), 1, svg.out.size(), file) == svg.out.size();
  int savedErrno = errno;
  if (file && std::fclose(file) != 0 && ok) {
    ok = false;
    savedErrno = errno;
  }
  if (!ok) {
    *error = std::string("cannot write '") + svgPath + "': " + std::strerror(savedErrno);
    return false;
  }
  return true;
}

} // namespace yan::tools
