#!/usr/bin/env bash
# Installs the Debian packages yanc needs. Idempotent: packages already present are skipped by apt.
# The list is the one single place that names our system dependencies.
set -euo pipefail

PACKAGES=(
  # Compiler side: LLVM/MLIR 19 (shared libMLIR, tblgen, lit, FileCheck), clang/lld 19.
  libmlir-19-dev mlir-19-tools llvm-19-dev llvm-19-tools clang-19 lld-19
  # Bundle format and tests.
  libflatbuffers-dev flatbuffers-compiler libgtest-dev
  # Signed bundles: Ed25519 from libsodium (docs/security.md); cross builds
  # compile Debian's libsodium source package (fetched below), which needs
  # dpkg-dev (dpkg-source) to unpack.
  libsodium-dev dpkg-dev
  # Fuzzing and sanitizer runtimes for clang-19 (libFuzzer, ASan, UBSan, TSan).
  libclang-rt-19-dev
  # Build. (make and pkgconf: the packages test builds consumers with
  # Makefiles and pkg-config too; docs/packaging.md.)
  cmake ninja-build ccache make pkgconf
  # Cross targets and their emulators.
  qemu-user gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
  gcc-riscv64-linux-gnu g++-riscv64-linux-gnu
  # The numerical oracle (run with /usr/bin/python3).
  python3 python3-numpy python3-torch
  # The tokenizer oracle (models/yan-mini/tokenizer.model is SentencePiece).
  python3-sentencepiece
  # Python bindings (bindings/python, docs/python.md): pybind11's headers and
  # CMake config, Python's headers, pip + setuptools for `pip install
  # bindings/python` (no network), pytest for their tests.
  pybind11-dev python3-dev python3-pip python3-setuptools python3-pytest
  # yan-dump --svg's picture test renders the SVG with rsvg-convert and as a
  # browser shows it: a headless Chromium's screenshot (the shell without the
  # desktop browser's UI; ~280 MB installed, needed only by that test).
  librsvg2-bin chromium-headless-shell
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
else
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# libsodium's source for the cross-built runtimes (Debian has no riscv64
# libsodium-dev): cmake/Sodium.cmake compiles it for the target.
"$(dirname "$0")/fetch-sodium-source.sh"
