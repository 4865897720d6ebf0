/*
 * test_weights.c: the _weighted functions of include/focalloss.h (weights and statistics)
 * called across the C ABI.
 *
 * Compiled as C99 and as C++11 with -Wall -Wextra -pedantic -Werror (see the Makefile).
 * Every one of the ten _weighted functions goes through one dispatcher, so that each check
 * runs on each family (sigmoid, sigmoid from labels, softmax), dtype and label type:
 *  - weights NULL, and weights all 1, give the unweighted function's results bit for bit
 *    (every reduction, both tiers, accumulation on and off, upstream gradient given and NULL);
 *    per-position weights give the same weights expanded per element bit for bit;
 *  - weighted results against references this file computes itself in long double
 *    (torchvision's sigmoid focal loss and the softmax focal loss written out from their
 *    definitions, gradients by formula, the formula checked by central differences);
 *  - a weight of 0 gives loss 0 and gradient 0 whatever the logit (NaN, +-inf); a softmax
 *    weight of 0 leaves its position out as ignore_index does;
 *  - the stats (positives, weight_sum, divisor) exactly as the header defines them;
 *  - every error writes nothing (sentinels in every output and in the stats struct) and the
 *    message names the argument (the first bad weight's index);
 *  - num_threads 1, 2 and 0 bitwise identical on inputs of several chunks.
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "focalloss.h"
#include "check.h"

/* `test_weights_c --light` (the valgrind run, ~50x slower): every function, layout, reduction
 * and error still runs, over fewer gammas, upstream/accumulation pairs and large calls. */
static int light = 0;


/* ------------------------------------------------------------------ references */

/* log sigma(x), with exp never overflowing (valgrind runs long double at double precision). */
static long double log_sigmoid(long double x) { return x < 0 ? x - log1pl(expl(x)) : -log1pl(expl(-x)); }

/* torchvision's sigmoid focal loss of one element and its derivative in x:
 *     loss = alpha_t BCE(x, t) m^gamma,  m = 1 - p_t = t q + (1 - t) p,  p = sigma(x), q = sigma(-x)
 *     d BCE / dx = p - t = p (1 - t) - t q,   d m / dx = p q (1 - 2 t)
 *     d loss / dx = alpha_t [(p - t) m^gamma + BCE gamma m^(gamma - 1) p q (1 - 2 t)]  */
static void sigmoid_ref(long double x, long double t, double alpha, double gamma, long double *loss, long double *grad) {
    long double logp = log_sigmoid(x), logq = log_sigmoid(-x);
    long double p = expl(logp), q = expl(logq);
    long double bce = -(t * logp + (1 - t) * logq);
    long double m = t * q + (1 - t) * p;
    long double at = alpha < 0 ? 1.0L : alpha * t + (1 - alpha) * (1 - t);
    long double focus = gamma == 0 ? 1.0L : powl(m, (long double)gamma);
    /* m = 0 only where it underflowed; the term's limit there is 0. */
    long double dfocus = gamma == 0 || m == 0 ? 0.0L : (long double)gamma * powl(m, (long double)gamma - 1) * p * q * (1 - 2 * t);
    *loss = at * bce * focus;
    *grad = at * ((p * (1 - t) - t * q) * focus + bce * dfocus);
}

#define MAX_CLASSES 16

/* The softmax focal loss of one position: x[c] its logits (c < classes), y its target,
 * weights a_c = alpha_c q_c with q_c = (1 - eps) [c = y] + eps / C, p = softmax(x):
 *     loss = - sum_c a_c m_c^gamma log p_c,  m_c = 1 - p_c = sum_{j != c} p_j
 *     d log p_c / d x_j = [c = j] - p_j,   d m_c / d x_j = -p_c ([c = j] - p_j)
 *     d loss / d x_j = - sum_c a_c [m_c^gamma ([c = j] - p_j) + gamma m_c^(gamma - 1) log p_c d m_c / d x_j]  */
static long double softmax_ref(const long double *x, int classes, int64_t y, const double *alpha, double eps, double gamma,
                               long double *grad) {
    long double top = x[0], s = 0, logz, loss = 0, logp[MAX_CLASSES], p[MAX_CLASSES], m[MAX_CLASSES];
    int c, j, arg = 0;
    for (c = 1; c < classes; ++c) if (x[c] > top) { top = x[c]; arg = c; }
    /* log sum exp(x - top) = log1p(the terms other than the top one's 1): a confident row's
     * loss, -log p_top ~ s, keeps its digits (valgrind runs long double at double precision). */
    for (c = 0; c < classes; ++c) if (c != arg) s += expl(x[c] - top);
    logz = log1pl(s);
    for (c = 0; c < classes; ++c) { logp[c] = x[c] - top - logz; p[c] = expl(logp[c]); }
    for (c = 0; c < classes; ++c) {
        m[c] = 0;
        for (j = 0; j < classes; ++j) if (j != c) m[c] += p[j];
    }
    for (j = 0; j < classes; ++j) grad[j] = 0;
    for (c = 0; c < classes; ++c) {
        long double a = (alpha ? alpha[c] : 1.0) * ((c == y ? 1 - eps : 0.0) + eps / classes);
        long double focus = gamma == 0 ? 1.0L : powl(m[c], (long double)gamma);
        if (a == 0) continue;
        loss += -a * focus * logp[c];
        for (j = 0; j < classes; ++j) {
            long double dlogp = c == j ? m[c] : -p[j];  /* [c = j] - p_j without cancellation */
            long double dm = -p[c] * dlogp;
            long double second = gamma == 0 || m[c] == 0 ? 0.0L : (long double)gamma * powl(m[c], (long double)gamma - 1) * dm * logp[c];
            grad[j] += -a * (focus * dlogp + second);
        }
    }
    return loss;
}

/* ------------------------------------------------------------------ helpers */

/* A deterministic generator: uniform in [lo, hi). */
static unsigned long long rng_state = 88172645463325252ULL;
static double uniform(double lo, double hi) {
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return lo + (hi - lo) * (double)(rng_state >> 11) / 9007199254740992.0;
}
/* A dyadic value k / 8, 0 <= k < 8 * hi: sums of these are exact in any order. */
static double dyadic(double hi) { return floor(uniform(0, 8 * hi)) / 8; }

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}

static double value_at(int f64, const void *p, size_t i) { return f64 ? ((const double *)p)[i] : (double)((const float *)p)[i]; }
static void set_value(int f64, void *p, size_t i, double v) { if (f64) ((double *)p)[i] = v; else ((float *)p)[i] = (float)v; }
static void *make_values(int f64, const double *v, size_t n) {
    void *p = xmalloc(n * (f64 ? 8 : 4));
    size_t i;
    for (i = 0; i < n; ++i) set_value(f64, p, i, v[i]);
    return p;
}
static void *fill_values(int f64, size_t n, double v) {
    void *p = xmalloc(n * (f64 ? 8 : 4));
    size_t i;
    for (i = 0; i < n; ++i) set_value(f64, p, i, v);
    return p;
}
static void *make_labels(int i32, const int64_t *y, size_t n) {
    void *p = xmalloc(n * (i32 ? 4 : 8));
    size_t i;
    for (i = 0; i < n; ++i) { if (i32) ((int32_t *)p)[i] = (int32_t)y[i]; else ((int64_t *)p)[i] = y[i]; }
    return p;
}
/* Bit for bit, a NaN equal to any NaN. Returns the first index that differs, or n. */
static size_t first_difference(int f64, const void *a, const void *b, size_t n) {
    size_t i, w = f64 ? 8 : 4;
    for (i = 0; i < n; ++i) {
        double x = value_at(f64, a, i), y = value_at(f64, b, i);
        if (memcmp((const char *)a + i * w, (const char *)b + i * w, w) != 0 && !(isnan(x) && isnan(y))) return i;
    }
    return n;
}

/* Float32 spacing at |v|. */
static long double float_spacing(long double v) {
    float r = (float)fabsl(v);
    return (long double)nextafterf(r, INFINITY) - (long double)r;
}

/* The worst errors seen against the references: float32 ulps per tier, float64 relative. */
static double worst_ulps[2], worst_relative;

/* got within `ulps` float32 ulps of want (float64: 1e-12 relative), or within `floor`. The
 * error is recorded (tier: 0 exact, 1 fast; -1 not recorded). */
static int near_recorded(int f64, int tier, double got, long double want, double ulps, long double floor_) {
    long double err;
    if (isnan(got) || isnan((double)want)) return isnan(got) && isnan((double)want);
    if (isinf(got) || isinf((double)want)) return got == (double)want;
    err = fabsl((long double)got - want);
    if (tier >= 0 && !(err <= floor_) && want != 0) {
        if (f64 && (double)(err / fabsl(want)) > worst_relative) worst_relative = (double)(err / fabsl(want));
        if (!f64 && (double)(err / float_spacing(want)) > worst_ulps[tier]) worst_ulps[tier] = (double)(err / float_spacing(want));
    }
    if (err <= floor_) return 1;
    if (f64) return err <= 1e-12L * fabsl(want);
    return err <= (long double)ulps * float_spacing(want);
}

/* ------------------------------------------------------------------ the ten functions */

enum { SIGMOID = 0, LABELS = 1, SOFTMAX = 2 };

typedef struct { int family, f64, i32; } kind;

static const kind kinds[] = {
    {SIGMOID, 0, 0}, {SIGMOID, 1, 0},
    {LABELS, 0, 0}, {LABELS, 0, 1}, {LABELS, 1, 0}, {LABELS, 1, 1},
    {SOFTMAX, 0, 0}, {SOFTMAX, 0, 1}, {SOFTMAX, 1, 0}, {SOFTMAX, 1, 1},
};
#define KINDS (sizeof kinds / sizeof kinds[0])

static const char *kind_name(kind k) {
    static const char *const names[3][2][2] = {
        {{"sigmoid_weighted_f32", "sigmoid_weighted_f32"}, {"sigmoid_weighted_f64", "sigmoid_weighted_f64"}},
        {{"sigmoid_labels_weighted_f32_i64", "sigmoid_labels_weighted_f32_i32"},
         {"sigmoid_labels_weighted_f64_i64", "sigmoid_labels_weighted_f64_i32"}},
        {{"softmax_weighted_f32_i64", "softmax_weighted_f32_i32"}, {"softmax_weighted_f64_i64", "softmax_weighted_f64_i32"}},
    };
    return names[k.family][k.f64][k.i32];
}

/* Both options structs; the call takes its family's. */
typedef struct {
    focal_sigmoid_options s;
    focal_softmax_options x;
} options;

