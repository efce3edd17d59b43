#!/usr/bin/env bash
# Builds portrait3d and runs every test suite: the Release build (with the CUDA backend
# compiled when nvcc is present; its GPU tests skip without a GPU) and an
# AddressSanitizer + UndefinedBehaviorSanitizer build of the CPU code.
#   P3D_CUDA_ARCHITECTURES  CUDA architectures to compile (default "80;90")
# It first fails fast when a source is not clang-formatted (tools/check_format.sh).
#   P3D_SKIP_SANITIZE=1     skip the sanitizer build (quicker local runs)
#   P3D_SKIP_FUZZ=1         skip fuzzing the input parsers (tools/fuzz.sh; P3D_FUZZ_SECONDS per target, default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh

echo "== Source format (clang-format) =="
tools/check_format.sh

jobs=$(nproc)
archs="${P3D_CUDA_ARCHITECTURES:-80;90}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)

# The independent mesh readers (trimesh, pygltflib) for mesh_export_test; without them (no
# PyPI) that one test skips with the reason.
if mesh_python="$(tools/mesh_check/setup.sh)"; then
  export P3D_MESH_CHECK_PYTHON="$mesh_python"
else
  echo "mesh check setup failed: mesh_export_test's independent-reader check will skip"
fi

echo "== Release build (build/) =="
cmake -S . -B build -G Ninja "${launcher[@]}" -DCMAKE_CUDA_ARCHITECTURES="$archs"
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== The installed package: examples/ built against it (build-install/, build-example/) =="
rm -rf build-install
cmake --install build --prefix build-install > /dev/null
cmake -S examples -B build-example -G Ninja "${launcher[@]}" -DCMAKE_PREFIX_PATH="$PWD/build-install" > /dev/null
cmake --build build-example -j "$jobs"
if [ -d ../shared/seed-examples ]; then
  # Two seed portraits through the example with the committed stand-in networks.
  example_in=build-example/seeds && rm -rf "$example_in" && mkdir -p "$example_in"
  for name in 12_1254 26_0273; do
    cp ../shared/seed-examples/"$name".* ../shared/seed-examples/"$name"_landmark.txt "$example_in"/
  done
  build/apps/portrait3d make-face-model --out build-example/bfm > /dev/null
  P3D_EXAMPLE_ZERO_COEFFS=1 build-example/reconstruct_folder tests/fixtures/tf/rnet_reduced/graph.pb \
    tests/fixtures/tf/depth_net_reduced/graph.pb build-example/bfm "$example_in" build-example/out
else
  echo "example: ../shared/seed-examples absent, built but not run"
fi

if [ "${P3D_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== ASan + UBSan build of the CPU code (build-asan/) =="
  cmake -S . -B build-asan -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DP3D_CUDA=OFF -DP3D_SANITIZE=ON -DP3D_BUILD_BENCHMARKS=OFF
  cmake --build build-asan -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"
fi

if [ "${P3D_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== libFuzzer runs of the importer and the input parsers (build-fuzz/) =="
  tools/fuzz.sh
fi
