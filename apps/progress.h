// Progress of a long run: on a terminal, one line redrawn in place (a bar, done/total, the
// rate and the ETA); otherwise (a log file, CI) one plain line per update, so logs stay
// readable. Failures are printed as their own lines either way.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace p3d::app {

class Progress {
 public:
  // `total` items; `out` is where lines go (stdout by default); `what` names the items.
  Progress(size_t total, const char* what, std::FILE* out = stdout);
  // `done` items finished (succeeded or failed), `failed` of them failed.
  void update(size_t done, size_t failed);
  // A message on its own line (clears the bar first on a terminal).
  void note(const std::string& line);
  // Ends the bar's line.
  void finish();

  static std::string format_duration(double seconds);  // "42 s", "3 min 05 s", "1 h 02 min"

 private:
  size_t total_;
  const char* what_;
  std::FILE* out_;
  bool terminal_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace p3d::app