static void options_make(options *o, focal_reduction reduction, focal_precision precision, double gamma) {
    focal_sigmoid_options_init(&o->s, FOCAL_SIGMOID_OPTIONS_VERSION);
    focal_softmax_options_init(&o->x, FOCAL_SOFTMAX_OPTIONS_VERSION);
    o->s.reduction = o->x.reduction = reduction;
    o->s.precision = o->x.precision = precision;
    o->s.gamma = o->x.gamma = gamma;
    o->s.num_threads = o->x.num_threads = 1;
}
static void options_normalizer(options *o, double normalizer) {
    o->s.use_normalizer = o->x.use_normalizer = 1;
    o->s.normalizer = o->x.normalizer = normalizer;
}
static void options_accumulate(options *o, int on) { o->s.accumulate_grad = o->x.accumulate_grad = on; }
static void options_threads(options *o, int n) { o->s.num_threads = o->x.num_threads = n; }
static focal_reduction reduction_of(kind k, const options *o) { return k.family == SOFTMAX ? o->x.reduction : o->s.reduction; }
static int uses_normalizer(kind k, const options *o) { return k.family == SOFTMAX ? o->x.use_normalizer : o->s.use_normalizer; }
static double normalizer_of(kind k, const options *o) { return k.family == SOFTMAX ? o->x.normalizer : o->s.normalizer; }
static int64_t ignore_of(kind k, const options *o) { return k.family == SOFTMAX ? o->x.ignore_index : o->s.ignore_index; }

/* The _weighted function of kind k. o NULL passes NULL options. */
static focal_status call_weighted(kind k, const options *o, int64_t b, int64_t c, int64_t in, const void *x, const void *t,
                                  const void *w, int layout, const void *up, void *loss, void *grad, focal_stats *st) {
    const focal_sigmoid_options *so = o ? &o->s : NULL;
    const focal_softmax_options *xo = o ? &o->x : NULL;
    focal_weights_layout l = (focal_weights_layout)layout;
    if (k.family == SIGMOID) {
        if (k.f64)
            return focal_sigmoid_weighted_f64(so, b, c, in, (const double *)x, (const double *)t, (const double *)w, l,
                                              (const double *)up, (double *)loss, (double *)grad, st);
        return focal_sigmoid_weighted_f32(so, b, c, in, (const float *)x, (const float *)t, (const float *)w, l,
                                          (const float *)up, (float *)loss, (float *)grad, st);
    }
    if (k.family == LABELS) {
        if (k.f64 && k.i32)
            return focal_sigmoid_labels_weighted_f64_i32(so, b, c, in, (const double *)x, (const int32_t *)t, (const double *)w, l,
                                                         (const double *)up, (double *)loss, (double *)grad, st);
        if (k.f64)
            return focal_sigmoid_labels_weighted_f64_i64(so, b, c, in, (const double *)x, (const int64_t *)t, (const double *)w, l,
                                                         (const double *)up, (double *)loss, (double *)grad, st);
        if (k.i32)
            return focal_sigmoid_labels_weighted_f32_i32(so, b, c, in, (const float *)x, (const int32_t *)t, (const float *)w, l,
                                                         (const float *)up, (float *)loss, (float *)grad, st);
        return focal_sigmoid_labels_weighted_f32_i64(so, b, c, in, (const float *)x, (const int64_t *)t, (const float *)w, l,
                                                     (const float *)up, (float *)loss, (float *)grad, st);
    }
    if (k.f64 && k.i32)
        return focal_softmax_weighted_f64_i32(xo, b, c, in, (const double *)x, (const int32_t *)t, (const double *)w,
                                              (const double *)up, (double *)loss, (double *)grad, st);
    if (k.f64)
        return focal_softmax_weighted_f64_i64(xo, b, c, in, (const double *)x, (const int64_t *)t, (const double *)w,
                                              (const double *)up, (double *)loss, (double *)grad, st);
    if (k.i32)
        return focal_softmax_weighted_f32_i32(xo, b, c, in, (const float *)x, (const int32_t *)t, (const float *)w,
                                              (const float *)up, (float *)loss, (float *)grad, st);
    return focal_softmax_weighted_f32_i64(xo, b, c, in, (const float *)x, (const int64_t *)t, (const float *)w,
                                          (const float *)up, (float *)loss, (float *)grad, st);
}

/* The unweighted function of kind k (the sigmoid's count = b * c * in). */
static focal_status call_plain(kind k, const options *o, int64_t b, int64_t c, int64_t in, const void *x, const void *t,
                               const void *up, void *loss, void *grad) {
    if (k.family == SIGMOID) {
        if (k.f64) return focal_sigmoid_f64(&o->s, b * c * in, (const double *)x, (const double *)t, (const double *)up, (double *)loss, (double *)grad);
        return focal_sigmoid_f32(&o->s, b * c * in, (const float *)x, (const float *)t, (const float *)up, (float *)loss, (float *)grad);
    }
    if (k.family == LABELS) {
        if (k.f64 && k.i32) return focal_sigmoid_labels_f64_i32(&o->s, b, c, in, (const double *)x, (const int32_t *)t, (const double *)up, (double *)loss, (double *)grad);
        if (k.f64) return focal_sigmoid_labels_f64_i64(&o->s, b, c, in, (const double *)x, (const int64_t *)t, (const double *)up, (double *)loss, (double *)grad);
        if (k.i32) return focal_sigmoid_labels_f32_i32(&o->s, b, c, in, (const float *)x, (const int32_t *)t, (const float *)up, (float *)loss, (float *)grad);
        return focal_sigmoid_labels_f32_i64(&o->s, b, c, in, (const float *)x, (const int64_t *)t, (const float *)up, (float *)loss, (float *)grad);
    }
    if (k.f64 && k.i32) return focal_softmax_f64_i32(&o->x, b, c, in, (const double *)x, (const int32_t *)t, (const double *)up, (double *)loss, (double *)grad);
    if (k.f64) return focal_softmax_f64_i64(&o->x, b, c, in, (const double *)x, (const int64_t *)t, (const double *)up, (double *)loss, (double *)grad);
    if (k.i32) return focal_softmax_f32_i32(&o->x, b, c, in, (const float *)x, (const int32_t *)t, (const float *)up, (float *)loss, (float *)grad);
    return focal_softmax_f32_i64(&o->x, b, c, in, (const float *)x, (const int64_t *)t, (const float *)up, (float *)loss, (float *)grad);
}

/* ------------------------------------------------------------------ problems */

/* Sizes and typed inputs of one call. */
typedef struct {
    kind k;
    int64_t batch, classes, inner;
    size_t elements, positions, outputs;  /* outputs: the loss values of FOCAL_REDUCTION_NONE */
    void *x;                              /* logits */
    void *t;                              /* targets: values (sigmoid) or labels */
    int64_t *y;                           /* the labels as int64 (labels, softmax) */
} problem;

static size_t position_of(const problem *p, size_t e) {
    size_t in = (size_t)p->inner, cls = (size_t)p->classes;
    return (e / (cls * in)) * in + e % in;
}
static int64_t class_of(const problem *p, size_t e) { return (int64_t)((e / (size_t)p->inner) % (size_t)p->classes); }
static size_t owner_of(const problem *p, size_t e) { return p->k.family == SOFTMAX ? position_of(p, e) : e; }

/* x: elements logits; t: elements targets (sigmoid) or y: positions labels. */
static void problem_make(problem *p, kind k, int64_t batch, int64_t classes, int64_t inner, const double *x, const double *t,
                         const int64_t *y) {
    size_t i;
    p->k = k;
    p->batch = batch; p->classes = classes; p->inner = inner;
    p->elements = (size_t)(batch * classes * inner);
    p->positions = (size_t)(batch * inner);
    p->outputs = k.family == SOFTMAX ? p->positions : p->elements;
    p->x = make_values(k.f64, x, p->elements);
    p->y = NULL;
    if (k.family == SIGMOID) {
        p->t = make_values(k.f64, t, p->elements);
    } else {
        p->y = (int64_t *)xmalloc(p->positions * sizeof(int64_t));
        for (i = 0; i < p->positions; ++i) p->y[i] = y[i];
        p->t = make_labels(k.i32, y, p->positions);
    }
}
static void problem_free(problem *p) { free(p->x); free(p->t); free(p->y); }

static size_t weights_count(const problem *p, int layout) {
    return p->k.family == SOFTMAX || layout == FOCAL_WEIGHTS_PER_POSITION ? p->positions : p->elements;
}
static size_t weight_index(const problem *p, int layout, size_t e) {
    return p->k.family == SOFTMAX || layout == FOCAL_WEIGHTS_PER_POSITION ? position_of(p, e) : e;
}
static int kept(const problem *p, const options *o, size_t e) {
    return p->k.family == SIGMOID || p->y[position_of(p, e)] != ignore_of(p->k, o);
}

/* Master data for the small problems, shape 0 finite (N, C), shape 1 (N, C, inner) with
 * non-finite logits. */
#define SMALL 512
static double small_x[SMALL], small_t[SMALL];
static int64_t small_y[SMALL];

static const int64_t shapes[2][3] = {{50, 7, 1}, {5, 6, 9}};

static void small_problem(problem *p, kind k, int shape) {
    int64_t b = shapes[shape][0], c = shapes[shape][1], in = shapes[shape][2];
    size_t e, n = (size_t)(b * c * in), positions = (size_t)(b * in);
    for (e = 0; e < n; ++e) {
        small_x[e] = uniform(-8, 8);
        /* Hard targets in the first 60% (the fast tier's blocks), then soft ones (k / 8). */
        small_t[e] = e < n * 6 / 10 ? (uniform(0, 1) < 0.15 ? 1.0 : 0.0) : dyadic(1.0);
    }
    if (shape == 1) { small_x[1] = NAN; small_x[3] = INFINITY; small_x[4] = -INFINITY; small_x[8] = -INFINITY; }
    for (e = 0; e < positions; ++e) {
        if (k.family == LABELS) small_y[e] = e % 5 == 2 ? -100 : (int64_t)uniform(0, (double)c + 1);  /* c: background */
        else small_y[e] = e % 5 == 2 ? -100 : (int64_t)uniform(0, (double)c);
    }
    problem_make(p, k, b, c, in, small_x, small_t, small_y);
}

/* Per-class weights for the softmax (dyadic). */
static const double class_alpha[MAX_CLASSES] = {0.5, 2.0, 0.0, 1.0, 1.25, 0.75, 1.5, 0.25, 1.0, 2.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0};

/* The options of the small problems' shapes: shape 0 gamma 2, alpha 0.25 (sigmoid) / none
 * (softmax); shape 1 gamma 0.5, alpha off (sigmoid) / per-class weights and smoothing 0.1. */
static void shape_options(options *o, int shape) {
    o->s.gamma = o->x.gamma = shape == 0 ? 2.0 : 0.5;
    o->s.alpha = shape == 0 ? 0.25 : FOCAL_ALPHA_DISABLED;
    o->x.alpha = shape == 0 ? NULL : class_alpha;
    o->x.label_smoothing = shape == 0 ? 0.0 : 0.1;
}

