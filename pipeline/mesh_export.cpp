// The three mesh writers. Shared steps: validate and clean the triangles
// (clean_mesh_triangles), format into memory, hand the bytes to the atomic writer. Numbers are
// formatted with std::to_chars ('%f'-identical fixed notation for OBJ, shortest round-trip
// for the GLB JSON); binary fields are stored little endian byte by byte, so the files are
// the same on any host.
#include "pipeline/mesh_export.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <utility>

#include "kernels/cpu/thread_pool.h"
#include "kernels/error.h"
#include "pipeline/atomic_file.h"

namespace p3d {
namespace {

// ---- validation --------------------------------------------------------------------------

void validate(const HeadMesh& m, const std::string& what) {
  P3D_CHECK(m.positions.size() % 3 == 0, what, ": positions hold ", m.positions.size(),
            " floats, not a multiple of 3");
  P3D_CHECK(m.positions.size() / 3 <= static_cast<size_t>(std::numeric_limits<int32_t>::max()),
            what, ": too many vertices");
  P3D_CHECK(m.triangles.size() % 3 == 0, what, ": triangles hold ", m.triangles.size(),
            " ids, not a multiple of 3");
  const int64_t v = m.vertex_count();
  P3D_CHECK(v > 0, what, ": the mesh has no vertex");
  P3D_CHECK(m.colors.size() == m.positions.size(), what, ": ", m.colors.size() / 3, " colours for ",
            v, " vertices");
  P3D_CHECK(m.face_vertex_count >= 0 && m.hair_ear_vertex_count >= 0 &&
                m.stitch_vertex_count >= 0 &&
                int64_t{m.face_vertex_count} + m.hair_ear_vertex_count + m.stitch_vertex_count == v,
            what, ": vertex split face ", m.face_vertex_count, " + hair_ear ",
            m.hair_ear_vertex_count, " + stitch ", m.stitch_vertex_count, " != ", v, " vertices");
  for (size_t i = 0; i < m.positions.size(); ++i)
    if (!std::isfinite(m.positions[i]))
      P3D_THROW(what, ": vertex ", i / 3, " has a non-finite position (", m.positions[i], ")");
  for (size_t i = 0; i < m.colors.size(); ++i)
    if (!std::isfinite(m.colors[i]))
      P3D_THROW(what, ": vertex ", i / 3, " has a non-finite colour (", m.colors[i], ")");
  for (size_t i = 0; i < m.triangles.size(); ++i)
    if (m.triangles[i] < 0 || m.triangles[i] >= v)
      P3D_THROW(what, ": triangle ", i / 3, " uses vertex ", m.triangles[i], ", outside [0, ", v,
                ")");
}

bool zero_area(const HeadMesh& m, const int32_t* t) {
  const float* a = &m.positions[3 * static_cast<size_t>(t[0])];
  const float* b = &m.positions[3 * static_cast<size_t>(t[1])];
  const float* c = &m.positions[3 * static_cast<size_t>(t[2])];
  double e1[3], e2[3];
  for (int k = 0; k < 3; ++k) {
    e1[k] = static_cast<double>(b[k]) - a[k];
    e2[k] = static_cast<double>(c[k]) - a[k];
  }
  return e1[1] * e2[2] - e1[2] * e2[1] == 0.0 && e1[2] * e2[0] - e1[0] * e2[2] == 0.0 &&
         e1[0] * e2[1] - e1[1] * e2[0] == 0.0;
}

// ---- output buffer -----------------------------------------------------------------------

// Room one OBJ line may need: 'v' and six fixed-notation floats of at most 48 characters.
constexpr size_t kMaxObjLine = 512;

// '%f' of a float as Python formats a numpy float32: the exact value, 6 decimals.
char* put_fixed6(char* p, float value) {
  return std::to_chars(p, p + 64, static_cast<double>(value), std::chars_format::fixed, 6).ptr;
}
char* put_int(char* p, int64_t value) { return std::to_chars(p, p + 24, value).ptr; }

void put_le32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}
void put_le_float(uint8_t* p, float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  put_le32(p, u);
}

std::string split_line(const HeadMesh& m) {
  return "vertex split (in this order): face " + std::to_string(m.face_vertex_count) +
         ", hair_ear " + std::to_string(m.hair_ear_vertex_count) + ", stitch " +
         std::to_string(m.stitch_vertex_count);
}

MeshExportStats stats_of(const HeadMesh& m, const CleanTriangles& t, size_t bytes) {
  MeshExportStats s;
  s.vertices = m.vertex_count();
  s.triangles = static_cast<int32_t>(t.triangles.size() / 3);
  s.dropped_degenerate = t.dropped_degenerate;
  s.dropped_duplicate = t.dropped_duplicate;
  s.bytes = bytes;
  return s;
}

// The sRGB transfer function's inverse, for the 256 byte levels.
const std::array<float, 256>& srgb_to_linear_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i) {
      const double c = i / 255.0;
      t[i] = static_cast<float>(c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4));
    }
    return t;
  }();
  return table;
}

