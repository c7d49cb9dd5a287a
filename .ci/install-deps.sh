#!/usr/bin/env bash
# Installs the C libraries fad links against (Debian/Ubuntu). Uses sudo only when not root.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# libcurl4-openssl-dev: install.sh links the Swift runtime (and Foundation's libcurl user) in.
packages=(pkg-config time libsndfile1-dev libfftw3-dev libsamplerate0-dev libopenblas-dev liblapacke-dev libcurl4-openssl-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
