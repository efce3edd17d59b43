// matio wrapper (see mat_file.h). Reading widens every numeric class to double and
// transposes MATLAB's column-major storage to row-major; writing does the reverse.
#include "pipeline/mat_file.h"

#include <matio.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "kernels/error.h"
#include "pipeline/mat_validate.h"

namespace p3d {
namespace {

// Frees a matio variable on scope exit.
struct VarDeleter {
  void operator()(matvar_t* var) const { Mat_VarFree(var); }
};
using VarPtr = std::unique_ptr<matvar_t, VarDeleter>;

// Widens element i of matio's data buffer (already converted to the class type by matio).
template <typename T>
void widen(const void* data, size_t count, double* out) {
  const T* typed = static_cast<const T*>(data);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<double>(typed[i]);
}

// Narrows to the storage type, refusing values the class cannot hold exactly.
template <typename T>
std::vector<T> narrow(const std::vector<double>& values, const std::string& where) {
  std::vector<T> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (std::numeric_limits<T>::is_integer) {
      if (v != std::floor(v) || v < static_cast<double>(std::numeric_limits<T>::lowest()) ||
          v > static_cast<double>(std::numeric_limits<T>::max())) {
        P3D_THROW(where, ": value ", v, " does not fit the integer class");
      }
    }
    out[i] = static_cast<T>(v);
  }
  return out;
}

using WriteFn = void (*)(mat_t* mat, const std::string& where, const std::string& name, size_t rows,
                         size_t cols, const std::vector<double>& column_major);

// Writes a variable of class kClass, stored as T (matio type kType).
template <typename T, matio_classes kClass, matio_types kType>
void write_typed(mat_t* mat, const std::string& where, const std::string& name, size_t rows,
                 size_t cols, const std::vector<double>& column_major) {
  std::vector<T> buffer = narrow<T>(column_major, where);
  size_t dims[2] = {rows, cols};
  // MAT_F_DONT_COPY_DATA: matio borrows `buffer`, which outlives the write.
  VarPtr var(
      Mat_VarCreate(name.c_str(), kClass, kType, 2, dims, buffer.data(), MAT_F_DONT_COPY_DATA));
  if (!var) P3D_THROW(where, ": matio could not create the variable");
  if (Mat_VarWrite(mat, var.get(), MAT_COMPRESSION_NONE) != 0) P3D_THROW(where, ": write failed");
}

// Everything this file knows about a matio class, one row each: its name, our MatClass
// (kOther: one we do not write), how its elements widen to double (null: not numeric) and
// how a variable of it is written (null: not written).
struct ClassRow {
  matio_classes matio;
  const char* name;
  MatClass ours;
  void (*widen)(const void* data, size_t count, double* out);
  WriteFn write;
};

// clang-format off
constexpr ClassRow kClasses[] = {
    {MAT_C_EMPTY,  "empty",  MatClass::kOther,  nullptr,          nullptr},
    {MAT_C_CELL,   "cell",   MatClass::kOther,  nullptr,          nullptr},
    {MAT_C_STRUCT, "struct", MatClass::kOther,  nullptr,          nullptr},
    {MAT_C_OBJECT, "object", MatClass::kOther,  nullptr,          nullptr},
    {MAT_C_CHAR,   "char",   MatClass::kOther,  nullptr,          nullptr},
    {MAT_C_SPARSE, "sparse", MatClass::kOther,  nullptr,          nullptr},
    {MAT_C_DOUBLE, "double", MatClass::kDouble, widen<double>,    write_typed<double, MAT_C_DOUBLE, MAT_T_DOUBLE>},
    {MAT_C_SINGLE, "single", MatClass::kSingle, widen<float>,     write_typed<float, MAT_C_SINGLE, MAT_T_SINGLE>},
    {MAT_C_INT8,   "int8",   MatClass::kOther,  widen<int8_t>,    nullptr},
    {MAT_C_UINT8,  "uint8",  MatClass::kUint8,  widen<uint8_t>,   write_typed<uint8_t, MAT_C_UINT8, MAT_T_UINT8>},
    {MAT_C_INT16,  "int16",  MatClass::kOther,  widen<int16_t>,   nullptr},
    {MAT_C_UINT16, "uint16", MatClass::kUint16, widen<uint16_t>,  write_typed<uint16_t, MAT_C_UINT16, MAT_T_UINT16>},
    {MAT_C_INT32,  "int32",  MatClass::kInt32,  widen<int32_t>,   write_typed<int32_t, MAT_C_INT32, MAT_T_INT32>},
    {MAT_C_UINT32, "uint32", MatClass::kOther,  widen<uint32_t>,  nullptr},
    {MAT_C_INT64,  "int64",  MatClass::kInt64,  widen<int64_t>,   write_typed<int64_t, MAT_C_INT64, MAT_T_INT64>},
    {MAT_C_UINT64, "uint64", MatClass::kOther,  widen<uint64_t>,  nullptr},
};
// clang-format on

// The row of a matio class; null for the classes the table does not list (function, opaque).
const ClassRow* find_class(matio_classes cls) {
  for (const ClassRow& row : kClasses)
    if (row.matio == cls) return &row;
  return nullptr;
}

// The row of one of our classes; null for kOther.
const ClassRow* find_class(MatClass cls) {
  if (cls == MatClass::kOther) return nullptr;
  for (const ClassRow& row : kClasses)
    if (row.ours == cls) return &row;
  return nullptr;
}

MatClass from_matio(matio_classes cls) {
  const ClassRow* row = find_class(cls);
  return row ? row->ours : MatClass::kOther;
}

const char* matio_class_name(matio_classes cls) {
  const ClassRow* row = find_class(cls);
  return row ? row->name : "unsupported";
}

bool widen_class(matio_classes cls, const void* data, size_t count, double* out) {
  const ClassRow* row = find_class(cls);
  if (!row || !row->widen) return false;
  row->widen(data, count, out);
  return true;
}

}  // namespace

