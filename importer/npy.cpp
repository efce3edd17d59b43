// .npy reading and writing (see npy.h). The header is a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 48, 48, 3), }
// which we read with a few targeted lookups rather than a general Python parser: numpy
// writes exactly these three keys.
#include "importer/npy.h"

#include <cctype>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

#include "kernels/error.h"

namespace p3d {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct NpyDtype {
  const char* descr;
  DType dtype;
};
// '<' little-endian, '|' not applicable (one byte). '=' (native) is little-endian here.
constexpr NpyDtype kDtypes[] = {
    {"<f4", DType::F32}, {"=f4", DType::F32}, {"<f2", DType::F16},
    {"=f2", DType::F16}, {"<i4", DType::I32}, {"=i4", DType::I32},
    {"|u1", DType::U8},  {"<u1", DType::U8},  {"=u1", DType::U8},
};

// The value text after 'key': in the header dict, or fails.
std::string dict_value(const std::string& header, const std::string& key, const std::string& what) {
  const std::string quoted[2] = {"'" + key + "'", "\"" + key + "\""};
  for (const std::string& q : quoted) {
    const size_t at = header.find(q);
    if (at == std::string::npos) continue;
    size_t pos = header.find(':', at + q.size());
    if (pos == std::string::npos) break;
    ++pos;
    while (pos < header.size() && std::isspace(static_cast<unsigned char>(header[pos]))) ++pos;
    return header.substr(pos);
  }
  P3D_THROW("npy '", what, "': header has no '", key, "' entry: ", header);
}

DType parse_descr(const std::string& header, const std::string& what) {
  const std::string v = dict_value(header, "descr", what);
  if (v.empty() || (v[0] != '\'' && v[0] != '"'))
    P3D_THROW("npy '", what, "': malformed descr in ", header);
  const size_t end = v.find(v[0], 1);
  if (end == std::string::npos) P3D_THROW("npy '", what, "': malformed descr in ", header);
  const std::string descr = v.substr(1, end - 1);
  for (const NpyDtype& d : kDtypes)
    if (descr == d.descr) return d.dtype;
  P3D_THROW("npy '", what, "': dtype '", descr,
            "' is not supported (little-endian float32 '<f4', float16 '<f2', int32 '<i4' or uint8 "
            "'|u1')");
}

bool parse_fortran_order(const std::string& header, const std::string& what) {
  const std::string v = dict_value(header, "fortran_order", what);
  if (v.compare(0, 5, "False") == 0) return false;
  if (v.compare(0, 4, "True") == 0) return true;
  P3D_THROW("npy '", what, "': malformed fortran_order in ", header);
}

Shape parse_shape(const std::string& header, const std::string& what) {
  const std::string v = dict_value(header, "shape", what);
  if (v.empty() || v[0] != '(') P3D_THROW("npy '", what, "': malformed shape in ", header);
  const size_t close = v.find(')');
  if (close == std::string::npos) P3D_THROW("npy '", what, "': malformed shape in ", header);
  std::vector<int64_t> dims;
  size_t pos = 1;
  while (pos < close) {
    while (pos < close && (std::isspace(static_cast<unsigned char>(v[pos])) || v[pos] == ','))
      ++pos;
    if (pos >= close) break;
    if (!std::isdigit(static_cast<unsigned char>(v[pos])))
      P3D_THROW("npy '", what, "': malformed shape in ", header);
    int64_t d = 0;
    while (pos < close && std::isdigit(static_cast<unsigned char>(v[pos]))) {
      const int digit = v[pos] - '0';
      if (d > (std::numeric_limits<int64_t>::max() - digit) / 10)
        P3D_THROW("npy '", what, "': shape dim overflows in ", header);
      d = d * 10 + digit;
      ++pos;
    }
    // numpy writes Python ints; a trailing 'L' comes from Python 2.
    if (pos < close && v[pos] == 'L') ++pos;
    dims.push_back(d);
  }
  return Shape(dims);
}

uint32_t read_le(const unsigned char* p, size_t bytes) {
  uint32_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}

}  // namespace

