// MAT v5 structure walk (mat_validate.h). A data element is an 8-byte tag (type, byte
// count) and its data, padded to 8 bytes; the "small" form packs a count of at most 4 bytes
// into the tag's upper half and the data into its second word. miCOMPRESSED elements are a
// zlib stream of one miMATRIX element, unpadded. Offsets in messages are byte offsets in the
// file, or in the inflated variable (said so) inside a compressed one.
#include "pipeline/mat_validate.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "kernels/error.h"

namespace p3d {
namespace {

// MAT v5 data types (the tag's type field).
enum : uint32_t {
  miINT8 = 1,
  miUINT8 = 2,
  miINT16 = 3,
  miUINT16 = 4,
  miINT32 = 5,
  miUINT32 = 6,
  miSINGLE = 7,
  miDOUBLE = 9,
  miINT64 = 12,
  miUINT64 = 13,
  miMATRIX = 14,
  miCOMPRESSED = 15,
  miUTF8 = 16,
  miUTF16 = 17,
  miUTF32 = 18,
};

// MATLAB array classes (the array flags' low byte).
enum : int {
  mxCELL = 1,
  mxSTRUCT = 2,
  mxOBJECT = 3,
  mxCHAR = 4,
  mxSPARSE = 5,
  mxDOUBLE = 6,
  mxUINT64 = 15,
  mxFUNCTION = 16,
  mxOPAQUE = 17,
};

// Cells and structs nest; a fuzzed file can nest them thousands deep.
constexpr int kMaxDepth = 32;

// Bytes per element of a numeric data type, 0 for others.
size_t numeric_size(uint32_t type) {
  switch (type) {
    case miINT8:
    case miUINT8:
      return 1;
    case miINT16:
    case miUINT16:
      return 2;
    case miINT32:
    case miUINT32:
    case miSINGLE:
      return 4;
    case miDOUBLE:
    case miINT64:
    case miUINT64:
      return 8;
    default:
      return 0;
  }
}

uint64_t round8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

// A read-only byte range in the file's byte order, with what names it for messages.
struct Bytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
  bool swap = false;  // big-endian file on this little-endian reader
  std::string in;     // "" for the file itself, " of the inflated variable ..." inside
  const std::string* file = nullptr;

  uint32_t u32(size_t at) const {
    uint32_t v;
    std::memcpy(&v, data + at, 4);
    return swap ? __builtin_bswap32(v) : v;
  }
  int32_t i32(size_t at) const { return static_cast<int32_t>(u32(at)); }
};

struct Tag {
  uint32_t type = 0;
  uint64_t bytes = 0;  // data byte count
  size_t data_at = 0;  // where the data starts
  uint64_t next = 0;   // where the next element starts (after padding)
};

// Reads the tag at `at`, whose element must end by `end`. `padded`: the element is followed
// by padding to 8 bytes (every element but miCOMPRESSED's).
Tag read_tag(const Bytes& b, size_t at, size_t end, const std::string& context, bool padded) {
  if (end - at < 8)
    P3D_THROW(*b.file, ": ", context, ": truncated: a data element's 8-byte tag at byte ", at, b.in,
              " has only ", end - at, " bytes left");
  Tag t;
  const uint32_t first = b.u32(at);
  if ((first >> 16) != 0) {  // small data element
    t.type = first & 0xFFFF;
    t.bytes = first >> 16;
    if (t.bytes > 4)
      P3D_THROW(*b.file, ": ", context, ": corrupt small data element at byte ", at, b.in,
                " (claims ", t.bytes, " bytes, at most 4 fit)");
    t.data_at = at + 4;
    t.next = at + 8;
    return t;
  }
  t.type = first;
  t.bytes = b.u32(at + 4);
  t.data_at = at + 8;
  const uint64_t left = end - t.data_at;
  if (t.bytes > left)
    P3D_THROW(*b.file, ": ", context, ": truncated: the data element at byte ", at, b.in,
              " declares ", t.bytes, " bytes, only ", left, " remain");
  t.next = t.data_at + (padded ? round8(t.bytes) : t.bytes);
  // Padding may be missing only at the very end of the enclosing element.
  if (t.next > end) t.next = end;
  return t;
}

std::string dims_text(const std::vector<uint64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
  return s;
}

class Walker {
 public:
  explicit Walker(const InputLimits& limits) : limits_(limits) {}

