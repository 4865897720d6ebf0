#include "cpu_features.h"

#if defined(__x86_64__)
#include <cpuid.h>

static int bit(unsigned value, int n) { return (int)((value >> n) & 1u); }

int fl_cpu_instruction_set_level(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = bit(c, 12), movbe = bit(c, 22), osxsave = bit(c, 27), avx = bit(c, 28), f16c = bit(c, 29);
    if (!(fma && movbe && osxsave && avx && f16c)) return 0;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    (void)xcr0_hi;
    if ((xcr0_lo & 0x6u) != 0x6u) return 0; /* the OS saves XMM and YMM */
    if (!__get_cpuid(0x80000001u, &a, &b, &c, &d) || !bit(c, 5)) return 0; /* LZCNT */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int avx2 = bit(b, 5), bmi1 = bit(b, 3), bmi2 = bit(b, 8);
    if (!(avx2 && bmi1 && bmi2)) return 0;
    int avx512 = bit(b, 16) && bit(b, 17) && bit(b, 28) && bit(b, 30) && bit(b, 31); /* F DQ CD BW VL */
    if (avx512 && (xcr0_lo & 0xE0u) == 0xE0u) return 2; /* the OS saves opmask and ZMM */
    return 1;
}
#else
int fl_cpu_instruction_set_level(void) { return 0; }
#endif