/* The upstream gradient of a reduction: one value per loss for NONE, one value otherwise. */
static void *make_upstream(const problem *p, focal_reduction r) {
    size_t i, n = r == FOCAL_REDUCTION_NONE ? p->outputs : 1;
    void *up = xmalloc(n * (p->k.f64 ? 8 : 4));
    for (i = 0; i < n; ++i) set_value(p->k.f64, up, i, r == FOCAL_REDUCTION_NONE ? uniform(-2, 2) : -1.25);
    return up;
}

static size_t loss_count(const problem *p, focal_reduction r) { return r == FOCAL_REDUCTION_NONE ? p->outputs : 1; }

/* Field by field (the padding after `version` is not the library's), bit for bit. */
static int same_stats(const focal_stats *a, const focal_stats *b) {
    return a->version == b->version && memcmp(&a->positives, &b->positives, sizeof a->positives) == 0 &&
           memcmp(&a->weight_sum, &b->weight_sum, sizeof a->weight_sum) == 0 &&
           memcmp(&a->divisor, &b->divisor, sizeof a->divisor) == 0;
}

static void stats_poison(focal_stats *st, uint32_t version) {
    memset(st, 0x5a, sizeof *st);
    st->version = version;
}

/* ------------------------------------------------------------------ references of a weighted call */

typedef struct {
    long double *loss;   /* per NONE output: the weighted loss (0 where left out) */
    long double *grad;   /* per element: weight * d(its own loss) / dx (0 where left out) */
    long double total;   /* the sum of the weighted losses */
    long double mean_divisor, positives, weight_sum;
    int soft;            /* soft targets or smoothing: gradients may cancel */
} reference;

static void reference_free(reference *r) { free(r->loss); free(r->grad); }

/* w: typed weights (NULL: ones) in `layout`. Elements (positions) of weight 0 are 0 whatever
 * their logits. */
static void reference_make(reference *r, const problem *p, const options *o, const void *w, int layout) {
    const kind k = p->k;
    size_t e, pos;
    r->loss = (long double *)xmalloc(p->outputs * sizeof(long double));
    r->grad = (long double *)xmalloc(p->elements * sizeof(long double));
    r->total = r->positives = r->weight_sum = 0;
    r->soft = 0;
    for (e = 0; e < p->outputs; ++e) r->loss[e] = 0;
    for (e = 0; e < p->elements; ++e) r->grad[e] = 0;
    if (k.family != SOFTMAX) {
        long double kept_elements = 0;
        for (e = 0; e < p->elements; ++e) {
            long double wt = w ? (long double)value_at(k.f64, w, weight_index(p, layout, e)) : 1.0L, t, l, g;
            if (k.family == SIGMOID) {
                t = value_at(k.f64, p->t, e);
                r->positives += t;
            } else {
                int64_t y = p->y[position_of(p, e)];
                if (y == o->s.ignore_index) continue;
                t = y == class_of(p, e) ? 1.0L : 0.0L;
            }
            if (t != 0 && t != 1) r->soft = 1;
            kept_elements += 1;
            r->weight_sum += wt;
            if (wt == 0) continue;
            sigmoid_ref(value_at(k.f64, p->x, e), t, o->s.alpha, o->s.gamma, &l, &g);
            r->loss[e] = wt * l;
            r->grad[e] = wt * g;
            r->total += wt * l;
        }
        if (k.family == LABELS)
            for (pos = 0; pos < p->positions; ++pos) r->positives += p->y[pos] >= 0 && p->y[pos] < p->classes;
        r->mean_divisor = kept_elements;
        return;
    }
    r->soft = o->x.label_smoothing != 0;
    for (pos = 0; pos < p->positions; ++pos) {
        int64_t y = p->y[pos], c, classes = p->classes, inner = p->inner;
        size_t base = (pos / (size_t)inner) * (size_t)(classes * inner) + pos % (size_t)inner;
        long double row[MAX_CLASSES], g[MAX_CLASSES], l, wt;
        if (y == o->x.ignore_index) continue;
        wt = w ? (long double)value_at(k.f64, w, pos) : 1.0L;
        r->weight_sum += wt;
        r->positives += wt * (o->x.alpha ? o->x.alpha[y] : 1.0);
        if (wt == 0) continue;
        for (c = 0; c < classes; ++c) row[c] = value_at(k.f64, p->x, base + (size_t)(c * inner));
        l = softmax_ref(row, (int)classes, y, o->x.alpha, o->x.label_smoothing, o->x.gamma, g);
        r->loss[pos] = wt * l;
        r->total += wt * l;
        for (c = 0; c < classes; ++c) r->grad[base + (size_t)(c * inner)] = wt * g[c];
    }
    r->mean_divisor = r->positives;
}

/* Checks a weighted call's outputs (grad NULL: not checked; start: the gradient buffer's values
 * before an accumulating call, or NULL) and stats (NULL: not checked) against r. */
static void reference_check(const reference *r, const problem *p, const options *o, const void *up, const void *loss,
                            const void *grad, const void *start, const focal_stats *st, const char *what) {
    const kind k = p->k;
    focal_reduction red = reduction_of(k, o);
    int tier = (k.family == SOFTMAX ? o->x.precision : o->s.precision) == FOCAL_PRECISION_FAST;
    double ulps = tier ? 16 : 4;
    long double divisor = uses_normalizer(k, o) ? (long double)normalizer_of(k, o) : r->mean_divisor;
    long double scale = red == FOCAL_REDUCTION_MEAN ? 1.0L / divisor : 1.0L;
    size_t i, bad = 0, first = 0;
    long double want = 0;
    double got = 0;
    if (red == FOCAL_REDUCTION_NONE) {
        for (i = 0; i < p->outputs; ++i) {
            if (!near_recorded(k.f64, start ? -1 : tier, value_at(k.f64, loss, i), r->loss[i], ulps, 0)) { if (!bad++) first = i; }
        }
        if (bad) { want = r->loss[first]; got = value_at(k.f64, loss, first); }
    } else {
        want = red == FOCAL_REDUCTION_SUM ? r->total : r->total / divisor;
        got = value_at(k.f64, loss, 0);
        bad = !near_recorded(k.f64, start ? -1 : tier, got, want, ulps, 0);
    }
    CHECK(bad == 0, "%s %s: loss[%zu] = %.17g, reference %.17Lg (%zu wrong)", kind_name(k), what, first, got, want, bad);
    if (grad != NULL) {
        bad = 0;
        for (i = 0; i < p->elements; ++i) {
            long double s = scale * (up == NULL ? 1.0L : (long double)value_at(k.f64, up, red == FOCAL_REDUCTION_NONE ? owner_of(p, i) : 0));
            long double g = s * r->grad[i], floor_ = 0, base = start ? (long double)value_at(k.f64, start, i) : 0.0L;
            double v = value_at(k.f64, grad, i);
            if (start != NULL && !kept(p, o, i)) {
                if (v != (double)base) { if (!bad++) { first = i; want = base; got = v; } }
                continue;
            }
            /* Soft targets and smoothing: the gradient is a difference, accurate to its terms'
             * size (a weight and an upstream factor times at most ~1). */
            if (r->soft) floor_ = 1e-13L * fabsl(s);
            if (start != NULL) floor_ += (k.f64 ? 1e-15L : (long double)ulps * 6e-8L) * fabsl(base);
            if (!near_recorded(k.f64, start ? -1 : tier, v, base + g, ulps, floor_)) { if (!bad++) { first = i; want = base + g; got = v; } }
        }
        CHECK(bad == 0, "%s %s: grad[%zu] = %.17g, reference %.17Lg (%zu wrong)", kind_name(k), what, first, got, want, bad);
    }
    if (st != NULL) {
        long double d = red != FOCAL_REDUCTION_MEAN ? 1.0L : divisor;
        CHECK(st->version == FOCAL_STATS_VERSION, "%s %s: stats version %u", kind_name(k), what, (unsigned)st->version);
        CHECK(fabsl(st->positives - r->positives) <= 1e-13L * fabsl(r->positives) &&
              fabsl(st->weight_sum - r->weight_sum) <= 1e-13L * fabsl(r->weight_sum) &&
              fabsl(st->divisor - d) <= 1e-13L * fabsl(d),
              "%s %s: stats positives %.17g weight_sum %.17g divisor %.17g, expected %.17Lg %.17Lg %.17Lg", kind_name(k), what,
              st->positives, st->weight_sum, st->divisor, r->positives, r->weight_sum, d);
    }
}

/* ------------------------------------------------------------------ tests */

static void test_strings_and_init(void) {
    focal_stats st = FOCAL_STATS_INIT;
    CHECK(strncmp(focal_status_string(FOCAL_ERROR_INVALID_WEIGHT), "FOCAL_ERROR_INVALID_WEIGHT", 26) == 0, "%s",
          focal_status_string(FOCAL_ERROR_INVALID_WEIGHT));
    CHECK(strlen(focal_status_string(FOCAL_ERROR_INVALID_WEIGHT)) > 28, "a description: %s",
          focal_status_string(FOCAL_ERROR_INVALID_WEIGHT));
    CHECK(strncmp(focal_status_string((focal_status)16), "FOCAL_ERROR_UNKNOWN", 19) == 0, "16 is unknown");
    CHECK(FOCAL_ERROR_INVALID_WEIGHT == 13 && FOCAL_WEIGHTS_PER_ELEMENT == 0 && FOCAL_WEIGHTS_PER_POSITION == 1, "values");
    CHECK(st.version == FOCAL_STATS_VERSION && FOCAL_STATS_VERSION == 1 && st.positives == 0 && st.weight_sum == 0 &&
          st.divisor == 0, "FOCAL_STATS_INIT");
}

/* The central difference of the references agrees with their gradient formulas. */
static void test_references(void) {
    const long double h = 1e-6L;
    const double gammas[] = {0, 0.5, 2, 3.7};
    size_t g;
    int i, c;
    for (g = 0; g < 4; ++g) {
        for (i = 0; i < 6; ++i) {
            long double x = -5 + 2.1L * i, t = i % 3 == 2 ? 0.375L : (long double)(i % 2), l1, l2, l, d, dummy;
            sigmoid_ref(x, t, 0.25, gammas[g], &l, &d);
            sigmoid_ref(x + h, t, 0.25, gammas[g], &l1, &dummy);
            sigmoid_ref(x - h, t, 0.25, gammas[g], &l2, &dummy);
            CHECK(fabsl((l1 - l2) / (2 * h) - d) <= 1e-7L * (fabsl(d) + 1e-3L), "sigmoid reference x=%Lg t=%Lg g=%g: %Lg vs %Lg",
                  x, t, gammas[g], (l1 - l2) / (2 * h), d);
        }
        for (c = 0; c < 5; ++c) {
            long double row[5] = {0.3L, -1.2L, 2.0L, 0.7L, -0.4L}, grad[5], other[5], lp, lm;
            softmax_ref(row, 5, 2, class_alpha, 0.1, gammas[g], grad);
            row[c] += h;
            lp = softmax_ref(row, 5, 2, class_alpha, 0.1, gammas[g], other);
            row[c] -= 2 * h;
            lm = softmax_ref(row, 5, 2, class_alpha, 0.1, gammas[g], other);
            CHECK(fabsl((lp - lm) / (2 * h) - grad[c]) <= 1e-7L * (fabsl(grad[c]) + 1e-3L), "softmax reference c=%d g=%g: %Lg vs %Lg",
                  c, gammas[g], (lp - lm) / (2 * h), grad[c]);
        }
    }
}

