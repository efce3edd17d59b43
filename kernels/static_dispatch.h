// From a value known at run time to a kernel specialised for it at compile time: the
// kernels are templates on their op, kind, element type or rank (one tight loop each), and
// every entry point has to pick the instance that matches its params. with_constant does
// that pick once for all of them instead of a switch per entry point:
//
//   with_constant<ReduceKind, ReduceKind::Sum, ReduceKind::Max>(p.kind, [&](auto kind) {
//     launch<decltype(kind)::value>(p);
//   });
//
// calls the function with std::integral_constant<T, v> for the listed v equal to `value`
// and returns true, or returns false when `value` is none of them (an unknown enum value,
// a rank out of range) for the caller to report.
#pragma once

#include <type_traits>

namespace p3d {

template <typename T, T... kValues, typename F>
bool with_constant(T value, F&& f) {
  return ((value == kValues && (f(std::integral_constant<T, kValues>{}), true)) || ...);
}

}  // namespace p3d
