/*
 * test_family.c: the focal family of include/focalloss.h (FL*, the asymmetric, quality focal and
 * varifocal losses) and Poly-1 (poly1_epsilon of the sigmoid and softmax options) called across
 * the C ABI, checked against this header alone.
 *
 * Compiled as C99 and as C++11 with -Wall -Wextra -pedantic -Werror (see the Makefile). Every
 * family function (and focal_sigmoid_weighted_*, which carries Poly-1) goes through one
 * dispatcher, so that each check runs on each loss and dtype:
 *  - references written here in long double from the definitions (each derivation next to its
 *    code, each derivative checked by central differences), on a grid of logits (-50..50, the
 *    saturated +-100, +-700, +-1e4) x targets {0, 1, 0.3, 0.75} x several parameter sets per loss:
 *    float64 within 1e-10 relative, float32 within 4e-7 relative (computed in double, rounded
 *    once), each plus 8 double epsilons of the terms that cancel where a value crosses 0 (the
 *    soft-target gradients, Poly-1 with a negative epsilon) and a floor for underflowed values;
 *    Poly-1 on the softmax against its own reference (class weights on the focal term only);
 *  - limits: +-inf logits give the reference's limit (0, +inf or a finite value) and a finite
 *    gradient; a NaN logit is NaN for its element only; a weight of 0 gives 0 even there;
 *  - reductions (NONE, SUM, MEAN, the normalizer), the upstream gradient (an array for NONE,
 *    a scalar otherwise, NULL = ones), accumulate_grad, weights per element and per position
 *    (per position = expanded per element, bit for bit), stats, empty inputs, NULL options =
 *    the defaults, FOCAL_PRECISION_FAST = the exact tier bit for bit;
 *  - every error: the documented status, a message naming the argument, nothing written
 *    (sentinels in every output and in the stats); Poly-1's range, its refusal with label
 *    smoothing and by the _grad_hess and _init_score functions; focal_status_string(15);
 *  - the options: every _init and version, the INIT macros, a version 3 sigmoid struct and a
 *    version 2 softmax struct (exactly their own size on the heap) computing the plain focal
 *    loss; poly1_epsilon = 0 bit for bit the plain focal loss (sigmoid, labels, weighted,
 *    softmax; both tiers);
 *  - determinism: num_threads 1, 2, 3 and 0 bitwise identical on 131,072 elements; the f16
 *    and bf16 functions equal to the f64 function on the widened inputs rounded once to the
 *    16-bit type (either neighbour where that value is within 2 float32 ulps of a tie).
 * `test_family_c --light` (the valgrind run): every function, check and error still runs, over
 * fewer large calls.
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

static int light = 0;


#define SENT (-31337.0)
/* The smallest float32 subnormal (FLT_TRUE_MIN is C11). */
#define F32_TRUE_MIN 1.4012984643248171e-45

typedef long double ld;

/* ------------------------------------------------------------------ references */

/* log sigma(x), with exp never overflowing (valgrind runs long double at double precision). */
static ld log_sigmoid(ld x) { return x < 0 ? x - log1pl(expl(x)) : -log1pl(expl(-x)); }

/* m^e for m >= 0, with m^0 = 1 (0^0 included) and 0^e = 0 for e > 0. */
static ld power(ld m, ld e) { return e == 0 ? 1.0L : m == 0 ? 0.0L : powl(m, e); }

/* One element's loss and derivative in x, and the sizes of the terms each is a sum of: a
 * correct double evaluation may be off by a few epsilons of those where they cancel. */
typedef struct { ld loss, grad, lscale, gscale; } ref_t;

static ref_t ref_make(ld loss, ld grad, ld lscale, ld gscale) {
    ref_t r;
    r.loss = loss; r.grad = grad; r.lscale = lscale; r.gscale = gscale;
    return r;
}

/* FL*: x_t = (2t - 1) x, z = gamma x_t + beta,
 *     loss = alpha_t softplus(-z) / gamma = -alpha_t log sigma(z) / gamma
 *     d loss / dx = -alpha_t sigma(-z) (dz/dx) / gamma = -alpha_t (2t - 1) sigma(-z)
 * (x_t = 0 when t = 1/2, whatever x: the limit at infinite x). */
static ref_t ref_star(ld x, ld t, double alpha, double gamma, double beta) {
    ld sign = 2 * t - 1, xt = sign == 0 ? 0.0L : sign * x, z = (ld)gamma * xt + beta;
    ld at = alpha == -1 ? 1.0L : alpha * t + (1 - alpha) * (1 - t);
    ld loss = -at * log_sigmoid(z) / gamma, grad = -at * sign * expl(log_sigmoid(-z));
    return ref_make(loss, grad, fabsl(loss), fabsl(grad));
}

/* ASL with the probability margin m: s = sigma(x), q = 1 - s = sigma(-x),
 *     p_m = max(s - m, 0),  u = t q + (1 - t) p_m,  g = gamma_pos t + gamma_neg (1 - t)
 *     A = t log s + (1 - t) log(1 - p_m),  1 - p_m = q + m where s > m (1 elsewhere)
 *     loss = -u^g A
 *     du/dx = -t s q + (1 - t) [s > m] s q,   dA/dx = t q - (1 - t) [s > m] s q / (q + m)
 *     d loss / dx = -[g u^(g-1) du A + u^g dA]
 * (at m = 0, s q / (q + m) = s, kept apart so that q = 0 stays finite). The two parts of du
 * and dA cancel for a soft target: the scale sums their magnitudes. */
static ref_t ref_asym(ld x, ld t, double gp, double gn, double m) {
    ld ls = log_sigmoid(x), lq = log_sigmoid(-x), s = expl(ls), q = expl(lq);
    int above = s > m;
    ld pm = above ? s - m : 0.0L;
    ld log1m = !above ? 0.0L : m == 0 ? lq : logl(q + m);
    ld u = t * q + (1 - t) * pm, a = t * ls + (1 - t) * log1m, g = gp * t + gn * (1 - t);
    ld ug = power(u, g), ratio = !above ? 0.0L : m == 0 ? s : s * q / (q + m);
    ld du = -t * s * q + (1 - t) * (above ? s * q : 0.0L), da = t * q - (1 - t) * ratio;
    ld lead = g == 0 || u == 0 ? 0.0L : g * power(u, g - 1);
    ld loss = -ug * a, grad = -(lead * du * a + ug * da);
    ld du_scale = t * s * q + (1 - t) * (above ? s * q : 0.0L), da_scale = t * q + (1 - t) * ratio;
    return ref_make(loss, grad, fabsl(loss), lead * du_scale * fabsl(a) + ug * da_scale);
}

/* QFL: d = s - y = s (1 - y) - y q (no cancellation at y = 0 or 1), BCE = -(y log s + (1 - y) log q),
 *     loss = |d|^beta BCE
 *     d|d|^beta/dx = beta |d|^(beta-1) sgn(d) s q,  dBCE/dx = s - y = d
 *     d loss / dx = |d|^beta d + beta |d|^(beta-1) sgn(d) s q BCE  (0 where d = 0) */
static ref_t ref_quality(ld x, ld y, double beta) {
    ld ls = log_sigmoid(x), lq = log_sigmoid(-x), s = expl(ls), q = expl(lq);
    ld d = s * (1 - y) - y * q, ad = fabsl(d), bce = -(y * ls + (1 - y) * lq);
    ld loss = power(ad, beta) * bce, grad = 0;
    if (d != 0) grad = power(ad, beta) * d + (beta == 0 ? 0.0L : beta * power(ad, beta - 1) * (d > 0 ? 1 : -1) * s * q * bce);
    return ref_make(loss, grad, fabsl(loss), fabsl(grad));
}

/* VFL: q > 0: loss = w BCE(x, q), w = q (iou_weighted) or 1, d/dx = w (s - q) = w (s (1 - q) - q sigma(-x));
 *      q = 0: loss = alpha s^gamma softplus(x),  softplus(x) = -log sigma(-x),
 *             d/dx = alpha [gamma s^gamma (1 - s) softplus(x) + s^gamma s] */
static ref_t ref_varifocal(ld x, ld target, double alpha, double gamma, int iou_weighted) {
    ld ls = log_sigmoid(x), lq = log_sigmoid(-x), s = expl(ls), q = expl(lq);
    if (target > 0) {
        ld w = iou_weighted ? target : 1.0L, bce = -(target * ls + (1 - target) * lq);
        return ref_make(w * bce, w * (s * (1 - target) - target * q), w * bce, w * (s * (1 - target) + target * q));
    }
    {
        ld sg = gamma == 0 ? 1.0L : expl(gamma * ls), sp = -lq;
        ld loss = alpha * sg * sp, grad = alpha * sg * (s + gamma * q * sp);
        return ref_make(loss, grad, loss, grad);
    }
}

/* The sigmoid focal loss with Poly-1: m = 1 - p_t = s (1 - t) + q t, BCE as above,
 *     loss = alpha_t BCE m^gamma + eps m^(gamma+1)
 *     dBCE/dx = s (1 - t) - t q,  dm/dx = s q (1 - 2t)
 *     d loss / dx = alpha_t [dBCE m^gamma + BCE gamma m^(gamma-1) dm] + eps (gamma + 1) m^gamma dm
 * (the m^(gamma-1) term is 0 where m = 0: only where m underflowed). */
static ref_t ref_poly(ld x, ld t, double alpha, double gamma, double eps) {
    ld ls = log_sigmoid(x), lq = log_sigmoid(-x), s = expl(ls), q = expl(lq);
    ld bce = -(t * ls + (1 - t) * lq), m = s * (1 - t) + q * t, dm = s * q * (1 - 2 * t);
    ld at = alpha == -1 ? 1.0L : alpha * t + (1 - alpha) * (1 - t);
    ld f = power(m, gamma), df = gamma == 0 || m == 0 ? 0.0L : gamma * power(m, gamma - 1) * dm;
    ld focal = at * bce * f, poly = eps * power(m, gamma + 1);
    ld gfocal = at * ((s * (1 - t) - t * q) * f + bce * df), gpoly = eps * (gamma + 1) * f * dm;
    return ref_make(focal + poly, gfocal + gpoly, fabsl(focal) + fabsl(poly),
                    at * ((s * (1 - t) + t * q) * f + fabsl(bce * df)) + fabsl(gpoly));
}

/* The parameters of one loss: STAR (alpha, gamma, beta), ASYM (gamma_pos, gamma_neg, margin),
 * QUALITY (beta), VARIFOCAL (alpha, gamma, iou_weighted in flag), POLY (alpha, gamma, epsilon). */
typedef struct { double a, b, c; int flag; } params;

enum { STAR, ASYM, QUALITY, VARIFOCAL, POLY, LOSSES };
static const char *const loss_names[LOSSES] = {"focal_sigmoid_star", "focal_asymmetric", "focal_quality", "focal_varifocal",
                                               "focal_sigmoid_weighted (poly1)"};

static ref_t reference(int loss, const params *p, ld x, ld t) {
    switch (loss) {
    case STAR: return ref_star(x, t, p->a, p->b, p->c);
    case ASYM: return ref_asym(x, t, p->a, p->b, p->c);
    case QUALITY: return ref_quality(x, t, p->a);
    case VARIFOCAL: return ref_varifocal(x, t, p->a, p->b, p->flag);
    default: return ref_poly(x, t, p->a, p->b, p->c);
    }
}

/* The softmax focal loss of one position with Poly-1 (no label smoothing), class weights a_c
 * (NULL: 1) on the focal term only. With u = log p_y, m = 1 - p_y = sum_{c != y} p_c, a = a_y:
 *     loss = a m^gamma (-u) + eps m^(gamma+1)
 *     dm/du = -p_y,  du/dz_j = [j = y] - p_j
 *     d loss / du = K = a (gamma p_y m^(gamma-1) u - m^gamma) - eps (gamma + 1) p_y m^gamma
 *     d loss / dz_j = ([j = y] - p_j) K,  [j = y] - p_y = m
 * (the m^(gamma-1) term only where m > 0). */
#define MAX_CLASSES 8
static void ref_poly_softmax(const ld *x, int classes, int y, const double *alpha, double gamma, double eps, ld *loss, ld *lscale,
                             ld *grad, ld *gscale) {
    ld top = x[0], s = 0, logz, logp[MAX_CLASSES] = {0}, p[MAX_CLASSES] = {0}, u, m, a, g = gamma, k, kscale, lead;
    int c, arg = 0;
    for (c = 1; c < classes; ++c) if (x[c] > top) { top = x[c]; arg = c; }
    for (c = 0; c < classes; ++c) if (c != arg) s += expl(x[c] - top);
    logz = log1pl(s);
    for (c = 0; c < classes; ++c) { logp[c] = x[c] - top - logz; p[c] = expl(logp[c]); }
    u = logp[y];
    m = 0;
    for (c = 0; c < classes; ++c) if (c != y) m += p[c];
    a = alpha ? alpha[y] : 1.0;
    *loss = a * power(m, g) * (-u) + eps * power(m, g + 1);
    *lscale = a * power(m, g) * (-u) + fabsl(eps * power(m, g + 1));
    lead = gamma == 0 || m == 0 ? 0.0L : g * p[y] * power(m, g - 1) * u;
    k = a * (lead - power(m, g)) - eps * (g + 1) * p[y] * power(m, g);
    kscale = a * (fabsl(lead) + power(m, g)) + fabsl(eps) * (g + 1) * p[y] * power(m, g);
    for (c = 0; c < classes; ++c) {
        ld du = c == y ? m : -p[c];
        grad[c] = du * k;
        gscale[c] = fabsl(du) * kscale;
    }
}

/* ------------------------------------------------------------------ helpers */

static unsigned long long rng_state = 88172645463325252ULL;
static double uniform(double lo, double hi) {
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return lo + (hi - lo) * (double)(rng_state >> 11) / 9007199254740992.0;
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}

/* ---- storage types; the 16-bit formats independently of the library ---- */

enum { F32, F64, F16, BF16, DTYPES };
static const char *const dtype_names[DTYPES] = {"f32", "f64", "f16", "bf16"};
static size_t width_of(int dt) { return dt == F64 ? 8 : dt == F32 ? 4 : 2; }

static double half_value_computed(int dt, uint16_t bits) {
    if (dt == BF16) {
        uint32_t u = (uint32_t)bits << 16;
        float f;
        memcpy(&f, &u, sizeof f);
        return f;
    }
    {
        int sign = bits >> 15, exponent = (bits >> 10) & 0x1F, fraction = bits & 0x3FF;
        double v = exponent == 0 ? ldexp(fraction, -24)
                 : exponent == 31 ? (fraction ? NAN : INFINITY)
                 : ldexp(fraction + 1024, exponent - 25);
        return sign ? -v : v;
    }
}

/* The value of every pattern, computed once (the bisection below reads it often). */
static double half_value(int dt, uint16_t bits) {
    static double *table[2];
    const int k = dt == BF16;
    if (table[k] == NULL) {
        size_t i;
        table[k] = (double *)malloc(0x10000 * sizeof(double));
        if (table[k] == NULL) { fprintf(stderr, "out of memory\n"); exit(2); }
        for (i = 0; i < 0x10000; ++i) table[k][i] = half_value_computed(dt, (uint16_t)i);
    }
    return table[k][bits];
}

/* The 16-bit pattern nearest to v (ties to even), by bisection over the ordered patterns. */
static uint16_t half_bits(int dt, double v) {
    uint16_t sign = v < 0 || (v == 0 && signbit(v)) ? 0x8000 : 0;
    double a = fabs(v);
    uint16_t lo = 0, hi = dt == F16 ? 0x7C00 : 0x7F80;
    if (a != a) return (uint16_t)(dt == F16 ? 0x7E00 : 0x7FC0);
    while (hi - lo > 1) {
        uint16_t mid = (uint16_t)((lo + hi) / 2);
        if (half_value(dt, mid) <= a) lo = mid; else hi = mid;
    }
    if (a >= half_value(dt, hi)) return (uint16_t)(sign | hi);
    {
        double below = half_value(dt, lo), above = half_value(dt, hi);
        double top = isinf(above) ? 2 * half_value(dt, (uint16_t)(hi - 1)) - half_value(dt, (uint16_t)(hi - 2)) : above;
        uint16_t pick = a - below < top - a ? lo : a - below > top - a ? hi : (lo & 1 ? hi : lo);
        return (uint16_t)(sign | pick);
    }
}

static double load(int dt, const void *p, size_t i) {
    switch (dt) {
    case F32: return ((const float *)p)[i];
    case F64: return ((const double *)p)[i];
    default: return half_value(dt, ((const uint16_t *)p)[i]);
    }
}
static void store(int dt, void *p, size_t i, double v) {
    switch (dt) {
    case F32: ((float *)p)[i] = (float)v; break;
    case F64: ((double *)p)[i] = v; break;
    default: ((uint16_t *)p)[i] = half_bits(dt, v); break;
    }
}
static void *make_array(int dt, const double *v, size_t n) {
    void *p = xmalloc(n * width_of(dt));
    size_t i;
    for (i = 0; i < n; ++i) store(dt, p, i, v[i]);
    return p;
}
static void *fill_array(int dt, size_t n, double v) {
    const size_t w = width_of(dt);
    unsigned char *p = (unsigned char *)xmalloc(n * w), one[8];
    size_t i;
    store(dt, one, 0, v);
    for (i = 0; i < n; ++i) memcpy(p + i * w, one, w);
    return p;
}
/* The stored values, widened to double (NULL stays NULL). */
static double *widen(int dt, const void *p, size_t n) {
    double *d;
    size_t i;
    if (p == NULL) return NULL;
    d = (double *)xmalloc(n * sizeof(double));
    for (i = 0; i < n; ++i) d[i] = load(dt, p, i);
    return d;
}
/* Bit for bit (a NaN equal to any NaN): the first index that differs, or n. */
static size_t first_difference(int dt, const void *a, const void *b, size_t n) {
    size_t i, w = width_of(dt);
    for (i = 0; i < n; ++i) {
        if (memcmp((const char *)a + i * w, (const char *)b + i * w, w) != 0 && !(isnan(load(dt, a, i)) && isnan(load(dt, b, i))))
            return i;
    }
    return n;
}
/* Every one of n values the sentinel as the type stores it. */
static int all_sentinel(int dt, const void *p, size_t n) {
    unsigned char sent[8];
    size_t i, w = width_of(dt);
    store(dt, sent, 0, SENT);
    for (i = 0; i < n; ++i) if (memcmp((const char *)p + i * w, sent, w) != 0) return 0;
    return 1;
}

