#include "kernels/error.h"

#include <cstring>

namespace p3d::detail {

void throw_error(const char* file, int line, const std::string& message) {
  // Keep only the path below the source root: the message should be short and stable.
  const char* shown = file;
  for (const char* root :
       {"/kernels/", "/engine/", "/importer/", "/pipeline/", "/apps/", "/tests/"}) {
    if (const char* at = std::strstr(file, root)) {
      shown = at + 1;
      break;
    }
  }
  throw Error(message + " [" + shown + ":" + std::to_string(line) + "]");
}

}  // namespace p3d::detail
