/*
 * test_grad_hess.c: the gradient-and-Hessian and init-score functions of include/focalloss.h
 * (gradient boosting) called across the C ABI.
 *
 * Compiled as C99 and as C++11 with -Wall -Wextra -pedantic -Werror (see the Makefile). Each
 * of the ten functions goes through one dispatcher, so that each check runs on each dtype and
 * label type:
 *  - grad is bit for bit the _weighted loss call's gradient with FOCAL_REDUCTION_NONE and
 *    grad_loss NULL: the sigmoid in both tiers, weights NULL, per element and per position; the
 *    softmax in the exact tier (its fast tier computes as the exact one), weights NULL and
 *    given; every Hessian mode, non-finite logits included;
 *  - the Hessians against closed forms this file computes in long double (each derivation next
 *    to its code, checked by central differences): gamma 0 (p (1 - p); alpha_y p_c (1 - p_c)),
 *    the exact sigmoid Hessian of hard and soft targets, the exact diagonal softmax Hessian,
 *    the header's approximation; CLIPPED = max(EXACT, FOCAL_HESSIAN_FLOOR); the sign change
 *    near x = -2.8 at gamma 2; weights multiply; limits at infinite logits; a NaN stays local;
 *  - init scores: the gamma-0 closed forms (log odds; log class frequencies), -inf, +inf and
 *    NaN where the header says, and optimality at other gammas (the summed gradient changes
 *    sign at the sigmoid's score; W_c psi(p_c) is the same for every softmax class);
 *  - every error: the documented status, a message naming the argument, nothing written (the
 *    outputs hold sentinels; an output over an input leaves that input as it was);
 *  - the options fields the header says are not read change nothing; NULL options are the
 *    defaults;
 *  - grad or hess NULL, empty inputs; num_threads 1, 2 and 0 bitwise identical on inputs of
 *    several chunks.
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

/* `test_grad_hess_c --light` (the valgrind run): every function, mode and error still runs,
 * over fewer gammas and large calls. */
static int light = 0;


#define SENT (-31337.0)
#define MAX_CLASSES 16

/* ------------------------------------------------------------------ references */

/* log sigma(x), with exp never overflowing (valgrind runs long double at double precision). */
static long double log_sigmoid(long double x) { return x < 0 ? x - log1pl(expl(x)) : -log1pl(expl(-x)); }

/* m^e for m >= 0, with 0^e = 0 for e > 0 and m^0 = 1 (the limits the terms below need). */
static long double power(long double m, long double e) { return e == 0 ? 1.0L : m == 0 ? 0.0L : powl(m, e); }

/* The sigmoid focal loss of one element (target t in [0, 1]) and its first two derivatives in x.
 * With p = sigma(x), q = sigma(-x) = 1 - p:
 *     loss = alpha_t BCE m^gamma,  BCE = -(t log p + (1 - t) log q),  m = 1 - p_t = t q + (1 - t) p
 *     BCE' = p - t = p (1 - t) - t q,  BCE'' = p q
 *     m' = p q (1 - 2t),  m'' = (1 - 2t) (p q)' = (1 - 2t) p q (q - p)
 *     (m^gamma)' = gamma m^(gamma-1) m',  (m^gamma)'' = gamma (gamma-1) m^(gamma-2) m'^2 + gamma m^(gamma-1) m''
 *     loss'  = alpha_t [BCE' m^gamma + BCE (m^gamma)']
 *     loss'' = alpha_t [BCE'' m^gamma + 2 BCE' (m^gamma)' + BCE (m^gamma)'']
 * `scale` is the sum of the magnitudes of loss'''s terms: the size of the rounding errors a
 * correct evaluation may make where they cancel (the Hessian changes sign). Moderate logits
 * only (|x| <= 15): m^(gamma-2) of a tiny m is not formed stably here. */
typedef struct { long double grad, hess, scale, approx; } derivatives;

static derivatives sigmoid_ref(long double x, long double t, double alpha, double gamma) {
    derivatives d;
    long double logp = log_sigmoid(x), logq = log_sigmoid(-x);
    long double p = expl(logp), q = expl(logq), g = gamma;
    long double bce = -(t * logp + (1 - t) * logq), bce1 = p * (1 - t) - t * q, bce2 = p * q;
    long double m = t * q + (1 - t) * p, m1 = p * q * (1 - 2 * t), m2 = (1 - 2 * t) * p * q * (q - p);
    long double at = alpha < 0 ? 1.0L : alpha * t + (1 - alpha) * (1 - t);
    long double f0 = power(m, g), f1 = g * power(m, g - 1) * m1;
    long double f2a = g * (g - 1) * power(m, g - 2) * m1 * m1, f2b = g * power(m, g - 1) * m2;
    if (gamma == 0) f1 = f2a = f2b = 0;
    d.grad = at * (bce1 * f0 + bce * f1);
    d.hess = at * (bce2 * f0 + 2 * bce1 * f1 + bce * (f2a + f2b));
    d.scale = at * (fabsl(bce2 * f0) + fabsl(2 * bce1 * f1) + fabsl(bce) * (fabsl(f2a) + fabsl(f2b)));
    /* The header's approximation: alpha_t (1 - p_t)^gamma p (1 - p). */
    d.approx = at * f0 * p * q;
    return d;
}

/* The brief's closed form of the exact Hessian of a hard target t = 1, alpha_t given:
 *     loss = -alpha_t m^gamma log p,  m = 1 - p,  B = -log p,  p' = p m,  m' = -p m,  B' = -m
 *     loss'  = -alpha_t m^gamma (gamma p B + m)
 *     loss'' = alpha_t p m^gamma [(1 + 2 gamma) m + gamma B (gamma p - m)]
 * with m = sigma(-x) (never 1 - p). t = 0 is t = 1 at -x with alpha_t = 1 - alpha. */
static long double hard_exact_hessian(long double x, long double alpha_t, double gamma) {
    long double logp = log_sigmoid(x), p = expl(logp), m = expl(log_sigmoid(-x)), b = -logp, g = gamma;
    return alpha_t * p * power(m, g) * ((1 + 2 * g) * m + g * b * (g * p - m));
}

/* The softmax focal loss of one position (logits x[0..classes), target y, class weights alpha
 * or NULL), its gradient and diagonal Hessian. With u = log p_y, m = 1 - p_y, a = alpha_y:
 *     loss = a f(u),  f(u) = -(1 - e^u)^gamma u = -m^gamma u
 *     f'(u)  = gamma m^(gamma-1) p_y u - m^gamma
 *     f''(u) = gamma p_y m^(gamma-2) [m u + 2 m - (gamma - 1) p_y u]
 *     du/dx_c = [c = y] - p_c (m for c = y),  d2u/dx_c2 = -p_c (1 - p_c)
 *     d loss / dx_c = a f'(u) du/dx_c
 *     d2 loss / dx_c2 = a [f''(u) (du/dx_c)^2 - f'(u) p_c (1 - p_c)]
 * At gamma = 0: f' = -1, f'' = 0, the Hessian a p_c (1 - p_c). The header's approximation is
 * a m^gamma p_c (1 - p_c). 1 - p_c is the sum of the other probabilities (no cancellation). */
static void softmax_ref(const long double *x, int classes, int y, const double *alpha, double gamma, derivatives *out) {
    long double top = x[0], s = 0, logz, logp[MAX_CLASSES], p[MAX_CLASSES], rest[MAX_CLASSES];
    long double u, m, a, g = gamma, f1, f2, f2scale, f1scale;
    int c, j, arg = 0;
    for (c = 1; c < classes; ++c) if (x[c] > top) { top = x[c]; arg = c; }
    for (c = 0; c < classes; ++c) if (c != arg) s += expl(x[c] - top);
    logz = log1pl(s);
    for (c = 0; c < classes; ++c) { logp[c] = x[c] - top - logz; p[c] = expl(logp[c]); }
    for (c = 0; c < classes; ++c) {
        rest[c] = 0;
        for (j = 0; j < classes; ++j) if (j != c) rest[c] += p[j];
    }
    u = logp[y];
    m = rest[y];
    a = alpha ? alpha[y] : 1.0;
    f1 = (gamma == 0 ? 0.0L : g * power(m, g - 1) * p[y] * u) - power(m, g);
    f1scale = (gamma == 0 ? 0.0L : fabsl(g * power(m, g - 1) * p[y] * u)) + power(m, g);
    f2 = gamma == 0 ? 0.0L : g * p[y] * power(m, g - 2) * (m * u + 2 * m - (g - 1) * p[y] * u);
    f2scale = gamma == 0 ? 0.0L : g * p[y] * power(m, g - 2) * (fabsl(m * u) + 2 * m + fabsl((g - 1) * p[y] * u));
    for (c = 0; c < classes; ++c) {
        long double du = c == y ? m : -p[c], d2u = p[c] * rest[c];
        out[c].grad = a * f1 * du;
        out[c].hess = a * (f2 * du * du - f1 * d2u);
        out[c].scale = a * (f2scale * du * du + f1scale * d2u);
        out[c].approx = a * power(m, g) * p[c] * rest[c];
    }
}

/* The softmax loss of one position, for the central differences of the references. */
static long double softmax_loss(const long double *x, int classes, int y, const double *alpha, double gamma) {
    long double top = x[0], s = 0, u;
    int c, arg = 0;
    for (c = 1; c < classes; ++c) if (x[c] > top) { top = x[c]; arg = c; }
    for (c = 0; c < classes; ++c) if (c != arg) s += expl(x[c] - top);
    u = x[y] - top - log1pl(s);
    return -(alpha ? alpha[y] : 1.0) * power(-expm1l(u), gamma) * u;
}

/* psi(p) = -d/dp [(1 - p)^gamma (-log p)] = gamma (1 - p)^(gamma-1) (-log p) + (1 - p)^gamma / p:
 * the softmax init score's optimality condition is W_c psi(p_c) equal for every class with
 * W_c > 0. p from its log u (1 - p = -expm1(u)). */
static long double softmax_psi(long double u, double gamma) {
    long double p = expl(u), m = -expm1l(u), g = gamma;
    return (gamma == 0 ? 0.0L : g * power(m, g - 1) * (-u)) + power(m, g) / p;
}

/* ------------------------------------------------------------------ helpers */

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
/* Bit for bit (a NaN equal to any NaN): the first index that differs, or n. */
static size_t first_difference(int f64, const void *a, const void *b, size_t n) {
    size_t i, w = f64 ? 8 : 4;
    for (i = 0; i < n; ++i) {
        double x = value_at(f64, a, i), y = value_at(f64, b, i);
        if (memcmp((const char *)a + i * w, (const char *)b + i * w, w) != 0 && !(isnan(x) && isnan(y))) return i;
    }
    return n;
}
/* Every one of n values equal to v (bitwise for v = SENT; a NaN v matches NaN). */
static int all_equal(int f64, const void *p, size_t n, double v) {
    size_t i;
    for (i = 0; i < n; ++i) {
        double x = value_at(f64, p, i);
        if (!(x == v || (isnan(x) && isnan(v)))) return 0;
    }
    return 1;
}

/* Float32 spacing at |v|. */
static long double float_spacing(long double v) {
    float r = (float)fabsl(v);
    return (long double)nextafterf(r, INFINITY) - (long double)r;
}

/* The worst errors of the Hessians against the references, beyond the cancellation allowance:
 * float32 ulps per tier (0 exact, 1 fast), float64 relative. */
static double worst_ulps[2], worst_relative;

/* got against want: float64 within 1e-10 relative (the design's float64 bound), float32 within
 * `ulps` ulps; each also within 8 epsilons of the arithmetic (double; float for the fast tier)
 * times `scale`, the size of the terms that cancel where the Hessian changes sign. */
static int near_hessian(int f64, int tier, double got, long double want, long double scale, double ulps) {
    long double err, cancel = 8 * (tier ? (long double)FLT_EPSILON : (long double)DBL_EPSILON) * scale;
    if (isnan(got) || isnan((double)want)) return isnan(got) && isnan((double)want);
    if (isinf(got) || isinf((double)want)) return got == (double)want;
    err = fabsl((long double)got - want);
    if (err > cancel && want != 0) {
        if (f64 && (double)(err / fabsl(want)) > worst_relative) worst_relative = (double)(err / fabsl(want));
        if (!f64 && (double)(err / float_spacing(want)) > worst_ulps[tier]) worst_ulps[tier] = (double)(err / float_spacing(want));
    }
    if (f64) return err <= 1e-10L * fabsl(want) + cancel;
    return err <= (long double)ulps * float_spacing(want) + cancel;
}

/* ------------------------------------------------------------------ the ten functions */

