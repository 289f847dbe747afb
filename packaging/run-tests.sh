#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole CTest suite. Reference
# parity tests read ../shared/reference, or the folder in EVLF_REFERENCE_DIR,
# and are skipped with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
bash packaging/build.sh
cd build
ctest --output-on-failure --timeout 900
