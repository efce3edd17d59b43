// MatRecordWriter (mat_record.h) on matio: one Mat_VarCreate + Mat_VarWrite with zlib per
// variable.
#include "pipeline/mat_record.h"

#include <matio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "kernels/error.h"

namespace p3d {
namespace {

// Visits every element of a [dims] array in row-major order with its column-major offset.
template <typename F>
void for_each_index(const std::vector<size_t>& dims, F&& f) {
  size_t total = 1;
  for (size_t d : dims) total *= d;
  const size_t rank = dims.size();
  std::vector<size_t> index(rank, 0);
  for (size_t i = 0; i < total; ++i) {
    size_t col = 0, stride = 1;
    for (size_t k = 0; k < rank; ++k) {
      col += index[k] * stride;
      stride *= dims[k];
    }
    f(i, col);
    for (size_t k = rank; k-- > 0;) {
      if (++index[k] < dims[k]) break;
      index[k] = 0;
    }
  }
}

size_t element_count(const std::vector<size_t>& dims) {
  size_t total = 1;
  for (size_t d : dims) total *= d;
  return total;
}

// `data` copied from row-major into column-major order (to_column) or back.
template <typename T>
std::vector<T> reordered(const T* data, const std::vector<size_t>& dims, bool to_column) {
  std::vector<T> out(element_count(dims));
  for_each_index(dims, [&](size_t row_major, size_t col_major) {
    if (to_column)
      out[col_major] = data[row_major];
    else
      out[row_major] = data[col_major];
  });
  return out;
}

}  // namespace

template <typename T>
std::vector<T> to_column_major(const T* data, const std::vector<size_t>& dims) {
  return reordered(data, dims, true);
}

template <typename T>
std::vector<T> to_row_major(const T* data, const std::vector<size_t>& dims) {
  return reordered(data, dims, false);
}

template std::vector<uint8_t> to_column_major(const uint8_t*, const std::vector<size_t>&);
template std::vector<float> to_column_major(const float*, const std::vector<size_t>&);
template std::vector<int32_t> to_column_major(const int32_t*, const std::vector<size_t>&);
template std::vector<double> to_column_major(const double*, const std::vector<size_t>&);
template std::vector<uint8_t> to_row_major(const uint8_t*, const std::vector<size_t>&);
template std::vector<float> to_row_major(const float*, const std::vector<size_t>&);
template std::vector<int32_t> to_row_major(const int32_t*, const std::vector<size_t>&);
template std::vector<double> to_row_major(const double*, const std::vector<size_t>&);

struct MatRecordWriter::Handle {
  mat_t* file = nullptr;
  std::string temp_path;  // matio writes here; close() renames it over the target
};

namespace {

template <typename T>
void write_var(mat_t* file, const std::string& path, const char* name, const T* row_major,
               std::vector<size_t> dims, matio_classes cls, matio_types type) {
  if (dims.size() < 2) dims.insert(dims.begin(), 1);  // numpy 1-D arrays save as 1 x K
  std::vector<T> data = to_column_major(row_major, dims);
  matvar_t* var = Mat_VarCreate(name, cls, type, static_cast<int>(dims.size()), dims.data(),
                                data.data(), MAT_F_DONT_COPY_DATA);
  if (!var) P3D_THROW(path, ": cannot create variable '", name, "'");
  const int rc = Mat_VarWrite(file, var, MAT_COMPRESSION_ZLIB);
  Mat_VarFree(var);
  if (rc != 0)
    P3D_THROW(path, ": cannot write variable '", name, "' (disk full, or matio without zlib?)");
}

}  // namespace

namespace {

// A hidden name beside the target, unique per process and writer.
std::string temporary_name(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path p(path);
  const std::string name = "." + p.filename().string() + ".tmp-" + std::to_string(getpid()) + "-" +
                           std::to_string(counter++);
  return (p.parent_path() / name).string();
}

}  // namespace

MatRecordWriter::MatRecordWriter(const std::string& path)
    : path_(path), handle_(std::make_unique<Handle>()) {
  handle_->temp_path = temporary_name(path);
  handle_->file = Mat_CreateVer(handle_->temp_path.c_str(), nullptr, MAT_FT_MAT5);
  if (!handle_->file) P3D_THROW(path, ": cannot create the .mat file (", std::strerror(errno), ")");
}

MatRecordWriter::~MatRecordWriter() {
  if (handle_ && handle_->file) {  // not closed: an error on the way; leave nothing behind
    Mat_Close(handle_->file);
    std::remove(handle_->temp_path.c_str());
  }
}

void MatRecordWriter::write_u8(const char* name, const uint8_t* data, std::vector<size_t> dims) {
  write_var(handle_->file, path_, name, data, std::move(dims), MAT_C_UINT8, MAT_T_UINT8);
}
void MatRecordWriter::write_f32(const char* name, const float* data, std::vector<size_t> dims) {
  write_var(handle_->file, path_, name, data, std::move(dims), MAT_C_SINGLE, MAT_T_SINGLE);
}
void MatRecordWriter::write_i32(const char* name, const int32_t* data, std::vector<size_t> dims) {
  write_var(handle_->file, path_, name, data, std::move(dims), MAT_C_INT32, MAT_T_INT32);
}
void MatRecordWriter::write_f64(const char* name, const double* data, std::vector<size_t> dims) {
  write_var(handle_->file, path_, name, data, std::move(dims), MAT_C_DOUBLE, MAT_T_DOUBLE);
}

void MatRecordWriter::close() {
  mat_t* f = handle_->file;
  handle_->file = nullptr;
  if (!f) return;
  if (Mat_Close(f) != 0) {
    std::remove(handle_->temp_path.c_str());
    P3D_THROW(path_, ": cannot close the .mat file");
  }
  if (std::rename(handle_->temp_path.c_str(), path_.c_str()) != 0) {
    const int e = errno;
    std::remove(handle_->temp_path.c_str());
    P3D_THROW(path_, ": cannot move the finished .mat file into place (", std::strerror(e), ")");
  }
}

}  // namespace p3d