/* ---- tolerances ---- */

/* The worst errors against the references: float64 relative, float32 in relative units, per
 * loss. */
static double worst_f64[LOSSES + 1], worst_f32[LOSSES + 1];

/* got against the reference want: float64 within 1e-10 relative, float32 within 4e-7 relative,
 * each plus a floor for underflowed values and, where terms cancel (`scale`, the sum of their
 * magnitudes, exceeds |want|), an error bounded by those terms as docs/accuracy.md states it:
 * 8 double epsilons of them (float64), 1e-7 of their excess over |want| (float32). An infinite
 * or NaN want must be met exactly. */
static int near(int dt, int slot, double got, ld want, ld scale) {
    ld err, rel = dt == F64 ? 1e-10L : 4e-7L, floor_ = dt == F64 ? 1e-300L : 2 * F32_TRUE_MIN;
    ld excess = scale > fabsl(want) ? scale - fabsl(want) : 0.0L;
    ld allowance = 8 * (ld)DBL_EPSILON * scale + (dt == F64 ? 0.0L : 1e-7L * excess) + floor_;
    if (isnan((double)want) || isnan(got)) return isnan((double)want) && isnan(got);
    if (isinf((double)want) || isinf(got)) return got == (double)want;
    err = fabsl((ld)got - want);
    if (want != 0 && err > allowance) {
        double r = (double)(err / fabsl(want));
        if (dt == F64 && r > worst_f64[slot]) worst_f64[slot] = r;
        if (dt == F32 && r > worst_f32[slot]) worst_f32[slot] = r;
    }
    return err <= rel * fabsl(want) + allowance;
}

/* A 16-bit result against v, the f64 function's value on the same (widened) inputs: the
 * rounding of v, or of a value within 2 float32 ulps of it (then it may be the neighbour). */
static int half_matches(int dt, uint16_t got, double v) {
    double spread;
    if (isnan(v)) return isnan(half_value(dt, got));
    if (isnan(half_value(dt, got))) return 0;
    if (isinf(v)) return half_value(dt, got) == v;
    spread = 2 * fmax((double)nextafterf((float)fabs(v), INFINITY) - fabs((double)(float)fabs(v)), F32_TRUE_MIN);
    if (got == half_bits(dt, v)) return 1;
    return got == half_bits(dt, v - spread) || got == half_bits(dt, v + spread);
}

/* ------------------------------------------------------------------ the dispatcher */

/* Every loss's options; a call takes its loss's (the sigmoid's for POLY). */
typedef struct {
    focal_sigmoid_star_options star;
    focal_asymmetric_options asym;
    focal_quality_options quality;
    focal_varifocal_options vari;
    focal_sigmoid_options sig;
} fam_options;

static void opts_reduction(fam_options *o, focal_reduction r) {
    o->star.reduction = r; o->asym.reduction = r; o->quality.reduction = r; o->vari.reduction = r; o->sig.reduction = r;
}
static void opts_threads(fam_options *o, int32_t n) {
    o->star.num_threads = n; o->asym.num_threads = n; o->quality.num_threads = n; o->vari.num_threads = n; o->sig.num_threads = n;
}
static void opts_normalizer(fam_options *o, int32_t use, double v) {
    o->star.use_normalizer = use; o->asym.use_normalizer = use; o->quality.use_normalizer = use; o->vari.use_normalizer = use;
    o->sig.use_normalizer = use;
    o->star.normalizer = v; o->asym.normalizer = v; o->quality.normalizer = v; o->vari.normalizer = v; o->sig.normalizer = v;
}
static void opts_accumulate(fam_options *o, int32_t on) {
    o->star.accumulate_grad = on; o->asym.accumulate_grad = on; o->quality.accumulate_grad = on; o->vari.accumulate_grad = on;
    o->sig.accumulate_grad = on;
}
static void opts_precision(fam_options *o, focal_precision p) {
    o->star.precision = p; o->asym.precision = p; o->quality.precision = p; o->vari.precision = p; o->sig.precision = p;
}
static void opts_version(fam_options *o, uint32_t v) {
    o->star.version = v; o->asym.version = v; o->quality.version = v; o->vari.version = v; o->sig.version = v;
}
/* The loss's parameters. */
static void opts_params(fam_options *o, int loss, const params *p) {
    switch (loss) {
    case STAR: o->star.alpha = p->a; o->star.gamma = p->b; o->star.beta = p->c; break;
    case ASYM: o->asym.gamma_pos = p->a; o->asym.gamma_neg = p->b; o->asym.margin = p->c; break;
    case QUALITY: o->quality.beta = p->a; break;
    case VARIFOCAL: o->vari.alpha = p->a; o->vari.gamma = p->b; o->vari.iou_weighted = p->flag; break;
    default: o->sig.alpha = p->a; o->sig.gamma = p->b; o->sig.poly1_epsilon = p->c; break;
    }
}
/* Defaults (every _init), reduction r, one thread, the loss's parameters. */
static void opts_make(fam_options *o, int loss, const params *p, focal_reduction r) {
    focal_sigmoid_star_options_init(&o->star, FOCAL_SIGMOID_STAR_OPTIONS_VERSION);
    focal_asymmetric_options_init(&o->asym, FOCAL_ASYMMETRIC_OPTIONS_VERSION);
    focal_quality_options_init(&o->quality, FOCAL_QUALITY_OPTIONS_VERSION);
    focal_varifocal_options_init(&o->vari, FOCAL_VARIFOCAL_OPTIONS_VERSION);
    focal_sigmoid_options_init(&o->sig, FOCAL_SIGMOID_OPTIONS_VERSION);
    opts_reduction(o, r);
    opts_threads(o, 1);
    if (p != NULL) opts_params(o, loss, p);
}

#define FAMILY_CALL(NAME, OPTIONS)                                                                                             \
    switch (dt) {                                                                                                              \
    case F32:                                                                                                                  \
        return focal_##NAME##_f32(OPTIONS, b, c, in, (const float *)x, (const float *)t, (const float *)w, wl,                \
                                  (const float *)up, (float *)l, (float *)g, st);                                              \
    case F64:                                                                                                                  \
        return focal_##NAME##_f64(OPTIONS, b, c, in, (const double *)x, (const double *)t, (const double *)w, wl,            \
                                  (const double *)up, (double *)l, (double *)g, st);                                           \
    case F16:                                                                                                                  \
        return focal_##NAME##_f16(OPTIONS, b, c, in, (const focal_f16 *)x, (const focal_f16 *)t, (const focal_f16 *)w, wl,   \
                                  (const focal_f16 *)up, (focal_f16 *)l, (focal_f16 *)g, st);                                  \
    default:                                                                                                                   \
        return focal_##NAME##_bf16(OPTIONS, b, c, in, (const focal_bf16 *)x, (const focal_bf16 *)t, (const focal_bf16 *)w,   \
                                   wl, (const focal_bf16 *)up, (focal_bf16 *)l, (focal_bf16 *)g, st);                          \
    }

/* The function of `loss` in storage `dt`; o NULL passes NULL options. */
static focal_status call(int loss, int dt, const fam_options *o, int64_t b, int64_t c, int64_t in, const void *x, const void *t,
                         const void *w, int layout, const void *up, void *l, void *g, focal_stats *st) {
    focal_weights_layout wl = (focal_weights_layout)layout;
    if (loss == STAR) { FAMILY_CALL(sigmoid_star, o ? &o->star : NULL) }
    if (loss == ASYM) { FAMILY_CALL(asymmetric, o ? &o->asym : NULL) }
    if (loss == QUALITY) { FAMILY_CALL(quality, o ? &o->quality : NULL) }
    if (loss == VARIFOCAL) { FAMILY_CALL(varifocal, o ? &o->vari : NULL) }
    FAMILY_CALL(sigmoid_weighted, o ? &o->sig : NULL)
}

/* The parameter sets of each loss: gamma < 1, gamma = 0 where allowed, margins 0, 0.05, 0.3 and
 * 1, beta 0, 0.5, 1, 2, Poly-1's epsilon at its bound -1 / (gamma + 1), negative and positive. */
static const params star_sets[] = {
    {-1, 1, 0, 0}, {0.25, 2, 1, 0}, {-1, 0.5, -1, 0}, {0.75, 3, 0.5, 0}, {0, 1.5, 2, 0}, {1, 0.25, -3, 0},
};
static const params asym_sets[] = {
    {1, 4, 0.05, 0}, {0, 0, 0, 0}, {0.5, 0.3, 0, 0}, {2, 2, 0, 0}, {0, 4, 0.3, 0}, {1, 0, 0.05, 0}, {3, 0.5, 0.3, 0}, {1, 2, 1, 0},
    {0.25, 0, 0.3, 0},
};
static const params quality_sets[] = {{0, 0, 0, 0}, {0.5, 0, 0, 0}, {1, 0, 0, 0}, {2, 0, 0, 0}, {3.3, 0, 0, 0}};
static const params vari_sets[] = {
    {0.75, 2, 0, 1}, {0.75, 2, 0, 0}, {1, 0, 0, 1}, {0.5, 0.5, 0, 0}, {2.5, 3, 0, 1}, {0, 1, 0, 1},
};
static const params poly_sets[] = {
    {0.25, 2, 1, 0}, {0.25, 2, -1.0 / 3.0, 0}, {-1, 0, -1, 0}, {-1, 0.5, -1.0 / 1.5, 0}, {0.5, 1, 2.5, 0}, {0.25, 0.3, 0.4, 0},
    {0.25, 2, -0.2, 0}, {0.25, 2, 0, 0}, {0.75, 0, 0.5, 0},
};
static const params *const param_sets[LOSSES] = {star_sets, asym_sets, quality_sets, vari_sets, poly_sets};
static const size_t param_counts[LOSSES] = {
    sizeof star_sets / sizeof star_sets[0], sizeof asym_sets / sizeof asym_sets[0], sizeof quality_sets / sizeof quality_sets[0],
    sizeof vari_sets / sizeof vari_sets[0], sizeof poly_sets / sizeof poly_sets[0],
};

static void params_text(int loss, const params *p, char *out, size_t n) {
    switch (loss) {
    case STAR: snprintf(out, n, "alpha %g gamma %g beta %g", p->a, p->b, p->c); break;
    case ASYM: snprintf(out, n, "gamma_pos %g gamma_neg %g margin %g", p->a, p->b, p->c); break;
    case QUALITY: snprintf(out, n, "beta %g", p->a); break;
    case VARIFOCAL: snprintf(out, n, "alpha %g gamma %g iou_weighted %d", p->a, p->b, p->flag); break;
    default: snprintf(out, n, "alpha %g gamma %g poly1_epsilon %.17g", p->a, p->b, p->c); break;
    }
}

/* Whether the derivative at (x, t) is near a point where it does not exist or is unbounded:
 * QFL's cusp s = y, ASL's threshold s = m for a target below 1 (within 1e-3 in x). */
static int near_kink(int loss, const params *p, double x, double t) {
    if (loss == QUALITY && t > 0 && t < 1) return fabs(x - log(t / (1 - t))) < 1e-3;
    if (loss == ASYM && t < 1 && p->c > 0 && p->c < 1) return fabs(x - log(p->c / (1 - p->c))) < 1e-3;
    return 0;
}

static const double grid_targets[] = {0.0, 1.0, 0.3, 0.75};
#define TARGETS 4

/* ------------------------------------------------------------------ status, references */

static void test_status_and_references(void) {
    static const double xs[] = {-7.3, -3.1, -1.2, -0.4, 0.3, 0.9, 2.2, 4.7, 8.1};
    const char *text = focal_status_string(FOCAL_ERROR_INVALID_PARAMETER);
    int s, loss;
    size_t k, i, j;
    CHECK((int)FOCAL_ERROR_INVALID_PARAMETER == 15, "FOCAL_ERROR_INVALID_PARAMETER = %d", (int)FOCAL_ERROR_INVALID_PARAMETER);
    CHECK(text != NULL && strncmp(text, "FOCAL_ERROR_INVALID_PARAMETER", 29) == 0 && strlen(text) > 32, "status 15: \"%s\"",
          text ? text : "(null)");
    for (s = 0; s <= 15; ++s) {
        const char *t = focal_status_string((focal_status)s);
        CHECK(t != NULL && strncmp(t, "FOCAL_", 6) == 0 && strncmp(t, "FOCAL_ERROR_UNKNOWN", 19) != 0, "status %d: %s", s, t ? t : "(null)");
    }
    CHECK(strncmp(focal_status_string((focal_status)16), "FOCAL_ERROR_UNKNOWN", 19) == 0, "status 16: %s",
          focal_status_string((focal_status)16));

    /* Each reference's derivative against central differences of its loss, away from the kinks. */
    for (loss = 0; loss < LOSSES; ++loss)
        for (k = 0; k < param_counts[loss]; ++k)
            for (i = 0; i < sizeof xs / sizeof xs[0]; ++i)
                for (j = 0; j < TARGETS; ++j) {
                    const params *p = &param_sets[loss][k];
                    ld x = xs[i], t = grid_targets[j], h = 1e-5L;
                    ref_t r = reference(loss, p, x, t);
                    ld fd = (reference(loss, p, x + h, t).loss - reference(loss, p, x - h, t).loss) / (2 * h);
                    char text_[96];
                    if (near_kink(loss, p, xs[i] - 0.05, grid_targets[j]) || near_kink(loss, p, xs[i] + 0.05, grid_targets[j]) ||
                        near_kink(loss, p, xs[i], grid_targets[j]))
                        continue;
                    params_text(loss, p, text_, sizeof text_);
                    CHECK(fabsl(fd - r.grad) <= 1e-6L * (fabsl(r.grad) + r.gscale) + 1e-9L,
                          "%s reference (%s) at x %g t %g: derivative %.12Lg, central difference %.12Lg", loss_names[loss], text_,
                          xs[i], grid_targets[j], r.grad, fd);
                }
    /* The references agree where the definitions do: ASL with gamma_pos = gamma_neg and margin 0
     * is the focal loss without alpha; FL* at gamma 1, beta 0, QFL at beta 0 and VFL's positives
     * with iou_weighted 0 are BCE (alpha_t BCE); VFL's negatives are alpha times the focal loss
     * of t = 0. */
    for (i = 0; i < sizeof xs / sizeof xs[0]; ++i)
        for (j = 0; j < TARGETS; ++j) {
            ld x = xs[i], t = grid_targets[j];
            ref_t focal2 = ref_poly(x, t, -1, 2, 0), bce = ref_poly(x, t, -1, 0, 0), bce_a = ref_poly(x, t, 0.25, 0, 0);
            ref_t asl = ref_asym(x, t, 2, 2, 0), star = ref_star(x, t, 0.25, 1, 0), qfl = ref_quality(x, t, 0);
            CHECK(fabsl(asl.loss - focal2.loss) <= 1e-12L * focal2.loss && fabsl(asl.grad - focal2.grad) <= 1e-12L * focal2.gscale,
                  "ASL(2, 2, 0) and the focal loss at x %g t %g: %.17Lg %.17Lg, %.17Lg %.17Lg", xs[i], grid_targets[j], asl.loss,
                  focal2.loss, asl.grad, focal2.grad);
            if (t == 0 || t == 1)  /* x_t = (2t - 1) x: BCE for hard targets only */
                CHECK(fabsl(star.loss - bce_a.loss) <= 1e-12L * bce_a.loss && fabsl(star.grad - bce_a.grad) <= 1e-12L * bce_a.gscale,
                      "FL*(gamma 1, beta 0) and alpha_t BCE at x %g t %g", xs[i], grid_targets[j]);
            CHECK(fabsl(qfl.loss - bce.loss) <= 1e-12L * bce.loss && fabsl(qfl.grad - bce.grad) <= 1e-12L * bce.gscale,
                  "QFL(0) and BCE at x %g t %g", xs[i], grid_targets[j]);
            if (t > 0) {
                ref_t v = ref_varifocal(x, t, 0.75, 2, 0);
                CHECK(fabsl(v.loss - bce.loss) <= 1e-12L * bce.loss && fabsl(v.grad - bce.grad) <= 1e-12L * bce.gscale,
                      "VFL positive and BCE at x %g t %g", xs[i], grid_targets[j]);
            } else {
                ref_t v = ref_varifocal(x, t, 0.75, 2, 1);
                CHECK(fabsl(v.loss - 0.75L * focal2.loss) <= 1e-12L * v.loss && fabsl(v.grad - 0.75L * focal2.grad) <= 1e-12L * v.gscale,
                      "VFL negative and 0.75 focal at x %g", xs[i]);
            }
        }
}

/* ------------------------------------------------------------------ the grid */

