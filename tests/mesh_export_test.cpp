// The mesh writers (pipeline/mesh_export.h) and the atomic writer (pipeline/atomic_file.h).
// A small analytic mesh with known degenerate and duplicate triangles is written as OBJ,
// PLY and GLB and read back by readers written here from the formats' definitions (OBJ text
// compared line by line with printf's "%f", PLY's binary records decoded by hand, GLB's
// chunks and JSON walked field by field); the expected cleaned triangle list, colour bytes
// and sRGB-to-linear values are written down independently. Bad meshes must fail with an
// error naming the file and leave nothing behind; failed atomic writes must leave no
// temporary. When P3D_MESH_CHECK_PYTHON names a Python (tools/test.sh sets it up), the
// independent readers of tools/mesh_check/check_meshes.py (trimesh, pygltflib) must agree
// on a larger mesh and must catch a deliberately different one.
#include "pipeline/mesh_export.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "importer/json_reader.h"
#include "kernels/error.h"
#include "pipeline/atomic_file.h"
#include "tests/test_paths.h"

namespace p3d {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/p3d_mesh_export_XXXXXX";
    path_ = ::mkdtemp(name);
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  const fs::path& path() const { return path_; }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  fs::path path_;
};

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// ---- the analytic mesh -------------------------------------------------------------------

HeadMesh analytic_mesh() {
  HeadMesh m;
  m.positions = {0,      0,    0,         // 0
                 1,      0,    0,         // 1
                 1,      1,    0,         // 2
                 0,      1,    0,         // 3
                 0.5f,   0.5f, 0.25f,     // 4 apex
                 2,      0,    0,         // 5 collinear with 0 and 1
                 0,      0,    0,         // 6 stacked on 0 (a padding vertex)
                 -1.25f, 3.5f, -0.125f};  // 7
  m.colors = {12.5f,   0.49f,   254.6f,   // -> 13, 0, 255
              300.f,   -3.f,    127.5f,   // -> 255, 0, 128
              1.f,     2.f,     3.f,      //
              100.25f, 200.75f, 0.f,      // -> 100, 201, 0
              64.f,    128.f,   192.f,    //
              5.f,     6.f,     7.f,      //
              8.f,     9.f,     10.f,     //
              255.f,   254.49f, 0.5f};    // -> 255, 254, 1
  m.triangles = {0, 1, 4,                 // keep
                 1, 2, 4,                 // keep
                 2, 3, 4,                 // keep
                 3, 0, 4,                 // keep
                 0, 0, 1,                 // repeated id
                 0, 1, 5,                 // collinear: zero area
                 4, 0, 1,                 // = triangle 0 rotated
                 1, 0, 4,                 // = triangle 0 reversed
                 0, 6, 1,                 // 0 and 6 coincide: zero area
                 3, 7, 2,                 // keep
                 2, 3, 4};                // = triangle 2
  m.face_vertex_count = 4;
  m.hair_ear_vertex_count = 2;
  m.stitch_vertex_count = 2;
  return m;
}

const std::vector<int32_t> kCleanTriangles = {0, 1, 4, 1, 2, 4, 2, 3, 4, 3, 0, 4, 3, 7, 2};
const std::vector<uint8_t> kColorBytes = {13, 0,   255, 255, 0, 128, 1, 2, 3,  100, 201, 0,
                                          64, 128, 192, 5,   6, 7,   8, 9, 10, 255, 254, 1};

TEST(MeshExport, CleansDegenerateAndDuplicateTriangles) {
  const CleanTriangles c = clean_mesh_triangles(analytic_mesh(), "mesh");
  EXPECT_EQ(c.triangles, kCleanTriangles);
  EXPECT_EQ(c.dropped_degenerate, 3);
  EXPECT_EQ(c.dropped_duplicate, 3);
}

// Past 2^21 vertices the ids no longer pack into one 64-bit key: the same rules must hold.
TEST(MeshExport, CleansWideMeshesTheSame) {
  const HeadMesh small = analytic_mesh();
  HeadMesh wide = small;
  const int32_t shift = (1 << 21) - 3;  // ids up to 2^21 + 4
  std::vector<float> pad(3 * static_cast<size_t>(shift), 0.f);
  wide.positions.insert(wide.positions.begin(), pad.begin(), pad.end());
  wide.colors.insert(wide.colors.begin(), pad.begin(), pad.end());
  wide.face_vertex_count += shift;
  for (int32_t& id : wide.triangles) id += shift;
  const CleanTriangles c = clean_mesh_triangles(wide, "wide mesh");
  std::vector<int32_t> want = kCleanTriangles;
  for (int32_t& id : want) id += shift;
  EXPECT_EQ(c.triangles, want);
  EXPECT_EQ(c.dropped_degenerate, 3);
  EXPECT_EQ(c.dropped_duplicate, 3);
}

