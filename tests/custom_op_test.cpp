// The custom-op escape hatch (CustomAttrs, Graph::custom): a user's kernel and output-shape
// function run inside a graph like any op (shape inference, dumps, the executor's plan and
// arena, constant folding); a missing kernel or a failing shape function is named; the CUDA
// backend refuses an op without a CUDA kernel by name.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "engine/backend.h"
#include "engine/executor.h"
#include "engine/graph.h"
#include "kernels/error.h"
#include "tests/support/require_cuda.h"

namespace p3d {
namespace {

Backend& cpu() {
  static const std::unique_ptr<Backend> backend = make_cpu_backend(1);
  return *backend;
}

// y[i, j] = x[i, j] * scale[j] + i: two inputs, an output of x's shape.
Shape scale_rows_shape(const std::vector<Shape>& in) {
  P3D_CHECK(in.size() == 2 && in[0].rank() == 2 && in[1] == Shape{in[0][1]},
            "scale_rows wants x [n, c] and scale [c]");
  return in[0];
}

void scale_rows_cpu(const CustomCall& call) {
  const float* x = static_cast<const float*>(call.inputs[0]);
  const float* s = static_cast<const float*>(call.inputs[1]);
  float* y = static_cast<float*>(call.output);
  const int64_t n = (*call.output_shape)[0], c = (*call.output_shape)[1];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j) y[i * c + j] = x[i * c + j] * s[j] + float(i);
}

CustomAttrs scale_rows() {
  return CustomAttrs{}.named("scale_rows").shape_fn(scale_rows_shape).on_cpu(scale_rows_cpu);
}

Shape same_as_first(const std::vector<Shape>& in) { return in[0]; }
void does_nothing(const CustomCall&) {}

Tensor filled(const Shape& shape, float first) {
  Tensor t = Tensor::empty(shape, DType::F32);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = first + float(i);
  return t;
}

TEST(CustomOp, RunsInsideAGraph) {
  Graph g;
  const Value x = g.input("x", {3, 2});
  const Value scale = g.constant(filled({2}, 2.f), "scale");  // [2, 3]
  const Value y = g.custom({g.relu(x), scale}, scale_rows());
  g.output(g.add(y, g.scalar(1.f)), "y");
  EXPECT_EQ(g.shape(y), (Shape{3, 2}));
  EXPECT_NE(g.dump().find("scale_rows = Custom(relu, scale) op=scale_rows cpu -> f32[3,2]"),
            std::string::npos)
      << g.dump();

  Executor executor(g, cpu());
  const Tensor out = executor.run({{"x", filled({3, 2}, -1.f)}}).at("y");  // x = -1 0 1 2 3 4
  const float expected[6] = {0 * 2 + 0 + 1, 0 * 3 + 0 + 1, 1 * 2 + 1 + 1,
                             2 * 3 + 1 + 1, 3 * 2 + 2 + 1, 4 * 3 + 2 + 1};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(out.data<float>()[i], expected[i]) << i;
  // A new input shape re-runs the user's shape function and plans again.
  EXPECT_EQ(executor.run({{"x", filled({5, 2}, 0.f)}}).at("y").shape(), (Shape{5, 2}));
}

TEST(CustomOp, FoldsWhenEveryInputIsConstant) {
  Graph g;
  const Value y = g.custom({g.constant(filled({1, 2}, 1.f)), g.constant(filled({2}, 10.f))},
                           scale_rows(), "folded");
  g.output(y, "y");
  Executor executor(g, cpu());
  EXPECT_EQ(executor.graph().count(OpKind::Custom), 0);  // became a Constant
  const Tensor out = executor.run({}).at("y");
  EXPECT_EQ(out.data<float>()[0], 10.f);
  EXPECT_EQ(out.data<float>()[1], 22.f);
}

TEST(CustomOp, ClearErrors) {
  Graph g;
  const Value x = g.input("x", {3, 2});
  try {
    g.custom({x}, scale_rows(), "one_input");
    ADD_FAILURE() << "expected p3d::Error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("node 'one_input' (Custom 'scale_rows')"), std::string::npos) << m;
    EXPECT_NE(m.find("its output-shape function failed: "), std::string::npos) << m;
    EXPECT_NE(m.find("scale_rows wants x [n, c]"), std::string::npos) << m;
  }
  try {
    g.custom({x}, CustomAttrs{}.named("no_kernel").shape_fn(same_as_first));
    ADD_FAILURE() << "expected p3d::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no CPU kernel"), std::string::npos) << e.what();
  }
  try {
    g.custom({x}, CustomAttrs{}.named("no_shape").on_cpu(does_nothing));
    ADD_FAILURE() << "expected p3d::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no output-shape function"), std::string::npos)
        << e.what();
  }
}

TEST(CustomOp, CudaBackendNamesAMissingCudaKernel) {
  P3D_SKIP_WITHOUT_CUDA();
  std::unique_ptr<Backend> gpu = make_cuda_backend();
  Graph g;
  const Value x = g.input("x", {3, 2});
  g.output(g.custom({x, g.constant(filled({2}, 1.f))}, scale_rows(), "mine"), "y");
  Executor executor(g, *gpu);
  try {
    executor.run({{"x", filled({3, 2}, 0.f)}});
    ADD_FAILURE() << "expected p3d::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("custom op 'scale_rows' has no CUDA implementation"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace p3d
