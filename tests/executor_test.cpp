// The executor end to end on the CPU backend:
//  - a narrow ResNet-50 (width 1/8, 64x64, batch 2) after passes matches the graph run as
//    built, and the full-width graph optimises to 53 convolutions and no BatchNorm;
//  - the lowering of each op family against naive loops (broadcasting, reductions over
//    non-contiguous axes, concat, slices with negative steps, views, casts, batched matmul,
//    and the conv / transposed-conv adjoint identity for padding);
//  - memory: views add no arena bytes, the steady state allocates nothing, new input shapes
//    get one new plan;
//  - clear errors for bad inputs; device outputs; profiling and the layer listing.
#include "engine/executor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>

#include "engine/backend.h"
#include "engine/pass.h"
#include "engine/resnet50.h"
#include "kernels/cpu/gemm.h"
#include "kernels/error.h"
#include "tests/support/expect_error.h"
#include "tests/support/forwarding_backend.h"
#include "tests/support/test_tensors.h"

namespace p3d {
namespace {

Backend& cpu() { return test::cpu_backend_with(2); }
using test::random_tensor;

ExecutorOptions unoptimized() {
  ExecutorOptions o;
  o.optimize = false;
  return o;
}

using test::relative_error;  // infinite when the shapes differ

using test::expect_error;

Graph narrow_resnet(int batch, int size) {
  Graph g;
  Value x = g.input("img", {batch, size, size, 3});
  g.output(build_resnet50(g, x, Resnet50Options{}.width(0.125f).outputs(10).random_seed(3)),
           "logits");
  return g;
}

// ---- ResNet-50 ---------------------------------------------------------------------------

TEST(Executor, NarrowResnet50MatchesUnoptimisedGraph) {
  const Graph g = narrow_resnet(2, 64);
  Executor optimized(g, cpu());
  Executor reference(g, cpu(), unoptimized());
  EXPECT_EQ(optimized.graph().count(OpKind::Conv2d), 53);
  EXPECT_EQ(optimized.graph().count(OpKind::BatchNorm), 0);
  EXPECT_EQ(optimized.graph().count(OpKind::Pad), 0);
  EXPECT_EQ(optimized.graph().count(OpKind::Binary), 0);  // residual adds fused
  EXPECT_EQ(reference.graph().count(OpKind::BatchNorm), 53);

  const TensorMap inputs{{"img", random_tensor({2, 64, 64, 3}, 11)}};
  const Tensor got = optimized.run(inputs).at("logits");
  const Tensor want = reference.run(inputs).at("logits");
  EXPECT_EQ(got.shape(), (Shape{2, 10}));
  double magnitude = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    ASSERT_TRUE(std::isfinite(want.data<float>()[i]));
    magnitude = std::max(magnitude, std::fabs(double(want.data<float>()[i])));
  }
  EXPECT_GT(magnitude, 1e-3);  // not a degenerate all-zero network
  EXPECT_LT(relative_error(got, want), 1e-4);
  std::printf("narrow ResNet-50: arena %.2f MiB optimised vs %.2f MiB as built; max |logit| %.3f\n",
              optimized.arena_bytes() / 1048576.0, reference.arena_bytes() / 1048576.0, magnitude);
}

TEST(Executor, FullResnet50OptimisesTo53Convolutions) {
  Graph g;
  Value x = g.input("input_imgs", {1, 224, 224, 3});
  g.output(build_resnet50(g, x, Resnet50Options{}.outputs(257)), "coeff");
  EXPECT_EQ(g.count(OpKind::Conv2d), 53);
  EXPECT_EQ(g.count(OpKind::BatchNorm), 53);
  default_pipeline().run(g);
  EXPECT_EQ(g.count(OpKind::Conv2d), 53);
  EXPECT_EQ(g.count(OpKind::BatchNorm), 0);
  EXPECT_EQ(g.count(OpKind::Unary), 0);
  EXPECT_EQ(g.shape(Value{g.outputs()[0].node}), (Shape{1, 257}));
  // slim's v1 strides in the last unit of a block, so it does ~3.5 G multiply-adds at
  // 224x224 where torchvision's layout (stride in the next block's first unit) does 4.1 G.
  const double gflop = static_cast<double>(graph_flops(g)) / 1e9;
  EXPECT_GT(gflop, 6.8);
  EXPECT_LT(gflop, 7.2);
  std::printf("ResNet-50 224x224: %.3f GFLOP, %d nodes after passes\n", gflop, g.node_count());
}

TEST(Executor, NewBatchSizeReplansAndAgrees) {
  Executor ex(narrow_resnet(2, 64), cpu());
  const Tensor two = random_tensor({2, 64, 64, 3}, 5);
  const Tensor batch2 = ex.run({{"img", two}}).at("logits");
  // The first image alone, then a bigger batch with another size.
  const Tensor one = Tensor::from_data({1, 64, 64, 3}, two.data<float>(), 64 * 64 * 3);
  const Tensor batch1 = ex.run({{"img", one}}).at("logits");
  EXPECT_EQ(ex.plan_count(), 2);
  ASSERT_EQ(batch1.shape(), (Shape{1, 10}));
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(batch1.data<float>()[i], batch2.data<float>()[i], 1e-4);
  EXPECT_EQ(ex.run({{"img", random_tensor({3, 96, 80, 3}, 6)}}).at("logits").shape(),
            (Shape{3, 10}));
  EXPECT_EQ(ex.plan_count(), 3);
}

// A 3x3 conv compiled for an 8 x 8 image (too small for the CPU's Winograd path) and run at
// 32 x 32 (large enough), the other way round, and a 7 x 7 image compiled at batch 1 (im2col)
// and run at batch 8 (Winograd's size) and back: the filter was packed once, at compile
// time, so the run must take the path it was packed for, whatever the new shape favours.
TEST(Executor, NewShapeKeepsTheConvPathItsFilterWasPackedFor) {
  auto one_conv = [](int batch, int size) {
    Graph g;
    Value x = g.input("img", {batch, size, size, 16});
    Value w = g.constant(random_tensor({3, 3, 16, 24}, 11), "w");
    g.output(g.conv2d(x, w, {}, Conv2dAttrs{}.padding(Padding::Same)), "y");
    return g;
  };
  struct Shape2 {
    int batch, size;
  };
  const std::pair<Shape2, Shape2> cases[] = {
      {{1, 8}, {1, 32}}, {{1, 32}, {1, 8}}, {{1, 7}, {8, 7}}, {{8, 7}, {1, 7}}};
  for (const auto& [compiled, run] : cases) {
    SCOPED_TRACE(testing::Message() << "compiled at " << compiled.batch << "x" << compiled.size
                                    << ", run at " << run.batch << "x" << run.size);
    Executor reused(one_conv(compiled.batch, compiled.size), cpu());
    Executor fresh(one_conv(run.batch, run.size), cpu());
    const Tensor x = random_tensor({run.batch, run.size, run.size, 16}, 12);
    const Tensor y = reused.run({{"img", x}}).at("y");
    EXPECT_LT(relative_error(y, fresh.run({{"img", x}}).at("y")), 1e-5);
  }
}

// The params of a stride-1 conv with `pad` zeros on every side.
Conv2dParams square_conv(int batch, int size, int in_c, int out_c, int kernel, int pad) {
  Conv2dParams p{};
  p.batch = batch;
  p.in_h = p.in_w = size;
  p.out_h = p.out_w = size + 2 * pad - kernel + 1;
  p.in_c = in_c;
  p.out_c = out_c;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = p.dilation_h = p.dilation_w = 1;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
  p.groups = 1;
  return p;
}

// A packed filter says what it was packed for: handing it to another conv is an error that
// names both, not a read of the wrong floats.
TEST(Executor, PackedFilterOfAnotherConvIsRefused) {
  Backend& b = cpu();
  const Conv2dParams packed_for = square_conv(1, 8, 16, 24, 1, 0);
  const Tensor filter = b.pack_conv_filter(packed_for, random_tensor({1, 1, 16, 24}, 13));
  Conv2dParams other = packed_for;
  other.out_c = 16;
  std::vector<float> x(8 * 8 * 16, 1.f), y(8 * 8 * 24);
  std::vector<char> ws(b.conv2d_workspace(other) + 64);
  expect_error(
      [&] {
        b.conv2d(other, x.data(), filter.data<float>(), nullptr, nullptr, y.data(), ws.data());
      },
      {"packed for a 1x1 conv 16 -> 24", "this one is 1x1 16 -> 16"});
}

// The CPU's conv path is observable (the profile's kernel column) and is the intended one
// for the networks' shapes: a regression in the choice would cost speed silently.
TEST(Executor, CpuConvPathsForTheNetworksShapes) {
  Backend& b = cpu();
  auto path = [&](const Conv2dParams& p) {
    const std::string plan = b.conv2d_plan(p);
    return plan.substr(0, plan.rfind(", "));
  };
  EXPECT_EQ(path(square_conv(1, 256, 32, 32, 3, 1)), "winograd F(4x4,3x3)");   // depth net
  EXPECT_EQ(path(square_conv(1, 56, 64, 64, 3, 1)), "winograd F(4x4,3x3)");    // R-Net block1
  EXPECT_EQ(path(square_conv(1, 28, 128, 128, 3, 1)), "winograd F(4x4,3x3)");  // block2
  EXPECT_EQ(path(square_conv(1, 14, 256, 256, 3, 1)), "winograd F(2x2,3x3)");  // block3 ...
  EXPECT_EQ(path(square_conv(8, 14, 256, 256, 3, 1)), "winograd F(4x4,3x3)");  // ... at 8
  EXPECT_EQ(path(square_conv(1, 7, 512, 512, 3, 1)), "winograd F(2x2,3x3)");   // block4 at 1
  EXPECT_EQ(path(square_conv(1, 7, 32, 32, 3, 1)), "gemm im2col");             // 16 tiles, no split
  EXPECT_EQ(path(square_conv(8, 7, 512, 512, 3, 1)), "winograd F(2x2,3x3)");   // ... at 8
  EXPECT_EQ(path(square_conv(1, 14, 1024, 256, 1, 0)), "gemm pointwise");
  EXPECT_EQ(path(square_conv(1, 256, 32, 1, 3, 1)), "narrow");  // the depth net's head
  Conv2dParams depthwise = square_conv(1, 32, 16, 16, 3, 1);
  depthwise.groups = 16;
  EXPECT_EQ(path(depthwise), "direct");
  Conv2dParams stem = square_conv(1, 224, 3, 64, 7, 3);  // the R-Net's 7x7 / 2 over RGB
  stem.stride_h = stem.stride_w = 2;
  stem.out_h = stem.out_w = 112;
  EXPECT_EQ(path(stem), "gemm column gather");
  EXPECT_EQ(path(square_conv(1, 256, 5, 32, 3, 1)), "gemm column gather");  // depth net input
  EXPECT_NE(b.conv2d_plan(square_conv(1, 8, 8, 8, 1, 0)).find(cpu::gemm_isa()), std::string::npos);
}

// ---- replay --------------------------------------------------------------------------------

// Records by keeping the launches and replays by calling them again: the CPU stand-in for
// a CUDA graph, to check how the executor uses Backend::record.
class ReplayingBackend final : public test::ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  int records = 0, replays = 0;
  bool decline = false;
  std::unique_ptr<LaunchRecording> record(const std::function<void()>& launches) override {
    ++records;
    if (decline) return nullptr;
    struct Kept final : LaunchRecording {
      Kept(std::function<void()> f, int* count) : launches(std::move(f)), replays(count) {}
      void replay() override {
        ++*replays;
        launches();
      }
      std::function<void()> launches;
      int* replays;
    };
    return std::make_unique<Kept>(launches, &replays);
  }
};