enum {
    SIG_GH_F32, SIG_GH_F64, SMX_GH_F32_I64, SMX_GH_F32_I32, SMX_GH_F64_I64, SMX_GH_F64_I32,
    SIG_INIT_F32, SIG_INIT_F64, SMX_INIT_F64_I64, SMX_INIT_F64_I32, FUNCTIONS
};
static const char *const function_names[FUNCTIONS] = {
    "focal_sigmoid_grad_hess_f32", "focal_sigmoid_grad_hess_f64", "focal_softmax_grad_hess_f32_i64",
    "focal_softmax_grad_hess_f32_i32", "focal_softmax_grad_hess_f64_i64", "focal_softmax_grad_hess_f64_i32",
    "focal_sigmoid_init_score_f32", "focal_sigmoid_init_score_f64", "focal_softmax_init_score_f64_i64",
    "focal_softmax_init_score_f64_i32",
};
static int is_softmax(int fn) { return (fn >= SMX_GH_F32_I64 && fn <= SMX_GH_F64_I32) || fn >= SMX_INIT_F64_I64; }
static int is_init(int fn) { return fn >= SIG_INIT_F32; }
static int is_f64(int fn) { return fn == SIG_GH_F64 || fn == SMX_GH_F64_I64 || fn == SMX_GH_F64_I32 || fn == SIG_INIT_F64 || fn >= SMX_INIT_F64_I64; }
static int is_i32(int fn) { return fn == SMX_GH_F32_I32 || fn == SMX_GH_F64_I32 || fn == SMX_INIT_F64_I32; }

/* One call's arguments; the function takes its family's options and outputs. */
typedef struct {
    const focal_sigmoid_options *so;
    const focal_softmax_options *xo;
    int hessian;
    int64_t b, c, in;
    const void *x, *t, *w;  /* logits; targets (sigmoid values, softmax labels); weights */
    int layout;
    void *grad, *hess, *scores;
} args;

static focal_status call(int fn, const args *a) {
    focal_hessian h = (focal_hessian)a->hessian;
    focal_weights_layout l = (focal_weights_layout)a->layout;
    switch (fn) {
    case SIG_GH_F32:
        return focal_sigmoid_grad_hess_f32(a->so, h, a->b, a->c, a->in, (const float *)a->x, (const float *)a->t, (const float *)a->w,
                                           l, (float *)a->grad, (float *)a->hess);
    case SIG_GH_F64:
        return focal_sigmoid_grad_hess_f64(a->so, h, a->b, a->c, a->in, (const double *)a->x, (const double *)a->t,
                                           (const double *)a->w, l, (double *)a->grad, (double *)a->hess);
    case SMX_GH_F32_I64:
        return focal_softmax_grad_hess_f32_i64(a->xo, h, a->b, a->c, a->in, (const float *)a->x, (const int64_t *)a->t,
                                               (const float *)a->w, (float *)a->grad, (float *)a->hess);
    case SMX_GH_F32_I32:
        return focal_softmax_grad_hess_f32_i32(a->xo, h, a->b, a->c, a->in, (const float *)a->x, (const int32_t *)a->t,
                                               (const float *)a->w, (float *)a->grad, (float *)a->hess);
    case SMX_GH_F64_I64:
        return focal_softmax_grad_hess_f64_i64(a->xo, h, a->b, a->c, a->in, (const double *)a->x, (const int64_t *)a->t,
                                               (const double *)a->w, (double *)a->grad, (double *)a->hess);
    case SMX_GH_F64_I32:
        return focal_softmax_grad_hess_f64_i32(a->xo, h, a->b, a->c, a->in, (const double *)a->x, (const int32_t *)a->t,
                                               (const double *)a->w, (double *)a->grad, (double *)a->hess);
    case SIG_INIT_F32:
        return focal_sigmoid_init_score_f32(a->so, a->b, a->c, a->in, (const float *)a->t, (const float *)a->w, l, (float *)a->scores);
    case SIG_INIT_F64:
        return focal_sigmoid_init_score_f64(a->so, a->b, a->c, a->in, (const double *)a->t, (const double *)a->w, l,
                                            (double *)a->scores);
    case SMX_INIT_F64_I64:
        return focal_softmax_init_score_f64_i64(a->xo, a->b, a->c, a->in, (const int64_t *)a->t, (const double *)a->w,
                                                (double *)a->scores);
    default:
        return focal_softmax_init_score_f64_i32(a->xo, a->b, a->c, a->in, (const int32_t *)a->t, (const double *)a->w,
                                                (double *)a->scores);
    }
}

/* The _weighted loss call whose gradient the grad_hess function `fn` reproduces: reduction
 * none, grad_loss NULL, no stats. */
static focal_status call_weighted_loss(int fn, const args *a, void *loss, void *grad) {
    focal_weights_layout l = (focal_weights_layout)a->layout;
    switch (fn) {
    case SIG_GH_F32:
        return focal_sigmoid_weighted_f32(a->so, a->b, a->c, a->in, (const float *)a->x, (const float *)a->t, (const float *)a->w, l,
                                          NULL, (float *)loss, (float *)grad, NULL);
    case SIG_GH_F64:
        return focal_sigmoid_weighted_f64(a->so, a->b, a->c, a->in, (const double *)a->x, (const double *)a->t, (const double *)a->w,
                                          l, NULL, (double *)loss, (double *)grad, NULL);
    case SMX_GH_F32_I64:
        return focal_softmax_weighted_f32_i64(a->xo, a->b, a->c, a->in, (const float *)a->x, (const int64_t *)a->t,
                                              (const float *)a->w, NULL, (float *)loss, (float *)grad, NULL);
    case SMX_GH_F32_I32:
        return focal_softmax_weighted_f32_i32(a->xo, a->b, a->c, a->in, (const float *)a->x, (const int32_t *)a->t,
                                              (const float *)a->w, NULL, (float *)loss, (float *)grad, NULL);
    case SMX_GH_F64_I64:
        return focal_softmax_weighted_f64_i64(a->xo, a->b, a->c, a->in, (const double *)a->x, (const int64_t *)a->t,
                                              (const double *)a->w, NULL, (double *)loss, (double *)grad, NULL);
    default:
        return focal_softmax_weighted_f64_i32(a->xo, a->b, a->c, a->in, (const double *)a->x, (const int32_t *)a->t,
                                              (const double *)a->w, NULL, (double *)loss, (double *)grad, NULL);
    }
}

/* Both options structs, thread count 1 unless a test says otherwise. */
typedef struct {
    focal_sigmoid_options s;
    focal_softmax_options x;
} options;

static void options_make(options *o, double gamma) {
    focal_sigmoid_options_init(&o->s, FOCAL_SIGMOID_OPTIONS_VERSION);
    focal_softmax_options_init(&o->x, FOCAL_SOFTMAX_OPTIONS_VERSION);
    o->s.gamma = o->x.gamma = gamma;
    o->s.num_threads = o->x.num_threads = 1;
    o->x.reduction = FOCAL_REDUCTION_NONE;
}

static const char *hessian_name(int h) {
    return h == FOCAL_HESSIAN_EXACT ? "EXACT" : h == FOCAL_HESSIAN_CLIPPED ? "CLIPPED" : h == FOCAL_HESSIAN_APPROXIMATE ? "APPROXIMATE" : "?";
}

/* ------------------------------------------------------------------ problems */

/* Sizes and typed inputs of one grad_hess call (sigmoid or softmax) */
typedef struct {
    int fn, f64, i32, softmax;
    int64_t batch, classes, inner;
    size_t elements, positions;
    double *xd, *td;  /* logits and sigmoid targets as double (the stored values) */
    int64_t *y;       /* softmax labels */
    void *x, *t;
} problem;

static size_t position_of(const problem *p, size_t e) {
    size_t in = (size_t)p->inner, cls = (size_t)p->classes;
    return (e / (cls * in)) * in + e % in;
}
static size_t element_of(const problem *p, size_t pos, size_t c) {
    return (pos / (size_t)p->inner) * (size_t)(p->classes * p->inner) + c * (size_t)p->inner + pos % (size_t)p->inner;
}

/* x: elements logits (rounded to the dtype), t: elements sigmoid targets, y: positions labels. */
static void problem_make(problem *p, int fn, int64_t batch, int64_t classes, int64_t inner, const double *x, const double *t,
                         const int64_t *y) {
    size_t i;
    p->fn = fn;
    p->f64 = is_f64(fn);
    p->i32 = is_i32(fn);
    p->softmax = is_softmax(fn);
    p->batch = batch; p->classes = classes; p->inner = inner;
    p->elements = (size_t)(batch * classes * inner);
    p->positions = (size_t)(batch * inner);
    p->x = make_values(p->f64, x, p->elements);
    p->xd = (double *)xmalloc(p->elements * sizeof(double));
    for (i = 0; i < p->elements; ++i) p->xd[i] = value_at(p->f64, p->x, i);
    p->td = NULL; p->y = NULL;
    if (!p->softmax) {
        p->t = make_values(p->f64, t, p->elements);
        p->td = (double *)xmalloc(p->elements * sizeof(double));
        for (i = 0; i < p->elements; ++i) p->td[i] = value_at(p->f64, p->t, i);
    } else {
        p->y = (int64_t *)xmalloc(p->positions * sizeof(int64_t));
        for (i = 0; i < p->positions; ++i) p->y[i] = y[i];
        p->t = make_labels(p->i32, y, p->positions);
    }
}
static void problem_free(problem *p) { free(p->x); free(p->t); free(p->xd); free(p->td); free(p->y); }

static args problem_args(const problem *p, const options *o, int hessian, const void *w, int layout, void *grad, void *hess) {
    args a;
    a.so = &o->s; a.xo = &o->x;
    a.hessian = hessian;
    a.b = p->batch; a.c = p->classes; a.in = p->inner;
    a.x = p->x; a.t = p->t; a.w = w; a.layout = layout;
    a.grad = grad; a.hess = hess; a.scores = NULL;
    return a;
}

static size_t weights_count(const problem *p, int layout) {
    return p->softmax || layout == FOCAL_WEIGHTS_PER_POSITION ? p->positions : p->elements;
}
static double weight_of(const problem *p, const void *w, int layout, size_t e) {
    if (w == NULL) return 1.0;
    return value_at(p->f64, w, p->softmax || layout == FOCAL_WEIGHTS_PER_POSITION ? position_of(p, e) : e);
}

/* Shape 0: (50, 7, 1) finite logits; shape 1: (5, 6, 9) with NaN, +-inf logits (the softmax: a
 * NaN row, a +inf row, a row of -inf, a -inf target logit, a -inf non-target logit). Hard targets
 * in the first 60% of the elements, soft ones (k / 8) after; every fifth label ignored. */
#define SMALL 512
static const int64_t shapes[2][3] = {{50, 7, 1}, {5, 6, 9}};

static void small_problem(problem *p, int fn, int shape, int finite) {
    double x[SMALL], t[SMALL];
    int64_t y[SMALL];
    int64_t b = shapes[shape][0], c = shapes[shape][1], in = shapes[shape][2];
    size_t e, n = (size_t)(b * c * in), positions = (size_t)(b * in);
    for (e = 0; e < n; ++e) {
        x[e] = uniform(-8, 8);
        t[e] = e < n * 6 / 10 ? (uniform(0, 1) < 0.15 ? 1.0 : 0.0) : dyadic(1.0);
    }
    for (e = 0; e < positions; ++e) y[e] = e % 5 == 2 ? -100 : (int64_t)uniform(0, (double)c);
    problem_make(p, fn, b, c, in, x, t, y);
    if (shape == 1 && !finite) {
        problem *q = p;
        /* Sigmoid: elements 1 NaN, 3 +inf, 4 -inf, 8 -inf. Softmax: position 0 (n 0, i 0) a NaN
         * logit, position 1 +inf, position 3 every class -inf, position 4 its target's logit -inf,
         * position 5 one other class -inf. */
        size_t k;
        if (!q->softmax) {
            q->xd[1] = NAN; q->xd[3] = INFINITY; q->xd[4] = -INFINITY; q->xd[8] = -INFINITY;
        } else {
            q->y[0] = 1; q->y[1] = 2; q->y[3] = 0; q->y[4] = 3; q->y[5] = 0;
            q->xd[element_of(q, 0, 2)] = NAN;
            q->xd[element_of(q, 1, 4)] = INFINITY;
            for (k = 0; k < (size_t)c; ++k) q->xd[element_of(q, 3, k)] = -INFINITY;
            q->xd[element_of(q, 4, 3)] = -INFINITY;
            q->xd[element_of(q, 5, 2)] = -INFINITY;
            free(q->t);
            q->t = make_labels(q->i32, q->y, q->positions);
        }
        free(q->x);
        q->x = make_values(q->f64, q->xd, q->elements);
    }
}

/* Per-class weights for the softmax (dyadic, one of them 0). */
static const double class_alpha[MAX_CLASSES] = {0.5, 2.0, 0.0, 1.0, 1.25, 0.75, 1.5, 0.25, 1.0, 2.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0};