/* -50..50 (fixed and random), the saturated +-100, +-700, +-1e4. */
#define GRID_MAX 96
static size_t grid_logits(double *x) {
    static const double fixed[] = {
        -1e4, -700, -100, -50, -30, -20, -12.5, -8, -5, -3, -2, -1.5, -1, -0.6, -0.25, -0.05, 0,
        0.05, 0.25, 0.6, 1, 1.5, 2, 3, 5, 8, 12.5, 20, 30, 50, 100, 700, 1e4,
    };
    size_t n = 0, i;
    for (i = 0; i < sizeof fixed / sizeof fixed[0]; ++i) x[n++] = fixed[i];
    for (i = 0; i < 40; ++i) x[n++] = uniform(-10, 10);
    for (i = 0; i < 10; ++i) x[n++] = uniform(-50, 50);
    return n;
}

/* Every loss, parameter set and target on the grid, f32 and f64, against the references
 * (reduction none, no weights, grad_loss NULL). Poly-1: focal_sigmoid_f32 / _f64 give the
 * weighted function's results bit for bit. */
static void test_grid(void) {
    double xg[GRID_MAX];
    size_t nx = grid_logits(xg), n = nx * TARGETS, i, k;
    double *xv = (double *)xmalloc(n * sizeof(double)), *tv = (double *)xmalloc(n * sizeof(double));
    int loss, dt;
    for (k = 0; k < TARGETS; ++k)
        for (i = 0; i < nx; ++i) { xv[k * nx + i] = xg[i]; tv[k * nx + i] = grid_targets[k]; }
    for (loss = 0; loss < LOSSES; ++loss)
        for (k = 0; k < param_counts[loss]; ++k)
            for (dt = F32; dt <= F64; ++dt) {
                const params *p = &param_sets[loss][k];
                fam_options o;
                void *x = make_array(dt, xv, n), *t = make_array(dt, tv, n);
                void *l = fill_array(dt, n, SENT), *g = fill_array(dt, n, SENT);
                focal_status s;
                char text_[96];
                int bad = 0;
                params_text(loss, p, text_, sizeof text_);
                opts_make(&o, loss, p, FOCAL_REDUCTION_NONE);
                s = call(loss, dt, &o, TARGETS, (int64_t)nx, 1, x, t, NULL, FOCAL_WEIGHTS_PER_ELEMENT, NULL, l, g, NULL);
                CHECK(s == FOCAL_OK, "%s_%s (%s): status %d: %s", loss_names[loss], dtype_names[dt], text_, (int)s,
                      focal_last_error_message());
                for (i = 0; i < n && s == FOCAL_OK; ++i) {
                    double xi = load(dt, x, i), ti = load(dt, t, i), li = load(dt, l, i), gi = load(dt, g, i);
                    ref_t r = reference(loss, p, xi, ti);
                    int ok_l = near(dt, loss, li, r.loss, r.lscale);
                    int ok_g = near_kink(loss, p, xi, ti) || near(dt, loss, gi, r.grad, r.gscale);
                    if (!(ok_l && ok_g) && bad++ < 6)
                        fprintf(stderr, "  %s_%s (%s) x %.9g t %.9g: loss %.17g want %.17Lg, grad %.17g want %.17Lg\n",
                                loss_names[loss], dtype_names[dt], text_, xi, ti, li, r.loss, gi, r.grad);
                    ++checks;
                    if (!(ok_l && ok_g)) ++failures;
                    CHECK(isfinite(gi), "%s_%s (%s): gradient %g at finite x %g t %g", loss_names[loss], dtype_names[dt], text_, gi, xi, ti);
                }
                if (loss == POLY && s == FOCAL_OK) {
                    void *l2 = fill_array(dt, n, SENT), *g2 = fill_array(dt, n, SENT);
                    focal_status s2 = dt == F32 ? focal_sigmoid_f32(&o.sig, (int64_t)n, (const float *)x, (const float *)t, NULL,
                                                                    (float *)l2, (float *)g2)
                                                : focal_sigmoid_f64(&o.sig, (int64_t)n, (const double *)x, (const double *)t, NULL,
                                                                    (double *)l2, (double *)g2);
                    CHECK(s2 == FOCAL_OK && first_difference(dt, l, l2, n) == n && first_difference(dt, g, g2, n) == n,
                          "focal_sigmoid_%s (%s) differs from focal_sigmoid_weighted_%s: %d", dtype_names[dt], text_,
                          dtype_names[dt], (int)s2);
                    free(l2); free(g2);
                }
                free(x); free(t); free(l); free(g);
            }
    free(xv); free(tv);
}

/* ------------------------------------------------------------------ limits, NaN */

/* +-inf logits: the references' values at +-1e300 (the limit; a loss beyond 1e250 is +inf) and
 * a finite gradient, for targets 0, 1, 0.3, 0.75 and 0.5 (FL*'s x_t = 0 * inf: its limit is 0).
 * Every dtype. */
static void test_limits(void) {
    static const double targets[] = {0.0, 1.0, 0.3, 0.75, 0.5};
    enum { NT = 5, N = 2 * NT };
    double xv[N], tv[N];
    int loss, dt;
    size_t k, i;
    for (i = 0; i < N; ++i) { xv[i] = i < NT ? INFINITY : -INFINITY; tv[i] = targets[i % NT]; }
    for (loss = 0; loss < LOSSES; ++loss)
        for (k = 0; k < param_counts[loss]; ++k)
            for (dt = 0; dt < DTYPES; ++dt) {
                const params *p = &param_sets[loss][k];
                fam_options o;
                void *x = make_array(dt, xv, N), *t = make_array(dt, tv, N), *l = fill_array(dt, N, SENT), *g = fill_array(dt, N, SENT);
                focal_status s;
                char text_[96];
                params_text(loss, p, text_, sizeof text_);
                opts_make(&o, loss, p, FOCAL_REDUCTION_NONE);
                s = call(loss, dt, &o, 1, N, 1, x, t, NULL, FOCAL_WEIGHTS_PER_ELEMENT, NULL, l, g, NULL);
                CHECK(s == FOCAL_OK, "%s_%s: %s", loss_names[loss], dtype_names[dt], focal_last_error_message());
                for (i = 0; i < N && s == FOCAL_OK; ++i) {
                    double ti = load(dt, t, i), li = load(dt, l, i), gi = load(dt, g, i);
                    ref_t r = reference(loss, p, i < NT ? 1e300L : -1e300L, ti);
                    ld want_loss = r.loss > 1e250L ? (ld)INFINITY : r.loss;
                    int ok;
                    if (dt >= F16)
                        ok = half_matches(dt, ((uint16_t *)l)[i], (double)want_loss) && half_matches(dt, ((uint16_t *)g)[i], (double)r.grad);
                    else
                        ok = near(dt, LOSSES, li, want_loss, r.lscale > 1e250L ? 0.0L : r.lscale) && near(dt, LOSSES, gi, r.grad, r.gscale);
                    CHECK(ok && isfinite(gi), "%s_%s (%s) x %g t %g: loss %.17g (limit %.17Lg), grad %.17g (limit %.17Lg)",
                          loss_names[loss], dtype_names[dt], text_, load(dt, x, i), ti, li, want_loss, gi, r.grad);
                }
                free(x); free(t); free(l); free(g);
            }
}

/* The largest logits of each type (+-1e300 in f64, +-1e30 in f32, +-65504 in f16, +-3e38 in
 * bf16) against the references: finite wherever the value fits the type; QFL's cusp s = y
 * exactly (x = 0, y = 1/2): loss 0 for beta > 0, BCE at beta 0, and gradient 0. */
static void test_huge_and_cusp(void) {
    static const double largest[DTYPES] = {1e30, 1e300, 65504, 3e38};
    enum { N = 10 };
    int loss, dt;
    size_t k, i;
    for (loss = 0; loss < LOSSES; ++loss)
        for (k = 0; k < param_counts[loss]; ++k)
            for (dt = 0; dt < DTYPES; ++dt) {
                const params *p = &param_sets[loss][k];
                double xv[N], tv[N];
                void *x, *t, *l = fill_array(dt, N, SENT), *g = fill_array(dt, N, SENT);
                fam_options o;
                char text_[96];
                focal_status s;
                for (i = 0; i < N; ++i) { xv[i] = i % 2 ? -largest[dt] : largest[dt]; tv[i] = i < 8 ? grid_targets[i / 2] : 0.5; }
                x = make_array(dt, xv, N); t = make_array(dt, tv, N);
                params_text(loss, p, text_, sizeof text_);
                opts_make(&o, loss, p, FOCAL_REDUCTION_NONE);
                s = call(loss, dt, &o, 1, N, 1, x, t, NULL, 0, NULL, l, g, NULL);
                CHECK(s == FOCAL_OK, "%s", focal_last_error_message());
                for (i = 0; i < N && s == FOCAL_OK; ++i) {
                    ref_t r = reference(loss, p, load(dt, x, i), load(dt, t, i));
                    int ok = dt >= F16 ? half_matches(dt, ((uint16_t *)l)[i], (double)r.loss) && half_matches(dt, ((uint16_t *)g)[i], (double)r.grad)
                                       : near(dt, LOSSES, load(dt, l, i), r.loss, r.lscale) && near(dt, LOSSES, load(dt, g, i), r.grad, r.gscale);
                    CHECK(ok, "%s_%s (%s) x %g t %g: loss %.17g want %.17Lg, grad %.17g want %.17Lg", loss_names[loss], dtype_names[dt], text_,
                          load(dt, x, i), load(dt, t, i), load(dt, l, i), r.loss, load(dt, g, i), r.grad);
                }
                free(x); free(t); free(l); free(g);
            }
    for (k = 0; k < param_counts[QUALITY]; ++k)
        for (dt = 0; dt < DTYPES; ++dt) {
            const double beta = quality_sets[k].a;
            double xv[1] = {0.0}, tv[1] = {0.5};
            void *x = make_array(dt, xv, 1), *t = make_array(dt, tv, 1), *l = fill_array(dt, 1, SENT), *g = fill_array(dt, 1, SENT);
            fam_options o;
            opts_make(&o, QUALITY, &quality_sets[k], FOCAL_REDUCTION_NONE);
            CHECK(call(QUALITY, dt, &o, 1, 1, 1, x, t, NULL, 0, NULL, l, g, NULL) == FOCAL_OK &&
                      (beta == 0 ? fabs(load(dt, l, 0) - log(2.0)) <= 4e-3 * log(2.0) : load(dt, l, 0) == 0) && load(dt, g, 0) == 0,
                  "focal_quality_%s beta %g at its cusp (x 0, y 0.5): loss %.17g grad %.17g", dtype_names[dt], beta, load(dt, l, 0),
                  load(dt, g, 0));
            free(x); free(t); free(l); free(g);
        }
}

/* A NaN logit is NaN for its element only (every other element bit for bit as with a finite
 * logit there) and makes SUM NaN; a weight of 0 gives loss 0 and gradient 0 at a NaN or an
 * infinite logit. */
static void test_nan(void) {
    enum { N = 24 };
    double xv[N], tv[N], wv[N];
    int loss, dt;
    size_t i;
    for (i = 0; i < N; ++i) { xv[i] = uniform(-6, 6); tv[i] = grid_targets[i % TARGETS]; wv[i] = 0.5 + (double)(i % 3); }
    for (loss = 0; loss < LOSSES; ++loss)
        for (dt = 0; dt < DTYPES; ++dt) {
            const params *p = &param_sets[loss][0];
            fam_options o;
            void *x = make_array(dt, xv, N), *t = make_array(dt, tv, N), *w = make_array(dt, wv, N);
            void *l1 = fill_array(dt, N, SENT), *g1 = fill_array(dt, N, SENT), *l2 = fill_array(dt, N, SENT), *g2 = fill_array(dt, N, SENT);
            double sum[1];
            focal_status s1, s2, s3;
            opts_make(&o, loss, p, FOCAL_REDUCTION_NONE);
            s1 = call(loss, dt, &o, 1, N, 1, x, t, NULL, 0, NULL, l1, g1, NULL);
            store(dt, x, 5, NAN);
            s2 = call(loss, dt, &o, 1, N, 1, x, t, NULL, 0, NULL, l2, g2, NULL);
            CHECK(s1 == FOCAL_OK && s2 == FOCAL_OK, "%s_%s: %s", loss_names[loss], dtype_names[dt], focal_last_error_message());
            CHECK(isnan(load(dt, l2, 5)) && isnan(load(dt, g2, 5)), "%s_%s: NaN logit gives loss %g grad %g", loss_names[loss],
                  dtype_names[dt], load(dt, l2, 5), load(dt, g2, 5));
            store(dt, l2, 5, load(dt, l1, 5));
            store(dt, g2, 5, load(dt, g1, 5));
            CHECK(first_difference(dt, l1, l2, N) == N && first_difference(dt, g1, g2, N) == N, "%s_%s: a NaN logit changes another element",
                  loss_names[loss], dtype_names[dt]);
            opts_reduction(&o, FOCAL_REDUCTION_SUM);
            s3 = call(loss, dt, &o, 1, N, 1, x, t, NULL, 0, NULL, sum, g2, NULL);
            CHECK(s3 == FOCAL_OK && isnan(load(dt, sum, 0)), "%s_%s: SUM with a NaN logit: %g", loss_names[loss], dtype_names[dt],
                  load(dt, sum, 0));
            /* Weights 0 at a NaN, +inf and -inf logit (per element). */
            store(dt, x, 7, INFINITY);
            store(dt, x, 8, -INFINITY);
            store(dt, w, 5, 0.0); store(dt, w, 7, 0.0); store(dt, w, 8, 0.0);
            opts_reduction(&o, FOCAL_REDUCTION_NONE);
            s3 = call(loss, dt, &o, 1, N, 1, x, t, w, FOCAL_WEIGHTS_PER_ELEMENT, NULL, l2, g2, NULL);
            CHECK(s3 == FOCAL_OK, "%s_%s: %s", loss_names[loss], dtype_names[dt], focal_last_error_message());
            for (i = 5; i <= 8; ++i) {
                if (i == 6) continue;
                CHECK(load(dt, l2, i) == 0 && load(dt, g2, i) == 0, "%s_%s: weight 0 at logit %g: loss %g grad %g", loss_names[loss],
                      dtype_names[dt], load(dt, x, i), load(dt, l2, i), load(dt, g2, i));
            }
            opts_reduction(&o, FOCAL_REDUCTION_SUM);
            s3 = call(loss, dt, &o, 1, N, 1, x, t, w, FOCAL_WEIGHTS_PER_ELEMENT, NULL, sum, g2, NULL);
            CHECK(s3 == FOCAL_OK && isfinite(load(dt, sum, 0)), "%s_%s: SUM with the NaN weighing 0: %g", loss_names[loss],
                  dtype_names[dt], load(dt, sum, 0));
            /* Accumulating: those gradients are left as they were. */
            for (i = 0; i < N; ++i) store(dt, g2, i, 0.5);
            opts_accumulate(&o, 1);
            s3 = call(loss, dt, &o, 1, N, 1, x, t, w, FOCAL_WEIGHTS_PER_ELEMENT, NULL, sum, g2, NULL);
            opts_accumulate(&o, 0);
            CHECK(s3 == FOCAL_OK && load(dt, g2, 5) == 0.5 && load(dt, g2, 7) == 0.5 && load(dt, g2, 8) == 0.5,
                  "%s_%s: accumulating, weight 0 at NaN, +inf, -inf: grad %g %g %g, want 0.5", loss_names[loss], dtype_names[dt],
                  load(dt, g2, 5), load(dt, g2, 7), load(dt, g2, 8));
            /* Per position, shape (6, 4, 1): rows 1 and 2 (elements 4 to 11) weigh 0. */
            {
                double pv[6] = {1, 0, 0, 2, 0.5, 1};
                void *pw = make_array(dt, pv, 6);
                opts_reduction(&o, FOCAL_REDUCTION_NONE);
                s3 = call(loss, dt, &o, 6, 4, 1, x, t, pw, FOCAL_WEIGHTS_PER_POSITION, NULL, l2, g2, NULL);
                CHECK(s3 == FOCAL_OK, "%s_%s: %s", loss_names[loss], dtype_names[dt], focal_last_error_message());
                for (i = 4; i < 12; ++i)
                    CHECK(load(dt, l2, i) == 0 && load(dt, g2, i) == 0, "%s_%s: per-position weight 0 at logit %g: loss %g grad %g",
                          loss_names[loss], dtype_names[dt], load(dt, x, i), load(dt, l2, i), load(dt, g2, i));
                free(pw);
            }
            free(x); free(t); free(w); free(l1); free(g1); free(l2); free(g2);
        }
}

/* ------------------------------------------------------------------ reductions, weights, stats */

static void stats_poison(focal_stats *st, uint32_t version) {
    memset(st, 0x5a, sizeof *st);
    st->version = version;
}
/* Field by field, bit for bit (the padding after `version` is no field). */
static int same_stats(const focal_stats *a, const focal_stats *b) {
    return a->version == b->version && memcmp(&a->positives, &b->positives, sizeof(double)) == 0 &&
           memcmp(&a->weight_sum, &b->weight_sum, sizeof(double)) == 0 && memcmp(&a->divisor, &b->divisor, sizeof(double)) == 0;
}
/* Equal, or within 1e-12 relative (the library may sum in another order). */
static int sums_agree(double got, ld want) { return (ld)got == want || fabsl((ld)got - want) <= 1e-12L * fabsl(want); }

/* (3, 4, 5): 60 elements, 15 positions. For each loss (two parameter sets), f32 and f64:
 * the upstream gradient (NULL = ones; an array for NONE), SUM, MEAN and the normalizer against
 * the references, accumulate_grad, weights per element (MEAN still divides by the count) and
 * per position (= expanded, bit for bit), the stats, the fast tier and NULL options (bit for
 * bit), targets overlapping the logits, empty inputs. */
static void test_reductions(void) {
    enum { B = 3, C = 4, I = 5, E = B * C * I, P = B * I };
    double xv[E], tv[E], wv[E], pv[P], wexp[E], uv[E], acc[E];
    int loss, dt, set;
    size_t e;
    for (e = 0; e < E; ++e) {
        xv[e] = e == 0 ? 15.0 : e == 1 ? -15.0 : uniform(-6, 6);
        tv[e] = e % 5 == 4 ? floor(uniform(0, 8)) / 8 : grid_targets[e % TARGETS];
        wv[e] = e % 7 == 3 ? 0.0 : uniform(0, 2);
        uv[e] = uniform(-2, 2);
        acc[e] = uniform(-1, 1);
    }
    /* Dyadic per-position weights: their sums (stats.weight_sum) are exact in any order. */
    for (e = 0; e < P; ++e) pv[e] = e % 4 == 1 ? 0.0 : floor(uniform(0, 16)) / 8;
    for (e = 0; e < E; ++e) wexp[e] = pv[(e / (C * I)) * I + e % I];
    for (loss = 0; loss < LOSSES; ++loss)
        for (set = 0; set < 2; ++set)
            for (dt = F32; dt <= F64; ++dt) {
                const params *p = &param_sets[loss][set == 0 ? 0 : param_counts[loss] - 2];
                const char *name = loss_names[loss], *dn = dtype_names[dt];
                const ld eps = dt == F64 ? (ld)DBL_EPSILON : (ld)FLT_EPSILON;
                void *x = make_array(dt, xv, E), *t = make_array(dt, tv, E), *w = make_array(dt, wv, E), *pw = make_array(dt, pv, P);
                void *we = make_array(dt, wexp, E), *u = make_array(dt, uv, E), *ones = fill_array(dt, E, 1.0);
                void *l0 = fill_array(dt, E, SENT), *g0 = fill_array(dt, E, SENT), *l = fill_array(dt, E, SENT), *g = fill_array(dt, E, SENT);
                void *l2 = fill_array(dt, E, SENT), *g2 = fill_array(dt, E, SENT), *up = fill_array(dt, 1, 0.7);
                ref_t r[E];
                ld sum = 0, scale = 0, wsum = 0, wscale = 0, positives = 0, weight_total = 0;
                fam_options o;
                focal_stats st, st2;
                focal_status s;
                int red;
                char text_[96];
                params_text(loss, p, text_, sizeof text_);
                for (e = 0; e < E; ++e) {
                    r[e] = reference(loss, p, load(dt, x, e), load(dt, t, e));
                    sum += r[e].loss; scale += r[e].lscale;
                    wsum += load(dt, w, e) * r[e].loss; wscale += load(dt, w, e) * r[e].lscale;
                    positives += load(dt, t, e); weight_total += load(dt, w, e);
                }
                opts_make(&o, loss, p, FOCAL_REDUCTION_NONE);
                s = call(loss, dt, &o, B, C, I, x, t, NULL, 0, NULL, l0, g0, NULL);
                CHECK(s == FOCAL_OK, "%s_%s: %s", name, dn, focal_last_error_message());
                /* grad_loss: all ones = NULL; an array multiplies (the loss unchanged). */
                s = call(loss, dt, &o, B, C, I, x, t, NULL, 0, ones, l, g, NULL);
                CHECK(s == FOCAL_OK && first_difference(dt, l, l0, E) == E && first_difference(dt, g, g0, E) == E,
                      "%s_%s: grad_loss of ones differs from NULL", name, dn);
                s = call(loss, dt, &o, B, C, I, x, t, NULL, 0, u, l, g, NULL);
                CHECK(s == FOCAL_OK && first_difference(dt, l, l0, E) == E, "%s_%s: grad_loss changes the loss", name, dn);
                for (e = 0; e < E; ++e)
                    CHECK(near(dt, loss, load(dt, g, e), load(dt, u, e) * r[e].grad, fabsl(load(dt, u, e)) * r[e].gscale),
                          "%s_%s (%s) NONE with grad_loss: grad[%zu] %.17g want %.17Lg", name, dn, text_, e, load(dt, g, e),
                          load(dt, u, e) * r[e].grad);
                /* SUM, MEAN, MEAN with a normalizer; a scalar upstream gradient; the stats. */
                for (red = 0; red < 4; ++red) {
                    focal_reduction rr = red == 0 ? FOCAL_REDUCTION_NONE : red == 1 ? FOCAL_REDUCTION_SUM : FOCAL_REDUCTION_MEAN;
                    ld divisor = red == 2 ? (ld)E : red == 3 ? 7.5L : 1.0L;
                    ld gup = red == 0 ? 1.0L : 0.7L;
                    opts_reduction(&o, rr);
                    opts_normalizer(&o, red == 3, red == 3 ? 7.5 : 0.0);
                    stats_poison(&st, FOCAL_STATS_VERSION);
                    s = call(loss, dt, &o, B, C, I, x, t, NULL, 0, red == 0 ? NULL : up, l, g, &st);
                    CHECK(s == FOCAL_OK, "%s_%s reduction %d: %s", name, dn, red, focal_last_error_message());
                    if (red > 0)
                        CHECK(near(dt, loss, load(dt, l, 0), sum / divisor, scale / divisor), "%s_%s (%s) reduction %d: loss %.17g want %.17Lg",
                              name, dn, text_, red, load(dt, l, 0), sum / divisor);
                    for (e = 0; e < E; ++e)
                        CHECK(near(dt, loss, load(dt, g, e), gup * r[e].grad / divisor, gup * r[e].gscale / divisor),
                              "%s_%s (%s) reduction %d: grad[%zu] %.17g want %.17Lg", name, dn, text_, red, e, load(dt, g, e),
                              gup * r[e].grad / divisor);
                    CHECK(st.version == FOCAL_STATS_VERSION && sums_agree(st.positives, positives) && st.weight_sum == (double)E &&
                              st.divisor == (double)divisor,
                          "%s_%s reduction %d: stats %.17g %.17g %.17g, want %.17Lg %d %.17Lg", name, dn, red, st.positives, st.weight_sum,
                          st.divisor, positives, (int)E, divisor);
                    /* Weights per element: w times each loss and gradient; MEAN still divides by the count. */
                    stats_poison(&st, FOCAL_STATS_VERSION);
                    s = call(loss, dt, &o, B, C, I, x, t, w, FOCAL_WEIGHTS_PER_ELEMENT, red == 0 ? NULL : up, l, g, &st);
                    CHECK(s == FOCAL_OK, "%s_%s weighted reduction %d: %s", name, dn, red, focal_last_error_message());
                    if (red > 0)
                        CHECK(near(dt, loss, load(dt, l, 0), wsum / divisor, wscale / divisor),
                              "%s_%s (%s) weighted reduction %d: loss %.17g want %.17Lg", name, dn, text_, red, load(dt, l, 0), wsum / divisor);
                    for (e = 0; e < E; ++e) {
                        ld we_ = load(dt, w, e);
                        if (red == 0)
                            CHECK(near(dt, loss, load(dt, l, e), we_ * r[e].loss, we_ * r[e].lscale), "%s_%s weighted: loss[%zu] %.17g want %.17Lg",
                                  name, dn, e, load(dt, l, e), we_ * r[e].loss);
                        CHECK(near(dt, loss, load(dt, g, e), gup * we_ * r[e].grad / divisor, gup * we_ * r[e].gscale / divisor),
                              "%s_%s weighted reduction %d: grad[%zu] %.17g want %.17Lg", name, dn, red, e, load(dt, g, e),
                              gup * we_ * r[e].grad / divisor);
                    }
                    CHECK(sums_agree(st.positives, positives) && sums_agree(st.weight_sum, weight_total) && st.divisor == (double)divisor,
                          "%s_%s weighted reduction %d: stats %.17g %.17g %.17g", name, dn, red, st.positives, st.weight_sum, st.divisor);
                    /* Per position = expanded per element, bit for bit (stats included). */
                    stats_poison(&st2, FOCAL_STATS_VERSION);
                    s = call(loss, dt, &o, B, C, I, x, t, we, FOCAL_WEIGHTS_PER_ELEMENT, red == 0 ? NULL : up, l2, g2, &st2);
                    stats_poison(&st, FOCAL_STATS_VERSION);
                    CHECK(s == FOCAL_OK && call(loss, dt, &o, B, C, I, x, t, pw, FOCAL_WEIGHTS_PER_POSITION, red == 0 ? NULL : up, l, g, &st) == FOCAL_OK,
                          "%s_%s per position: %s", name, dn, focal_last_error_message());
                    CHECK(first_difference(dt, l, l2, red == 0 ? E : 1) == (size_t)(red == 0 ? E : 1) &&
                              first_difference(dt, g, g2, E) == E && same_stats(&st, &st2),
                          "%s_%s reduction %d: per-position weights differ from the expanded ones: loss %.17g %.17g, first grad "
                          "difference %zu, stats %.17g %.17g %.17g vs %.17g %.17g %.17g", name, dn, red, load(dt, l, 0), load(dt, l2, 0),
                          first_difference(dt, g, g2, E), st.positives, st.weight_sum, st.divisor, st2.positives, st2.weight_sum,
                          st2.divisor);
                    /* The fast tier computes as the exact one. */
                    opts_precision(&o, FOCAL_PRECISION_FAST);
                    s = call(loss, dt, &o, B, C, I, x, t, we, FOCAL_WEIGHTS_PER_ELEMENT, red == 0 ? NULL : up, l, g, NULL);
                    opts_precision(&o, FOCAL_PRECISION_EXACT);
                    CHECK(s == FOCAL_OK && first_difference(dt, l, l2, red == 0 ? E : 1) == (size_t)(red == 0 ? E : 1) &&
                              first_difference(dt, g, g2, E) == E,
                          "%s_%s reduction %d: FOCAL_PRECISION_FAST differs from the exact tier", name, dn, red);
                }
                /* accumulate_grad: added to what is there. */
                opts_reduction(&o, FOCAL_REDUCTION_SUM);
                opts_normalizer(&o, 0, 0.0);
                s = call(loss, dt, &o, B, C, I, x, t, w, 0, up, l2, g2, NULL);
                for (e = 0; e < E; ++e) store(dt, g, e, acc[e]);
                opts_accumulate(&o, 1);
                CHECK(s == FOCAL_OK && call(loss, dt, &o, B, C, I, x, t, w, 0, up, l, g, NULL) == FOCAL_OK, "%s_%s accumulate: %s", name, dn,
                      focal_last_error_message());
                CHECK(first_difference(dt, l, l2, 1) == 1, "%s_%s accumulate changes the loss", name, dn);
                for (e = 0; e < E; ++e) {
                    ld a = load(dt, g, e), want = (ld)acc[e] + (ld)load(dt, g2, e);
                    if (dt == F32) want = (ld)(float)acc[e] + (ld)load(dt, g2, e);
                    CHECK(fabsl(a - want) <= 2 * eps * (fabsl(want) + fabsl((ld)load(dt, g2, e))),
                          "%s_%s accumulate: grad[%zu] %.17Lg want %.17Lg", name, dn, e, a, want);
                }
                opts_accumulate(&o, 0);
                /* NULL options are the defaults (reduction none, the default parameters). */
                {
                    fam_options d;
                    opts_make(&d, loss, NULL, FOCAL_REDUCTION_NONE);
                    opts_threads(&d, 0);
                    s = call(loss, dt, &d, B, C, I, x, t, NULL, 0, NULL, l2, g2, NULL);
                    CHECK(s == FOCAL_OK && call(loss, dt, NULL, B, C, I, x, t, NULL, 0, NULL, l, g, NULL) == FOCAL_OK &&
                              first_difference(dt, l, l2, E) == E && first_difference(dt, g, g2, E) == E,
                          "%s_%s: NULL options differ from the defaults", name, dn);
                }
                /* Inputs may overlap: the targets read from the logits' buffer. */
                {
                    void *xt = make_array(dt, tv, E);
                    opts_reduction(&o, FOCAL_REDUCTION_NONE);
                    s = call(loss, dt, &o, B, C, I, xt, t, NULL, 0, NULL, l2, g2, NULL);
                    CHECK(s == FOCAL_OK && call(loss, dt, &o, B, C, I, t, t, NULL, 0, NULL, l, g, NULL) == FOCAL_OK &&
                              first_difference(dt, l, l2, E) == E && first_difference(dt, g, g2, E) == E,
                          "%s_%s: targets in the logits' buffer: %s", name, dn, focal_last_error_message());
                    free(xt);
                }
                /* Empty: NONE with every pointer NULL; SUM 0; MEAN NaN with divisor 0. */
                {
                    double one[1] = {SENT};
                    opts_reduction(&o, FOCAL_REDUCTION_NONE);
                    CHECK(call(loss, dt, &o, 0, C, I, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL) == FOCAL_OK, "%s_%s empty NONE: %s",
                          name, dn, focal_last_error_message());
                    CHECK(call(loss, dt, &o, B, 0, I, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL) == FOCAL_OK, "%s_%s classes 0: %s",
                          name, dn, focal_last_error_message());
                    opts_reduction(&o, FOCAL_REDUCTION_SUM);
                    stats_poison(&st, FOCAL_STATS_VERSION);
                    CHECK(call(loss, dt, &o, 0, C, I, NULL, NULL, NULL, 0, NULL, one, NULL, &st) == FOCAL_OK && load(dt, one, 0) == 0 &&
                              st.divisor == 1 && st.positives == 0 && st.weight_sum == 0,
                          "%s_%s empty SUM: %g", name, dn, load(dt, one, 0));
                    opts_reduction(&o, FOCAL_REDUCTION_MEAN);
                    stats_poison(&st, FOCAL_STATS_VERSION);
                    CHECK(call(loss, dt, &o, 0, C, I, NULL, NULL, NULL, 0, NULL, one, NULL, &st) == FOCAL_OK && isnan(load(dt, one, 0)) &&
                              st.divisor == 0,
                          "%s_%s empty MEAN: %g, divisor %g", name, dn, load(dt, one, 0), st.divisor);
                }
                free(x); free(t); free(w); free(pw); free(we); free(u); free(ones); free(l0); free(g0); free(l); free(g); free(l2); free(g2);
                free(up);
            }
}

/* ------------------------------------------------------------------ errors */

/* A call that must fail with `expected`: outputs (sentinels) and stats untouched, the message
 * containing `mention`. */
static void expect_failure(int loss, int dt, const fam_options *o, int64_t b, int64_t c, int64_t in, const void *x, const void *t,
                           const void *w, int layout, const void *up, uint32_t stats_version, focal_status expected,
                           const char *mention, int line) {
    enum { CAP = 64 };
    void *l = fill_array(dt, CAP, SENT), *g = fill_array(dt, CAP, SENT);
    focal_stats st, st0;
    focal_status s;
    const char *message;
    int untouched;
    stats_poison(&st, stats_version);
    st0 = st;
    s = call(loss, dt, o, b, c, in, x, t, w, layout, up, l, g, &st);
    message = focal_last_error_message();
    untouched = all_sentinel(dt, l, CAP) && all_sentinel(dt, g, CAP) && same_stats(&st, &st0);
    ++checks;
    if (s != expected || !untouched || strstr(message, mention) == NULL) {
        ++failures;
        fprintf(stderr, "%s:%d: FAILED %s_%s: expected status %d got %d, message \"%s\" (wanted \"%s\"), outputs %s\n", __FILE__, line,
                loss_names[loss], dtype_names[dt], (int)expected, (int)s, message, mention, untouched ? "untouched" : "WRITTEN");
    }
    free(l); free(g);
}

/* A parameter of one loss set to a value: the status and the name the message must contain. */
typedef struct { int loss; int field; double value; focal_status status; const char *name; } bad_parameter;

static void set_field(fam_options *o, int loss, int field, double v) {
    switch (loss) {
    case STAR: if (field == 0) o->star.alpha = v; else if (field == 1) o->star.gamma = v; else o->star.beta = v; break;
    case ASYM: if (field == 0) o->asym.gamma_pos = v; else if (field == 1) o->asym.gamma_neg = v; else o->asym.margin = v; break;
    case QUALITY: o->quality.beta = v; break;
    case VARIFOCAL: if (field == 0) o->vari.alpha = v; else o->vari.gamma = v; break;
    default: if (field == 0) o->sig.alpha = v; else if (field == 1) o->sig.gamma = v; else o->sig.poly1_epsilon = v; break;
    }
}

static const bad_parameter bad_parameters[] = {
    {STAR, 1, 0.0, FOCAL_ERROR_INVALID_GAMMA, "gamma"}, {STAR, 1, -1.0, FOCAL_ERROR_INVALID_GAMMA, "gamma"},
    {STAR, 1, NAN, FOCAL_ERROR_INVALID_GAMMA, "gamma"}, {STAR, 1, INFINITY, FOCAL_ERROR_INVALID_GAMMA, "gamma"},
    {STAR, 1, -0.0, FOCAL_ERROR_INVALID_GAMMA, "gamma"},
    {STAR, 2, NAN, FOCAL_ERROR_INVALID_PARAMETER, "beta"}, {STAR, 2, INFINITY, FOCAL_ERROR_INVALID_PARAMETER, "beta"},
    {STAR, 2, -INFINITY, FOCAL_ERROR_INVALID_PARAMETER, "beta"},
    {STAR, 0, 1.5, FOCAL_ERROR_INVALID_ALPHA, "alpha"}, {STAR, 0, -0.5, FOCAL_ERROR_INVALID_ALPHA, "alpha"},
    {STAR, 0, NAN, FOCAL_ERROR_INVALID_ALPHA, "alpha"},
    {ASYM, 0, -1.0, FOCAL_ERROR_INVALID_GAMMA, "gamma_pos"}, {ASYM, 0, NAN, FOCAL_ERROR_INVALID_GAMMA, "gamma_pos"},
    {ASYM, 0, INFINITY, FOCAL_ERROR_INVALID_GAMMA, "gamma_pos"}, {ASYM, 1, -0.5, FOCAL_ERROR_INVALID_GAMMA, "gamma_neg"},
    {ASYM, 1, NAN, FOCAL_ERROR_INVALID_GAMMA, "gamma_neg"}, {ASYM, 1, INFINITY, FOCAL_ERROR_INVALID_GAMMA, "gamma_neg"},
    {ASYM, 2, -0.01, FOCAL_ERROR_INVALID_PARAMETER, "margin"}, {ASYM, 2, 1.5, FOCAL_ERROR_INVALID_PARAMETER, "margin"},
    {ASYM, 2, NAN, FOCAL_ERROR_INVALID_PARAMETER, "margin"}, {ASYM, 2, INFINITY, FOCAL_ERROR_INVALID_PARAMETER, "margin"},
    {QUALITY, 0, -0.5, FOCAL_ERROR_INVALID_PARAMETER, "beta"}, {QUALITY, 0, NAN, FOCAL_ERROR_INVALID_PARAMETER, "beta"},
    {QUALITY, 0, INFINITY, FOCAL_ERROR_INVALID_PARAMETER, "beta"},
    {VARIFOCAL, 0, -0.1, FOCAL_ERROR_INVALID_ALPHA, "alpha"}, {VARIFOCAL, 0, NAN, FOCAL_ERROR_INVALID_ALPHA, "alpha"},
    {VARIFOCAL, 0, INFINITY, FOCAL_ERROR_INVALID_ALPHA, "alpha"}, {VARIFOCAL, 1, -1.0, FOCAL_ERROR_INVALID_GAMMA, "gamma"},
    {VARIFOCAL, 1, NAN, FOCAL_ERROR_INVALID_GAMMA, "gamma"}, {VARIFOCAL, 1, INFINITY, FOCAL_ERROR_INVALID_GAMMA, "gamma"},
    {POLY, 2, NAN, FOCAL_ERROR_INVALID_PARAMETER, "poly1_epsilon"}, {POLY, 2, INFINITY, FOCAL_ERROR_INVALID_PARAMETER, "poly1_epsilon"},
    {POLY, 2, -INFINITY, FOCAL_ERROR_INVALID_PARAMETER, "poly1_epsilon"}, {POLY, 2, -0.34, FOCAL_ERROR_INVALID_PARAMETER, "poly1_epsilon"},
    {POLY, 1, -1.0, FOCAL_ERROR_INVALID_GAMMA, "gamma"}, {POLY, 0, 2.0, FOCAL_ERROR_INVALID_ALPHA, "alpha"},
};

/* Admissible edges: none of these may fail. */
static const bad_parameter good_edges[] = {
    {STAR, 1, 1e-300, FOCAL_OK, ""}, {STAR, 0, 0.0, FOCAL_OK, ""}, {STAR, 0, 1.0, FOCAL_OK, ""}, {STAR, 2, -1e300, FOCAL_OK, ""},
    {ASYM, 0, 0.0, FOCAL_OK, ""}, {ASYM, 1, -0.0, FOCAL_OK, ""}, {ASYM, 2, 0.0, FOCAL_OK, ""}, {ASYM, 2, 1.0, FOCAL_OK, ""},
    {ASYM, 0, 64.0, FOCAL_OK, ""}, {QUALITY, 0, 0.0, FOCAL_OK, ""}, {QUALITY, 0, 40.0, FOCAL_OK, ""},
    {VARIFOCAL, 0, 0.0, FOCAL_OK, ""}, {VARIFOCAL, 0, 100.0, FOCAL_OK, ""}, {VARIFOCAL, 1, 0.0, FOCAL_OK, ""},
    {POLY, 2, -1.0 / 3.0, FOCAL_OK, ""}, {POLY, 2, 1e6, FOCAL_OK, ""}, {POLY, 2, -0.0, FOCAL_OK, ""},
};

/* Outputs placed over inputs or each other (reduction none): nothing written anywhere. Buffers
 * in one arena: 0 logits, 1 targets, 2 weights, 3 grad_loss, 4 loss, 5 grad_logits; kind moves
 * one output: 0 grad over logits, 1 loss over targets, 2 grad over loss, 3 loss over weights,
 * 4 grad over grad_loss, 5 grad one element into logits, 6 loss straddling the end of targets,
 * 7 stats over loss, 8 stats over logits, 9 stats over targets, 10 stats over weights. */
static void overlap_case(int loss, int dt, int kind, int64_t b, int64_t c, int64_t in, const double *xv, const double *tv) {
    const size_t n = (size_t)(b * c * in), w = width_of(dt), span = n * w + 64;
    unsigned char *arena = (unsigned char *)xmalloc(7 * span), *copy = (unsigned char *)xmalloc(7 * span);
    unsigned char *buf[6];
    void *lp, *gp;
    focal_stats *st = NULL, stats_block;
    fam_options o;
    focal_status s;
    size_t i;
    uint32_t one = 1;
    memset(arena, 0, 7 * span);
    for (i = 0; i < 6; ++i) buf[i] = arena + i * span;
    for (i = 0; i < n; ++i) {
        store(dt, buf[0], i, xv[i]); store(dt, buf[1], i, tv[i]); store(dt, buf[2], i, 1.0); store(dt, buf[3], i, 1.0);
        store(dt, buf[4], i, SENT); store(dt, buf[5], i, SENT);
    }
    lp = buf[4]; gp = buf[5];
    switch (kind) {
    case 0: gp = buf[0]; break;
    case 1: lp = buf[1]; break;
    case 2: gp = buf[4]; break;
    case 3: lp = buf[2]; break;
    case 4: gp = buf[3]; break;
    case 5: gp = buf[0] + w; break;
    case 6: lp = buf[1] + (n - 1) * w; break;
    default: {
        unsigned char *at = kind == 7 ? buf[4] : kind == 8 ? buf[0] : kind == 9 ? buf[1] : buf[2];
        memcpy(at, &one, sizeof one);  /* a known version: only the overlap is wrong */
        st = (focal_stats *)(void *)at;
        break;
    }
    }
    if (kind < 7) { stats_poison(&stats_block, FOCAL_STATS_VERSION); st = &stats_block; }
    memcpy(copy, arena, 7 * span);
    opts_make(&o, loss, NULL, FOCAL_REDUCTION_NONE);
    s = call(loss, dt, &o, b, c, in, buf[0], buf[1], buf[2], FOCAL_WEIGHTS_PER_ELEMENT, buf[3], lp, gp, st);
    CHECK(s == FOCAL_ERROR_OVERLAPPING_BUFFERS, "%s_%s overlap kind %d: status %d, %s", loss_names[loss], dtype_names[dt], kind, (int)s,
          focal_last_error_message());
    CHECK(memcmp(copy, arena, 7 * span) == 0, "%s_%s overlap kind %d: a buffer written on error", loss_names[loss], dtype_names[dt], kind);
    if (kind >= 7)
        CHECK(strstr(focal_last_error_message(), "stats") != NULL, "%s_%s overlap kind %d: message \"%s\" does not name the stats",
              loss_names[loss], dtype_names[dt], kind, focal_last_error_message());
    else
        CHECK(strstr(focal_last_error_message(), kind == 0 || kind == 2 || kind == 4 || kind == 5 ? "grad_logits" : "loss") != NULL,
              "%s_%s overlap kind %d: message \"%s\" does not name the output", loss_names[loss], dtype_names[dt], kind,
              focal_last_error_message());
    free(arena); free(copy);
}

static void test_errors(void) {
    enum { B = 2, C = 5, I = 3, E = B * C * I, P = B * I };
    double xv[E], tv[E], wv[E];
    int loss, dt, kind;
    size_t e, k;
    for (e = 0; e < E; ++e) { xv[e] = uniform(-3, 3); tv[e] = grid_targets[e % TARGETS]; wv[e] = 0.5 + 0.25 * (double)(e % 3); }
    for (loss = 0; loss < LOSSES; ++loss)
        for (dt = 0; dt < DTYPES; ++dt) {
            void *x = make_array(dt, xv, E), *t = make_array(dt, tv, E), *w = make_array(dt, wv, E);
            fam_options base, o;
            opts_make(&base, loss, NULL, FOCAL_REDUCTION_SUM);
            /* NULL arrays, bad sizes. */
            expect_failure(loss, dt, &base, B, C, I, NULL, t, w, 0, NULL, 1, FOCAL_ERROR_NULL_POINTER, "logits", __LINE__);
            expect_failure(loss, dt, &base, B, C, I, x, NULL, w, 0, NULL, 1, FOCAL_ERROR_NULL_POINTER, "targets", __LINE__);
            {
                focal_status s = call(loss, dt, &base, B, C, I, x, t, w, 0, NULL, NULL, NULL, NULL);
                CHECK(s == FOCAL_ERROR_NULL_POINTER && strstr(focal_last_error_message(), "loss") != NULL, "%s_%s: loss NULL: %d %s",
                      loss_names[loss], dtype_names[dt], (int)s, focal_last_error_message());
            }
            expect_failure(loss, dt, &base, -1, C, I, x, t, w, 0, NULL, 1, FOCAL_ERROR_INVALID_SHAPE, "batch", __LINE__);
            expect_failure(loss, dt, &base, B, -1, I, x, t, w, 0, NULL, 1, FOCAL_ERROR_INVALID_SHAPE, "classes", __LINE__);
            expect_failure(loss, dt, &base, B, C, -3, x, t, w, 0, NULL, 1, FOCAL_ERROR_INVALID_SHAPE, "inner", __LINE__);
            expect_failure(loss, dt, &base, INT64_C(1) << 40, INT64_C(1) << 20, INT64_C(1) << 8, x, t, NULL, 0, NULL, 1,
                           FOCAL_ERROR_INVALID_SHAPE, "", __LINE__);
            expect_failure(loss, dt, &base, INT64_MAX, 2, 1, x, t, NULL, 0, NULL, 1, FOCAL_ERROR_INVALID_SHAPE, "", __LINE__);
            /* Targets outside [0, 1] or NaN: the index named. */
            {
                static const double bad_t[] = {1.5, -0.25, NAN, INFINITY, -1e-6};
                static const size_t where[] = {7, 11, 3, 29, 0};
                for (k = 0; k < sizeof bad_t / sizeof bad_t[0]; ++k) {
                    void *tb = make_array(dt, tv, E);
                    char mention[32];
                    store(dt, tb, where[k], bad_t[k]);
                    if (dt == F16 && k == 4) store(dt, tb, where[k], -1e-4);
                    snprintf(mention, sizeof mention, "targets[%zu]", where[k]);
                    expect_failure(loss, dt, &base, B, C, I, x, tb, w, 0, NULL, 1, FOCAL_ERROR_TARGET_OUT_OF_RANGE, mention, __LINE__);
                    free(tb);
                }
            }
            /* Parameters out of range. */
            for (k = 0; k < sizeof bad_parameters / sizeof bad_parameters[0]; ++k) {
                const bad_parameter *bp = &bad_parameters[k];
                if (bp->loss != loss) continue;
                o = base;
                set_field(&o, loss, bp->field, bp->value);
                expect_failure(loss, dt, &o, B, C, I, x, t, w, 0, NULL, 1, bp->status, bp->name, __LINE__);
            }
            for (k = 0; k < sizeof good_edges / sizeof good_edges[0]; ++k) {
                const bad_parameter *bp = &good_edges[k];
                double out[1];
                focal_status s;
                if (bp->loss != loss) continue;
                o = base;
                set_field(&o, loss, bp->field, bp->value);
                if (loss == POLY && bp->field == 2) o.sig.gamma = 2.0;
                s = call(loss, dt, &o, B, C, I, x, t, w, 0, NULL, out, NULL, NULL);
                CHECK(s == FOCAL_OK, "%s_%s: admissible field %d = %.17g refused: %s", loss_names[loss], dtype_names[dt], bp->field,
                      bp->value, focal_last_error_message());
            }
            /* Options shared by every loss. */
            o = base; opts_reduction(&o, (focal_reduction)3);
            expect_failure(loss, dt, &o, B, C, I, x, t, w, 0, NULL, 1, FOCAL_ERROR_INVALID_REDUCTION, "reduction", __LINE__);
            o = base; opts_reduction(&o, (focal_reduction)-1);
            expect_failure(loss, dt, &o, B, C, I, x, t, w, 0, NULL, 1, FOCAL_ERROR_INVALID_REDUCTION, "reduction", __LINE__);
            o = base; opts_precision(&o, (focal_precision)2);
            expect_failure(loss, dt, &o, B, C, I, x, t, w, 0, NULL, 1, FOCAL_ERROR_INVALID_PRECISION, "precision", __LINE__);
            o = base; opts_threads(&o, -1);
            expect_failure(loss, dt, &o, B, C, I, x, t, w, 0, NULL, 1, FOCAL_ERROR_INVALID_THREAD_COUNT, "num_threads", __LINE__);
            o = base; opts_version(&o, 0);
            expect_failure(loss, dt, &o, B, C, I, x, t, w, 0, NULL, 1, FOCAL_ERROR_INVALID_OPTIONS_VERSION, "version", __LINE__);
            o = base; opts_version(&o, loss == POLY ? 5 : 2);
            expect_failure(loss, dt, &o, B, C, I, x, t, w, 0, NULL, 1, FOCAL_ERROR_INVALID_OPTIONS_VERSION, "version", __LINE__);
            o = base; opts_normalizer(&o, 1, 2.0);
            expect_failure(loss, dt, &o, B, C, I, x, t, w, 0, NULL, 1, FOCAL_ERROR_INVALID_NORMALIZER, "normalizer", __LINE__);
            {
                static const double bad_n[] = {0.0, -1.0, NAN, INFINITY};
                for (k = 0; k < 4; ++k) {
                    o = base; opts_reduction(&o, FOCAL_REDUCTION_MEAN); opts_normalizer(&o, 1, bad_n[k]);
                    expect_failure(loss, dt, &o, B, C, I, x, t, w, 0, NULL, 1, FOCAL_ERROR_INVALID_NORMALIZER, "normalizer", __LINE__);
                }
            }
            /* Weights: a bad one named (the first of two), per element and per position; unknown
             * layouts; stats of an unknown version. */
            {
                double tiny = dt == F64 ? -1e-300 : dt == F16 ? -1e-6 : -1e-30;
                double bad_w[5];
                int layout;
                bad_w[0] = -1.0; bad_w[1] = NAN; bad_w[2] = INFINITY; bad_w[3] = -INFINITY; bad_w[4] = tiny;
                for (layout = 0; layout < 2; ++layout) {
                    size_t nw = layout ? P : E;
                    for (k = 0; k < 5; ++k) {
                        void *wb = make_array(dt, wv, nw);
                        store(dt, wb, 5, bad_w[k]);
                        expect_failure(loss, dt, &base, B, C, I, x, t, wb, layout, NULL, 1, FOCAL_ERROR_INVALID_WEIGHT, "weights[5]", __LINE__);
                        store(dt, wb, 3, -2.0);
                        expect_failure(loss, dt, &base, B, C, I, x, t, wb, layout, NULL, 1, FOCAL_ERROR_INVALID_WEIGHT, "weights[3]", __LINE__);
                        free(wb);
                    }
                }
                expect_failure(loss, dt, &base, B, C, I, x, t, w, 2, NULL, 1, FOCAL_ERROR_INVALID_SHAPE, "layout", __LINE__);
                expect_failure(loss, dt, &base, B, C, I, x, t, NULL, -1, NULL, 1, FOCAL_ERROR_INVALID_SHAPE, "layout", __LINE__);
                expect_failure(loss, dt, &base, B, C, I, x, t, w, 0, NULL, 0, FOCAL_ERROR_INVALID_OPTIONS_VERSION, "stats", __LINE__);
                expect_failure(loss, dt, &base, B, C, I, x, t, w, 0, NULL, 2, FOCAL_ERROR_INVALID_OPTIONS_VERSION, "stats", __LINE__);
            }
            /* Overlaps. */
            for (kind = 0; kind <= 10; ++kind) overlap_case(loss, dt, kind, B, C, I, xv, tv);
            free(x); free(t); free(w);
        }
}

/* Poly-1 through the sigmoid and softmax functions: its range, label smoothing, and the
 * _grad_hess and _init_score functions that need 0. */
static void poly_fails(const char *what, focal_status s, const void *out, size_t n, int f64, int line) {
    size_t i;
    int untouched = 1;
    for (i = 0; i < n; ++i) if ((f64 ? ((const double *)out)[i] : (double)((const float *)out)[i]) != SENT) untouched = 0;
    ++checks;
    if (s != FOCAL_ERROR_INVALID_PARAMETER || !untouched || strstr(focal_last_error_message(), "poly1_epsilon") == NULL) {
        ++failures;
        fprintf(stderr, "%s:%d: FAILED %s: status %d (want %d), message \"%s\", outputs %s\n", __FILE__, line, what, (int)s,
                (int)FOCAL_ERROR_INVALID_PARAMETER, focal_last_error_message(), untouched ? "untouched" : "WRITTEN");
    }
}

