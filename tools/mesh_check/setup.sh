#!/usr/bin/env bash
# Creates (or updates) the mesh checker's virtual environment .venv-mesh at the repository
# root with the pinned readers of tools/mesh_check/requirements.txt, from PyPI. Safe to run
# again; prints the python to use (tools/test.sh exports it as P3D_MESH_CHECK_PYTHON).
#
#   tools/mesh_check/setup.sh && .venv-mesh/bin/python tools/mesh_check/check_meshes.py A.obj A.ply A.glb
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.venv-mesh"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  echo "mesh check setup: creating $venv" >&2
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet -r "$root/tools/mesh_check/requirements.txt" >&2
"$venv/bin/python" - >&2 <<'PY'
import numpy, pygltflib, trimesh
print(f"mesh check setup: numpy {numpy.__version__}, trimesh {trimesh.__version__}, "
      f"pygltflib {pygltflib.__version__ if hasattr(pygltflib, '__version__') else '?'}")
PY
echo "$venv/bin/python"