  // Checks the miMATRIX data in [begin, end) of `b`; `context` names the variable (or its
  // position) for messages; fills `info` at the top level.
  void matrix(const Bytes& b, size_t begin, size_t end, const std::string& context, int depth,
              MatVariableInfo* info) {
    if (depth > kMaxDepth)
      P3D_THROW(*b.file, ": ", context, ": cells or structs nested more than ", kMaxDepth, " deep");
    if (begin == end) return;  // an empty miMATRIX: MATLAB's [] inside cells
    // Array flags: miUINT32, 2 words (flags and class, nzmax).
    const Tag flags = read_tag(b, begin, end, context, true);
    if (flags.type != miUINT32 || flags.bytes != 8)
      P3D_THROW(*b.file, ": ", context, ": corrupt array flags (type ", flags.type, ", ",
                flags.bytes, " bytes; expected miUINT32, 8 bytes)");
    const uint32_t word = b.u32(flags.data_at);
    const int cls = static_cast<int>(word & 0xFF);
    const bool complex = (word & 0x0800) != 0;
    const uint32_t nzmax = b.u32(flags.data_at + 4);
    // Dimensions: miINT32, at least 2.
    const Tag dt = read_tag(b, flags.next, end, context, true);
    if (dt.type != miINT32 || dt.bytes < 8 || dt.bytes % 4 != 0)
      P3D_THROW(*b.file, ": ", context, ": corrupt dimensions (type ", dt.type, ", ", dt.bytes,
                " bytes; expected miINT32, at least 2 values)");
    std::vector<uint64_t> dims;
    uint64_t count = 1;
    for (uint64_t i = 0; i < dt.bytes / 4; ++i) {
      const int32_t d = b.i32(dt.data_at + 4 * i);
      if (d < 0) P3D_THROW(*b.file, ": ", context, ": negative dimension ", d);
      dims.push_back(static_cast<uint64_t>(d));
      count = saturating_mul(count, static_cast<uint64_t>(d));
    }
    // Name: miINT8 (some writers say miUINT8).
    const Tag nt = read_tag(b, dt.next, end, context, true);
    if (nt.type != miINT8 && nt.type != miUINT8)
      P3D_THROW(*b.file, ": ", context, ": corrupt array name (type ", nt.type, ")");
    std::string name(reinterpret_cast<const char*>(b.data + nt.data_at), nt.bytes);
    const std::string where = depth == 0 && !name.empty() ? "variable '" + name + "'" : context;
    if (info) {
      info->name = name;
      info->mx_class = cls;
      info->complex = complex;
      info->dims = dims;
    }
    size_t at = nt.next;
    const std::string declared = "an array of " + dims_text(dims);

    if (cls >= mxDOUBLE && cls <= mxUINT64) {
      limits_.check(saturating_mul(count, 8), *b.file + ": " + where, declared);
      at = numeric_part(b, at, end, where, count, "real");
      if (complex) at = numeric_part(b, at, end, where, count, "imaginary");
    } else if (cls == mxCHAR) {
      limits_.check(saturating_mul(count, 8), *b.file + ": " + where, declared);
      const Tag t = read_tag(b, at, end, where, true);
      size_t width = numeric_size(t.type);
      if (t.type == miUTF16) width = 2;
      if (t.type == miUTF32) width = 4;
      // UTF-8 is variable-width: at least one byte per character.
      const bool short_data = t.type == miUTF8
                                  ? t.bytes < count
                                  : width == 0 || t.bytes % width != 0 || t.bytes / width != count;
      if (short_data)
        P3D_THROW(*b.file, ": ", where, ": char data of ", t.bytes, " bytes (type ", t.type,
                  ") does not hold the ", count, " characters its dims ", dims_text(dims),
                  " declare");
      at = t.next;
    } else if (cls == mxSPARSE) {
      if (dims.size() != 2) P3D_THROW(*b.file, ": ", where, ": sparse array of rank ", dims.size());
      const Tag ir = read_tag(b, at, end, where, true);
      const Tag jc = read_tag(b, ir.next, end, where, true);
      if (ir.type != miINT32 || jc.type != miINT32 || ir.bytes / 4 > nzmax + uint64_t{1} ||
          jc.bytes != (dims[1] + 1) * 4)
        P3D_THROW(*b.file, ": ", where, ": corrupt sparse indices (", ir.bytes / 4, " row ids, ",
                  jc.bytes / 4, " column starts for ", dims[1], " columns, nzmax ", nzmax, ")");
      at = jc.next;
      const uint64_t nnz = ir.bytes / 4;
      for (int part = 0; part < (complex ? 2 : 1); ++part) {
        const Tag pr = read_tag(b, at, end, where, true);
        const size_t size = numeric_size(pr.type);
        if (size == 0 || pr.bytes % size != 0 || pr.bytes / size > nnz)
          P3D_THROW(*b.file, ": ", where, ": corrupt sparse values (", pr.bytes, " bytes of type ",
                    pr.type, " for ", nnz, " entries)");
        at = pr.next;
      }
    } else if (cls == mxCELL) {
      if (count > (end - at) / 8)
        P3D_THROW(*b.file, ": ", where, ": truncated: a cell of ", dims_text(dims), " needs ",
                  count, " elements, only ", end - at, " bytes remain");
      for (uint64_t i = 0; i < count; ++i) at = child(b, at, end, where, i, depth);
    } else if (cls == mxSTRUCT || cls == mxOBJECT) {
      if (cls == mxOBJECT) {
        const Tag cn = read_tag(b, at, end, where, true);
        if (cn.type != miINT8) P3D_THROW(*b.file, ": ", where, ": corrupt object class name");
        at = cn.next;
      }
      const Tag len = read_tag(b, at, end, where, true);
      if (len.type != miINT32 || len.bytes != 4)
        P3D_THROW(*b.file, ": ", where, ": corrupt struct field-name length");
      const int32_t field_len = b.i32(len.data_at);
      const Tag names = read_tag(b, len.next, end, where, true);
      if (names.type != miINT8 || field_len < 0 ||
          (field_len == 0 ? names.bytes != 0 : names.bytes % field_len != 0))
        P3D_THROW(*b.file, ": ", where, ": corrupt struct field names (", names.bytes,
                  " bytes for names of ", field_len, ")");
      at = names.next;
      const uint64_t fields = field_len == 0 ? 0 : names.bytes / static_cast<uint64_t>(field_len);
      const uint64_t children = saturating_mul(count, fields);
      if (children > (end - at) / 8)
        P3D_THROW(*b.file, ": ", where, ": truncated: a struct of ", dims_text(dims), " with ",
                  fields, " fields needs ", children, " elements, only ", end - at,
                  " bytes remain");
      for (uint64_t i = 0; i < children; ++i) at = child(b, at, end, where, i, depth);
    } else if (cls == mxFUNCTION || cls == mxOPAQUE) {
      // MATLAB-only payloads nobody here reads, but matio reads their info like a cell's:
      // one pointer per element of the dims, allocated before any data is looked at (a
      // fuzzed 288-byte file declared 65547 x 3584 of them: a 1.9 GB allocation). Their dims
      // must be backed by bytes as a cell's are; the rest was checked by the enclosing size.
      limits_.check(saturating_mul(count, 8), *b.file + ": " + where, declared);
      if (count > (end - at) / 8)
        P3D_THROW(*b.file, ": ", where, ": truncated: a ",
                  cls == mxFUNCTION ? "function handle" : "MATLAB object", " of ", dims_text(dims),
                  " needs ", count, " elements, only ", end - at, " bytes remain");
      return;
    } else {
      P3D_THROW(*b.file, ": ", where, ": unknown array class ", cls);
    }
    // Only padding may follow the last part.
    if (at < end)
      P3D_THROW(*b.file, ": ", where, ": ", end - at,
                " unexpected bytes after the array's data (corrupt element sizes)");
  }