// The same network run step by step, as the replays' reference.
std::unique_ptr<Executor> step_by_step_resnet() {
  ExecutorOptions steps_only;
  steps_only.replay = false;
  return std::make_unique<Executor>(narrow_resnet(1, 64), cpu(), steps_only);
}

TEST(ExecutorReplay, RecordsOnAPlansSecondRunThenReplaysIt) {
  ReplayingBackend replaying(cpu());
  Executor ex(narrow_resnet(1, 64), replaying);
  const std::unique_ptr<Executor> reference = step_by_step_resnet();
  for (int run = 0; run < 4; ++run) {
    const Tensor x = random_tensor({1, 64, 64, 3}, 20 + run);
    const Tensor y = ex.run({{"img", x}}).at("logits");
    EXPECT_LT(relative_error(y, reference->run({{"img", x}}).at("logits")), 1e-6) << "run " << run;
  }
  EXPECT_EQ(replaying.records, 1) << "recorded once, on the second run";
  EXPECT_EQ(replaying.replays, 3);
  EXPECT_EQ(ex.replay_count(), 3);
  // A new shape is a new plan: run once, then recorded again.
  ex.run({{"img", random_tensor({2, 64, 64, 3}, 30)}});
  ex.run({{"img", random_tensor({2, 64, 64, 3}, 31)}});
  EXPECT_EQ(replaying.records, 2);
  // Profiled runs time every step: never replayed.
  ex.set_profiling(true);
  ex.run({{"img", random_tensor({1, 64, 64, 3}, 32)}});
  EXPECT_EQ(replaying.replays, 4);
  EXPECT_FALSE(ex.timings().empty());
}

