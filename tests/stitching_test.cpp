// pipeline/stitching (step 4's face/hair stitch) and its searches (kernels/stitch_search.h):
//   * the oracle scene of tools/oracle/stitch.py (tests/fixtures/stitch/): the masks come
//     from its labels.png, the hair and face vertices from the same integer formulas as the
//     script (dyadic values, so both sides hold identical float32 inputs); hair_boundary_ind,
//     face_boundary_ind and the stitch vertices must equal the oracle's exactly;
//   * the triangles against scipy's (Qhull): equal up to cocircular choices, checked as:
//     every triangle in one set and not the other has a fourth stitch point exactly on its
//     circumcircle (exact integers: the coordinates are multiples of 2^-13), i.e. it lies in
//     a cocircular group where any triangulation is Delaunay; plus ours all strictly CCW
//     seen from +z, none repeated, every kept 3D edge <= 0.05;
//   * the tie rules on hand-made cases, the CPU kd-tree search against a naive loop written
//     here, CUDA against CPU (identical ids; skipped without a GPU), and bad input.
#include "pipeline/stitching.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "kernels/cpu/stitch_search.h"
#include "kernels/error.h"
#include "pipeline/image_io.h"
#include "tests/face_record_fixture.h"
#include "tests/support/lattice_geometry.h"
#include "tests/support/require_cuda.h"
#include "tests/support/stitch_scene.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

// ---- the oracle's scene (tools/oracle/stitch.py labels / hair_vertices / face_vertices) ----
constexpr int kSize = 256;
constexpr int kFaceNI = 193, kFaceNJ = 235, kFaceCI = 96, kFaceCJ = 117;
constexpr double kFaceStep = 15.0 / 2048.0, kFaceY0 = -3.0 / 64.0, kPixel = 3.0 / 256.0;

using Scene = test::StitchScene;

fs::path fixture_dir() { return test::source_dir() / "tests" / "fixtures" / "stitch"; }

std::vector<int32_t> read_ids(const std::string& name) {
  const test::NpyArray a = test::read_npy_doubles(fixture_dir() / name);
  return std::vector<int32_t>(a.values.begin(), a.values.end());
}

Scene oracle_scene() {
  Scene s;
  s.size = kSize;
  const ImageU8 labels = read_image((fixture_dir() / "labels.png").string());
  P3D_CHECK(labels.width == kSize && labels.height == kSize, "labels.png is not 256x256");
  s.ring.resize(kSize * kSize);
  for (int r = 0; r < kSize; ++r)
    for (int c = 0; c < kSize; ++c) {
      const uint8_t flags = labels.pixels[(r * kSize + c) * labels.channels];
      s.ring[r * kSize + c] = (flags >> 2) & 1;
      if (!((flags >> 1) & 1)) continue;
      s.points_index.push_back(r);
      s.points_index.push_back(c);
      const double x = (c - 128) * kPixel, y = (128 - r) * kPixel;
      const double z = 0.28 - (x * x + y * y) / 4;
      for (double v : {x, y, z}) s.hair_xyz.push_back(static_cast<float>(v));
      for (int v : {(r * 7 + c * 3) % 64 + 20, (r * 5 + c) % 48 + 10, (r + c * 11) % 32 + 5})
        s.hair_colors.push_back(static_cast<float>(v));
    }
  for (int64_t j = 0; j < kFaceNJ; ++j)
    for (int64_t i = 0; i < kFaceNI; ++i) {
      const int64_t u = i - kFaceCI, w = j - kFaceCJ;
      if ((u * kFaceCJ) * (u * kFaceCJ) + (w * kFaceCI) * (w * kFaceCI) >
          (int64_t{kFaceCI} * kFaceCJ) * (int64_t{kFaceCI} * kFaceCJ))
        continue;
      const double jx = ((i * 7 + j * 13) % 17 - 8) / 8192.0;
      const double jy = ((i * 11 + j * 5) % 19 - 9) / 8192.0;
      const double x = u * kFaceStep + jx, y = w * kFaceStep + kFaceY0 + jy;
      const double z = 0.3 - (x * x + y * y) / 4;
      for (double v : {x, y, z}) s.face_xyz.push_back(static_cast<float>(v));
      for (int64_t v : {(i * 5 + j * 3) % 200 + 30, (i * 3 + j * 7) % 150 + 50, (i + j) % 100 + 80})
        s.face_colors.push_back(static_cast<float>(v));
    }
  s.border = read_ids("border_index.npy");
  return s;
}