/* Weights: dyadic in [0, 3), about 15% zeros. */
static void *make_weights(const problem *p, int layout) {
    size_t i, n = weights_count(p, layout);
    void *w = xmalloc(n * 8);
    for (i = 0; i < n; ++i) set_value(p->f64, w, i, uniform(0, 1) < 0.15 ? 0.0 : dyadic(3.0));
    return w;
}

/* ------------------------------------------------------------------ tests */

static void test_constants(void) {
    const char *s = focal_status_string(FOCAL_ERROR_INVALID_HESSIAN);
    CHECK(FOCAL_ERROR_INVALID_HESSIAN == 14 && FOCAL_HESSIAN_EXACT == 0 && FOCAL_HESSIAN_CLIPPED == 1 &&
              FOCAL_HESSIAN_APPROXIMATE == 2, "values");
    CHECK(FOCAL_HESSIAN_FLOOR == 1e-6, "FOCAL_HESSIAN_FLOOR %g", FOCAL_HESSIAN_FLOOR);
    CHECK(strncmp(s, "FOCAL_ERROR_INVALID_HESSIAN", 27) == 0 && strlen(s) > 29, "status string of 14: %s", s);
    CHECK(strncmp(focal_status_string((focal_status)16), "FOCAL_ERROR_UNKNOWN", 19) == 0, "16 is unknown: %s",
          focal_status_string((focal_status)16));
}

/* The references agree with central differences of the loss (and of their own gradient), and
 * the sigmoid's general form with the hard-target closed form. */
static void test_references(void) {
    const long double h = 1e-5L;
    const double gammas[] = {0, 0.5, 1, 2, 3.7};
    const double alphas[] = {0.25, FOCAL_ALPHA_DISABLED};
    size_t g, a;
    int i, c;
    for (g = 0; g < sizeof gammas / sizeof gammas[0]; ++g)
        for (a = 0; a < 2; ++a) {
            for (i = 0; i < 9; ++i) {
                long double x = -6 + 1.45L * i, t = i % 3 == 2 ? 0.375L : (long double)(i % 2);
                derivatives d = sigmoid_ref(x, t, alphas[a], gammas[g]), up = sigmoid_ref(x + h, t, alphas[a], gammas[g]),
                            down = sigmoid_ref(x - h, t, alphas[a], gammas[g]);
                long double fd = (up.grad - down.grad) / (2 * h);
                CHECK(fabsl(fd - d.hess) <= 1e-7L * (d.scale + 1e-6L), "sigmoid reference Hessian x=%Lg t=%Lg gamma=%g: %Lg vs %Lg", x, t,
                      gammas[g], fd, d.hess);
                if (t == 0 || t == 1) {
                    long double at = alphas[a] < 0 ? 1.0L : t == 1 ? alphas[a] : 1 - alphas[a];
                    long double closed = t == 1 ? hard_exact_hessian(x, at, gammas[g]) : hard_exact_hessian(-x, at, gammas[g]);
                    CHECK(fabsl(closed - d.hess) <= 1e-13L * d.scale + 1e-30L, "hard-target closed form x=%Lg t=%Lg gamma=%g: %Lg vs %Lg",
                          x, t, gammas[g], closed, d.hess);
                }
                if (gammas[g] == 0) {
                    long double p = expl(log_sigmoid(x)), q = expl(log_sigmoid(-x));
                    CHECK(fabsl(d.hess - (alphas[a] < 0 ? 1.0L : (alphas[a] * t + (1 - alphas[a]) * (1 - t))) * p * q) <= 1e-15L,
                          "gamma 0: p (1 - p)");
                }
            }
            for (c = 0; c < 5; ++c) {
                long double row[5] = {0.3L, -1.2L, 2.0L, 0.7L, -0.4L}, lp, lm, l0;
                derivatives d[5], other[5];
                const double *al = a == 0 ? class_alpha : NULL;
                softmax_ref(row, 5, 1, al, gammas[g], d);
                l0 = softmax_loss(row, 5, 1, al, gammas[g]);
                row[c] += h;
                lp = softmax_loss(row, 5, 1, al, gammas[g]);
                softmax_ref(row, 5, 1, al, gammas[g], other);
                row[c] -= 2 * h;
                lm = softmax_loss(row, 5, 1, al, gammas[g]);
                {
                    derivatives below[5];
                    softmax_ref(row, 5, 1, al, gammas[g], below);
                    CHECK(fabsl((lp - lm) / (2 * h) - d[c].grad) <= 1e-8L * (fabsl(d[c].grad) + 1e-3L), "softmax reference gradient c=%d g=%g",
                          c, gammas[g]);
                    /* The second difference of the loss, with a step of its own (1e-3: rounding
                     * stays below 1e-9 with valgrind's double-precision long double). */
                    {
                        const long double h2 = 1e-3L;
                        long double r2[5] = {0.3L, -1.2L, 2.0L, 0.7L, -0.4L}, l2p, l2m, second;
                        r2[c] += h2;
                        l2p = softmax_loss(r2, 5, 1, al, gammas[g]);
                        r2[c] -= 2 * h2;
                        l2m = softmax_loss(r2, 5, 1, al, gammas[g]);
                        second = (l2p - 2 * l0 + l2m) / (h2 * h2);
                        CHECK(fabsl(second - d[c].hess) <= 1e-5L * (d[c].scale + 1e-3L),
                              "softmax reference Hessian (second difference) c=%d g=%g: %Lg vs %Lg", c, gammas[g], second, d[c].hess);
                    }
                    CHECK(fabsl((other[c].grad - below[c].grad) / (2 * h) - d[c].hess) <= 1e-7L * (d[c].scale + 1e-6L),
                          "softmax reference Hessian (gradient difference) c=%d g=%g: %Lg vs %Lg", c, gammas[g],
                          (other[c].grad - below[c].grad) / (2 * h), d[c].hess);
                }
            }
        }
}

/* grad is bit for bit the _weighted loss call's gradient (reduction none, grad_loss NULL),
 * whatever the Hessian mode, with and without weights, both tiers (sigmoid f32), non-finite
 * logits included; the softmax's fast tier gives its exact tier's bits. */
static void test_gradient_identity(void) {
    static const double gammas[] = {0, 0.5, 2, 3.7};
    int fn, shape, layout, given, tier, mode;
    size_t g;
    for (fn = SIG_GH_F32; fn <= SMX_GH_F64_I32; ++fn)
        for (shape = 0; shape < 2; ++shape) {
            problem p;
            small_problem(&p, fn, shape, 0);
            for (layout = 0; layout < (p.softmax ? 1 : 2); ++layout)
                for (given = 0; given < 2; ++given) {
                    void *w = given ? make_weights(&p, layout) : NULL;
                    for (g = 0; g < sizeof gammas / sizeof gammas[0]; ++g)
                        for (tier = 0; tier < 2; ++tier) {
                            options o;
                            void *loss, *want;
                            args a;
                            focal_status s;
                            if (light && (g + (size_t)tier) % 2 == 1) continue;
                            loss = fill_values(p.f64, p.elements, SENT);
                            want = fill_values(p.f64, p.elements, SENT);
                            options_make(&o, gammas[g]);
                            o.s.alpha = shape == 0 ? 0.25 : FOCAL_ALPHA_DISABLED;
                            o.x.alpha = shape == 0 ? NULL : class_alpha;
                            o.s.precision = o.x.precision = (focal_precision)tier;
                            a = problem_args(&p, &o, FOCAL_HESSIAN_EXACT, w, layout, NULL, NULL);
                            if (p.softmax) {
                                /* The reference: the weighted call's exact tier. */
                                options e = o;
                                args ea = a;
                                e.x.precision = FOCAL_PRECISION_EXACT;
                                ea.xo = &e.x;
                                s = call_weighted_loss(fn, &ea, loss, want);
                            } else {
                                s = call_weighted_loss(fn, &a, loss, want);
                            }
                            CHECK(s == FOCAL_OK, "%s reference call: %s", function_names[fn], focal_last_error_message());
                            for (mode = 0; mode < 3; ++mode) {
                                void *grad = fill_values(p.f64, p.elements, SENT), *hess = fill_values(p.f64, p.elements, SENT);
                                size_t d;
                                a.hessian = mode; a.grad = grad; a.hess = hess;
                                s = call(fn, &a);
                                CHECK(s == FOCAL_OK, "%s: %s", function_names[fn], focal_last_error_message());
                                d = first_difference(p.f64, grad, want, p.elements);
                                CHECK(d == p.elements,
                                      "%s grad != the weighted loss call's (shape %d, layout %d, weights %s, gamma %g, tier %d, %s): "
                                      "grad[%zu] = %.17g, loss call %.17g", function_names[fn], shape, layout, given ? "given" : "NULL",
                                      gammas[g], tier, hessian_name(mode), d, d < p.elements ? value_at(p.f64, grad, d) : 0.0,
                                      d < p.elements ? value_at(p.f64, want, d) : 0.0);
                                CHECK(!all_equal(p.f64, hess, p.elements, SENT) || p.elements == 0, "%s: hess not written", function_names[fn]);
                                if (p.softmax && tier == FOCAL_PRECISION_FAST) {
                                    /* The fast tier computes as the exact one: the same Hessian bits. */
                                    options e = o;
                                    args ea = a;
                                    void *g2 = fill_values(p.f64, p.elements, SENT), *h2 = fill_values(p.f64, p.elements, SENT);
                                    e.x.precision = FOCAL_PRECISION_EXACT;
                                    ea.xo = &e.x; ea.grad = g2; ea.hess = h2;
                                    CHECK(call(fn, &ea) == FOCAL_OK && first_difference(p.f64, hess, h2, p.elements) == p.elements,
                                          "%s %s: the fast tier's Hessian differs from the exact tier's (gamma %g)", function_names[fn],
                                          hessian_name(mode), gammas[g]);
                                    free(g2); free(h2);
                                }
                                free(grad); free(hess);
                            }
                            free(loss); free(want);
                        }
                    free(w);
                }
            problem_free(&p);
        }
}

/* Hessians against the references on finite logits: every mode, several gammas and alphas,
 * both tiers (sigmoid f32); CLIPPED = max(EXACT, floor) bit for bit without weights; gamma 0:
 * APPROXIMATE = EXACT; APPROXIMATE >= 0; with weights, w times the unweighted Hessian. */