/* weights NULL (either layout), all ones (either layout) and NULL options give the unweighted
 * function's results bit for bit. */
static void test_unweighted_identities(void) {
    size_t ki;
    int shape, tier, red, acc, with_up, variant, mismatches = 0, calls = 0;
    for (ki = 0; ki < KINDS; ++ki) {
        kind k = kinds[ki];
        for (shape = 0; shape < 2; ++shape) {
            problem p;
            void *ones_e, *ones_p, *start;
            small_problem(&p, k, shape);
            ones_e = fill_values(k.f64, p.elements, 1.0);
            ones_p = fill_values(k.f64, p.positions, 1.0);
            start = xmalloc(p.elements * 8);
            for (tier = 0; tier < 2; ++tier)
                for (red = 0; red < 4; ++red)
                    for (acc = 0; acc < 2; ++acc)
                        for (with_up = 0; with_up < 2; ++with_up) {
                            options o;
                            focal_reduction r = (focal_reduction)(red == 3 ? 2 : red);
                            void *up;
                            if (light && acc != with_up) continue;
                            up = with_up ? make_upstream(&p, r) : NULL;
                            size_t nl = loss_count(&p, r), i;
                            void *l0 = fill_values(k.f64, nl, -7), *g0 = xmalloc(p.elements * 8);
                            void *l1 = fill_values(k.f64, nl, -7), *g1 = xmalloc(p.elements * 8);
                            focal_status s;
                            options_make(&o, r, (focal_precision)tier, 2.0);
                            shape_options(&o, shape);
                            if (red == 3) options_normalizer(&o, 3.5);
                            options_accumulate(&o, acc);
                            for (i = 0; i < p.elements; ++i) set_value(k.f64, start, i, acc ? uniform(-1, 1) : -7.0);
                            memcpy(g0, start, p.elements * 8);
                            s = call_plain(k, &o, p.batch, p.classes, p.inner, p.x, p.t, up, l0, g0);
                            CHECK(s == FOCAL_OK, "%s plain: %s", kind_name(k), focal_last_error_message());
                            for (variant = 0; variant < 5; ++variant) {
                                focal_stats st = FOCAL_STATS_INIT;
                                const void *w = variant == 2 ? (k.family == SOFTMAX ? ones_p : ones_e) : variant == 3 ? ones_p : NULL;
                                int layout = variant == 1 || variant == 3 ? FOCAL_WEIGHTS_PER_POSITION : FOCAL_WEIGHTS_PER_ELEMENT;
                                size_t dl, dg;
                                if (variant == 4 && (red != 0 || acc || with_up)) continue;  /* NULL options: the defaults */
                                for (i = 0; i < nl; ++i) set_value(k.f64, l1, i, -7);
                                memcpy(g1, start, p.elements * 8);
                                if (variant == 4) {
                                    options d;
                                    void *ld = fill_values(k.f64, p.outputs, -7), *gd = xmalloc(p.elements * 8);
                                    options_make(&d, k.family == SOFTMAX ? FOCAL_REDUCTION_MEAN : FOCAL_REDUCTION_NONE,
                                                 FOCAL_PRECISION_EXACT, 2.0);
                                    options_threads(&d, 0);
                                    s = call_weighted(k, NULL, p.batch, p.classes, p.inner, p.x, p.t, NULL, 0, NULL, l1, g1, &st);
                                    CHECK(s == FOCAL_OK, "%s NULL options: %s", kind_name(k), focal_last_error_message());
                                    CHECK(call_plain(k, &d, p.batch, p.classes, p.inner, p.x, p.t, NULL, ld, gd) == FOCAL_OK, "defaults");
                                    nl = k.family == SOFTMAX ? 1 : p.outputs;
                                    dl = first_difference(k.f64, l1, ld, nl);
                                    dg = first_difference(k.f64, g1, gd, p.elements);
                                    CHECK(dl == nl && dg == p.elements, "%s NULL options = the defaults (shape %d)", kind_name(k), shape);
                                    nl = loss_count(&p, r);
                                    free(ld); free(gd);
                                    continue;
                                }
                                if (k.family == SOFTMAX && variant == 3) continue;
                                s = call_weighted(k, &o, p.batch, p.classes, p.inner, p.x, p.t, w, layout, up, l1, g1,
                                                  variant % 2 ? NULL : &st);
                                ++calls;
                                CHECK(s == FOCAL_OK, "%s: %s", kind_name(k), focal_last_error_message());
                                dl = first_difference(k.f64, l0, l1, nl);
                                dg = first_difference(k.f64, g0, g1, p.elements);
                                if (dl != nl || dg != p.elements) {
                                    if (mismatches++ < 10)
                                        CHECK(0, "%s %s (layout %d) differs from the unweighted call: shape %d, tier %d, "
                                                 "reduction %d%s, accumulate %d, upstream %d: loss[%zu] %.17g vs %.17g, grad[%zu] %.17g vs %.17g",
                                              kind_name(k), variant < 2 ? "weights NULL" : "weights 1", layout, shape, tier, (int)r,
                                              red == 3 ? " + normalizer" : "", acc, with_up, dl, dl < nl ? value_at(k.f64, l1, dl) : 0.0,
                                              dl < nl ? value_at(k.f64, l0, dl) : 0.0, dg,
                                              dg < p.elements ? value_at(k.f64, g1, dg) : 0.0,
                                              dg < p.elements ? value_at(k.f64, g0, dg) : 0.0);
                                }
                            }
                            free(up); free(l0); free(g0); free(l1); free(g1);
                        }
            free(ones_e); free(ones_p); free(start);
            problem_free(&p);
        }
    }
    CHECK(mismatches == 0, "%d of %d weights-NULL / weights-1 calls differ from the unweighted call", mismatches, calls);
}

/* Per-position weights give the results (and stats) of the same weights expanded per element,
 * bit for bit; an ignored position's weights (labels) may be NaN or negative. */
static void test_position_equals_expanded(void) {
    size_t ki;
    int shape, tier, red, acc;
    for (ki = 0; ki < KINDS; ++ki) {
        kind k = kinds[ki];
        if (k.family == SOFTMAX) continue;
        for (shape = 0; shape < 2; ++shape) {
            problem p;
            double wp[SMALL], we[SMALL];
            void *wpt, *wet;
            size_t e, pos;
            small_problem(&p, k, shape);
            for (pos = 0; pos < p.positions; ++pos) {
                wp[pos] = uniform(0, 1) < 0.15 ? 0.0 : dyadic(3.0);
                if (k.family == LABELS && p.y[pos] == -100) wp[pos] = pos % 2 ? NAN : -1.0;
            }
            for (e = 0; e < p.elements; ++e) we[e] = wp[position_of(&p, e)];
            wpt = make_values(k.f64, wp, p.positions);
            wet = make_values(k.f64, we, p.elements);
            for (tier = 0; tier < 2; ++tier)
                for (red = 0; red < 4; ++red)
                    for (acc = 0; acc < 2; ++acc) {
                        options o;
                        focal_reduction r = (focal_reduction)(red == 3 ? 2 : red);
                        void *up = make_upstream(&p, r);
                        size_t nl = loss_count(&p, r), dl, dg, i;
                        void *l0 = fill_values(k.f64, nl, -7), *g0 = xmalloc(p.elements * 8);
                        void *l1 = fill_values(k.f64, nl, -7), *g1 = xmalloc(p.elements * 8);
                        focal_stats s0, s1;
                        focal_status a, b;
                        stats_poison(&s0, FOCAL_STATS_VERSION);
                        stats_poison(&s1, FOCAL_STATS_VERSION);
                        options_make(&o, r, (focal_precision)tier, 2.0);
                        shape_options(&o, shape);
                        if (red == 3) options_normalizer(&o, 0.5);
                        options_accumulate(&o, acc);
                        for (i = 0; i < p.elements; ++i) set_value(k.f64, g0, i, acc ? uniform(-1, 1) : -7.0);
                        memcpy(g1, g0, p.elements * 8);
                        a = call_weighted(k, &o, p.batch, p.classes, p.inner, p.x, p.t, wpt, FOCAL_WEIGHTS_PER_POSITION, up, l0, g0, &s0);
                        b = call_weighted(k, &o, p.batch, p.classes, p.inner, p.x, p.t, wet, FOCAL_WEIGHTS_PER_ELEMENT, up, l1, g1, &s1);
                        CHECK(a == FOCAL_OK && b == FOCAL_OK, "%s: %d %d %s", kind_name(k), (int)a, (int)b, focal_last_error_message());
                        dl = first_difference(k.f64, l0, l1, nl);
                        dg = first_difference(k.f64, g0, g1, p.elements);
                        CHECK(dl == nl && dg == p.elements,
                              "%s per position != expanded per element (shape %d, tier %d, reduction %d%s, accumulate %d): loss[%zu], grad[%zu]",
                              kind_name(k), shape, tier, (int)r, red == 3 ? " + normalizer" : "", acc, dl, dg);
                        CHECK(s0.positives == s1.positives && s0.weight_sum == s1.weight_sum && s0.divisor == s1.divisor,
                              "%s stats per position (%.17g %.17g %.17g) != per element (%.17g %.17g %.17g)", kind_name(k),
                              s0.positives, s0.weight_sum, s0.divisor, s1.positives, s1.weight_sum, s1.divisor);
                        free(up); free(l0); free(g0); free(l1); free(g1);
                    }
            free(wpt); free(wet);
            problem_free(&p);
        }
    }
}

/* Weighted results against the long double references: both shapes, every reduction and the
 * normalizer, gamma 0, 0.5, 2, 3.7, both option sets, both layouts, both tiers; then
 * accumulation. */