static void test_poly_errors(void) {
    enum { N = 12, C = 3, R = 4 };
    static const double gammas[] = {2.0, 0.0, 0.5, 3.7};
    float x[N], t[N], l[N], g[N], h[N], wt[N];
    double xd[N], td[N], ld_[N], gd[N];
    int64_t y[R] = {0, 2, 1, -100}, lab[R] = {0, 3, 1, 2};
    size_t i, k, j;
    for (i = 0; i < N; ++i) { x[i] = (float)uniform(-3, 3); t[i] = (float)grid_targets[i % TARGETS]; xd[i] = x[i]; td[i] = t[i]; wt[i] = 1; }
    for (k = 0; k < sizeof gammas / sizeof gammas[0]; ++k) {
        double bound = -1.0 / (gammas[k] + 1.0);
        double bads[5];
        focal_sigmoid_options so;
        focal_softmax_options xo;
        bads[0] = nextafter(bound, -INFINITY); bads[1] = NAN; bads[2] = INFINITY; bads[3] = -INFINITY; bads[4] = bound - 1e-9;
        focal_sigmoid_options_init(&so, FOCAL_SIGMOID_OPTIONS_VERSION);
        focal_softmax_options_init(&xo, FOCAL_SOFTMAX_OPTIONS_VERSION);
        so.gamma = xo.gamma = gammas[k];
        xo.reduction = FOCAL_REDUCTION_NONE;
        /* The bound itself is admissible. */
        so.poly1_epsilon = xo.poly1_epsilon = bound;
        CHECK(focal_sigmoid_f32(&so, N, x, t, NULL, l, g) == FOCAL_OK, "focal_sigmoid_f32: poly1_epsilon = -1/(gamma + 1) = %.17g "
              "at gamma %g refused: %s", bound, gammas[k], focal_last_error_message());
        CHECK(focal_softmax_f32_i64(&xo, R, C, 1, x, y, NULL, l, g) == FOCAL_OK, "focal_softmax_f32_i64: poly1_epsilon = %.17g at "
              "gamma %g refused: %s", bound, gammas[k], focal_last_error_message());
        for (j = 0; j < 5; ++j) {
            char what[160];
            so.poly1_epsilon = xo.poly1_epsilon = bads[j];
            for (i = 0; i < N; ++i) { l[i] = g[i] = (float)SENT; ld_[i] = gd[i] = SENT; }
            snprintf(what, sizeof what, "focal_sigmoid_f32 gamma %g poly1_epsilon %.17g", gammas[k], bads[j]);
            poly_fails(what, focal_sigmoid_f32(&so, N, x, t, NULL, l, g), l, N, 0, __LINE__);
            snprintf(what, sizeof what, "focal_sigmoid_f64 gamma %g poly1_epsilon %.17g", gammas[k], bads[j]);
            poly_fails(what, focal_sigmoid_f64(&so, N, xd, td, NULL, ld_, gd), gd, N, 1, __LINE__);
            snprintf(what, sizeof what, "focal_softmax_f32_i64 gamma %g poly1_epsilon %.17g", gammas[k], bads[j]);
            poly_fails(what, focal_softmax_f32_i64(&xo, R, C, 1, x, y, NULL, l, g), g, N, 0, __LINE__);
            snprintf(what, sizeof what, "focal_sigmoid_labels_f32_i64 gamma %g poly1_epsilon %.17g", gammas[k], bads[j]);
            poly_fails(what, focal_sigmoid_labels_f32_i64(&so, R, C, 1, x, lab, NULL, l, g), g, N, 0, __LINE__);
            snprintf(what, sizeof what, "focal_softmax_weighted_f64_i64 gamma %g poly1_epsilon %.17g", gammas[k], bads[j]);
            poly_fails(what, focal_softmax_weighted_f64_i64(&xo, R, C, 1, xd, y, NULL, NULL, ld_, gd, NULL), gd, N, 1, __LINE__);
        }
    }
    /* With label smoothing: refused unless 0; label smoothing alone is fine. */
    {
        focal_softmax_options xo;
        focal_softmax_options_init(&xo, FOCAL_SOFTMAX_OPTIONS_VERSION);
        xo.reduction = FOCAL_REDUCTION_NONE;
        xo.label_smoothing = 0.1;
        xo.poly1_epsilon = 0.5;
        for (i = 0; i < N; ++i) l[i] = g[i] = (float)SENT;
        poly_fails("focal_softmax_f32_i64 with label_smoothing 0.1 and poly1_epsilon 0.5", focal_softmax_f32_i64(&xo, R, C, 1, x, y, NULL, l, g),
                   l, N, 0, __LINE__);
        xo.poly1_epsilon = -0.1;
        poly_fails("focal_softmax_f32_i64 with label_smoothing 0.1 and poly1_epsilon -0.1", focal_softmax_f32_i64(&xo, R, C, 1, x, y, NULL, l, g),
                   g, N, 0, __LINE__);
        xo.poly1_epsilon = 0.0;
        CHECK(focal_softmax_f32_i64(&xo, R, C, 1, x, y, NULL, l, g) == FOCAL_OK, "label smoothing with poly1_epsilon 0: %s",
              focal_last_error_message());
        xo.label_smoothing = 0.0;
        xo.poly1_epsilon = 0.5;
        CHECK(focal_softmax_f32_i64(&xo, R, C, 1, x, y, NULL, l, g) == FOCAL_OK, "poly1_epsilon without label smoothing: %s",
              focal_last_error_message());
    }
    /* The _grad_hess and _init_score functions need 0. */
    {
        focal_sigmoid_options so;
        focal_softmax_options xo;
        double scores[C], sd[N];
        focal_sigmoid_options_init(&so, FOCAL_SIGMOID_OPTIONS_VERSION);
        focal_softmax_options_init(&xo, FOCAL_SOFTMAX_OPTIONS_VERSION);
        for (j = 0; j < 2; ++j) {
            so.poly1_epsilon = xo.poly1_epsilon = j == 0 ? 0.5 : -0.1;
            for (i = 0; i < N; ++i) { l[i] = g[i] = h[i] = (float)SENT; gd[i] = sd[i] = SENT; }
            for (i = 0; i < C; ++i) scores[i] = SENT;
            poly_fails("focal_sigmoid_grad_hess_f32", focal_sigmoid_grad_hess_f32(&so, FOCAL_HESSIAN_EXACT, R, C, 1, x, t, wt, FOCAL_WEIGHTS_PER_ELEMENT, g, h),
                       g, N, 0, __LINE__);
            CHECK(h[0] == (float)SENT && h[N - 1] == (float)SENT, "focal_sigmoid_grad_hess_f32: hess written on error");
            poly_fails("focal_sigmoid_grad_hess_f64", focal_sigmoid_grad_hess_f64(&so, FOCAL_HESSIAN_CLIPPED, R, C, 1, xd, td, NULL, FOCAL_WEIGHTS_PER_ELEMENT, gd, sd),
                       sd, N, 1, __LINE__);
            poly_fails("focal_softmax_grad_hess_f32_i64", focal_softmax_grad_hess_f32_i64(&xo, FOCAL_HESSIAN_EXACT, R, C, 1, x, y, NULL, g, h),
                       h, N, 0, __LINE__);
            poly_fails("focal_softmax_grad_hess_f64_i64", focal_softmax_grad_hess_f64_i64(&xo, FOCAL_HESSIAN_APPROXIMATE, R, C, 1, xd, y, NULL, gd, sd),
                       gd, N, 1, __LINE__);
            poly_fails("focal_sigmoid_init_score_f32", focal_sigmoid_init_score_f32(&so, R, C, 1, t, NULL, FOCAL_WEIGHTS_PER_ELEMENT, (float *)(void *)l),
                       l, C, 0, __LINE__);
            poly_fails("focal_sigmoid_init_score_f64", focal_sigmoid_init_score_f64(&so, R, C, 1, td, NULL, FOCAL_WEIGHTS_PER_ELEMENT, scores),
                       scores, C, 1, __LINE__);
            poly_fails("focal_softmax_init_score_f64_i64", focal_softmax_init_score_f64_i64(&xo, R, C, 1, y, NULL, scores), scores, C, 1,
                       __LINE__);
        }
        so.poly1_epsilon = xo.poly1_epsilon = 0.0;
        CHECK(focal_sigmoid_grad_hess_f32(&so, FOCAL_HESSIAN_EXACT, R, C, 1, x, t, NULL, FOCAL_WEIGHTS_PER_ELEMENT, g, h) == FOCAL_OK &&
                  focal_softmax_grad_hess_f32_i64(&xo, FOCAL_HESSIAN_EXACT, R, C, 1, x, y, NULL, g, h) == FOCAL_OK &&
                  focal_sigmoid_init_score_f64(&so, R, C, 1, td, NULL, FOCAL_WEIGHTS_PER_ELEMENT, scores) == FOCAL_OK &&
                  focal_softmax_init_score_f64_i64(&xo, R, C, 1, y, NULL, scores) == FOCAL_OK,
              "poly1_epsilon 0 refused by a _grad_hess or _init_score function: %s", focal_last_error_message());
    }
}

/* ------------------------------------------------------------------ options */

static int all_bytes(const void *p, size_t n, unsigned char v) {
    size_t i;
    for (i = 0; i < n; ++i) if (((const unsigned char *)p)[i] != v) return 0;
    return 1;
}

/* Each _init: version 1 fills the documented defaults (= the INIT macro); an unknown version
 * (0, 2, 99) and NULL fail and write nothing. The sigmoid's version 4 and the softmax's
 * version 3 add poly1_epsilon = 0; their older versions leave its bytes alone. */