static void test_hessian_values(void) {
    static const double gammas[] = {0, 0.5, 1, 2, 3.7};
    int fn, shape, layout, set, mode, tier;
    size_t g, e;
    for (fn = SIG_GH_F32; fn <= SMX_GH_F64_I32; ++fn)
        for (shape = 0; shape < 2; ++shape) {
            problem p;
            small_problem(&p, fn, shape, 1);
            for (g = 0; g < sizeof gammas / sizeof gammas[0]; ++g)
                for (set = 0; set < 2; ++set)
                    for (tier = 0; tier < (fn == SIG_GH_F32 ? 2 : 1); ++tier) {
                        options o;
                        derivatives *ref;
                        void *h[3];
                        /* Where the arithmetic is double, 2 float32 ulps; the fast tier's float
                         * arithmetic, 16 (the gradient's bound). */
                        const double ulps = tier ? 16 : 2;
                        if (light && (g + (size_t)set) % 2 == 1) continue;
                        ref = (derivatives *)xmalloc(p.elements * sizeof(derivatives));
                        options_make(&o, gammas[g]);
                        /* set 0: alpha disabled / no class weights; set 1: alpha 0.25 / class_alpha. */
                        o.s.alpha = set == 0 ? FOCAL_ALPHA_DISABLED : 0.25;
                        o.x.alpha = set == 0 ? NULL : class_alpha;
                        o.s.precision = (focal_precision)tier;
                        if (!p.softmax) {
                            for (e = 0; e < p.elements; ++e) ref[e] = sigmoid_ref(p.xd[e], p.td[e], o.s.alpha, gammas[g]);
                        } else {
                            size_t pos, c;
                            for (pos = 0; pos < p.positions; ++pos) {
                                long double row[MAX_CLASSES];
                                derivatives d[MAX_CLASSES];
                                for (c = 0; c < (size_t)p.classes; ++c) row[c] = p.xd[element_of(&p, pos, c)];
                                if (p.y[pos] == -100) {
                                    for (c = 0; c < (size_t)p.classes; ++c) d[c].grad = d[c].hess = d[c].approx = d[c].scale = 0;
                                } else {
                                    softmax_ref(row, (int)p.classes, (int)p.y[pos], o.x.alpha, gammas[g], d);
                                }
                                for (c = 0; c < (size_t)p.classes; ++c) ref[element_of(&p, pos, c)] = d[c];
                            }
                        }
                        /* Without weights: each mode against its reference. */
                        for (mode = 0; mode < 3; ++mode) {
                            args a;
                            size_t bad = 0, first = 0;
                            focal_status s;
                            h[mode] = fill_values(p.f64, p.elements, SENT);
                            a = problem_args(&p, &o, mode, NULL, 0, NULL, h[mode]);
                            s = call(fn, &a);
                            CHECK(s == FOCAL_OK, "%s: %s", function_names[fn], focal_last_error_message());
                            for (e = 0; e < p.elements; ++e) {
                                double v = value_at(p.f64, h[mode], e);
                                long double want = mode == FOCAL_HESSIAN_APPROXIMATE ? ref[e].approx : ref[e].hess;
                                long double scale = mode == FOCAL_HESSIAN_APPROXIMATE ? 0 : ref[e].scale;
                                int ok;
                                if (mode == FOCAL_HESSIAN_CLIPPED && want < FOCAL_HESSIAN_FLOOR) { want = FOCAL_HESSIAN_FLOOR; scale = 0; }
                                if (p.softmax && p.y[position_of(&p, e)] == -100) ok = v == 0;
                                else ok = near_hessian(p.f64, tier, v, want, scale, ulps);
                                if (mode == FOCAL_HESSIAN_APPROXIMATE && !(v >= 0)) ok = 0;
                                if (!ok && !bad++) first = e;
                            }
                            CHECK(bad == 0, "%s %s (shape %d, gamma %g, option set %d, tier %d): hess[%zu] = %.17g (logit %.9g, target %g), "
                                  "reference %.17Lg (terms' scale %.3Lg); %zu wrong", function_names[fn], hessian_name(mode), shape, gammas[g],
                                  set, tier, first, bad ? value_at(p.f64, h[mode], first) : 0.0, p.xd[first],
                                  p.softmax ? (double)p.y[position_of(&p, first)] : p.td[first],
                                  bad ? (mode == FOCAL_HESSIAN_APPROXIMATE ? ref[first].approx : ref[first].hess) : 0.0L,
                                  bad ? ref[first].scale : 0.0L, bad);
                        }
                        /* CLIPPED is EXACT floored, bit for bit (rounding is monotone); gamma 0:
                         * APPROXIMATE = EXACT (both alpha_t p (1 - p), alpha_y p_c (1 - p_c)). */
                        {
                            size_t bad = 0, first = 0, bad0 = 0;
                            double floor_ = p.f64 ? FOCAL_HESSIAN_FLOOR : (double)(float)FOCAL_HESSIAN_FLOOR;
                            for (e = 0; e < p.elements; ++e) {
                                double ex = value_at(p.f64, h[0], e), cl = value_at(p.f64, h[1], e), ap = value_at(p.f64, h[2], e);
                                double want = ex > floor_ ? ex : floor_;
                                if (p.softmax && p.y[position_of(&p, e)] == -100) want = 0;
                                if (cl != want && !bad++) first = e;
                                if (gammas[g] == 0 && !near_hessian(p.f64, tier, ap, (long double)ex, 0, 1)) ++bad0;
                            }
                            CHECK(bad == 0, "%s CLIPPED != max(EXACT, FOCAL_HESSIAN_FLOOR) (shape %d, gamma %g, tier %d): [%zu] %.17g vs EXACT %.17g",
                                  function_names[fn], shape, gammas[g], tier, first, bad ? value_at(p.f64, h[1], first) : 0.0,
                                  bad ? value_at(p.f64, h[0], first) : 0.0);
                            CHECK(bad0 == 0, "%s gamma 0: APPROXIMATE != EXACT at %zu elements (tier %d)", function_names[fn], bad0, tier);
                        }
                        /* Weights multiply: hess_w = w * hess (within 2 ulps of the dtype: the
                         * product and the unweighted value each rounded once), each mode. */
                        for (layout = 0; layout < (p.softmax ? 1 : 2); ++layout) {
                            void *w = make_weights(&p, layout);
                            for (mode = 0; mode < 3; ++mode) {
                                void *hw = fill_values(p.f64, p.elements, SENT);
                                args a = problem_args(&p, &o, mode, w, layout, NULL, hw);
                                size_t bad = 0, first = 0;
                                CHECK(call(fn, &a) == FOCAL_OK, "%s weights: %s", function_names[fn], focal_last_error_message());
                                for (e = 0; e < p.elements; ++e) {
                                    double wt = weight_of(&p, w, layout, e), got = value_at(p.f64, hw, e);
                                    long double want = (long double)wt * value_at(p.f64, h[mode], e);
                                    int ok;
                                    if (wt == 0 || (p.softmax && p.y[position_of(&p, e)] == -100)) ok = got == 0;
                                    else if (p.f64) ok = fabsl(got - want) <= 4 * (long double)DBL_EPSILON * fabsl(want);
                                    else ok = fabsl(got - want) <= 2 * float_spacing(want);
                                    if (!ok && !bad++) first = e;
                                }
                                CHECK(bad == 0, "%s %s weighted (shape %d, layout %d, gamma %g, set %d, tier %d): hess[%zu] = %.17g, weight %g, "
                                      "unweighted %.17g; %zu wrong", function_names[fn], hessian_name(mode), shape, layout, gammas[g], set, tier,
                                      first, bad ? value_at(p.f64, hw, first) : 0.0, bad ? weight_of(&p, w, layout, first) : 0.0,
                                      bad ? value_at(p.f64, h[mode], first) : 0.0, bad);
                                free(hw);
                            }
                            free(w);
                        }
                        for (mode = 0; mode < 3; ++mode) free(h[mode]);
                        free(ref);
                    }
            problem_free(&p);
        }
    printf("Hessians against the long double references: worst float32 error %.2f ulp (exact tier, bound 2), %.2f ulp (fast tier, "
           "bound 16), float64 %.2g relative (bound 1e-10), beyond the cancellation allowance\n", worst_ulps[0], worst_ulps[1],
           worst_relative);
}

/* The sigmoid's exact Hessian along a grid, hard targets, against the brief's closed form; its
 * sign change for t = 1 at gamma 2 near x = -2.8 (negative below, positive above); APPROXIMATE
 * >= 0 there; the limits at +-inf. */
static void test_sigmoid_hard_targets(void) {
    enum { N = 601 };
    static const double gammas[] = {0.5, 2, 3.7};
    double x[N], t1[N], t0[N];
    int f64, mode;
    size_t i, g;
    for (i = 0; i < N; ++i) { x[i] = -15 + 0.05 * (double)i; t1[i] = 1; t0[i] = 0; }
    for (f64 = 0; f64 < 2; ++f64)
        for (g = 0; g < sizeof gammas / sizeof gammas[0]; ++g) {
            int target;
            for (target = 0; target < 2; ++target) {
                void *xs = make_values(f64, x, N), *ts = make_values(f64, target ? t1 : t0, N);
                void *h[3];
                options o;
                focal_status s;
                size_t bad = 0, first = 0, changes = 0, change_at = 0;
                options_make(&o, gammas[g]);
                o.s.alpha = 0.25;
                for (mode = 0; mode < 3; ++mode) {
                    h[mode] = fill_values(f64, N, SENT);
                    s = f64 ? focal_sigmoid_grad_hess_f64(&o.s, (focal_hessian)mode, N, 1, 1, (const double *)xs, (const double *)ts, NULL,
                                                          FOCAL_WEIGHTS_PER_ELEMENT, NULL, (double *)h[mode])
                            : focal_sigmoid_grad_hess_f32(&o.s, (focal_hessian)mode, N, 1, 1, (const float *)xs, (const float *)ts, NULL,
                                                          FOCAL_WEIGHTS_PER_ELEMENT, NULL, (float *)h[mode]);
                    CHECK(s == FOCAL_OK, "%s", focal_last_error_message());
                }
                for (i = 0; i < N; ++i) {
                    long double xi = value_at(f64, xs, i);
                    long double want = target ? hard_exact_hessian(xi, 0.25L, gammas[g]) : hard_exact_hessian(-xi, 0.75L, gammas[g]);
                    derivatives d = sigmoid_ref(xi, target, 0.25, gammas[g]);
                    double got = value_at(f64, h[0], i);
                    if (!near_hessian(f64, 0, got, want, d.scale, 2) && !bad++) first = i;
                    if (!(value_at(f64, h[2], i) >= 0) && !bad++) first = i;
                    if (i > 0 && (value_at(f64, h[0], i - 1) < 0) != (got < 0)) { ++changes; change_at = i; }
                }
                CHECK(bad == 0, "sigmoid %s gamma %g t=%d: EXACT hess at x=%g is %.17g, closed form %.17Lg (or APPROXIMATE %g < 0)",
                      f64 ? "f64" : "f32", gammas[g], target, bad ? x[first] : 0.0, bad ? value_at(f64, h[0], first) : 0.0,
                      bad ? (target ? hard_exact_hessian(value_at(f64, xs, first), 0.25L, gammas[g])
                                    : hard_exact_hessian(-value_at(f64, xs, first), 0.75L, gammas[g])) : 0.0L,
                      bad ? value_at(f64, h[2], first) : 0.0);
                if (gammas[g] == 2 && target == 1) {
                    CHECK(changes == 1 && x[change_at] > -2.85 && x[change_at] < -2.7,
                          "gamma 2, t = 1: %zu sign changes of the exact Hessian, the last at x = %g (expected one, near -2.8)", changes,
                          x[change_at]);
                    CHECK(value_at(f64, h[0], 240) < 0 && value_at(f64, h[0], 250) > 0, "x = %g: %g, x = %g: %g", x[240],
                          value_at(f64, h[0], 240), x[250], value_at(f64, h[0], 250));
                }
                free(xs); free(ts);
                for (mode = 0; mode < 3; ++mode) free(h[mode]);
            }
        }
    /* Infinite logits: the limits. The exact and approximate Hessians tend to 0 (for every
     * target), the clipped one to the floor; the gradient is finite (and equals the loss call's,
     * checked above); a NaN logit gives NaN for its own element only. */
    for (f64 = 0; f64 < 2; ++f64) {
        static const double lx[6] = {INFINITY, -INFINITY, INFINITY, -INFINITY, NAN, 1.5};
        static const double lt[6] = {1, 1, 0.25, 0.5, 1, 0};
        void *xs = make_values(f64, lx, 6), *ts = make_values(f64, lt, 6);
        size_t k;
        for (k = 0; k < 3; ++k) {
            static const double gs[3] = {0, 0.5, 2};
            for (mode = 0; mode < 3; ++mode) {
                void *grad = fill_values(f64, 6, SENT), *hess = fill_values(f64, 6, SENT);
                options o;
                focal_status s;
                double floor_ = mode == FOCAL_HESSIAN_CLIPPED ? (f64 ? FOCAL_HESSIAN_FLOOR : (double)(float)FOCAL_HESSIAN_FLOOR) : 0.0;
                options_make(&o, gs[k]);
                s = f64 ? focal_sigmoid_grad_hess_f64(&o.s, (focal_hessian)mode, 6, 1, 1, (const double *)xs, (const double *)ts, NULL,
                                                      FOCAL_WEIGHTS_PER_ELEMENT, (double *)grad, (double *)hess)
                        : focal_sigmoid_grad_hess_f32(&o.s, (focal_hessian)mode, 6, 1, 1, (const float *)xs, (const float *)ts, NULL,
                                                      FOCAL_WEIGHTS_PER_ELEMENT, (float *)grad, (float *)hess);
                CHECK(s == FOCAL_OK, "%s", focal_last_error_message());
                for (i = 0; i < 4; ++i)
                    CHECK(isfinite(value_at(f64, grad, i)) && value_at(f64, hess, i) == floor_,
                          "%s %s gamma %g: x = %g, t = %g: grad %g, hess %g (limit %g)", f64 ? "f64" : "f32", hessian_name(mode), gs[k], lx[i],
                          lt[i], value_at(f64, grad, i), value_at(f64, hess, i), floor_);
                CHECK(isnan(value_at(f64, grad, 4)) && isnan(value_at(f64, hess, 4)), "a NaN logit: grad %g hess %g",
                      value_at(f64, grad, 4), value_at(f64, hess, 4));
                CHECK(isfinite(value_at(f64, grad, 5)) && isfinite(value_at(f64, hess, 5)), "the NaN stays local");
                free(grad); free(hess);
            }
        }
        free(xs); free(ts);
    }
}

/* A weight of 0 gives 0 for both outputs whatever the logit (NaN, +-inf); without weights a NaN
 * logit gives NaN for its own element (sigmoid), and an infinite one finite values; the
 * softmax's ignored positions give 0 for the whole position, a row holding NaN or +inf NaN for
 * the whole position, a -inf logit (the target's or another class's) finite values. */
