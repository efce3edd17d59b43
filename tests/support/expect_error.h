// expect_error(f, {"part", ...}): runs f and expects a p3d::Error whose message contains
// every part — the shape of every "bad input gets a clear message" test. error_message(f):
// the message itself, for tests that check more of it.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "kernels/error.h"

namespace p3d::test {

template <typename F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "expected p3d::Error";
  } catch (const Error& e) {
    for (const std::string& part : parts)
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << "message lacks \"" << part << "\": " << e.what();
  }
}

// The message of the p3d::Error that f throws; empty when it throws none.
template <typename F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return std::string();
}

}  // namespace p3d::test