std::string json_float(float f) {
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof(buf), f).ptr);
}

}  // namespace

uint8_t color_to_byte(float value) {
  if (!(value > 0.f)) return 0;  // also NaN (validation refuses it before export)
  if (value >= 255.f) return 255;
  return static_cast<uint8_t>(std::lround(value));
}

CleanTriangles clean_mesh_triangles(const HeadMesh& mesh, const std::string& what) {
  validate(mesh, what);
  const int32_t f = mesh.triangle_count();
  const int32_t* tri = mesh.triangles.data();
  CleanTriangles out;
  // Keys: the sorted ids packed in 64 bits (21 bits each; wider meshes use three words) and
  // the triangle index; equal ids after sorting are duplicates, the lowest index first.
  const bool packed = mesh.vertex_count() <= (1 << 21);
  std::vector<std::pair<uint64_t, int32_t>> small;
  std::vector<std::array<int32_t, 4>> wide;
  if (packed)
    small.reserve(static_cast<size_t>(f));
  else
    wide.reserve(static_cast<size_t>(f));
  for (int32_t i = 0; i < f; ++i) {
    const int32_t* t = tri + 3 * static_cast<size_t>(i);
    if (t[0] == t[1] || t[1] == t[2] || t[0] == t[2] || zero_area(mesh, t)) {
      ++out.dropped_degenerate;
      continue;
    }
    std::array<int32_t, 4> k = {t[0], t[1], t[2], i};
    std::sort(k.begin(), k.begin() + 3);
    if (packed)
      small.emplace_back(uint64_t(k[0]) << 42 | uint64_t(k[1]) << 21 | uint64_t(k[2]), i);
    else
      wide.push_back(k);
  }
  std::vector<char> keep(static_cast<size_t>(f), 0);
  size_t kept = 0;
  const auto mark = [&](bool same_as_previous, int32_t index) {
    if (same_as_previous) {
      ++out.dropped_duplicate;
    } else {
      keep[static_cast<size_t>(index)] = 1;
      ++kept;
    }
  };
  std::sort(small.begin(), small.end());
  for (size_t i = 0; i < small.size(); ++i)
    mark(i > 0 && small[i].first == small[i - 1].first, small[i].second);
  std::sort(wide.begin(), wide.end());
  for (size_t i = 0; i < wide.size(); ++i)
    mark(i > 0 && std::equal(wide[i].begin(), wide[i].begin() + 3, wide[i - 1].begin()),
         wide[i][3]);
  out.triangles.reserve(3 * kept);
  for (int32_t i = 0; i < f; ++i)
    if (keep[static_cast<size_t>(i)])
      out.triangles.insert(out.triangles.end(), tri + 3 * static_cast<size_t>(i),
                           tri + 3 * static_cast<size_t>(i) + 3);
  P3D_CHECK(!out.triangles.empty(), what, ": no triangle left (", f, " given, ",
            out.dropped_degenerate, " degenerate, ", out.dropped_duplicate, " duplicate)");
  return out;
}

