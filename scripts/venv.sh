# Sourced by scripts/serve and scripts/test: a virtual environment in .venv/ with
# newsgraph installed from this checkout (editable), so both work on a Python that
# refuses installs into the system (PEP 668: Debian's and Ubuntu's own python3).
# Usage: ensure_venv [EXTRAS]   (e.g. ensure_venv test); sets VENV_PY.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_venv() {
  local extras="${1:-}" python="${PYTHON:-python3}" venv=".venv"
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: newsgraph needs Python 3.11 or newer; '$python' is $("$python" -V 2>&1)" >&2
    return 2
  fi
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
      # Debian and Ubuntu ship venv (with ensurepip) as a separate package
      rm -rf "$venv"
      if command -v apt-get >/dev/null 2>&1; then
        echo "installing python3-venv (Debian's package) to make $venv …" >&2
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      fi
      "$python" -m venv "$venv"
    fi
  fi
  VENV_PY="$PWD/$venv/bin/python"
  local target="."
  [ -n "$extras" ] && target=".[$extras]"
  "$VENV_PY" -m pip install -q --disable-pip-version-check -e "$target"
}
