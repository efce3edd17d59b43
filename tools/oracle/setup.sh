#!/usr/bin/env bash
# Creates (or updates) the oracles' virtual environment .venv-oracle at the repository root
# with the pinned packages of tools/oracle/requirements.txt, from PyPI. Safe to run again.
#
#   tools/oracle/setup.sh            # then e.g.
#   .venv-oracle/bin/python tools/oracle/alignment.py fixture
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.venv-oracle"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  echo "oracle setup: creating $venv"
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$root/tools/oracle/requirements.txt"
"$venv/bin/python" - <<'PY'
import cv2, numpy, PIL, scipy, skimage
print(f"oracle setup: numpy {numpy.__version__}, scipy {scipy.__version__}, "
      f"opencv {cv2.__version__}, pillow {PIL.__version__}, scikit-image {skimage.__version__}")
PY