TEST(MeshExport, ColorBytesRoundAndClamp) {
  const HeadMesh m = analytic_mesh();
  for (size_t i = 0; i < m.colors.size(); ++i)
    EXPECT_EQ(color_to_byte(m.colors[i]), kColorBytes[i]) << "colour " << m.colors[i];
}

// ---- OBJ -----------------------------------------------------------------------------------

TEST(MeshExport, ObjLinesAreIntegerFacesAndPrintfFloats) {
  TempDir dir;
  const HeadMesh m = analytic_mesh();
  const std::string path = (dir / "head.obj").string();
  const MeshExportStats s = write_obj(path, m);
  EXPECT_EQ(s.vertices, 8);
  EXPECT_EQ(s.triangles, 5);
  EXPECT_EQ(s.dropped_degenerate, 3);
  EXPECT_EQ(s.dropped_duplicate, 3);
  const std::string text = read_all(path);
  EXPECT_EQ(s.bytes, text.size());
  std::istringstream lines(text);
  std::string line;
  std::vector<std::string> v_lines, f_lines;
  bool saw_split = false;
  while (std::getline(lines, line)) {
    if (line.rfind("#", 0) == 0) {
      saw_split |= line.find("face 4, hair_ear 2, stitch 2") != std::string::npos;
      continue;
    }
    if (line.rfind("v ", 0) == 0)
      v_lines.push_back(line);
    else if (line.rfind("f ", 0) == 0)
      f_lines.push_back(line);
    else
      ADD_FAILURE() << "unexpected OBJ line '" << line << "'";
  }
  EXPECT_TRUE(saw_split) << "the header comment must give the vertex split";
  ASSERT_EQ(v_lines.size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    char want[256];
    std::snprintf(want, sizeof(want), "v %f %f %f %f %f %f", m.positions[3 * i],
                  m.positions[3 * i + 1], m.positions[3 * i + 2], m.colors[3 * i],
                  m.colors[3 * i + 1], m.colors[3 * i + 2]);
    EXPECT_EQ(v_lines[i], want);
  }
  EXPECT_EQ(v_lines[7], "v -1.250000 3.500000 -0.125000 255.000000 254.490005 0.500000");
  ASSERT_EQ(f_lines.size(), 5u);
  // A strict reader: exactly three positive decimal integers, 1-based.
  for (size_t t = 0; t < f_lines.size(); ++t) {
    std::istringstream tok(f_lines[t].substr(2));
    std::string a;
    for (int k = 0; k < 3; ++k) {
      ASSERT_TRUE(tok >> a) << f_lines[t];
      ASSERT_EQ(a.find_first_not_of("0123456789"), std::string::npos) << f_lines[t];
      EXPECT_EQ(std::stoi(a) - 1, kCleanTriangles[3 * t + k]) << f_lines[t];
    }
    EXPECT_FALSE(tok >> a) << f_lines[t];
  }
}

// ---- PLY -----------------------------------------------------------------------------------