MeshExportStats write_obj(const std::string& path, const HeadMesh& mesh) {
  const CleanTriangles clean = clean_mesh_triangles(mesh, "write_obj " + path);
  const std::string header =
      "# portrait3d head mesh: " + std::to_string(mesh.vertex_count()) + " vertices, " +
      std::to_string(clean.triangles.size() / 3) + " triangles\n# " + split_line(mesh) +
      "\n# v x y z r g b: camera frame (eye at z = 10 looking down -z, y up), colours RGB "
      "0..255\n# f: 1-based vertex ids, counter-clockwise seen from the camera\n";
  // Lines [0, V) are vertices, [V, V + F) faces. Formatting (to_chars of six floats a line)
  // is most of the time, so contiguous line ranges are formatted in parallel, each into its
  // own buffer, then written in order.
  const int64_t v = mesh.vertex_count();
  const int64_t lines = v + static_cast<int64_t>(clean.triangles.size() / 3);
  std::mutex parts_mutex;
  std::vector<std::pair<int64_t, std::vector<char>>> parts;
  cpu::ThreadPool::global().parallel_for(
      lines, 8192, [&](int64_t begin, int64_t end, int /*thread*/) {
        std::vector<char> buf(static_cast<size_t>(end - begin) * 48 + kMaxObjLine);
        size_t used = 0;
        for (int64_t line = begin; line < end; ++line) {
          if (buf.size() - used < kMaxObjLine) buf.resize(2 * buf.size());
          char* p = buf.data() + used;
          if (line < v) {
            const float* pos = &mesh.positions[3 * static_cast<size_t>(line)];
            const float* col = &mesh.colors[3 * static_cast<size_t>(line)];
            *p++ = 'v';
            for (int k = 0; k < 3; ++k) *p++ = ' ', p = put_fixed6(p, pos[k]);
            for (int k = 0; k < 3; ++k) *p++ = ' ', p = put_fixed6(p, col[k]);
          } else {
            const int32_t* t = &clean.triangles[3 * static_cast<size_t>(line - v)];
            *p++ = 'f';
            for (int k = 0; k < 3; ++k) *p++ = ' ', p = put_int(p, int64_t{t[k]} + 1);
          }
          *p++ = '\n';
          used = static_cast<size_t>(p - buf.data());
        }
        buf.resize(used);
        std::lock_guard<std::mutex> lock(parts_mutex);
        parts.emplace_back(begin, std::move(buf));
      });
  std::sort(parts.begin(), parts.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  AtomicFile file(path);
  file.write(header.data(), header.size());
  size_t bytes = header.size();
  for (const auto& part : parts) {
    file.write(part.second.data(), part.second.size());
    bytes += part.second.size();
  }
  file.commit();
  return stats_of(mesh, clean, bytes);
}

MeshExportStats write_ply(const std::string& path, const HeadMesh& mesh) {
  const CleanTriangles clean = clean_mesh_triangles(mesh, "write_ply " + path);
  const size_t v = static_cast<size_t>(mesh.vertex_count());
  const size_t f = clean.triangles.size() / 3;
  const std::string header =
      "ply\nformat binary_little_endian 1.0\ncomment portrait3d head mesh\ncomment " +
      split_line(mesh) +
      "\ncomment camera frame: eye at z = 10 looking down -z, y up\n"
      "comment colours: RGB bytes = float 0..255 rounded half away from zero, clamped\n"
      "element vertex " +
      std::to_string(v) +
      "\nproperty float x\nproperty float y\nproperty float z\nproperty uchar red\n"
      "property uchar green\nproperty uchar blue\nelement face " +
      std::to_string(f) + "\nproperty list uchar int vertex_indices\nend_header\n";
  constexpr size_t kVertexBytes = 3 * 4 + 3, kFaceBytes = 1 + 3 * 4;
  std::vector<uint8_t> bytes(header.size() + v * kVertexBytes + f * kFaceBytes);
  std::memcpy(bytes.data(), header.data(), header.size());
  uint8_t* p = bytes.data() + header.size();
  for (size_t i = 0; i < v; ++i, p += kVertexBytes) {
    for (int k = 0; k < 3; ++k) put_le_float(p + 4 * k, mesh.positions[3 * i + k]);
    for (int k = 0; k < 3; ++k) p[12 + k] = color_to_byte(mesh.colors[3 * i + k]);
  }
  for (size_t t = 0; t < f; ++t, p += kFaceBytes) {
    p[0] = 3;
    for (int k = 0; k < 3; ++k)
      put_le32(p + 1 + 4 * k, static_cast<uint32_t>(clean.triangles[3 * t + k]));
  }
  write_file_atomic(path, bytes);
  return stats_of(mesh, clean, bytes.size());
}

MeshExportStats write_glb(const std::string& path, const HeadMesh& mesh) {
  const CleanTriangles clean = clean_mesh_triangles(mesh, "write_glb " + path);
  const size_t v = static_cast<size_t>(mesh.vertex_count());
  const size_t index_count = clean.triangles.size();
  const size_t position_bytes = v * 12, color_bytes = v * 12, index_bytes = index_count * 4;
  const size_t bin_bytes = position_bytes + color_bytes + index_bytes;  // all multiples of 4
  P3D_CHECK(bin_bytes < (size_t{1} << 31), "write_glb ", path, ": mesh too large for a GLB");

  float lo[3], hi[3];
  for (int k = 0; k < 3; ++k) lo[k] = hi[k] = mesh.positions[k];
  for (size_t i = 0; i < v; ++i)
    for (int k = 0; k < 3; ++k) {
      lo[k] = std::min(lo[k], mesh.positions[3 * i + k]);
      hi[k] = std::max(hi[k], mesh.positions[3 * i + k]);
    }
  const auto vec3 = [](const float* a) {
    return "[" + json_float(a[0]) + "," + json_float(a[1]) + "," + json_float(a[2]) + "]";
  };
  const std::string nv = std::to_string(v);
  std::string json =
      "{\"asset\":{\"version\":\"2.0\",\"generator\":\"portrait3d\",\"extras\":{\"vertex_split\":"
      "{\"face\":" +
      std::to_string(mesh.face_vertex_count) +
      ",\"hair_ear\":" + std::to_string(mesh.hair_ear_vertex_count) +
      ",\"stitch\":" + std::to_string(mesh.stitch_vertex_count) +
      "}}},\"extensionsUsed\":[\"KHR_materials_unlit\"],\"scene\":0,\"scenes\":[{\"nodes\":[0]}],"
      "\"nodes\":[{\"mesh\":0,\"name\":\"head\"}],\"meshes\":[{\"name\":\"head\",\"primitives\":"
      "[{\"attributes\":{\"POSITION\":0,\"COLOR_0\":1},\"indices\":2,\"material\":0,\"mode\":4}]}],"
      "\"materials\":[{\"name\":\"vertex colours\",\"pbrMetallicRoughness\":{\"baseColorFactor\":"
      "[1,1,1,1],\"metallicFactor\":0,\"roughnessFactor\":1},\"doubleSided\":true,"
      "\"extensions\":{\"KHR_materials_unlit\":{}}}],\"buffers\":[{\"byteLength\":" +
      std::to_string(bin_bytes) +
      "}],\"bufferViews\":[{\"buffer\":0,\"byteOffset\":0,\"byteLength\":" +
      std::to_string(position_bytes) +
      ",\"target\":34962},{\"buffer\":0,\"byteOffset\":" + std::to_string(position_bytes) +
      ",\"byteLength\":" + std::to_string(color_bytes) +
      ",\"target\":34962},{\"buffer\":0,\"byteOffset\":" +
      std::to_string(position_bytes + color_bytes) +
      ",\"byteLength\":" + std::to_string(index_bytes) +
      ",\"target\":34963}],\"accessors\":[{\"bufferView\":0,\"componentType\":5126,\"count\":" +
      nv + ",\"type\":\"VEC3\",\"min\":" + vec3(lo) + ",\"max\":" + vec3(hi) +
      "},{\"bufferView\":1,\"componentType\":5126,\"count\":" + nv +
      ",\"type\":\"VEC3\"},{\"bufferView\":2,\"componentType\":5125,\"count\":" +
      std::to_string(index_count) + ",\"type\":\"SCALAR\"}]}";
  while (json.size() % 4 != 0) json.push_back(' ');  // the JSON chunk pads with spaces

  const size_t total = 12 + 8 + json.size() + 8 + bin_bytes;
  std::vector<uint8_t> bytes(total);
  uint8_t* p = bytes.data();
  put_le32(p, 0x46546C67u);  // "glTF"
  put_le32(p + 4, 2);
  put_le32(p + 8, static_cast<uint32_t>(total));
  put_le32(p + 12, static_cast<uint32_t>(json.size()));
  put_le32(p + 16, 0x4E4F534Au);  // "JSON"
  std::memcpy(p + 20, json.data(), json.size());
  p += 20 + json.size();
  put_le32(p, static_cast<uint32_t>(bin_bytes));
  put_le32(p + 4, 0x004E4942u);  // "BIN\0"
  p += 8;
  for (size_t i = 0; i < 3 * v; ++i) put_le_float(p + 4 * i, mesh.positions[i]);
  p += position_bytes;
  const std::array<float, 256>& linear = srgb_to_linear_table();
  for (size_t i = 0; i < 3 * v; ++i) put_le_float(p + 4 * i, linear[color_to_byte(mesh.colors[i])]);
  p += color_bytes;
  for (size_t i = 0; i < index_count; ++i)
    put_le32(p + 4 * i, static_cast<uint32_t>(clean.triangles[i]));
  write_file_atomic(path, bytes);
  return stats_of(mesh, clean, bytes.size());
}

}  // namespace p3d
