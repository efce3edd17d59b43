#!/usr/bin/env bash
# Fails when clang-format (the repo's .clang-format) would change any tracked C++ or CUDA
# source, and names the files. `tools/check_format.sh --fix` rewrites them instead.
# Blocks that read better laid out by hand are fenced with `// clang-format off` / `on`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format > /dev/null || { echo "check_format: clang-format not found (tools/setup.sh installs it)"; exit 1; }
# Tracked files still on disk (a deletion not yet committed is not a file to check).
mapfile -t files < <(git ls-files '*.cpp' '*.h' '*.cu' '*.cuh' | while read -r f; do [ -f "$f" ] && echo "$f"; done)
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
unformatted=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" > /dev/null 2>&1 || unformatted+=("$f")
done
if ((${#unformatted[@]})); then
  echo "check_format: clang-format $(clang-format --version | grep -o '[0-9][0-9.]*' | head -1) would change ${#unformatted[@]} of ${#files[@]} files:"
  printf '  %s\n' "${unformatted[@]}"
  echo "run tools/check_format.sh --fix (or fence a hand-laid-out block with // clang-format off/on)"
  exit 1
fi
echo "check_format: all ${#files[@]} sources formatted"