uint32_t le32(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
float lef(const unsigned char* p) {
  const uint32_t u = le32(p);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TEST(MeshExport, PlyIsBinaryLittleEndianWithByteColours) {
  TempDir dir;
  const HeadMesh m = analytic_mesh();
  const std::string path = (dir / "head.ply").string();
  write_ply(path, m);
  const std::string bytes = read_all(path);
  const size_t end = bytes.find("end_header\n");
  ASSERT_NE(end, std::string::npos);
  std::istringstream header(bytes.substr(0, end));
  std::vector<std::string> lines;
  std::string line;
  bool saw_split = false;
  while (std::getline(header, line))
    if (line.rfind("comment", 0) == 0)
      saw_split |= line.find("face 4, hair_ear 2, stitch 2") != std::string::npos;
    else
      lines.push_back(line);
  EXPECT_TRUE(saw_split);
  const std::vector<std::string> want = {"ply",
                                         "format binary_little_endian 1.0",
                                         "element vertex 8",
                                         "property float x",
                                         "property float y",
                                         "property float z",
                                         "property uchar red",
                                         "property uchar green",
                                         "property uchar blue",
                                         "element face 5",
                                         "property list uchar int vertex_indices"};
  EXPECT_EQ(lines, want);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + end + 11;
  ASSERT_EQ(bytes.size(), end + 11 + 8 * 15 + 5 * 13);
  for (int i = 0; i < 8; ++i, p += 15) {
    for (int k = 0; k < 3; ++k) EXPECT_EQ(lef(p + 4 * k), m.positions[3 * i + k]);
    for (int k = 0; k < 3; ++k) EXPECT_EQ(p[12 + k], kColorBytes[3 * i + k]) << "vertex " << i;
  }
  for (int t = 0; t < 5; ++t, p += 13) {
    EXPECT_EQ(p[0], 3);
    for (int k = 0; k < 3; ++k)
      EXPECT_EQ(static_cast<int32_t>(le32(p + 1 + 4 * k)), kCleanTriangles[3 * t + k]);
  }
}

// ---- GLB -----------------------------------------------------------------------------------

double srgb_to_linear(int byte) {
  const double c = byte / 255.0;
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

TEST(MeshExport, GlbChunksJsonAndBuffers) {
  TempDir dir;
  const HeadMesh m = analytic_mesh();
  const std::string path = (dir / "head.glb").string();
  write_glb(path, m);
  const std::string file = read_all(path);
  const auto* b = reinterpret_cast<const unsigned char*>(file.data());
  ASSERT_GE(file.size(), 28u);
  EXPECT_EQ(std::string(file.data(), 4), "glTF");
  EXPECT_EQ(le32(b + 4), 2u);
  EXPECT_EQ(le32(b + 8), file.size());
  const uint32_t json_len = le32(b + 12);
  EXPECT_EQ(std::string(file.data() + 16, 4), "JSON");
  EXPECT_EQ(json_len % 4, 0u);
  const std::string json_text = file.substr(20, json_len);
  const size_t bin_at = 20 + json_len;
  ASSERT_LE(bin_at + 8, file.size());
  const uint32_t bin_len = le32(b + bin_at);
  EXPECT_EQ(bin_len % 4, 0u);
  EXPECT_EQ(std::string(file.data() + bin_at + 4, 4), std::string("BIN\0", 4));
  EXPECT_EQ(bin_at + 8 + bin_len, file.size());
  const unsigned char* bin = b + bin_at + 8;

  const JsonValue j = JsonValue::parse(json_text, path);
  EXPECT_EQ(j.at("asset").at("version").as_string(), "2.0");
  EXPECT_EQ(j.at("asset").at("generator").as_string(), "portrait3d");
  EXPECT_EQ(j.at("meshes").as_array().size(), 1u);
  const auto& prims = j.at("meshes").as_array()[0].at("primitives").as_array();
  ASSERT_EQ(prims.size(), 1u);
  const JsonValue& prim = prims[0];
  EXPECT_EQ(prim.has("mode") ? prim.at("mode").as_int() : 4, 4);
  EXPECT_EQ(j.at("buffers").as_array()[0].at("byteLength").as_int(), bin_len);
  const auto& accessors = j.at("accessors").as_array();
  const auto& views = j.at("bufferViews").as_array();
  // The bytes of an accessor, checked for type and tightly packed layout.
  const auto data_of = [&](int64_t index, int64_t component, const char* type, int64_t count,
                           size_t element_bytes) {
    const JsonValue& a = accessors.at(static_cast<size_t>(index));
    EXPECT_EQ(a.at("componentType").as_int(), component);
    EXPECT_EQ(a.at("type").as_string(), type);
    EXPECT_EQ(a.at("count").as_int(), count);
    const JsonValue& v = views.at(static_cast<size_t>(a.at("bufferView").as_int()));
    const int64_t offset = (v.has("byteOffset") ? v.at("byteOffset").as_int() : 0) +
                           (a.has("byteOffset") ? a.at("byteOffset").as_int() : 0);
    EXPECT_EQ(offset % 4, 0);
    EXPECT_GE(v.at("byteLength").as_int(), count * static_cast<int64_t>(element_bytes));
    EXPECT_LE(offset + count * static_cast<int64_t>(element_bytes), bin_len);
    return bin + offset;
  };
  const unsigned char* pos =
      data_of(prim.at("attributes").at("POSITION").as_int(), 5126, "VEC3", 8, 12);
  const unsigned char* col =
      data_of(prim.at("attributes").at("COLOR_0").as_int(), 5126, "VEC3", 8, 12);
  const unsigned char* idx = data_of(prim.at("indices").as_int(), 5125, "SCALAR", 15, 4);
  for (int i = 0; i < 24; ++i) EXPECT_EQ(lef(pos + 4 * i), m.positions[i]);
  for (int i = 0; i < 24; ++i)
    EXPECT_NEAR(lef(col + 4 * i), srgb_to_linear(kColorBytes[i]), 1e-6) << "colour " << i;
  for (int i = 0; i < 15; ++i)
    EXPECT_EQ(static_cast<int32_t>(le32(idx + 4 * i)), kCleanTriangles[i]);
  // POSITION min / max: naive over the vertices.
  const JsonValue& pa =
      accessors.at(static_cast<size_t>(prim.at("attributes").at("POSITION").as_int()));
  const double want_min[3] = {-1.25, 0, -0.125}, want_max[3] = {2, 3.5, 0.25};
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(pa.at("min").as_array()[k].as_number(), want_min[k]);
    EXPECT_EQ(pa.at("max").as_array()[k].as_number(), want_max[k]);
  }
}

// ---- validation ----------------------------------------------------------------------------

using Writer = MeshExportStats (*)(const std::string&, const HeadMesh&);
const Writer kWriters[] = {write_obj, write_ply, write_glb};

void expect_refused(const HeadMesh& m, const std::string& needle) {
  TempDir dir;
  for (Writer w : kWriters) {
    const std::string path = (dir / "bad.mesh").string();
    try {
      w(path, m);
      ADD_FAILURE() << "accepted a mesh that should fail with '" << needle << "'";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(path), std::string::npos) << msg;
      EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    }
    EXPECT_TRUE(dir.entries().empty()) << "a refused mesh must leave no file";
  }
}

TEST(MeshExport, RefusesBadMeshesNamingTheFile) {
  HeadMesh m = analytic_mesh();
  m.triangles[4] = 8;
  expect_refused(m, "triangle 1 uses vertex 8");
  m = analytic_mesh();
  m.triangles[0] = -1;
  expect_refused(m, "triangle 0 uses vertex -1");
  m = analytic_mesh();
  m.positions[3 * 5 + 1] = NAN;
  expect_refused(m, "vertex 5 has a non-finite position");
  m = analytic_mesh();
  m.positions[0] = INFINITY;
  expect_refused(m, "vertex 0 has a non-finite position");
  m = analytic_mesh();
  m.colors[3] = NAN;
  expect_refused(m, "vertex 1 has a non-finite colour");
  m = analytic_mesh();
  m.stitch_vertex_count = 3;
  expect_refused(m, "vertex split");
  m = analytic_mesh();
  m.colors.pop_back();
  expect_refused(m, "colours for 8 vertices");
  m = analytic_mesh();
  m.triangles = {0, 0, 1, 0, 1, 5};
  expect_refused(m, "no triangle left");
  expect_refused(HeadMesh{}, "no vertex");
}

TEST(MeshExport, FailedWriteKeepsTheOldFile) {
  TempDir dir;
  const std::string path = (dir / "head.obj").string();
  write_obj(path, analytic_mesh());
  const std::string before = read_all(path);
  HeadMesh bad = analytic_mesh();
  bad.positions[2] = NAN;
  EXPECT_THROW(write_obj(path, bad), Error);
  EXPECT_EQ(read_all(path), before);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"head.obj"});
}

