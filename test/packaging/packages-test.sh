#!/usr/bin/env bash
# The Debian packages end to end (ctest `packages`; docs/packaging.md):
#  1. cpack: yanc + libyan-runtime-dev (amd64) from the host build,
#     libyan-runtime-dev (arm64, riscv64) from the cross builds; their
#     architectures, dependencies and contents;
#  2. dpkg -i the amd64 packages;
#  3. examples/cmake-consumer, copied out of the tree and built in a clean
#     environment with only /usr on its paths, with Ninja and with Makefiles:
#     yan_add_bundle's rule reruns when the checkpoint changes and only
#     then; the program's tokens equal the installed yan-run's;
#  4. the same program compiled with `pkg-config --cflags --libs yan-runtime`
#     (natively, and for arm64 with the sysroot's .pc);
#  5. the arm64 package unpacked into a sysroot, found with find_package from
#     a BSP-style toolchain file: examples/firmware (yan_add_static_model)
#     and the consumer (the package's libyan-runtime.a) for arm64, the
#     consumer for riscv64 from its package, all run under qemu-user;
#  6. Multi-Arch: the arm64 runtime package installed beside the amd64 one
#     (dpkg --add-architecture arm64 for the test's duration);
#  7. dpkg -r, also when a step fails, so reruns start clean.
# Needs root for dpkg -i: anyone else gets a skip (exit 77). CI runs as root.
#
# The work happens in a fresh temporary directory outside both trees (kept,
# and named, when a step fails).
#
#   packages-test.sh SOURCE_DIR BUILD_DIR AARCH64_BUILD_DIR RISCV64_BUILD_DIR
set -euo pipefail

