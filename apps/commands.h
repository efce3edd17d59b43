// The subcommands of the `portrait3d` program. Each adds its CLI11 subcommand with its
// options and returns it with the function that runs it (returning the exit code).
// One file per command.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace p3d::app {

struct Command {
  CLI::App* parser = nullptr;
  std::function<int()> run;
};

Command add_selftest_command(CLI::App& app);
Command add_inspect_command(CLI::App& app);
Command add_infer_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_make_face_model_command(CLI::App& app);
Command add_demo_command(CLI::App& app);
Command add_bench_command(CLI::App& app);

}  // namespace p3d::app
