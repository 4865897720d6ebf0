/* bench.c: throughput of the shipped libfocalloss.so, fused loss + gradient, reduction sum.
 *
 * For sigmoid, softmax and the sigmoid from integer labels (sigmoid_labels), float32 and float64,
 * the same three through their _weighted functions (per-position weights and focal_stats;
 * float32), the three plain families in float16 and bfloat16, the gradient-and-Hessian functions
 * of the sigmoid and the softmax (sigmoid_grad_hess, softmax_grad_hess: per-position weights,
 * both outputs, exact Hessian; float32 and float64), and three shapes (detection head 131072 x 80,
 * segmentation (8, 19, 128, 128), small 1024 x 10) it prints one tab-separated line per
 * precision tier (float32, float16, bfloat16: exact and fast; float64: exact, the only tier it has),
 * then the focal family's rows (Poly-1 on both families, FL*, ASL, QFL, VFL; float32):
 *
 *   family dtype precision shape elements melem_1thread melem_allcores floor_melem_allcores latency_us
 *
 * Melem/s counts logit elements. Each figure is the median of several timed runs after a
 * warm-up. The floor is a loop that reads the same inputs and writes a gradient-sized output
 * (two of them for the gradient-and-Hessian rows)
 * (compiled with this program's flags, split over the same threads); latency is the median
 * time of one small call on the caller's thread. bench/peers.py turns these lines into the
 * table, next to numpy and the PyTorch peers.
 *
 * usage: bench [ROUNDS]    (ROUNDS: timed runs per figure, default 7)
 */
#define _POSIX_C_SOURCE 200809L
#include "focalloss.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef enum { SIGMOID, SOFTMAX, LABELS } family;  /* LABELS: the sigmoid from integer labels */
typedef enum { F32, F64, F16, BF16 } dtype;

typedef struct {
    const char *name;
    int64_t batch, classes, inner;  /* sigmoid: batch * classes * inner elements */
} shape;

static const shape shapes[] = {
    {"detection 131072x80", 131072, 80, 1},
    {"segmentation 8x19x128x128", 8, 19, 128 * 128},
    {"small 1024x10", 1024, 10, 1},
};

typedef struct {
    family fam;
    dtype type;
    shape shp;
    int64_t elements, positions;
    void *logits, *targets, *grad;
    void *hess;      /* the gradient-and-Hessian functions' second output, or NULL */
    void *weights;   /* the _weighted functions: one weight per position (anchor, pixel), or NULL */
    double loss[1];  /* room for one float or one double */
    int threads;
    focal_precision precision;
    int relative;    /* the focal family's rows: 1 Poly-1, 2 FL*, 3 ASL, 4 QFL, 5 VFL; 0 the focal loss */
} bench_case;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A deterministic generator (SplitMix64), uniform in [0, 1). */
static uint64_t rng_state = 42;
static double uniform(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

static size_t element_size(dtype type) {
    return type == F32 ? sizeof(float) : type == F64 ? sizeof(double) : sizeof(uint16_t);
}

/* A float's binary16 bits, rounded to nearest even (normal, subnormal, overflow to infinity). */
static uint16_t half_bits(float value) {
    uint32_t u;
    memcpy(&u, &value, sizeof u);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    float a = fabsf(value);
    if (a != a) return (uint16_t)(sign | 0x7E00);
    if (a >= 65520.0f) return (uint16_t)(sign | 0x7C00);
    if (a < 0x1p-14f) return (uint16_t)(sign | (uint16_t)lrintf(a * 0x1p24f)); /* subnormal: units of 2^-24 */
    int e;
    float m = frexpf(a, &e); /* a = m 2^e, m in [0.5, 1) */
    long q = lrintf(m * 2048.0f); /* 11 significant bits, rounded to nearest even */
    if (q == 2048) { q = 1024; e += 1; }
    return (uint16_t)(sign | (uint16_t)(((e + 14) << 10) + (q - 1024)));
}

/* A float's bfloat16 bits, rounded to nearest even. */
static uint16_t bfloat_bits(float value) {
    uint32_t u;
    memcpy(&u, &value, sizeof u);
    return (uint16_t)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

static void store(void *array, dtype type, int64_t i, double value) {
    if (type == F32) ((float *)array)[i] = (float)value;
    else if (type == F64) ((double *)array)[i] = value;
    else ((uint16_t *)array)[i] = type == F16 ? half_bits((float)value) : bfloat_bits((float)value);
}

static void *checked_malloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) { fprintf(stderr, "bench: out of memory\n"); exit(1); }
    return p;
}