if [ $# -ne 4 ]; then
  echo "usage: $0 SOURCE_DIR BUILD_DIR AARCH64_BUILD_DIR RISCV64_BUILD_DIR" >&2
  exit 2
fi
source_dir=$(realpath "$1") build_dir=$(realpath "$2")
aarch64_dir=$(realpath "$3") riscv64_dir=$(realpath "$4")

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: the packages test installs .deb packages with dpkg -i and needs root" \
       "(CI runs it as root)"
  exit 77
fi

# Every installed instance, arch-qualified (libyan-runtime-dev is Multi-Arch:
# same, so amd64 and arm64 may both be there).
remove_packages() {
  local installed
  # (dpkg-query fails when it knows none of them.)
  installed=$({ dpkg-query -W -f='${db:Status-Abbrev} ${binary:Package}\n' \
                  yanc 'libyan-runtime-dev:*' 2>/dev/null || true; } | awk '$1 == "ii" {print $2}')
  if [ -n "$installed" ]; then
    echo "removing" $installed
    # shellcheck disable=SC2086  # one package a word
    dpkg -r $installed >/dev/null
  fi
  if [ -n "$added_arm64" ]; then
    dpkg --remove-architecture arm64
    added_arm64=
  fi
}
added_arm64=
fail() {
  echo "FAIL: $* (work directory kept: $work)" >&2
  keep_work=1
  exit 1
}
cleanup() {
  remove_packages
  if [ -z "$keep_work" ]; then
    rm -rf "$work"
  fi
}
step() {
  echo "== $*"
}

# A run that died before its cleanup left our packages installed.
remove_packages
work=$(mktemp -d "${TMPDIR:-/tmp}/yan-packages.XXXXXX")
keep_work=
trap cleanup EXIT
mkdir -p "$work/debs" "$work/home" "$work/src"

step "cpack"
for dir in "$build_dir" "$aarch64_dir" "$riscv64_dir"; do
  (cd "$work" && cpack -G DEB --config "$dir/CPackConfig.cmake" -B "$work/debs" >"$work/cpack.log" 2>&1) ||
    { cat "$work/cpack.log"; fail "cpack in $dir"; }
done
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build_dir/CPackConfig.cmake")
[ -n "$version" ] || fail "no CPACK_PACKAGE_VERSION in $build_dir/CPackConfig.cmake"
tools_deb=$work/debs/yanc_${version}_amd64.deb
for arch in amd64 arm64 riscv64; do
  deb=$work/debs/libyan-runtime-dev_${version}_${arch}.deb
  [ -f "$deb" ] || fail "missing $deb"
  [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || fail "$deb: Architecture is not $arch"
  if grep -q "/bin/" <<<"$(dpkg-deb -c "$deb")"; then
    fail "$deb ships programs; the runtime package is library, headers and CMake files only"
  fi
  [ "$(dpkg-deb -f "$deb" Multi-Arch)" = "same" ] || fail "$deb is not Multi-Arch: same"
  # Multi-Arch: same needs every file outside lib/<triplet> to be the same
  # bytes in each architecture's package.
  dpkg-deb -x "$deb" "$work/contents-$arch"
  if [ "$arch" != amd64 ]; then
    diff -r "$work/contents-amd64/usr/include" "$work/contents-$arch/usr/include" >/dev/null ||
      fail "the $arch package's headers differ from amd64's"
    shared=$(cd "$work/contents-$arch" && find . -type f -not -path './usr/lib/*-linux-gnu/*' \
               -not -path './usr/include/*')
    [ -z "$shared" ] || fail "$deb has architecture-shared files outside include/: $shared"
  fi
done
[ -f "$tools_deb" ] || fail "missing $tools_deb"
depends=$(dpkg-deb -f "$tools_deb" Depends)
for needed in libllvm19 libmlir-19 lld-19 libsodium23; do
  [[ ", $depends" == *", $needed"* ]] || fail "yanc's Depends lacks $needed: $depends"
done
# The cross archives hold code for their architecture, libsodium included.
for pair in arm64:aarch64:aarch64 riscv64:riscv64:riscv; do
  IFS=: read -r arch triple_arch format <<<"$pair"
  root=$work/sysroot-$arch
  dpkg-deb -x "$work/debs/libyan-runtime-dev_${version}_${arch}.deb" "$root"
  lib=$root/usr/lib/$triple_arch-linux-gnu/libyan-runtime.a
  [ -f "$lib" ] || fail "$arch package: no $lib"
  # (Whole outputs, not pipes into grep -q: an early exit is a SIGPIPE that
  # pipefail reports as a failure.)
  members=$("$triple_arch-linux-gnu-objdump" -a "$lib")
  grep -q "file format elf64-little$format" <<<"$members" || fail "$lib does not hold $arch objects"
  symbols=$("$triple_arch-linux-gnu-nm" -g --defined-only "$lib" 2>/dev/null)
  grep -q " T crypto_sign_verify_detached$" <<<"$symbols" || fail "$lib lacks libsodium's code"
done

step "dpkg -i"
dpkg -i "$tools_deb" "$work/debs/libyan-runtime-dev_${version}_amd64.deb" >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log"; fail "dpkg -i"; }

# Everything below sees only the installed packages: a clean environment,
# the examples copied out of the tree, and a check that no generated build
# file names the source or build tree.
clean() {
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/home" LANG=C.UTF-8 "$@"
}
cp -r "$source_dir/examples/cmake-consumer" "$source_dir/examples/firmware" "$work/src/"
check_no_tree_paths() {
  local dir=$1
  if grep -rlF -e "$source_dir" -e "$build_dir" "$dir" --include=CMakeCache.txt \
       --include=build.ninja --include='*.make' --include=Makefile >/dev/null; then
    fail "$dir refers to the yanc source or build tree"
  fi
}
configure() { # configure BUILD_DIR SOURCE_DIR ARGS...
  local dir=$1 src=$2
  shift 2
  clean cmake -S "$src" -B "$dir" -DCMAKE_PREFIX_PATH=/usr -DYAN_MODEL_DIR="$work/tiny" "$@" \
    >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; fail "configure $dir"; }
  check_no_tree_paths "$dir"
}
build() { # build BUILD_DIR -> its output in $dir.build.log
  clean cmake --build "$1" -j 2 >"$1.build.log" 2>&1 || { cat "$1.build.log"; fail "build $1"; }
}
generated() { # the "generated: ..." line of a program's output
  grep '^generated:' || true
}

step "installed tools: a checkpoint and the reference tokens"
clean yan-model-gen "$work/tiny" --preset tiny >/dev/null
clean yanc "$work/tiny" -o "$work/reference.yanb"
expected=$(clean yan-run "$work/reference.yanb" --prompt 1,2,3 --max-tokens 8 | generated)
[ -n "$expected" ] || fail "yan-run printed no tokens"
echo "yan-run: $expected"

step "cmake-consumer (Ninja)"
ninja_dir=$work/consumer-ninja
configure "$ninja_dir" "$work/src/cmake-consumer" -G Ninja
build "$ninja_dir"
grep -q "yanc: " "$ninja_dir.build.log" || fail "the bundle rule did not run"
inputs=$(cd "$ninja_dir" && clean ninja -t query model.yanb)
for input in /usr/bin/yanc "$work/tiny/config.json" "$work/tiny/model.safetensors"; do
  grep -qxF "    $input" <<<"$inputs" || fail "model.yanb does not depend on $input"
done
got=$(clean "$ninja_dir/consumer" "$ninja_dir/model.yanb" 1,2,3 8) || fail "consumer: $got"
[ "$(generated <<<"$got")" = "$expected" ] || fail "consumer: '$got', yan-run: '$expected'"
(cd "$ninja_dir" && clean ctest --output-on-failure >/dev/null) || fail "ctest in $ninja_dir"
build "$ninja_dir"
grep -q "no work to do" "$ninja_dir.build.log" || fail "a second build was not a no-op"
touch "$work/tiny/model.safetensors"
build "$ninja_dir"
grep -q "yanc: " "$ninja_dir.build.log" || fail "a changed model.safetensors did not rerun yanc"

step "cmake-consumer (Unix Makefiles)"
make_dir=$work/consumer-make
configure "$make_dir" "$work/src/cmake-consumer" -G "Unix Makefiles"
build "$make_dir"
grep -q "yanc: " "$make_dir.build.log" || fail "the bundle rule did not run (make)"
touch "$work/tiny/config.json"
build "$make_dir"
grep -q "yanc: " "$make_dir.build.log" || fail "a changed config.json did not rerun yanc (make)"
build "$make_dir"
if grep -q "yanc: " "$make_dir.build.log"; then fail "an unchanged model reran yanc (make)"; fi
got=$(clean "$make_dir/consumer" "$make_dir/model.yanb" 1,2,3 8) || fail "consumer (make): $got"
[ "$(generated <<<"$got")" = "$expected" ] || fail "consumer (make): '$got'"

step "pkg-config"
[ "$(clean pkg-config --modversion yan-runtime)" = "$version" ] || fail "pkg-config version"
# shellcheck disable=SC2046  # pkg-config's flags are words
clean cc -O2 -o "$work/consumer-pc" "$work/src/cmake-consumer/main.c" \
  $(clean pkg-config --cflags --libs yan-runtime) || fail "cc with pkg-config's flags"
got=$(clean "$work/consumer-pc" "$work/reference.yanb" 1,2,3 8) || fail "consumer-pc: $got"
[ "$(generated <<<"$got")" = "$expected" ] || fail "consumer-pc: '$got'"

# A BSP's toolchain file: the target's compiler, its sysroot with our
# package unpacked, static executables for qemu-user.
toolchain() { # toolchain ARCH TRIPLE_ARCH EMULATOR...
  local arch=$1 triple_arch=$2
  shift 2
  cat >"$work/toolchain-$arch.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR $triple_arch)
set(CMAKE_C_COMPILER $triple_arch-linux-gnu-gcc)
set(CMAKE_FIND_ROOT_PATH $work/sysroot-$arch /usr/$triple_arch-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_EXE_LINKER_FLAGS_INIT -static)
set(CMAKE_CROSSCOMPILING_EMULATOR $*)
EOF
}
toolchain arm64 aarch64 qemu-aarch64
toolchain riscv64 riscv64 "qemu-riscv64;-cpu;rv64,v=true,vlen=256,vext_spec=v1.0"

step "firmware for arm64 from the arm64 package"
fw_dir=$work/firmware-arm64
configure "$fw_dir" "$work/src/firmware" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$work/toolchain-arm64.cmake"
grep -q "^yan_DIR:PATH=$work/sysroot-arm64/usr/lib/aarch64-linux-gnu/cmake/yan$" \
  "$fw_dir/CMakeCache.txt" || fail "firmware did not find the arm64 package in the sysroot"
build "$fw_dir"
got=$(clean qemu-aarch64 "$fw_dir/firmware" 1,2,3 8) || fail "firmware: $got"
[ "$(generated <<<"$got")" = "$expected" ] || fail "firmware: '$got', yan-run: '$expected'"

for pair in arm64:aarch64 riscv64:riscv64; do
  IFS=: read -r arch triple_arch <<<"$pair"
  step "cmake-consumer for $arch from the $arch package"
  dir=$work/consumer-$arch
  configure "$dir" "$work/src/cmake-consumer" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$work/toolchain-$arch.cmake"
  grep -q "^yan_DIR:PATH=$work/sysroot-$arch/usr/lib/$triple_arch-linux-gnu/cmake/yan$" \
    "$dir/CMakeCache.txt" || fail "the $arch consumer did not find the $arch package"
  build "$dir"
  (cd "$dir" && clean ctest --output-on-failure -V >"$dir.ctest.log" 2>&1) ||
    { cat "$dir.ctest.log"; fail "the $arch consumer under qemu"; }
  got=$(grep -o 'generated:.*' "$dir.ctest.log" || true)
  [ "$got" = "$expected" ] || fail "$arch consumer: '$got', yan-run: '$expected'"
done

step "pkg-config from the arm64 sysroot"
arm64_pc=(env PKG_CONFIG_SYSROOT_DIR="$work/sysroot-arm64"
          PKG_CONFIG_LIBDIR="$work/sysroot-arm64/usr/lib/aarch64-linux-gnu/pkgconfig")
# shellcheck disable=SC2046  # pkg-config's flags are words
clean aarch64-linux-gnu-gcc -static -O2 -o "$work/consumer-pc-arm64" \
  "$work/src/cmake-consumer/main.c" $(clean "${arm64_pc[@]}" pkg-config --cflags --libs yan-runtime) ||
  fail "aarch64-linux-gnu-gcc with pkg-config's flags from the sysroot"
got=$(clean qemu-aarch64 "$work/consumer-pc-arm64" "$work/consumer-arm64/model.yanb" 1,2,3 8) ||
  fail "consumer-pc-arm64: $got"
[ "$(generated <<<"$got")" = "$expected" ] || fail "consumer-pc-arm64: '$got'"

step "Multi-Arch: the arm64 runtime package beside the amd64 one"
if ! grep -qx arm64 <<<"$(dpkg --print-foreign-architectures)"; then
  dpkg --add-architecture arm64
  added_arm64=1
fi
dpkg -i "$work/debs/libyan-runtime-dev_${version}_arm64.deb" >"$work/dpkg-arm64.log" 2>&1 ||
  { cat "$work/dpkg-arm64.log"; fail "dpkg -i the arm64 package beside the amd64 one"; }
for pair in amd64:x86_64 arm64:aarch64; do
  IFS=: read -r arch triple_arch <<<"$pair"
  [ "$(dpkg-query -W -f='${Status}' "libyan-runtime-dev:$arch")" = "install ok installed" ] ||
    fail "libyan-runtime-dev:$arch is not installed"
  [ -f "/usr/lib/$triple_arch-linux-gnu/libyan-runtime.a" ] ||
    fail "no /usr/lib/$triple_arch-linux-gnu/libyan-runtime.a"
done

echo "packages test: OK (yanc and libyan-runtime-dev $version; amd64 installed and used," \
     "arm64 and riscv64 from sysroots under qemu, arm64 co-installed)"
