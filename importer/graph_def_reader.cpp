// GraphDef file reading and parsing (see graph_def_reader.h).
#include "importer/graph_def_reader.h"

#include <google/protobuf/stubs/logging.h>

#include <fstream>

#include "kernels/error.h"

namespace p3d::tfimport {

std::string read_graph_file(const std::string& path, uint64_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) P3D_THROW("tensorflow graph '", path, "': cannot open file");
  const std::streamoff size = in.tellg();
  if (size < 0) P3D_THROW("tensorflow graph '", path, "': cannot determine the file size");
  if (static_cast<uint64_t>(size) > max_bytes)
    P3D_THROW("tensorflow graph '", path, "': file is ", size, " bytes, over the size cap of ",
              max_bytes, " bytes (raise TfImportOptions::max_file_bytes if the file is trusted)");
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (size > 0 && !in.read(&bytes[0], size))
    P3D_THROW("tensorflow graph '", path, "': read error after ", in.gcount(), " of ", size,
              " bytes");
  return bytes;
}

tf::GraphDef parse_graph_def(const std::string& bytes, const std::string& source,
                             uint64_t max_bytes) {
  if (bytes.size() > max_bytes)
    P3D_THROW("tensorflow graph '", source, "': ", bytes.size(), " bytes, over the size cap of ",
              max_bytes, " bytes");
  if (bytes.size() > kProtobufMaxBytes)
    P3D_THROW("tensorflow graph '", source, "': ", bytes.size(),
              " bytes; protobuf cannot parse messages of 2 GiB or more");
  if (bytes.empty()) P3D_THROW("tensorflow graph '", source, "': file is empty");
  tf::GraphDef def;
  // Protobuf would also print its own complaint (e.g. invalid UTF-8 in a name) to stderr;
  // the Error below is the one report the caller gets.
  const google::protobuf::LogSilencer quiet;
  if (!def.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    P3D_THROW("tensorflow graph '", source, "': not a valid GraphDef (", bytes.size(),
              " bytes that protobuf cannot parse: truncated, corrupt, or not a frozen .pb graph)");
  return def;
}

}  // namespace p3d::tfimport
