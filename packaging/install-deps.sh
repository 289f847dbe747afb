#!/usr/bin/env bash
# Installs every Debian 12 package that EVLF Studio needs to build, test and
# run its embedded Fashion-MNIST default. Non-interactive and idempotent:
# when everything is present it changes nothing and asks no registry.
# Run as root (CI does) or with sudo.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config
  # compute core
  libtorch-dev libopencv-dev nlohmann-json3-dev libspdlog-dev libcli11-dev zlib1g-dev libicu-dev
  # BLAS for LibTorch. Debian's LibTorch calls the system BLAS, which is the
  # slow reference implementation until OpenBLAS is installed. The OpenMP
  # variant shares LibTorch's OpenMP thread pool; the pthread variant starts
  # its own threads. packaging/BLAS.md has the measurement behind this choice.
  libopenblas0-openmp
  # GUI, plots, translations, tests
  qt6-base-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools libqt6svg6
  # Japanese interface: glyphs, and Qt's own strings (standard buttons, file dialogs)
  fonts-noto-cjk qt6-translations-l10n
  libqcustomplot-dev libqcustomplot2.1-qt6 libgl-dev libbenchmark-dev xvfb xauth
  # packaging checks
  desktop-file-utils appstream dpkg-dev file
  # the embedded default's data
  dataset-fashion-mnist
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run this script as root or with sudo" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Select the OpenMP OpenBLAS even when another BLAS with a higher priority
# (such as libopenblas0-pthread) is installed.
blas=/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3
if [ "$(id -u)" -eq 0 ] && [ -e "$blas" ]; then
  update-alternatives --quiet --set libblas.so.3-x86_64-linux-gnu "$blas" || true
  update-alternatives --quiet --set liblapack.so.3-x86_64-linux-gnu \
    /usr/lib/x86_64-linux-gnu/openblas-openmp/liblapack.so.3 2>/dev/null || true
fi
echo "install-deps: all packages present"