static void test_zero_weights_and_rows(void) {
    int fn, mode, layout, zeroed;
    for (fn = SIG_GH_F32; fn <= SMX_GH_F64_I32; ++fn)
        for (zeroed = 0; zeroed < 2; ++zeroed)
            for (layout = 0; layout < (is_softmax(fn) || !zeroed ? 1 : 2); ++layout)
                for (mode = 0; mode < 3; ++mode) {
                    problem p;
                    options o;
                    void *w = NULL, *grad, *hess;
                    args a;
                    size_t e, bad = 0, first = 0;
                    small_problem(&p, fn, 1, 0);
                    options_make(&o, 2.0);
                    o.x.alpha = class_alpha;
                    if (zeroed) {
                        /* Weight 0 on the non-finite elements (sigmoid: 1, 3, 4, 8) and on the
                         * softmax's positions 0 to 4 (NaN, +inf, ignored, all -inf, -inf target);
                         * the others keep theirs (some 0). */
                        w = make_weights(&p, layout);
                        if (!p.softmax) {
                            static const size_t zeros[4] = {1, 3, 4, 8};
                            size_t k;
                            for (k = 0; k < 4; ++k) set_value(p.f64, w, layout ? position_of(&p, zeros[k]) : zeros[k], 0.0);
                        } else {
                            size_t k;
                            for (k = 0; k < 5; ++k) set_value(p.f64, w, k, 0.0);
                        }
                    }
                    grad = fill_values(p.f64, p.elements, SENT);
                    hess = fill_values(p.f64, p.elements, SENT);
                    a = problem_args(&p, &o, mode, w, layout, grad, hess);
                    CHECK(call(fn, &a) == FOCAL_OK, "%s: %s", function_names[fn], focal_last_error_message());
                    for (e = 0; e < p.elements; ++e) {
                        double wt = weight_of(&p, w, layout, e), gv = value_at(p.f64, grad, e), hv = value_at(p.f64, hess, e);
                        size_t pos = position_of(&p, e);
                        int ok;
                        if (wt == 0 || (p.softmax && p.y[pos] == -100)) ok = gv == 0 && hv == 0;
                        else if (!p.softmax) ok = isnan(p.xd[e]) ? isnan(gv) && isnan(hv) : isfinite(gv) && isfinite(hv);
                        else {
                            /* Position 3 (every logit -inf) is left out: the header says nothing
                             * of it here. */
                            size_t c;
                            int nan_row = 0, all_minus_inf = 1;
                            for (c = 0; c < (size_t)p.classes; ++c) {
                                double v = p.xd[element_of(&p, pos, c)];
                                if (isnan(v) || v == INFINITY) nan_row = 1;
                                if (v != -INFINITY) all_minus_inf = 0;
                            }
                            if (all_minus_inf) ok = 1;
                            else if (nan_row) ok = isnan(gv) && isnan(hv);
                            else ok = isfinite(gv) && isfinite(hv);
                        }
                        if (!ok && !bad++) first = e;
                    }
                    CHECK(bad == 0, "%s %s %s layout %d: element %zu (position %zu, logit %g, weight %g): grad %g hess %g; %zu wrong",
                          function_names[fn], hessian_name(mode), zeroed ? "zero weights" : "no weights", layout, first,
                          position_of(&p, first), p.xd[first], weight_of(&p, w, layout, first), value_at(p.f64, grad, first),
                          value_at(p.f64, hess, first), bad);
                    free(w); free(grad); free(hess);
                    problem_free(&p);
                }
}

/* grad or hess NULL: the other as with both; both NULL: OK, nothing to do; empty inputs (NULL
 * pointers) OK; the sigmoid's classes = 0 (as in focal_sigmoid_weighted_f32) OK. */
static void test_null_outputs_and_empty(void) {
    int fn, mode;
    for (fn = SIG_GH_F32; fn <= SMX_GH_F64_I32; ++fn)
        for (mode = 0; mode < 3; ++mode) {
            problem p;
            options o;
            void *g0, *h0, *g1, *h1, *w;
            args a;
            focal_status s;
            small_problem(&p, fn, 1, 0);
            options_make(&o, 2.0);
            w = make_weights(&p, 0);
            g0 = fill_values(p.f64, p.elements, SENT); h0 = fill_values(p.f64, p.elements, SENT);
            g1 = fill_values(p.f64, p.elements, SENT); h1 = fill_values(p.f64, p.elements, SENT);
            a = problem_args(&p, &o, mode, w, 0, g0, h0);
            CHECK(call(fn, &a) == FOCAL_OK, "%s: %s", function_names[fn], focal_last_error_message());
            a.grad = NULL; a.hess = h1;
            s = call(fn, &a);
            CHECK(s == FOCAL_OK && first_difference(p.f64, h0, h1, p.elements) == p.elements, "%s %s grad NULL: %d, hess differs",
                  function_names[fn], hessian_name(mode), (int)s);
            a.grad = g1; a.hess = NULL;
            s = call(fn, &a);
            CHECK(s == FOCAL_OK && first_difference(p.f64, g0, g1, p.elements) == p.elements, "%s %s hess NULL: %d, grad differs",
                  function_names[fn], hessian_name(mode), (int)s);
            a.grad = NULL; a.hess = NULL;
            CHECK(call(fn, &a) == FOCAL_OK, "%s both NULL: %s", function_names[fn], focal_last_error_message());
            /* Empty: batch 0, inner 0, and (sigmoid) classes 0, every pointer NULL. */
            {
                int k;
                for (k = 0; k < 3 + !p.softmax; ++k) {
                    args e = a;
                    double out[2] = {SENT, SENT};
                    e.x = e.t = e.w = NULL;
                    e.grad = NULL; e.hess = NULL;
                    if (k == 0) e.b = 0;
                    else if (k == 1) e.in = 0;
                    else if (k == 2) { e.b = 0; e.grad = out; e.hess = out + 1; }
                    else e.c = 0;
                    s = call(fn, &e);
                    CHECK(s == FOCAL_OK && out[0] == SENT && out[1] == SENT, "%s empty (case %d): %d %s", function_names[fn], k, (int)s,
                          focal_last_error_message());
                }
            }
            free(w); free(g0); free(h0); free(g1); free(h1);
            problem_free(&p);
        }
}

/* NULL options are the defaults; the fields the header says a call does not read change
 * nothing (grad_hess: reduction, normalizer, accumulate_grad, the sigmoid's ignore_index; init
 * scores also precision); older struct versions are accepted. */
static void test_options_fields(void) {
    int fn;
    for (fn = 0; fn < FUNCTIONS; ++fn) {
        problem p;
        options d, junk, old;
        void *o0, *o1, *h0 = NULL, *h1 = NULL;
        args a, b;
        focal_status s;
        size_t n, i;
        int v;
        int pfn = is_init(fn) ? (fn == SIG_INIT_F32 ? SIG_GH_F32 : fn == SIG_INIT_F64 ? SIG_GH_F64 : fn == SMX_INIT_F64_I64 ? SMX_GH_F64_I64
                                                                                                              : SMX_GH_F64_I32)
                              : fn;
        small_problem(&p, pfn, 1, 0);
        n = is_init(fn) ? (size_t)p.classes : p.elements;
        /* The defaults, written out, with num_threads 0 as they have. */
        options_make(&d, 2.0);
        d.s.num_threads = d.x.num_threads = 0;
        d.x.reduction = FOCAL_REDUCTION_MEAN;
        o0 = fill_values(p.f64, n, SENT); o1 = fill_values(p.f64, n, SENT);
        if (!is_init(fn)) { h0 = fill_values(p.f64, n, SENT); h1 = fill_values(p.f64, n, SENT); }
        a = problem_args(&p, &d, FOCAL_HESSIAN_EXACT, NULL, 0, is_init(fn) ? NULL : o0, h0);
        if (is_init(fn)) { a.scores = o0; a.x = NULL; }
        s = call(fn, &a);
        CHECK(s == FOCAL_OK, "%s defaults: %s", function_names[fn], focal_last_error_message());
        b = a;
        b.so = NULL; b.xo = NULL;
        if (is_init(fn)) b.scores = o1; else { b.grad = o1; b.hess = h1; }
        s = call(fn, &b);
        CHECK(s == FOCAL_OK && first_difference(p.f64, o0, o1, n) == n && (is_init(fn) || first_difference(p.f64, h0, h1, n) == n),
              "%s: NULL options are not the defaults: %d %s", function_names[fn], (int)s, focal_last_error_message());
        /* Unread fields with values that would be errors where they are read. */
        junk = d;
        junk.s.reduction = junk.x.reduction = (focal_reduction)7;
        junk.s.use_normalizer = junk.x.use_normalizer = 1;
        junk.s.normalizer = junk.x.normalizer = -1.0;
        junk.s.accumulate_grad = junk.x.accumulate_grad = 1;
        junk.s.ignore_index = 3;  /* the labels functions' only */
        if (is_init(fn)) junk.s.precision = junk.x.precision = (focal_precision)5;
        for (i = 0; i < n; ++i) { set_value(p.f64, o1, i, 5.0); if (h1) set_value(p.f64, h1, i, 5.0); }
        b = a;
        b.so = &junk.s; b.xo = &junk.x;
        if (is_init(fn)) b.scores = o1; else { b.grad = o1; b.hess = h1; }
        s = call(fn, &b);
        CHECK(s == FOCAL_OK, "%s: a field the header says is not read (reduction 7, normalizer -1 with use_normalizer, accumulate_grad%s%s) "
              "refused: status %d, \"%s\"", function_names[fn], is_softmax(fn) ? "" : ", ignore_index 3",
              is_init(fn) ? ", precision 5" : "", (int)s, focal_last_error_message());
        if (s == FOCAL_OK)
            CHECK(first_difference(p.f64, o0, o1, n) == n && (is_init(fn) || first_difference(p.f64, h0, h1, n) == n),
                  "%s: unread fields change the results (accumulate_grad must not add)", function_names[fn]);
        /* Each unread field alone, so that a refusal names which. */
        for (v = 0; v < 5; ++v) {
            options one = d;
            const char *what[5] = {"reduction 7", "use_normalizer with normalizer -1", "accumulate_grad 1", "ignore_index 3", "precision 5"};
            if (v == 3 && is_softmax(fn)) continue;
            if (v == 4 && !is_init(fn)) continue;
            if (v == 0) one.s.reduction = one.x.reduction = (focal_reduction)7;
            if (v == 1) { one.s.use_normalizer = one.x.use_normalizer = 1; one.s.normalizer = one.x.normalizer = -1.0; }
            if (v == 2) one.s.accumulate_grad = one.x.accumulate_grad = 1;
            if (v == 3) one.s.ignore_index = 3;
            if (v == 4) one.s.precision = one.x.precision = (focal_precision)5;
            b = a;
            b.so = &one.s; b.xo = &one.x;
            if (is_init(fn)) b.scores = o1; else { b.grad = o1; b.hess = h1; }
            s = call(fn, &b);
            CHECK(s == FOCAL_OK, "%s: %s (not read, says the header) refused: status %d, \"%s\"", function_names[fn], what[v], (int)s,
                  focal_last_error_message());
        }
        /* Older struct versions: sigmoid 1 and 2, softmax 1 (precision absent: the exact tier). */
        for (v = 1; v < (is_softmax(fn) ? 2 : 3); ++v) {
            old = d;
            old.s.version = old.x.version = (uint32_t)v;
            for (i = 0; i < n; ++i) { set_value(p.f64, o1, i, SENT); if (h1) set_value(p.f64, h1, i, SENT); }
            b = a;
            b.so = &old.s; b.xo = &old.x;
            if (is_init(fn)) b.scores = o1; else { b.grad = o1; b.hess = h1; }
            s = call(fn, &b);
            CHECK(s == FOCAL_OK && first_difference(p.f64, o0, o1, n) == n && (is_init(fn) || first_difference(p.f64, h0, h1, n) == n),
                  "%s: options version %d: %d %s", function_names[fn], v, (int)s, focal_last_error_message());
        }
        free(o0); free(o1); free(h0); free(h1);
        problem_free(&p);
    }
}

/* ------------------------------------------------------------------ init scores */

/* A sigmoid init-score call on (batch, classes, inner) targets (doubles, rounded to the dtype)
 * and weights (NULL or per layout); scores out as double (not long double: under valgrind a
 * long double has no infinity). */
static focal_status sigmoid_init(int f64, const options *o, int64_t b, int64_t c, int64_t in, const double *t, const double *w, int layout,
                                 double *out) {
    size_t n = (size_t)(b * c * in), nw = layout == FOCAL_WEIGHTS_PER_POSITION ? (size_t)(b * in) : n, i;
    void *ts = make_values(f64, t, n), *ws = w ? make_values(f64, w, nw) : NULL, *scores = fill_values(f64, (size_t)c, SENT);
    focal_status s = f64 ? focal_sigmoid_init_score_f64(&o->s, b, c, in, (const double *)ts, (const double *)ws, (focal_weights_layout)layout,
                                                        (double *)scores)
                         : focal_sigmoid_init_score_f32(&o->s, b, c, in, (const float *)ts, (const float *)ws, (focal_weights_layout)layout,
                                                        (float *)scores);
    for (i = 0; i < (size_t)c; ++i) out[i] = value_at(f64, scores, i);
    free(ts); free(ws); free(scores);
    return s;
}

