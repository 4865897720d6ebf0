#!/bin/sh
# The library loads from a folder that holds nothing but itself, with no Swift toolchain on
# any path: a C program built against it runs with a bare environment. The folder holds the
# library under its SONAME (libfocalloss.so.MAJOR), the one name a linked program asks for.
# usage: check_standalone.sh LIBRARY PROGRAM
set -eu
lib=$1 program=$2
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
[ -n "$soname" ] || { echo "FAIL: $lib has no SONAME" >&2; exit 1; }
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
mkdir "$dir/lib" "$dir/bin"
cp "$lib" "$dir/lib/$soname"
cp "$program" "$dir/bin/"
if [ "$(ls "$dir/lib")" != "$soname" ]; then echo "FAIL: folder not empty" >&2; exit 1; fi
env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$dir/lib" "$dir/bin/$(basename "$program")" > "$dir/out"
# ldd must resolve libfocalloss from the folder and find nothing from a Swift toolchain.
env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$dir/lib" ldd "$dir/bin/$(basename "$program")" > "$dir/ldd"
grep -q "$soname => $dir/lib/$soname" "$dir/ldd" || { cat "$dir/ldd"; echo "FAIL: not loaded from the folder" >&2; exit 1; }
if grep -i swift "$dir/ldd"; then echo "FAIL: a Swift library is loaded" >&2; exit 1; fi
grep -q "sigmoid focal loss" "$dir/out" || { cat "$dir/out"; echo "FAIL: program output" >&2; exit 1; }
echo "standalone: $(basename "$program") ran against $dir/lib/$soname alone"