/* Logits roughly as a trained head's: uniform in [-6, 4]; sigmoid targets 1 in 100 positive;
 * softmax targets uniform over the classes; sigmoid labels (mmdet's convention) 2 positions in
 * 100 of a random class and the rest background, and ignored positions: 5% of them at random for
 * (N, C) heads, every tenth image row (runs of 128 pixels) for segmentation. */
static void make_case(bench_case *bc, family fam, dtype type, shape shp) {
    memset(bc, 0, sizeof *bc);
    bc->fam = fam; bc->type = type; bc->shp = shp;
    bc->elements = shp.batch * shp.classes * shp.inner;
    bc->positions = fam == SIGMOID ? bc->elements : shp.batch * shp.inner;
    size_t es = element_size(type);
    bc->logits = checked_malloc((size_t)bc->elements * es);
    bc->grad = checked_malloc((size_t)bc->elements * es);
    for (int64_t i = 0; i < bc->elements; i++) store(bc->logits, type, i, -6 + 10 * uniform());
    if (fam == SIGMOID) {
        bc->targets = checked_malloc((size_t)bc->elements * es);
        for (int64_t i = 0; i < bc->elements; i++) store(bc->targets, type, i, uniform() < 0.01 ? 1 : 0);
    } else if (fam == SOFTMAX) {
        int64_t *y = checked_malloc((size_t)bc->positions * sizeof(int64_t));
        for (int64_t i = 0; i < bc->positions; i++) y[i] = (int64_t)(uniform() * (double)shp.classes);
        bc->targets = y;
    } else {
        int64_t *y = checked_malloc((size_t)bc->positions * sizeof(int64_t));
        for (int64_t i = 0; i < bc->positions; i++) {
            int64_t pixel = i % shp.inner;
            int ignored = shp.inner == 1 ? uniform() < 0.05 : (pixel / 128) % 10 == 0;
            y[i] = ignored ? -100 : uniform() < 0.02 ? (int64_t)(uniform() * (double)shp.classes) : shp.classes;
        }
        bc->targets = y;
    }
    memset(bc->grad, 0, (size_t)bc->elements * es);
}

/* Weights for the _weighted rows: one per position (batch * inner: an anchor's or a pixel's),
 * uniform in [0, 2) with 5% exactly 0, as a per-anchor weight of mmdet's. */
static void add_weights(bench_case *bc) {
    int64_t positions = bc->shp.batch * bc->shp.inner;
    bc->weights = checked_malloc((size_t)positions * element_size(bc->type));
    for (int64_t i = 0; i < positions; i++) store(bc->weights, bc->type, i, uniform() < 0.05 ? 0 : 2 * uniform());
}

/* The gradient-and-Hessian rows: a Hessian output beside the gradient. */
static void add_hessian(bench_case *bc) {
    bc->hess = checked_malloc((size_t)bc->elements * element_size(bc->type));
    memset(bc->hess, 0, (size_t)bc->elements * element_size(bc->type));
}

static void free_case(bench_case *bc) {
    free(bc->logits); free(bc->targets); free(bc->grad); free(bc->weights); free(bc->hess);
}

