// convert_bfm09: the original's transferBFM09 (utils/loader.py) in C++. It builds the cropped
// front-face model from the raw Basel Face Model 2009 (01_MorphableModel.mat), the
// expression PCA of Guo et al. (Exp_Pca.bin + std_exp.txt) and the public index files.
//
// What the original computes, per output vertex v (0-based):
//   index_exp[v]   = idx[v] - 1                       (BFM_front_idx.mat: into the 53215
//                                                       expression-model vertices)
//   index_shape[v] = trimIndex[index_exp[v]] - 1      (BFM_exp_idx.mat: into the 53490
//                                                       BFM09 vertices)
//   idBase  = (shapePC * shapeEV) / 1e5, first 80 columns, rows of index_shape
//   exBase  = (expPC * expEV) / 1e5,     first 64 columns, rows of index_exp
//   texBase =  texPC * texEV,            first 80 columns, rows of index_shape
//   meanshape = shapeMU / 1e5, meantex = texMU, rows of index_shape (the expression mean
//   in Exp_Pca.bin is read and ignored, as the original does)
// and copies tri, point_buf, keypoints and the training extras from facemodel_info.mat.
// The arithmetic follows numpy's type promotion so the float32 results match bit for bit:
// two single operands multiply (and divide by 1e5) in single; a double operand makes the
// whole expression double, rounded to our float32 storage at the end (exBase is such a
// case: std_exp.txt is parsed as float64).
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kernels/error.h"
#include "pipeline/face_model.h"
#include "pipeline/face_model_topology.h"
#include "pipeline/mat_file.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

constexpr double kMicrometresPerUnit = 1e5;  // BFM09 µm -> the model's decimetres

// Exp_Pca.bin as the original's LoadExpBasis reads it with array.fromfile (native
// little-endian): int32 d, float32 mean[3n], float32 pc[d][3n]. The original hardcodes
// n = 53215; we take n from BFM_exp_idx.mat (its trimIndex has one entry per expression
// vertex) so small test fakes work too, and check the file is long enough.
struct ExpPca {
  int dims = 0;
  size_t rows = 0;        // 3n
  std::vector<float> pc;  // [dims x 3n] as stored; the original transposes to [3n x dims]
};

ExpPca read_exp_pca(const std::string& path, size_t vertex_count) {
  static_assert(sizeof(float) == 4 && sizeof(int32_t) == 4, "Exp_Pca.bin holds 4-byte values");
  std::ifstream in(path, std::ios::binary);
  if (!in) P3D_THROW(path, ": no such file (the expression basis Exp_Pca.bin)");
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  int32_t dims = 0;
  if (file_size < 4 || !in.read(reinterpret_cast<char*>(&dims), 4))
    P3D_THROW(path, ": truncated header");
  if (dims <= 0 || dims > 100000) P3D_THROW(path, ": implausible basis count ", dims);
  ExpPca out;
  out.dims = dims;
  out.rows = 3 * vertex_count;
  const uint64_t need = 4 + 4ull * out.rows * (1 + static_cast<uint64_t>(dims));
  if (file_size < need) {
    P3D_THROW(path, ": ", file_size, " bytes, expected at least ", need, " for ", dims,
              " bases over ", vertex_count, " vertices (vertex count from BFM_exp_idx.mat)");
  }
  in.seekg(static_cast<std::streamoff>(4 + 4 * out.rows));  // skip the unused mean
  out.pc.resize(out.rows * static_cast<size_t>(dims));
  if (!in.read(reinterpret_cast<char*>(out.pc.data()),
               static_cast<std::streamsize>(4 * out.pc.size()))) {
    P3D_THROW(path, ": read failed");
  }
  return out;
}

// np.loadtxt of a file of whitespace-separated numbers, flattened.
std::vector<double> read_numbers(const std::string& path) {
  std::ifstream in(path);
  if (!in) P3D_THROW(path, ": no such file (the expression standard deviations std_exp.txt)");
  std::vector<double> out;
  std::string token;
  while (in >> token) {
    char* end = nullptr;
    const double v = std::strtod(token.c_str(), &end);
    if (end == token.c_str() || *end != '\0') P3D_THROW(path, ": '", token, "' is not a number");
    out.push_back(v);
  }
  return out;
}

// numpy's a * b / divisor with a, b of the given classes, rounded to float32 storage.
float scaled_product(double a, double b, bool single, double divisor) {
  if (single) {
    const float product = static_cast<float>(a) * static_cast<float>(b);
    return divisor == 1.0 ? product : product / static_cast<float>(divisor);
  }
  const double product = a * b;
  return static_cast<float>(divisor == 1.0 ? product : product / divisor);
}

// One PCA model (shape or texture) of 01_MorphableModel.mat.
struct Pca {
  MatArray mean, pc, ev;
};

Pca read_pca(const MatReader& file, const char* mean, const char* pc, const char* ev, int keep) {
  Pca out{file.read(mean), file.read(pc), file.read(ev)};
  out.pc.expect_shape(-1, -1);
  if (out.pc.rows == 0 || out.pc.rows % 3 != 0)
    P3D_THROW(out.pc.where(), ": rows must be 3 x vertices");
  if (out.pc.cols < static_cast<size_t>(keep)) {
    P3D_THROW(out.pc.where(), ": ", out.pc.cols, " bases, need at least ", keep);
  }
  out.ev.expect_vector(static_cast<long>(out.pc.cols));
  out.mean.expect_vector(static_cast<long>(out.pc.rows));
  return out;
}