const char* mat_class_name(MatClass cls) {
  const ClassRow* row = find_class(cls);
  return row ? row->name : "other";
}

std::string MatArray::where() const { return file + ": variable '" + name + "'"; }

void MatArray::expect_shape(long want_rows, long want_cols) const {
  const bool rows_ok = want_rows < 0 || static_cast<size_t>(want_rows) == rows;
  const bool cols_ok = want_cols < 0 || static_cast<size_t>(want_cols) == cols;
  if (!rows_ok || !cols_ok) {
    P3D_THROW(where(), ": expected shape ",
              want_rows < 0 ? std::string("any") : std::to_string(want_rows), " x ",
              want_cols < 0 ? std::string("any") : std::to_string(want_cols), ", got ", rows, " x ",
              cols);
  }
}

void MatArray::expect_vector(long count) const {
  const bool is_vector = rows == 1 || cols == 1;
  if (!is_vector || (count >= 0 && values.size() != static_cast<size_t>(count))) {
    P3D_THROW(where(), ": expected a vector of ",
              count < 0 ? std::string("any length") : std::to_string(count),
              " (1 x K or K x 1), got ", rows, " x ", cols);
  }
}

std::vector<float> MatArray::to_floats() const {
  std::vector<float> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]))
      P3D_THROW(where(), ": non-finite value ", values[i], " at flat index ", i);
    out[i] = static_cast<float>(values[i]);
  }
  return out;
}

std::vector<double> MatArray::to_doubles() const {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]))
      P3D_THROW(where(), ": non-finite value ", values[i], " at flat index ", i);
  }
  return values;
}

std::vector<int32_t> MatArray::to_indices(int base, int64_t limit) const {
  std::vector<int32_t> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (!std::isfinite(v) || v != std::floor(v)) {
      P3D_THROW(where(), ": index entry ", i, " is ", v, ", not an integer");
    }
    const double shifted = v - base;
    if (shifted < 0 || shifted >= static_cast<double>(limit)) {
      P3D_THROW(where(), ": index entry ", i, " is ", v, ", outside [", base, ", ",
                limit + base - 1, "] (", base, "-based)");
    }
    out[i] = static_cast<int32_t>(shifted);
  }
  return out;
}

// ---- reader --------------------------------------------------------------------------

struct MatReader::Handle {
  mat_t* mat = nullptr;
  MatFileInfo info;  // the structure validate_mat_file found
  ~Handle() {
    if (mat) Mat_Close(mat);
  }
};

MatReader::MatReader(const std::string& path) : path_(path), handle_(new Handle) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) P3D_THROW(path, ": no such file");
  // matio returns what it inflated before a broken compressed stream and fills short data
  // silently: the structure walk refuses such files before matio sees them.
  handle_->info = validate_mat_file(path);
  handle_->mat = Mat_Open(path.c_str(), MAT_ACC_RDONLY);
  if (!handle_->mat) P3D_THROW(path, ": cannot open as a MATLAB .mat file");
}

MatReader::~MatReader() = default;

bool MatReader::has(const std::string& name) const {
  VarPtr info(Mat_VarReadInfo(handle_->mat, name.c_str()));
  return info != nullptr;
}