bool have_fixture(std::string* why) {
  if (fs::exists(fixture_dir() / "labels.png")) return true;
  *why = "missing " + fixture_dir().string() + " (regenerate with tools/oracle/stitch.py)";
  return false;
}

using Tri = std::array<int32_t, 3>;
Tri sorted_triangle(const int32_t* t) {
  Tri c = {t[0], t[1], t[2]};
  std::sort(c.begin(), c.end());
  return c;
}

using Q = test::LatticePoint;
// Stitch (x, y) are multiples of 2^-13 here: exact integers after scaling.
Q lattice(const std::vector<float>& xyz, int32_t v) {
  const double x = std::ldexp(static_cast<double>(xyz[3 * v]), 13);
  const double y = std::ldexp(static_cast<double>(xyz[3 * v + 1]), 13);
  EXPECT_EQ(x, std::round(x));
  EXPECT_EQ(y, std::round(y));
  return {static_cast<int64_t>(x), static_cast<int64_t>(y)};
}
bool cocircular(Q a, Q b, Q c, Q d) { return test::incircle(a, b, c, d) == 0; }

// ---- the oracle scene -------------------------------------------------------------------

TEST(Stitching, MatchesOracleScene) {
  std::string why;
  if (!have_fixture(&why)) GTEST_SKIP() << why;
  const Scene scene = oracle_scene();
  const StitchResult r = stitch(scene.input());

  const std::vector<int32_t> hb = read_ids("hair_boundary_ind.npy");
  const std::vector<int32_t> fb = read_ids("face_boundary_ind.npy");
  ASSERT_GT(hb.size(), 100u);
  EXPECT_EQ(r.hair_boundary_ind, hb);
  EXPECT_EQ(r.face_boundary_ind, fb);

  const test::NpyArray xyz = test::read_npy_doubles(fixture_dir() / "stitch_xyz.npy");
  ASSERT_EQ(r.xyz.size(), xyz.values.size());
  for (size_t i = 0; i < xyz.values.size(); ++i)
    ASSERT_EQ(static_cast<double>(r.xyz[i]), xyz.values[i]) << "stitch xyz value " << i;
  std::vector<float> colors;
  for (int32_t v : fb)
    colors.insert(colors.end(), &scene.face_colors[3 * v], &scene.face_colors[3 * v + 3]);
  for (int32_t v : hb)
    colors.insert(colors.end(), &scene.hair_colors[3 * v], &scene.hair_colors[3 * v + 3]);
  EXPECT_EQ(r.colors, colors);

  // Our triangles: in range, strictly CCW from +z, not repeated, short 3D edges.
  const int32_t s = r.vertex_count();
  std::vector<Q> q(s);
  for (int32_t v = 0; v < s; ++v) q[v] = lattice(r.xyz, v);
  std::set<Tri> ours;
  for (int32_t t = 0; t < r.triangle_count(); ++t) {
    const int32_t* v = &r.triangles[3 * t];
    for (int k = 0; k < 3; ++k) ASSERT_TRUE(v[k] >= 0 && v[k] < s);
    EXPECT_GT(test::orient(q[v[0]], q[v[1]], q[v[2]]), 0) << "triangle " << t << " not CCW from +z";
    EXPECT_TRUE(ours.insert(sorted_triangle(v)).second) << "triangle " << t << " repeated";
    for (int k = 0; k < 3; ++k) {
      const float* a = &r.xyz[3 * v[k]];
      const float* b = &r.xyz[3 * v[(k + 1) % 3]];
      const double dx = double{a[0]} - b[0], dy = double{a[1]} - b[1], dz = double{a[2]} - b[2];
      EXPECT_LE(std::sqrt(dx * dx + dy * dy + dz * dz), kStitchMaxEdge + 1e-12);
    }
  }
  const test::NpyArray tri = test::read_npy_doubles(fixture_dir() / "triangles.npy");
  std::set<Tri> scipy;
  for (size_t t = 0; t < tri.values.size() / 3; ++t) {
    const int32_t v[3] = {static_cast<int32_t>(tri.values[3 * t]),
                          static_cast<int32_t>(tri.values[3 * t + 1]),
                          static_cast<int32_t>(tri.values[3 * t + 2])};
    scipy.insert(sorted_triangle(v));
  }
  // Triangles in one set only must sit in a cocircular group (a fourth point on the circle).
  int differing = 0;
  auto check_ambiguous = [&](const std::set<Tri>& from, const std::set<Tri>& other,
                             const char* who) {
    for (const Tri& t : from) {
      if (other.count(t)) continue;
      ++differing;
      bool found = false;
      for (int32_t d = 0; d < s && !found; ++d)
        found = d != t[0] && d != t[1] && d != t[2] && cocircular(q[t[0]], q[t[1]], q[t[2]], q[d]);
      EXPECT_TRUE(found) << who << " triangle (" << t[0] << ", " << t[1] << ", " << t[2]
                         << ") differs without a cocircular fourth point";
    }
  };
  check_ambiguous(ours, scipy, "our");
  check_ambiguous(scipy, ours, "scipy's");
  std::printf("stitch: %d vertices, %zu triangles (scipy %zu), %d in one set only (cocircular)\n",
              s, ours.size(), scipy.size(), differing);
}

