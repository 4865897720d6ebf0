#!/bin/sh
# After `make install PREFIX=$1`: the files and links are where consumers look, the SONAME is
# libfocalloss.so.MAJOR, and two consumers build and run against the prefix alone: a C program
# through pkg-config and the C++ example through CMake's find_package.
# usage: check_install.sh PREFIX VERSION
set -eu
prefix=$1 version=$2 major=${2%%.*}
root=$(cd "$(dirname "$0")/.." && pwd)
lib=$prefix/lib
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for f in include/focalloss.h lib/libfocalloss.so.$version lib/pkgconfig/focalloss.pc \
         lib/cmake/focalloss/focallossConfig.cmake lib/cmake/focalloss/focallossConfigVersion.cmake; do
    [ -f "$prefix/$f" ] || fail "$prefix/$f is missing"
done
[ "$(readlink "$lib/libfocalloss.so.$major")" = "libfocalloss.so.$version" ] || fail "libfocalloss.so.$major link"
[ "$(readlink "$lib/libfocalloss.so")" = "libfocalloss.so.$major" ] || fail "libfocalloss.so link"
soname=$(readelf -d "$lib/libfocalloss.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
[ "$soname" = "libfocalloss.so.$major" ] || fail "SONAME is '$soname', expected libfocalloss.so.$major"

# A consumer must ask for the SONAME and find it in the prefix, not in the build tree.
check_consumer() { # PROGRAM EXPECTED-OUTPUT
    readelf -d "$1" | grep -q "NEEDED.*\[libfocalloss.so.$major\]" || fail "$1 does not need libfocalloss.so.$major"
    env -u LD_LIBRARY_PATH ldd "$1" | grep -q "libfocalloss.so.$major => $lib/libfocalloss.so.$major" \
        || { ldd "$1"; fail "$1 does not load the library from $lib"; }
    env -u LD_LIBRARY_PATH "$1" > "$work/out" || { cat "$work/out"; fail "$1 failed"; }
    grep -q "$2" "$work/out" || { cat "$work/out"; fail "$1 printed no '$2'"; }
}

# C through pkg-config.
export PKG_CONFIG_PATH="$lib/pkgconfig"
[ "$(pkg-config --modversion focalloss)" = "$version" ] || fail "pkg-config --modversion"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -pedantic -Werror $(pkg-config --cflags focalloss) "$root/examples/quickstart.c" \
    -o "$work/quickstart" $(pkg-config --libs focalloss) -Wl,-rpath,"$(pkg-config --variable=libdir focalloss)"
check_consumer "$work/quickstart" "sigmoid focal loss"
echo "install: a C program built with pkg-config runs against $lib"

# C++ through CMake: examples/CMakeLists.txt finds the package and builds the RAII example.
cmake -S "$root/examples" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > "$work/log" \
    || { cat "$work/log"; fail "cmake configure"; }
cmake --build "$work/cmake" > "$work/log" 2>&1 || { cat "$work/log"; fail "cmake build"; }
check_consumer "$work/cmake/cxx_wrapper" "all checks passed"
sed "s/^/  /" "$work/out"
echo "install: the C++ example built with CMake's find_package(focalloss) runs against $lib"

# The version file: a request for another major version, or a newer one, is refused.
for request in "$version:yes" "$major.0:yes" "$((major + 1)).0:no" "$major.999:no"; do
    mkdir -p "$work/v"
    printf 'cmake_minimum_required(VERSION 3.16)\nproject(v NONE)\nfind_package(focalloss %s REQUIRED)\n' \
        "${request%%:*}" > "$work/v/CMakeLists.txt"
    if cmake -S "$work/v" -B "$work/v/build" -DCMAKE_PREFIX_PATH="$prefix" > "$work/log" 2>&1; then found=yes; else found=no; fi
    [ "$found" = "${request#*:}" ] || { cat "$work/log"; fail "find_package(focalloss ${request%%:*}) found: $found"; }
    rm -rf "$work/v"
done
echo "install: find_package accepts $version and $major.0, refuses $((major + 1)).0 and $major.999"
