#!/usr/bin/env bash
# Regenerates the TensorFlow golden fixtures (tests/fixtures/tf/) with TensorFlow itself.
#
#   tools/make_tf_fixtures.sh                 # committed fixtures, then verifies them
#   tools/make_tf_fixtures.sh --full          # + full-size R-Net / depth net in build-fixtures/tf
#   tools/make_tf_fixtures.sh --only relu     # one fixture (repeatable); --list shows names
#   tools/make_tf_fixtures.sh verify [DIR...] # only re-check existing fixtures
#
# Creates the virtual environment .venv-tf in the repo root (gitignored, ~2 GB) on first use
# and reinstalls it whenever tools/requirements-fixtures.txt changes. Needs a Python with venv
# that TF 2.21 ships wheels for (tested: 3.11; set PYTHON=... to pick one) and PyPI on first
# use. `protoc`
# (Debian: protobuf-compiler), when installed, lets the check also parse every graph.pb with
# importer/tensorflow_graph.proto. Nothing here is needed to build or test portrait3d.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv-tf"
requirements="$repo/tools/requirements-fixtures.txt"
stamp="$venv/.installed-requirements.txt"

if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
if ! cmp -s "$requirements" "$stamp"; then
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r "$requirements"
  cp "$requirements" "$stamp"
fi

export TF_CPP_MIN_LOG_LEVEL=2  # hide TensorFlow's CUDA-probing and oneDNN notices
tools="$repo/tools/tf_fixtures"
if [ "${1:-}" = "verify" ]; then
  shift
  exec "$venv/bin/python" "$tools/verify.py" "$@"
fi
exec "$venv/bin/python" "$tools/generate.py" "$@"
