// Where the tests find the source tree (fixtures under tests/fixtures/) and the shared data
// folder beside the checkout (seed examples, face-model index files), so every test resolves
// them the same way: $P3D_SOURCE_DIR (ctest sets it), else this file's grandparent folder;
// $P3D_SHARED_DIR, else <source>/../shared.
#pragma once

#include <cstdlib>
#include <filesystem>

namespace p3d::test {

inline std::filesystem::path source_dir() {
  if (const char* env = std::getenv("P3D_SOURCE_DIR")) return env;
  return std::filesystem::path(__FILE__).parent_path().parent_path();
}

inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("P3D_SHARED_DIR")) return env;
  return source_dir().parent_path() / "shared";
}

inline std::filesystem::path fixture_dir(const char* name) {
  return source_dir() / "tests" / "fixtures" / name;
}

}  // namespace p3d::test