/* The call of one storage type: `f` is the function's name without its dtype, L the loss cast. */
#define BY_TYPE(f, tail, ...)                                                                        \
    (bc->type == F32 ? f##f32##tail(__VA_ARGS__, (float *)bc->loss, bc->grad STATS)                   \
     : bc->type == F64 ? f##f64##tail(__VA_ARGS__, (double *)bc->loss, bc->grad STATS)                \
     : bc->type == F16 ? f##f16##tail(__VA_ARGS__, (focal_f16 *)bc->loss, bc->grad STATS)             \
                       : f##bf16##tail(__VA_ARGS__, (focal_bf16 *)bc->loss, bc->grad STATS))

static void run_library(const bench_case *bc_const) {
    bench_case *bc = (bench_case *)bc_const;
    focal_status s;
    focal_stats stats = FOCAL_STATS_INIT;
    const shape *p = &bc->shp;
    focal_sigmoid_options opt = FOCAL_SIGMOID_OPTIONS_INIT;
    focal_softmax_options sopt = FOCAL_SOFTMAX_OPTIONS_INIT;
    opt.reduction = sopt.reduction = FOCAL_REDUCTION_SUM;
    opt.num_threads = sopt.num_threads = bc->threads;
    opt.precision = sopt.precision = bc->precision;
    if (bc->relative == 1) opt.poly1_epsilon = sopt.poly1_epsilon = 1.0;
    if (bc->relative > 1) {
        /* The focal family, float32 (the sigmoid's dense inputs, targets made soft by
         * soften_targets), no weights. */
#define STATS , NULL
#define FAMILY_CALL(name, o) \
    focal_##name##_f32(&o, 1, bc->elements, 1, bc->logits, bc->targets, NULL, FOCAL_WEIGHTS_PER_ELEMENT, NULL, \
                       (float *)bc->loss, bc->grad, NULL)
        if (bc->relative == 2) {
            focal_sigmoid_star_options o = FOCAL_SIGMOID_STAR_OPTIONS_INIT;
            o.reduction = FOCAL_REDUCTION_SUM; o.num_threads = bc->threads; o.gamma = 2; o.beta = 1;
            s = FAMILY_CALL(sigmoid_star, o);
        } else if (bc->relative == 3) {
            focal_asymmetric_options o = FOCAL_ASYMMETRIC_OPTIONS_INIT;
            o.reduction = FOCAL_REDUCTION_SUM; o.num_threads = bc->threads;
            s = FAMILY_CALL(asymmetric, o);
        } else if (bc->relative == 4) {
            focal_quality_options o = FOCAL_QUALITY_OPTIONS_INIT;
            o.reduction = FOCAL_REDUCTION_SUM; o.num_threads = bc->threads;
            s = FAMILY_CALL(quality, o);
        } else {
            focal_varifocal_options o = FOCAL_VARIFOCAL_OPTIONS_INIT;
            o.reduction = FOCAL_REDUCTION_SUM; o.num_threads = bc->threads;
            s = FAMILY_CALL(varifocal, o);
        }
#undef FAMILY_CALL
#undef STATS
    } else if (bc->hess) {
        /* Gradient and Hessian (float32 or float64), per-position weights, the exact Hessian. */
        if (bc->fam == SIGMOID)
            s = bc->type == F32
                ? focal_sigmoid_grad_hess_f32(&opt, FOCAL_HESSIAN_EXACT, p->batch, p->classes, p->inner, bc->logits,
                                              bc->targets, bc->weights, FOCAL_WEIGHTS_PER_POSITION, bc->grad, bc->hess)
                : focal_sigmoid_grad_hess_f64(&opt, FOCAL_HESSIAN_EXACT, p->batch, p->classes, p->inner, bc->logits,
                                              bc->targets, bc->weights, FOCAL_WEIGHTS_PER_POSITION, bc->grad, bc->hess);
        else
            s = bc->type == F32
                ? focal_softmax_grad_hess_f32_i64(&sopt, FOCAL_HESSIAN_EXACT, p->batch, p->classes, p->inner,
                                                  bc->logits, bc->targets, bc->weights, bc->grad, bc->hess)
                : focal_softmax_grad_hess_f64_i64(&sopt, FOCAL_HESSIAN_EXACT, p->batch, p->classes, p->inner,
                                                  bc->logits, bc->targets, bc->weights, bc->grad, bc->hess);
    } else if (bc->weights) {
        /* The _weighted functions with per-position weights and their statistics. */
#define STATS , &stats
        if (bc->fam == SIGMOID)
            s = BY_TYPE(focal_sigmoid_weighted_, , &opt, p->batch, p->classes, p->inner, bc->logits, bc->targets,
                        bc->weights, FOCAL_WEIGHTS_PER_POSITION, NULL);
        else if (bc->fam == LABELS)
            s = BY_TYPE(focal_sigmoid_labels_weighted_, _i64, &opt, p->batch, p->classes, p->inner, bc->logits,
                        bc->targets, bc->weights, FOCAL_WEIGHTS_PER_POSITION, NULL);
        else
            s = BY_TYPE(focal_softmax_weighted_, _i64, &sopt, p->batch, p->classes, p->inner, bc->logits, bc->targets,
                        bc->weights, NULL);
#undef STATS
    } else {
#define STATS
        if (bc->fam == SIGMOID)
            s = BY_TYPE(focal_sigmoid_, , &opt, bc->elements, bc->logits, bc->targets, NULL);
        else if (bc->fam == LABELS)
            s = BY_TYPE(focal_sigmoid_labels_, _i64, &opt, p->batch, p->classes, p->inner, bc->logits, bc->targets, NULL);
        else
            s = BY_TYPE(focal_softmax_, _i64, &sopt, p->batch, p->classes, p->inner, bc->logits, bc->targets, NULL);
#undef STATS
    }
    if (s != FOCAL_OK) {
        fprintf(stderr, "bench: %s: %s\n", focal_status_string(s), focal_last_error_message());
        exit(1);
    }
}

/* ---- The memory-stream floor: read the inputs once, write one gradient-sized output. ---- */

typedef struct {
    const bench_case *bc;
    int64_t begin, end;  /* a range of sigmoid elements, or of softmax (batch, inner) rows */
} floor_slice;