TEST(ExecutorReplay, ABackendThatDeclinesIsAskedOnceAndTheStepsRun) {
  ReplayingBackend declining(cpu());
  declining.decline = true;
  Executor ex(narrow_resnet(1, 64), declining);
  const std::unique_ptr<Executor> reference = step_by_step_resnet();
  for (int run = 0; run < 3; ++run) {
    const Tensor x = random_tensor({1, 64, 64, 3}, 40 + run);
    EXPECT_LT(relative_error(ex.run({{"img", x}}).at("logits"),
                             reference->run({{"img", x}}).at("logits")),
              1e-6);
  }
  EXPECT_EQ(declining.records, 1);
  EXPECT_EQ(ex.replay_count(), 0);
}

// ---- memory ------------------------------------------------------------------------------

// Forwards to the CPU backend, counting allocations.
class CountingBackend final : public test::ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  int allocations = 0;
  std::string name() const override { return "counting " + ForwardingBackend::name(); }
  void* allocate(size_t bytes) override {
    ++allocations;
    return ForwardingBackend::allocate(bytes);
  }
  Tensor pack_conv_filter(const Conv2dParams& p, const Tensor& f) override {
    ++allocations;  // packed filters live in backend memory too
    return ForwardingBackend::pack_conv_filter(p, f);
  }
  Tensor pack_conv_transpose_filter(const ConvTranspose2dParams& p, const Tensor& f) override {
    ++allocations;
    return ForwardingBackend::pack_conv_transpose_filter(p, f);
  }
};

