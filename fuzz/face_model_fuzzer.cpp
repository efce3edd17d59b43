// libFuzzer target for the face-model path: the input is written as each of the four files
// of a face-model folder (BFM_model_front.mat, similarity_Lm3D_all.mat, center.mat,
// border_index.mat) and read with load_face_model, and separately as the auxiliaries alone
// (load_face_model_auxiliaries), so each reader's variable checks (names, shapes, classes,
// index ranges) see the fuzzed structure. Seeded with the small fake BFM fixture and masks.
//
// p3d::Error is the documented refusal; anything else is a finding (see mat_fuzzer.cpp).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz/fuzz_support.h"
#include "kernels/error.h"
#include "pipeline/face_model.h"

namespace {

std::filesystem::path folder;

void write_file(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  p3d::fuzz::set_fuzz_limits();
  // One folder per process, on tmpfs when there is one (four small writes per input).
  const std::filesystem::path base = std::filesystem::is_directory("/dev/shm")
                                         ? "/dev/shm"
                                         : std::filesystem::temp_directory_path();
  folder = base / ("p3d_face_model_fuzz_" + std::to_string(getpid()));
  std::filesystem::create_directories(folder);
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(folder, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (const char* name :
       {"BFM_model_front.mat", "similarity_Lm3D_all.mat", "center.mat", "border_index.mat"})
    write_file(folder / name, data, size);
  try {
    (void)p3d::load_face_model(folder.string());
  } catch (const p3d::Error&) {
  }
  try {
    p3d::FaceModel m;
    p3d::load_face_model_auxiliaries(folder.string(), m);
  } catch (const p3d::Error&) {
  }
  return 0;
}