/* The summed gradient of class c's elements at the shared logit x (the reference). */
static long double summed_gradient(long double x, int64_t b, int64_t c, int64_t in, int64_t cls, const double *t, const double *w,
                                   int layout, double alpha, double gamma, int f64) {
    long double s = 0;
    int64_t n, i;
    for (n = 0; n < b; ++n)
        for (i = 0; i < in; ++i) {
            size_t e = (size_t)((n * c + cls) * in + i);
            double wt = w ? w[layout == FOCAL_WEIGHTS_PER_POSITION ? (size_t)(n * in + i) : e] : 1.0;
            double tv = t[e];
            if (!f64) { wt = (double)(float)wt; tv = (double)(float)tv; }
            if (wt == 0) continue;
            s += wt * sigmoid_ref(x, tv, alpha, gamma).grad;
        }
    return s;
}

static void test_sigmoid_init_scores(void) {
    enum { B = 40, C = 2, I = 3, E = B * C * I, P = B * I };
    double t[E], w[E], wp[P], t_all0[E], t_all1[E], zero_w[E];
    int f64, layout, given;
    size_t e;
    for (e = 0; e < E; ++e) {
        size_t cls = (e / I) % C;
        /* Class 0: 30% positives; class 1: 70%. */
        t[e] = uniform(0, 1) < (cls == 0 ? 0.3 : 0.7) ? 1.0 : 0.0;
        w[e] = dyadic(3.0) + 0.125;
        t_all0[e] = 0; t_all1[e] = 1; zero_w[e] = 0;
    }
    t[0] = 1; t[I] = 0;  /* each class has both */
    t[1] = 0; t[I + 1] = 1;
    for (e = 0; e < P; ++e) wp[e] = dyadic(3.0) + 0.125;
    for (f64 = 0; f64 < 2; ++f64) {
        /* gamma 0, alpha disabled: the log odds of the (weighted) positive rate. */
        for (layout = 0; layout < 2; ++layout)
            for (given = 0; given < 2; ++given) {
                options o;
                double s[C];
                const double *wt = given ? (layout ? wp : w) : NULL;
                size_t cls;
                focal_status st;
                options_make(&o, 0.0);
                o.s.alpha = FOCAL_ALPHA_DISABLED;
                st = sigmoid_init(f64, &o, B, C, I, t, wt, layout, s);
                CHECK(st == FOCAL_OK, "sigmoid init: %s", focal_last_error_message());
                for (cls = 0; cls < C; ++cls) {
                    long double pos = 0, neg = 0, want;
                    int64_t n, i;
                    for (n = 0; n < B; ++n)
                        for (i = 0; i < I; ++i) {
                            size_t k = (size_t)((n * C + (int64_t)cls) * I + i);
                            double wv = wt ? wt[layout ? (size_t)(n * I + i) : k] : 1.0;
                            if (t[k] == 1) pos += wv; else neg += wv;
                        }
                    want = logl(pos / neg);
                    CHECK(f64 ? fabsl(s[cls] - want) <= 1e-12L * (1 + fabsl(want)) : fabsl(s[cls] - want) <= 2 * float_spacing(want),
                          "sigmoid init %s gamma 0 (layout %d, weights %s) class %zu: %.17g, log(%Lg / %Lg) = %.17Lg", f64 ? "f64" : "f32",
                          layout, given ? "given" : "NULL", cls, s[cls], pos, neg, want);
                }
            }
        /* Other gammas and alphas, soft targets too: the summed gradient changes sign at the
         * score (the minimiser, found to within a few ulps). */
        {
            static const double gammas[] = {0.5, 2, 3.7};
            static const double alphas[] = {0.25, FOCAL_ALPHA_DISABLED, 0.9};
            size_t g, k;
            double ts[E];
            for (e = 0; e < E; ++e) ts[e] = e % 5 == 4 ? dyadic(1.0) : t[e];
            for (g = 0; g < 3; ++g)
                for (k = 0; k < 3; ++k)
                    for (given = 0; given < 2; ++given) {
                        options o;
                        double s[C];
                        size_t cls;
                        const double *tt = given ? ts : t;
                        options_make(&o, gammas[g]);
                        o.s.alpha = alphas[k];
                        CHECK(sigmoid_init(f64, &o, B, C, I, tt, given ? w : NULL, 0, s) == FOCAL_OK, "%s", focal_last_error_message());
                        for (cls = 0; cls < C; ++cls) {
                            long double delta = f64 ? 1e-9L * (1 + fabsl(s[cls])) : 3 * float_spacing(s[cls]);
                            long double below = summed_gradient(s[cls] - delta, B, C, I, (int64_t)cls, tt, given ? w : NULL, 0, alphas[k], gammas[g], f64);
                            long double above = summed_gradient(s[cls] + delta, B, C, I, (int64_t)cls, tt, given ? w : NULL, 0, alphas[k], gammas[g], f64);
                            CHECK(isfinite(s[cls]) && below <= 0 && above >= 0,
                                  "sigmoid init %s gamma %g alpha %g (%s) class %zu: score %.17g, summed gradient %Lg below, %Lg above",
                                  f64 ? "f64" : "f32", gammas[g], alphas[k], given ? "soft targets, weights" : "hard targets", cls, s[cls], below,
                                  above);
                        }
                    }
        }
        /* -inf when every target is 0, +inf when every one is 1, NaN when every weight is 0;
         * one score per class (class 0 all 0, class 1 all 1). */
        {
            options o;
            double s[C];
            double mixed[E];
            options_make(&o, 0.0);
            o.s.alpha = FOCAL_ALPHA_DISABLED;
            CHECK(sigmoid_init(f64, &o, B, C, I, t_all0, NULL, 0, s) == FOCAL_OK && s[0] == -INFINITY && s[1] == -INFINITY,
                  "all targets 0: %g %g", s[0], s[1]);
            CHECK(sigmoid_init(f64, &o, B, C, I, t_all1, NULL, 0, s) == FOCAL_OK && s[0] == INFINITY && s[1] == INFINITY,
                  "all targets 1: %g %g", s[0], s[1]);
            CHECK(sigmoid_init(f64, &o, B, C, I, t, zero_w, 0, s) == FOCAL_OK && isnan(s[0]) && isnan(s[1]),
                  "every weight 0: %g %g", s[0], s[1]);
            CHECK(sigmoid_init(f64, &o, B, C, I, t, zero_w, 1, s) == FOCAL_OK && isnan(s[0]) && isnan(s[1]),
                  "every weight 0 (per position): %g %g", s[0], s[1]);
            for (e = 0; e < E; ++e) mixed[e] = (e / I) % C == 0 ? 0.0 : 1.0;
            o.s.alpha = 0.25;
            o.s.gamma = 2;
            CHECK(sigmoid_init(f64, &o, B, C, I, mixed, w, 0, s) == FOCAL_OK && s[0] == -INFINITY && s[1] == INFINITY,
                  "class 0 all 0, class 1 all 1: %g %g", s[0], s[1]);
            /* The positives weigh 0 (their weights 0): -inf; alpha = 0 likewise. */
            {
                double wz[E];
                for (e = 0; e < E; ++e) wz[e] = t[e] == 1 ? 0.0 : 1.0;
                CHECK(sigmoid_init(f64, &o, B, C, I, t, wz, 0, s) == FOCAL_OK && s[0] == -INFINITY && s[1] == -INFINITY,
                      "positives of weight 0: %g %g", s[0], s[1]);
                o.s.alpha = 0.0;
                CHECK(sigmoid_init(f64, &o, B, C, I, t, NULL, 0, s) == FOCAL_OK && s[0] == -INFINITY && s[1] == -INFINITY,
                      "alpha 0: %g %g", s[0], s[1]);
            }
            /* No positions: NaN (batch 0, targets NULL). */
            {
                void *scores = fill_values(f64, 2, SENT);
                focal_status st = f64 ? focal_sigmoid_init_score_f64(&o.s, 0, 2, 3, NULL, NULL, FOCAL_WEIGHTS_PER_ELEMENT, (double *)scores)
                                      : focal_sigmoid_init_score_f32(&o.s, 0, 2, 3, NULL, NULL, FOCAL_WEIGHTS_PER_ELEMENT, (float *)scores);
                CHECK(st == FOCAL_OK && isnan(value_at(f64, scores, 0)) && isnan(value_at(f64, scores, 1)), "no positions: %d %g %g",
                      (int)st, value_at(f64, scores, 0), value_at(f64, scores, 1));
                free(scores);
            }
        }
    }
}

static focal_status softmax_init(int i32, const options *o, int64_t b, int64_t c, int64_t in, const int64_t *y, const double *w, double *out) {
    void *ys = make_labels(i32, y, (size_t)(b * in));
    focal_status s = i32 ? focal_softmax_init_score_f64_i32(&o->x, b, c, in, (const int32_t *)ys, w, out)
                         : focal_softmax_init_score_f64_i64(&o->x, b, c, in, (const int64_t *)ys, w, out);
    free(ys);
    return s;
}

static void test_softmax_init_scores(void) {
    enum { B = 30, C = 5, I = 4, P = B * I };
    int64_t y[P];
    double w[P], zero_w[P], s[C];
    int i32, given, set;
    size_t i, c;
    for (i = 0; i < P; ++i) {
        /* Class 3 absent; the others with frequencies 1 : 2 : 3 : - : 4 roughly; some ignored. */
        double u = uniform(0, 10);
        y[i] = i % 11 == 5 ? -100 : u < 1 ? 0 : u < 3 ? 1 : u < 6 ? 2 : 4;
        w[i] = dyadic(3.0) + 0.125;
        zero_w[i] = 0;
    }
    y[0] = 0; y[1] = 1; y[2] = 2; y[3] = 4;
    for (i32 = 0; i32 < 2; ++i32) {
        /* gamma 0: the log of the (weighted) class frequencies; -inf for the absent class (and
         * for a class whose alpha is 0); the log-sum-exp 0. */
        for (set = 0; set < 2; ++set)
            for (given = 0; given < 2; ++given) {
                options o;
                long double W[C], total = 0, lse = 0;
                focal_status st;
                options_make(&o, 0.0);
                o.x.alpha = set ? class_alpha : NULL;
                for (c = 0; c < C; ++c) W[c] = 0;
                for (i = 0; i < P; ++i)
                    if (y[i] != -100) W[y[i]] += (given ? w[i] : 1.0) * (set ? class_alpha[y[i]] : 1.0);
                for (c = 0; c < C; ++c) total += W[c];
                for (c = 0; c < C; ++c) s[c] = SENT;
                st = softmax_init(i32, &o, B, C, I, y, given ? w : NULL, s);
                CHECK(st == FOCAL_OK, "softmax init: %s", focal_last_error_message());
                for (c = 0; c < C; ++c) {
                    if (W[c] == 0) {
                        CHECK(s[c] == -INFINITY, "softmax init gamma 0 (alpha %s, weights %s): absent class %zu: %.17g", set ? "given" : "NULL",
                              given ? "given" : "NULL", c, s[c]);
                    } else {
                        long double want = logl(W[c] / total);
                        CHECK(fabsl(s[c] - want) <= 1e-12L * (1 + fabsl(want)),
                              "softmax init gamma 0 (alpha %s, weights %s) class %zu: %.17g, log frequency %.17Lg", set ? "given" : "NULL",
                              given ? "given" : "NULL", c, s[c], want);
                        lse += expl((long double)s[c]);
                    }
                }
                CHECK(fabsl(lse - 1) <= 1e-14L, "log-sum-exp of the scores: log %.17Lg", logl(lse));
            }
        /* Other gammas: W_c psi(p_c) equal for every class with W_c > 0; -inf for the others. */
        {
            static const double gammas[] = {0.5, 2, 3.7};
            size_t g;
            for (g = 0; g < 3; ++g) {
                options o;
                long double W[C], lambda = -1, lse = 0;
                size_t worst_c = 0;
                long double worst = 0;
                options_make(&o, gammas[g]);
                o.x.alpha = class_alpha;
                for (c = 0; c < C; ++c) W[c] = 0;
                for (i = 0; i < P; ++i)
                    if (y[i] != -100) W[y[i]] += w[i] * class_alpha[y[i]];
                CHECK(softmax_init(i32, &o, B, C, I, y, w, s) == FOCAL_OK, "%s", focal_last_error_message());
                for (c = 0; c < C; ++c) {
                    long double v;
                    if (W[c] == 0) { CHECK(s[c] == -INFINITY, "gamma %g: class %zu of weight 0: %g", gammas[g], c, s[c]); continue; }
                    CHECK(isfinite(s[c]), "gamma %g class %zu: %g", gammas[g], c, s[c]);
                    lse += expl((long double)s[c]);
                    v = W[c] * softmax_psi(s[c], gammas[g]);
                    if (lambda < 0) lambda = v;
                    else if (fabsl(v / lambda - 1) > worst) { worst = fabsl(v / lambda - 1); worst_c = c; }
                }
                CHECK(worst <= 1e-9L, "softmax init gamma %g: W_c psi(p_c) differs by %Lg relative at class %zu (optimality)", gammas[g], worst,
                      worst_c);
                CHECK(fabsl(lse - 1) <= 1e-14L, "gamma %g: log-sum-exp %.17Lg", gammas[g], logl(lse));
            }
        }
        /* NaN where nothing weighs: every weight 0, every position ignored, no positions. */
        {
            options o;
            int64_t ignored[P];
            options_make(&o, 2.0);
            for (i = 0; i < P; ++i) ignored[i] = -100;
            CHECK(softmax_init(i32, &o, B, C, I, y, zero_w, s) == FOCAL_OK && isnan(s[0]) && isnan(s[4]), "every weight 0: %g %g", s[0], s[4]);
            CHECK(softmax_init(i32, &o, B, C, I, ignored, NULL, s) == FOCAL_OK && isnan(s[0]) && isnan(s[4]), "every position ignored: %g",
                  s[0]);
            for (c = 0; c < C; ++c) s[c] = SENT;
            CHECK((i32 ? focal_softmax_init_score_f64_i32(&o.x, 0, C, I, NULL, NULL, s) : focal_softmax_init_score_f64_i64(&o.x, 0, C, I, NULL, NULL, s))
                      == FOCAL_OK && isnan(s[0]) && isnan(s[4]), "no positions: %g", s[0]);
            /* One class alone: probability 1 (score 0), the others -inf. */
            {
                int64_t one[P];
                for (i = 0; i < P; ++i) one[i] = 2;
                CHECK(softmax_init(i32, &o, B, C, I, one, NULL, s) == FOCAL_OK && s[2] == 0 && s[0] == -INFINITY && s[4] == -INFINITY,
                      "one class: %g %g %g", s[0], s[2], s[4]);
            }
        }
    }
}