TEST(Executor, SteadyStateAllocatesNothing) {
  CountingBackend counting(cpu());
  Executor ex(narrow_resnet(1, 64), counting);
  const int after_compile = counting.allocations;
  EXPECT_GT(after_compile, 53);  // weights once + one arena
  const TensorMap a{{"img", random_tensor({1, 64, 64, 3}, 1)}};
  for (int i = 0; i < 3; ++i) ex.run(a);
  EXPECT_EQ(counting.allocations, after_compile)
      << "runs with the declared shapes must not allocate";
  // A new shape set: exactly one new arena, then nothing again.
  const TensorMap b{{"img", random_tensor({2, 64, 64, 3}, 2)}};
  ex.run(b);
  EXPECT_EQ(counting.allocations, after_compile + 1);
  for (int i = 0; i < 2; ++i) {
    ex.run(a);
    ex.run(b);
  }
  EXPECT_EQ(counting.allocations, after_compile + 1);
}

TEST(Executor, ViewsShareTheirSourceBytes) {
  auto build = [](bool with_views) {
    Graph g;
    Value x = g.input("x", {4, 256});
    Value y = g.relu(x);
    if (with_views) y = g.squeeze(g.expand_dims(g.reshape(y, {16, 64}), 0), {0});
    g.output(g.sigmoid(y), "y");
    return g;
  };
  Executor plain(build(false), cpu(), unoptimized());
  Executor views(build(true), cpu(), unoptimized());
  EXPECT_EQ(views.graph().count(OpKind::Reshape), 1);
  EXPECT_EQ(views.arena_bytes(), plain.arena_bytes());
  const Tensor x = random_tensor({4, 256}, 3);
  const Tensor a = plain.run({{"x", x}}).at("y"), b = views.run({{"x", x}}).at("y");
  EXPECT_EQ(b.shape(), (Shape{16, 64}));
  EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.bytes()), 0);
}

// A bottleneck's tail: y = relu(conv(relu(conv(x))) + shortcut(x)), the shortcut fused into
// the last conv as its residual. When nothing reads the shortcut afterwards, the conv
// writes its output over it; when something does (the shortcut is also a graph output, or
// is added again), it must not. All three agree with the graph run as built.
enum class ShortcutUse { ReadLastByTheConv, AlsoAnOutput, AddedAgain };

Graph shortcut_block(ShortcutUse use) {
  Graph g;
  Value x = g.input("x", {2, 24, 24, 16});
  auto conv = [&](Value in, int in_c, int out_c, uint64_t seed) {
    return g.conv2d(in, g.constant(random_tensor({1, 1, in_c, out_c}, seed)),
                    g.constant(random_tensor({out_c}, seed + 1)), Conv2dAttrs{});
  };
  Value shortcut = conv(x, 16, 32, 1);
  Value y = g.relu(g.add(conv(g.relu(conv(x, 16, 8, 3)), 8, 32, 5), shortcut));
  if (use == ShortcutUse::AddedAgain) y = g.add(y, shortcut);
  g.output(y, "y");
  if (use == ShortcutUse::AlsoAnOutput) g.output(shortcut, "shortcut");
  return g;
}

