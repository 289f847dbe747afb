#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job on the embedded
# Fashion-MNIST default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
bash packaging/build.sh
# TODO: run `evlf distill` + `evlf evaluate` on the embedded bundle once it ships.
build/app/evlf info