// Selected rows of (pc * ev / divisor), first `keep` columns, row-major [3V x keep].
std::vector<float> select_basis(const MatArray& pc, const MatArray& ev,
                                const std::vector<int32_t>& vertices, int keep, double divisor) {
  const bool single = pc.cls == MatClass::kSingle && ev.cls == MatClass::kSingle;
  std::vector<float> out(3 * vertices.size() * keep);
  for (size_t v = 0; v < vertices.size(); ++v) {
    for (size_t c = 0; c < 3; ++c) {
      const double* src = &pc.values[(3 * static_cast<size_t>(vertices[v]) + c) * pc.cols];
      float* dst = &out[(3 * v + c) * keep];
      for (int k = 0; k < keep; ++k) dst[k] = scaled_product(src[k], ev.values[k], single, divisor);
    }
  }
  return out;
}

std::vector<float> select_mean(const MatArray& mean, const std::vector<int32_t>& vertices,
                               double divisor) {
  const bool single = mean.cls == MatClass::kSingle;
  std::vector<float> out(3 * vertices.size());
  for (size_t v = 0; v < vertices.size(); ++v) {
    for (size_t c = 0; c < 3; ++c) {
      out[3 * v + c] = scaled_product(mean.values[3 * static_cast<size_t>(vertices[v]) + c], 1.0,
                                      single, divisor);
    }
  }
  return out;
}

void check_all_finite(const MatArray& a) { (void)a.to_doubles(); }

}  // namespace

FaceModel convert_bfm09(const std::string& raw_folder, const std::string& index_folder) {
  const fs::path raw(raw_folder), index(index_folder);
  MatReader bfm((raw / "01_MorphableModel.mat").string());
  const Pca shape = read_pca(bfm, "shapeMU", "shapePC", "shapeEV", FaceModel::kIdDims);
  const Pca tex = read_pca(bfm, "texMU", "texPC", "texEV", FaceModel::kTexDims);
  if (tex.pc.rows != shape.pc.rows) {
    P3D_THROW(tex.pc.where(), ": ", tex.pc.rows, " rows, but shapePC has ", shape.pc.rows);
  }
  for (const MatArray* a : {&shape.mean, &shape.pc, &shape.ev, &tex.mean, &tex.pc, &tex.ev})
    check_all_finite(*a);
  const size_t bfm_vertices = shape.pc.rows / 3;

  // The original's variable names are swapped relative to the files: 'idx' of
  // BFM_front_idx.mat indexes the expression model, 'trimIndex' of BFM_exp_idx.mat maps
  // expression-model vertices to BFM09 vertices.
  MatArray trim_index = MatReader((index / "BFM_exp_idx.mat").string()).read("trimIndex");
  trim_index.expect_vector(-1);
  const std::vector<int32_t> exp_to_bfm =
      trim_index.to_indices(1, static_cast<int64_t>(bfm_vertices));
  const size_t exp_vertices = exp_to_bfm.size();
  MatArray front_idx = MatReader((index / "BFM_front_idx.mat").string()).read("idx");
  front_idx.expect_vector(-1);
  const std::vector<int32_t> index_exp =
      front_idx.to_indices(1, static_cast<int64_t>(exp_vertices));
  std::vector<int32_t> index_shape(index_exp.size());
  for (size_t v = 0; v < index_exp.size(); ++v) index_shape[v] = exp_to_bfm[index_exp[v]];

  const ExpPca exp = read_exp_pca((raw / "Exp_Pca.bin").string(), exp_vertices);
  // The original reads std_exp.txt beside Exp_Pca.bin (BFM/); it is public, so we look in
  // the index folder first.
  fs::path std_path = index / "std_exp.txt";
  if (!fs::exists(std_path)) std_path = raw / "std_exp.txt";
  const std::vector<double> exp_std = read_numbers(std_path.string());
  if (exp_std.size() != static_cast<size_t>(exp.dims) || exp.dims < FaceModel::kExpDims) {
    P3D_THROW(std_path.string(), ": ", exp_std.size(), " standard deviations for ", exp.dims,
              " expression bases (need equal counts, at least ", FaceModel::kExpDims, ")");
  }

  FaceModel m;
  m.vertex_count = static_cast<int>(index_exp.size());
  m.id_base =
      select_basis(shape.pc, shape.ev, index_shape, FaceModel::kIdDims, kMicrometresPerUnit);
  m.tex_base = select_basis(tex.pc, tex.ev, index_shape, FaceModel::kTexDims, 1.0);
  m.mean_shape = select_mean(shape.mean, index_shape, kMicrometresPerUnit);
  m.mean_tex = select_mean(tex.mean, index_shape, 1.0);

  // exBase: float32 pc (stored [dims x 3n]) times float64 std, in double.
  m.exp_base.resize(3 * index_exp.size() * FaceModel::kExpDims);
  for (size_t v = 0; v < index_exp.size(); ++v) {
    for (size_t c = 0; c < 3; ++c) {
      const size_t src_row = 3 * static_cast<size_t>(index_exp[v]) + c;
      float* dst = &m.exp_base[(3 * v + c) * FaceModel::kExpDims];
      for (int k = 0; k < FaceModel::kExpDims; ++k) {
        const double pc = exp.pc[static_cast<size_t>(k) * exp.rows + src_row];
        dst[k] = scaled_product(pc, exp_std[k], /*single=*/false, kMicrometresPerUnit);
      }
    }
  }

  read_face_topology(MatReader((index / "facemodel_info.mat").string()), m,
                     /*extras_required=*/true);
  // Auxiliaries are separate files; validate what the conversion produced.
  validate_face_model(m, raw_folder);
  return m;
}

}  // namespace p3d