TEST(Executor, AConvWritesOverAResidualNothingReadsLater) {
  const Tensor x = random_tensor({2, 24, 24, 16}, 7);
  std::map<ShortcutUse, size_t> arena;
  for (ShortcutUse use :
       {ShortcutUse::ReadLastByTheConv, ShortcutUse::AlsoAnOutput, ShortcutUse::AddedAgain}) {
    SCOPED_TRACE(static_cast<int>(use));
    Executor optimized(shortcut_block(use), cpu());
    Executor reference(shortcut_block(use), cpu(), unoptimized());
    EXPECT_EQ(optimized.graph().count(OpKind::Binary), use == ShortcutUse::AddedAgain ? 1 : 0);
    const TensorMap want = reference.run({{"x", x}});
    for (int run = 0; run < 2; ++run) {
      const TensorMap got = optimized.run({{"x", x}});
      for (const auto& [name, tensor] : want)
        EXPECT_LT(relative_error(got.at(name), tensor), 1e-5) << name << ", run " << run;
    }
    arena[use] = optimized.arena_bytes();
  }
  // The same steps and buffers; only the shortcut's lifetime differs, and only past the last
  // conv, where nothing else is live: planned apart, the two arenas are the same size. Read
  // last by the conv, the shortcut's bytes hold the block's output too, and the arena is
  // smaller (by less than the shortcut: the peak moves to the steps before).
  EXPECT_LT(arena[ShortcutUse::ReadLastByTheConv], arena[ShortcutUse::AlsoAnOutput]);
}

// ---- lowering against naive loops ---------------------------------------------------------

// Row-major index helpers for the naive references.
int64_t flat(const std::vector<int64_t>& idx, const Shape& s) {
  int64_t f = 0;
  for (int d = 0; d < s.rank(); ++d) f = f * s[d] + idx[static_cast<size_t>(d)];
  return f;
}
std::vector<int64_t> unflat(int64_t f, const Shape& s) {
  std::vector<int64_t> idx(static_cast<size_t>(s.rank()));
  for (int d = s.rank() - 1; d >= 0; --d) {
    idx[static_cast<size_t>(d)] = f % s[d];
    f /= s[d];
  }
  return idx;
}

TEST(Lowering, BroadcastingBinary) {
  const Shape sa{2, 1, 4, 3}, sb{5, 1, 3};
  Graph g;
  g.output(g.sub(g.input("a", sa), g.input("b", sb)), "y");
  const Tensor a = random_tensor(sa, 1), b = random_tensor(sb, 2);
  const Tensor y = Executor(g, cpu(), unoptimized()).run({{"a", a}, {"b", b}}).at("y");
  const Shape so{2, 5, 4, 3};
  ASSERT_EQ(y.shape(), so);
  for (int64_t i = 0; i < so.numel(); ++i) {
    const std::vector<int64_t> o = unflat(i, so);
    const float va = a.data<float>()[flat({o[0], 0, o[2], o[3]}, sa)];
    const float vb = b.data<float>()[flat({o[1], 0, o[3]}, sb)];
    ASSERT_EQ(y.data<float>()[i], va - vb) << i;
  }
  // Scalar with scalar, and a [C] vector across a big tensor (merged dims).
  Graph h;
  Value x = h.input("x", {2, 3, 4, 5});
  h.output(h.mul(h.add(x, h.constant(random_tensor({5}, 3), "c")), h.scalar(2.f)), "z");
  const Tensor xv = random_tensor({2, 3, 4, 5}, 4);
  const Tensor z = Executor(h, cpu(), unoptimized()).run({{"x", xv}}).at("z");
  const Tensor c = h.constant_value(h.at("c").id);
  for (int64_t i = 0; i < 120; ++i)
    ASSERT_EQ(z.data<float>()[i], (xv.data<float>()[i] + c.data<float>()[i % 5]) * 2.f);
}

