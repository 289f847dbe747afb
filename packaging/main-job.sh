#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job on the embedded
# Fashion-MNIST default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
bash packaging/build.sh
# IPC 10, late and early pipelines, the random-real baseline, 3 repeats of
# ConvNet-3 for 300 epochs each; prints one table and writes build/main-job/.
build/app/evlf main-job --out build/main-job "$@"