static void test_against_references(void) {
    static const double gammas[] = {0, 0.5, 2, 3.7};
    size_t ki, g;
    int shape, set, layout, tier, red;
    for (ki = 0; ki < KINDS; ++ki) {
        kind k = kinds[ki];
        for (shape = 0; shape < 2; ++shape) {
            problem p;
            small_problem(&p, k, shape);
            /* References need finite logits: the non-finite ones are tested with weight 0 below. */
            {
                size_t e;
                for (e = 0; e < p.elements; ++e)
                    if (!isfinite(value_at(k.f64, p.x, e))) set_value(k.f64, p.x, e, uniform(-30, 30));
            }
            for (layout = 0; layout < (k.family == SOFTMAX ? 1 : 2); ++layout) {
                size_t nw = weights_count(&p, layout), i;
                void *w = xmalloc(nw * 8);
                for (i = 0; i < nw; ++i) set_value(k.f64, w, i, uniform(0, 1) < 0.1 ? 0.0 : uniform(0, 3));
                for (g = 0; g < sizeof gammas / sizeof gammas[0]; ++g)
                    for (set = 0; set < 2; ++set) {
                        options o;
                        reference ref;
                        if (light && (g + (size_t)set) % 2 == 0) continue;
                        options_make(&o, FOCAL_REDUCTION_NONE, FOCAL_PRECISION_EXACT, gammas[g]);
                        shape_options(&o, set);
                        o.s.gamma = o.x.gamma = gammas[g];
                        reference_make(&ref, &p, &o, w, layout);
                        for (tier = 0; tier < 2; ++tier)
                            for (red = 0; red < 4; ++red) {
                                focal_reduction r = (focal_reduction)(red == 3 ? 2 : red);
                                void *up = make_upstream(&p, r);
                                void *loss = fill_values(k.f64, loss_count(&p, r), -7), *grad = fill_values(k.f64, p.elements, -7);
                                focal_stats st;
                                char what[160];
                                focal_status s;
                                stats_poison(&st, FOCAL_STATS_VERSION);
                                o.s.reduction = o.x.reduction = r;
                                o.s.use_normalizer = o.x.use_normalizer = 0;
                                if (red == 3) options_normalizer(&o, 6.25);
                                o.s.precision = o.x.precision = (focal_precision)tier;
                                s = call_weighted(k, &o, p.batch, p.classes, p.inner, p.x, p.t, w, layout, up, loss, grad, &st);
                                snprintf(what, sizeof what, "shape %d, layout %d, gamma %g, option set %d, tier %d, reduction %d%s",
                                         shape, layout, gammas[g], set, tier, (int)r, red == 3 ? " + normalizer" : "");
                                CHECK(s == FOCAL_OK, "%s %s: %s", kind_name(k), what, focal_last_error_message());
                                if (s == FOCAL_OK) reference_check(&ref, &p, &o, up, loss, grad, NULL, &st, what);
                                free(up); free(loss); free(grad);
                            }
                        /* Accumulation: start + the weighted gradient; left out positions keep
                         * their values. NONE and MEAN, no upstream gradient. */
                        for (red = 0; red < 3; red += 2) {
                            focal_reduction r = (focal_reduction)red;
                            void *loss = fill_values(k.f64, loss_count(&p, r), -7), *grad = xmalloc(p.elements * 8);
                            void *start = xmalloc(p.elements * 8);
                            char what[160];
                            for (i = 0; i < p.elements; ++i) set_value(k.f64, start, i, uniform(-1, 1));
                            memcpy(grad, start, p.elements * 8);
                            o.s.reduction = o.x.reduction = r;
                            o.s.use_normalizer = o.x.use_normalizer = 0;
                            o.s.precision = o.x.precision = FOCAL_PRECISION_EXACT;
                            options_accumulate(&o, 1);
                            snprintf(what, sizeof what, "accumulate, shape %d, layout %d, gamma %g, option set %d, reduction %d", shape,
                                     layout, gammas[g], set, red);
                            CHECK(call_weighted(k, &o, p.batch, p.classes, p.inner, p.x, p.t, w, layout, NULL, loss, grad, NULL) ==
                                      FOCAL_OK, "%s %s: %s", kind_name(k), what, focal_last_error_message());
                            reference_check(&ref, &p, &o, NULL, loss, grad, start, NULL, what);
                            options_accumulate(&o, 0);
                            free(loss); free(grad); free(start);
                        }
                        reference_free(&ref);
                    }
                free(w);
            }
            problem_free(&p);
        }
    }
    printf("weighted calls against the long double references: worst float32 error %.2f ulp (exact tier, bound 4), "
           "%.2f ulp (fast tier, bound 16); float64 %.2g relative (bound 1e-12)\n", worst_ulps[0], worst_ulps[1], worst_relative);
}

/* A weight of 0 gives loss 0 and gradient 0 (left as it was when accumulating) whatever the
 * logit: NaN, +-inf; a softmax weight of 0 leaves its position out as ignore_index does (a NaN
 * row, a +inf row, a row of -inf, a -inf target logit), and NaN weights of ignored positions
 * are not read. Sums stay finite; the mean's divisor leaves them out (softmax). */
static void test_zero_weights(void) {
    /* Sigmoid: 4 positions x 2 classes; positions 0-2 (elements 0-5) weigh 0, element 5 -0.0. */
    static const double sx[8] = {NAN, INFINITY, -INFINITY, INFINITY, -INFINITY, NAN, 1.5, -2.0};
    static const double st_[8] = {0, 0, 1, 0.5, 0.5, 1, 1, 0};
    static const double swe[8] = {0, 0, 0, 0, 0, -0.0, 1.5, 1.5}, swp[4] = {0, 0, -0.0, 1.5};
    /* Labels: 4 positions x 3 classes; 0: NaN, w 0; 1: background with +-inf, w 0; 2: ignored,
     * NaN logits and weight; 3: finite, w 2. */
    static const double lx[12] = {NAN, 1, 2, INFINITY, -INFINITY, INFINITY, NAN, NAN, NAN, 0.5, -1, 2};
    static const int64_t ly[4] = {0, 3, -100, 1};
    static const double lwp[4] = {0, 0, NAN, 2};
    /* Softmax: 6 positions x 3 classes; 0: NaN, 1: +inf, 2: all -inf, 3: -inf target logit,
     * all four weight 0; 4: ignored with a NaN weight and NaN logits; 5: finite, weight 1.5. */
    static const double xx[18] = {NAN, 0, 1, INFINITY, 0, 1, -INFINITY, -INFINITY, -INFINITY, -INFINITY, 2, 3,
                                  NAN, NAN, NAN, 0.25, -0.5, 1.0};
    static const int64_t xy[6] = {0, 1, 2, 0, -100, 1};
    static const double xw[6] = {0, 0, 0, 0, NAN, 1.5};
    int f64, lab, tier, red, acc, layout;
    for (f64 = 0; f64 < 2; ++f64)
        for (tier = 0; tier < 2; ++tier)
            for (red = 0; red < 4; ++red)
                for (acc = 0; acc < 2; ++acc) {
                    focal_reduction r = (focal_reduction)(red == 3 ? 2 : red);
                    options o;
                    char what[128];
                    options_make(&o, r, (focal_precision)tier, 2.0);
                    if (red == 3) options_normalizer(&o, 2.0);
                    options_accumulate(&o, acc);
                    o.x.alpha = class_alpha;
                    snprintf(what, sizeof what, "weight 0 at non-finite logits (tier %d, reduction %d%s, accumulate %d)", tier, (int)r,
                             red == 3 ? " + normalizer" : "", acc);
                    /* The sigmoid, both layouts, and the labels (both label types). */
                    for (lab = 0; lab < 3; ++lab) {
                        kind k;
                        problem p;
                        k.family = lab == 0 ? SIGMOID : LABELS;
                        k.f64 = f64;
                        k.i32 = lab == 2;
                        if (lab == 0) problem_make(&p, k, 4, 2, 1, sx, st_, NULL);
                        else problem_make(&p, k, 4, 3, 1, lx, NULL, ly);
                        for (layout = 0; layout < 2; ++layout) {
                            const double *wm = lab == 0 ? (layout ? swp : swe) : lwp;
                            void *w, *up = make_upstream(&p, r), *loss, *grad = xmalloc(p.elements * 8), *start = xmalloc(p.elements * 8);
                            size_t e, zero_elements = lab == 0 ? 6 : 6, bad = 0;
                            reference ref;
                            focal_stats st;
                            focal_status s;
                            double other[12];
                            problem q;
                            if (lab != 0 && layout == FOCAL_WEIGHTS_PER_ELEMENT) {
                                double we[12];
                                for (e = 0; e < 12; ++e) we[e] = lwp[e / 3];
                                w = make_values(f64, we, 12);
                            } else {
                                w = make_values(f64, wm, weights_count(&p, layout));
                            }
                            loss = fill_values(f64, loss_count(&p, r), -7);
                            for (e = 0; e < p.elements; ++e) set_value(f64, start, e, acc ? 0.25 + 0.125 * (double)e : -7.0);
                            memcpy(grad, start, p.elements * 8);
                            stats_poison(&st, FOCAL_STATS_VERSION);
                            s = call_weighted(k, &o, p.batch, p.classes, p.inner, p.x, p.t, w, layout, up, loss, grad, &st);
                            CHECK(s == FOCAL_OK, "%s %s: %s", kind_name(k), what, focal_last_error_message());
                            for (e = 0; e < zero_elements; ++e) {
                                double g = value_at(f64, grad, e), want = acc ? value_at(f64, start, e) : 0.0;
                                if (g != want || (r == FOCAL_REDUCTION_NONE && value_at(f64, loss, e) != 0)) ++bad;
                            }
                            CHECK(bad == 0, "%s %s, layout %d: %zu elements of weight 0 not 0 (loss[0] %g, grad[0] %g, grad[5] %g)",
                                  kind_name(k), what, layout, bad, r == FOCAL_REDUCTION_NONE ? value_at(f64, loss, 0) : 0.0,
                                  value_at(f64, grad, 0), value_at(f64, grad, 5));
                            /* The other elements, and the sum, against the reference on finite
                             * stand-ins for the left-out logits. */
                            for (e = 0; e < p.elements; ++e) other[e] = e < zero_elements ? 0.0 : value_at(f64, p.x, e);
                            if (lab == 0) problem_make(&q, k, 4, 2, 1, other, st_, NULL);
                            else problem_make(&q, k, 4, 3, 1, other, NULL, ly);
                            reference_make(&ref, &q, &o, w, layout);
                            if (lab == 0) ref.positives = 4.0;  /* the targets' sum */
                            reference_check(&ref, &q, &o, up, loss, grad, acc ? start : NULL, &st, what);
                            reference_free(&ref);
                            problem_free(&q);
                            free(w); free(up); free(loss); free(grad); free(start);
                        }
                        problem_free(&p);
                    }
                    /* The softmax, both label types. */
                    for (lab = 0; lab < 2; ++lab) {
                        kind k;
                        problem p, q;
                        void *w, *up, *loss, *grad, *start;
                        double other[18];
                        size_t e, bad = 0;
                        reference ref;
                        focal_stats st;
                        focal_status s;
                        k.family = SOFTMAX; k.f64 = f64; k.i32 = lab;
                        problem_make(&p, k, 6, 3, 1, xx, NULL, xy);
                        w = make_values(f64, xw, 6);
                        up = make_upstream(&p, r);
                        loss = fill_values(f64, loss_count(&p, r), -7);
                        grad = xmalloc(p.elements * 8);
                        start = xmalloc(p.elements * 8);
                        for (e = 0; e < p.elements; ++e) set_value(f64, start, e, acc ? 0.25 + 0.125 * (double)e : -7.0);
                        memcpy(grad, start, p.elements * 8);
                        stats_poison(&st, FOCAL_STATS_VERSION);
                        s = call_weighted(k, &o, 6, 3, 1, p.x, p.t, w, 0, up, loss, grad, &st);
                        CHECK(s == FOCAL_OK, "%s %s: %s", kind_name(k), what, focal_last_error_message());
                        for (e = 0; e < 15; ++e) {
                            double g = value_at(f64, grad, e), want = acc ? value_at(f64, start, e) : 0.0;
                            if (g != want || (r == FOCAL_REDUCTION_NONE && value_at(f64, loss, e / 3) != 0)) ++bad;
                        }
                        CHECK(bad == 0, "%s %s: %zu elements of weight-0 or ignored rows not 0 / left as they were (grad[0] %g)",
                              kind_name(k), what, bad, value_at(f64, grad, 0));
                        for (e = 0; e < 18; ++e) other[e] = e < 15 ? 0.0 : xx[e];
                        problem_make(&q, k, 6, 3, 1, other, NULL, xy);
                        reference_make(&ref, &q, &o, w, 0);
                        reference_check(&ref, &q, &o, up, loss, grad, acc ? start : NULL, &st, what);
                        CHECK(st.positives == 1.5 * class_alpha[1] && st.weight_sum == 1.5, "%s %s: stats %g %g", kind_name(k), what,
                              st.positives, st.weight_sum);
                        reference_free(&ref);
                        problem_free(&q);
                        problem_free(&p);
                        free(w); free(up); free(loss); free(grad); free(start);
                    }
                }
}