 private:
  // One numeric data element that must hold exactly `count` elements.
  size_t numeric_part(const Bytes& b, size_t at, size_t end, const std::string& where,
                      uint64_t count, const char* part) {
    const Tag t = read_tag(b, at, end, where, true);
    const size_t size = numeric_size(t.type);
    if (size == 0)
      P3D_THROW(*b.file, ": ", where, ": ", part, " data has non-numeric type ", t.type);
    if (t.bytes % size != 0 || t.bytes / size != count)
      P3D_THROW(*b.file, ": ", where, ": ", part, " data holds ", t.bytes,
                " bytes = ", static_cast<double>(t.bytes) / size, " elements of ", size,
                " bytes, but its dims declare ", count, " elements");
    return t.next;
  }

  // A cell's or struct's element: a whole miMATRIX.
  size_t child(const Bytes& b, size_t at, size_t end, const std::string& where, uint64_t i,
               int depth) {
    const std::string context = where + " element " + std::to_string(i);
    const Tag t = read_tag(b, at, end, context, true);
    if (t.type != miMATRIX)
      P3D_THROW(*b.file, ": ", context, ": expected miMATRIX, got type ", t.type);
    matrix(b, t.data_at, t.data_at + t.bytes, context, depth + 1, nullptr);
    return t.next;
  }

