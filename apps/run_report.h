// The `run --json FILE` report: one record per portrait (status, error, the stage times it
// shared with its batch divided by the batch's size, output paths) and the run's totals with
// the p50 / p90 / p99 of the per-portrait times. Written atomically.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace p3d::app {

struct PortraitReport {
  std::string name;
  std::string photo;
  std::string status = "ok";  // "ok", "failed", "skipped" (--skip-existing)
  std::string error;
  bool face_only = false;
  // This portrait's share of each stage; a name indented by two spaces is a part of the
  // row before it (face detection inside load) and does not add to total_ms().
  std::vector<std::pair<std::string, double>> stage_ms;
  std::vector<std::string> outputs;
  double total_ms() const;
};

struct RunReport {
  std::string device;
  int batch = 0;
  std::string shard;   // "i/n" or empty
  double wall_ms = 0;  // the whole run, start-up included
  double startup_ms = 0;
  std::vector<PortraitReport> portraits;
};

// The JSON text (for tests) and the file.
std::string run_report_json(const RunReport& report);
void write_run_report(const std::string& path, const RunReport& report);

// Nearest-rank percentile (p in [0, 100]) of `values`; 0 for none.
double percentile(std::vector<double> values, double p);

}  // namespace p3d::app