/* The stats, exactly (dyadic weights and targets, so that every summation order is exact):
 * each family, weights NULL and given, both layouts, every reduction; the mean's divisor 0
 * where the mean is undefined; stats NULL gives the same results. */
static void test_stats(void) {
    size_t ki;
    int shape, layout, given, red;
    for (ki = 0; ki < KINDS; ++ki) {
        kind k = kinds[ki];
        for (shape = 0; shape < 2; ++shape) {
            problem p;
            small_problem(&p, k, shape);
            for (layout = 0; layout < (k.family == SOFTMAX ? 1 : 2); ++layout)
                for (given = 0; given < 2; ++given) {
                    size_t nw = weights_count(&p, layout), i, e, pos;
                    void *w = NULL;
                    double positives = 0, weight_sum = 0, kept_elements = 0;
                    if (given) {
                        w = xmalloc(nw * 8);
                        for (i = 0; i < nw; ++i) set_value(k.f64, w, i, uniform(0, 1) < 0.2 ? 0.0 : dyadic(4.0));
                    }
                    /* The header's definitions, written out. */
                    if (k.family == SIGMOID) {
                        for (e = 0; e < p.elements; ++e) {
                            positives += value_at(k.f64, p.t, e);
                            weight_sum += w ? value_at(k.f64, w, weight_index(&p, layout, e)) : 1.0;
                        }
                        kept_elements = (double)p.elements;
                    } else if (k.family == LABELS) {
                        for (pos = 0; pos < p.positions; ++pos) positives += p.y[pos] >= 0 && p.y[pos] < p.classes;
                        for (e = 0; e < p.elements; ++e) {
                            if (p.y[position_of(&p, e)] == -100) continue;
                            weight_sum += w ? value_at(k.f64, w, weight_index(&p, layout, e)) : 1.0;
                            kept_elements += 1;
                        }
                    } else {
                        for (pos = 0; pos < p.positions; ++pos) {
                            double wt = w ? value_at(k.f64, w, pos) : 1.0;
                            if (p.y[pos] == -100) continue;
                            positives += wt * (shape == 1 ? class_alpha[p.y[pos]] : 1.0);
                            weight_sum += wt;
                        }
                    }
                    for (red = 0; red < 4; ++red) {
                        focal_reduction r = (focal_reduction)(red == 3 ? 2 : red);
                        options o;
                        focal_stats st;
                        void *l0 = fill_values(k.f64, loss_count(&p, r), -7), *l1 = fill_values(k.f64, loss_count(&p, r), -7);
                        void *g0 = fill_values(k.f64, p.elements, -7), *g1 = fill_values(k.f64, p.elements, -7);
                        double divisor = red == 3 ? 2.5 : r != FOCAL_REDUCTION_MEAN ? 1.0 : k.family == SOFTMAX ? positives : kept_elements;
                        focal_status s;
                        options_make(&o, r, FOCAL_PRECISION_EXACT, 2.0);
                        shape_options(&o, shape);
                        if (red == 3) options_normalizer(&o, 2.5);
                        stats_poison(&st, FOCAL_STATS_VERSION);
                        s = call_weighted(k, &o, p.batch, p.classes, p.inner, p.x, p.t, w, layout, NULL, l0, g0, &st);
                        CHECK(s == FOCAL_OK, "%s: %s", kind_name(k), focal_last_error_message());
                        CHECK(st.version == FOCAL_STATS_VERSION && st.positives == positives && st.weight_sum == weight_sum &&
                                  st.divisor == divisor,
                              "%s stats (shape %d, layout %d, weights %s, reduction %d%s): positives %.17g weight_sum %.17g divisor %.17g, "
                              "expected %.17g %.17g %.17g", kind_name(k), shape, layout, given ? "given" : "NULL", (int)r,
                              red == 3 ? " + normalizer" : "", st.positives, st.weight_sum, st.divisor, positives, weight_sum, divisor);
                        /* stats NULL: the same results. */
                        s = call_weighted(k, &o, p.batch, p.classes, p.inner, p.x, p.t, w, layout, NULL, l1, g1, NULL);
                        CHECK(s == FOCAL_OK && first_difference(k.f64, l0, l1, loss_count(&p, r)) == loss_count(&p, r) &&
                                  first_difference(k.f64, g0, g1, p.elements) == p.elements,
                              "%s: stats NULL changes the results", kind_name(k));
                        free(l0); free(l1); free(g0); free(g1);
                    }
                    free(w);
                }
            problem_free(&p);
        }
    }
    /* An undefined mean: divisor 0, loss NaN. Empty input (each family), every position
     * ignored (labels, softmax), every softmax weight 0. */
    {
        size_t ki2;
        for (ki2 = 0; ki2 < KINDS; ++ki2) {
            kind k = kinds[ki2];
            options o;
            focal_stats st;
            double loss[2] = {-7, -7}, grad[12];
            double x[12] = {0.5, -1, 2, 1, 0, -3, 0.25, 0.5, 0.75, 1, 1.25, 1.5}, t[12] = {0};
            int64_t ignored[4] = {-100, -100, -100, -100}, y[4] = {0, 1, 2, 0};
            double zero_w[4] = {0, 0, 0, 0};
            problem p;
            focal_status s;
            options_make(&o, FOCAL_REDUCTION_MEAN, FOCAL_PRECISION_EXACT, 2.0);
            problem_make(&p, k, 0, 3, 1, x, t, y);
            stats_poison(&st, FOCAL_STATS_VERSION);
            s = call_weighted(k, &o, 0, 3, 1, NULL, NULL, NULL, 0, NULL, loss, NULL, &st);
            CHECK(s == FOCAL_OK && isnan(value_at(k.f64, loss, 0)) && st.divisor == 0 && st.positives == 0 && st.weight_sum == 0,
                  "%s empty mean: %d, divisor %g positives %g weight_sum %g", kind_name(k), (int)s, st.divisor, st.positives,
                  st.weight_sum);
            problem_free(&p);
            if (k.family == SIGMOID) continue;
            problem_make(&p, k, 4, 3, 1, x, t, ignored);
            stats_poison(&st, FOCAL_STATS_VERSION);
            memset(grad, 0, sizeof grad);
            s = call_weighted(k, &o, 4, 3, 1, p.x, p.t, NULL, 0, NULL, loss, grad, &st);
            CHECK(s == FOCAL_OK && isnan(value_at(k.f64, loss, 0)) && st.divisor == 0 && st.positives == 0 && st.weight_sum == 0,
                  "%s every position ignored: %d, divisor %g", kind_name(k), (int)s, st.divisor);
            problem_free(&p);
            if (k.family != SOFTMAX) continue;
            problem_make(&p, k, 4, 3, 1, x, t, y);
            {
                void *w = make_values(k.f64, zero_w, 4), *g = fill_values(k.f64, 12, -7);
                stats_poison(&st, FOCAL_STATS_VERSION);
                s = call_weighted(k, &o, 4, 3, 1, p.x, p.t, w, 0, NULL, loss, g, &st);
                CHECK(s == FOCAL_OK && isnan(value_at(k.f64, loss, 0)) && st.divisor == 0 && st.positives == 0 && st.weight_sum == 0 &&
                          value_at(k.f64, g, 0) == 0 && value_at(k.f64, g, 11) == 0,
                      "%s every weight 0: %d, loss %g, divisor %g, grad[0] %g", kind_name(k), (int)s, value_at(k.f64, loss, 0),
                      st.divisor, value_at(k.f64, g, 0));
                free(w); free(g);
            }
            problem_free(&p);
        }
    }
}

/* ------------------------------------------------------------------ errors */

#define SENT (-31337.0)

/* A call that must fail with `expected`: every output and the stats untouched, the message
 * containing `mention` (and not `absent`, when given). */
static void expect_failure(kind k, const options *o, int64_t b, int64_t c, int64_t in, const void *x, const void *t,
                           const void *w, int layout, uint32_t stats_version, focal_status expected, const char *mention,
                           const char *absent, int line) {
    enum { CAP = 64 };
    void *loss = fill_values(k.f64, CAP, SENT), *grad = fill_values(k.f64, CAP, SENT);
    void *loss0 = fill_values(k.f64, CAP, SENT);
    focal_stats st, st0;
    focal_status s;
    const char *message;
    int untouched;
    stats_poison(&st, stats_version);
    st0 = st;
    s = call_weighted(k, o, b, c, in, x, t, w, layout, NULL, loss, grad, &st);
    message = focal_last_error_message();
    untouched = first_difference(k.f64, loss, loss0, CAP) == CAP && first_difference(k.f64, grad, loss0, CAP) == CAP &&
                same_stats(&st, &st0);
    ++checks;
    if (s != expected || !untouched || strstr(message, mention) == NULL || (absent != NULL && strstr(message, absent) != NULL)) {
        ++failures;
        fprintf(stderr, "%s:%d: FAILED %s: expected %d got %d, message \"%s\" (wanted \"%s\"%s%s), outputs %s\n", __FILE__, line,
                kind_name(k), (int)expected, (int)s, message, mention, absent ? ", not " : "", absent ? absent : "",
                untouched ? "untouched" : "WRITTEN");
    }
    free(loss); free(grad); free(loss0);
}

