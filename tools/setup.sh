#!/usr/bin/env bash
# Installs the Debian packages portrait3d builds against. Safe to run again.
# The CUDA toolkit (nvcc, cuDNN, cuBLAS) is expected under /usr/local/cuda when present;
# without it the build is CPU-only.
set -euo pipefail
packages=(
  cmake ninja-build g++ ccache pkg-config
  libeigen3-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
  clang libclang-rt-dev clang-format  # clang-format: tools/check_format.sh
  protobuf-compiler libprotobuf-dev
  libmatio-dev libstb-dev
  libdeflate-dev       # PNG compression (pipeline/png_encode.cpp)
  libjpeg62-turbo-dev  # JPEG decoding as cv2.imread does it (libjpeg-turbo)
  libcgal-dev          # the tests' Delaunay reference (never linked into the library)
  libdlib-dev libdlib-data  # face detection and the 68-point landmark model for bare photos
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi
