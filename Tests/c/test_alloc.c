/*
 * test_alloc.c: the fused entry points allocate nothing that grows with the input.
 *
 * This program defines malloc and its family, so every allocation in the process, the
 * library's (its statically linked Swift runtime and Dispatch included) and its worker
 * threads', is counted. Each entry point runs on inputs from 4 Ki to 4 Mi elements, on one
 * thread and on several; after a warm-up call (one-time set-up: Dispatch's thread pool, the
 * per-thread error message), the bytes a call allocates must stay below a fixed bound and must
 * not grow with the input, and a call that runs on the caller's thread alone (num_threads = 1)
 * must allocate nothing at all. The gradient-and-Hessian functions too (sigmoid; softmax by rows
 * of 3 classes and class-major).
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "focalloss.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static atomic_int counting;
static atomic_long calls, bytes, largest;

static void note(size_t n) {
    if (!atomic_load(&counting)) return;
    atomic_fetch_add(&calls, 1);
    atomic_fetch_add(&bytes, (long)n);
    long seen = atomic_load(&largest);
    while ((long)n > seen && !atomic_compare_exchange_weak(&largest, &seen, (long)n)) {}
}

void *malloc(size_t n) { note(n); return __libc_malloc(n); }
void *calloc(size_t count, size_t size) { note(count * size); return __libc_calloc(count, size); }
void *realloc(void *p, size_t n) { note(n); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t n) { note(n); return __libc_memalign(alignment, n); }
void *aligned_alloc(size_t alignment, size_t n) { note(n); return __libc_memalign(alignment, n); }
int posix_memalign(void **out, size_t alignment, size_t n) {
    note(n);
    void *p = __libc_memalign(alignment, n);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}

/* Per call: at most this many bytes, whatever the size (16 MiB of float logits at the top). */
enum { BOUND = 16 * 1024 };

static int failures = 0, checks = 0;

typedef struct {
    const char *name;
    int64_t batch, classes, inner; /* sigmoid: batch * classes * inner elements */
} problem;

static float *hess;
static float *soft; /* soft targets (IoU-like scores) for QFL and VFL */

static focal_status run(int family, const problem *p, int threads, float *x, float *t, int64_t *y, float *g) {
    float loss;
    int sigmoid = family == 0 || family == 3;
    int64_t n = p->batch * p->classes * p->inner;
    /* The focal family (issue 14), float32, reduction sum: its kernels' block loop and scratch. */
#define FAMILY(kind, name, init, targets)                                                                  \
    if (family == kind) {                                                                                  \
        focal_##name##_options o = init;                                                                   \
        o.reduction = FOCAL_REDUCTION_SUM;                                                                 \
        o.num_threads = threads;                                                                           \
        return focal_##name##_f32(&o, 1, n, 1, x, targets, NULL, FOCAL_WEIGHTS_PER_ELEMENT, NULL, &loss, g, \
                                  NULL);                                                                   \
    }
    FAMILY(6, sigmoid_star, FOCAL_SIGMOID_STAR_OPTIONS_INIT, t)
    FAMILY(7, asymmetric, FOCAL_ASYMMETRIC_OPTIONS_INIT, t)
    FAMILY(8, quality, FOCAL_QUALITY_OPTIONS_INIT, soft)
    FAMILY(9, varifocal, FOCAL_VARIFOCAL_OPTIONS_INIT, soft)
#undef FAMILY
    if (family >= 3) {
        if (sigmoid) {
            focal_sigmoid_options o = FOCAL_SIGMOID_OPTIONS_INIT;
            o.num_threads = threads;
            return focal_sigmoid_grad_hess_f32(&o, FOCAL_HESSIAN_EXACT, p->batch, p->classes, p->inner, x, t, NULL,
                                               FOCAL_WEIGHTS_PER_ELEMENT, g, hess);
        }
        focal_softmax_options o = FOCAL_SOFTMAX_OPTIONS_INIT;
        o.num_threads = threads;
        return focal_softmax_grad_hess_f32_i64(&o, FOCAL_HESSIAN_CLIPPED, p->batch, p->classes, p->inner, x, y, NULL,
                                               g, hess);
    }
    if (sigmoid) {
        focal_sigmoid_options o = FOCAL_SIGMOID_OPTIONS_INIT;
        o.reduction = FOCAL_REDUCTION_SUM;
        o.num_threads = threads;
        return focal_sigmoid_f32(&o, p->batch * p->classes * p->inner, x, t, NULL, &loss, g);
    }
    focal_softmax_options o = FOCAL_SOFTMAX_OPTIONS_INIT;
    o.reduction = FOCAL_REDUCTION_SUM;
    o.num_threads = threads;
    return focal_softmax_f32_i64(&o, p->batch, p->classes, p->inner, x, y, NULL, &loss, g);
}