/* Index of the element (n, c, i) of (b, C, inner). */
static size_t element_index(int64_t n, int64_t c, int64_t i, int64_t classes, int64_t inner) {
    return (size_t)((n * classes + c) * inner + i);
}

static void test_errors(void) {
    /* (2, 5, 3): 30 elements, 6 positions, every label kept (labels: one background). */
    enum { B = 2, C = 5, I = 3, E = B * C * I, P = B * I };
    double x[E], t[E], w[E];
    static const int64_t y_labels[P] = {0, 5, 1, 2, 4, 3}, y_softmax[P] = {0, 4, 1, 2, 4, 3};
    const double bad[] = {-1.0, NAN, INFINITY, -INFINITY, -1e-300};
    size_t ki, e, b;
    int layout;
    for (e = 0; e < E; ++e) { x[e] = uniform(-3, 3); t[e] = e % 4 == 0 ? 1.0 : 0.0; }
    for (ki = 0; ki < KINDS; ++ki) {
        kind k = kinds[ki];
        problem p;
        options o;
        options_make(&o, FOCAL_REDUCTION_SUM, FOCAL_PRECISION_EXACT, 2.0);
        problem_make(&p, k, B, C, I, x, t, k.family == LABELS ? y_labels : y_softmax);
        for (layout = 0; layout < (k.family == SOFTMAX ? 1 : 2); ++layout) {
            size_t nw = weights_count(&p, layout);
            void *wt;
            for (e = 0; e < nw; ++e) w[e] = 0.5 + 0.25 * (double)(e % 3);
            /* A negative, NaN, infinite weight at index 5: named. */
            for (b = 0; b < sizeof bad / sizeof bad[0]; ++b) {
                w[5] = bad[b];
                wt = make_values(k.f64, w, nw);
                if (!k.f64 && bad[b] == -1e-300) set_value(0, wt, 5, -1e-30);
                expect_failure(k, &o, B, C, I, p.x, p.t, wt, layout, FOCAL_STATS_VERSION, FOCAL_ERROR_INVALID_WEIGHT, "weights[5]",
                               NULL, __LINE__);
                free(wt);
            }
            /* Two bad weights: the first is named. */
            w[5] = NAN; w[3] = -2.0;
            wt = make_values(k.f64, w, nw);
            expect_failure(k, &o, B, C, I, p.x, p.t, wt, layout, FOCAL_STATS_VERSION, FOCAL_ERROR_INVALID_WEIGHT, "weights[3]",
                           "weights[5]", __LINE__);
            free(wt);
            w[3] = w[5] = 1.0;
            wt = make_values(k.f64, w, nw);
            /* -0.0 is a weight >= 0. */
            set_value(k.f64, wt, 4, -0.0);
            {
                double loss[1];
                focal_stats st = FOCAL_STATS_INIT;
                CHECK(call_weighted(k, &o, B, C, I, p.x, p.t, wt, layout, NULL, loss, NULL, &st) == FOCAL_OK,
                      "%s: weight -0.0 refused: %s", kind_name(k), focal_last_error_message());
            }
            /* Stats of an unknown version. */
            expect_failure(k, &o, B, C, I, p.x, p.t, wt, layout, 0, FOCAL_ERROR_INVALID_OPTIONS_VERSION, "stats", NULL, __LINE__);
            expect_failure(k, &o, B, C, I, p.x, p.t, wt, layout, 99, FOCAL_ERROR_INVALID_OPTIONS_VERSION, "99", NULL, __LINE__);
            expect_failure(k, &o, B, C, I, p.x, p.t, NULL, layout, 2, FOCAL_ERROR_INVALID_OPTIONS_VERSION, "stats", NULL, __LINE__);
            /* NULL logits, NULL targets (weights given); negative and overflowing sizes. */
            expect_failure(k, &o, B, C, I, NULL, p.t, wt, layout, FOCAL_STATS_VERSION, FOCAL_ERROR_NULL_POINTER, "logits", NULL,
                           __LINE__);
            expect_failure(k, &o, B, C, I, p.x, NULL, wt, layout, FOCAL_STATS_VERSION, FOCAL_ERROR_NULL_POINTER,
                           k.family == LABELS ? "labels" : "targets", NULL, __LINE__);
            expect_failure(k, &o, -1, C, I, p.x, p.t, wt, layout, FOCAL_STATS_VERSION, FOCAL_ERROR_INVALID_SHAPE, "batch", NULL,
                           __LINE__);
            expect_failure(k, &o, INT64_C(1) << 40, INT64_C(1) << 20, INT64_C(1) << 8, p.x, p.t, wt, layout, FOCAL_STATS_VERSION,
                           FOCAL_ERROR_INVALID_SHAPE, "", NULL, __LINE__);
            free(wt);
        }
        /* An unknown weights_layout: an invalid shape, weights given or NULL. */
        if (k.family != SOFTMAX) {
            void *wt = fill_values(k.f64, E, 1.0);
            expect_failure(k, &o, B, C, I, p.x, p.t, wt, 7, FOCAL_STATS_VERSION, FOCAL_ERROR_INVALID_SHAPE, "layout", NULL, __LINE__);
            expect_failure(k, &o, B, C, I, p.x, p.t, NULL, 7, FOCAL_STATS_VERSION, FOCAL_ERROR_INVALID_SHAPE, "layout", NULL, __LINE__);
            expect_failure(k, &o, B, C, I, p.x, p.t, NULL, 2, FOCAL_STATS_VERSION, FOCAL_ERROR_INVALID_SHAPE, "layout", NULL, __LINE__);
            expect_failure(k, &o, B, C, I, p.x, p.t, NULL, -1, FOCAL_STATS_VERSION, FOCAL_ERROR_INVALID_SHAPE, "layout", NULL, __LINE__);
            free(wt);
        }
        /* A bad target with good weights: nothing written, stats included. */
        {
            void *wt = fill_values(k.f64, E, 1.0), *tt;
            if (k.family == SIGMOID) {
                double bt[E];
                memcpy(bt, t, sizeof bt);
                bt[7] = 1.5;
                tt = make_values(k.f64, bt, E);
            } else {
                int64_t by[P] = {0, 1, 2, 3, 4, 0};
                by[4] = k.family == LABELS ? 6 : 5;
                tt = make_labels(k.i32, by, P);
            }
            expect_failure(k, &o, B, C, I, p.x, tt, wt, 0, FOCAL_STATS_VERSION, FOCAL_ERROR_TARGET_OUT_OF_RANGE,
                           k.family == SIGMOID ? "targets[7]" : k.family == LABELS ? "labels[4]" : "targets[4]", NULL, __LINE__);
            free(wt); free(tt);
        }
        /* A bad option with good weights. */
        {
            options bad_o = o;
            bad_o.s.gamma = bad_o.x.gamma = -1;
            expect_failure(k, &bad_o, B, C, I, p.x, p.t, NULL, 0, FOCAL_STATS_VERSION, FOCAL_ERROR_INVALID_GAMMA, "gamma", NULL,
                           __LINE__);
        }
        /* An ignored position's weights are not checked (labels, softmax): a NaN and a negative
         * weight there are fine, and a bad weight after them is the one named. */
        if (k.family != SIGMOID) {
            int64_t yi[P];
            void *ti;
            size_t i;
            for (i = 0; i < P; ++i) yi[i] = p.y[i];
            yi[1] = yi[4] = -100;  /* positions (0, 1) and (1, 1) */
            ti = make_labels(k.i32, yi, P);
            for (layout = 0; layout < (k.family == SOFTMAX ? 1 : 2); ++layout) {
                size_t nw = weights_count(&p, layout), c_;
                void *wt, *up = NULL;
                double l0[1], l1[1];
                void *g0 = fill_values(k.f64, E, 0), *g1 = fill_values(k.f64, E, 0);
                focal_status s0, s1;
                for (e = 0; e < nw; ++e) w[e] = 1.0;
                wt = make_values(k.f64, w, nw);
                s0 = call_weighted(k, &o, B, C, I, p.x, ti, wt, layout, up, l0, g0, NULL);
                if (layout == FOCAL_WEIGHTS_PER_ELEMENT && k.family == LABELS) {
                    for (c_ = 0; c_ < C; ++c_) {
                        w[element_index(0, (int64_t)c_, 1, C, I)] = NAN;
                        w[element_index(1, (int64_t)c_, 1, C, I)] = -1.0;
                    }
                } else {
                    w[1] = NAN; w[4] = -1.0;
                }
                free(wt);
                wt = make_values(k.f64, w, nw);
                s1 = call_weighted(k, &o, B, C, I, p.x, ti, wt, layout, up, l1, g1, NULL);
                CHECK(s0 == FOCAL_OK && s1 == FOCAL_OK, "%s: ignored positions' NaN / negative weights refused (layout %d): %s",
                      kind_name(k), layout, focal_last_error_message());
                CHECK(first_difference(k.f64, l0, l1, 1) == 1 && first_difference(k.f64, g0, g1, E) == E,
                      "%s: ignored positions' weights change the results (layout %d)", kind_name(k), layout);
                /* A bad weight on a kept position after them: named, not the ignored ones. */
                {
                    size_t kept_index = layout == FOCAL_WEIGHTS_PER_ELEMENT && k.family == LABELS ? element_index(1, 2, 2, C, I) : 5;
                    char mention[32];
                    w[kept_index] = -0.5;
                    free(wt);
                    wt = make_values(k.f64, w, nw);
                    snprintf(mention, sizeof mention, "weights[%zu]", kept_index);
                    expect_failure(k, &o, B, C, I, p.x, ti, wt, layout, FOCAL_STATS_VERSION, FOCAL_ERROR_INVALID_WEIGHT, mention, NULL,
                                   __LINE__);
                }
                free(wt); free(g0); free(g1);
            }
            free(ti);
        }
        /* Stats overlapping an output or an input: the first bytes of that buffer read as a
         * valid stats struct (version 1) so that only the overlap is wrong. */
        {
            const size_t width = k.f64 ? 8 : 4;
            size_t n_t = k.family == SIGMOID ? E : P, tw = k.family == SIGMOID ? width : k.i32 ? 4 : 8;
            unsigned char *xb = (unsigned char *)xmalloc(E * width), *tb = (unsigned char *)xmalloc(n_t * tw + 64);
            unsigned char *wb = (unsigned char *)xmalloc(E * width), *ub = (unsigned char *)xmalloc(E * width);
            unsigned char *lb = (unsigned char *)xmalloc(E * width), *gb = (unsigned char *)xmalloc(E * width);
            unsigned char *copy = (unsigned char *)xmalloc(E * 8 * 6);
            uint32_t one = 1;
            int target;
            focal_status s;
            options on = o;
            on.s.reduction = on.x.reduction = FOCAL_REDUCTION_NONE;
            for (target = 0; target < 6; ++target) {
                /* 0 logits, 1 targets, 2 weights, 3 grad_loss, 4 loss, 5 grad_logits */
                unsigned char *buffers[6];
                size_t sizes[6], i;
                void *stats_at;
                buffers[0] = xb; buffers[1] = tb; buffers[2] = wb; buffers[3] = ub; buffers[4] = lb; buffers[5] = gb;
                sizes[0] = E * width; sizes[1] = n_t * tw; sizes[2] = E * width; sizes[3] = E * width; sizes[4] = E * width;
                sizes[5] = E * width;
                memcpy(xb, p.x, E * width);
                memcpy(tb, p.t, n_t * tw);
                if (k.family == SIGMOID) set_value(k.f64, tb, 0, 0.0);  /* version 1 over it stays a target in [0, 1] */
                for (i = 0; i < E; ++i) { set_value(k.f64, wb, i, 1.0); set_value(k.f64, ub, i, 1.0); }
                for (i = 0; i < E; ++i) { set_value(k.f64, lb, i, SENT); set_value(k.f64, gb, i, SENT); }
                stats_at = buffers[target];
                memcpy(buffers[target], &one, sizeof one);
                for (i = 0, e = 0; i < 6; ++i) { memcpy(copy + e, buffers[i], sizes[i]); e += sizes[i]; }
                s = call_weighted(k, &on, B, C, I, xb, tb, wb, 0, ub, lb, gb, (focal_stats *)stats_at);
                for (i = 0, e = 0; i < 6 && s != FOCAL_OK; ++i) {
                    CHECK(memcmp(copy + e, buffers[i], sizes[i]) == 0, "%s: buffer %d written on error", kind_name(k), (int)i);
                    e += sizes[i];
                }
                CHECK(s == FOCAL_ERROR_OVERLAPPING_BUFFERS, "%s: stats over buffer %d (0 logits, 1 targets, 2 weights, 3 grad_loss, "
                      "4 loss, 5 grad_logits): status %d, %s", kind_name(k), target, (int)s, focal_last_error_message());
                CHECK(s != FOCAL_ERROR_OVERLAPPING_BUFFERS || strstr(focal_last_error_message(), "stats") != NULL, "%s: %s",
                      kind_name(k), focal_last_error_message());
            }
            /* Stats over the loss's last bytes (or straddling its end): also an overlap. */
            {
                size_t loss_bytes = (k.family == SOFTMAX ? P : E) * width;
                focal_stats *inside = (focal_stats *)(void *)(lb + (loss_bytes >= sizeof(focal_stats) ? loss_bytes - sizeof(focal_stats)
                                                                                                      : loss_bytes - 8));
                memset(inside, 0, sizeof *inside);
                inside->version = 1;
                s = call_weighted(k, &on, B, C, I, p.x, p.t, NULL, 0, NULL, lb, NULL, inside);
                CHECK(s == FOCAL_ERROR_OVERLAPPING_BUFFERS, "%s: stats at the loss's end: %d", kind_name(k), (int)s);
            }
            free(xb); free(tb); free(wb); free(ub); free(lb); free(gb); free(copy);
        }
        problem_free(&p);
    }
}