// ---- atomic writer -------------------------------------------------------------------------

TEST(AtomicFile, WritesAndReplaces) {
  TempDir dir;
  const std::string path = (dir / "a.bin").string();
  write_file_atomic(path, std::vector<uint8_t>{1, 2, 3});
  EXPECT_EQ(read_all(path), std::string("\1\2\3", 3));
  write_file_atomic(path, "xy", 2);
  EXPECT_EQ(read_all(path), "xy");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"a.bin"});
  // The file gets plain permissions (0666 less the umask), not mkstemp's 0600.
  const mode_t mask = ::umask(022);
  ::umask(mask);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u & ~mask);
}

TEST(AtomicFile, MissingFolderThrowsWithPathAndReason) {
  TempDir dir;
  const std::string path = (dir / "no_such_folder" / "a.obj").string();
  try {
    write_obj(path, analytic_mesh());
    ADD_FAILURE() << "wrote into a missing folder";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::strerror(ENOENT)), std::string::npos) << msg;
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, FailedRenameRemovesTheTemporary) {
  TempDir dir;
  // The target is a non-empty folder: the temporary is written in full, then rename fails.
  fs::create_directory(dir / "head.ply");
  std::ofstream(dir / "head.ply" / "keep").put('x');
  try {
    write_ply((dir / "head.ply").string(), analytic_mesh());
    ADD_FAILURE() << "renamed over a folder";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find((dir / "head.ply").string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("rename"), std::string::npos) << msg;
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"head.ply"});
}