// ---- tie rules and the searches ----------------------------------------------------------

TEST(StitchSearch, RingTieGoesToSmallestIndexWithinTwoPixels) {
  // 6x6 image; hair vertices in row-major order.
  const int h = 6, w = 6;
  std::vector<int32_t> map(h * w, kStitchNone);
  const int hair[][2] = {{1, 1}, {1, 3}, {3, 1}, {4, 4}};
  for (int k = 0; k < 4; ++k) map[hair[k][0] * w + hair[k][1]] = k;
  // (1,2): (1,1) and (1,3) at 1 -> 0. (2,2): (1,1), (1,3), (3,1) at sqrt 2 -> 0.
  // (3,3): (4,4) at sqrt 2 beats (1,3), (3,1) at 2 -> 3. (3,1): itself -> 2.
  // (5,1): (3,1) at 2 is not < 2 -> none. (0,5): nothing near -> none.
  const std::vector<int32_t> ring = {1 * w + 2, 2 * w + 2, 3 * w + 3,
                                     3 * w + 1, 5 * w + 1, 0 * w + 5};
  RingMatchParams p;
  p.height = h;
  p.width = w;
  p.ring_count = static_cast<int32_t>(ring.size());
  std::vector<int32_t> matched(ring.size(), 99);
  cpu::match_ring_to_hair(cpu::ThreadPool::global(), p, {ring.data(), map.data()}, matched.data());
  EXPECT_EQ(matched, (std::vector<int32_t>{0, 0, 3, 2, kStitchNone, kStitchNone}));
}

// The CPU kd-tree search's nearest face vertex for every query (xyz rows), into ids prefilled
// with -7 so that one left unwritten shows.
std::vector<int32_t> cpu_nearest(const std::vector<float>& face,
                                 const std::vector<float>& queries) {
  NearestFaceParams p;
  p.query_count = static_cast<int32_t>(queries.size() / 3);
  p.face_count = static_cast<int32_t>(face.size() / 3);
  std::vector<int32_t> nearest(static_cast<size_t>(p.query_count), -7);
  cpu::nearest_face_vertices(cpu::ThreadPool::global(), p, {queries.data(), face.data()},
                             nearest.data());
  return nearest;
}

TEST(StitchSearch, NearestFaceTieGoesToSmallestIndex) {
  const std::vector<float> face = {0, 5, 0, 1, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, -1, 3, 3, 3};
  const std::vector<float> queries = {0, 0, 0, 3, 3, 3, 0.5f, 0, 0, 0, 0, 0.25f, 100, 0, 0};
  EXPECT_EQ(cpu_nearest(face, queries), (std::vector<int32_t>{1, 5, 1, 3, 5}));
}

