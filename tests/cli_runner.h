// Running the built `portrait3d` program from a test as a user would: found through P3D_CLI
// (environment) or the path CMake compiled in (P3D_CLI_PATH, set for tests named cli_*).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>

namespace p3d::test {

inline std::string cli_path() {
  const char* v = std::getenv("P3D_CLI");
  return v && *v ? std::string(v) : std::string(P3D_CLI_PATH);
}

// Single-quotes an argument for /bin/sh.
inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs the program with `args` (already quoted), capturing everything it prints.
inline CliResult run_cli(const std::string& args) {
  CliResult r;
  const std::string command = quote(cli_path()) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code =
      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return r;
}

// Expects the run to have failed (non-zero exit) with output that names every fragment.
inline void expect_failure_naming(const CliResult& r,
                                  std::initializer_list<std::string> fragments) {
  EXPECT_NE(r.exit_code, 0) << r.output;
  for (const std::string& f : fragments)
    EXPECT_NE(r.output.find(f), std::string::npos) << "no '" << f << "' in:\n" << r.output;
}

}  // namespace p3d::test
