#!/bin/sh
# The library's exported dynamic symbols must be exactly the functions the header declares.
# usage: check_symbols.sh LIBRARY HEADER
set -eu
lib=$1 header=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Declared: every identifier followed by '(' on a line that starts a declaration.
sed -n 's/^[A-Za-z_][A-Za-z0-9_ *]*[ *]\(focal_[a-z0-9_]*\)(.*/\1/p' "$header" | sort -u > "$tmp/declared"
# Exported: global (upper-case type) defined dynamic symbols.
nm -D --defined-only "$lib" | awk '$2 ~ /^[A-Z]$/ { print $3 }' | sort -u > "$tmp/exported"
if ! diff -u "$tmp/declared" "$tmp/exported"; then
    echo "FAIL: exported symbols differ from the header's functions (- declared, + exported)" >&2
    exit 1
fi
# No Swift runtime in NEEDED.
if readelf -d "$lib" | grep NEEDED | grep -i swift; then
    echo "FAIL: $lib needs a Swift runtime library" >&2
    exit 1
fi
echo "symbols: $(wc -l < "$tmp/exported") exported = declared; no libswift* in NEEDED"