// Dyadic coordinates with few bits: every distance below is exact in double, whatever the
// compiler contracts, so the naive loop's minimum is the exact one.
std::vector<float> dyadic_cloud(int n, std::mt19937& rng, bool flat) {
  std::uniform_int_distribution<int> coord(-2048, 2048);
  std::vector<float> xyz;
  for (int i = 0; i < n; ++i) {
    const int cx = coord(rng), cy = coord(rng), cz = flat ? 0 : coord(rng) / 4;
    for (int c : {cx, cy, cz}) xyz.push_back(std::ldexp(static_cast<float>(c), -10));
  }
  return xyz;
}

int32_t naive_nearest(const std::vector<float>& face, const float* q) {
  int32_t best = -1;
  double best_d2 = 0;
  for (size_t v = 0; v < face.size() / 3; ++v) {
    const double dx = double{q[0]} - face[3 * v], dy = double{q[1]} - face[3 * v + 1],
                 dz = double{q[2]} - face[3 * v + 2];
    const double d2 = dx * dx + dy * dy + dz * dz;
    if (best < 0 || d2 < best_d2) {  // strict: the first (smallest index) minimum stays
      best = static_cast<int32_t>(v);
      best_d2 = d2;
    }
  }
  return best;
}

TEST(StitchSearch, KdTreeSearchEqualsNaiveLoop) {
  std::mt19937 rng(11);
  for (bool flat : {false, true}) {
    std::vector<float> face = dyadic_cloud(5000, rng, flat);
    // Exact duplicates (ties at distance 0 and beyond).
    for (int k = 0; k < 200; ++k) {
      const size_t v = static_cast<size_t>(rng() % 5000);
      face.insert(face.end(), &face[3 * v], &face[3 * v + 3]);
    }
    std::vector<float> queries = dyadic_cloud(1500, rng, false);
    for (float f : {40.f, -40.f}) {  // far outside the cloud's box
      queries.insert(queries.end(), {f, 0.f, 0.f});
      queries.insert(queries.end(), {0.f, f, f});
    }
    queries.insert(queries.end(), face.begin(), face.begin() + 300);  // on vertices
    const std::vector<int32_t> nearest = cpu_nearest(face, queries);
    for (int32_t i = 0; i < static_cast<int32_t>(nearest.size()); ++i)
      ASSERT_EQ(nearest[i], naive_nearest(face, &queries[3 * i]))
          << "query " << i << " flat " << flat;
  }
}

TEST(StitchSearch, KdTreeOnIdenticalPoints) {
  // 100 copies of one point (a leaf that cannot split), then a far one: ties at every
  // distance go to index 0.
  std::vector<float> face;
  for (int k = 0; k < 100; ++k) face.insert(face.end(), {0.5f, 0.5f, 0.5f});
  face.insert(face.end(), {9.f, 9.f, 9.f});
  const std::vector<float> queries = {0.5f, 0.5f, 0.5f, -3.f, 2.f, 0.f, 9.f, 9.f, 8.f};
  EXPECT_EQ(cpu_nearest(face, queries), (std::vector<int32_t>{0, 0, 100}));
}

// ---- CUDA against CPU --------------------------------------------------------------------

TEST(Stitching, CudaEqualsCpu) {
  P3D_SKIP_WITHOUT_CUDA();
  std::string why;
  if (!have_fixture(&why)) GTEST_SKIP() << why;
  const Scene scene = oracle_scene();
  const StitchResult cpu_result = stitch(scene.input(), DeviceKind::CPU);
  const StitchResult gpu_result = stitch(scene.input(), DeviceKind::CUDA);
  EXPECT_EQ(gpu_result.hair_boundary_ind, cpu_result.hair_boundary_ind);
  EXPECT_EQ(gpu_result.face_boundary_ind, cpu_result.face_boundary_ind);
  EXPECT_EQ(gpu_result.xyz, cpu_result.xyz);
  EXPECT_EQ(gpu_result.triangles, cpu_result.triangles);
  // Random clouds with ties: the GPU's brute force and the CPU kd-tree, through the unit.
  std::mt19937 rng(3);
  Scene s = scene;
  s.face_xyz = dyadic_cloud(20000, rng, false);
  s.face_colors.assign(s.face_xyz.size(), 1.f);
  s.border.assign({0, 5, 7});
  for (size_t k = 0; k < s.hair_xyz.size(); ++k)
    s.hair_xyz[k] = std::ldexp(std::round(std::ldexp(s.hair_xyz[k], 8)), -8);
  const StitchResult a = stitch(s.input(), DeviceKind::CPU);
  const StitchResult b = stitch(s.input(), DeviceKind::CUDA);
  EXPECT_EQ(a.face_boundary_ind, b.face_boundary_ind);
  EXPECT_EQ(a.triangles, b.triangles);
}

