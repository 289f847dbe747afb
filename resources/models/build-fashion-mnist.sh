#!/usr/bin/env bash
# Rebuilds the embedded Fashion-MNIST bundle from scratch with the project's
# own training commands and the configs in resources/models/recipe/, then
# copies the shippable files (manifest, weights, tokenizer, metrics) into
# resources/models/fashion-mnist/. Each stage resumes from its checkpoint
# when the script is run again after an interruption.
#
#   bash resources/models/build-fashion-mnist.sh [WORK_FOLDER]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
recipe="$root/resources/models/recipe"
work=${1:-$root/build/bundle-work/fashion-mnist}
target="$root/resources/models/fashion-mnist"
evlf="$root/build/app/evlf"
[ -x "$evlf" ] || { echo "build first: bash packaging/build.sh" >&2; exit 1; }
mkdir -p "$work"
times="$work/stage-times.txt"
: > "$times"

run_stage() {
  local stage=$1
  local start=$(date +%s)
  "$evlf" train "$stage" --bundle "$work" --config "$recipe/$stage.json"
  echo "$stage $(( $(date +%s) - start )) s" | tee -a "$times"
}

run_stage autoencoder
run_stage text-encoder
run_stage denoiser
run_stage fusion
run_stage finetune-denoiser
run_stage classifier
"$evlf" bundle check "$work"

# Ship the bundle without checkpoints and latent caches.
rm -rf "$target.tmp"
mkdir -p "$target.tmp"
cp "$work/bundle.json" "$work"/*.safetensors "$target.tmp/"
cp -r "$work/tokenizer" "$work/metrics" "$target.tmp/"
cp "$times" "$target.tmp/"
rm -rf "$target"
mv "$target.tmp" "$target"
du -sh "$target"
