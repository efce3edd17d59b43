// A small RAII layer over matio for the MATLAB v5 files the original reads and writes
// (face model, landmarks, masks). It reads a named 2-D real numeric variable into a
// row-major array equal to numpy's C-order view after scipy.io.loadmat (MATLAB stores
// column-major; the transpose happens here, once), and writes row-major arrays back in
// a chosen MATLAB class. Every failure throws p3d::Error naming the file and variable.
// Every file is walked by validate_mat_file (pipeline/mat_validate.h) before matio opens it,
// so a truncated or corrupt file is refused instead of read as whatever matio salvaged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace p3d {

// MATLAB classes we write; reading accepts every real numeric class.
enum class MatClass { kDouble, kSingle, kInt32, kInt64, kUint8, kUint16, kOther };

const char* mat_class_name(MatClass cls);

// One variable as read: values widened to double (exact for single and for integers
// below 2^53), row-major [rows x cols].
struct MatArray {
  std::string file;  // for messages
  std::string name;
  MatClass cls = MatClass::kOther;
  size_t rows = 0;
  size_t cols = 0;
  std::vector<double> values;

  size_t size() const { return values.size(); }
  std::string where() const;  // "<file>: variable '<name>'"

  // Throws unless the shape is rows x cols; a negative expectation matches any extent.
  void expect_shape(long rows, long cols) const;
  // Throws unless one extent is 1 and the other is `count` (or any when count < 0): MATLAB
  // vectors come as 1 x K or K x 1 depending on who wrote them.
  void expect_vector(long count) const;

  // Values as float32, refusing NaN or infinity.
  std::vector<float> to_floats() const;
  // Values as float64, refusing NaN or infinity.
  std::vector<double> to_doubles() const;
  // Integer-valued entries minus `base` (1 for MATLAB ids), each checked to lie in
  // [0, limit) after the shift; non-integers and out-of-range values throw.
  std::vector<int32_t> to_indices(int base, int64_t limit) const;
};

// Read-only view of one .mat file (v5; v7.3 too where matio was built with HDF5).
class MatReader {
 public:
  explicit MatReader(const std::string& path);  // throws if missing or not a MAT file
  ~MatReader();
  MatReader(const MatReader&) = delete;
  MatReader& operator=(const MatReader&) = delete;

  const std::string& path() const { return path_; }
  bool has(const std::string& name) const;
  // Throws when absent, not a real numeric array, complex, sparse or of rank > 2.
  MatArray read(const std::string& name) const;

 private:
  struct Handle;
  std::string path_;
  std::unique_ptr<Handle> handle_;
};

// Creates (truncates) a MATLAB v5 file and appends variables, uncompressed like scipy's
// savemat default. close() flushes and reports errors; the destructor closes quietly.
class MatWriter {
 public:
  explicit MatWriter(const std::string& path);
  ~MatWriter();
  MatWriter(const MatWriter&) = delete;
  MatWriter& operator=(const MatWriter&) = delete;

  // `data` is row-major [rows x cols]; it is stored in MATLAB class `cls` (values must fit:
  // integer classes get integers, checked).
  void write(const std::string& name, size_t rows, size_t cols, const float* data, MatClass cls);
  void write(const std::string& name, size_t rows, size_t cols, const double* data, MatClass cls);
  void write(const std::string& name, size_t rows, size_t cols, const int32_t* data, MatClass cls);
  void close();

 private:
  void write_doubles(const std::string& name, size_t rows, size_t cols,
                     const std::vector<double>& column_major, MatClass cls);
  struct Handle;
  std::string path_;
  std::unique_ptr<Handle> handle_;
};

}  // namespace p3d