/* ------------------------------------------------------------------ errors */

/* A call of function fn that must fail with `expected`: every output (sentinels) untouched,
 * every input as it was, the message containing `mention` (and `also`, when given). */
static void expect_failure(int fn, const args *a0, focal_status expected, const char *mention, const char *also, int line) {
    enum { CAP = 64 };
    args a = *a0;
    const int f64 = is_f64(fn);
    void *grad = fill_values(f64, CAP, SENT), *hess = fill_values(f64, CAP, SENT), *scores = fill_values(f64, CAP, SENT);
    focal_status s;
    const char *message;
    int untouched;
    /* Outputs given as non-NULL placeholders point at the sentinels; those that point elsewhere
     * (overlap cases) keep their pointer and are compared through the inputs' copies. */
    if (a.grad == (void *)1) a.grad = grad;
    if (a.hess == (void *)1) a.hess = hess;
    if (a.scores == (void *)1) a.scores = scores;
    s = call(fn, &a);
    message = focal_last_error_message();
    untouched = all_equal(f64, grad, CAP, SENT) && all_equal(f64, hess, CAP, SENT) && all_equal(f64, scores, CAP, SENT);
    ++checks;
    if (s != expected || !untouched || strstr(message, mention) == NULL || (also != NULL && strstr(message, also) == NULL)) {
        ++failures;
        fprintf(stderr, "%s:%d: FAILED %s: expected status %d got %d, message \"%s\" (wanted \"%s\"%s%s), outputs %s\n", __FILE__, line,
                function_names[fn], (int)expected, (int)s, message, mention, also ? " and " : "", also ? also : "",
                untouched ? "untouched" : "WRITTEN");
    }
    free(grad); free(hess); free(scores);
}

static void test_errors(void) {
    /* (2, 5, 3): 30 elements, 6 positions. */
    enum { B = 2, C = 5, I = 3, E = B * C * I, P = B * I };
    double x[E], t[E], w[E];
    static const int64_t y[P] = {0, 4, 1, 2, 4, 3};
    static const double bad_weights[] = {-1.0, NAN, INFINITY, -INFINITY};
    static const double bad_alphas[] = {1.5, -0.5, NAN, INFINITY, -2.0};
    static const double bad_gammas[] = {-1.0, NAN, INFINITY, -INFINITY};
    static const double bad_targets[] = {1.5, -0.25, NAN, INFINITY};
    static const int64_t bad_labels[] = {5, -1, 7, -99};
    static const int bad_hessians[] = {3, 7, -1, 255};
    static const int bad_layouts[] = {2, 7, -1};
    size_t e, k;
    int fn;
    for (e = 0; e < E; ++e) { x[e] = uniform(-3, 3); t[e] = e % 4 == 0 ? 1.0 : 0.0; w[e] = 0.5 + 0.25 * (double)(e % 3); }
    for (fn = 0; fn < FUNCTIONS; ++fn) {
        const int f64 = is_f64(fn), softmax = is_softmax(fn), init = is_init(fn);
        const size_t nt = softmax ? P : E, width = f64 ? 8 : 4;
        void *xs = make_values(f64, x, E), *ts = softmax ? make_labels(is_i32(fn), y, P) : make_values(f64, t, E);
        void *ws = make_values(f64, w, softmax ? P : E);
        options o;
        args a;
        int layout;
        options_make(&o, 2.0);
        a.so = &o.s; a.xo = &o.x;
        a.hessian = FOCAL_HESSIAN_EXACT;
        a.b = B; a.c = C; a.in = I;
        a.x = init ? NULL : xs; a.t = ts; a.w = ws; a.layout = FOCAL_WEIGHTS_PER_ELEMENT;
        a.grad = init ? NULL : (void *)1; a.hess = init ? NULL : (void *)1; a.scores = init ? (void *)1 : NULL;
        /* The valid call succeeds (and is the base of every case below). */
        {
            args ok = a;
            void *g = fill_values(f64, E, SENT), *h = fill_values(f64, E, SENT), *sc = fill_values(f64, C, SENT);
            if (ok.grad) ok.grad = g;
            if (ok.hess) ok.hess = h;
            if (ok.scores) ok.scores = sc;
            CHECK(call(fn, &ok) == FOCAL_OK, "%s: the base call fails: %s", function_names[fn], focal_last_error_message());
            free(g); free(h); free(sc);
        }
        /* NULL inputs and outputs. */
        {
            args b = a;
            if (!init) { b.x = NULL; expect_failure(fn, &b, FOCAL_ERROR_NULL_POINTER, "logits", NULL, __LINE__); }
            b = a; b.t = NULL;
            expect_failure(fn, &b, FOCAL_ERROR_NULL_POINTER, "targets", NULL, __LINE__);
            b.w = NULL;
            expect_failure(fn, &b, FOCAL_ERROR_NULL_POINTER, "targets", NULL, __LINE__);
            if (init) { b = a; b.scores = NULL; expect_failure(fn, &b, FOCAL_ERROR_NULL_POINTER, "scores", NULL, __LINE__); }
        }
        /* Sizes: negative, zero classes (init scores and the softmax), overflowing. */
        {
            args b = a;
            b.b = -1; expect_failure(fn, &b, FOCAL_ERROR_INVALID_SHAPE, "batch", NULL, __LINE__);
            b = a; b.c = -3; expect_failure(fn, &b, FOCAL_ERROR_INVALID_SHAPE, "classes", NULL, __LINE__);
            b = a; b.in = -1; expect_failure(fn, &b, FOCAL_ERROR_INVALID_SHAPE, "inner", NULL, __LINE__);
            b = a; b.b = INT64_MIN; expect_failure(fn, &b, FOCAL_ERROR_INVALID_SHAPE, "batch", NULL, __LINE__);
            if (softmax || init) { b = a; b.c = 0; expect_failure(fn, &b, FOCAL_ERROR_INVALID_SHAPE, "classes", NULL, __LINE__); }
            b = a; b.b = INT64_C(1) << 40; b.c = INT64_C(1) << 20; b.in = INT64_C(1) << 8;
            expect_failure(fn, &b, FOCAL_ERROR_INVALID_SHAPE, "", NULL, __LINE__);
            b = a; b.b = INT64_C(1) << 61; b.c = 1; b.in = 1;
            expect_failure(fn, &b, FOCAL_ERROR_INVALID_SHAPE, "", NULL, __LINE__);
        }
        /* An unknown Hessian mode. */
        if (!init)
            for (k = 0; k < sizeof bad_hessians / sizeof bad_hessians[0]; ++k) {
                args b = a;
                b.hessian = bad_hessians[k];
                expect_failure(fn, &b, FOCAL_ERROR_INVALID_HESSIAN, "hessian", NULL, __LINE__);
                b.grad = NULL; b.hess = NULL;  /* even with nothing to write */
                expect_failure(fn, &b, FOCAL_ERROR_INVALID_HESSIAN, "hessian", NULL, __LINE__);
            }
        /* An unknown weights_layout (sigmoid), weights given or NULL. */
        if (!softmax)
            for (k = 0; k < sizeof bad_layouts / sizeof bad_layouts[0]; ++k) {
                args b = a;
                b.layout = bad_layouts[k];
                expect_failure(fn, &b, FOCAL_ERROR_INVALID_SHAPE, "weights_layout", NULL, __LINE__);
                b.w = NULL;
                expect_failure(fn, &b, FOCAL_ERROR_INVALID_SHAPE, "weights_layout", NULL, __LINE__);
            }
        /* alpha: the sigmoid's scalar, the softmax's per-class weights. */
        for (k = 0; k < sizeof bad_alphas / sizeof bad_alphas[0]; ++k) {
            options bo = o;
            args b = a;
            double class_weights[C] = {1, 1, 1, 1, 1};
            b.so = &bo.s; b.xo = &bo.x;
            if (softmax) {
                if (bad_alphas[k] >= 0 && bad_alphas[k] <= 1e300) continue;  /* 1.5 is a valid class weight */
                class_weights[2] = bad_alphas[k];
                bo.x.alpha = class_weights;
                expect_failure(fn, &b, FOCAL_ERROR_INVALID_ALPHA, "alpha[2]", NULL, __LINE__);
            } else {
                if (bad_alphas[k] == -2.0) bo.s.alpha = -1.0 - 1e-9; else bo.s.alpha = bad_alphas[k];
                expect_failure(fn, &b, FOCAL_ERROR_INVALID_ALPHA, "alpha", NULL, __LINE__);
            }
        }
        if (softmax) {
            /* 1.5 as a class weight, and alpha NULL: fine. Per-class weights over the outputs are
             * an overlap (below). */
            double class_weights[C] = {1.5, 0, 2, 1, 1};
            options bo = o;
            args b = a;
            void *g = fill_values(f64, E, SENT), *h = fill_values(f64, E, SENT), *sc = fill_values(f64, C, SENT);
            bo.x.alpha = class_weights;
            b.xo = &bo.x;
            if (b.grad) b.grad = g;
            if (b.hess) b.hess = h;
            if (b.scores) b.scores = sc;
            CHECK(call(fn, &b) == FOCAL_OK, "%s: class weights 1.5 and 0 refused: %s", function_names[fn], focal_last_error_message());
            free(g); free(h); free(sc);
        }
        /* gamma. */
        for (k = 0; k < sizeof bad_gammas / sizeof bad_gammas[0]; ++k) {
            options bo = o;
            args b = a;
            bo.s.gamma = bo.x.gamma = bad_gammas[k];
            b.so = &bo.s; b.xo = &bo.x;
            expect_failure(fn, &b, FOCAL_ERROR_INVALID_GAMMA, "gamma", NULL, __LINE__);
        }
        /* Targets (sigmoid, at index 7) and labels (softmax, at index 4). */
        if (!softmax)
            for (k = 0; k < sizeof bad_targets / sizeof bad_targets[0]; ++k) {
                double bt[E];
                void *tt;
                args b = a;
                memcpy(bt, t, sizeof bt);
                bt[7] = bad_targets[k];
                tt = make_values(f64, bt, E);
                b.t = tt;
                expect_failure(fn, &b, FOCAL_ERROR_TARGET_OUT_OF_RANGE, "targets[7]", NULL, __LINE__);
                free(tt);
            }
        else
            for (k = 0; k < sizeof bad_labels / sizeof bad_labels[0]; ++k) {
                int64_t by[P];
                void *tt;
                args b = a;
                memcpy(by, y, sizeof by);
                by[4] = bad_labels[k];
                tt = make_labels(is_i32(fn), by, P);
                b.t = tt;
                expect_failure(fn, &b, FOCAL_ERROR_TARGET_OUT_OF_RANGE, "targets[4]", NULL, __LINE__);
                free(tt);
            }
        /* Weights: negative, NaN, infinite at index 5, each layout; the first of two named. */
        for (layout = 0; layout < (softmax ? 1 : 2); ++layout) {
            size_t nw = softmax || layout ? P : E;
            for (k = 0; k < sizeof bad_weights / sizeof bad_weights[0]; ++k) {
                double bw[E];
                void *wt;
                args b = a;
                memcpy(bw, w, sizeof bw);
                bw[5] = bad_weights[k];
                wt = make_values(f64, bw, nw);
                b.w = wt; b.layout = layout;
                expect_failure(fn, &b, FOCAL_ERROR_INVALID_WEIGHT, "weights[5]", NULL, __LINE__);
                bw[3] = -2.0;
                free(wt);
                wt = make_values(f64, bw, nw);
                b.w = wt;
                expect_failure(fn, &b, FOCAL_ERROR_INVALID_WEIGHT, "weights[3]", NULL, __LINE__);
                free(wt);
            }
            /* -0.0 is a weight >= 0. */
            {
                double bw[E];
                void *wt, *g = fill_values(f64, E, SENT), *h = fill_values(f64, E, SENT), *sc = fill_values(f64, C, SENT);
                args b = a;
                memcpy(bw, w, sizeof bw);
                bw[4] = -0.0;
                wt = make_values(f64, bw, nw);
                b.w = wt; b.layout = layout;
                if (b.grad) b.grad = g;
                if (b.hess) b.hess = h;
                if (b.scores) b.scores = sc;
                CHECK(call(fn, &b) == FOCAL_OK, "%s: weight -0.0 refused: %s", function_names[fn], focal_last_error_message());
                free(wt); free(g); free(h); free(sc);
            }
        }
        /* label_smoothing (softmax): anything but 0, valid for the loss calls or not. */
        if (softmax) {
            static const double smoothings[] = {0.1, 1.0, 1e-300, -0.1, NAN};
            for (k = 0; k < sizeof smoothings / sizeof smoothings[0]; ++k) {
                options bo = o;
                args b = a;
                bo.x.label_smoothing = smoothings[k];
                b.xo = &bo.x;
                expect_failure(fn, &b, FOCAL_ERROR_INVALID_LABEL_SMOOTHING, "label_smoothing", NULL, __LINE__);
            }
        }
        /* The options' version, thread count and (grad_hess) precision. */
        {
            static const uint32_t versions[] = {0, 99, 5, 0xFFFFFFFFu};
            options bo = o;
            args b = a;
            b.so = &bo.s; b.xo = &bo.x;
            for (k = 0; k < 4; ++k) {
                bo = o;
                bo.s.version = bo.x.version = versions[k];
                if (softmax && versions[k] == 5) bo.x.version = 4;
                expect_failure(fn, &b, FOCAL_ERROR_INVALID_OPTIONS_VERSION, "version", NULL, __LINE__);
            }
            bo = o;
            bo.s.num_threads = bo.x.num_threads = -1;
            expect_failure(fn, &b, FOCAL_ERROR_INVALID_THREAD_COUNT, "num_threads", NULL, __LINE__);
            if (!init) {
                bo = o;
                bo.s.precision = bo.x.precision = (focal_precision)5;
                expect_failure(fn, &b, FOCAL_ERROR_INVALID_PRECISION, "precision", NULL, __LINE__);
            }
        }
        /* Overlaps: grad and hess one buffer (or partly); an output over logits, targets,
         * weights or (softmax) the class weights; inputs left as they were. */
        {
            unsigned char *arena = (unsigned char *)xmalloc(E * 8 * 8), *copy = (unsigned char *)xmalloc(E * 8 * 8);
            unsigned char *ax = arena, *at = arena + E * 8, *aw = arena + 2 * E * 8, *aout = arena + 3 * E * 8, *aalpha = arena + 6 * E * 8;
            int target;
            /* 0 grad = hess, 1 hess = grad + 1 element, 2 grad over logits, 3 hess over targets,
             * 4 grad over weights, 5 hess over the class weights (softmax), 6 hess ending inside
             * the logits, 7 scores over targets, 8 scores over weights, 9 scores over the class
             * weights (softmax). */
            for (target = 0; target < 10; ++target) {
                args b = a;
                options bo = o;
                size_t i;
                focal_status s;
                const char *name1 = NULL, *name2 = NULL;
                if (init != (target >= 7)) continue;
                if ((target == 5 || target == 9) && !softmax) continue;
                memset(arena, 0, E * 8 * 8);
                memcpy(ax, xs, E * width);
                memcpy(at, ts, nt * (softmax ? (is_i32(fn) ? 4 : 8) : width));
                memcpy(aw, ws, (softmax ? P : E) * width);
                for (i = 0; i < C; ++i) ((double *)(void *)aalpha)[i] = 1.0 + (double)i;
                for (i = 0; i < E * 3; ++i) set_value(f64, aout, i, SENT);
                bo.x.alpha = (const double *)(void *)aalpha;
                b.so = &bo.s; b.xo = &bo.x;
                b.x = init ? NULL : ax; b.t = at; b.w = aw;
                if (!init) { b.grad = aout; b.hess = aout + E * width; }
                else b.scores = aout;
                switch (target) {
                case 0: b.hess = b.grad; name1 = "grad"; name2 = "hess"; break;
                case 1: b.hess = (unsigned char *)b.grad + width; name1 = "grad"; name2 = "hess"; break;
                case 2: b.grad = ax; name1 = "grad"; name2 = "logits"; break;
                case 3: b.hess = at; name1 = "hess"; name2 = "targets"; break;
                case 4: b.grad = aw; name1 = "grad"; name2 = "weights"; break;
                case 5: b.hess = aalpha; name1 = "hess"; name2 = "alpha"; break;
                case 6:
                    /* Elements of the output area: grad [0, E), hess [E + 1, 2E + 1), logits
                     * [2E, 3E): hess's last element is logits[0]. */
                    b.grad = aout;
                    b.hess = aout + (E + 1) * width;
                    b.x = aout + 2 * E * width;
                    memcpy(aout + 2 * E * width, xs, E * width);
                    name1 = "hess"; name2 = "logits";
                    break;
                case 7: b.scores = at; name1 = "scores"; name2 = "targets"; break;
                case 8: b.scores = aw; name1 = "scores"; name2 = "weights"; break;
                default: b.scores = aalpha; name1 = "scores"; name2 = "alpha"; break;
                }
                memcpy(copy, arena, E * 8 * 8);
                s = call(fn, &b);
                CHECK(s == FOCAL_ERROR_OVERLAPPING_BUFFERS && strstr(focal_last_error_message(), name1) != NULL &&
                          strstr(focal_last_error_message(), name2) != NULL,
                      "%s overlap case %d (%s over %s): status %d, \"%s\"", function_names[fn], target, name1, name2, (int)s,
                      focal_last_error_message());
                CHECK(memcmp(copy, arena, E * 8 * 8) == 0, "%s overlap case %d: memory written on error", function_names[fn], target);
            }
            free(arena); free(copy);
        }
        free(xs); free(ts); free(ws);
    }
    CHECK(strstr(focal_status_string(FOCAL_ERROR_INVALID_HESSIAN), "INVALID_HESSIAN") != NULL, "%s",
          focal_status_string(FOCAL_ERROR_INVALID_HESSIAN));
}