  const InputLimits& limits_;
};

const char* zlib_reason(int rc, const z_stream& z) {
  if (z.msg) return z.msg;
  return rc == Z_MEM_ERROR ? "out of memory" : "error";
}

// Inflates an miCOMPRESSED element's data into `out` (its one miMATRIX element, tag included),
// requiring the stream to end exactly at the element's end.
void inflate_element(const uint8_t* data, size_t size, const std::string& file,
                     const std::string& context, const InputLimits& limits, bool swap,
                     std::vector<uint8_t>& out) {
  z_stream z;
  std::memset(&z, 0, sizeof z);
  if (inflateInit(&z) != Z_OK) P3D_THROW(file, ": ", context, ": zlib initialisation failed");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&z};
  z.next_in = const_cast<Bytef*>(data);
  // avail_in is 32-bit, as is the element's size field.
  z.avail_in = static_cast<uInt>(size);
  auto fail = [&](int rc, uint64_t inflated, uint64_t want) {
    const uint64_t used = size - z.avail_in;
    if (rc == Z_BUF_ERROR || (rc == Z_OK && z.avail_in == 0))
      P3D_THROW(file, ": ", context, ": compressed stream ended early: all ", size,
                " compressed bytes used, ", inflated, " of ", want,
                " bytes inflated (truncated or corrupt file)");
    if (rc == Z_DATA_ERROR && z.msg && std::strcmp(z.msg, "incorrect data check") == 0)
      P3D_THROW(file, ": ", context,
                ": checksum mismatch: the inflated data fails zlib's adler32 "
                "check (corrupt compressed data)");
    if (rc == Z_NEED_DICT)
      P3D_THROW(file, ": ", context,
                ": corrupt compressed data (the zlib stream asks for a "
                "preset dictionary)");
    P3D_THROW(file, ": ", context, ": corrupt compressed data after ", used, " of ", size,
              " bytes (zlib: ", zlib_reason(rc, z), ")");
  };
  // The first 8 inflated bytes are the miMATRIX tag: its size bounds the buffer.
  uint8_t tag[8];
  z.next_out = tag;
  z.avail_out = 8;
  while (z.avail_out > 0) {
    const int rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK) fail(rc, 8 - z.avail_out, 8);
    if (z.avail_in == 0 && z.avail_out > 0) fail(Z_BUF_ERROR, 8 - z.avail_out, 8);
  }
  if (z.avail_out > 0)
    P3D_THROW(file, ": ", context, ": the compressed stream inflates to only ", 8 - z.avail_out,
              " bytes, not a whole data element");
  uint32_t type, bytes;
  std::memcpy(&type, tag, 4);
  std::memcpy(&bytes, tag + 4, 4);
  if (swap) type = __builtin_bswap32(type), bytes = __builtin_bswap32(bytes);
  if (type != miMATRIX)
    P3D_THROW(file, ": ", context, ": the compressed element holds type ", type,
              ", expected miMATRIX (corrupt compressed data)");
  limits.check(
      uint64_t{8} + bytes, file + ": " + context,
      "a compressed variable inflating to " + std::to_string(uint64_t{8} + bytes) + " bytes");
  out.resize(uint64_t{8} + bytes);
  std::memcpy(out.data(), tag, 8);
  z.next_out = out.data() + 8;
  z.avail_out = bytes;
  int rc = Z_OK;
  while (true) {
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && z.avail_out == 0) {
      // The buffer is full: the stream must end here, with no further output.
      uint8_t extra;
      z.next_out = &extra;
      z.avail_out = 1;
      rc = inflate(&z, Z_NO_FLUSH);
      if (rc == Z_STREAM_END && z.avail_out == 1) break;
      if (z.avail_out == 0)
        P3D_THROW(file, ": ", context, ": the compressed stream inflates to more than the ",
                  out.size(), " bytes its variable declares (corrupt element size)");
      fail(rc, out.size(), out.size());
    }
    if (rc != Z_OK) fail(rc, out.size() - z.avail_out, out.size());
    if (z.avail_in == 0 && z.avail_out > 0) fail(Z_BUF_ERROR, out.size() - z.avail_out, out.size());
  }
  if (z.avail_out != 0)
    P3D_THROW(file, ": ", context, ": the compressed stream ends after ", out.size() - z.avail_out,
              " bytes, short of the ", out.size(),
              " its variable declares (element count short of the header's)");
  if (z.avail_in != 0)
    P3D_THROW(file, ": ", context, ": ", z.avail_in,
              " stray bytes after the end of the compressed stream (corrupt element size)");
}

}  // namespace

