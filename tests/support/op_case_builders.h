// What the op case table's files share (internal to tests/support): the tolerances, the
// input fills, the naming helpers and one builder per Backend kernel method, each turning a
// small spec into an OpCase (params, inputs, launch, reference, tolerance).
//
// The builders live in op_case_builders_*.cpp, grouped by op family; the tables that list
// the specs in op_case_table_*.cpp; the guarded runner in op_case_runner.cpp. To add cases
// for an existing op, add a line to its table; for a new op, add a builder here and a table.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "tests/support/op_cases.h"
#include "tests/support/raster_scenes.h"

namespace p3d::test::cases {

// ---- tolerances ------------------------------------------------------------------------
// FP32 accumulation over K terms gives NMSE around eps^2 * K (~1e-12 for K in the
// thousands); TF32 or FP16 math would land near 1e-7, so 1e-9 separates the two cleanly.
inline const Tolerance kDense = Tolerance::nmse(1e-9);
// float transcendental functions are within a few ulp of the double result.
inline const Tolerance kTranscendental = Tolerance::close(1e-6, 4e-6);
inline const Tolerance kTranscendentalBackends = Tolerance::close(1e-6, 1e-5);
// Short float sums or lerps of O(1) values.
inline const Tolerance kShortSum = Tolerance::close(1e-6, 1e-5);
inline const Tolerance kExact = Tolerance::exact();

// ---- fills (op_case_fills.cpp) ---------------------------------------------------------
// An integer in [lo, hi] from the generator, the same on every standard library.
int64_t integer(std::mt19937& rng, int64_t lo, int64_t hi);
// Uniform in [lo, hi): real for f32/f16, integer in [ceil(lo), floor(hi)] for i32/u8.
FillFn uniform(double lo, double hi);
// Magnitude in [lo, hi) with a random sign (denominators, values away from zero).
FillFn nonzero(double lo, double hi);
// sign * 2^e with e uniform in [lo_exp, hi_exp): spans many binades (f16 rounding, subnormals).
FillFn log_uniform(double lo_exp, double hi_exp);
// The given values in order, then repeated (hand-picked special cases).
FillFn values(std::vector<double> list);
// Every 16-bit pattern in order (exhaustive f16 checks).
FillFn all_half_bits();
// Exactly these elements (a scene, a table of per-item params as bytes): the tensor must
// hold list.size() * sizeof(T) bytes.
template <typename T>
FillFn contents(std::vector<T> list) {
  const auto shared = std::make_shared<const std::vector<T>>(std::move(list));
  return [shared](std::mt19937&, Tensor& t) {
    P3D_CHECK(t.bytes() == shared->size() * sizeof(T), "contents: ", shared->size() * sizeof(T),
              " bytes for a tensor of ", t.bytes());
    if (t.bytes()) std::memcpy(t.raw(), shared->data(), t.bytes());
  };
}
// The bytes of a trivially copyable struct array (per-item kernel params), as uint8.
template <typename T>
std::vector<uint8_t> as_bytes(const std::vector<T>& items) {
  std::vector<uint8_t> bytes(items.size() * sizeof(T));
  if (!bytes.empty()) std::memcpy(bytes.data(), items.data(), bytes.size());
  return bytes;
}

// ---- naming and shared builder pieces (op_case_fills.cpp) ------------------------------
std::string dims(const Shape& s);  // "2x5x7"
std::string dims(const std::vector<int64_t>& v);
std::string hw(int a, int b);  // "3" when square, else "3x5"
const char* unary_name(Unary op);
std::string activation_name(Unary act, float alpha);  // the slope too for LeakyRelu
const char* binary_name(Binary op);

const float* f32(const void* p);
float* f32(void* p);
// Bytes every input and the output occupy (the bandwidth a run needs at least).
double byte_count(const OpCase& c);
InputSpec input(std::string label, Shape shape, FillFn fill, DType dtype = DType::F32);
// The output extent of a window of k taps (dilation d, stride s) over padded `in`.
int32_t out_size(int32_t in, int32_t k, int32_t s, int32_t d, int32_t before, int32_t after);

// ---- dense ops (op_case_builders_dense.cpp) --------------------------------------------
// A conv2d / conv_transpose2d case, built fluently: conv(1, 9, 9, 4, 8, 3).stride(2).pad(1).
struct ConvSpec {
  int n, h, w, c, oc;
  int kh, kw;
  int sh = 1, sw = 1, dh = 1, dw = 1;
  int pt = 0, pl = 0, pb = 0, pr = 0;
  int groups = 1;
  bool bias = false, residual = false;
  Unary act = Unary::Identity;
  float alpha = 0.2f;
  bool large = false;
  PadMode fill = PadMode::Constant;  // conv2d's padding: zeros or mirrored (MirrorPad)

