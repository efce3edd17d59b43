// Writing the per-step .mat records the original's scripts exchange (scipy.io.savemat with
// do_compression=True): MATLAB v5 files of zlib-compressed variables of any rank, given as
// row-major arrays (numpy's C order) and stored column-major as MATLAB wants. Used by the
// step-1 record (pipeline/step1_record.h) and the step-2 and step-3 records
// (pipeline/head_records.h). The file is written under a hidden temporary name beside the
// target and renamed into place by close(), so an interrupted run leaves no half file.
// Every failure throws p3d::Error naming the file and variable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace p3d {

class MatRecordWriter {
 public:
  explicit MatRecordWriter(const std::string& path);  // creates (truncates) the file
  ~MatRecordWriter();
  MatRecordWriter(const MatRecordWriter&) = delete;
  MatRecordWriter& operator=(const MatRecordWriter&) = delete;

  // Row-major data of shape `dims`, stored as MATLAB uint8, single, int32 or double.
  void write_u8(const char* name, const uint8_t* data, std::vector<size_t> dims);
  void write_f32(const char* name, const float* data, std::vector<size_t> dims);
  void write_i32(const char* name, const int32_t* data, std::vector<size_t> dims);
  void write_f64(const char* name, const double* data, std::vector<size_t> dims);
  // Flushes and closes; throws on failure. The destructor closes quietly.
  void close();

  const std::string& path() const { return path_; }

 private:
  struct Handle;
  std::string path_;
  std::unique_ptr<Handle> handle_;
};

// Row-major [d0, d1, ...] <-> MATLAB's column-major layout of the same dims.
template <typename T>
std::vector<T> to_column_major(const T* data, const std::vector<size_t>& dims);
template <typename T>
std::vector<T> to_row_major(const T* data, const std::vector<size_t>& dims);

}  // namespace p3d
