/* speed_builds.c: the speed of two builds of libfocalloss on the same call, alternated in one
 * process, so that a shared machine's load moves both alike (tools/compare_builds.py is its
 * twin for the bits).
 *
 *   make build/speed_builds
 *   build/speed_builds OLD/libfocalloss.so NEW/libfocalloss.so sigmoid 1024 64 1 exact 2 15
 *
 * Arguments: the two libraries (paths; copies of one build under two names load twice), the
 * family (sigmoid or softmax, or one of the focal family: sigmoid_star, asymmetric, quality,
 * varifocal), N and C (float32 logits N x C, sigmoid targets 1 in 100 positive, soft scores in
 * [0.3, 1) for quality and varifocal as in make bench, softmax int64 labels), the thread count,
 * the precision tier (exact or fast), gamma (the focal family: FL*'s gamma, ASL's gamma_neg,
 * QFL's beta, VFL's gamma; their other options at their defaults, FL*'s beta 1) and the number
 * of rounds. Each round times a batch of calls (reduction sum, with the
 * gradient) on each library in turn; it prints each library's median time per call and
 * Melem/s, and NEW's speed over OLD's. 1024 x 64 float32 inputs stay in a core's cache, so
 * they measure the kernels' arithmetic rather than the memory.
 */
#define _POSIX_C_SOURCE 200809L
#include "focalloss.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef focal_status (*sigmoid_fn)(const focal_sigmoid_options *, int64_t, const float *, const float *,
                                   const float *, float *, float *);
typedef focal_status (*softmax_fn)(const focal_softmax_options *, int64_t, int64_t, int64_t, const float *,
                                   const int64_t *, const float *, float *, float *);
/* The focal family's functions: their options struct, then the same parameters. */
#define FAMILY_PARAMETERS                                                                                          \
    int64_t, int64_t, int64_t, const float *, const float *, const float *, focal_weights_layout, const float *, \
        float *, float *, focal_stats *
typedef focal_status (*star_fn)(const focal_sigmoid_star_options *, FAMILY_PARAMETERS);
typedef focal_status (*asymmetric_fn)(const focal_asymmetric_options *, FAMILY_PARAMETERS);
typedef focal_status (*quality_fn)(const focal_quality_options *, FAMILY_PARAMETERS);
typedef focal_status (*varifocal_fn)(const focal_varifocal_options *, FAMILY_PARAMETERS);
/* One of them, as dlsym found it: the member of loss_kind's type is used. */
typedef union {
    star_fn star;
    asymmetric_fn asymmetric;
    quality_fn quality;
    varifocal_fn varifocal;
    void *symbol;
} family_fn;

/* The focal family's losses: speed_builds' name, the function, whether targets are soft. */
static const struct {
    const char *name, *function;
    int soft;
} family_losses[] = {{"sigmoid_star", "focal_sigmoid_star_f32", 0},
                     {"asymmetric", "focal_asymmetric_f32", 0},
                     {"quality", "focal_quality_f32", 1},
                     {"varifocal", "focal_varifocal_f32", 1}};
enum { FAMILY_LOSSES = sizeof family_losses / sizeof family_losses[0] };

enum { MAX_ROUNDS = 101 };

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int usage(void) {
    fprintf(stderr, "usage: speed_builds OLD.so NEW.so sigmoid|softmax|sigmoid_star|asymmetric|quality|varifocal N C "
                    "THREADS exact|fast GAMMA ROUNDS\n");
    return 2;
}

