// expect_error(f, {"part", ...}): runs f and expects a p3d::Error whose message contains
// every part — the shape of every "bad input gets a clear message" test.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "kernels/error.h"

namespace p3d::test {

template <typename F>
void expect_error(F&& f, std::initializer_list<const char*> parts) {
  try {
    f();
    ADD_FAILURE() << "expected p3d::Error";
  } catch (const Error& e) {
    for (const char* part : parts)
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << "message lacks \"" << part << "\": " << e.what();
  }
}

}  // namespace p3d::test