MatArray MatReader::read(const std::string& name) const {
  VarPtr var(Mat_VarRead(handle_->mat, name.c_str()));
  if (!var) P3D_THROW(path_, ": missing variable '", name, "'");
  MatArray out;
  out.file = path_;
  out.name = name;
  out.cls = from_matio(var->class_type);
  if (var->isComplex) P3D_THROW(out.where(), ": complex arrays are not supported");
  if (var->rank != 2) P3D_THROW(out.where(), ": expected a 2-D array, got rank ", var->rank);
  out.rows = var->dims[0];
  out.cols = var->dims[1];
  // matio must have read the variable the walk checked (its first one of that name): the
  // same dims, and data of the byte count those dims need.
  if (!handle_->info.hdf5) {
    const MatVariableInfo* checked = nullptr;
    for (const MatVariableInfo& v : handle_->info.variables)
      if (v.name == name) {
        checked = &v;
        break;
      }
    if (!checked || checked->dims.size() != 2 || checked->dims[0] != out.rows ||
        checked->dims[1] != out.cols)
      P3D_THROW(out.where(), ": matio read ", out.rows, " x ", out.cols,
                ", which does not match the file's structure");
  }
  const size_t count = out.rows * out.cols;
  if (count == 0) return out;
  input_limits().check(
      saturating_mul(count, sizeof(double)), out.where(),
      "an array of " + std::to_string(out.rows) + " x " + std::to_string(out.cols));
  const bool numeric = var->class_type >= MAT_C_DOUBLE && var->class_type <= MAT_C_UINT64;
  if (numeric && var->data &&
      var->nbytes / std::max<size_t>(static_cast<size_t>(var->data_size), 1) < count)
    P3D_THROW(out.where(), ": matio holds ", var->nbytes, " bytes for ", count,
              " elements (element count short of the header's)");
  std::vector<double> column_major(count);
  if (!var->data || !widen_class(var->class_type, var->data, count, column_major.data())) {
    P3D_THROW(out.where(), ": expected a real numeric array, got class ",
              matio_class_name(var->class_type));
  }
  // MATLAB element (r, c) lives at c * rows + r; numpy's C order wants r * cols + c.
  out.values.resize(count);
  for (size_t c = 0; c < out.cols; ++c) {
    for (size_t r = 0; r < out.rows; ++r)
      out.values[r * out.cols + c] = column_major[c * out.rows + r];
  }
  return out;
}

// ---- writer --------------------------------------------------------------------------

struct MatWriter::Handle {
  mat_t* mat = nullptr;
  ~Handle() {
    if (mat) Mat_Close(mat);
  }
};

MatWriter::MatWriter(const std::string& path) : path_(path), handle_(new Handle) {
  handle_->mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT5);
  if (!handle_->mat) P3D_THROW(path, ": cannot create MATLAB file");
}

MatWriter::~MatWriter() = default;

namespace {

template <typename T>
std::vector<double> to_column_major(size_t rows, size_t cols, const T* data) {
  std::vector<double> out(rows * cols);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) out[c * rows + r] = static_cast<double>(data[r * cols + c]);
  }
  return out;
}

}  // namespace

void MatWriter::write_doubles(const std::string& name, size_t rows, size_t cols,
                              const std::vector<double>& column_major, MatClass cls) {
  P3D_CHECK(handle_->mat, path_, ": writer already closed");
  const ClassRow* row = find_class(cls);
  if (row && row->write)
    return row->write(handle_->mat, path_ + ": variable '" + name + "'", name, rows, cols,
                      column_major);
  P3D_THROW(path_, ": variable '", name, "': cannot write class ", mat_class_name(cls));
}

void MatWriter::write(const std::string& name, size_t rows, size_t cols, const float* data,
                      MatClass cls) {
  write_doubles(name, rows, cols, to_column_major(rows, cols, data), cls);
}

void MatWriter::write(const std::string& name, size_t rows, size_t cols, const double* data,
                      MatClass cls) {
  write_doubles(name, rows, cols, to_column_major(rows, cols, data), cls);
}

void MatWriter::write(const std::string& name, size_t rows, size_t cols, const int32_t* data,
                      MatClass cls) {
  write_doubles(name, rows, cols, to_column_major(rows, cols, data), cls);
}

void MatWriter::close() {
  if (!handle_->mat) return;
  const int rc = Mat_Close(handle_->mat);
  handle_->mat = nullptr;
  if (rc != 0) P3D_THROW(path_, ": closing the MATLAB file failed");
}

}  // namespace p3d
