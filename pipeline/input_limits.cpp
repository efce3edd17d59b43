// The process-wide input cap (input_limits.h).
#include "pipeline/input_limits.h"

#include <cstdlib>

#include "kernels/error.h"

namespace p3d {
namespace {

InputLimits from_environment() {
  InputLimits limits;
  const char* v = std::getenv("P3D_MAX_INPUT_BYTES");
  if (v == nullptr || *v == '\0') return limits;
  char* end = nullptr;
  const unsigned long long bytes = std::strtoull(v, &end, 10);
  if (*end != '\0' || bytes == 0 || v[0] == '-')
    P3D_THROW("P3D_MAX_INPUT_BYTES='", v, "': expected a positive number of bytes");
  limits.max_bytes = bytes;
  return limits;
}

InputLimits& process_limits() {
  static InputLimits limits = from_environment();
  return limits;
}

}  // namespace

void InputLimits::check(uint64_t bytes, const std::string& what,
                        const std::string& declared) const {
  if (bytes <= max_bytes) return;
  P3D_THROW(what, ": ", declared, " needs ",
            bytes == UINT64_MAX ? std::string("more than 2^64") : std::to_string(bytes),
            " bytes, more than the input cap of ", max_bytes,
            " bytes (P3D_MAX_INPUT_BYTES): refused before allocating");
}

const InputLimits& input_limits() { return process_limits(); }

void set_input_limits(const InputLimits& limits) { process_limits() = limits; }

}  // namespace p3d
