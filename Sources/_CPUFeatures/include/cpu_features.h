/* The instruction set the running CPU and OS support, for the kernels' run-time dispatch.
 * Internal to libfocalloss: the name is outside focal_*, so the shipped library does not
 * export it. */
#ifndef FOCALLOSS_CPU_FEATURES_H
#define FOCALLOSS_CPU_FEATURES_H

/* 0: the x86-64 baseline (or not x86-64); 1: x86-64-v3 (AVX2, FMA, BMI1/2, F16C, LZCNT,
 * MOVBE) with the YMM state enabled by the OS; 2: x86-64-v4 (v3 plus AVX-512 F, BW, CD, DQ,
 * VL) with the opmask and ZMM state enabled by the OS. */
int fl_cpu_instruction_set_level(void);

#endif