MatFileInfo validate_mat_bytes(const uint8_t* data, size_t size, const std::string& what,
                               const InputLimits& limits) {
  MatFileInfo info;
  // "cannot open" as MatReader says when matio refuses a file outright.
  if (size == 0) P3D_THROW(what, ": cannot open as a MATLAB .mat file: the file is empty");
  if (size < 128)
    P3D_THROW(what, ": cannot open as a MATLAB .mat file: ", size,
              " bytes, shorter than the 128-byte header (truncated, or not a MAT file)");
  const uint16_t version_le = static_cast<uint16_t>(data[124] | (data[125] << 8));
  const bool little = data[126] == 'I' && data[127] == 'M';
  const bool big = data[126] == 'M' && data[127] == 'I';
  if (!little && !big)
    P3D_THROW(what,
              ": cannot open as a MATLAB .mat file: no v5 endian indicator in the header "
              "(not a MAT file, or a v4 one, which is not supported)");
  const uint16_t version =
      little ? version_le : static_cast<uint16_t>((version_le >> 8) | (version_le << 8));
  if (version == 0x0200) {  // v7.3: HDF5 with a MATLAB header block
    info.hdf5 = true;
    return info;
  }
  if (version != 0x0100)
    P3D_THROW(what, ": unsupported MAT-file version 0x", std::hex, version,
              " in the header (corrupt header?)");

  Bytes file{data, size, big, "", &what};
  Walker walker(limits);
  size_t at = 128;
  for (int index = 1; at < size; ++index) {
    const std::string context =
        "variable #" + std::to_string(index) + " (at byte " + std::to_string(at) + ")";
    // Peek the type to know whether the element is padded (miCOMPRESSED is not).
    const bool compressed = size - at >= 8 && file.u32(at) == miCOMPRESSED;
    const Tag t = read_tag(file, at, size, context, !compressed);
    MatVariableInfo var;
    var.compressed = compressed;
    if (compressed) {
      std::vector<uint8_t> inflated;
      inflate_element(data + t.data_at, t.bytes, what, context, limits, big, inflated);
      Bytes inner{inflated.data(), inflated.size(), big, " of the inflated data of " + context,
                  &what};
      walker.matrix(inner, 8, inflated.size(), context, 0, &var);
    } else if (t.type == miMATRIX) {
      walker.matrix(file, t.data_at, t.data_at + t.bytes, context, 0, &var);
    } else {
      P3D_THROW(what, ": ", context, ": unexpected data element type ", t.type,
                " at the top level (expected miMATRIX or miCOMPRESSED; corrupt file)");
    }
    info.variables.push_back(std::move(var));
    at = t.next;
  }
  return info;
}

MatFileInfo validate_mat_file(const std::string& path, const InputLimits& limits) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) P3D_THROW(path, ": cannot open (", std::strerror(errno), ")");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    P3D_THROW(path, ": cannot stat (", std::strerror(err), ")");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return validate_mat_bytes(nullptr, 0, path, limits);  // throws "empty"
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  if (map == MAP_FAILED) P3D_THROW(path, ": cannot map the file (", std::strerror(err), ")");
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() { ::munmap(p, n); }
  } unmap{map, size};
  return validate_mat_bytes(static_cast<const uint8_t*>(map), size, path, limits);
}

}  // namespace p3d
