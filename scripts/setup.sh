#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian/Ubuntu machine: the system libraries napari needs (Qt, OpenGL/Mesa,
# Xvfb for headless use), a virtual environment in .venv, and the project with its test extra.
# Re-running is fast: nothing is reinstalled until pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(
  xvfb xauth libgl1 libegl1 libgl1-mesa-dri libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-xinerama0 libxcb-xfixes0 libxcb-shape0 libxcb-cursor0 libdbus-1-3
  libfontconfig1
  chromium-headless-shell  # the HTML report's test renders it in a real browser (tests/report/test_in_browser.py)
)
if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for package in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing system packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "setup: not a Debian-like system; make sure Qt's X11 libraries, OpenGL (Mesa) and Xvfb are installed." >&2
fi

python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
  echo "setup: Python 3.10 or newer is needed ($python is $("$python" --version 2>&1))." >&2
  exit 2
}
[ -x .venv/bin/python ] || "$python" -m venv .venv

stamp=.venv/.segreview-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  # PyTorch first, as a CPU build: a bare "torch" requirement would pull a multi-GB CUDA build. With a GPU,
  # install your CUDA build of torch into .venv first (or set SEGREVIEW_TORCH), it is kept.
  .venv/bin/python -c 'import torch' 2>/dev/null ||
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "${SEGREVIEW_TORCH:-torch==2.13.0}"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[pyqt5,test]"
  # panoptica (a reference of the instance tests) requires rich<14 but npe2, napari's plugin engine, requires
  # rich>=14: no single resolution exists, so it comes without its requirements; the test extra lists the rest
  # of them, and this leaves rich as npe2 needs it.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps "panoptica==2.1.7"
  echo "$wanted" >"$stamp"
fi