TEST(Lowering, ReduceOverAnyAxes) {
  const Shape s{3, 4, 5, 2};
  const Tensor x = random_tensor(s, 7);
  struct Case {
    ReduceKind kind;
    std::vector<int> axes;
  };
  const Case cases[] = {{ReduceKind::Sum, {0, 2}},  // not contiguous: transpose first
                        {ReduceKind::Max, {1, 3}},
                        {ReduceKind::Mean, {1, 2}},  // global mean
                        {ReduceKind::Mean, {0, 1, 2, 3}},
                        {ReduceKind::Sum, {-1}}};
  for (const Case& c : cases) {
    for (bool keep : {false, true}) {
      Graph g;
      Value y = g.reduce(g.input("x", s), ReduceAttrs{}.kind(c.kind).over(c.axes).keep_dims(keep));
      g.output(y, "y");
      const Tensor got = Executor(g, cpu(), unoptimized()).run({{"x", x}}).at("y");
      ASSERT_EQ(got.shape(), g.shape(y));
      // Naive: accumulate every input element into its kept-dims output slot.
      std::vector<char> reduced(4, 0);
      for (int a : c.axes) reduced[static_cast<size_t>(a < 0 ? a + 4 : a)] = 1;
      Shape kept_shape(
          {reduced[0] ? 1 : 3, reduced[1] ? 1 : 4, reduced[2] ? 1 : 5, reduced[3] ? 1 : 2});
      std::vector<double> acc(static_cast<size_t>(kept_shape.numel()),
                              c.kind == ReduceKind::Max ? -1e30 : 0.0);
      const double count = static_cast<double>(s.numel() / kept_shape.numel());
      for (int64_t i = 0; i < s.numel(); ++i) {
        std::vector<int64_t> idx = unflat(i, s);
        for (int d = 0; d < 4; ++d)
          if (reduced[static_cast<size_t>(d)]) idx[static_cast<size_t>(d)] = 0;
        double& slot = acc[static_cast<size_t>(flat(idx, kept_shape))];
        const double v = x.data<float>()[i];
        slot = c.kind == ReduceKind::Max ? std::max(slot, v) : slot + v;
      }
      for (size_t i = 0; i < acc.size(); ++i) {
        const double want = c.kind == ReduceKind::Mean ? acc[i] / count : acc[i];
        ASSERT_NEAR(got.data<float>()[i], want, 1e-5)
            << "axes size " << c.axes.size() << " element " << i;
      }
    }
  }
}

TEST(Lowering, ConcatSliceTransposePadCast) {
  Graph g;
  Value a = g.input("a", {2, 3, 4});
  Value b = g.input("b", {2, 1, 4});
  g.output(g.concat({a, b, a}, 1), "cat");
  g.output(g.slice(a, SliceAttrs{}
                          .dim(-1, SliceAttrs::kSliceEnd, -1)
                          .dim(SliceAttrs::kSliceStart, SliceAttrs::kSliceEnd, -2)
                          .dim(1, 4, 2)),
           "slice");
  g.output(g.transpose(a, {2, 0, 1}), "t");
  g.output(g.pad(a, PadAttrs{}.pads({0, 1, 2}, {1, 0, 1}).with_mode(PadMode::Reflect)), "reflect");
  Value u = g.input("u", {6}, DType::U8);
  g.output(g.cast(u, DType::F32), "cast");
  const Tensor av = random_tensor({2, 3, 4}, 1), bv = random_tensor({2, 1, 4}, 2);
  Tensor uv = Tensor::empty({6}, DType::U8);
  for (int i = 0; i < 6; ++i) uv.data<uint8_t>()[i] = static_cast<uint8_t>(40 * i + 3);
  const TensorMap out = Executor(g, cpu(), unoptimized()).run({{"a", av}, {"b", bv}, {"u", uv}});
  const float* A = av.data<float>();
  auto at = [&](int64_t i, int64_t j, int64_t k) { return A[(i * 3 + j) * 4 + k]; };

  const Tensor& cat = out.at("cat");
  ASSERT_EQ(cat.shape(), (Shape{2, 7, 4}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 7; ++j)
      for (int k = 0; k < 4; ++k) {
        const float want = j < 3    ? at(i, j, k)
                           : j == 3 ? bv.data<float>()[i * 4 + k]
                                    : at(i, j - 4, k);
        ASSERT_EQ(cat.data<float>()[(i * 7 + j) * 4 + k], want);
      }
  // a[-1::-1, ::-2, 1:4:2] -> rows {1,0}, cols {2,0}, {1,3}
  const Tensor& sl = out.at("slice");
  ASSERT_EQ(sl.shape(), (Shape{2, 2, 2}));
  const int64_t rows[] = {1, 0}, cols[] = {2, 0}, deps[] = {1, 3};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 2; ++k)
        ASSERT_EQ(sl.data<float>()[(i * 2 + j) * 2 + k], at(rows[i], cols[j], deps[k]));
  const Tensor& t = out.at("t");
  ASSERT_EQ(t.shape(), (Shape{4, 2, 3}));
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) ASSERT_EQ(t.data<float>()[(k * 2 + i) * 3 + j], at(i, j, k));
  // Reflect: index -1 -> 1, n -> n-2.
  const Tensor& r = out.at("reflect");
  ASSERT_EQ(r.shape(), (Shape{3, 4, 7}));
  auto reflect = [](int64_t i, int64_t n) { return i < 0 ? -i : i >= n ? 2 * n - 2 - i : i; };
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 7; ++k)
        ASSERT_EQ(r.data<float>()[(i * 4 + j) * 7 + k],
                  at(reflect(i, 2), reflect(j - 1, 3), reflect(k - 2, 4)));
  for (int i = 0; i < 6; ++i) ASSERT_EQ(out.at("cast").data<float>()[i], 40.f * i + 3.f);
}