Tensor parse_npy(const std::string& bytes, const std::string& what) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < kMagicSize + 4 || std::memcmp(data, kMagic, kMagicSize) != 0)
    P3D_THROW("npy '", what, "': not a .npy file (no \\x93NUMPY magic)");
  const int major = data[6];
  if (major < 1 || major > 3)
    P3D_THROW("npy '", what, "': unsupported format version ", major, ".", int(data[7]));
  const size_t len_bytes = major == 1 ? 2 : 4;
  const size_t prefix = kMagicSize + 2 + len_bytes;
  if (bytes.size() < prefix) P3D_THROW("npy '", what, "': truncated header");
  const size_t header_len = read_le(data + kMagicSize + 2, len_bytes);
  if (bytes.size() - prefix < header_len)
    P3D_THROW("npy '", what, "': truncated header (", header_len, " bytes announced, ",
              bytes.size() - prefix, " present)");
  const std::string header = bytes.substr(prefix, header_len);

  const DType dtype = parse_descr(header, what);
  if (parse_fortran_order(header, what))
    P3D_THROW("npy '", what,
              "': fortran_order is True; only C-order arrays are supported "
              "(save np.ascontiguousarray(a))");
  const Shape shape = parse_shape(header, what);
  int64_t count = 0;
  try {
    count = shape.numel();
  } catch (const Error&) {
    P3D_THROW("npy '", what, "': shape ", shape.str(), " has too many elements");
  }
  const size_t elem = dtype_size(dtype);
  if (static_cast<uint64_t>(count) > std::numeric_limits<uint64_t>::max() / elem)
    P3D_THROW("npy '", what, "': shape ", shape.str(), " is too large");
  const size_t payload = static_cast<size_t>(count) * elem;
  const size_t available = bytes.size() - prefix - header_len;
  if (available != payload)
    P3D_THROW("npy '", what, "': data is ", available, " bytes, but shape ", shape.str(), " of ",
              dtype_name(dtype), " needs ", payload);
  Tensor t = Tensor::empty(shape, dtype);
  if (payload) std::memcpy(t.raw(), data + prefix + header_len, payload);
  return t;
}

Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) P3D_THROW("npy '", path, "': cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) P3D_THROW("npy '", path, "': read error");
  return parse_npy(buffer.str(), path);
}

std::string serialize_npy(const Tensor& tensor) {
  P3D_CHECK(tensor.device().kind == DeviceKind::CPU, "write_npy needs a host tensor, got ",
            tensor.str());
  const char* descr = nullptr;
  switch (tensor.dtype()) {
    case DType::F32:
      descr = "<f4";
      break;
    case DType::F16:
      descr = "<f2";
      break;
    case DType::I32:
      descr = "<i4";
      break;
    case DType::U8:
      descr = "|u1";
      break;
  }
  std::ostringstream dict;
  dict << "{'descr': '" << descr << "', 'fortran_order': False, 'shape': (";
  const int rank = tensor.shape().rank();
  for (int d = 0; d < rank; ++d) dict << (d ? ", " : "") << tensor.shape()[d];
  if (rank == 1) dict << ",";  // a Python 1-tuple
  dict << "), }";
  std::string header = dict.str();
  // Pad with spaces so that magic + version + length + header + '\n' is a multiple of 64.
  const size_t unpadded = kMagicSize + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  P3D_CHECK(header.size() <= 65535, "npy header too long for format 1.0");

  std::string out(kMagic, kMagicSize);
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(static_cast<const char*>(tensor.raw()), tensor.bytes());
  return out;
}

void write_npy(const std::string& path, const Tensor& tensor) {
  const std::string bytes = serialize_npy(tensor);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) P3D_THROW("npy '", path, "': cannot create file");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) P3D_THROW("npy '", path, "': write error");
}

}  // namespace p3d
