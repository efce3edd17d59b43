#!/usr/bin/env bash
# Creates .venv-ort (gitignored) for tools/ort_compare: ONNX Runtime, onnx and tf2onnx from
# tools/ort_compare/requirements.txt. TensorFlow (needed only by tf2onnx to convert) is taken
# from .venv-tf, which tools/make_tf_fixtures.sh creates, through a .pth file rather than
# installed a second time (2 GB); without .venv-tf it is installed here from
# tools/requirements-fixtures.txt. Reinstalls when requirements.txt changes. Needs PyPI.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$repo/.venv-ort"
requirements="$repo/tools/ort_compare/requirements.txt"
stamp="$venv/.installed-requirements.txt"

if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
if [ -x "$repo/.venv-tf/bin/python" ]; then
  tf_site="$("$repo/.venv-tf/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  # Appended to sys.path after the venv's own site-packages: TF, numpy and protobuf come
  # from .venv-tf unless requirements.txt pins something else here.
  echo "$tf_site" > "$site/p3d-venv-tf.pth"
elif ! "$venv/bin/python" -c 'import tensorflow' 2>/dev/null; then
  "$venv/bin/python" -m pip install --quiet -r "$repo/tools/requirements-fixtures.txt"
fi
if ! cmp -s "$requirements" "$stamp"; then
  "$venv/bin/python" -m pip install --quiet -r "$requirements"
  cp "$requirements" "$stamp"
fi
"$venv/bin/python" -c 'import onnxruntime, tf2onnx, tensorflow as tf; print("ort venv: onnxruntime", onnxruntime.__version__, "tf2onnx", tf2onnx.__version__, "tensorflow", tf.__version__)' 2>/dev/null
