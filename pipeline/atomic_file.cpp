// AtomicFile: POSIX open / write / fsync / rename. The temporary is ".<name>.tmp-<pid>-<n>"
// in the target's folder: hidden, unique per process and call (O_EXCL guards against a
// stale one), and on the same file system as the target so rename(2) replaces it in one
// step — readers see the old file or the new one, never a part.
#include "pipeline/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "kernels/error.h"

namespace p3d {
namespace {

std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string temporary_name(const std::string& path, unsigned long serial) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + name + ".tmp-" + std::to_string(static_cast<long>(::getpid())) + "-" +
         std::to_string(serial);
}

std::atomic<unsigned long> g_serial{0};

}  // namespace

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
  P3D_CHECK(!path.empty() && path.back() != '/', "atomic write: '", path, "' is not a file name");
  // O_EXCL: never reuse (or follow a link at) a name someone else made; retry a few serials.
  for (int attempt = 0; attempt < 16; ++attempt) {
    temp_path_ = temporary_name(path, g_serial.fetch_add(1));
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    if (errno != EEXIST) break;
  }
  const int error_number = errno;
  temp_path_.clear();  // nothing was created
  done_ = true;
  P3D_THROW("cannot write ", path_, ": cannot create a temporary file in ", folder_of(path_), " (",
            std::strerror(error_number), ")");
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() noexcept {
  if (done_) return;
  done_ = true;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFile::fail(const char* what, int error_number) {
  discard();
  P3D_THROW("cannot write ", path_, ": ", what, " failed (", std::strerror(error_number), ")");
}

void AtomicFile::write(const void* data, size_t size) {
  P3D_CHECK(!done_, "atomic write ", path_, ": write after commit or failure");
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    if (n == 0) fail("write", EIO);  // no progress: treat as an I/O error, never spin
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  P3D_CHECK(!done_, "atomic write ", path_, ": commit after commit or failure");
  if (::fsync(fd_) != 0) fail("fsync", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("close", errno);  // NFS reports deferred write errors here
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) fail("rename", errno);
  done_ = true;
  // Make the rename itself durable. Best effort: some file systems refuse fsync on a folder,
  // and the file is complete and in place already.
  const int dir = ::open(folder_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
  AtomicFile file(path);
  file.write(data, size);
  file.commit();
}

}  // namespace p3d
