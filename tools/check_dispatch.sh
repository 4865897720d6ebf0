#!/bin/sh
# Run-time dispatch is only safe if AVX instructions stay inside the kernel builds that the
# dispatcher selects on CPUs that have them: no ymm/zmm/FMA instruction in any function outside
# _KernelsAVX2 and _KernelsAVX512 (e.g. a generic specialization two kernel builds both emit,
# which the linker would fold into one copy), and no zmm outside _KernelsAVX512.
# usage: check_dispatch.sh UNSTRIPPED_LIBRARY
set -eu
lib=$1
objdump -d --no-show-raw-insn "$lib" | awk '
    /^[0-9a-f]+ <.*>:$/ { name = $0; next }
    {
        line = $0
        gsub(/<[^>]*>/, "", line)
        avx = line ~ /%[yz]mm|vfn?m(add|sub)/
        zmm = line ~ /%zmm/
        if (avx && name !~ /_KernelsAVX(2|512)/) { print "FAIL: AVX outside the AVX kernels: " name; bad = 1 }
        if (zmm && name !~ /_KernelsAVX512/) { print "FAIL: AVX-512 outside the AVX-512 kernels: " name; bad = 1 }
        if (zmm) zmms++
        if (avx && name ~ /_KernelsAVX2/) ymms++
    }
    END {
        if (bad) exit 1
        if (!zmms || !ymms) { print "FAIL: no AVX-512 or no AVX2 kernel code found"; exit 1 }
        printf "dispatch: AVX2 code only in _KernelsAVX2 (%d instructions), AVX-512 only in _KernelsAVX512 (%d)\n", ymms, zmms
    }'
