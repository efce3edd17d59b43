// Manifest parsing (run_manifest.h).
#include "apps/run_manifest.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "kernels/error.h"

namespace p3d::app {

namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  if (line.find('\t') != std::string::npos) {
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, '\t'))
      if (!trim(f).empty()) out.push_back(trim(f));
  } else {
    std::stringstream ss(line);
    std::string f;
    while (ss >> f) out.push_back(f);
  }
  return out;
}

}  // namespace

std::vector<ManifestEntry> parse_manifest(const std::string& text, const std::string& base_dir,
                                          const std::string& what) {
  std::vector<ManifestEntry> out;
  std::stringstream ss(text);
  std::string line;
  int number = 0;
  while (std::getline(ss, line)) {
    ++number;
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line = line.substr(0, hash);
    const std::vector<std::string> fields = split_fields(line);
    if (fields.empty()) continue;
    P3D_CHECK(fields.size() <= 3, what, ":", number, ": ", fields.size(),
              " fields; expected PHOTO [LANDMARKS [MASK]] (tab-separated when paths hold spaces)");
    const auto resolve = [&](const std::string& p) {
      return fs::path(p).is_absolute() ? p : (fs::path(base_dir) / p).lexically_normal().string();
    };
    ManifestEntry e;
    e.line = number;
    e.photo = resolve(fields[0]);
    if (fields.size() > 1) e.landmarks = resolve(fields[1]);
    if (fields.size() > 2) e.mask = resolve(fields[2]);
    out.push_back(e);
  }
  P3D_CHECK(!out.empty(), what, ": the manifest lists no photo");
  return out;
}

std::vector<ManifestEntry> read_manifest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  P3D_CHECK(in.good(), path, ": cannot read the manifest");
  std::stringstream text;
  text << in.rdbuf();
  return parse_manifest(text.str(), fs::path(path).parent_path().string(), path);
}

}  // namespace p3d::app