#define FLOOR_LOOP(T)                                                                        \
    do {                                                                                     \
        const T *x = bc->logits;                                                             \
        T *g = bc->grad;                                                                     \
        T *h = bc->hess;                                                                     \
        if (bc->fam == SIGMOID) {                                                            \
            const T *t = bc->targets;                                                        \
            for (int64_t i = sl->begin; i < sl->end; i++) g[i] = x[i] - t[i];                \
            if (h)                                                                           \
                for (int64_t i = sl->begin; i < sl->end; i++) h[i] = x[i] * t[i];            \
        } else {                                                                             \
            const int64_t *y = bc->targets;                                                  \
            int64_t C = bc->shp.classes, inner = bc->shp.inner;                              \
            for (int64_t n = sl->begin; n < sl->end; n++)                                    \
                if (inner == 1) {                                                            \
                    for (int64_t c = 0; c < C; c++)                                          \
                        g[n * C + c] = x[n * C + c] - (T)(y[n] == c);                        \
                    if (h)                                                                   \
                        for (int64_t c = 0; c < C; c++) h[n * C + c] = x[n * C + c] * x[n * C + c]; \
                } else {                                                                     \
                    for (int64_t c = 0; c < C; c++) {                                        \
                        const T *xr = x + (n * C + c) * inner;                               \
                        T *gr = g + (n * C + c) * inner;                                     \
                        const int64_t *yr = y + n * inner;                                   \
                        for (int64_t i = 0; i < inner; i++) gr[i] = xr[i] - (T)(yr[i] == c); \
                        if (h)                                                               \
                            for (int64_t i = 0; i < inner; i++) h[(n * C + c) * inner + i] = xr[i] * xr[i]; \
                    }                                                                        \
                }                                                                            \
        }                                                                                    \
    } while (0)

static void *floor_worker(void *arg) {
    const floor_slice *sl = arg;
    const bench_case *bc = sl->bc;
    if (bc->type == F32) FLOOR_LOOP(float);
    else if (bc->type == F64) FLOOR_LOOP(double);
    else FLOOR_LOOP(uint16_t); /* the same traffic for the 16-bit types (integer arithmetic) */
    return NULL;
}

static void run_floor(const bench_case *bc) {
    enum { MAX_THREADS = 256 };
    pthread_t tid[MAX_THREADS];
    floor_slice slices[MAX_THREADS];
    int64_t rows = bc->fam == SIGMOID ? bc->elements : bc->shp.batch;
    int threads = bc->threads < 1 ? 1 : bc->threads > MAX_THREADS ? MAX_THREADS : bc->threads;
    if (rows < threads) threads = 1;
    for (int w = 0; w < threads; w++) {
        slices[w] = (floor_slice){bc, rows * w / threads, rows * (w + 1) / threads};
        if (w > 0 && pthread_create(&tid[w], NULL, floor_worker, &slices[w]) != 0) {
            fprintf(stderr, "bench: pthread_create failed\n");
            exit(1);
        }
    }
    floor_worker(&slices[0]);
    for (int w = 1; w < threads; w++) pthread_join(tid[w], NULL);
}

/* Median seconds per call of `fn`: one warm-up, then `rounds` timed samples, each of enough
 * calls to last about 20 ms. */
