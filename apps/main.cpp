// portrait3d command-line program: dispatches to one subcommand (apps/*_command.cpp).
// Every error reaches the user as one line naming what failed, never a crash.
#include <cstdio>
#include <exception>
#include <vector>

#include "apps/commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "portrait3d: one portrait photo to a 3D head mesh (Deep 3D Portrait), "
      "with its own CPU and CUDA inference engine"};
  app.require_subcommand(1);
  std::vector<p3d::app::Command> commands;
  commands.push_back(p3d::app::add_demo_command(app));
  commands.push_back(p3d::app::add_selftest_command(app));
  commands.push_back(p3d::app::add_inspect_command(app));
  commands.push_back(p3d::app::add_infer_command(app));
  commands.push_back(p3d::app::add_run_command(app));
  commands.push_back(p3d::app::add_bench_command(app));
  commands.push_back(p3d::app::add_make_face_model_command(app));
  CLI11_PARSE(app, argc, argv);
  try {
    for (const auto& command : commands)
      if (command.parser->parsed()) return command.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "portrait3d: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