TEST(Lowering, BatchedMatMulAndDenseRows) {
  Graph g;
  Value a = g.input("a", {2, 4, 3});  // transposed: op(a) is [2, 3, 4]
  Value b = g.input("b", {2, 4, 5});
  g.output(g.matmul(a, b, {}, MatMulAttrs{}.transposed_a()), "batched");
  Value rows = g.input("rows", {2, 3, 4});
  Value w = g.constant(random_tensor({5, 4}, 9), "w");  // transposed dense weights
  g.output(g.matmul(rows, w, {}, MatMulAttrs{}.transposed_b()), "dense");
  const Tensor av = random_tensor({2, 4, 3}, 1), bv = random_tensor({2, 4, 5}, 2),
               rv = random_tensor({2, 3, 4}, 3);
  const TensorMap out = Executor(g, cpu(), unoptimized()).run({{"a", av}, {"b", bv}, {"rows", rv}});
  const Tensor& y = out.at("batched");
  ASSERT_EQ(y.shape(), (Shape{2, 3, 5}));
  for (int n = 0; n < 2; ++n)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 5; ++j) {
        double s = 0;
        for (int k = 0; k < 4; ++k)
          s +=
              double(av.data<float>()[(n * 4 + k) * 3 + i]) * bv.data<float>()[(n * 4 + k) * 5 + j];
        ASSERT_NEAR(y.data<float>()[(n * 3 + i) * 5 + j], s, 1e-5);
      }
  const Tensor& d = out.at("dense");
  const Tensor& W = g.constant_value(w.id);
  ASSERT_EQ(d.shape(), (Shape{2, 3, 5}));
  for (int r = 0; r < 6; ++r)
    for (int j = 0; j < 5; ++j) {
      double s = 0;
      for (int k = 0; k < 4; ++k)
        s += double(rv.data<float>()[r * 4 + k]) * W.data<float>()[j * 4 + k];
      ASSERT_NEAR(d.data<float>()[r * 5 + j], s, 1e-5);
    }
}

TEST(Lowering, ConvTransposeIsTheAdjointOfConv) {
  // <conv(y; W), x> == <y, conv_transpose(x; W)> for the same filter, stride and padding:
  // checks that both lowerings resolve padding consistently (SAME on the big side).
  for (int big : {15, 16}) {
    const Shape sy{1, big, big, 3}, sw{3, 3, 3, 4};
    Graph g;
    Value y = g.input("y", sy);
    Value w = g.constant(random_tensor(sw, 1), "w");
    Value down = g.conv2d(y, w, Value{}, Conv2dAttrs{}.stride(2).padding(Padding::Same), "down");
    const Shape sx = g.shape(down);
    Value x = g.input("x", sx);
    g.output(down, "down");
    g.output(g.conv_transpose2d(
                 x, w, Value{},
                 ConvTranspose2dAttrs{}.stride(2).padding(Padding::Same).output_size(big, big)),
             "up");
    const Tensor yv = random_tensor(sy, 2), xv = random_tensor(sx, 3);
    const TensorMap out = Executor(g, cpu(), unoptimized()).run({{"y", yv}, {"x", xv}});
    double lhs = 0, rhs = 0;
    for (int64_t i = 0; i < sx.numel(); ++i)
      lhs += double(out.at("down").data<float>()[i]) * xv.data<float>()[i];
    for (int64_t i = 0; i < sy.numel(); ++i)
      rhs += double(yv.data<float>()[i]) * out.at("up").data<float>()[i];
    EXPECT_NEAR(lhs, rhs, 1e-3 * (1 + std::fabs(lhs))) << "output size " << big;
  }
}

// ---- interface ---------------------------------------------------------------------------

