#!/usr/bin/env bash
# The build rules of the CMake package (packaging/YanModelRules.cmake; ctest
# `cmake-rules`), with this build's yanc and no install: rules/ calls
# yan_add_bundle and yan_add_static_model with every option, and the outputs
# must equal, byte for byte, what yanc makes when given the flags the options
# stand for (bundles and static libraries are reproducible; Ed25519
# signatures are deterministic); the rules depend on the key and the
# checkpoint; each misuse fails at configure time with its message.
#
#   rules-test.sh SOURCE_DIR BIN_DIR WORK_DIR
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 SOURCE_DIR BIN_DIR WORK_DIR" >&2
  exit 2
fi
source_dir=$1 bin=$2 work=$3
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
rm -rf "$work"
mkdir -p "$work/expected"
"$bin/yan-model-gen" "$work/tiny" --preset tiny >/dev/null
"$bin/yan-keygen" "$work/key" >/dev/null

configure() { # configure DIR [-DCASE=...]
  cmake -S "$source_dir/test/packaging/rules" -B "$1" -G Ninja \
    -DYAN_RULES_FILE="$source_dir/packaging/YanModelRules.cmake" \
    -DYAN_YANC_EXECUTABLE="$bin/yanc" -DMODEL="$work/tiny" -DKEY="$work/key" "${@:2}"
}

build=$work/build
configure "$build" >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "configure"; }
cmake --build "$build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }

"$bin/yanc" "$work/tiny" -o "$work/expected/signed.yanb" \
  --target x86_64-linux-gnu --cpu x86-64-v3 --target aarch64-linux-gnu --cpu cortex-a53 \
  --weights f16 --sign-key "$work/key"
"$bin/yanc" "$work/tiny" --emit=static-lib -o "$work/expected/libfw.a" \
  --header "$work/expected/fw_model.h" --target x86_64-linux-gnu --cpu x86-64-v3 \
  --weights f16 --symbol-prefix fw_model --partition-alignment 0
cmp "$build/out/signed.yanb" "$work/expected/signed.yanb" ||
  fail "yan_add_bundle's bundle differs from yanc's with the same flags"
cmp "$build/lib/libfw.a" "$work/expected/libfw.a" ||
  fail "yan_add_static_model's archive differs from yanc's with the same flags"
cmp "$build/include/fw_model.h" "$work/expected/fw_model.h" ||
  fail "yan_add_static_model's header differs from yanc's with the same flags"
# (And the flags did what they say.)
"$bin/yan-run" "$build/out/signed.yanb" --trust "$work/key.pub" --prompt 1,2 --max-tokens 1 \
  >/dev/null || fail "the bundle is not signed by the key"
probe=$("$build/probe") || fail "probe: $probe"
grep -q "query ok" <<<"$probe" || fail "probe: $probe"

inputs=$(cd "$build" && ninja -t query out/signed.yanb)
for input in "$bin/yanc" "$work/key" "$work/tiny/config.json" "$work/tiny/model.safetensors"; do
  grep -qxF "    $input" <<<"$inputs" || fail "out/signed.yanb does not depend on $input"
done
touch "$work/key"
cmake --build "$build" >"$work/build.log" 2>&1 || fail "rebuild"
grep -q "yanc: .*signed.yanb" "$work/build.log" || fail "a changed key did not rerun yanc"

check_misuse() { # check_misuse CASE MESSAGE
  if configure "$work/case-$1" -DCASE="$1" >"$work/case-$1.log" 2>&1; then
    fail "CASE=$1 configured"
  fi
  # CMake wraps messages: compare without line breaks and indentation.
  tr -s ' \n' ' ' <"$work/case-$1.log" | grep -qF "$2" ||
    { cat "$work/case-$1.log"; fail "CASE=$1: no '$2'"; }
}
check_misuse mixed_cpus "give a CPU for every target or for none"
check_misuse bad_weights "WEIGHTS must be f32, f16, bf16, int8 or int4, not 'f8'"
check_misuse bad_target "'x86_64-linux-gnu:a:b' is not <triple> or <triple>:<cpu>"
check_misuse no_output "MODEL_DIR and OUTPUT are required"
check_misuse unknown_argument "yan_add_static_model: unknown arguments: TARGETS"
check_misuse no_yanc "yan_add_bundle: yanc not found"
echo "cmake-rules: OK"
