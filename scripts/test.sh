#!/usr/bin/env bash
# Set up (first run only), then lint and run the whole test suite. napari tests get a virtual display from
# pytest-xvfb, so this works on a headless machine too. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
