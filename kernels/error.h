// The one error type of the library and the check macros that throw it. It lives in
// kernels/, the bottom layer, so every layer above (engine, importer, pipeline, apps) and the
// kernels themselves share it without a dependency pointing upwards.
// An Error says what failed and where: the failing statement or condition, the source
// location, and the context the caller adds (file, node, op, shape).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace p3d {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
// Streams any number of values into one string: P3D_THROW("node ", name, ": bad shape").
template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}
[[noreturn]] void throw_error(const char* file, int line, const std::string& message);
}  // namespace detail

}  // namespace p3d

// Throws p3d::Error with the message built from the arguments and the source location.
#define P3D_THROW(...) \
  ::p3d::detail::throw_error(__FILE__, __LINE__, ::p3d::detail::concat(__VA_ARGS__))

// Throws when `cond` is false, naming the condition. Active in every build type.
#define P3D_CHECK(cond, ...)                                                                      \
  do {                                                                                            \
    if (!(cond))                                                                                  \
      ::p3d::detail::throw_error(                                                                 \
          __FILE__, __LINE__, ::p3d::detail::concat("check failed: " #cond ": ", ##__VA_ARGS__)); \
  } while (0)