/* ------------------------------------------------------------------ threads */

/* 131,072 elements (8 chunks of 16,384; the softmax's positions likewise): grad and hess
 * bitwise identical for num_threads 1, 2 and 0, every mode, weights given; the sigmoid's init
 * scores (soft targets: its parallel sums) likewise. */
#define BIG 131072
static void test_threads(void) {
    static double x[BIG], t[BIG];
    static int64_t y[BIG];
    static const int64_t configs[][4] = {
        /* sigmoid (0) or softmax (1), batch, classes, inner */
        {0, 1024, 16, 8}, {0, BIG, 1, 1}, {1, 16384, 8, 1}, {1, 64, 8, 256},
    };
    static const int threads[] = {2, 0};
    size_t ci, i;
    int f64, tier, mode, th, layout;
    for (i = 0; i < BIG; ++i) {
        x[i] = uniform(-1, 1) * (uniform(0, 1) < 0.2 ? 20 : 4);
        t[i] = i % 40 == 0 ? 1.0 : (i / 4096) % 5 == 3 ? dyadic(1.0) : 0.0;
    }
    for (ci = 0; ci < sizeof configs / sizeof configs[0]; ++ci) {
        int softmax = (int)configs[ci][0];
        int64_t b = configs[ci][1], c = configs[ci][2], in = configs[ci][3];
        size_t positions = (size_t)(b * in);
        for (i = 0; i < positions; ++i) y[i] = i % 10 == 7 ? -100 : (int64_t)uniform(0, (double)c);
        for (f64 = 0; f64 < 2; ++f64)
            for (tier = 0; tier < 2 - f64; ++tier)
                for (layout = 0; layout < (softmax ? 1 : 2); ++layout) {
                    int fn = softmax ? (f64 ? SMX_GH_F64_I32 : SMX_GH_F32_I64) : (f64 ? SIG_GH_F64 : SIG_GH_F32);
                    problem p;
                    void *w;
                    if (light && (tier == 1 || layout == 1 || f64 != (int)(ci % 2))) continue;
                    problem_make(&p, fn, b, c, in, x, t, y);
                    w = make_weights(&p, layout);
                    for (mode = 0; mode < 3; ++mode) {
                        options o;
                        void *g1 = fill_values(f64, p.elements, SENT), *h1 = fill_values(f64, p.elements, SENT);
                        void *g2 = fill_values(f64, p.elements, SENT), *h2 = fill_values(f64, p.elements, SENT);
                        args a;
                        if (light && mode != 0) { free(g1); free(h1); free(g2); free(h2); continue; }
                        options_make(&o, 2.0);
                        o.s.precision = o.x.precision = (focal_precision)tier;
                        a = problem_args(&p, &o, mode, w, layout, g1, h1);
                        CHECK(call(fn, &a) == FOCAL_OK, "%s: %s", function_names[fn], focal_last_error_message());
                        for (th = 0; th < 2; ++th) {
                            size_t dg, dh;
                            o.s.num_threads = o.x.num_threads = threads[th];
                            a.grad = g2; a.hess = h2;
                            CHECK(call(fn, &a) == FOCAL_OK, "%s: %s", function_names[fn], focal_last_error_message());
                            dg = first_difference(f64, g1, g2, p.elements);
                            dh = first_difference(f64, h1, h2, p.elements);
                            CHECK(dg == p.elements && dh == p.elements,
                                  "%s (%lld, %lld, %lld) layout %d tier %d %s: num_threads 1 and %d differ: grad[%zu], hess[%zu]",
                                  function_names[fn], (long long)b, (long long)c, (long long)in, layout, tier, hessian_name(mode),
                                  threads[th], dg, dh);
                        }
                        free(g1); free(h1); free(g2); free(h2);
                    }
                    free(w);
                    problem_free(&p);
                }
    }
    /* The sigmoid init scores: 131,072 targets (soft among them), 4 classes, weights. */
    for (f64 = 0; f64 < 2; ++f64) {
        static double wbig[BIG];
        options o;
        double s1[4], s2[4];
        for (i = 0; i < BIG; ++i) wbig[i] = dyadic(2.0);
        options_make(&o, 2.0);
        CHECK(sigmoid_init(f64, &o, BIG / 4, 4, 1, t, wbig, 0, s1) == FOCAL_OK, "%s", focal_last_error_message());
        for (th = 0; th < 2; ++th) {
            o.s.num_threads = threads[th];
            CHECK(sigmoid_init(f64, &o, BIG / 4, 4, 1, t, wbig, 0, s2) == FOCAL_OK, "%s", focal_last_error_message());
            CHECK(memcmp(s1, s2, sizeof s1) == 0, "sigmoid init %s: num_threads 1 and %d differ: %.17g vs %.17g", f64 ? "f64" : "f32", threads[th], s1[0], s2[0]);
        }
    }
}

int main(int argc, char **argv) {
    light = argc > 1 && strcmp(argv[1], "--light") == 0;
    test_constants();
    test_references();
    test_gradient_identity();
    test_hessian_values();
    test_sigmoid_hard_targets();
    test_zero_weights_and_rows();
    test_null_outputs_and_empty();
    test_options_fields();
    test_sigmoid_init_scores();
    test_softmax_init_scores();
    test_errors();
    test_threads();
    if (failures == 0) printf("test_grad_hess: %d checks passed\n", checks);
    else printf("test_grad_hess: %d checks, %d FAILED\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