/* ------------------------------------------------------------------ threads */

/* 131,072 elements (8 chunks of the sigmoid's 16,384; the softmax's positions likewise): loss,
 * gradient and stats bitwise identical for num_threads 1, 2 and 0, with weights, both tiers;
 * the first bad weight of a large input named whatever the thread count. */
#define BIG 131072
static void test_threads(void) {
    static double x[BIG], t[BIG], w[BIG];
    static int64_t y[BIG];
    /* family, batch, classes, inner, layout */
    static const int64_t configs[][5] = {
        {SIGMOID, 1024, 16, 8, FOCAL_WEIGHTS_PER_POSITION}, {SIGMOID, 1024, 16, 8, FOCAL_WEIGHTS_PER_ELEMENT},
        {LABELS, 8192, 16, 1, FOCAL_WEIGHTS_PER_ELEMENT},   {LABELS, 64, 16, 128, FOCAL_WEIGHTS_PER_POSITION},
        {SOFTMAX, 16384, 8, 1, 0},                          {SOFTMAX, 64, 8, 256, 0},
    };
    static const int threads[] = {2, 0};
    size_t ci, i;
    int f64, tier, red, th;
    for (i = 0; i < BIG; ++i) {
        x[i] = uniform(-1, 1) * (uniform(0, 1) < 0.2 ? 20 : 4);
        t[i] = i % 40 == 0 ? 1.0 : (i / 4096) % 5 == 3 ? dyadic(1.0) : 0.0;  /* some soft blocks */
    }
    for (ci = 0; ci < sizeof configs / sizeof configs[0]; ++ci) {
        int family = (int)configs[ci][0], layout = (int)configs[ci][4];
        int64_t b = configs[ci][1], c = configs[ci][2], in = configs[ci][3];
        size_t positions = (size_t)(b * in);
        for (i = 0; i < positions; ++i)
            y[i] = i % 10 == 7 ? -100 : (int64_t)uniform(0, (double)c + (family == LABELS ? 1 : 0));
        for (f64 = 0; f64 < 2; ++f64)
            for (tier = 0; tier < 2 - f64; ++tier) {
                kind k;
                problem p;
                size_t nw;
                void *wt;
                if (light && (tier == 1 || f64 != (int)(ci % 2))) continue;
                k.family = family; k.f64 = f64; k.i32 = f64;
                problem_make(&p, k, b, c, in, x, t, y);
                nw = weights_count(&p, layout);
                for (i = 0; i < nw; ++i) w[i] = uniform(0, 1) < 0.1 ? 0.0 : uniform(0, 2);
                wt = make_values(f64, w, nw);
                for (red = light ? 2 : 0; red < 3; red += 2) {
                    focal_reduction r = (focal_reduction)red;
                    size_t nl = loss_count(&p, r);
                    void *l1 = fill_values(f64, nl, -7), *g1 = fill_values(f64, p.elements, -7);
                    void *l2 = fill_values(f64, nl, -7), *g2 = fill_values(f64, p.elements, -7);
                    focal_stats s1 = FOCAL_STATS_INIT, s2 = FOCAL_STATS_INIT;
                    options o;
                    options_make(&o, r, (focal_precision)tier, 2.0);
                    CHECK(call_weighted(k, &o, b, c, in, p.x, p.t, wt, layout, NULL, l1, g1, &s1) == FOCAL_OK, "%s: %s", kind_name(k),
                          focal_last_error_message());
                    for (th = 0; th < 2 - light; ++th) {
                        options_threads(&o, threads[th]);
                        CHECK(call_weighted(k, &o, b, c, in, p.x, p.t, wt, layout, NULL, l2, g2, &s2) == FOCAL_OK, "%s: %s",
                              kind_name(k), focal_last_error_message());
                        {
                            size_t dl = first_difference(f64, l1, l2, nl), dg = first_difference(f64, g1, g2, p.elements);
                            CHECK(dl == nl && dg == p.elements && same_stats(&s1, &s2),
                                  "%s (%lld, %lld, %lld) layout %d tier %d reduction %d: num_threads 1 and %d differ: loss[%zu] %.17g vs "
                                  "%.17g, grad[%zu] %.17g vs %.17g, stats %.17g %.17g %.17g vs %.17g %.17g %.17g", kind_name(k),
                                  (long long)b, (long long)c, (long long)in, layout, tier, red, threads[th], dl,
                                  dl < nl ? value_at(f64, l1, dl) : 0.0, dl < nl ? value_at(f64, l2, dl) : 0.0, dg,
                                  dg < p.elements ? value_at(f64, g1, dg) : 0.0, dg < p.elements ? value_at(f64, g2, dg) : 0.0,
                                  s1.positives, s1.weight_sum, s1.divisor, s2.positives, s2.weight_sum, s2.divisor);
                        }
                    }
                    free(l1); free(g1); free(l2); free(g2);
                }
                free(wt);
                /* Two bad weights far apart: the first named, for every thread count (every
                 * position kept, so that every weight is read). */
                if (tier == 0) {
                    const size_t first = nw / 7 + 3, second = nw - nw / 9;
                    int64_t *all_kept = (int64_t *)xmalloc(positions * sizeof(int64_t));
                    char mention[32], later[32];
                    problem q;
                    for (i = 0; i < positions; ++i) all_kept[i] = y[i] == -100 ? 0 : y[i];
                    problem_make(&q, k, b, c, in, x, t, all_kept);
                    w[first] = -1.0; w[second] = NAN;
                    wt = make_values(f64, w, nw);
                    snprintf(mention, sizeof mention, "weights[%zu]", first);
                    snprintf(later, sizeof later, "weights[%zu]", second);
                    for (th = -1; th < 2 - light; ++th) {
                        double loss[1] = {SENT};
                        focal_stats st, st0;
                        focal_status s;
                        options o;
                        options_make(&o, FOCAL_REDUCTION_SUM, FOCAL_PRECISION_EXACT, 2.0);
                        if (th >= 0) options_threads(&o, threads[th]);
                        stats_poison(&st, FOCAL_STATS_VERSION);
                        st0 = st;
                        s = call_weighted(k, &o, b, c, in, q.x, q.t, wt, layout, NULL, loss, NULL, &st);
                        CHECK(s == FOCAL_ERROR_INVALID_WEIGHT && strstr(focal_last_error_message(), mention) != NULL &&
                                  strstr(focal_last_error_message(), later) == NULL && loss[0] == SENT && same_stats(&st, &st0),
                              "%s, %zu weights, threads %d: status %d, \"%s\" (wanted %s)", kind_name(k), nw, th < 0 ? 1 : threads[th],
                              (int)s, focal_last_error_message(), mention);
                    }
                    free(wt); free(all_kept);
                    problem_free(&q);
                }
                problem_free(&p);
            }
    }
}

int main(int argc, char **argv) {
    light = argc > 1 && strcmp(argv[1], "--light") == 0;
    test_strings_and_init();
    test_references();
    test_unweighted_identities();
    test_position_equals_expanded();
    test_against_references();
    test_zero_weights();
    test_stats();
    test_errors();
    test_threads();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
