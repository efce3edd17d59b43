// Writing output files so that a crash, a full disk or an interrupted run never leaves a
// half-written file under the final name: the bytes go to a temporary file in the same
// folder (same file system, so the final rename is atomic), which is flushed to disk
// (fsync) and then renamed over the target. On any failure the temporary is removed and a
// p3d::Error names the target path and the system's reason (errno text). Meshes, PNGs and
// .mat files all go through here.
//
// Two shapes: write_file_atomic for bytes already in memory, and AtomicFile for output
// produced in parts (an OBJ is formatted in line ranges, in parallel, then written in order).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace p3d {

// A file being written: created as a hidden temporary beside `path`, moved to `path` by
// commit(). Destroying it uncommitted (an exception on the way) removes the temporary.
// Not copyable; one writer per object.
class AtomicFile {
 public:
  // Creates the temporary (permissions 0666 less the umask, as a plain open would give).
  // Throws p3d::Error naming `path` when the folder is missing or not writable.
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Appends bytes (retrying short writes and EINTR). Throws p3d::Error naming the path.
  void write(const void* data, size_t size);
  // fsync, close, rename over the target, then fsync the folder so the rename lasts.
  // Throws p3d::Error naming the path; the temporary is gone either way.
  void commit();

  const std::string& path() const { return path_; }
  // The temporary's name (for tests: it must not exist after commit or failure).
  const std::string& temporary_path() const { return temp_path_; }

 private:
  [[noreturn]] void fail(const char* what, int error_number);
  void discard() noexcept;

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool done_ = false;
};

// Writes `size` bytes to `path` atomically (AtomicFile + commit).
void write_file_atomic(const std::string& path, const void* data, size_t size);
inline void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace p3d
