#!/usr/bin/env bash
# Set up (first run only), then open napari with the MNI152 brain sample and the plugin.
# Without a display (a server, CI) it renders the same window on a virtual display and saves demo.png.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec .venv/bin/segreview demo "$@"
fi
echo "demo: no display found; rendering on a virtual display into demo.png instead."
exec xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/segreview demo --screenshot demo.png "$@"
