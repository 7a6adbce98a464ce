#!/usr/bin/env bash
# Prints the path of a pinned `uv` (installed into .tools/ when missing) and, with `python`,
# the path of a Python 3.12 interpreter (the Lambda and Vercel runtime). Used by the Makefile.
set -euo pipefail
UV_VERSION=0.13.9
root="$(cd "$(dirname "$0")/.." && pwd)"

find_python() {
  local candidate
  for candidate in python3.12 /usr/bin/python3.12 /usr/local/bin/python3.12 \
    "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.12*/bin/python3.12; do
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then
      "$candidate" -c 'import sys; print(sys.executable)'
      return 0
    fi
  done
  echo "Python 3.12 not found: install it (apt-get install python3.12, or pyenv install 3.12)" >&2
  return 1
}

find_uv() {
  if [ -x "$root/.tools/bin/uv" ] && [ "$("$root/.tools/bin/uv" --version | cut -d' ' -f2)" = "$UV_VERSION" ]; then
    echo "$root/.tools/bin/uv"
    return 0
  fi
  local bootstrap
  bootstrap="$(find_python)"
  "$bootstrap" -m venv "$root/.tools" >&2
  "$root/.tools/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION" >&2
  echo "$root/.tools/bin/uv"
}

case "${1:-uv}" in
  python) find_python ;;
  uv) find_uv ;;
  *) echo "usage: $0 [uv|python]" >&2; exit 2 ;;
esac