int main(void) {
    const int64_t most = 4 << 20;
    float *x = __libc_malloc((size_t)most * sizeof(float));
    float *t = __libc_malloc((size_t)most * sizeof(float));
    float *g = __libc_malloc((size_t)most * sizeof(float));
    int64_t *y = __libc_malloc((size_t)most * sizeof(int64_t));
    hess = __libc_malloc((size_t)most * sizeof(float));
    soft = __libc_malloc((size_t)most * sizeof(float));
    for (int64_t i = 0; i < most; i++) {
        x[i] = (float)((i * 7919 % 2001) - 1000) * 0.01f;
        t[i] = i % 97 == 0 ? 1.0f : 0.0f;
        y[i] = i % 3;
        soft[i] = i % 97 == 0 ? 0.25f + (float)(i % 7) * 0.1f : 0.0f;
    }
    const int sizes[] = {1 << 12, 1 << 16, 1 << 20, 4 << 20};
    const int nsizes = (int)(sizeof sizes / sizeof sizes[0]);
    for (int family = 0; family < 10; family++) {
        for (int threads = 1; threads <= 4; threads *= 4) {
            long first = -1;
            for (int s = -1; s < nsizes; s++) {
                int n = sizes[s < 0 ? nsizes - 1 : s]; /* s = -1: the warm-up, at the largest size */
                problem p = family == 0   ? (problem){"sigmoid", n, 1, 1}
                            : family == 1 ? (problem){"softmax (N, 80)", n / 80, 80, 1}
                            : family == 2 ? (problem){"softmax (2, 19, HW)", 2, 19, n / 38}
                            : family == 3 ? (problem){"sigmoid grad_hess", n, 1, 1}
                            : family == 4 ? (problem){"softmax grad_hess (N, 3)", n / 3, 3, 1}
                            : family == 5 ? (problem){"softmax grad_hess (3, N)", 1, 3, n / 3}
                            : family == 6 ? (problem){"sigmoid_star", n, 1, 1}
                            : family == 7 ? (problem){"asymmetric", n, 1, 1}
                            : family == 8 ? (problem){"quality (soft)", n, 1, 1}
                                          : (problem){"varifocal (soft)", n, 1, 1};
                atomic_store(&calls, 0);
                atomic_store(&bytes, 0);
                atomic_store(&largest, 0);
                atomic_store(&counting, 1);
                focal_status status = run(family, &p, threads, x, t, y, g);
                atomic_store(&counting, 0);
                if (s < 0) continue;
                long b = atomic_load(&bytes);
                checks += 4;
                if (threads == 1 && atomic_load(&calls) != 0) {
                    failures++;
                    fprintf(stderr, "FAILED %s n=%d threads=1: %ld allocations, expected none\n", p.name, n, atomic_load(&calls));
                }
                if (status != FOCAL_OK) { failures++; fprintf(stderr, "FAILED %s: status %d\n", p.name, (int)status); }
                if (b > BOUND) { failures++; fprintf(stderr, "FAILED %s n=%d threads=%d: %ld bytes > %d\n", p.name, n, threads, b, BOUND); }
                if (first >= 0 && b > first + 16384) {
                    failures++;
                    fprintf(stderr, "FAILED %s threads=%d: %ld bytes at n=%d, %ld at n=%d: grows with the input\n",
                            p.name, threads, b, n, first, sizes[0]);
                }
                if (first < 0) first = b;
                printf("alloc: %-20s threads=%d n=%8d: %3ld allocations, %6ld bytes, largest %ld\n", p.name, threads, n,
                       atomic_load(&calls), b, atomic_load(&largest));
            }
        }
    }
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