static double median_seconds(void (*fn)(const bench_case *), const bench_case *bc, int rounds) {
    fn(bc);
    double t0 = now();
    fn(bc);
    double once = now() - t0;
    int calls = once > 0.02 ? 1 : (int)(0.02 / (once > 1e-7 ? once : 1e-7)) + 1;
    double samples[64];
    if (rounds > 64) rounds = 64;
    for (int r = 0; r < rounds; r++) {
        double start = now();
        for (int k = 0; k < calls; k++) fn(bc);
        samples[r] = (now() - start) / calls;
    }
    qsort(samples, (size_t)rounds, sizeof samples[0], compare_doubles);
    return samples[rounds / 2];
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 7;
    if (rounds < 1) rounds = 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int all = cpus > 0 ? (int)cpus : 1;
    printf("# bench: libfocalloss %s, %d online CPUs, median of %d runs\n", focal_version_string(), all, rounds);
    printf("# family\tdtype\tprecision\tshape\telements\tmelem_1thread\tmelem_allcores\tfloor_melem_allcores\tlatency_us\n");
    static const char *const family_names[] = {"sigmoid", "softmax", "sigmoid_labels",
                                               "sigmoid_weighted", "softmax_weighted", "sigmoid_labels_weighted",
                                               "sigmoid_grad_hess", "softmax_grad_hess"};
    /* Families 3 to 5: the same inputs through the _weighted functions, per-position weights
     * and statistics, float32 only (the path whose cost they show is the same in float64). */
    static const char *const dtype_names[] = {"float32", "float64", "float16", "bfloat16"};
    /* Families 6 and 7: the gradient-and-Hessian functions, float32 and float64. */
    for (int f = 0; f <= 7; f++) {
        /* dtypes: float32 and float64 for the plain families, then float16 and bfloat16. */
        for (int d = 0; d <= (f < 3 ? 3 : f < 6 ? 0 : 1); d++) {
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                bench_case bc;
                make_case(&bc, f < 6 ? (family)(f % 3) : (family)(f - 6), (dtype)d, shapes[s]);
                if (f >= 3) add_weights(&bc);
                if (f >= 6) add_hessian(&bc);
                double melem = (double)bc.elements * 1e-6;
                bc.threads = bc.elements >= 65536 ? all : 1;
                double floor_time = median_seconds(run_floor, &bc, rounds);
                int tiers = d == F64 ? 1 : 2;
                for (int p = 0; p < tiers; p++) {
                    bc.precision = p == 0 ? FOCAL_PRECISION_EXACT : FOCAL_PRECISION_FAST;
                    bc.threads = 1;
                    double one = median_seconds(run_library, &bc, rounds);
                    bc.threads = 0;
                    double every = median_seconds(run_library, &bc, rounds);
                    printf("%s\t%s\t%s\t%s\t%lld\t%.1f\t%.1f\t%.1f\t%.2f\n", family_names[f],
                           dtype_names[d], p == 0 ? "exact" : "fast", shapes[s].name,
                           (long long)bc.elements, melem / one, melem / every, melem / floor_time, one * 1e6);
                    fflush(stdout);
                }
                free_case(&bc);
            }
        }
    }
    /* The focal family (issue 14), float32, sum: Poly-1 (epsilon 1) on the sigmoid and the
     * softmax, FL* (gamma 2, beta 1), ASL, QFL and VFL (their defaults). The family computes in
     * double in both tiers: one row each; Poly-1 rows in both tiers. Positive targets are IoU
     * scores in [0.3, 1) for QFL and VFL (soft), 1 for the others. */
    {
        static const char *const names[] = {"", "poly1", "sigmoid_star", "asymmetric", "quality", "varifocal"};
        for (int r = 1; r <= 5; r++) {
            for (int f = 0; f <= (r == 1 ? 1 : 0); f++) {
                for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                    bench_case bc;
                    make_case(&bc, (family)f, F32, shapes[s]);
                    bc.relative = r;
                    if (r >= 4)
                        for (int64_t i = 0; i < bc.elements; i++)
                            if (((float *)bc.targets)[i] == 1) ((float *)bc.targets)[i] = (float)(0.3 + 0.7 * uniform());
                    double melem = (double)bc.elements * 1e-6;
                    bc.threads = bc.elements >= 65536 ? all : 1;
                    double floor_time = median_seconds(run_floor, &bc, rounds);
                    for (int p = 0; p < (r == 1 ? 2 : 1); p++) {
                        bc.precision = p == 0 ? FOCAL_PRECISION_EXACT : FOCAL_PRECISION_FAST;
                        bc.threads = 1;
                        double one = median_seconds(run_library, &bc, rounds);
                        bc.threads = 0;
                        double every = median_seconds(run_library, &bc, rounds);
                        printf("%s%s\tfloat32\t%s\t%s\t%lld\t%.1f\t%.1f\t%.1f\t%.2f\n", r == 1 ? (f == 0 ? "sigmoid_" : "softmax_") : "",
                               names[r], p == 0 ? "exact" : "fast", shapes[s].name, (long long)bc.elements, melem / one,
                               melem / every, melem / floor_time, one * 1e6);
                        fflush(stdout);
                    }
                    free_case(&bc);
                }
            }
        }
    }
    /* Tiny calls: what a call costs beyond its elements (options, validation, dispatch). */
    {
        static const shape tiny[] = {{"8 elements", 1, 8, 1}, {"2x5", 2, 5, 1}};
        printf("# tiny calls, float32, 1 thread, median per call:");
        for (int f = 0; f <= 1; f++) {
            bench_case bc;
            make_case(&bc, (family)f, F32, tiny[f]);
            bc.threads = 1;
            printf(" %s %s %.3f us%s", f == SIGMOID ? "sigmoid" : "softmax", tiny[f].name,
                   median_seconds(run_library, &bc, rounds) * 1e6, f == SIGMOID ? ";" : "\n");
            free_case(&bc);
        }
    }
    return 0;
}