  ConvSpec& kernel(int y, int x) {
    kh = y;
    kw = x;
    return *this;
  }
  ConvSpec& stride(int s) { return stride(s, s); }
  ConvSpec& stride(int y, int x) {
    sh = y;
    sw = x;
    return *this;
  }
  ConvSpec& dilation(int d) {
    dh = dw = d;
    return *this;
  }
  ConvSpec& pad(int all) { return pad(all, all, all, all); }
  ConvSpec& pad(int t, int l, int b, int r) {
    pt = t;
    pl = l;
    pb = b;
    pr = r;
    return *this;
  }
  // TensorFlow SAME for conv2d: out = ceil(in / stride), the odd pixel of padding at the end.
  ConvSpec& same() {
    auto total = [](int in, int k, int s, int d) {
      const int out = (in + s - 1) / s;
      return std::max((out - 1) * s + (k - 1) * d + 1 - in, 0);
    };
    const int th = total(h, kh, sh, dh), tw = total(w, kw, sw, dw);
    return pad(th / 2, tw / 2, th - th / 2, tw - tw / 2);
  }
  ConvSpec& mirrored(PadMode mode) {
    fill = mode;
    return *this;
  }
  ConvSpec& group(int g) {
    groups = g;
    return *this;
  }
  ConvSpec& with_bias() {
    bias = true;
    return *this;
  }
  ConvSpec& with_residual() {
    residual = true;
    return *this;
  }
  ConvSpec& activation(Unary a, float slope = 0.2f) {
    act = a;
    alpha = slope;
    return *this;
  }
  ConvSpec& big() {
    large = true;
    return *this;
  }
};
// n images of h x w x c into oc channels through a k x k kernel; the setters add the rest.
inline ConvSpec conv(int n, int h, int w, int c, int oc, int k) {
  ConvSpec s{};
  s.n = n;
  s.h = h;
  s.w = w;
  s.c = c;
  s.oc = oc;
  s.kh = s.kw = k;
  return s;
}
OpCase conv2d_case(const ConvSpec& s);
// The kernel params of the spec'd conv2d (output size from the input, kernel, stride,
// dilation and padding): for tests that call a conv kernel or its checks directly.
Conv2dParams conv2d_params(const ConvSpec& s);
// Spec'd by the (large) output: h, w, oc; c is the input channels; the input size is what
// the forward conv with this kernel, stride and padding makes of the output.
OpCase conv_transpose2d_case(const ConvSpec& s);
OpCase matmul_case(int batch, int m, int n, int k, bool ta, bool tb, bool bias,
                   Unary act = Unary::Identity, bool large = false);

struct PoolSpec {
  PoolKind kind;
  int n, h, w, c;
  int kh, kw, sh, sw;
  int pt, pl, oh, ow;
};
// VALID: no padding, out = (in - k) / s + 1.
PoolSpec pool_valid(PoolKind kind, int n, int h, int w, int c, int k, int s);
// SAME: out = ceil(in / s), padding split with the odd pixel at the end.
PoolSpec pool_same(PoolKind kind, int n, int h, int w, int c, int kh, int kw, int sh, int sw);
OpCase pool2d_case(const PoolSpec& s, FillFn fill = uniform(-1, 1), const std::string& tag = "");
OpCase reduce_case(ReduceKind kind, int64_t outer, int64_t reduced, int64_t inner,
                   FillFn fill = uniform(-1, 1), const std::string& tag = "");

// ---- elementwise ops (op_case_builders_elementwise.cpp) --------------------------------
OpCase batch_norm_case(const Shape& shape, float epsilon);
OpCase unary_case(Unary op, int64_t count, float alpha = 0.2f);
// The caller resolves broadcasting into strides (BinaryParams); the reference gets only
// the two shapes, so a stride bug in this builder would show too.
OpCase binary_case(Binary op, const Shape& a, const Shape& b);
// `fill` empty: inputs that the pair converts exactly as documented.
OpCase cast_case(DType from, DType to, int64_t count, FillFn fill = nullptr,
                 const std::string& tag = "", bool nonfinite = false);

// ---- layout ops (op_case_builders_layout.cpp) ------------------------------------------
// One case is the whole concat: one concat_copy per input into the same output.
OpCase concat_case(const std::vector<Shape>& parts, int axis, DType dtype = DType::F32);
OpCase pad_case(const Shape& in, const std::vector<int64_t>& before,
                const std::vector<int64_t>& after, PadMode mode, float value = 0.f);
OpCase transpose_case(const Shape& in, const std::vector<int>& perm, DType dtype = DType::F32);
// out[d] elements from begin[d] with step[d]; the builder checks every index is in range.
OpCase slice_case(const Shape& in, const std::vector<int64_t>& begin,
                  const std::vector<int64_t>& step, const std::vector<int64_t>& out,
                  DType dtype = DType::F32);
OpCase resize_case(ResizeMode mode, int n, int h, int w, int ch, int oh, int ow, bool align_corners,
                   bool half_pixel);

// ---- pipeline kernels, which are no Backend methods (kernel_launch.h runs them) ----------
// Their twins run the same P3D_HD math; the CPU side is checked against independent
// references in each kernel's own tests, so these cases hold no naive reference.
// op_case_builders_raster.cpp: one case per output of one rasterize_triangles call.
enum class RasterOutput { TriangleId, Barycentric, Attributes, Mask, Depth };
OpCase rasterize_case(const Scene& s, const std::string& scene_name, RasterOutput output);
// op_case_builders_face3dmm.cpp: the 3DMM passes (kernels/cpu/face3dmm.h) on random faces.
enum class FaceVertexOutput { Canonical, Posed, Projection };
OpCase face_basis_product_case(int32_t batch, int64_t rows, int32_t k, int32_t coeff_stride);
OpCase face_vertices_case(int32_t batch, int32_t vertex_count, int32_t coeff_stride,
                          FaceVertexOutput output);
OpCase face_project_points_case(int32_t batch, int32_t vertex_count);
OpCase face_triangle_normals_case(int32_t batch, int32_t vertex_count);
OpCase face_vertex_colors_case(int32_t batch, int32_t vertex_count, int32_t coeff_stride);
// op_case_builders_resample.cpp: the head crops (3 photos of different sizes, cubic on
// RGB, nearest on the label masks) and the alignment (both resamplers, up and down).
OpCase crop_resample_case(bool cubic);
OpCase align_faces_case();

// ---- the tables (op_case_table_*.cpp), each appending its cases ------------------------
void add_conv2d_cases(std::vector<OpCase>& t);
void add_conv_transpose2d_cases(std::vector<OpCase>& t);
void add_matmul_cases(std::vector<OpCase>& t);
void add_pool2d_cases(std::vector<OpCase>& t);
void add_reduce_cases(std::vector<OpCase>& t);
void add_elementwise_cases(std::vector<OpCase>& t);
void add_layout_cases(std::vector<OpCase>& t);
// In-place and misaligned variants of the cases above (op_case_table_aliasing.cpp).
void add_aliasing_and_alignment_cases(std::vector<OpCase>& t);
// The pipeline kernels' cases (op_case_table_kernels.cpp).
void add_pipeline_kernel_cases(std::vector<OpCase>& t);

}  // namespace p3d::test::cases
