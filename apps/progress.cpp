// Progress (progress.h).
#include "apps/progress.h"

#include <unistd.h>

#include <cmath>

namespace p3d::app {

Progress::Progress(size_t total, const char* what, std::FILE* out)
    : total_(total),
      what_(what),
      out_(out),
      terminal_(isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()) {}

std::string Progress::format_duration(double s) {
  char buf[64];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.0f s", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%d min %02d s", int(s) / 60, int(s) % 60);
  else
    std::snprintf(buf, sizeof buf, "%d h %02d min", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

void Progress::update(size_t done, size_t failed) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? done / elapsed : 0;
  const double eta = rate > 0 ? (total_ - done) / rate : NAN;
  char line[256];
  if (terminal_) {
    constexpr int kWidth = 30;
    const int filled = total_ ? static_cast<int>(kWidth * done / total_) : kWidth;
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::snprintf(line, sizeof line, "\r[%s] %zu/%zu %s, %zu failed, %.2f/s, ETA %s   ",
                  bar.c_str(), done, total_, what_, failed, rate, format_duration(eta).c_str());
    std::fputs(line, out_);
    drawn_ = true;
  } else {
    std::snprintf(line, sizeof line, "progress: %zu/%zu %s, %zu failed, %.2f/s, ETA %s\n", done,
                  total_, what_, failed, rate, format_duration(eta).c_str());
    std::fputs(line, out_);
  }
  std::fflush(out_);
}

void Progress::note(const std::string& text) {
  if (terminal_ && drawn_) std::fputs("\r\033[K", out_);
  std::fputs(text.c_str(), out_);
  std::fputc('\n', out_);
  drawn_ = false;
  std::fflush(out_);
}

void Progress::finish() {
  if (terminal_ && drawn_) std::fputc('\n', out_);
  drawn_ = false;
  std::fflush(out_);
}

}  // namespace p3d::app