#define INIT_ERRORS(TYPE, INIT_FN)                                                                                  \
    do {                                                                                                            \
        static const uint32_t bad_versions_[] = {0, 2, 99};                                                          \
        size_t v_;                                                                                                  \
        TYPE o_;                                                                                                    \
        for (v_ = 0; v_ < 3; ++v_) {                                                                                \
            focal_status s_;                                                                                        \
            char mention_[32];                                                                                      \
            memset(&o_, 0x5a, sizeof o_);                                                                           \
            s_ = INIT_FN(&o_, bad_versions_[v_]);                                                                   \
            snprintf(mention_, sizeof mention_, "%u", (unsigned)bad_versions_[v_]);                                 \
            CHECK(s_ == FOCAL_ERROR_INVALID_OPTIONS_VERSION && all_bytes(&o_, sizeof o_, 0x5a) &&                 \
                      strstr(focal_last_error_message(), "version") != NULL &&                                    \
                      strstr(focal_last_error_message(), mention_) != NULL,                                         \
                  #INIT_FN "(version %u): status %d, \"%s\"", (unsigned)bad_versions_[v_], (int)s_,                 \
                  focal_last_error_message());                                                                      \
        }                                                                                                           \
        CHECK(INIT_FN(NULL, 1) == FOCAL_ERROR_NULL_POINTER, #INIT_FN "(NULL)");                                     \
    } while (0)

static void test_options(void) {
    {
        focal_sigmoid_star_options o, m = FOCAL_SIGMOID_STAR_OPTIONS_INIT;
        memset(&o, 0x5a, sizeof o);
        CHECK(focal_sigmoid_star_options_init(&o, FOCAL_SIGMOID_STAR_OPTIONS_VERSION) == FOCAL_OK, "init");
        CHECK(FOCAL_SIGMOID_STAR_OPTIONS_VERSION == 1 && o.version == 1 && o.reduction == FOCAL_REDUCTION_NONE && o.alpha == -1.0 &&
                  o.gamma == 1.0 && o.beta == 0.0 && o.use_normalizer == 0 && o.normalizer == 0.0 && o.num_threads == 0 &&
                  o.accumulate_grad == 0 && o.precision == FOCAL_PRECISION_EXACT,
              "focal_sigmoid_star_options defaults");
        CHECK(o.version == m.version && o.reduction == m.reduction && o.alpha == m.alpha && o.gamma == m.gamma && o.beta == m.beta &&
                  o.use_normalizer == m.use_normalizer && o.normalizer == m.normalizer && o.num_threads == m.num_threads &&
                  o.accumulate_grad == m.accumulate_grad && o.precision == m.precision,
              "FOCAL_SIGMOID_STAR_OPTIONS_INIT differs from _init");
        INIT_ERRORS(focal_sigmoid_star_options, focal_sigmoid_star_options_init);
    }
    {
        focal_asymmetric_options o, m = FOCAL_ASYMMETRIC_OPTIONS_INIT;
        memset(&o, 0x5a, sizeof o);
        CHECK(focal_asymmetric_options_init(&o, FOCAL_ASYMMETRIC_OPTIONS_VERSION) == FOCAL_OK, "init");
        CHECK(FOCAL_ASYMMETRIC_OPTIONS_VERSION == 1 && o.version == 1 && o.reduction == FOCAL_REDUCTION_NONE && o.gamma_pos == 1.0 &&
                  o.gamma_neg == 4.0 && o.margin == 0.05 && o.use_normalizer == 0 && o.normalizer == 0.0 && o.num_threads == 0 &&
                  o.accumulate_grad == 0 && o.precision == FOCAL_PRECISION_EXACT,
              "focal_asymmetric_options defaults");
        CHECK(o.version == m.version && o.reduction == m.reduction && o.gamma_pos == m.gamma_pos && o.gamma_neg == m.gamma_neg &&
                  o.margin == m.margin && o.use_normalizer == m.use_normalizer && o.normalizer == m.normalizer &&
                  o.num_threads == m.num_threads && o.accumulate_grad == m.accumulate_grad && o.precision == m.precision,
              "FOCAL_ASYMMETRIC_OPTIONS_INIT differs from _init");
        INIT_ERRORS(focal_asymmetric_options, focal_asymmetric_options_init);
    }
    {
        focal_quality_options o, m = FOCAL_QUALITY_OPTIONS_INIT;
        memset(&o, 0x5a, sizeof o);
        CHECK(focal_quality_options_init(&o, FOCAL_QUALITY_OPTIONS_VERSION) == FOCAL_OK, "init");
        CHECK(FOCAL_QUALITY_OPTIONS_VERSION == 1 && o.version == 1 && o.reduction == FOCAL_REDUCTION_NONE && o.beta == 2.0 &&
                  o.use_normalizer == 0 && o.normalizer == 0.0 && o.num_threads == 0 && o.accumulate_grad == 0 &&
                  o.precision == FOCAL_PRECISION_EXACT,
              "focal_quality_options defaults");
        CHECK(o.version == m.version && o.reduction == m.reduction && o.beta == m.beta && o.use_normalizer == m.use_normalizer &&
                  o.normalizer == m.normalizer && o.num_threads == m.num_threads && o.accumulate_grad == m.accumulate_grad &&
                  o.precision == m.precision,
              "FOCAL_QUALITY_OPTIONS_INIT differs from _init");
        INIT_ERRORS(focal_quality_options, focal_quality_options_init);
    }
    {
        focal_varifocal_options o, m = FOCAL_VARIFOCAL_OPTIONS_INIT;
        memset(&o, 0x5a, sizeof o);
        CHECK(focal_varifocal_options_init(&o, FOCAL_VARIFOCAL_OPTIONS_VERSION) == FOCAL_OK, "init");
        CHECK(FOCAL_VARIFOCAL_OPTIONS_VERSION == 1 && o.version == 1 && o.reduction == FOCAL_REDUCTION_NONE && o.alpha == 0.75 &&
                  o.gamma == 2.0 && o.iou_weighted == 1 && o.use_normalizer == 0 && o.normalizer == 0.0 && o.num_threads == 0 &&
                  o.accumulate_grad == 0 && o.precision == FOCAL_PRECISION_EXACT,
              "focal_varifocal_options defaults");
        CHECK(o.version == m.version && o.reduction == m.reduction && o.alpha == m.alpha && o.gamma == m.gamma &&
                  o.iou_weighted == m.iou_weighted && o.use_normalizer == m.use_normalizer && o.normalizer == m.normalizer &&
                  o.num_threads == m.num_threads && o.accumulate_grad == m.accumulate_grad && o.precision == m.precision,
              "FOCAL_VARIFOCAL_OPTIONS_INIT differs from _init");
        INIT_ERRORS(focal_varifocal_options, focal_varifocal_options_init);
    }
    /* The sigmoid's and softmax's new versions. */
    {
        focal_sigmoid_options o, m = FOCAL_SIGMOID_OPTIONS_INIT;
        focal_softmax_options x, n = FOCAL_SOFTMAX_OPTIONS_INIT;
        uint32_t v;
        const size_t at = offsetof(focal_sigmoid_options, poly1_epsilon), xat = offsetof(focal_softmax_options, poly1_epsilon);
        memset(&o, 0x5a, sizeof o);
        CHECK(FOCAL_SIGMOID_OPTIONS_VERSION == 4 && focal_sigmoid_options_init(&o, 4) == FOCAL_OK && o.version == 4 &&
                  o.poly1_epsilon == 0.0 && !signbit(o.poly1_epsilon) && o.ignore_index == -100 && o.alpha == 0.25 && o.gamma == 2.0,
              "focal_sigmoid_options version 4 defaults");
        CHECK(o.version == m.version && o.reduction == m.reduction && o.alpha == m.alpha && o.gamma == m.gamma &&
                  o.use_normalizer == m.use_normalizer && o.normalizer == m.normalizer && o.num_threads == m.num_threads &&
                  o.accumulate_grad == m.accumulate_grad && o.precision == m.precision && o.ignore_index == m.ignore_index &&
                  o.poly1_epsilon == m.poly1_epsilon,
              "FOCAL_SIGMOID_OPTIONS_INIT differs from _init");
        for (v = 1; v <= 3; ++v) {
            memset(&o, 0x5a, sizeof o);
            CHECK(focal_sigmoid_options_init(&o, v) == FOCAL_OK && o.version == v && all_bytes((const char *)&o + at, sizeof o - at, 0x5a),
                  "focal_sigmoid_options_init(version %u) writes poly1_epsilon", (unsigned)v);
        }
        memset(&o, 0x5a, sizeof o);
        CHECK(focal_sigmoid_options_init(&o, 5) == FOCAL_ERROR_INVALID_OPTIONS_VERSION && all_bytes(&o, sizeof o, 0x5a) &&
                  strstr(focal_last_error_message(), "5") != NULL,
              "focal_sigmoid_options_init(5): %s", focal_last_error_message());
        memset(&x, 0x5a, sizeof x);
        CHECK(FOCAL_SOFTMAX_OPTIONS_VERSION == 3 && focal_softmax_options_init(&x, 3) == FOCAL_OK && x.version == 3 &&
                  x.poly1_epsilon == 0.0 && x.reduction == FOCAL_REDUCTION_MEAN && x.label_smoothing == 0.0,
              "focal_softmax_options version 3 defaults");
        CHECK(x.version == n.version && x.reduction == n.reduction && x.gamma == n.gamma && x.alpha == n.alpha &&
                  x.ignore_index == n.ignore_index && x.label_smoothing == n.label_smoothing && x.use_normalizer == n.use_normalizer &&
                  x.normalizer == n.normalizer && x.num_threads == n.num_threads && x.accumulate_grad == n.accumulate_grad &&
                  x.precision == n.precision && x.poly1_epsilon == n.poly1_epsilon,
              "FOCAL_SOFTMAX_OPTIONS_INIT differs from _init");
        for (v = 1; v <= 2; ++v) {
            memset(&x, 0x5a, sizeof x);
            CHECK(focal_softmax_options_init(&x, v) == FOCAL_OK && x.version == v && all_bytes((const char *)&x + xat, sizeof x - xat, 0x5a),
                  "focal_softmax_options_init(version %u) writes poly1_epsilon", (unsigned)v);
        }
        memset(&x, 0x5a, sizeof x);
        CHECK(focal_softmax_options_init(&x, 4) == FOCAL_ERROR_INVALID_OPTIONS_VERSION && all_bytes(&x, sizeof x, 0x5a),
              "focal_softmax_options_init(4)");
    }
}

/* ------------------------------------------------------------------ Poly-1 = 0 is the focal loss */

/* The options as a caller compiled against the previous header declared them: the sigmoid's
 * version 3 and the softmax's version 2 (exactly their own size on the heap). */
typedef struct {
    uint32_t version; focal_reduction reduction; double alpha; double gamma; int32_t use_normalizer; double normalizer;
    int32_t num_threads; int32_t accumulate_grad; focal_precision precision; int64_t ignore_index;
} sigmoid_options_v3;
typedef struct {
    uint32_t version; focal_reduction reduction; double gamma; const double *alpha; int64_t ignore_index; double label_smoothing;
    int32_t use_normalizer; double normalizer; int32_t num_threads; int32_t accumulate_grad; focal_precision precision;
} softmax_options_v2;

/* The old functions with poly1_epsilon 0 and -0.0 (version 4 / 3), a current struct of the old
 * version with garbage where poly1_epsilon is (NaN bytes, 0x3F bytes: 0.49), and an old struct
 * on the heap: the same results, bit for bit, in both tiers. */
static void test_poly_zero(void) {
    enum { B = 6, C = 5, I = 4, E = B * C * I, P = B * I };
    static float x[E], t[E], w[E], l[6][E], g[6][E];
    static double xd[E], td[E], ldd[6][E], gd[6][E];
    static focal_f16 xh[E], th[E], lh[6][E], gh[6][E];
    int64_t y[P], lab[P];
    sigmoid_options_v3 *v3 = (sigmoid_options_v3 *)xmalloc(sizeof *v3);
    softmax_options_v2 *v2 = (softmax_options_v2 *)xmalloc(sizeof *v2);
    static const double class_weights[C] = {0.5, 1, 2, 0.25, 1.5};
    int tier, red, variant, fn;
    size_t i;
    CHECK(sizeof *v3 == offsetof(focal_sigmoid_options, poly1_epsilon) && sizeof *v2 == offsetof(focal_softmax_options, poly1_epsilon),
          "old struct sizes %zu %zu", sizeof *v3, sizeof *v2);
    for (i = 0; i < E; ++i) {
        x[i] = (float)(uniform(-1, 1) * (i % 9 == 0 ? 25 : 5));
        t[i] = i % 11 == 0 ? 1.0f : i % 13 == 0 ? 0.3f : 0.0f;
        w[i] = (float)uniform(0, 2);
        xd[i] = x[i]; td[i] = t[i];
        xh[i].bits = half_bits(F16, x[i]); th[i].bits = half_bits(F16, t[i]);
    }
    for (i = 0; i < P; ++i) { y[i] = i % 7 == 3 ? -100 : (int64_t)(i % C); lab[i] = i % 7 == 3 ? -100 : (int64_t)(i % (C + 1)); }
    for (tier = 0; tier < 2; ++tier)
        for (red = 0; red < 3; ++red)
            for (fn = 0; fn < 8; ++fn) {
                /* fn: 0 sigmoid f32, 1 sigmoid f64, 2 sigmoid f16, 3 labels f32_i64, 4 sigmoid weighted f32,
                 * 5 softmax f32_i64 (class weights), 6 softmax f64_i64, 7 softmax weighted f32_i64 */
                const int softmax = fn >= 5;
                const size_t outputs = red == 0 ? (softmax ? P : E) : 1;
                for (variant = 0; variant < 5; ++variant) {
                    focal_sigmoid_options so;
                    focal_softmax_options xo;
                    const focal_sigmoid_options *sp = &so;
                    const focal_softmax_options *xp = &xo;
                    focal_status s = FOCAL_OK;
                    focal_sigmoid_options_init(&so, FOCAL_SIGMOID_OPTIONS_VERSION);
                    focal_softmax_options_init(&xo, FOCAL_SOFTMAX_OPTIONS_VERSION);
                    if (variant == 2 || variant == 3) {
                        memset(&so, variant == 2 ? 0xFF : 0x3F, sizeof so);
                        memset(&xo, variant == 2 ? 0xFF : 0x3F, sizeof xo);
                        focal_sigmoid_options_init(&so, 3);
                        focal_softmax_options_init(&xo, 2);
                    }
                    so.reduction = xo.reduction = (focal_reduction)red;
                    so.precision = xo.precision = (focal_precision)tier;
                    so.num_threads = xo.num_threads = 1;
                    so.gamma = xo.gamma = 1.5;
                    xo.alpha = fn == 5 ? class_weights : NULL;
                    if (variant == 1) so.poly1_epsilon = xo.poly1_epsilon = -0.0;
                    if (variant == 4) {
                        focal_sigmoid_options_init((focal_sigmoid_options *)(void *)v3, 3);
                        focal_softmax_options_init((focal_softmax_options *)(void *)v2, 2);
                        v3->reduction = v2->reduction = (focal_reduction)red;
                        v3->precision = v2->precision = (focal_precision)tier;
                        v3->num_threads = v2->num_threads = 1;
                        v3->gamma = v2->gamma = 1.5;
                        v2->alpha = fn == 5 ? class_weights : NULL;
                        sp = (const focal_sigmoid_options *)(const void *)v3;
                        xp = (const focal_softmax_options *)(const void *)v2;
                    }
                    for (i = 0; i < E; ++i) { l[variant][i] = g[variant][i] = 7; ldd[variant][i] = gd[variant][i] = 7; lh[variant][i].bits = gh[variant][i].bits = 0x4700; }
                    switch (fn) {
                    case 0: s = focal_sigmoid_f32(sp, E, x, t, NULL, l[variant], g[variant]); break;
                    case 1: s = focal_sigmoid_f64(sp, E, xd, td, NULL, ldd[variant], gd[variant]); break;
                    case 2: s = focal_sigmoid_f16(sp, E, xh, th, NULL, lh[variant], gh[variant]); break;
                    case 3: s = focal_sigmoid_labels_f32_i64(sp, B, C, I, x, lab, NULL, l[variant], g[variant]); break;
                    case 4: s = focal_sigmoid_weighted_f32(sp, B, C, I, x, t, w, FOCAL_WEIGHTS_PER_ELEMENT, NULL, l[variant], g[variant], NULL); break;
                    case 5: s = focal_softmax_f32_i64(xp, B, C, I, x, y, NULL, l[variant], g[variant]); break;
                    case 6: s = focal_softmax_f64_i64(xp, B, C, I, xd, y, NULL, ldd[variant], gd[variant]); break;
                    default: s = focal_softmax_weighted_f32_i64(xp, B, C, I, x, y, w, NULL, l[variant], g[variant], NULL); break;
                    }
                    CHECK(s == FOCAL_OK, "poly1 zero: function %d variant %d tier %d: %s", fn, variant, tier, focal_last_error_message());
                    if (variant == 0) continue;
                    if (fn == 1 || fn == 6)
                        CHECK(memcmp(ldd[0], ldd[variant], outputs * 8) == 0 && memcmp(gd[0], gd[variant], sizeof gd[0]) == 0,
                              "function %d (f64) reduction %d tier %d: variant %d differs from poly1_epsilon 0", fn, red, tier, variant);
                    else if (fn == 2)
                        CHECK(memcmp(lh[0], lh[variant], outputs * 2) == 0 && memcmp(gh[0], gh[variant], sizeof gh[0]) == 0,
                              "function %d (f16) reduction %d tier %d: variant %d differs from poly1_epsilon 0", fn, red, tier, variant);
                    else
                        CHECK(memcmp(l[0], l[variant], outputs * 4) == 0 && memcmp(g[0], g[variant], sizeof g[0]) == 0,
                              "function %d reduction %d tier %d: variant %d (1 -0.0, 2 version-3/2 struct with NaN bytes after, "
                              "3 with 0x3F bytes after, 4 old struct on the heap) differs from poly1_epsilon 0", fn, red, tier, variant);
                }
            }
    free(v3); free(v2);
}

/* ------------------------------------------------------------------ Poly-1: labels, softmax, fast tier */

/* The labels functions with Poly-1: focal_sigmoid_f32 on the one-hot targets (ignored positions
 * left out), bit for bit, every reduction. */
static void test_poly_labels(void) {
    enum { B = 5, C = 4, I = 3, E = B * C * I, P = B * I };
    float x[E], onehot[E], lab_l[E], lab_g[E], ref_l[E], ref_g[E], kept_x[E], kept_t[E];
    int64_t y[P];
    size_t i, n, kept = 0;
    int red, k;
    static const double eps[] = {0.5, -1.0 / 3.0, 2.0};
    for (i = 0; i < P; ++i) y[i] = i == 4 ? -100 : (int64_t)(i % (C + 1));
    for (i = 0; i < E; ++i) {
        size_t pos = (i / (C * I)) * I + i % I, cls = (i / I) % C;
        x[i] = (float)uniform(-6, 6);
        onehot[i] = y[pos] == (int64_t)cls ? 1.0f : 0.0f;
        if (y[pos] != -100) { kept_x[kept] = x[i]; kept_t[kept] = onehot[i]; ++kept; }
    }
    for (k = 0; k < 3; ++k)
        for (red = 0; red < 3; ++red) {
            focal_sigmoid_options so;
            focal_sigmoid_options_init(&so, FOCAL_SIGMOID_OPTIONS_VERSION);
            so.reduction = (focal_reduction)red;
            so.poly1_epsilon = eps[k];
            so.num_threads = 1;
            CHECK(focal_sigmoid_labels_f32_i64(&so, B, C, I, x, y, NULL, lab_l, lab_g) == FOCAL_OK, "labels: %s", focal_last_error_message());
            CHECK(focal_sigmoid_f32(&so, (int64_t)kept, kept_x, kept_t, NULL, ref_l, ref_g) == FOCAL_OK, "sigmoid: %s",
                  focal_last_error_message());
            if (red != 0) {
                CHECK(memcmp(lab_l, ref_l, sizeof(float)) == 0, "labels with poly1_epsilon %g reduction %d: loss %.9g, one-hot %.9g", eps[k], red,
                      lab_l[0], ref_l[0]);
            }
            for (i = 0, n = 0; i < E; ++i) {
                size_t pos = (i / (C * I)) * I + i % I;
                if (y[pos] == -100) {
                    CHECK(lab_g[i] == 0 && (red != 0 || lab_l[i] == 0), "labels: ignored element %zu not 0", i);
                    continue;
                }
                CHECK((red != 0 || memcmp(&lab_l[i], &ref_l[n], 4) == 0) && memcmp(&lab_g[i], &ref_g[n], 4) == 0,
                      "labels with poly1_epsilon %g reduction %d: element %zu: %.9g %.9g, one-hot %.9g %.9g", eps[k], red, i, lab_l[i],
                      lab_g[i], ref_l[n], ref_g[n]);
                ++n;
            }
        }
}

/* Poly-1 on the softmax against ref_poly_softmax: (6, 5, 1) and (2, 5, 3), gamma 0, 0.5, 2,
 * epsilon at its bound, negative and positive, class weights or none; NONE per position and
 * MEAN (its divisor, sum of a_y over the positions not ignored, unchanged by Poly-1). */
static void test_poly_softmax(void) {
    enum { C = 5, E = 30 };
    static const double gammas[] = {0.0, 0.5, 2.0};
    static const double class_weights[C] = {0.5, 1, 2, 0.25, 1.5};
    static const int64_t shapes[2][2] = {{6, 1}, {2, 3}};
    double xv[E];
    int64_t y[6];
    int sh, dt, k, j, aw, tier;
    size_t i, c;
    for (i = 0; i < E; ++i) xv[i] = uniform(-5, 5);
    for (sh = 0; sh < 2; ++sh) {
        const int64_t batch = shapes[sh][0], inner = shapes[sh][1], positions = batch * inner;
        for (i = 0; i < (size_t)positions; ++i) y[i] = i == 4 ? -100 : (int64_t)((i * 3) % C);
        /* A confident row: position 1's target logit at 20. */
        xv[(size_t)((1 / inner) * C * inner + (size_t)y[1] * (size_t)inner + 1 % inner)] = 20;
        for (dt = F32; dt <= F64; ++dt)
            for (tier = 0; tier < (dt == F32 ? 2 : 1); ++tier)
                for (k = 0; k < 3; ++k)
                    for (j = 0; j < 4; ++j)
                        for (aw = 0; aw < 2; ++aw) {
                            const double gamma = gammas[k];
                            const double eps = j == 0 ? -1.0 / (gamma + 1.0) : j == 1 ? -0.2 : j == 2 ? 0.5 : 2.0;
                            const double *alpha = aw ? class_weights : NULL;
                            focal_softmax_options xo;
                            void *x = make_array(dt, xv, E), *l = fill_array(dt, E, SENT), *g = fill_array(dt, E, SENT);
                            double mean[1];
                            focal_stats st = FOCAL_STATS_INIT;
                            ld divisor = 0, sum = 0, sum_scale = 0;
                            /* The fast tier: its bound, 16 float32 ulps, and float arithmetic's cancellation;
                             * the exact tier as near() (1e-7 of the cancelling terms in float32). */
                            const ld rel = tier ? 16 * (ld)FLT_EPSILON : dt == F64 ? 1e-10L : 4e-7L;
                            const ld cancel = tier ? 8 * (ld)FLT_EPSILON : dt == F64 ? 8 * (ld)DBL_EPSILON : 1e-7L;
                            focal_status s;
                            focal_softmax_options_init(&xo, FOCAL_SOFTMAX_OPTIONS_VERSION);
                            xo.reduction = FOCAL_REDUCTION_NONE;
                            xo.gamma = gamma; xo.poly1_epsilon = eps; xo.alpha = alpha; xo.num_threads = 1;
                            xo.precision = (focal_precision)tier;
                            s = dt == F32 ? focal_softmax_f32_i64(&xo, batch, C, inner, (const float *)x, y, NULL, (float *)l, (float *)g)
                                          : focal_softmax_f64_i64(&xo, batch, C, inner, (const double *)x, y, NULL, (double *)l, (double *)g);
                            CHECK(s == FOCAL_OK, "softmax poly1: %s", focal_last_error_message());
                            for (i = 0; i < (size_t)positions && s == FOCAL_OK; ++i) {
                                size_t base = (i / (size_t)inner) * C * (size_t)inner + i % (size_t)inner;
                                ld row[C], rl, rls, rg[C], rgs[C];
                                if (y[i] == -100) {
                                    CHECK(load(dt, l, i) == 0, "ignored position's loss");
                                    for (c = 0; c < C; ++c) CHECK(load(dt, g, base + c * (size_t)inner) == 0, "ignored position's gradient");
                                    continue;
                                }
                                for (c = 0; c < C; ++c) row[c] = load(dt, x, base + c * (size_t)inner);
                                ref_poly_softmax(row, C, (int)y[i], alpha, gamma, eps, &rl, &rls, rg, rgs);
                                divisor += alpha ? alpha[y[i]] : 1.0;
                                sum += rl; sum_scale += rls;
                                CHECK(fabsl(load(dt, l, i) - rl) <= rel * fabsl(rl) + cancel * rls + 1e-300L,
                                      "focal_softmax_%s tier %d gamma %g poly1_epsilon %.17g alpha %s (%lld, %d, %lld): loss[%zu] %.17g want %.17Lg",
                                      dtype_names[dt], tier, gamma, eps, alpha ? "given" : "NULL", (long long)batch, C, (long long)inner, i,
                                      load(dt, l, i), rl);
                                for (c = 0; c < C; ++c) {
                                    double got = load(dt, g, base + c * (size_t)inner);
                                    CHECK(fabsl(got - rg[c]) <= rel * fabsl(rg[c]) + cancel * rgs[c] + 2 * F32_TRUE_MIN,
                                          "focal_softmax_%s tier %d gamma %g poly1_epsilon %.17g alpha %s: grad[%zu][%zu] %.17g want %.17Lg",
                                          dtype_names[dt], tier, gamma, eps, alpha ? "given" : "NULL", i, c, got, rg[c]);
                                }
                            }
                            /* MEAN: the divisor is unchanged by Poly-1 (stats through the weighted function). */
                            xo.reduction = FOCAL_REDUCTION_MEAN;
                            s = dt == F32 ? focal_softmax_weighted_f32_i64(&xo, batch, C, inner, (const float *)x, y, NULL, NULL, (float *)(void *)mean,
                                                                           (float *)g, &st)
                                          : focal_softmax_weighted_f64_i64(&xo, batch, C, inner, (const double *)x, y, NULL, NULL, mean,
                                                                           (double *)g, &st);
                            CHECK(s == FOCAL_OK && st.divisor == (double)divisor &&
                                      fabsl(load(dt, mean, 0) - sum / divisor) <= rel * fabsl(sum / divisor) + cancel * sum_scale / divisor,
                                  "focal_softmax_weighted_%s poly1 MEAN: %.17g want %.17Lg, divisor %g want %Lg", dtype_names[dt],
                                  load(dt, mean, 0), sum / divisor, st.divisor, divisor);
                            free(x); free(l); free(g);
                        }
    }
}

/* Where Poly-1's loss crosses 0 (alpha weighs the focal term only, so that a negative epsilon
 * can outweigh it): the reference's root x0 by bisection, the library at x0 and nearby, f64
 * and f32, within near()'s bounds (relative to the terms that cancel). */
static void test_poly_crossing(void) {
    static const double alphas[] = {0.25, 0.75, 0.0, 0.5};
    static const double gammas[] = {0.0, 0.5, 2.0};
    static const double targets[] = {0.27, 0.54, 0.73, 0.13};
    static const double offsets[] = {0, 1e-12, -1e-9, 1e-6, -1e-3, 3e-2};
    enum { M = sizeof offsets / sizeof offsets[0] };
    size_t a, gi, ti, k;
    int dt;
    for (a = 0; a < sizeof alphas / sizeof alphas[0]; ++a)
        for (gi = 0; gi < sizeof gammas / sizeof gammas[0]; ++gi)
            for (ti = 0; ti < sizeof targets / sizeof targets[0]; ++ti) {
                const double alpha = alphas[a], gamma = gammas[gi], eps = -1.0 / (gamma + 1.0);
                double lo = -6, hi, x0, xs[M], ts[M];
                int found = 0;
                /* A sign change on a coarse scan, then bisection in double. */
                for (hi = -6 + 0.05; hi <= 6 && !found; hi += 0.05) {
                    if ((ref_poly(lo, targets[ti], alpha, gamma, eps).loss < 0) != (ref_poly(hi, targets[ti], alpha, gamma, eps).loss < 0)) found = 1;
                    else lo = hi;
                }
                if (!found) continue;
                hi = lo + 0.05;
                for (k = 0; k < 200; ++k) {
                    double mid = 0.5 * (lo + hi);
                    if (mid == lo || mid == hi) break;
                    if ((ref_poly(mid, targets[ti], alpha, gamma, eps).loss < 0) == (ref_poly(lo, targets[ti], alpha, gamma, eps).loss < 0)) lo = mid;
                    else hi = mid;
                }
                x0 = lo;
                for (k = 0; k < M; ++k) { xs[k] = x0 + offsets[k]; ts[k] = targets[ti]; }
                for (dt = F32; dt <= F64; ++dt) {
                    fam_options o;
                    params p;
                    void *x = make_array(dt, xs, M), *t = make_array(dt, ts, M), *l = fill_array(dt, M, SENT), *g = fill_array(dt, M, SENT);
                    p.a = alpha; p.b = gamma; p.c = eps; p.flag = 0;
                    opts_make(&o, POLY, &p, FOCAL_REDUCTION_NONE);
                    CHECK(call(POLY, dt, &o, 1, M, 1, x, t, NULL, 0, NULL, l, g, NULL) == FOCAL_OK, "%s", focal_last_error_message());
                    for (k = 0; k < M; ++k) {
                        ref_t r = ref_poly(load(dt, x, k), load(dt, t, k), alpha, gamma, eps);
                        CHECK(near(dt, POLY, load(dt, l, k), r.loss, r.lscale) && near(dt, POLY, load(dt, g, k), r.grad, r.gscale),
                              "focal_sigmoid_weighted_%s alpha %g gamma %g poly1_epsilon %.17g near its loss's root, x %.17g t %g: loss %.17g want "
                              "%.17Lg (terms %.3Lg), grad %.17g want %.17Lg", dtype_names[dt], alpha, gamma, eps, load(dt, x, k), ts[k],
                              load(dt, l, k), r.loss, r.lscale, load(dt, g, k), r.grad);
                    }
                    free(x); free(t); free(l); free(g);
                }
            }
}

/* Poly-1 in the sigmoid's fast tier (f32, hard targets): within its bound, 16 float32 ulps,
 * plus float arithmetic's cancellation where a negative epsilon cancels the focal term. */
static void test_poly_fast(void) {
    double xg[GRID_MAX];
    size_t nx = grid_logits(xg), n = 2 * nx, i, k;
    float *x = (float *)xmalloc(n * sizeof(float)), *t = (float *)xmalloc(n * sizeof(float));
    float *l = (float *)xmalloc(n * sizeof(float)), *g = (float *)xmalloc(n * sizeof(float));
    for (i = 0; i < n; ++i) { x[i] = (float)xg[i % nx]; t[i] = i < nx ? 1.0f : 0.0f; }
    for (k = 0; k < param_counts[POLY]; ++k) {
        const params *p = &poly_sets[k];
        focal_sigmoid_options so;
        focal_sigmoid_options_init(&so, FOCAL_SIGMOID_OPTIONS_VERSION);
        so.alpha = p->a; so.gamma = p->b; so.poly1_epsilon = p->c; so.precision = FOCAL_PRECISION_FAST; so.num_threads = 1;
        if (p->b > 5) continue;
        CHECK(focal_sigmoid_f32(&so, (int64_t)n, x, t, NULL, l, g) == FOCAL_OK, "fast: %s", focal_last_error_message());
        for (i = 0; i < n; ++i) {
            ref_t r = ref_poly(x[i], t[i], p->a, p->b, p->c);
            const ld rel = 16 * (ld)FLT_EPSILON, cancel = 8 * (ld)FLT_EPSILON;
            CHECK(fabsl(l[i] - r.loss) <= rel * fabsl(r.loss) + cancel * r.lscale + 2 * F32_TRUE_MIN &&
                      fabsl(g[i] - r.grad) <= rel * fabsl(r.grad) + cancel * r.gscale + 2 * F32_TRUE_MIN,
                  "focal_sigmoid_f32 fast alpha %g gamma %g poly1_epsilon %.17g x %.9g t %g: loss %.9g want %.12Lg, grad %.9g want %.12Lg",
                  p->a, p->b, p->c, x[i], t[i], l[i], r.loss, g[i], r.grad);
        }
    }
    free(x); free(t); free(l); free(g);
}

/* ------------------------------------------------------------------ threads, 16-bit storage */

/* 131,072 elements (1024, 16, 8), weights (10% zero) per position or per element: loss,
 * gradient and stats bitwise identical for num_threads 1, 2, 3 and 0, every loss and dtype,
 * NONE and MEAN. The f16 and bf16 results against the f64 function on the widened inputs. */
#define BIG 131072
static void test_threads(void) {
    static double xv[BIG], tv[BIG], wv[BIG];
    static const int threads[] = {2, 3, 0};
    const int64_t b = 1024, c = 16, in = 8;
    size_t i;
    int loss, dt, red, th;
    for (i = 0; i < BIG; ++i) {
        xv[i] = uniform(-1, 1) * (uniform(0, 1) < 0.2 ? 20 : 4);
        tv[i] = i % 40 == 0 ? 1.0 : (i / 4096) % 5 == 3 ? floor(uniform(0, 8)) / 8 : i % 7 == 0 ? 0.3 : 0.0;
        wv[i] = uniform(0, 1) < 0.1 ? 0.0 : uniform(0, 2);
    }
    for (loss = 0; loss < LOSSES; ++loss)
        for (dt = 0; dt < DTYPES; ++dt) {
            const int layout = (loss + dt) % 2;
            const size_t nw = layout == FOCAL_WEIGHTS_PER_POSITION ? (size_t)(b * in) : BIG;
            void *x, *t, *w;
            if (light && dt != (loss % 2 ? F32 : F16) && dt != (loss % 2 ? BF16 : F64)) continue;
            x = make_array(dt, xv, BIG); t = make_array(dt, tv, BIG); w = make_array(dt, wv, nw);
            for (red = 0; red < 3; red += 2) {
                const size_t nl = red == 0 ? BIG : 1;
                void *l1 = fill_array(dt, nl, SENT), *g1 = fill_array(dt, BIG, SENT), *l2 = fill_array(dt, nl, SENT), *g2 = fill_array(dt, BIG, SENT);
                focal_stats s1 = FOCAL_STATS_INIT, s2 = FOCAL_STATS_INIT;
                fam_options o;
                opts_make(&o, loss, &param_sets[loss][0], (focal_reduction)red);
                CHECK(call(loss, dt, &o, b, c, in, x, t, w, layout, NULL, l1, g1, &s1) == FOCAL_OK, "%s_%s: %s", loss_names[loss],
                      dtype_names[dt], focal_last_error_message());
                for (th = 0; th < (light ? 1 : 3); ++th) {
                    size_t dl, dg;
                    opts_threads(&o, threads[th]);
                    CHECK(call(loss, dt, &o, b, c, in, x, t, w, layout, NULL, l2, g2, &s2) == FOCAL_OK, "%s_%s: %s", loss_names[loss],
                          dtype_names[dt], focal_last_error_message());
                    dl = first_difference(dt, l1, l2, nl);
                    dg = first_difference(dt, g1, g2, BIG);
                    CHECK(dl == nl && dg == BIG && same_stats(&s1, &s2),
                          "%s_%s reduction %d layout %d: num_threads 1 and %d differ: loss[%zu] %.17g vs %.17g, grad[%zu] %.17g vs %.17g, "
                          "stats %.17g %.17g %.17g vs %.17g %.17g %.17g", loss_names[loss], dtype_names[dt], red, layout, threads[th], dl,
                          dl < nl ? load(dt, l1, dl) : 0.0, dl < nl ? load(dt, l2, dl) : 0.0, dg, dg < BIG ? load(dt, g1, dg) : 0.0,
                          dg < BIG ? load(dt, g2, dg) : 0.0, s1.positives, s1.weight_sum, s1.divisor, s2.positives, s2.weight_sum, s2.divisor);
                }
                if (dt >= F16) {
                    /* Against the f64 function on the same (widened) values, rounded once. */
                    double *x64 = widen(dt, x, BIG), *t64 = widen(dt, t, BIG), *w64 = widen(dt, w, nw);
                    double *l64 = (double *)xmalloc(nl * sizeof(double)), *g64 = (double *)xmalloc(BIG * sizeof(double));
                    focal_stats s64 = FOCAL_STATS_INIT;
                    int bad = 0;
                    opts_threads(&o, 1);
                    CHECK(call(loss, F64, &o, b, c, in, x64, t64, w64, layout, NULL, l64, g64, &s64) == FOCAL_OK, "f64: %s",
                          focal_last_error_message());
                    for (i = 0; i < BIG; i += light ? 16 : 1) {
                        int ok = half_matches(dt, ((uint16_t *)g1)[i], g64[i]) && (i >= nl || half_matches(dt, ((uint16_t *)l1)[i], l64[i]));
                        if (!ok && bad++ < 5)
                            fprintf(stderr, "  %s_%s reduction %d element %zu (x %.9g t %.9g): loss %.9g grad %.9g; f64 on the same values: %.17g %.17g\n",
                                    loss_names[loss], dtype_names[dt], red, i, x64[i], t64[i], i < nl ? load(dt, l1, i) : 0.0, load(dt, g1, i),
                                    i < nl ? l64[i] : 0.0, g64[i]);
                        ++checks;
                        if (!ok) ++failures;
                    }
                    CHECK(sums_agree(s1.positives, s64.positives) && sums_agree(s1.weight_sum, s64.weight_sum) && s1.divisor == s64.divisor,
                          "%s_%s stats differ from f64's", loss_names[loss], dtype_names[dt]);
                    free(x64); free(t64); free(w64); free(l64); free(g64);
                }
                free(l1); free(g1); free(l2); free(g2);
            }
            free(x); free(t); free(w);
        }
}

/* The 16-bit functions against the f64 function on the widened inputs, on the grid (infinities
 * included) and with an upstream gradient, SUM and MEAN, a normalizer, accumulation. */
static void test_half(void) {
    enum { N = 512 };
    double xv[N], tv[N], wv[N], uv[N], av[N];
    int loss, dt, red;
    size_t i, k;
    for (i = 0; i < N; ++i) {
        xv[i] = i < 8 ? (i % 2 ? -INFINITY : INFINITY) : i % 5 == 0 ? uniform(-60, 60) : uniform(-12, 12);
        tv[i] = i % 9 == 0 ? uniform(0, 1) : grid_targets[i % TARGETS];
        wv[i] = i % 13 == 0 ? 0.0 : uniform(0, 3);
        uv[i] = uniform(-2, 2);
        av[i] = uniform(-1, 1);
    }
    for (loss = 0; loss < LOSSES; ++loss)
        for (k = 0; k < param_counts[loss]; ++k)
            for (dt = F16; dt <= BF16; ++dt)
                for (red = 0; red < 4; ++red) {
                    const params *p = &param_sets[loss][k];
                    const size_t nl = red == 0 ? N : 1;
                    void *x = make_array(dt, xv, N), *t = make_array(dt, tv, N), *w = make_array(dt, wv, N), *u = make_array(dt, uv, nl);
                    void *l = fill_array(dt, N, SENT), *g = make_array(dt, av, N);
                    double *x64 = widen(dt, x, N), *t64 = widen(dt, t, N), *w64 = widen(dt, w, N), *u64 = widen(dt, u, nl);
                    double *l64 = (double *)xmalloc(N * sizeof(double)), *g64 = widen(dt, g, N);
                    fam_options o;
                    int bad = 0;
                    char text_[96];
                    params_text(loss, p, text_, sizeof text_);
                    opts_make(&o, loss, p, red == 0 ? FOCAL_REDUCTION_NONE : red == 1 ? FOCAL_REDUCTION_SUM : FOCAL_REDUCTION_MEAN);
                    opts_normalizer(&o, red == 3, red == 3 ? 3.0 : 0.0);
                    opts_accumulate(&o, red % 2);
                    CHECK(call(loss, dt, &o, 1, N, 1, x, t, w, 0, u, l, g, NULL) == FOCAL_OK &&
                              call(loss, F64, &o, 1, N, 1, x64, t64, w64, 0, u64, l64, g64, NULL) == FOCAL_OK,
                          "%s_%s: %s", loss_names[loss], dtype_names[dt], focal_last_error_message());
                    for (i = 0; i < N; ++i) {
                        int ok = half_matches(dt, ((uint16_t *)g)[i], g64[i]) && (i >= nl || half_matches(dt, ((uint16_t *)l)[i], l64[i]));
                        if (!ok && bad++ < 4)
                            fprintf(stderr, "  %s_%s (%s) reduction %d element %zu (x %.9g t %.9g w %g): loss %.9g grad %.9g; f64 on the same "
                                    "values: %.17g %.17g\n", loss_names[loss], dtype_names[dt], text_, red, i, x64[i], t64[i], w64[i],
                                    i < nl ? load(dt, l, i) : 0.0, load(dt, g, i), i < nl ? l64[i] : 0.0, g64[i]);
                        ++checks;
                        if (!ok) ++failures;
                    }
                    /* The four family losses compute in double in both tiers: the fast tier bit for bit. */
                    if (loss != POLY) {
                        void *l2 = fill_array(dt, N, SENT), *g2 = make_array(dt, av, N), *g1 = make_array(dt, av, N);
                        opts_precision(&o, FOCAL_PRECISION_FAST);
                        CHECK(call(loss, dt, &o, 1, N, 1, x, t, w, 0, u, l2, g2, NULL) == FOCAL_OK, "%s", focal_last_error_message());
                        opts_precision(&o, FOCAL_PRECISION_EXACT);
                        CHECK(call(loss, dt, &o, 1, N, 1, x, t, w, 0, u, l, g1, NULL) == FOCAL_OK, "%s", focal_last_error_message());
                        CHECK(first_difference(dt, l, l2, nl) == nl && first_difference(dt, g1, g2, N) == N,
                              "%s_%s (%s) reduction %d: FOCAL_PRECISION_FAST differs from the exact tier", loss_names[loss], dtype_names[dt],
                              text_, red);
                        free(l2); free(g2); free(g1);
                    }
                    free(x); free(t); free(w); free(u); free(l); free(g);
                    free(x64); free(t64); free(w64); free(u64); free(l64); free(g64);
                }
}

int main(int argc, char **argv) {
    int loss;
    light = argc > 1 && strcmp(argv[1], "--light") == 0;
    test_status_and_references();
    test_grid();
    test_limits();
    test_huge_and_cusp();
    test_nan();
    test_reductions();
    test_errors();
    test_poly_errors();
    test_options();
    test_poly_zero();
    test_poly_labels();
    test_poly_softmax();
    test_poly_crossing();
    test_poly_fast();
    test_half();
    test_threads();
    for (loss = 0; loss < LOSSES; ++loss)
        printf("%s: worst error beyond the cancellation allowance: f64 %.3g relative, f32 %.3g relative\n", loss_names[loss],
               worst_f64[loss], worst_f32[loss]);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
