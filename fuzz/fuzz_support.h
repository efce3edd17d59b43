// What the input-parser fuzzers share: the input cap they run under and a way to hand bytes
// to readers that only take a path (matio opens files by name).
//
// The cap (64 MiB) keeps every accepted input well inside libFuzzer's -malloc_limit_mb, so an
// out-of-memory report means a decoder allocated before checking what a header declared,
// which is a finding, not a big but legitimate input.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "pipeline/input_limits.h"

namespace p3d::fuzz {

inline void set_fuzz_limits() {
  InputLimits limits;
  limits.max_bytes = uint64_t{64} << 20;
  set_input_limits(limits);
}

// An in-memory file (memfd) holding `size` bytes, reachable as /proc/self/fd/N: no disk
// traffic per input, and nothing left behind when the fuzzer is killed.
class MemoryFile {
 public:
  MemoryFile() : fd_(memfd_create("p3d_fuzz", MFD_CLOEXEC)) {}
  ~MemoryFile() {
    if (fd_ >= 0) close(fd_);
  }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  // Replaces the contents; false when the memfd is unusable.
  bool assign(const uint8_t* data, size_t size) {
    if (fd_ < 0 || ftruncate(fd_, 0) != 0) return false;
    size_t done = 0;
    while (done < size) {
      const ssize_t n = pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

}  // namespace p3d::fuzz
