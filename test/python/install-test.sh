#!/usr/bin/env bash
# ctest python-install: the two ways to install the module outside the
# build tree, each then running test_run.py against the installed copy
# (conftest checks that `import yan` found that copy):
#   1. pip install --no-build-isolation --no-index of bindings/python: no
#      network; setup.py configures and builds a runtime-only CMake build
#      (YAN_CMAKE_BUILD_DIR, under WORK) with this python;
#   2. cmake --install --component python into a prefix (what the
#      python3-yan package holds).
# Usage: install-test.sh SOURCE_DIR BUILD_DIR WORK PYTHON
set -euo pipefail
source=$1 build=$2 work=$3 python=$4
rm -rf "$work"
mkdir -p "$work"

check() { # SITE: pytest on test_run.py with SITE first on the path
  PYTHONPATH=$1 YAN_EXPECT_PACKAGE=$1/yan YAN_BIN=$build/bin \
    "$python" -m pytest -q -p no:cacheprovider --basetemp="$work/pytest" \
    "$source/test/python/test_run.py"
}

echo "== pip install (runtime-only CMake build in $work/cmake)"
# --no-deps: numpy is Debian's python3-numpy, which --target cannot see.
YAN_CMAKE_BUILD_DIR=$work/cmake YAN_JOBS=${YAN_JOBS:-2} PIP_DISABLE_PIP_VERSION_CHECK=1 \
  "$python" -m pip install -q --no-build-isolation --no-index --no-deps \
  --target "$work/pip-site" "$source/bindings/python"
check "$work/pip-site"

echo "== cmake --install --component python"
cmake --install "$build" --component python --prefix "$work/prefix" >/dev/null
check "$work/prefix/lib/python3/dist-packages"