// ---- bad input ---------------------------------------------------------------------------

void expect_error(const StitchInput& in, const std::string& fragment) {
  try {
    stitch(in);
    ADD_FAILURE() << "no error; expected one mentioning '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Stitching, RejectsBadInput) {
  Scene s;
  s.ring.assign(16, 0);
  s.ring[5] = 1;
  s.points_index = {0, 1, 1, 2, 2, 2};
  s.hair_xyz.assign(9, 0.f);
  s.hair_colors.assign(9, 0.f);
  s.face_xyz = {0, 0, 0, 1, 0, 0};
  s.face_colors.assign(6, 0.f);
  s.border = {1};
  auto base = [&]() {
    StitchInput in = s.input();
    in.height = in.width = 4;
    return in;
  };
  EXPECT_NO_THROW(stitch(base()));
  Scene keep = s;
  s.ring[3] = 255;
  expect_error(base(), "ring mask pixel (0, 3) is 255");
  s = keep;
  s.points_index = {0, 1, 2, 2, 1, 2};
  expect_error(base(), "not after the previous one");
  s = keep;
  s.points_index = {0, 1, 1, 2, 2, 4};
  expect_error(base(), "outside the 4x4 mask");
  s = keep;
  s.border = {2};
  expect_error(base(), "border_index[0] = 2 outside [0, 2)");
  s = keep;
  s.hair_xyz[4] = std::nanf("");
  expect_error(base(), "hair_xyz row 1 has a non-finite value");
  s = keep;
  s.face_colors[5] = INFINITY;
  expect_error(base(), "face_colors row 1");
  s = keep;
  {
    StitchInput in = base();
    in.face_count = 0;
    expect_error(in, "face_count 0");
    in = base();
    in.ring = nullptr;
    expect_error(in, "no ring mask");
    in = base();
    in.hair_xyz = nullptr;
    expect_error(in, "hair points_index, xyz or colours missing");
    in = base();
    in.hair_count = 17;
    expect_error(in, "hair_count 17 outside [0, 16]");
  }
  std::string reason;
  if (!cuda_available(&reason)) {
    try {
      stitch(base(), DeviceKind::CUDA);
      ADD_FAILURE() << "CUDA requested without a device but no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("stitch on CUDA"), std::string::npos) << e.what();
    }
  }
}

TEST(Stitching, EmptyRingStitchesTheBorderOnly) {
  Scene s;
  s.ring.assign(16, 0);
  s.points_index = {0, 0};
  s.hair_xyz = {0, 0, 0};
  s.hair_colors = {1, 2, 3};
  // A square of face vertices 0.03 apart (diagonal 0.042 <= 0.05) and a far one; border
  // lists 3 twice.
  s.face_xyz = {0, 0, 0, 0.03f, 0, 0, 0.03f, 0.03f, 0, 0, 0.03f, 0, 5, 5, 0};
  s.face_colors.assign(15, 7.f);
  s.border = {3, 0, 1, 3, 2};
  StitchInput in = s.input();
  in.height = in.width = 4;
  const StitchResult r = stitch(in);
  EXPECT_TRUE(r.hair_boundary_ind.empty());
  EXPECT_EQ(r.face_boundary_ind, (std::vector<int32_t>{3, 0, 1, 2}));
  // The square's two halves (either diagonal: cocircular); the far vertex 4 is in no list,
  // so it is no stitch vertex.
  EXPECT_EQ(r.triangle_count(), 2);
  EXPECT_EQ(r.vertex_count(), 4);
}

}  // namespace
}  // namespace p3d