int main(int argc, char **argv) {
    sigmoid_fn sigmoid[2];
    softmax_fn softmax[2];
    family_fn family[2];
    int loss_kind = -1; /* an index into family_losses, or -1 */
    static double times[2][MAX_ROUNDS];
    int is_sigmoid, threads, rounds, round, v, calls, j;
    long batch, classes, n, i;
    focal_precision precision;
    double gamma;
    float *x, *t, *grad, loss[1];
    int64_t *labels;
    if (argc != 10) return usage();
    for (j = 0; j < FAMILY_LOSSES; ++j)
        if (strcmp(argv[3], family_losses[j].name) == 0) loss_kind = j;
    for (v = 0; v < 2; ++v) {
        void *library = dlopen(argv[1 + v], RTLD_NOW | RTLD_LOCAL);
        if (!library) {
            fprintf(stderr, "%s\n", dlerror());
            return 1;
        }
        /* POSIX: a data pointer from dlsym converts to a function pointer. */
        *(void **)&sigmoid[v] = dlsym(library, "focal_sigmoid_f32");
        *(void **)&softmax[v] = dlsym(library, "focal_softmax_f32_i64");
        if (!sigmoid[v] || !softmax[v]) {
            fprintf(stderr, "%s: no focal_sigmoid_f32 or focal_softmax_f32_i64\n", argv[1 + v]);
            return 1;
        }
        if (loss_kind >= 0) {
            family[v].symbol = dlsym(library, family_losses[loss_kind].function);
            if (!family[v].symbol) {
                fprintf(stderr, "%s: no %s\n", argv[1 + v], family_losses[loss_kind].function);
                return 1;
            }
        }
    }
    is_sigmoid = strcmp(argv[3], "sigmoid") == 0 || loss_kind >= 0;
    batch = atol(argv[4]);
    classes = atol(argv[5]);
    threads = atoi(argv[6]);
    precision = strcmp(argv[7], "fast") == 0 ? FOCAL_PRECISION_FAST : FOCAL_PRECISION_EXACT;
    gamma = atof(argv[8]);
    rounds = atoi(argv[9]);
    if ((!is_sigmoid && strcmp(argv[3], "softmax") != 0) || batch < 1 || classes < 1 || threads < 0 ||
        (precision == FOCAL_PRECISION_EXACT && strcmp(argv[7], "exact") != 0) || rounds < 1 || rounds > MAX_ROUNDS) {
        return usage();
    }
    n = batch * classes;
    x = malloc(sizeof *x * (size_t)n);
    t = malloc(sizeof *t * (size_t)n);
    grad = malloc(sizeof *grad * (size_t)n);
    labels = malloc(sizeof *labels * (size_t)batch);
    if (!x || !t || !grad || !labels) return 1;
    srand(1);
    for (i = 0; i < n; ++i) {
        x[i] = (float)((rand() / (double)RAND_MAX - 0.5) * 8);
        t[i] = rand() % 100 == 0 ? 1.0f : 0.0f;
        if (loss_kind >= 0 && family_losses[loss_kind].soft && t[i] == 1.0f)
            t[i] = (float)(0.3 + 0.7 * (rand() / ((double)RAND_MAX + 1)));
    }
    for (i = 0; i < batch; ++i) labels[i] = rand() % classes;
    /* Batches of about 5 ms at 1 Gelem/s. */
    calls = n >= 5000000 ? 1 : (int)(5000000 / n);
    for (round = 0; round < rounds; ++round) {
        for (v = 0; v < 2; ++v) {
            double start = now();
            for (j = 0; j < calls; ++j) {
                focal_status status;
                /* A focal family call: its options at their defaults but `setting`. */
#define FAMILY_CALL(member, type, init, setting)                                                  \
    {                                                                                             \
        type o = init;                                                                            \
        o.reduction = FOCAL_REDUCTION_SUM;                                                        \
        o.num_threads = threads;                                                                  \
        o.precision = precision;                                                                  \
        setting;                                                                                  \
        status = family[v].member(&o, 1, n, 1, x, t, NULL, FOCAL_WEIGHTS_PER_ELEMENT, NULL, loss, \
                                  grad, NULL);                                                    \
    }
                if (loss_kind == 0) {
                    FAMILY_CALL(star, focal_sigmoid_star_options, FOCAL_SIGMOID_STAR_OPTIONS_INIT,
                                (o.gamma = gamma, o.beta = 1))
                } else if (loss_kind == 1) {
                    FAMILY_CALL(asymmetric, focal_asymmetric_options, FOCAL_ASYMMETRIC_OPTIONS_INIT,
                                o.gamma_neg = gamma)
                } else if (loss_kind == 2) {
                    FAMILY_CALL(quality, focal_quality_options, FOCAL_QUALITY_OPTIONS_INIT, o.beta = gamma)
                } else if (loss_kind == 3) {
                    FAMILY_CALL(varifocal, focal_varifocal_options, FOCAL_VARIFOCAL_OPTIONS_INIT, o.gamma = gamma)
#undef FAMILY_CALL
                } else if (is_sigmoid) {
                    focal_sigmoid_options o = FOCAL_SIGMOID_OPTIONS_INIT;
                    o.reduction = FOCAL_REDUCTION_SUM;
                    o.num_threads = threads;
                    o.precision = precision;
                    o.gamma = gamma;
                    status = sigmoid[v](&o, n, x, t, NULL, loss, grad);
                } else {
                    focal_softmax_options o = FOCAL_SOFTMAX_OPTIONS_INIT;
                    o.reduction = FOCAL_REDUCTION_SUM;
                    o.num_threads = threads;
                    o.precision = precision;
                    o.gamma = gamma;
                    status = softmax[v](&o, batch, classes, 1, x, labels, NULL, loss, grad);
                }
                if (status != FOCAL_OK) {
                    fprintf(stderr, "%s: status %d\n", argv[1 + v], (int)status);
                    return 1;
                }
            }
            times[v][round] = (now() - start) / calls;
        }
    }
    for (v = 0; v < 2; ++v) qsort(times[v], (size_t)rounds, sizeof(double), compare_doubles);
    {
        double old = times[0][rounds / 2], new = times[1][rounds / 2];
        printf("%s float32 %ldx%ld, %d thread(s), %s, gamma %g: OLD %.2f us (%.0f Melem/s), NEW %.2f us "
               "(%.0f Melem/s): NEW/OLD speed %.3f\n",
               argv[3], batch, classes, threads, argv[7], gamma, old * 1e6, n / old / 1e6, new * 1e6,
               n / new / 1e6, old / new);
    }
    free(x);
    free(t);
    free(grad);
    free(labels);
    return 0;
}