TEST(AtomicFile, UncommittedFileLeavesNothing) {
  TempDir dir;
  std::string temp;
  {
    AtomicFile f((dir / "x.glb").string());
    f.write("abc", 3);
    temp = f.temporary_path();
    EXPECT_TRUE(fs::exists(temp));
    EXPECT_EQ(fs::path(temp).parent_path(), dir.path());
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, ReadOnlyFolderThrows) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: folder permissions do not stop root";
  TempDir dir;
  fs::create_directory(dir / "ro");
  fs::permissions(dir / "ro", fs::perms::owner_read | fs::perms::owner_exec);
  const std::string path = (dir / "ro" / "a.glb").string();
  try {
    write_glb(path, analytic_mesh());
    ADD_FAILURE() << "wrote into a read-only folder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::strerror(EACCES)), std::string::npos) << e.what();
  }
  fs::permissions(dir / "ro", fs::perms::owner_all);
  EXPECT_TRUE(fs::is_empty(dir / "ro"));
}

// ---- the independent Python readers ---------------------------------------------------------

// A head-like open shell: a height field over a grid, colours from a gradient with
// fractions, plus stacked padding vertices, degenerate and duplicate triangles.
HeadMesh grid_mesh(int n) {
  HeadMesh m;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const float u = (x - n / 2.f) / n, v = (y - n / 2.f) / n;
      m.positions.insert(m.positions.end(), {u, v, 0.3f - (u * u + v * v)});
      m.colors.insert(m.colors.end(), {255.f * x / (n - 1), 255.f * y / (n - 1), 37.3f + x % 7});
    }
  for (int y = 0; y + 1 < n; ++y)
    for (int x = 0; x + 1 < n; ++x) {
      const int a = y * n + x, b = a + 1, c = a + n, d = c + 1;
      m.triangles.insert(m.triangles.end(), {a, b, d, a, d, c});
    }
  m.triangles.insert(m.triangles.end(), {0, 1, n + 1, 5, 5, 6});  // duplicate, degenerate
  for (int k = 0; k < 4; ++k) {                                   // padding vertices, unused
    m.positions.insert(m.positions.end(), {0.f, 0.f, 0.f});
    m.colors.insert(m.colors.end(), {0.f, 0.f, 0.f});
  }
  m.face_vertex_count = n * n - 10;
  m.hair_ear_vertex_count = 10;
  m.stitch_vertex_count = 4;
  return m;
}

int run_checker(const std::string& python, const fs::path& dir, const std::string& obj,
                const std::string& ply, const std::string& glb) {
  const fs::path script = test::source_dir() / "tools" / "mesh_check" / "check_meshes.py";
  const std::string log = (dir / "check.log").string();
  const std::string cmd = "\"" + python + "\" \"" + script.string() + "\" \"" + obj + "\" \"" +
                          ply + "\" \"" + glb + "\" > \"" + log + "\" 2>&1";
  const int status = std::system(cmd.c_str());
  std::printf("%s\n%s", cmd.c_str(), read_all(log).c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(MeshExport, IndependentReadersAgree) {
  const char* python = std::getenv("P3D_MESH_CHECK_PYTHON");
  if (python == nullptr || *python == 0)
    GTEST_SKIP() << "P3D_MESH_CHECK_PYTHON is not set (tools/test.sh sets it up with "
                    "tools/mesh_check/setup.sh)";
  TempDir dir;
  const HeadMesh m = grid_mesh(40);
  const std::string obj = (dir / "h.obj").string(), ply = (dir / "h.ply").string(),
                    glb = (dir / "h.glb").string();
  write_obj(obj, m);
  write_ply(ply, m);
  write_glb(glb, m);
  EXPECT_EQ(run_checker(python, dir.path(), obj, ply, glb), 0);
  // A PLY of a slightly different mesh must be caught.
  HeadMesh moved = m;
  moved.positions[3 * 100 + 2] += 1e-3f;
  const std::string ply2 = (dir / "moved.ply").string();
  write_ply(ply2, moved);
  EXPECT_NE(run_checker(python, dir.path(), obj, ply2, glb), 0);
}

}  // namespace
}  // namespace p3d