TEST(Executor, ClearErrorsForBadInputs) {
  Graph g;
  Value x = g.input("img", {1, 8, 8, 3});
  Value y = g.conv2d(x, g.constant(random_tensor({3, 3, 3, 4}, 1)), Value{},
                     Conv2dAttrs{}.padding(Padding::Same), "conv");
  g.output(y, "out");
  Executor ex(g, cpu());
  expect_error([&] { ex.run({}); }, {"input 'img' is missing", "f32[1,8,8,3]"});
  expect_error(
      [&] {
        ex.run({{"img", random_tensor({1, 8, 8, 3}, 1)}, {"extra", Tensor::empty({1})}});
      },
      {"'extra' is not an input", "'img'"});
  expect_error(
      [&] {
        ex.run({{"img", Tensor::empty({1, 8, 8, 3}, DType::U8)}});
      },
      {"'img'", "u8[1,8,8,3]", "dtype f32"});
  expect_error(
      [&] {
        ex.run({{"img", random_tensor({8, 8, 3}, 1)}});
      },
      {"'img'", "[8,8,3]", "rank 3", "expected rank 4"});
  expect_error(
      [&] {
        ex.run({{"img", random_tensor({1, 8, 8, 5}, 1)}});
      },
      {"'conv' (Conv2d)", "input channels 5"});
  // The executor still works after the errors.
  EXPECT_EQ(ex.run({{"img", random_tensor({1, 8, 8, 3}, 1)}}).at("out").shape(),
            (Shape{1, 8, 8, 4}));
  // A filter that is not a constant cannot be packed once.
  Graph h;
  Value hx = h.input("x", {1, 4, 4, 2});
  h.output(h.conv2d(hx, h.input("w", {1, 1, 2, 2}), Value{}, Conv2dAttrs{}, "dyn"), "y");
  expect_error([&] { Executor e(h, cpu(), unoptimized()); },
               {"'dyn'", "filters must be constants"});
  Graph empty;
  empty.input("x", {1});
  expect_error([&] { Executor e(empty, cpu()); }, {"no outputs"});
}

TEST(Executor, OutputsThatAreInputsOrConstantsAndDeviceViews) {
  Graph g;
  Value x = g.input("x", {2, 3});
  g.output(x, "echo");
  g.output(g.constant(random_tensor({4}, 1), "c"), "const");
  g.output(g.relu(x), "relu");
  const Tensor xv = random_tensor({2, 3}, 2);
  const TensorMap host = Executor(g, cpu()).run({{"x", xv}});
  EXPECT_EQ(std::memcmp(host.at("echo").raw(), xv.raw(), xv.bytes()), 0);
  EXPECT_EQ(host.at("const").shape(), (Shape{4}));
  ExecutorOptions on_device;
  on_device.outputs_on_device = true;
  Executor dev(g, cpu(), on_device);
  const TensorMap views = dev.run({{"x", xv}});
  EXPECT_EQ(views.at("relu").device(), cpu().device());
  EXPECT_EQ(std::memcmp(views.at("relu").raw(), host.at("relu").raw(), host.at("relu").bytes()), 0);
}

TEST(Executor, ProfilingAndLayerListing) {
  ExecutorOptions options;
  options.profile = true;
  std::vector<std::string> log;
  options.log = [&](const std::string& line) { log.push_back(line); };
  Executor ex(narrow_resnet(1, 32), cpu(), options);
  ex.run({{"img", random_tensor({1, 32, 32, 3}, 1)}});
  const std::vector<LayerInfo> layers = ex.layers();
  // 53 convs, the stem max-pool, 3 subsampling max-pools, the mean and the head.
  EXPECT_EQ(layers.size(), 53u + 1 + 3 + 1 + 1);
  ASSERT_EQ(ex.timings().size(), layers.size());
  for (size_t i = 0; i < layers.size(); ++i) EXPECT_EQ(ex.timings()[i].name, layers[i].name);
  EXPECT_EQ(layers.front().name, "resnet_v1_50/conv1/Conv2D");
  EXPECT_NE(layers.front().attrs.find("act=Relu"), std::string::npos);
  const std::string listing = ex.layer_listing();
  EXPECT_NE(listing.find("resnet_v1_50/block4/unit_3/bottleneck_v1/conv3/Conv2D"),
            std::string::npos);
  EXPECT_NE(listing.find("+residual act=Relu"), std::string::npos);
  EXPECT_NE(listing.find("59 layers"), std::string::npos) << listing;
  EXPECT_FALSE(log.empty());
  ex.set_profiling(false);
  ex.run({{"img", random_tensor({1, 32, 32, 3}, 1)}});
  EXPECT_EQ(ex.timings().size(), layers.size());  // the last profiled run's
}

}  // namespace
}  // namespace p3d
