// The run report as JSON (run_report.h).
#include "apps/run_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "pipeline/atomic_file.h"

namespace p3d::app {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

double PortraitReport::total_ms() const {
  double t = 0;
  for (const auto& s : stage_ms)
    if (s.first.rfind("  ", 0) != 0) t += s.second;  // indented: a part of the row above
  return t;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * values.size());
  const size_t i = static_cast<size_t>(std::clamp(rank, 1.0, double(values.size()))) - 1;
  return values[i];
}

std::string run_report_json(const RunReport& r) {
  std::string j = "{\n";
  j += "  \"device\": " + quoted(r.device) + ",\n";
  j += "  \"batch\": " + std::to_string(r.batch) + ",\n";
  if (!r.shard.empty()) j += "  \"shard\": " + quoted(r.shard) + ",\n";
  size_t ok = 0, failed = 0, skipped = 0;
  std::vector<double> totals;
  std::map<std::string, double> stage_sums;
  for (const PortraitReport& p : r.portraits) {
    ok += p.status == "ok";
    failed += p.status == "failed";
    skipped += p.status == "skipped";
    if (p.status == "ok") totals.push_back(p.total_ms());
    for (const auto& s : p.stage_ms) stage_sums[s.first] += s.second;
  }
  j += "  \"totals\": {\"portraits\": " + std::to_string(r.portraits.size()) +
       ", \"ok\": " + std::to_string(ok) + ", \"failed\": " + std::to_string(failed) +
       ", \"skipped\": " + std::to_string(skipped) + ", \"wall_ms\": " + number(r.wall_ms) +
       ", \"startup_ms\": " + number(r.startup_ms) + ",\n";
  j += "    \"portrait_ms\": {\"p50\": " + number(percentile(totals, 50)) +
       ", \"p90\": " + number(percentile(totals, 90)) +
       ", \"p99\": " + number(percentile(totals, 99)) + "},\n";
  j += "    \"stage_ms\": {";
  bool first = true;
  for (const auto& [name, ms] : stage_sums) {
    j += (first ? "" : ", ") + quoted(name) + ": " + number(ms);
    first = false;
  }
  j += "}},\n  \"portraits\": [\n";
  for (size_t i = 0; i < r.portraits.size(); ++i) {
    const PortraitReport& p = r.portraits[i];
    j += "    {\"name\": " + quoted(p.name) + ", \"photo\": " + quoted(p.photo) +
         ", \"status\": " + quoted(p.status);
    if (!p.error.empty()) j += ", \"error\": " + quoted(p.error);
    if (p.face_only) j += ", \"face_only\": true";
    j += ", \"total_ms\": " + number(p.total_ms()) + ", \"stage_ms\": {";
    for (size_t k = 0; k < p.stage_ms.size(); ++k)
      j += (k ? ", " : "") + quoted(p.stage_ms[k].first) + ": " + number(p.stage_ms[k].second);
    j += "}, \"outputs\": [";
    for (size_t k = 0; k < p.outputs.size(); ++k) j += (k ? ", " : "") + quoted(p.outputs[k]);
    j += "]}";
    j += i + 1 < r.portraits.size() ? ",\n" : "\n";
  }
  j += "  ]\n}\n";
  return j;
}

void write_run_report(const std::string& path, const RunReport& report) {
  const std::string j = run_report_json(report);
  write_file_atomic(path, j.data(), j.size());
}

}  // namespace p3d::app
