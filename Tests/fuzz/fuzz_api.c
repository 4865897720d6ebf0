/*
 * fuzz_api.c: a libFuzzer target for the C API of include/focalloss.h.
 *
 * Random bytes become calls: which function, sizes (small and real, or 0, negative, or
 * overflowing), options (NaN/Inf/negative gamma, alpha, smoothing, normalizer; unknown
 * reductions and struct versions; thread counts), logits (including NaN, +-Inf, +-1e30,
 * +-1e4, subnormals), targets (in range, ignored, out of range), NULL pointers.
 *
 * The _weighted functions (first byte 0xF0-0xF7; no seed before them started so): weights
 * from the bytes (0, negative, NaN, +-inf, -0.0, NULL), a layout byte (per element, per
 * position, unknown values), stats valid, NULL, of a bad version, or over another buffer.
 *
 * Invariants, on every input:
 *  - no crash, no sanitizer report (built with ASan + UBSan against an ASan-built library);
 *  - nothing is written outside the outputs: guard zones around every output stay intact;
 *  - on an error: every output is bitwise untouched, the status has a name, and the
 *    message is non-empty;
 *  - on FOCAL_OK: the outputs are finite wherever the logits (the softmax row) are finite, and
 *    the gradient is finite wherever a limit exists (no NaN; softmax: no +inf, not all -inf),
 *    except a mean over zero total weight, which is NaN by contract.
 *  - weighted calls: an unknown layout, stats version or a stats struct over another buffer
 *    is an error; a bad weight where weights are read (not at an ignored position) is an
 *    error, FOCAL_ERROR_INVALID_WEIGHT only with such a weight; on success a weight of 0 gives
 *    loss 0 and gradient 0 (left as it was when accumulating), and the stats are the
 *    header's sums (positives, weight_sum, divisor); on error the stats are untouched.
 *
 * The 16-bit twins (the _f16 and _bf16 functions): after a float32 call (f64 bit clear) and its
 * checks, when the input's last byte was left unread by that call and is 1 (f16) or 2 (bf16),
 * the same function of that storage type runs with the same options, sizes, NULL choices,
 * layout and stats mode, on the float32 inputs rounded to the type (to nearest even, NaN stays
 * NaN), into guarded 16-bit outputs. No seed from before the twins ends so: each makes the same
 * calls and checks as before. Checked besides the invariants above (on the 16-bit values):
 *  - the float32 call's status, except where the rounding changes validity: a weight the call
 *    reads valid in one type only (f16 rounds -1e-30 to -0: one status may then be
 *    FOCAL_ERROR_INVALID_WEIGHT and the other another error, or FOCAL_OK), sizes whose float32
 *    bytes exceed the address space (half as many bytes may pass the shape check and fail
 *    later), the stats over 16-bit targets or weights (their version bytes cover two
 *    elements; still an error);
 *  - the f64 function on the same (rounded) values gives the same status and, on success, the
 *    reference: every loss and gradient within 2 ulps of the 16-bit type (2 smallest subnormals
 *    below its normal range), NaN exactly where it is NaN, an infinity where it is one, and a
 *    value beyond the type's range as that infinity or the largest finite value. The float32
 *    results are no reference: rounding a logit to 16 bits moves a confident element's loss by
 *    many 16-bit ulps. A 16-bit loss or gradient may overflow where f64's is finite (a softmax
 *    gradient with alpha and weights of 100 passes 65504), so finiteness is required where the
 *    f64 gradient is finite and rounds to a finite value (always in bf16);
 *  - weight 0 and ignored positions: loss 0, gradient 0 (left as it was when accumulating);
 *    the stats are the header's sums of the 16-bit values.
 *
 * The gradient-boosting functions (the _grad_hess and _init_score ones): after the small
 * functions (first byte 0xF8-0xFF) have read their seven bytes, any further byte starts one
 * such call (no seed from before them is longer than seven bytes): which of the ten functions,
 * the Hessian mode (sometimes unknown), the weights layout, sizes, the options the call reads
 * from the tables above (precision and label smoothing included; version, NULL options), the
 * fields it does not read arbitrary (unknown values included), logits, targets or labels,
 * weights (NULL or given), grad and hess wanted or NULL, NULL arrays, an output over another
 * buffer. Checked:
 *  - the invariants above: no write outside an output, nothing written on error (an input
 *    under an output included), a message and a named status;
 *  - each error status is one the header gives and its cause is present (an unknown Hessian
 *    mode for FOCAL_ERROR_INVALID_HESSIAN, a weight the call reads for _INVALID_WEIGHT, ...),
 *    and a call with any such cause fails;
 *  - grad_hess: the weighted loss call (reduction none, grad_loss NULL; the softmax's exact
 *    tier) accepts the same calls and gives the gradient bit for bit; on success every element
 *    is written: 0 and 0 for a weight of 0 (an ignored position), NaN and NaN for a NaN logit
 *    (a softmax row with NaN or +inf), finite otherwise (infinite logits included), APPROXIMATE
 *    >= 0, CLIPPED >= the weight times FOCAL_HESSIAN_FLOOR;
 *  - init scores: NaN where nothing weighs, -inf where nothing pulls the margin up, +inf where
 *    nothing pulls it down, finite otherwise; the softmax's log-sum-exp 0; at gamma 0 the
 *    closed forms (the log odds of the weighted mean target, the log class frequencies).
 * cc -DFUZZ_TRACE prints each gradient-boosting call and its status.
 *
 * The focal family and Poly-1 (issue 14): after the small functions' seven bytes, a next byte of
 * 0x80 or more (no seed from before has one there; the gradient-boosting seeds start with 0 to
 * 9) starts one call of focal_sigmoid_star_*, focal_asymmetric_*, focal_quality_*,
 * focal_varifocal_*, or, with poly1_epsilon from a table (valid, at its bound -1 / (gamma + 1),
 * below it, NaN, +-inf), focal_sigmoid_weighted_* or focal_softmax_weighted_*_i64, in f32, f64,
 * f16 or bf16: each loss's parameters from tables of valid and invalid values, the shared
 * options (reduction, normalizer, thread count, precision, struct version, NULL options),
 * logits, targets (labels), weights per element or per position, an upstream gradient,
 * accumulation, stats (valid, NULL, of a bad version, over the loss or the logits), NULL arrays
 * and outputs over inputs or each other. Checked:
 *  - the invariants above: no write outside an output, nothing written on error (an input under
 *    an output included), a message and a named status; each error status one the header gives,
 *    its cause present (FOCAL_ERROR_INVALID_PARAMETER naming beta, margin or poly1_epsilon),
 *    and a call with any such cause fails;
 *  - on success: a weight of 0 (an ignored position) gives loss 0 and gradient 0 (left as it
 *    was when accumulating); a loss of NONE is not NaN where its logit is not; every gradient
 *    written; the stats' sums; the same call on one thread bit for bit; poly1_epsilon 0 bit for
 *    bit the previous struct version (3 for the sigmoid, 2 for the softmax, which has no such
 *    field); poly1_epsilon other than 0 refused by the _grad_hess functions with
 *    FOCAL_ERROR_INVALID_PARAMETER, nothing written;
 *  - the f64 function on the same (widened) values: the same status, a gradient finite wherever
 *    a limit exists and a loss finite at finite logits (NONE); the four family losses' f32
 *    results within 2 float32 ulps of it and every 16-bit result within 2 ulps of its type
 *    (the sigmoid's and softmax's float32 and fast-tier results are not compared: see there).
 * cc -DFUZZ_DUMP prints a family call's inputs and results next to f64's.
 *
 * Build and run: `make fuzz FUZZ_SECONDS=600` (seed corpus in Tests/fuzz/corpus).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "focalloss.h"

#define MAX_ELEMENTS 2048
#define GUARD 16

/* ------------------------------------------------------------------ byte reader */

typedef struct {
    const uint8_t *data;
    size_t size, pos;
} reader;

static uint8_t byte(reader *r) { return r->pos < r->size ? r->data[r->pos++] : 0; }

static uint32_t u32(reader *r) {
    uint32_t v = 0;
    int i;
    for (i = 0; i < 4; ++i) v = (v << 8) | byte(r);
    return v;
}

static double unit(reader *r) { return (double)u32(r) / 4294967296.0; }

static const double special[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, 0.25, 2.0, 3.7, 1e-8, -1e-8, 20.0, -20.0, 88.0, -88.0, 100.0, -100.0,
    1e4, -1e4, 1e30, -1e30, 4.9e-324, 1.17549435e-38, 1e-45, 1e300, -1e300,
};
#define SPECIALS (sizeof special / sizeof special[0])

/* A logit: mostly ordinary, sometimes special, sometimes NaN/Inf. */
static double logit(reader *r) {
    uint8_t k = byte(r);
    if (k < 160) return (unit(r) - 0.5) * 24.0;
    if (k < 230) return special[byte(r) % SPECIALS];
    if (k < 243) return NAN;
    return k & 1 ? INFINITY : -INFINITY;
}

/* A parameter: from a table of valid and invalid values. */
static double parameter(reader *r, const double *table, size_t n) { return table[byte(r) % n]; }

static const double alphas[] = {0.25, 0.25, 0.5, 0.0, 1.0, -1.0, 0.75, 1.5, -0.5, NAN, INFINITY, 1e-300};
static const double gammas[] = {2.0, 2.0, 0.0, 0.5, 1.0, 3.7, 64.0, 65.0, 1e10, -1.0, NAN, INFINITY, -INFINITY};
static const double smoothings[] = {0.0, 0.0, 0.1, 1.0, 0.5, -0.1, 1.5, NAN};
static const double normalizers[] = {2.0, 0.5, 7.0, 1e6, 0.0, -1.0, NAN, INFINITY};
static const double weights[] = {1.0, 0.5, 2.0, 0.0, 100.0, 0.25, -1.0, NAN, INFINITY};
static const double upstreams[] = {1.0, -1.0, 0.5, 2.0, 0.0, 1e-3};
/* The _weighted functions' weights: mostly valid (zeros included), sometimes not. -0.0 is a
 * weight >= 0; 1e-300 is valid in f64 and 0 in f32; -1e-30 invalid in both. */
static const double good_weights[] = {1.0, 0.5, 2.0, 0.0, 100.0, 0.25, 1e-3, 3.0};
static const double odd_weights[] = {-1.0, NAN, INFINITY, -INFINITY, -0.0, 1e-300, -1e-30};
static const uint32_t stats_versions[] = {0, 2, 99, 0xFFFFFFFFu, FOCAL_STATS_VERSION};

/* A size: mostly small and real, sometimes 0, negative or beyond any memory. */
static int64_t size_value(reader *r, int64_t small_max) {
    uint8_t k = byte(r);
    if (k < 200) return (int64_t)(byte(r) % (small_max + 1));
    switch (k % 6) {
    case 0: return 0;
    case 1: return -1;
    case 2: return -(int64_t)(byte(r) + 2);
    case 3: return INT64_MAX;
    case 4: return INT64_C(1) << (40 + byte(r) % 23);
    default: return INT64_MAX / 4 + 1;
    }
}

/* ------------------------------------------------------------------ guarded buffers */

/* An output of n elements of `width` bytes between two guard zones, filled with `fill`. */
typedef struct {
    unsigned char *block;
    size_t n, width;
    unsigned char fill[8];
} guarded;

static const unsigned char guard_byte = 0xA5;

static void guarded_make(guarded *g, size_t n, size_t width, double value) {
    size_t i;
    float f = (float)value;
    g->n = n;
    g->width = width;
    g->block = (unsigned char *)malloc(2 * GUARD + n * width + 1);
    memset(g->block, guard_byte, 2 * GUARD + n * width + 1);
    if (width == 4) memcpy(g->fill, &f, 4); else memcpy(g->fill, &value, 8);
    for (i = 0; i < n; ++i) memcpy(g->block + GUARD + i * width, g->fill, width);
}

static void *guarded_data(guarded *g) { return g->block + GUARD; }

static int guards_intact(const guarded *g) {
    size_t i, end = GUARD + g->n * g->width;
    for (i = 0; i < GUARD; ++i) if (g->block[i] != guard_byte || g->block[end + i] != guard_byte) return 0;
    return 1;
}

static int untouched(const guarded *g) {
    size_t i;
    for (i = 0; i < g->n; ++i) if (memcmp(g->block + GUARD + i * g->width, g->fill, g->width) != 0) return 0;
    return 1;
}

static double element(const guarded *g, size_t i) {
    float f;
    double d;
    if (g->width == 4) { memcpy(&f, g->block + GUARD + i * 4, 4); return f; }
    memcpy(&d, g->block + GUARD + i * 8, 8);
    return d;
}

/* What the current call was, printed when an invariant fails. */
static char current_call[512];

static void fail(const char *what) {
    fprintf(stderr, "fuzz invariant violated: %s\n  call: %s\n  last message: %s\n", what, current_call,
            focal_last_error_message());
    abort();
}

/* ------------------------------------------------------------------ the target */

/* A weight as stored: valid when finite and >= 0. */
static int weight_ok(double w) { return isfinite(w) && w >= 0; }

static double stored(const void *p, int f64, size_t i) { return f64 ? ((const double *)p)[i] : ((const float *)p)[i]; }
static int64_t label_at(const void *t, int i32, size_t i) { return i32 ? ((const int32_t *)t)[i] : ((const int64_t *)t)[i]; }

/* Equal, or within 1e-9 relative (the library may sum in another order). */
static int sums_agree(double got, double want) { return got == want || fabs(got - want) <= 1e-9 * fabs(want); }

/* ------------------------------------------------------------------ the 16-bit twins */

/* The twin of a float32 call: the same function with f16 or bf16 storage (focal_f16,
 * focal_bf16: a uint16_t bit pattern), on the float32 call's inputs rounded to the 16-bit type,
 * with the same options, sizes, NULL choices, layout and stats mode. Its reference is the f64
 * function on the same (rounded) values: the float32 call's own inputs are not representable in
 * the 16-bit type, and rounding a logit moves a confident element's loss by many 16-bit ulps. */
enum { TWIN_NONE = 0, TWIN_F16 = 1, TWIN_BF16 = 2 };

/* The 16-bit pattern nearest to f (ties to even); NaN stays NaN (quiet, sign kept). */
static uint16_t half_from_float(int type, float f) {
    uint32_t u, a;
    uint16_t sign;
    memcpy(&u, &f, sizeof u);
    sign = (uint16_t)((u >> 16) & 0x8000u);
    a = u & 0x7FFFFFFFu;
    if (type == TWIN_BF16) {
        if (a > 0x7F800000u) return (uint16_t)((u >> 16) | 0x0040u);
        return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);  /* carries into the exponent, to inf */
    }
    if (a > 0x7F800000u) return (uint16_t)(sign | 0x7E00u | ((a >> 13) & 0x3FFu));
    if (a >= 0x477FF000u) return (uint16_t)(sign | 0x7C00u);  /* 65520 and up (infinity included) */
    if (a >= 0x38800000u) {                                   /* 2^-14 and up: normal */
        uint32_t m = a - 0x38000000u;                         /* rebias the exponent, 127 -> 15 */
        return (uint16_t)(sign | ((m + 0xFFFu + ((m >> 13) & 1u)) >> 13));
    }
    /* Subnormal (or 0): multiples of 2^-24. The scaling is exact; rintf rounds to even; 1024 is
     * the pattern of 2^-14. */
    return (uint16_t)(sign | (uint16_t)rintf(fabsf(f) * 16777216.0f));
}

static double half_to_double(int type, uint16_t bits) {
    if (type == TWIN_BF16) {
        uint32_t u = (uint32_t)bits << 16;
        float f;
        memcpy(&f, &u, sizeof f);
        return f;
    }
    {
        int exponent = (bits >> 10) & 0x1F, fraction = bits & 0x3FF;
        double v = exponent == 0 ? ldexp(fraction, -24)
                 : exponent == 31 ? (fraction ? NAN : INFINITY)
                 : ldexp(fraction + 1024, exponent - 25);
        return bits >> 15 ? -v : v;
    }
}

static uint16_t half_largest(int type) { return type == TWIN_F16 ? 0x7BFF : 0x7F7F; }

/* The spacing of the 16-bit type at |v| rounded to it (the smallest subnormal below the normal
 * range; at the top of a binade, the larger spacing; beyond the range, the top spacing). */
static double half_spacing(int type, double v) {
    uint16_t r = (uint16_t)(half_from_float(type, (float)fabs(v)) & 0x7FFF), top = half_largest(type);
    if (r >= top) return half_to_double(type, top) - half_to_double(type, (uint16_t)(top - 1));
    return half_to_double(type, (uint16_t)(r + 1)) - half_to_double(type, r);
}

/* A 16-bit result against the f64 reference on the same values: NaN with NaN, an infinity with
 * itself, a value beyond the 16-bit range with that infinity or the largest finite value of its
 * sign, anything else within 2 ulps of the 16-bit type (in the subnormal range: 2 smallest
 * subnormals). The library promises 1 ulp of the exact value; f64's error is far below that. */
static int half_agrees(int type, uint16_t got, double want) {
    double g = half_to_double(type, got);
    if (isnan(want) || isnan(g)) return isnan(want) && isnan(g);
    if (isinf(want)) return g == want;
    if (isinf(half_to_double(type, half_from_float(type, (float)want))))
        return (g > 0) == (want > 0) && fabs(g) >= half_to_double(type, half_largest(type));
    return fabs(g - want) <= 2 * half_spacing(type, want);
}

/* n values of a float array rounded to the type, in at least sizeof(focal_stats) bytes (so that
 * the stats can lie over it as over the float array); NULL stays NULL. */
static uint16_t *half_copy(int type, const float *src, size_t n) {
    uint16_t *h;
    size_t i;
    if (src == NULL) return NULL;
    h = (uint16_t *)malloc(n * 2 > sizeof(focal_stats) ? n * 2 : sizeof(focal_stats));
    memset(h, 0, n * 2 > sizeof(focal_stats) ? n * 2 : sizeof(focal_stats));
    for (i = 0; i < n; ++i) h[i] = half_from_float(type, src[i]);
    return h;
}

static double *half_widen(int type, const uint16_t *h, size_t n) {
    double *d;
    size_t i;
    if (h == NULL) return NULL;
    d = (double *)malloc((n ? n : 1) * sizeof(double));
    for (i = 0; i < n; ++i) d[i] = half_to_double(type, h[i]);
    return d;
}

static void guarded_make_half(guarded *g, size_t n, uint16_t fill) {
    size_t i;
    g->n = n;
    g->width = 2;
    g->block = (unsigned char *)malloc(2 * GUARD + n * 2 + 1);
    memset(g->block, guard_byte, 2 * GUARD + n * 2 + 1);
    memcpy(g->fill, &fill, 2);
    for (i = 0; i < n; ++i) memcpy(g->block + GUARD + i * 2, g->fill, 2);
}

static uint16_t half_at(const guarded *g, size_t i) {
    uint16_t h;
    memcpy(&h, g->block + GUARD + i * 2, 2);
    return h;
}

/* The float32 call, as the target set it up (after it ran). */
typedef struct {
    int type;  /* TWIN_F16 or TWIN_BF16 */
    int softmax, labels, weighted, i32, want_grad, accumulate, nulls;
    int64_t count, batch, classes, inner, positions, ignore, layout;
    size_t elements, outputs_n, weights_n;
    int real_sizes, empty_sigmoid, layout_ok, stats_mode, stats_target, stats_over, bad_weight_read;
    uint32_t stats_version;
    const focal_sigmoid_options *so;
    const focal_softmax_options *xo;
    const float *x, *t, *w, *up;  /* t: the sigmoid's float targets only */
    void *int_targets;            /* the labels' and softmax's integer targets */
    focal_status status;
} float32_call;

/* One call of the family of `c` in storage S (f16, bf16, f64) of type TY. */
#define CALL_FAMILY(result, S, TY, X, T, W, U, L, G, ST)                                                                \
    do {                                                                                                                \
        focal_weights_layout wl_ = (focal_weights_layout)c->layout;                                                    \
        if (c->weighted && c->softmax)                                                                                  \
            result = c->i32 ? focal_softmax_weighted_##S##_i32(c->xo, c->batch, c->classes, c->inner, (const TY *)(X),  \
                                                                (const int32_t *)(T), (const TY *)(W), (const TY *)(U),   \
                                                                (TY *)(L), (TY *)(G), ST)                                 \
                            : focal_softmax_weighted_##S##_i64(c->xo, c->batch, c->classes, c->inner, (const TY *)(X),  \
                                                                (const int64_t *)(T), (const TY *)(W), (const TY *)(U),   \
                                                                (TY *)(L), (TY *)(G), ST);                                \
        else if (c->weighted && c->labels)                                                                              \
            result = c->i32 ? focal_sigmoid_labels_weighted_##S##_i32(c->so, c->batch, c->classes, c->inner,             \
                                                                       (const TY *)(X), (const int32_t *)(T),             \
                                                                       (const TY *)(W), wl_, (const TY *)(U), (TY *)(L),  \
                                                                       (TY *)(G), ST)                                     \
                            : focal_sigmoid_labels_weighted_##S##_i64(c->so, c->batch, c->classes, c->inner,             \
                                                                       (const TY *)(X), (const int64_t *)(T),             \
                                                                       (const TY *)(W), wl_, (const TY *)(U), (TY *)(L),  \
                                                                       (TY *)(G), ST);                                    \
        else if (c->weighted)                                                                                           \
            result = focal_sigmoid_weighted_##S(c->so, c->batch, c->classes, c->inner, (const TY *)(X), (const TY *)(T), \
                                                (const TY *)(W), wl_, (const TY *)(U), (TY *)(L), (TY *)(G), ST);         \
        else if (c->softmax)                                                                                            \
            result = c->i32 ? focal_softmax_##S##_i32(c->xo, c->batch, c->classes, c->inner, (const TY *)(X),           \
                                                       (const int32_t *)(T), (const TY *)(U), (TY *)(L), (TY *)(G))      \
                            : focal_softmax_##S##_i64(c->xo, c->batch, c->classes, c->inner, (const TY *)(X),           \
                                                       (const int64_t *)(T), (const TY *)(U), (TY *)(L), (TY *)(G));     \
        else if (c->labels)                                                                                             \
            result = c->i32 ? focal_sigmoid_labels_##S##_i32(c->so, c->batch, c->classes, c->inner, (const TY *)(X),    \
                                                              (const int32_t *)(T), (const TY *)(U), (TY *)(L), (TY *)(G)) \
                            : focal_sigmoid_labels_##S##_i64(c->so, c->batch, c->classes, c->inner, (const TY *)(X),    \
                                                              (const int64_t *)(T), (const TY *)(U), (TY *)(L), (TY *)(G)); \
        else                                                                                                            \
            result = focal_sigmoid_##S(c->so, c->count, (const TY *)(X), (const TY *)(T), (const TY *)(U), (TY *)(L),   \
                                       (TY *)(G));                                                                      \
    } while (0)

static char twin_message[256];

/* Runs the twin of the float32 call `c` and checks it (see the header comment). */
static void run_twin(const float32_call *c) {
    const int type = c->type, dense = !c->softmax && !c->labels;
    const int none = (c->softmax ? c->xo->reduction : c->so->reduction) == FOCAL_REDUCTION_NONE;
    const double left_grad = c->accumulate ? 0.5 : 0.0;
    uint16_t *x16 = half_copy(type, c->x, c->elements), *t16 = dense ? half_copy(type, c->t, c->elements) : NULL;
    uint16_t *w16 = half_copy(type, c->w, c->weights_n), *up16 = half_copy(type, c->up, c->outputs_n);
    guarded loss, grad;
    unsigned char *stats_block = NULL, stats_saved[sizeof(focal_stats)], over_saved[sizeof(focal_stats)];
    focal_stats *stats = NULL;
    void *xp, *tp, *lp, *gp;
    focal_status status = FOCAL_OK;
    int bad_weight_read = 0, weight_validity_changed = 0, may_differ;
    size_t i, n, p, k;

    {
        size_t used = strlen(current_call);
        snprintf(current_call + used, sizeof current_call - used, " | twin %s", type == TWIN_F16 ? "f16" : "bf16");
    }
    /* Outputs filled with a NaN of a payload the library does not make (0.5 to accumulate onto). */
    guarded_make_half(&loss, c->outputs_n, type == TWIN_F16 ? 0x7E5A : 0x7FDA);
    guarded_make_half(&grad, c->elements ? c->elements : 1,
                      c->accumulate ? (type == TWIN_F16 ? 0x3800 : 0x3F00) : (type == TWIN_F16 ? 0x7E5A : 0x7FDA));
    if (c->weighted && c->stats_mode != 1) {
        stats_block = (unsigned char *)malloc(2 * GUARD + sizeof(focal_stats));
        memset(stats_block, guard_byte, 2 * GUARD + sizeof(focal_stats));
        stats = (focal_stats *)(void *)(stats_block + GUARD);
        memset(stats, 0x5a, sizeof *stats);
        stats->version = c->stats_version;
        memcpy(stats_saved, stats, sizeof stats_saved);
    }
    xp = c->nulls == 1 ? NULL : x16;
    tp = c->nulls == 2 ? NULL : dense ? (void *)t16 : c->int_targets;
    lp = c->nulls == 3 ? NULL : guarded_data(&loss);
    gp = c->want_grad ? guarded_data(&grad) : NULL;
    if (c->stats_over) {
        /* Over the same buffer as the float32 call's stats, with the same first bytes for an
         * input (the integer targets already have them). */
        void *over = c->stats_target == 0 ? xp : c->stats_target == 1 ? tp : c->stats_target == 2 ? (void *)w16
                   : c->stats_target == 3 ? (void *)up16 : c->stats_target == 4 ? lp : gp;
        if (over == NULL) fail("twin: no buffer to put the stats over");
        if (c->stats_target <= 3) memcpy(over, &c->stats_version, sizeof c->stats_version);
        stats = (focal_stats *)over;
        memcpy(over_saved, over, sizeof over_saved);
    }
    if (type == TWIN_F16) CALL_FAMILY(status, f16, focal_f16, xp, tp, w16, up16, lp, gp, stats);
    else CALL_FAMILY(status, bf16, focal_bf16, xp, tp, w16, up16, lp, gp, stats);

    /* A bad weight where the call reads weights, in the 16-bit weights; and whether one the call
     * reads is valid in one type only (f16 rounds -1e-30 to -0, valid). */
    if (w16 != NULL && c->layout_ok) {
        for (i = 0; i < c->weights_n; ++i) {
            size_t position = c->softmax || c->layout == FOCAL_WEIGHTS_PER_POSITION
                                  ? i : (i / (size_t)(c->classes * c->inner)) * (size_t)c->inner + i % (size_t)c->inner;
            int read = dense || label_at(c->int_targets, c->i32, position) != c->ignore;
            int ok16 = weight_ok(half_to_double(type, w16[i]));
            if (read && !ok16) bad_weight_read = 1;
            if (read && ok16 != weight_ok(c->w[i])) weight_validity_changed = 1;
        }
    }

    if (!guards_intact(&loss) || !guards_intact(&grad)) fail("twin: write outside an output");
    if (stats_block != NULL) {
        for (i = 0; i < GUARD; ++i)
            if (stats_block[i] != guard_byte || stats_block[GUARD + sizeof(focal_stats) + i] != guard_byte) fail("twin: write outside the stats");
    }
    if (!c->real_sizes && !c->empty_sigmoid && status == FOCAL_OK) fail("twin: impossible sizes accepted");
    /* The float32 call's status, except where the rounding changes what is valid: byte counts
     * half the float32 ones (an INVALID_SHAPE for bytes beyond the address space may become a
     * later error), the stats' version bytes over 16-bit targets or weights (two elements, not
     * one), a weight that becomes valid or invalid (only f16's -1e-30 -> -0: the first bad value
     * may then be another weight, a target, or none). */
    may_differ = (!c->real_sizes && c->status == FOCAL_ERROR_INVALID_SHAPE)
              || (c->stats_over && ((c->stats_target == 1 && dense) || c->stats_target == 2))
              || (weight_validity_changed
                  && (c->status == FOCAL_ERROR_INVALID_WEIGHT || status == FOCAL_ERROR_INVALID_WEIGHT));
    if (!may_differ && status != c->status) {
        snprintf(twin_message, sizeof twin_message, "twin: status %d where the float32 call gave %d", (int)status, (int)c->status);
        fail(twin_message);
    }
    if (status != FOCAL_OK) {
        const char *message = focal_last_error_message();
        if (!untouched(&loss) || !untouched(&grad)) fail("twin: output written on error");
        if (!message || !message[0] || strcmp(message, "no error") == 0) fail("twin: no message");
        if (strncmp(focal_status_string(status), "FOCAL_ERROR_", 12) != 0) fail("twin: status without a name");
        if (c->stats_over && memcmp(stats, over_saved, sizeof over_saved) != 0) fail("twin: the buffer under the stats written on error");
        if (stats != NULL && !c->stats_over && memcmp(stats, stats_saved, sizeof stats_saved) != 0) fail("twin: stats written on error");
        if (status == FOCAL_ERROR_INVALID_WEIGHT) {
            if (c->layout_ok && !bad_weight_read) fail("twin: FOCAL_ERROR_INVALID_WEIGHT without a bad weight where weights are read");
            if (!strstr(message, "weights[")) fail("twin: FOCAL_ERROR_INVALID_WEIGHT does not name the weight");
        }
    } else if (c->weighted) {
        if (!c->layout_ok) fail("twin: an unknown weights layout accepted");
        if (c->stats_over) fail("twin: stats over another buffer accepted");
        if (stats != NULL && c->stats_version != FOCAL_STATS_VERSION) fail("twin: an unknown stats version accepted");
        if (bad_weight_read) fail("twin: an invalid weight accepted");
    }

    /* The f64 function on the same values: the same status, and on success the reference. */
    if (c->real_sizes && !c->stats_over) {
        double *x64 = half_widen(type, x16, c->elements), *t64 = half_widen(type, t16, c->elements);
        double *w64 = half_widen(type, w16, c->weights_n), *up64 = half_widen(type, up16, c->outputs_n);
        double *loss64 = (double *)malloc((c->outputs_n ? c->outputs_n : 1) * sizeof(double));
        double *grad64 = (double *)malloc((c->elements ? c->elements : 1) * sizeof(double));
        focal_stats stats64;
        focal_status status64 = FOCAL_OK;
        double divisor = 0, positives = 0, weight_sum = 0;
        stats64.version = c->stats_version;
        for (k = 0; k < c->outputs_n; ++k) loss64[k] = NAN;
        for (n = 0; n < (c->elements ? c->elements : 1); ++n) grad64[n] = c->accumulate ? 0.5 : (double)NAN;
        CALL_FAMILY(status64, f64, double, c->nulls == 1 ? NULL : x64, c->nulls == 2 ? NULL : dense ? (void *)t64 : c->int_targets,
                    w64, up64, c->nulls == 3 ? NULL : loss64, c->want_grad ? grad64 : NULL, stats != NULL ? &stats64 : NULL);
        if (status64 != status) {
            snprintf(twin_message, sizeof twin_message, "twin: status %d where f64 on the same values gave %d", (int)status, (int)status64);
            fail(twin_message);
        }
        if (status == FOCAL_OK) {
            for (k = 0; k < c->outputs_n; ++k) {
                if (!half_agrees(type, half_at(&loss, k), loss64[k])) {
                    snprintf(twin_message, sizeof twin_message, "twin: loss[%zu] = %.9g, f64 on the same values %.17g",
                             k, half_to_double(type, half_at(&loss, k)), loss64[k]);
                    fail(twin_message);
                }
            }
            for (n = 0; n < c->elements && c->want_grad; ++n) {
                if (!half_agrees(type, half_at(&grad, n), grad64[n])) {
                    snprintf(twin_message, sizeof twin_message, "twin: grad[%zu] = %.9g, f64 on the same values %.17g",
                             n, half_to_double(type, half_at(&grad, n)), grad64[n]);
                    fail(twin_message);
                }
            }
            /* The mean's divisor, from the 16-bit weights. */
            if (c->softmax) {
                for (p = 0; p < (size_t)c->positions; ++p) {
                    int64_t y = label_at(c->int_targets, c->i32, p);
                    if (y != c->ignore) divisor += (c->xo->alpha ? c->xo->alpha[y] : 1.0) * (w16 ? half_to_double(type, w16[p]) : 1.0);
                }
            } else if (c->labels) {
                for (p = 0; p < (size_t)c->positions; ++p) divisor += label_at(c->int_targets, c->i32, p) != c->ignore;
                divisor *= (double)c->classes;
            } else {
                divisor = (double)c->elements;
            }
            /* Where a limit exists (as for float32, on the 16-bit logits) and the mean is defined,
             * the f64 gradient is finite and so is the 16-bit one when that rounds to a finite
             * value (always in bf16; an f16 gradient may pass 65504 with weights and alpha of 100). */
            if (c->want_grad && ((c->softmax ? c->xo->reduction : c->so->reduction) != FOCAL_REDUCTION_MEAN
                                 || c->so->use_normalizer || divisor > 0)) {
                for (n = 0; n < c->elements; ++n) {
                    int limit = 1;
                    if (c->softmax) {
                        size_t row = (n / (size_t)(c->classes * c->inner)) * (size_t)c->inner + n % (size_t)c->inner;
                        size_t base = (row / (size_t)c->inner) * (size_t)(c->classes * c->inner) + row % (size_t)c->inner;
                        int any_above_minus_infinity = 0;
                        for (k = 0; k < (size_t)c->classes; ++k) {
                            double v = half_to_double(type, x16[base + k * (size_t)c->inner]);
                            if (isnan(v) || v == INFINITY) limit = 0;
                            if (v > -INFINITY) any_above_minus_infinity = 1;
                        }
                        if (!any_above_minus_infinity) limit = 0;
                    } else {
                        limit = !isnan(half_to_double(type, x16[n]));
                        if (limit && none && isnan(half_to_double(type, half_at(&loss, n)))) fail("twin: sigmoid loss NaN");
                    }
                    if (!limit) continue;
                    if (!isfinite(grad64[n])) fail("twin: f64 gradient on the same values not finite");
                    if (type == TWIN_BF16 && !isfinite(half_to_double(type, half_at(&grad, n)))) fail("twin: bf16 gradient not finite");
                }
            }
            /* A weight of 0 (and an ignored position) gives loss 0 and gradient 0, or leaves the
             * gradient as it was; the stats' sums, from the 16-bit values. */
            if (c->softmax) {
                for (p = 0; p < (size_t)c->positions; ++p) {
                    int64_t y = label_at(c->int_targets, c->i32, p);
                    double wp = w16 ? half_to_double(type, w16[p]) : 1.0;
                    size_t base = (p / (size_t)c->inner) * (size_t)(c->classes * c->inner) + p % (size_t)c->inner;
                    if (y != c->ignore) {
                        positives += wp * (c->xo->alpha ? c->xo->alpha[y] : 1.0);
                        weight_sum += wp;
                    }
                    if (y != c->ignore && wp != 0) continue;
                    if (none && half_to_double(type, half_at(&loss, p)) != 0) fail("twin softmax: loss of a weight-0 or ignored position");
                    for (k = 0; k < (size_t)c->classes && c->want_grad; ++k)
                        if (half_to_double(type, half_at(&grad, base + k * (size_t)c->inner)) != left_grad) fail("twin softmax: gradient of a weight-0 or ignored position");
                }
            } else {
                if (c->labels) {
                    for (p = 0; p < (size_t)c->positions; ++p) {
                        int64_t y = label_at(c->int_targets, c->i32, p);
                        positives += y != c->ignore && y >= 0 && y < c->classes;
                    }
                }
                for (n = 0; n < c->elements; ++n) {
                    size_t position = c->labels || c->weighted ? (n / (size_t)(c->classes * c->inner)) * (size_t)c->inner + n % (size_t)c->inner : n;
                    double wn = w16 ? half_to_double(type, w16[c->layout == FOCAL_WEIGHTS_PER_POSITION ? position : n]) : 1.0;
                    int kept = !c->labels || label_at(c->int_targets, c->i32, position) != c->ignore;
                    if (dense) positives += half_to_double(type, t16[n]);
                    if (kept) weight_sum += wn;
                    if (kept && wn != 0) continue;
                    if (none && half_to_double(type, half_at(&loss, n)) != 0) fail("twin sigmoid: loss of a weight-0 or ignored element");
                    if (c->want_grad && half_to_double(type, half_at(&grad, n)) != left_grad) fail("twin sigmoid: gradient of a weight-0 or ignored element");
                }
            }
            if (stats != NULL) {
                focal_reduction reduction = c->softmax ? c->xo->reduction : c->so->reduction;
                double want_divisor = reduction != FOCAL_REDUCTION_MEAN ? 1.0 : c->so->use_normalizer ? c->so->normalizer
                                      : c->softmax ? positives : divisor;
                if (stats->version != FOCAL_STATS_VERSION) fail("twin: stats version changed");
                if (!sums_agree(stats->positives, positives)) fail("twin: stats positives");
                if (!sums_agree(stats->weight_sum, weight_sum)) fail("twin: stats weight_sum");
                if (!sums_agree(stats->divisor, want_divisor)) fail("twin: stats divisor");
            }
        }
        free(x64);
        free(t64);
        free(w64);
        free(up64);
        free(loss64);
        free(grad64);
    }

    free(x16);
    free(t16);
    free(w16);
    free(up16);
    free(stats_block);
    free(loss.block);
    free(grad.block);
}

/* ------------------------------------------------------------------ gradient boosting */

/* The gradient-and-Hessian and init-score functions, driven by the bytes after the small
 * functions' seven (see the header comment). */
enum {
    B_SIGMOID_F32, B_SIGMOID_F64, B_SOFTMAX_F32_I64, B_SOFTMAX_F32_I32, B_SOFTMAX_F64_I64, B_SOFTMAX_F64_I32,
    B_SIGMOID_INIT_F32, B_SIGMOID_INIT_F64, B_SOFTMAX_INIT_I64, B_SOFTMAX_INIT_I32, BOOSTING_FUNCTIONS
};
static const char *const boosting_names[BOOSTING_FUNCTIONS] = {
    "sigmoid_grad_hess_f32", "sigmoid_grad_hess_f64", "softmax_grad_hess_f32_i64", "softmax_grad_hess_f32_i32",
    "softmax_grad_hess_f64_i64", "softmax_grad_hess_f64_i32", "sigmoid_init_score_f32", "sigmoid_init_score_f64",
    "softmax_init_score_f64_i64", "softmax_init_score_f64_i32",
};
/* Unknown Hessian modes (the known ones are 0, 1, 2). */
static const int64_t bad_hessians[] = {3, 7, -1, 255, 0x7FFFFFFF, -2147483647 - 1};
static const uint32_t bad_option_versions[] = {0, 99, 4, 0xFFFFFFFFu};

/* An output filled with a NaN of a payload the library does not make, so that a value it
 * writes (NaN included) shows. */
static void guarded_make_nan(guarded *g, size_t n, size_t width) {
    static const uint64_t d = 0x7FF80000DEAD5A5AULL;
    static const uint32_t f = 0x7FC05A5Au;
    size_t i;
    guarded_make(g, n, width, 0.0);
    memcpy(g->fill, width == 4 ? (const void *)&f : (const void *)&d, width);
    for (i = 0; i < n; ++i) memcpy(g->block + GUARD + i * g->width, g->fill, g->width);
}

static int written(const guarded *g, size_t i) { return memcmp(g->block + GUARD + i * g->width, g->fill, g->width) != 0; }

static char boosting_message[256];

static void boosting_fail(const char *what, size_t index, double value) {
    snprintf(boosting_message, sizeof boosting_message, "%s (index %zu, value %.17g)", what, index, value);
    fail(boosting_message);
}

static void run_boosting(reader *r) {
    const int fn = byte(r) % BOOSTING_FUNCTIONS;
    const int init = fn >= B_SIGMOID_INIT_F32;
    const int softmax = (fn >= B_SOFTMAX_F32_I64 && fn <= B_SOFTMAX_F64_I32) || fn >= B_SOFTMAX_INIT_I64;
    const int f64 = fn == B_SIGMOID_F64 || fn == B_SOFTMAX_F64_I64 || fn == B_SOFTMAX_F64_I32 || fn >= B_SIGMOID_INIT_F64;
    const int i32 = fn == B_SOFTMAX_F32_I32 || fn == B_SOFTMAX_F64_I32 || fn == B_SOFTMAX_INIT_I32;
    const size_t width = f64 ? 8 : 4;
    /* bit 0: grad wanted; bit 1: hess wanted; bit 2: weights NULL; bit 3: options NULL;
     * bit 4: per-class weights (softmax); bit 5: label_smoothing from the table (else 0);
     * bit 6: accumulate_grad (not read); bit 7: use_normalizer (not read). */
    const uint8_t bflags = byte(r);
    const int want_grad = !init && (bflags & 1), want_hess = !init && ((bflags >> 1) & 1);
    const int weights_null = (bflags >> 2) & 1, options_null = (bflags >> 3) & 1;
    int64_t hessian = 0, layout = FOCAL_WEIGHTS_PER_ELEMENT, batch, classes, inner, positions = 0, p1 = 0, e = 0;
    int hessian_ok = 1, layout_ok = 1, overflow, real_sizes, sizes_ok, version_ok = 1, precision_ok = 1, alpha_ok = 1;
    int gamma_ok, threads_ok, smoothing_ok = 1, bad_target = 0, bad_weight_read = 0, null_needed = 0, overlap = 0;
    size_t elements = 0, weights_n = 0, t_bytes = 0, i, n, c;
    focal_sigmoid_options so;
    focal_softmax_options xo;
    double *class_weights = NULL;
    void *x = NULL, *t = NULL, *w = NULL, *xp, *tp, *gp, *hp, *sp, *over = NULL;
    unsigned char *over_saved = NULL;
    size_t over_bytes = 0;
    guarded grad, hess, scores;
    focal_status status = FOCAL_OK;
    uint8_t nulls, ov;

    if (!init) {
        uint8_t k = byte(r);
        hessian = k < 232 ? k % 3 : bad_hessians[k % (sizeof bad_hessians / sizeof *bad_hessians)];
        hessian_ok = hessian >= 0 && hessian <= 2;
    }
    if (!softmax) {
        uint8_t k = byte(r);
        layout = k < 110 ? FOCAL_WEIGHTS_PER_ELEMENT : k < 220 ? FOCAL_WEIGHTS_PER_POSITION : k == 255 ? -1 : 2 + k % 8;
        layout_ok = layout == FOCAL_WEIGHTS_PER_ELEMENT || layout == FOCAL_WEIGHTS_PER_POSITION;
    }
    batch = size_value(r, 12);
    classes = size_value(r, 9);
    inner = size_value(r, 5);
    overflow = __builtin_mul_overflow(batch, inner, &p1) || __builtin_mul_overflow(p1, classes, &e);
    /* Real: allocatable, as in the loss calls. The sigmoid's grad_hess takes classes = 0 (no
     * element, as focal_sigmoid_weighted_f32), whatever batch * inner (weights NULL then). */
    real_sizes = batch >= 0 && classes >= 0 && inner >= 0 && !overflow && p1 <= MAX_ELEMENTS && e <= MAX_ELEMENTS;
    sizes_ok = (real_sizes && (classes > 0 || (!softmax && !init)))
            || (!softmax && !init && classes == 0 && batch >= 0 && inner >= 0 && !overflow);
    if (real_sizes) { positions = p1; elements = (size_t)e; }

    /* Options: the fields a call reads from the tables (valid and not); the others arbitrary,
     * unknown enum values included: no call may refuse them (the C test checks that they
     * change nothing). */
    focal_sigmoid_options_init(&so, FOCAL_SIGMOID_OPTIONS_VERSION);
    focal_softmax_options_init(&xo, FOCAL_SOFTMAX_OPTIONS_VERSION);
    {
        uint8_t k = byte(r);
        so.reduction = xo.reduction = (focal_reduction)(k < 200 ? k % 3 : k);
    }
    so.alpha = parameter(r, alphas, sizeof alphas / sizeof *alphas);
    so.gamma = xo.gamma = parameter(r, gammas, sizeof gammas / sizeof *gammas);
    if ((bflags >> 5) & 1) xo.label_smoothing = parameter(r, smoothings, sizeof smoothings / sizeof *smoothings);
    so.use_normalizer = xo.use_normalizer = (bflags >> 7) & 1;
    so.normalizer = xo.normalizer = parameter(r, normalizers, sizeof normalizers / sizeof *normalizers);
    so.accumulate_grad = xo.accumulate_grad = (bflags >> 6) & 1;
    so.num_threads = xo.num_threads = (int32_t)(byte(r) % 20) - 2;
    {
        /* Read by grad_hess (an unknown one refused), not by the init scores. */
        uint8_t k = byte(r);
        so.precision = xo.precision = (focal_precision)(k < 200 ? k % 2 : k);
    }
    {
        uint8_t k = byte(r);
        xo.ignore_index = k < 128 ? -100 : (int64_t)(k % 12) - 2;
        so.ignore_index = 7;  /* the labels functions' only */
    }
    {
        uint8_t v = byte(r);
        if (v >= 240) so.version = xo.version = bad_option_versions[v % 4];
        else if (v >= 200) so.version = xo.version = 1 + v % (softmax ? 2 : 3);
    }
    if (!options_null) {
        version_ok = softmax ? xo.version >= 1 && xo.version <= FOCAL_SOFTMAX_OPTIONS_VERSION
                             : so.version >= 1 && so.version <= FOCAL_SIGMOID_OPTIONS_VERSION;
        /* Version 1 has no precision field: then nothing to refuse. */
        precision_ok = init || (uint32_t)so.precision <= 1 || (softmax ? xo.version : so.version) < 2;
        alpha_ok = softmax || so.alpha == -1.0 || (so.alpha >= 0 && so.alpha <= 1);
        smoothing_ok = !softmax || xo.label_smoothing == 0;
    }
    gamma_ok = options_null || (isfinite(so.gamma) && so.gamma >= 0);
    threads_ok = options_null || so.num_threads >= 0;
    if (softmax && (bflags >> 4) & 1 && real_sizes && classes > 0 && classes <= 64) {
        class_weights = (double *)malloc((size_t)classes * sizeof(double));
        for (c = 0; c < (size_t)classes; ++c) {
            uint8_t k = byte(r);
            class_weights[c] = k < 230 ? weights[k % 6] : weights[k % 9];
            if (!options_null && !(isfinite(class_weights[c]) && class_weights[c] >= 0)) alpha_ok = 0;
        }
        xo.alpha = class_weights;
    }

    /* Inputs: logits (grad_hess), targets or labels, weights. */
    if (!init && elements) {
        x = malloc(elements * width);
        for (i = 0; i < elements; ++i) {
            double v = logit(r);
            if (f64) ((double *)x)[i] = v; else ((float *)x)[i] = (float)v;
        }
    }
    if (softmax && positions) {
        t_bytes = (size_t)positions * (i32 ? 4 : 8);
        t = malloc(t_bytes);
        for (i = 0; i < (size_t)positions; ++i) {
            uint8_t k = byte(r);
            int64_t y = k < 200 ? (classes ? k % classes : 0) : k < 230 ? xo.ignore_index : k < 245 ? classes + k % 3 : -1 - k % 3;
            if (i32) ((int32_t *)t)[i] = (int32_t)y; else ((int64_t *)t)[i] = y;
            if (y != (options_null ? -100 : xo.ignore_index) && !(y >= 0 && y < classes)) bad_target = 1;
        }
    } else if (!softmax && elements) {
        t_bytes = elements * width;
        t = malloc(t_bytes);
        for (i = 0; i < elements; ++i) {
            uint8_t k = byte(r);
            double v = k < 100 ? 0.0 : k < 180 ? 1.0 : k < 245 ? unit(r) : k < 250 ? 1.5 : k < 253 ? -0.25 : NAN;
            if (f64) ((double *)t)[i] = v; else ((float *)t)[i] = (float)v;
            if (!(stored(t, f64, i) >= 0 && stored(t, f64, i) <= 1)) bad_target = 1;
        }
    }
    if (!weights_null && real_sizes) {
        weights_n = softmax || layout == FOCAL_WEIGHTS_PER_POSITION ? (size_t)positions : elements;
        if (weights_n) {
            w = malloc(weights_n * width);
            for (i = 0; i < weights_n; ++i) {
                uint8_t k = byte(r);
                double v = k < 200 ? good_weights[k % 8] : odd_weights[k % 7];
                if (f64) ((double *)w)[i] = v; else ((float *)w)[i] = (float)v;
            }
        }
    }
    /* A bad weight where the call reads weights: every one (sigmoid), the positions not ignored
     * (softmax). */
    if (w != NULL && layout_ok) {
        int64_t ignore = options_null ? -100 : xo.ignore_index;
        for (i = 0; i < weights_n && !bad_weight_read; ++i) {
            int read = !softmax || label_at(t, i32, i) != ignore;
            if (read && !weight_ok(stored(w, f64, i))) bad_weight_read = 1;
        }
    }

    /* Outputs, NULLs and overlaps. */
    guarded_make_nan(&grad, elements ? elements : 1, width);
    guarded_make_nan(&hess, elements ? elements : 1, width);
    /* Scores for at most 64 classes (a huge class count with no position is real): beyond,
     * scores NULL, which must then be refused. */
    guarded_make_nan(&scores, init && real_sizes && classes > 0 && classes <= 64 ? (size_t)classes : 1, width);
    nulls = byte(r);
    ov = byte(r);
    xp = nulls == 1 ? NULL : x;
    tp = nulls == 2 ? NULL : t;
    gp = want_grad ? guarded_data(&grad) : NULL;
    hp = want_hess ? guarded_data(&hess) : NULL;
    sp = init && nulls != 3 && classes <= 64 ? guarded_data(&scores) : NULL;
    {
        /* What the sizes claim (an allocation only when real): a NULL array where they claim
         * elements is an error. */
        const int valid = batch >= 0 && classes >= 0 && inner >= 0 && !overflow;
        const int64_t claimed_elements = valid ? e : 0, claimed_positions = valid ? p1 : 0;
        null_needed = (!init && xp == NULL && claimed_elements > 0) ||
                      (tp == NULL && (softmax ? claimed_positions : claimed_elements) > 0) || (init && sp == NULL);
    }
    if (ov >= 192) {
        /* 1 hess = grad, 2 hess one element into grad, 3 grad over logits, 4 hess over targets,
         * 5 grad over weights, 6 hess over the class weights, 7 scores over targets, 8 scores
         * over weights, 9 scores over the class weights (when the options, which hold them, are
         * given). An overlap of empty spans is none. */
        int kind = 1 + ov % 9;
        if (kind == 1 && gp && hp) { hp = gp; overlap = elements > 0; }
        if (kind == 2 && gp && hp && elements > 1) { hp = (unsigned char *)gp + width; overlap = 1; }
        if (kind == 3 && gp && xp) { over = xp; over_bytes = elements * width; gp = over; overlap = elements > 0; }
        if (kind == 4 && hp && tp) { over = tp; over_bytes = t_bytes; hp = over; overlap = elements > 0 && t_bytes > 0; }
        if (kind == 5 && gp && w) { over = w; over_bytes = weights_n * width; gp = over; overlap = elements > 0 && weights_n > 0; }
        if (kind == 6 && hp && class_weights && !options_null) {
            over = class_weights; over_bytes = (size_t)classes * 8; hp = over; overlap = elements > 0;
        }
        if (kind == 7 && sp && tp) { over = tp; over_bytes = t_bytes; sp = over; overlap = classes > 0 && t_bytes > 0; }
        if (kind == 8 && sp && w) { over = w; over_bytes = weights_n * width; sp = over; overlap = classes > 0 && weights_n > 0; }
        if (kind == 9 && sp && class_weights && !options_null) { over = class_weights; over_bytes = (size_t)classes * 8; sp = over; overlap = 1; }
        if (over != NULL) {
            over_saved = (unsigned char *)malloc(over_bytes ? over_bytes : 1);
            memcpy(over_saved, over, over_bytes);
        }
    }
    snprintf(current_call, sizeof current_call,
             "%s batch=%lld classes=%lld inner=%lld hessian=%lld layout=%lld alpha=%g gamma=%g smoothing=%g threads=%d "
             "precision=%u version=%u ignore=%lld options=%s class_weights=%s weights=%s grad=%s hess=%s nulls=%u overlap=%u",
             boosting_names[fn], (long long)batch, (long long)classes, (long long)inner, (long long)hessian, (long long)layout,
             so.alpha, so.gamma, xo.label_smoothing, so.num_threads, (unsigned)so.precision, (unsigned)so.version,
             (long long)xo.ignore_index, options_null ? "NULL" : "given", class_weights ? "yes" : "no",
             weights_null ? "NULL" : w ? "given" : "empty", want_grad ? "yes" : "no", want_hess ? "yes" : "no", (unsigned)nulls,
             (unsigned)ov);

    {
        const focal_sigmoid_options *sop = options_null ? NULL : &so;
        const focal_softmax_options *xop = options_null ? NULL : &xo;
        const focal_hessian h = (focal_hessian)hessian;
        const focal_weights_layout wl = (focal_weights_layout)layout;
        switch (fn) {
        case B_SIGMOID_F32:
            status = focal_sigmoid_grad_hess_f32(sop, h, batch, classes, inner, (const float *)xp, (const float *)tp, (const float *)w, wl,
                                                 (float *)gp, (float *)hp);
            break;
        case B_SIGMOID_F64:
            status = focal_sigmoid_grad_hess_f64(sop, h, batch, classes, inner, (const double *)xp, (const double *)tp, (const double *)w,
                                                 wl, (double *)gp, (double *)hp);
            break;
        case B_SOFTMAX_F32_I64:
            status = focal_softmax_grad_hess_f32_i64(xop, h, batch, classes, inner, (const float *)xp, (const int64_t *)tp,
                                                     (const float *)w, (float *)gp, (float *)hp);
            break;
        case B_SOFTMAX_F32_I32:
            status = focal_softmax_grad_hess_f32_i32(xop, h, batch, classes, inner, (const float *)xp, (const int32_t *)tp,
                                                     (const float *)w, (float *)gp, (float *)hp);
            break;
        case B_SOFTMAX_F64_I64:
            status = focal_softmax_grad_hess_f64_i64(xop, h, batch, classes, inner, (const double *)xp, (const int64_t *)tp,
                                                     (const double *)w, (double *)gp, (double *)hp);
            break;
        case B_SOFTMAX_F64_I32:
            status = focal_softmax_grad_hess_f64_i32(xop, h, batch, classes, inner, (const double *)xp, (const int32_t *)tp,
                                                     (const double *)w, (double *)gp, (double *)hp);
            break;
        case B_SIGMOID_INIT_F32:
            status = focal_sigmoid_init_score_f32(sop, batch, classes, inner, (const float *)tp, (const float *)w, wl, (float *)sp);
            break;
        case B_SIGMOID_INIT_F64:
            status = focal_sigmoid_init_score_f64(sop, batch, classes, inner, (const double *)tp, (const double *)w, wl, (double *)sp);
            break;
        case B_SOFTMAX_INIT_I64:
            status = focal_softmax_init_score_f64_i64(xop, batch, classes, inner, (const int64_t *)tp, (const double *)w, (double *)sp);
            break;
        default:
            status = focal_softmax_init_score_f64_i32(xop, batch, classes, inner, (const int32_t *)tp, (const double *)w, (double *)sp);
            break;
        }
    }
#ifdef FUZZ_TRACE
    fprintf(stderr, "%s -> %d %s\n", current_call, (int)status, status ? focal_last_error_message() : "");
#endif

    if (!guards_intact(&grad) || !guards_intact(&hess) || !guards_intact(&scores)) fail("write outside an output");
    if (status != FOCAL_OK) {
        const char *message = focal_last_error_message();
        int documented;
        if (!untouched(&grad) || !untouched(&hess) || !untouched(&scores)) fail("output written on error");
        if (over != NULL && memcmp(over, over_saved, over_bytes) != 0) fail("the input under an output written on error");
        if (!message || !message[0] || strcmp(message, "no error") == 0) fail("no message");
        if (strncmp(focal_status_string(status), "FOCAL_ERROR_", 12) != 0) fail("status without a name");
        /* Only the header's statuses, each with its cause present. */
        switch (status) {
        case FOCAL_ERROR_NULL_POINTER: documented = null_needed; break;
        case FOCAL_ERROR_INVALID_SHAPE: documented = !sizes_ok || !layout_ok; break;
        case FOCAL_ERROR_INVALID_HESSIAN: documented = !init && !hessian_ok; break;
        case FOCAL_ERROR_TARGET_OUT_OF_RANGE: documented = bad_target; break;
        case FOCAL_ERROR_INVALID_ALPHA: documented = !alpha_ok; break;
        case FOCAL_ERROR_INVALID_GAMMA: documented = !gamma_ok; break;
        case FOCAL_ERROR_INVALID_WEIGHT:
            documented = bad_weight_read || !layout_ok;
            if (!strstr(message, "weights[")) fail("FOCAL_ERROR_INVALID_WEIGHT does not name the weight");
            break;
        case FOCAL_ERROR_INVALID_OPTIONS_VERSION: documented = !version_ok; break;
        case FOCAL_ERROR_INVALID_THREAD_COUNT: documented = !threads_ok; break;
        case FOCAL_ERROR_OVERLAPPING_BUFFERS: documented = overlap; break;
        case FOCAL_ERROR_INVALID_PRECISION: documented = !init && !precision_ok; break;
        case FOCAL_ERROR_INVALID_LABEL_SMOOTHING: documented = softmax && !smoothing_ok; break;
        default: documented = 0; break;
        }
        if (!documented) fail("an error status the header does not give for these arguments");
    } else {
        if (!hessian_ok) fail("an unknown Hessian mode accepted");
        if (!layout_ok) fail("an unknown weights layout accepted");
        if (!sizes_ok) fail("impossible sizes accepted");
        if (!version_ok) fail("an unknown options version accepted");
        if (!precision_ok) fail("an unknown precision accepted");
        if (!alpha_ok || !gamma_ok || !threads_ok) fail("an invalid alpha, gamma or thread count accepted");
        if (!smoothing_ok) fail("label_smoothing other than 0 accepted");
        if (bad_target) fail("a target out of range accepted");
        if (bad_weight_read) fail("an invalid weight accepted");
        if (overlap) fail("overlapping buffers accepted");
        if (null_needed) fail("a NULL array accepted");
    }

    /* grad_hess: the weighted loss call (reduction none, grad_loss NULL, exact tier for the
     * softmax) accepts exactly what this call accepts (but for the Hessian mode, overlaps and
     * label smoothing, which it does not take), and gives its gradient bit for bit. */
    if (!init && hessian_ok && !overlap && smoothing_ok) {
        focal_sigmoid_options rs = so;
        focal_softmax_options rx = xo;
        const size_t losses = softmax ? (size_t)positions : elements;
        void *loss = malloc((losses ? losses : 1) * width), *g = malloc((elements ? elements : 1) * width);
        focal_status reference;
        if (options_null) {
            focal_sigmoid_options_init(&rs, FOCAL_SIGMOID_OPTIONS_VERSION);
            focal_softmax_options_init(&rx, FOCAL_SOFTMAX_OPTIONS_VERSION);
        }
        rs.reduction = rx.reduction = FOCAL_REDUCTION_NONE;
        rs.use_normalizer = rx.use_normalizer = 0;
        rs.accumulate_grad = rx.accumulate_grad = 0;
        if (rx.precision == FOCAL_PRECISION_FAST) rx.precision = FOCAL_PRECISION_EXACT;
        rs.ignore_index = -100;
        switch (fn) {
        case B_SIGMOID_F32:
            reference = focal_sigmoid_weighted_f32(&rs, batch, classes, inner, (const float *)xp, (const float *)tp, (const float *)w,
                                                   (focal_weights_layout)layout, NULL, (float *)loss, (float *)g, NULL);
            break;
        case B_SIGMOID_F64:
            reference = focal_sigmoid_weighted_f64(&rs, batch, classes, inner, (const double *)xp, (const double *)tp, (const double *)w,
                                                   (focal_weights_layout)layout, NULL, (double *)loss, (double *)g, NULL);
            break;
        case B_SOFTMAX_F32_I64:
            reference = focal_softmax_weighted_f32_i64(&rx, batch, classes, inner, (const float *)xp, (const int64_t *)tp, (const float *)w,
                                                       NULL, (float *)loss, (float *)g, NULL);
            break;
        case B_SOFTMAX_F32_I32:
            reference = focal_softmax_weighted_f32_i32(&rx, batch, classes, inner, (const float *)xp, (const int32_t *)tp, (const float *)w,
                                                       NULL, (float *)loss, (float *)g, NULL);
            break;
        case B_SOFTMAX_F64_I64:
            reference = focal_softmax_weighted_f64_i64(&rx, batch, classes, inner, (const double *)xp, (const int64_t *)tp,
                                                       (const double *)w, NULL, (double *)loss, (double *)g, NULL);
            break;
        default:
            reference = focal_softmax_weighted_f64_i32(&rx, batch, classes, inner, (const double *)xp, (const int32_t *)tp,
                                                       (const double *)w, NULL, (double *)loss, (double *)g, NULL);
            break;
        }
        if ((reference == FOCAL_OK) != (status == FOCAL_OK)) {
            snprintf(boosting_message, sizeof boosting_message, "status %d where the weighted loss call gives %d", (int)status, (int)reference);
            fail(boosting_message);
        }
        if (status == FOCAL_OK && want_grad) {
            for (n = 0; n < elements; ++n) {
                if (memcmp((unsigned char *)guarded_data(&grad) + n * width, (unsigned char *)g + n * width, width) != 0 &&
                    !(isnan(element(&grad, n)) && isnan(stored(g, f64, n))))
                    boosting_fail("grad differs from the weighted loss call's", n, element(&grad, n));
            }
        }
        free(loss);
        free(g);
    }

    /* Values on success. */
    if (status == FOCAL_OK && !init && real_sizes) {
        const double floor_ = f64 ? FOCAL_HESSIAN_FLOOR : (double)(float)FOCAL_HESSIAN_FLOOR;
        const int64_t ignore = options_null ? -100 : xo.ignore_index;
        for (n = 0; n < elements; ++n) {
            size_t position = (n / (size_t)(classes * inner)) * (size_t)inner + n % (size_t)inner;
            double wn = w ? stored(w, f64, softmax || layout == FOCAL_WEIGHTS_PER_POSITION ? position : n) : 1.0;
            double gv = want_grad ? element(&grad, n) : 0.0, hv = want_hess ? element(&hess, n) : 0.0;
            int zero = wn == 0, nan_case = 0, unspecified = 0;
            if ((want_grad && !written(&grad, n)) || (want_hess && !written(&hess, n))) boosting_fail("output not written", n, 0);
            if (softmax) {
                size_t base = (position / (size_t)inner) * (size_t)(classes * inner) + position % (size_t)inner;
                int any_above_minus_infinity = 0;
                if (label_at(t, i32, position) == ignore) zero = 1;
                for (c = 0; c < (size_t)classes; ++c) {
                    double v = stored(x, f64, base + c * (size_t)inner);
                    if (isnan(v) || v == INFINITY) nan_case = 1;
                    if (v > -INFINITY) any_above_minus_infinity = 1;
                }
                /* A row of -inf alone: the header says nothing here. */
                if (!any_above_minus_infinity) unspecified = 1;
            } else {
                nan_case = isnan(stored(x, f64, n));
            }
            if (zero) {
                if (gv != 0 || hv != 0) boosting_fail("weight 0 or ignored: grad or hess not 0", n, gv != 0 ? gv : hv);
            } else if (nan_case) {
                if ((want_grad && !isnan(gv)) || (want_hess && !isnan(hv))) boosting_fail("a NaN (or +inf row) without NaN", n, gv);
            } else if (!unspecified) {
                /* Finite, infinite logits included (limits); the modes' bounds. */
                if (!isfinite(gv)) boosting_fail("gradient not finite", n, gv);
                if (!isfinite(hv)) boosting_fail("Hessian not finite", n, hv);
                if (want_hess && hessian == FOCAL_HESSIAN_APPROXIMATE && !(hv >= 0)) boosting_fail("APPROXIMATE Hessian < 0", n, hv);
                if (want_hess && hessian == FOCAL_HESSIAN_CLIPPED && !(hv >= wn * floor_ * (1 - 1e-6)))
                    boosting_fail("CLIPPED Hessian below the weight times the floor", n, hv);
            }
        }
    }
    if (status == FOCAL_OK && init && real_sizes && classes > 0 && classes <= 64) {
        for (c = 0; c < (size_t)classes; ++c)
            if (!written(&scores, c)) boosting_fail("score not written", c, 0);
        if (!softmax) {
            /* Per class: NaN where nothing weighs, -inf where nothing pulls up, +inf where
             * nothing pulls down, finite otherwise; at gamma 0 with alpha disabled the logit of
             * the weighted mean target. */
            const double alpha = options_null ? 0.25 : so.alpha, gamma = options_null ? 2.0 : so.gamma;
            for (c = 0; c < (size_t)classes; ++c) {
                double weight = 0, targets_sum = 0, score = element(&scores, c);
                int up = 0, down = 0;
                int64_t p;
                for (p = 0; p < positions; ++p) {
                    size_t index = (size_t)((p / inner) * classes * inner + (int64_t)c * inner + p % inner);
                    double wv = w ? stored(w, f64, layout == FOCAL_WEIGHTS_PER_POSITION ? (size_t)p : index) : 1.0;
                    double tv = stored(t, f64, index);
                    double alpha_t = alpha == -1.0 ? 1.0 : alpha * tv + (1 - alpha) * (1 - tv);
                    if (!(wv > 0)) continue;
                    weight += wv;
                    targets_sum += wv * tv;
                    if (alpha_t > 0 && tv > 0) up = 1;
                    if (alpha_t > 0 && tv < 1) down = 1;
                }
                if (weight == 0) { if (!isnan(score)) boosting_fail("sigmoid init score: nothing weighs, not NaN", c, score); }
                else if (up && down) { if (!isfinite(score)) boosting_fail("sigmoid init score not finite", c, score); }
                else if (up) { if (score != INFINITY) boosting_fail("sigmoid init score: nothing pulls down, not +inf", c, score); }
                else if (down) { if (score != -INFINITY) boosting_fail("sigmoid init score: nothing pulls up, not -inf", c, score); }
                if (gamma == 0 && alpha == -1.0 && up && down) {
                    double want = log(targets_sum / (weight - targets_sum));
                    if (!(fabs(score - want) <= (f64 ? 1e-7 + 1e-9 * fabs(want) : 1e-4 + 1e-5 * fabs(want))))
                        boosting_fail("sigmoid init score at gamma 0 is not the log odds", c, score);
                }
            }
        } else {
            /* W_c = alpha_c * (weights of the positions labelled c): NaN everywhere when every
             * W_c is 0; else -inf where W_c = 0, finite elsewhere, log-sum-exp 0; at gamma 0 the
             * log of W_c / sum W. */
            double *totals = (double *)calloc((size_t)classes, sizeof(double)), all = 0, lse = 0;
            const double gamma = options_null ? 2.0 : xo.gamma;
            const double *alpha = options_null ? NULL : xo.alpha;
            const int64_t ignore = options_null ? -100 : xo.ignore_index;
            int64_t p;
            for (p = 0; p < positions; ++p) {
                int64_t y = label_at(t, i32, (size_t)p);
                if (y == ignore) continue;
                totals[y] += (alpha ? alpha[y] : 1.0) * (w ? stored(w, 1, (size_t)p) : 1.0);
            }
            for (c = 0; c < (size_t)classes; ++c) all += totals[c];
            for (c = 0; c < (size_t)classes; ++c) {
                double score = element(&scores, c);
                if (all == 0) { if (!isnan(score)) boosting_fail("softmax init score: nothing weighs, not NaN", c, score); continue; }
                if (totals[c] == 0) { if (score != -INFINITY) boosting_fail("softmax init score of a class of weight 0 not -inf", c, score); continue; }
                if (!isfinite(score)) boosting_fail("softmax init score not finite", c, score);
                lse += exp(score);
                if (gamma == 0 && !(fabs(score - log(totals[c] / all)) <= 1e-9 * (1 + fabs(score))))
                    boosting_fail("softmax init score at gamma 0 is not the log class frequency", c, score);
            }
            if (all > 0 && !(fabs(log(lse)) <= 1e-9)) boosting_fail("softmax init scores' log-sum-exp not 0", 0, log(lse));
            free(totals);
        }
    }

    free(x);
    free(t);
    free(w);
    free(class_weights);
    free(over_saved);
    free(grad.block);
    free(hess.block);
    free(scores.block);
}

/* ------------------------------------------------------------------ the focal family */

/* The family functions (focal_sigmoid_star_*, focal_asymmetric_*, focal_quality_*,
 * focal_varifocal_*) and Poly-1 (focal_sigmoid_weighted_* and focal_softmax_weighted_*_i64 with
 * poly1_epsilon), in every storage type, driven by the bytes after the small functions' seven
 * when the next byte is 0x80 or more (no seed from before them has one there: the gradient-
 * boosting seeds have 0 to 9). See the header comment. */
enum { FAM_STAR, FAM_ASYM, FAM_QUALITY, FAM_VARIFOCAL, FAM_POLY_SIGMOID, FAM_POLY_SOFTMAX, FAMILY_LOSSES };
static const char *const family_names[FAMILY_LOSSES] = {
    "sigmoid_star", "asymmetric", "quality", "varifocal", "sigmoid_weighted(poly1)", "softmax_weighted(poly1)",
};
enum { FAM_F32, FAM_F64, FAM_F16, FAM_BF16 };
static const char *const family_dtypes[4] = {"f32", "f64", "f16", "bf16"};

static const double star_alphas[] = {-1.0, 0.25, 0.5, 0.0, 1.0, 0.75, 1.5, -0.5, NAN};
static const double star_gammas[] = {1.0, 2.0, 0.5, 0.25, 3.7, 1e-8, 0.0, -1.0, NAN, INFINITY};
static const double star_betas[] = {0.0, 1.0, -1.0, 3.0, -10.0, 10.0, NAN, INFINITY, -INFINITY};
static const double asym_gammas[] = {0.0, 1.0, 4.0, 0.5, 2.0, 3.7, -1.0, NAN, INFINITY};
static const double margins[] = {0.05, 0.0, 0.3, 1.0, 0.5, -0.1, 1.5, NAN};
static const double quality_betas[] = {2.0, 0.0, 0.5, 1.0, 3.3, -0.5, NAN, INFINITY};
static const double vari_alphas[] = {0.75, 0.0, 1.0, 4.0, 0.5, -0.1, NAN, INFINITY};
static const double vari_gammas[] = {2.0, 0.0, 0.5, 1.0, 3.7, -1.0, NAN, INFINITY};
static const double epsilons[] = {0.0, 0.0, 1.0, -0.2, 2.5, 10.0, -1.0, -0.5, -1.0 / 3.0, -0.0, NAN, INFINITY, -INFINITY};
static const uint32_t family_bad_versions[] = {0, 2, 5, 99, 0xFFFFFFFFu};

static size_t family_width(int dt) { return dt == FAM_F64 ? 8 : dt == FAM_F32 ? 4 : 2; }
static int twin_type(int dt) { return dt == FAM_F16 ? TWIN_F16 : TWIN_BF16; }

/* A value of storage dt at p[i] as double, and v stored there (16-bit: rounded to nearest even
 * through float32, as the twins round their inputs). */
static double family_load(int dt, const void *p, size_t i) {
    if (dt == FAM_F64) return ((const double *)p)[i];
    if (dt == FAM_F32) return ((const float *)p)[i];
    return half_to_double(twin_type(dt), ((const uint16_t *)p)[i]);
}
static void family_store(int dt, void *p, size_t i, double v) {
    if (dt == FAM_F64) ((double *)p)[i] = v;
    else if (dt == FAM_F32) ((float *)p)[i] = (float)v;
    else ((uint16_t *)p)[i] = half_from_float(twin_type(dt), (float)v);
}

/* An output of n elements of storage dt: a NaN of a payload the library does not make, or the
 * value `start` (accumulation). */
static void family_guarded(guarded *g, int dt, size_t n, int accumulate) {
    if (dt >= FAM_F16) {
        int type = twin_type(dt);
        guarded_make_half(g, n, accumulate ? (type == TWIN_F16 ? 0x3800 : 0x3F00) : (type == TWIN_F16 ? 0x7E5A : 0x7FDA));
    } else if (accumulate) {
        guarded_make(g, n, family_width(dt), 0.5);
    } else {
        guarded_make_nan(g, n, family_width(dt));
    }
}
static double guarded_value(const guarded *g, int dt, size_t i) { return family_load(dt, g->block + GUARD, i); }

/* A float32 result against the f64 function's value on the same inputs: within 2 float32 ulps
 * (2 smallest subnormals below the normal range), NaN with NaN, an infinity with itself, a value
 * beyond the float32 range as that infinity or the largest finite value. */
static int f32_agrees(double got, double want) {
    double spacing;
    if (isnan(want) || isnan(got)) return isnan(want) && isnan(got);
    if (isinf(want)) return got == want;
    if (fabs(want) > 3.4028234663852886e38) return (got > 0) == (want > 0) && fabs(got) >= 3.4028234663852886e38;
    spacing = (double)nextafterf((float)fabs(want), INFINITY) - (double)(float)fabs(want);
    if (spacing < 1.4012984643248171e-45) spacing = 1.4012984643248171e-45;
    return fabs(got - want) <= 2 * spacing;
}

typedef struct {
    focal_sigmoid_star_options star;
    focal_asymmetric_options asym;
    focal_quality_options quality;
    focal_varifocal_options vari;
    focal_sigmoid_options sig;
    focal_softmax_options smx;
} family_options;

/* One family call. o NULL: NULL options. Softmax targets are int64 labels. */
#define FAMILY_DTYPE_CALL(result, NAME, OPTS)                                                                                  \
    do {                                                                                                                       \
        if (dt == FAM_F32) result = focal_##NAME##_f32(OPTS, b, c, in, (const float *)x, (const float *)t, (const float *)w, wl, \
                                                       (const float *)up, (float *)l, (float *)g, st);                          \
        else if (dt == FAM_F64) result = focal_##NAME##_f64(OPTS, b, c, in, (const double *)x, (const double *)t,              \
                                                            (const double *)w, wl, (const double *)up, (double *)l,             \
                                                            (double *)g, st);                                                   \
        else if (dt == FAM_F16) result = focal_##NAME##_f16(OPTS, b, c, in, (const focal_f16 *)x, (const focal_f16 *)t,        \
                                                            (const focal_f16 *)w, wl, (const focal_f16 *)up, (focal_f16 *)l,    \
                                                            (focal_f16 *)g, st);                                                \
        else result = focal_##NAME##_bf16(OPTS, b, c, in, (const focal_bf16 *)x, (const focal_bf16 *)t, (const focal_bf16 *)w,  \
                                          wl, (const focal_bf16 *)up, (focal_bf16 *)l, (focal_bf16 *)g, st);                    \
    } while (0)

static focal_status family_call(int loss, int dt, const family_options *o, int64_t b, int64_t c, int64_t in, const void *x,
                                const void *t, const void *w, int64_t layout, const void *up, void *l, void *g, focal_stats *st) {
    focal_status s = FOCAL_OK;
    focal_weights_layout wl = (focal_weights_layout)layout;
    switch (loss) {
    case FAM_STAR: FAMILY_DTYPE_CALL(s, sigmoid_star, o ? &o->star : NULL); break;
    case FAM_ASYM: FAMILY_DTYPE_CALL(s, asymmetric, o ? &o->asym : NULL); break;
    case FAM_QUALITY: FAMILY_DTYPE_CALL(s, quality, o ? &o->quality : NULL); break;
    case FAM_VARIFOCAL: FAMILY_DTYPE_CALL(s, varifocal, o ? &o->vari : NULL); break;
    case FAM_POLY_SIGMOID: FAMILY_DTYPE_CALL(s, sigmoid_weighted, o ? &o->sig : NULL); break;
    default: {
        const focal_softmax_options *xo = o ? &o->smx : NULL;
        const int64_t *y = (const int64_t *)t;
        (void)wl;
        if (dt == FAM_F32) s = focal_softmax_weighted_f32_i64(xo, b, c, in, (const float *)x, y, (const float *)w, (const float *)up, (float *)l, (float *)g, st);
        else if (dt == FAM_F64) s = focal_softmax_weighted_f64_i64(xo, b, c, in, (const double *)x, y, (const double *)w, (const double *)up, (double *)l, (double *)g, st);
        else if (dt == FAM_F16) s = focal_softmax_weighted_f16_i64(xo, b, c, in, (const focal_f16 *)x, y, (const focal_f16 *)w, (const focal_f16 *)up, (focal_f16 *)l, (focal_f16 *)g, st);
        else s = focal_softmax_weighted_bf16_i64(xo, b, c, in, (const focal_bf16 *)x, y, (const focal_bf16 *)w, (const focal_bf16 *)up, (focal_bf16 *)l, (focal_bf16 *)g, st);
        break;
    }
    }
    return s;
}

static char family_message[384];

static void family_fail(const char *what, size_t index, double got, double want) {
    snprintf(family_message, sizeof family_message, "%s (index %zu, got %.17g, want %.17g)", what, index, got, want);
    fail(family_message);
}

static void run_family(reader *r, uint8_t selector) {
    const int loss = selector % FAMILY_LOSSES, softmax = loss == FAM_POLY_SOFTMAX, poly = loss >= FAM_POLY_SIGMOID;
    const int dt = byte(r) % 4;
    const size_t width = family_width(dt);
    /* bit 0: gradient wanted; 1: accumulate_grad; 2: weights NULL; 3: options NULL; 4: use_normalizer;
     * 5: an upstream gradient; 6-7: stats valid, NULL, of a bad version, over a buffer. */
    const uint8_t flags = byte(r);
    const int want_grad = flags & 1, weights_null = (flags >> 2) & 1, options_null = (flags >> 3) & 1;
    const int accumulate = !options_null && ((flags >> 1) & 1), stats_mode = (flags >> 6) & 3;
    family_options o;
    int64_t layout = FOCAL_WEIGHTS_PER_ELEMENT, batch, classes, inner, p1 = 0, e = 0, positions = 0;
    int layout_ok = 1, overflow, valid_sizes, real_sizes, empty_ok, reduction_ok = 1, normalizer_ok = 1, version_ok = 1;
    int precision_ok = 1, threads_ok = 1, alpha_ok = 1, gamma_ok = 1, parameter_ok = 1, smoothing_ok = 1, bad_target = 0;
    int bad_weight_read = 0, null_needed = 0, overlap = 0, stats_bad_version = 0, loss_null = 0;
    double eps = 0.0, gamma_value = 2.0;
    int64_t reduction_value = 0, ignore = -100;
    uint32_t version = 1, stats_version = FOCAL_STATS_VERSION;
    size_t elements = 0, outputs_n = 1, weights_n = 0, i, n;
    void *x = NULL, *t = NULL, *w = NULL, *up = NULL, *xp, *tp, *lp, *gp, *over = NULL;
    double *class_weights = NULL;
    unsigned char *over_saved = NULL, *stats_block = NULL, stats_saved[sizeof(focal_stats)];
    size_t over_bytes = 0;
    focal_stats *stats = NULL;
    guarded loss_out, grad_out;
    focal_status status;
    uint8_t nulls, ov;

    if (!softmax) {
        uint8_t k = byte(r);
        layout = k < 110 ? FOCAL_WEIGHTS_PER_ELEMENT : k < 220 ? FOCAL_WEIGHTS_PER_POSITION : k == 255 ? -1 : 2 + k % 8;
        layout_ok = layout == FOCAL_WEIGHTS_PER_ELEMENT || layout == FOCAL_WEIGHTS_PER_POSITION;
    }
    batch = size_value(r, 12);
    classes = size_value(r, 9);
    inner = size_value(r, 5);
    overflow = __builtin_mul_overflow(batch, inner, &p1) || __builtin_mul_overflow(p1, classes, &e);
    valid_sizes = batch >= 0 && classes >= 0 && inner >= 0 && !overflow && (!softmax || classes >= 1);
    real_sizes = valid_sizes && p1 <= MAX_ELEMENTS && e <= MAX_ELEMENTS;
    /* No element (classes 0, the sigmoid-like functions): any batch * inner will do. */
    empty_ok = !softmax && valid_sizes && e == 0;
    if (real_sizes) { positions = p1; elements = (size_t)e; }

    /* Options: every _init, then the fields from the tables. */
    focal_sigmoid_star_options_init(&o.star, FOCAL_SIGMOID_STAR_OPTIONS_VERSION);
    focal_asymmetric_options_init(&o.asym, FOCAL_ASYMMETRIC_OPTIONS_VERSION);
    focal_quality_options_init(&o.quality, FOCAL_QUALITY_OPTIONS_VERSION);
    focal_varifocal_options_init(&o.vari, FOCAL_VARIFOCAL_OPTIONS_VERSION);
    focal_sigmoid_options_init(&o.sig, FOCAL_SIGMOID_OPTIONS_VERSION);
    focal_softmax_options_init(&o.smx, FOCAL_SOFTMAX_OPTIONS_VERSION);
    {
        uint8_t k = byte(r);
        reduction_value = k < 230 ? k % 3 : k;
    }
    {
        const focal_reduction red = (focal_reduction)reduction_value;
        const double normalizer = parameter(r, normalizers, sizeof normalizers / sizeof *normalizers);
        const int32_t use = (flags >> 4) & 1, threads = (int32_t)(byte(r) % 12) - 2;
        uint8_t k = byte(r);
        const focal_precision precision = (focal_precision)(k < 220 ? k % 2 : k);
        uint8_t v = byte(r);
        o.star.reduction = o.asym.reduction = o.quality.reduction = o.vari.reduction = o.sig.reduction = o.smx.reduction = red;
        o.star.use_normalizer = o.asym.use_normalizer = o.quality.use_normalizer = o.vari.use_normalizer = o.sig.use_normalizer =
            o.smx.use_normalizer = use;
        o.star.normalizer = o.asym.normalizer = o.quality.normalizer = o.vari.normalizer = o.sig.normalizer = o.smx.normalizer = normalizer;
        o.star.num_threads = o.asym.num_threads = o.quality.num_threads = o.vari.num_threads = o.sig.num_threads = o.smx.num_threads = threads;
        o.star.accumulate_grad = o.asym.accumulate_grad = o.quality.accumulate_grad = o.vari.accumulate_grad = o.sig.accumulate_grad =
            o.smx.accumulate_grad = accumulate;
        o.star.precision = o.asym.precision = o.quality.precision = o.vari.precision = o.sig.precision = o.smx.precision = precision;
        if (v >= 240) version = family_bad_versions[v % 5];
        else if (v >= 200 && loss == FAM_POLY_SIGMOID) version = 1 + v % 4;
        else if (v >= 200 && softmax) version = 1 + v % 3;
        else version = loss == FAM_POLY_SIGMOID ? FOCAL_SIGMOID_OPTIONS_VERSION : softmax ? FOCAL_SOFTMAX_OPTIONS_VERSION : 1;
        o.star.version = o.asym.version = o.quality.version = o.vari.version = o.sig.version = o.smx.version = version;
        if (!options_null) {
            reduction_ok = reduction_value >= 0 && reduction_value <= 2;
            normalizer_ok = !use || (red == FOCAL_REDUCTION_MEAN && isfinite(normalizer) && normalizer > 0);
            threads_ok = threads >= 0;
            version_ok = loss == FAM_POLY_SIGMOID ? version >= 1 && version <= FOCAL_SIGMOID_OPTIONS_VERSION
                       : softmax ? version >= 1 && version <= FOCAL_SOFTMAX_OPTIONS_VERSION : version == 1;
            /* A sigmoid or softmax struct of version 1 has no precision. */
            precision_ok = (uint32_t)precision <= 1 || (poly && version < 2);
        }
    }
    switch (loss) {
    case FAM_STAR:
        o.star.alpha = parameter(r, star_alphas, sizeof star_alphas / sizeof *star_alphas);
        o.star.gamma = parameter(r, star_gammas, sizeof star_gammas / sizeof *star_gammas);
        o.star.beta = parameter(r, star_betas, sizeof star_betas / sizeof *star_betas);
        alpha_ok = o.star.alpha == -1.0 || (o.star.alpha >= 0 && o.star.alpha <= 1);
        gamma_ok = isfinite(o.star.gamma) && o.star.gamma > 0;
        parameter_ok = isfinite(o.star.beta);
        break;
    case FAM_ASYM:
        o.asym.gamma_pos = parameter(r, asym_gammas, sizeof asym_gammas / sizeof *asym_gammas);
        o.asym.gamma_neg = parameter(r, asym_gammas, sizeof asym_gammas / sizeof *asym_gammas);
        o.asym.margin = parameter(r, margins, sizeof margins / sizeof *margins);
        gamma_ok = isfinite(o.asym.gamma_pos) && o.asym.gamma_pos >= 0 && isfinite(o.asym.gamma_neg) && o.asym.gamma_neg >= 0;
        parameter_ok = o.asym.margin >= 0 && o.asym.margin <= 1;
        break;
    case FAM_QUALITY:
        o.quality.beta = parameter(r, quality_betas, sizeof quality_betas / sizeof *quality_betas);
        parameter_ok = isfinite(o.quality.beta) && o.quality.beta >= 0;
        break;
    case FAM_VARIFOCAL:
        o.vari.alpha = parameter(r, vari_alphas, sizeof vari_alphas / sizeof *vari_alphas);
        o.vari.gamma = parameter(r, vari_gammas, sizeof vari_gammas / sizeof *vari_gammas);
        o.vari.iou_weighted = byte(r) % 3 == 0 ? 0 : 1 + byte(r) % 3;
        alpha_ok = isfinite(o.vari.alpha) && o.vari.alpha >= 0;
        gamma_ok = isfinite(o.vari.gamma) && o.vari.gamma >= 0;
        break;
    case FAM_POLY_SIGMOID:
        o.sig.alpha = parameter(r, alphas, sizeof alphas / sizeof *alphas);
        o.sig.gamma = gamma_value = parameter(r, gammas, sizeof gammas / sizeof *gammas);
        o.sig.poly1_epsilon = parameter(r, epsilons, sizeof epsilons / sizeof *epsilons);
        o.sig.ignore_index = 7;  /* the labels functions' only */
        alpha_ok = o.sig.alpha == -1.0 || (o.sig.alpha >= 0 && o.sig.alpha <= 1);
        gamma_ok = isfinite(o.sig.gamma) && o.sig.gamma >= 0;
        eps = version >= 4 ? o.sig.poly1_epsilon : 0.0;
        break;
    default: {
        uint8_t k = byte(r);
        o.smx.gamma = gamma_value = parameter(r, gammas, sizeof gammas / sizeof *gammas);
        o.smx.poly1_epsilon = parameter(r, epsilons, sizeof epsilons / sizeof *epsilons);
        o.smx.label_smoothing = k & 1 ? parameter(r, smoothings, sizeof smoothings / sizeof *smoothings) : 0.0;
        o.smx.ignore_index = k & 2 ? (int64_t)(byte(r) % 12) - 2 : -100;
        gamma_ok = isfinite(o.smx.gamma) && o.smx.gamma >= 0;
        smoothing_ok = o.smx.label_smoothing >= 0 && o.smx.label_smoothing <= 1;
        eps = version >= 3 ? o.smx.poly1_epsilon : 0.0;
        if (k & 4 && real_sizes && classes <= 64) {
            class_weights = (double *)malloc((size_t)classes * sizeof(double));
            for (i = 0; i < (size_t)classes; ++i) {
                uint8_t a = byte(r);
                class_weights[i] = a < 230 ? weights[a % 6] : weights[a % 9];
                if (!(isfinite(class_weights[i]) && class_weights[i] >= 0)) alpha_ok = 0;
            }
            o.smx.alpha = class_weights;
        }
        ignore = o.smx.ignore_index;
        break;
    }
    }
    if (poly) {
        /* Finite and >= -1 / (gamma + 1); with the softmax, label smoothing 0 unless it is 0. */
        parameter_ok = isfinite(eps) && (!gamma_ok || eps >= -1.0 / (gamma_value + 1.0));
        if (softmax && eps != 0 && o.smx.label_smoothing != 0) parameter_ok = 0;
    }
    if (options_null) {
        reduction_ok = normalizer_ok = version_ok = precision_ok = threads_ok = alpha_ok = gamma_ok = parameter_ok = smoothing_ok = 1;
        ignore = -100;
        eps = 0;
        reduction_value = softmax ? FOCAL_REDUCTION_MEAN : FOCAL_REDUCTION_NONE;
    }

    /* Inputs: logits, targets (sigmoid-like: values; softmax: int64 labels), weights. */
    if (elements) {
        x = malloc(elements * width);
        for (i = 0; i < elements; ++i) family_store(dt, x, i, logit(r));
    }
    if (softmax && positions) {
        t = malloc((size_t)positions * 8);
        for (i = 0; i < (size_t)positions; ++i) {
            uint8_t k = byte(r);
            int64_t y = k < 200 ? k % classes : k < 230 ? ignore : k < 245 ? classes + k % 3 : -1 - k % 3;
            ((int64_t *)t)[i] = y;
            if (y != ignore && !(y >= 0 && y < classes)) bad_target = 1;
        }
    } else if (!softmax && elements) {
        t = malloc(elements * width);
        for (i = 0; i < elements; ++i) {
            uint8_t k = byte(r);
            double v = k < 100 ? 0.0 : k < 180 ? 1.0 : k < 245 ? unit(r) : k < 250 ? 1.5 : k < 253 ? -0.25 : NAN;
            family_store(dt, t, i, v);
            if (!(family_load(dt, t, i) >= 0 && family_load(dt, t, i) <= 1)) bad_target = 1;
        }
    }
    if (!weights_null && real_sizes) {
        weights_n = softmax || layout == FOCAL_WEIGHTS_PER_POSITION ? (size_t)positions : elements;
        if (weights_n) {
            w = malloc(weights_n * width);
            for (i = 0; i < weights_n; ++i) {
                uint8_t k = byte(r);
                family_store(dt, w, i, k < 200 ? good_weights[k % 8] : odd_weights[k % 7]);
            }
        }
    }
    if (w != NULL && layout_ok) {
        for (i = 0; i < weights_n; ++i) {
            int read = !softmax || ((const int64_t *)t)[i] != ignore;
            if (read && !weight_ok(family_load(dt, w, i))) bad_weight_read = 1;
        }
    }
    {
        const int none = reduction_value == FOCAL_REDUCTION_NONE;
        outputs_n = none ? (softmax ? (size_t)positions : elements) : 1;
        if (!real_sizes) outputs_n = 1;
        if ((flags >> 5) & 1 && outputs_n && real_sizes) {
            up = malloc(outputs_n * width);
            for (i = 0; i < outputs_n; ++i) family_store(dt, up, i, parameter(r, upstreams, sizeof upstreams / sizeof *upstreams));
        }
    }

    /* Outputs, stats, NULLs and overlaps. */
    family_guarded(&loss_out, dt, outputs_n ? outputs_n : 1, 0);
    family_guarded(&grad_out, dt, elements ? elements : 1, accumulate);
    if (stats_mode != 1) {
        stats_block = (unsigned char *)malloc(2 * GUARD + sizeof(focal_stats));
        memset(stats_block, guard_byte, 2 * GUARD + sizeof(focal_stats));
        stats = (focal_stats *)(void *)(stats_block + GUARD);
        memset(stats, 0x5a, sizeof *stats);
        if (stats_mode == 2) stats_version = stats_versions[byte(r) % (sizeof stats_versions / sizeof *stats_versions)];
        stats->version = stats_version;
        stats_bad_version = stats_version != FOCAL_STATS_VERSION;
        memcpy(stats_saved, stats, sizeof stats_saved);
    }
    nulls = byte(r);
    ov = byte(r);
    xp = nulls == 1 ? NULL : x;
    tp = nulls == 2 ? NULL : t;
    lp = nulls == 3 ? NULL : guarded_data(&loss_out);
    gp = want_grad ? guarded_data(&grad_out) : NULL;
    loss_null = lp == NULL;
    if (ov >= 192) {
        /* 1 grad over logits, 2 loss over targets, 3 grad over the loss (NONE), 4 loss over the
         * weights, 5 grad over grad_loss, 6 stats over the loss, 7 stats over the logits. */
        int kind = 1 + ov % 7;
        size_t t_bytes = softmax ? (size_t)positions * 8 : elements * width;
        if (kind == 1 && gp && xp && elements) { gp = xp; over = xp; over_bytes = elements * width; overlap = 1; }
        if (kind == 2 && lp && tp && outputs_n && t_bytes) { lp = tp; over = tp; over_bytes = t_bytes; overlap = 1; }
        if (kind == 3 && gp && lp && elements && reduction_value == FOCAL_REDUCTION_NONE && !softmax) { gp = lp; overlap = 1; }
        if (kind == 4 && lp && w && outputs_n) { lp = w; over = w; over_bytes = weights_n * width; overlap = 1; }
        if (kind == 5 && gp && up && elements) { gp = up; over = up; over_bytes = outputs_n * width; overlap = 1; }
        if ((kind == 6 || kind == 7) && stats && stats_mode != 2) {
            void *at = kind == 6 ? lp : xp;
            size_t bytes = kind == 6 ? outputs_n * width : elements * width;
            if (at != NULL && bytes >= sizeof(focal_stats) && real_sizes) {
                /* Over the logits: their first bytes read as a known version, so that only the
                 * overlap is wrong; over the loss, its fill is the version (any error will do). */
                if (kind == 7) memcpy(at, &stats_version, sizeof stats_version);
                else {
                    uint32_t read_version;
                    memcpy(&read_version, at, sizeof read_version);
                    if (read_version != FOCAL_STATS_VERSION) stats_bad_version = 1;
                }
                stats = (focal_stats *)at;
                over = kind == 7 ? at : NULL;
                over_bytes = bytes;
                overlap = 1;
            }
        }
        if (over != NULL) {
            over_saved = (unsigned char *)malloc(over_bytes);
            memcpy(over_saved, over, over_bytes);
        }
    }
    {
        const int64_t claimed_elements = valid_sizes ? e : 0, claimed_positions = valid_sizes ? p1 : 0;
        const int none = reduction_value == FOCAL_REDUCTION_NONE;
        null_needed = (xp == NULL && claimed_elements > 0) || (tp == NULL && (softmax ? claimed_positions : claimed_elements) > 0) ||
                      (loss_null && (!none || (softmax ? claimed_positions : claimed_elements) > 0));
    }
    snprintf(current_call, sizeof current_call,
             "family %s_%s batch=%lld classes=%lld inner=%lld layout=%lld reduction=%lld version=%u options=%s weights=%s upstream=%s "
             "grad=%s accumulate=%d stats_mode=%d nulls=%u overlap=%u eps=%g",
             family_names[loss], family_dtypes[dt], (long long)batch, (long long)classes, (long long)inner, (long long)layout,
             (long long)reduction_value, (unsigned)version, options_null ? "NULL" : "given", weights_null ? "NULL" : w ? "given" : "empty",
             up ? "yes" : "no", want_grad ? "yes" : "no", accumulate, stats_mode, (unsigned)nulls, (unsigned)ov, eps);

    status = family_call(loss, dt, options_null ? NULL : &o, batch, classes, inner, xp, tp, w, layout, up, lp, gp, stats);
#ifdef FUZZ_TRACE
    fprintf(stderr, "%s -> %d %s\n", current_call, (int)status, status ? focal_last_error_message() : "");
#endif

    if (!guards_intact(&loss_out) || !guards_intact(&grad_out)) fail("family: write outside an output");
    if (stats_block != NULL) {
        for (i = 0; i < GUARD; ++i)
            if (stats_block[i] != guard_byte || stats_block[GUARD + sizeof(focal_stats) + i] != guard_byte) fail("family: write outside the stats");
    }
    if (status != FOCAL_OK) {
        const char *message = focal_last_error_message();
        int documented;
        if (!overlap && (!untouched(&loss_out) || !untouched(&grad_out))) fail("family: output written on error");
        if (overlap && (lp == guarded_data(&loss_out) && !untouched(&loss_out))) fail("family: loss written on error");
        if (overlap && (gp == guarded_data(&grad_out) && !untouched(&grad_out))) fail("family: grad written on error");
        if (over != NULL && memcmp(over, over_saved, over_bytes) != 0) fail("family: the buffer under an output written on error");
        if (stats_block != NULL && memcmp(stats_block + GUARD, stats_saved, sizeof stats_saved) != 0) fail("family: stats written on error");
        if (!message || !message[0] || strcmp(message, "no error") == 0) fail("family: no message");
        if (strncmp(focal_status_string(status), "FOCAL_ERROR_", 12) != 0) fail("family: status without a name");
        switch (status) {
        case FOCAL_ERROR_NULL_POINTER: documented = null_needed; break;
        case FOCAL_ERROR_INVALID_SHAPE: documented = !valid_sizes || !real_sizes || !layout_ok; break;
        case FOCAL_ERROR_TARGET_OUT_OF_RANGE: documented = bad_target; break;
        case FOCAL_ERROR_INVALID_ALPHA: documented = !alpha_ok; break;
        case FOCAL_ERROR_INVALID_GAMMA: documented = !gamma_ok; break;
        case FOCAL_ERROR_INVALID_PARAMETER:
            documented = !parameter_ok;
            if (!strstr(message, loss == FAM_STAR || loss == FAM_QUALITY ? "beta" : loss == FAM_ASYM ? "margin" : "poly1_epsilon"))
                fail("family: FOCAL_ERROR_INVALID_PARAMETER does not name the parameter");
            break;
        case FOCAL_ERROR_INVALID_WEIGHT:
            documented = bad_weight_read || !layout_ok;
            if (!strstr(message, "weights[")) fail("family: FOCAL_ERROR_INVALID_WEIGHT does not name the weight");
            break;
        case FOCAL_ERROR_INVALID_NORMALIZER: documented = !normalizer_ok; break;
        case FOCAL_ERROR_INVALID_REDUCTION: documented = !reduction_ok; break;
        case FOCAL_ERROR_INVALID_OPTIONS_VERSION: documented = !version_ok || stats_bad_version; break;
        case FOCAL_ERROR_INVALID_THREAD_COUNT: documented = !threads_ok; break;
        case FOCAL_ERROR_OVERLAPPING_BUFFERS: documented = overlap; break;
        case FOCAL_ERROR_INVALID_PRECISION: documented = !precision_ok; break;
        case FOCAL_ERROR_INVALID_LABEL_SMOOTHING: documented = softmax && !smoothing_ok; break;
        default: documented = 0; break;
        }
        if (!documented) fail("family: an error status the header does not give for these arguments");
    } else {
        const int none = reduction_value == FOCAL_REDUCTION_NONE;
        double positives = 0, weight_sum = 0, divisor = 0;
        const double left_grad = accumulate ? 0.5 : 0.0;
        if (!valid_sizes || (!real_sizes && !empty_ok)) fail("family: impossible sizes accepted");
        if (!layout_ok) fail("family: an unknown weights layout accepted");
        if (!reduction_ok || !normalizer_ok || !version_ok || !precision_ok || !threads_ok) fail("family: an invalid option accepted");
        if (!alpha_ok || !gamma_ok || !parameter_ok || !smoothing_ok) fail("family: an invalid loss parameter accepted");
        if (bad_target) fail("family: a target out of range accepted");
        if (bad_weight_read) fail("family: an invalid weight accepted");
        if (stats_bad_version) fail("family: an unknown stats version accepted");
        if (overlap) fail("family: overlapping buffers accepted");
        if (null_needed) fail("family: a NULL array accepted");

        /* Weight 0 (and an ignored position): loss 0, gradient 0 or left as it was; every other
         * loss of NONE written and not NaN where its logit (row) is not; the stats' sums. */
        if (softmax) {
            for (i = 0; i < (size_t)positions; ++i) {
                int64_t y = ((const int64_t *)t)[i];
                double wp = w ? family_load(dt, w, i) : 1.0;
                size_t base = (i / (size_t)inner) * (size_t)(classes * inner) + i % (size_t)inner, cc;
                if (y != ignore) {
                    positives += wp * (o.smx.alpha && !options_null ? o.smx.alpha[y] : 1.0);
                    weight_sum += wp;
                }
                if (y != ignore && wp != 0) continue;
                if (none && guarded_value(&loss_out, dt, i) != 0) family_fail("family softmax: loss of a weight-0 or ignored position", i, guarded_value(&loss_out, dt, i), 0);
                for (cc = 0; cc < (size_t)classes && want_grad; ++cc)
                    if (guarded_value(&grad_out, dt, base + cc * (size_t)inner) != left_grad) family_fail("family softmax: gradient of a weight-0 or ignored position", base, 0, left_grad);
            }
            divisor = positives;
        } else {
            for (n = 0; n < elements; ++n) {
                size_t position = (n / (size_t)(classes * inner)) * (size_t)inner + n % (size_t)inner;
                double wn = w ? family_load(dt, w, layout == FOCAL_WEIGHTS_PER_POSITION ? position : n) : 1.0;
                double xn = family_load(dt, x, n);
                positives += family_load(dt, t, n);
                weight_sum += wn;
                if (wn != 0) {
                    if (none && !isnan(xn) && isnan(guarded_value(&loss_out, dt, n))) family_fail("family: loss NaN at a logit that is not", n, xn, 0);
                    if (want_grad && !accumulate && !written(&grad_out, n)) family_fail("family: gradient not written", n, 0, 0);
                    continue;
                }
                if (none && guarded_value(&loss_out, dt, n) != 0) family_fail("family: loss of a weight-0 element", n, guarded_value(&loss_out, dt, n), 0);
                if (want_grad && guarded_value(&grad_out, dt, n) != left_grad) family_fail("family: gradient of a weight-0 element", n, guarded_value(&grad_out, dt, n), left_grad);
            }
            divisor = (double)elements;
        }
        if (stats != NULL) {
            const int mean = reduction_value == FOCAL_REDUCTION_MEAN;
            const int use = !options_null && o.sig.use_normalizer;
            double want_divisor = !mean ? 1.0 : use ? o.sig.normalizer : divisor;
            if (stats->version != FOCAL_STATS_VERSION) fail("family: stats version changed");
            if (!sums_agree(stats->positives, positives)) family_fail("family: stats positives", 0, stats->positives, positives);
            if (!sums_agree(stats->weight_sum, weight_sum)) family_fail("family: stats weight_sum", 0, stats->weight_sum, weight_sum);
            if (!sums_agree(stats->divisor, want_divisor)) family_fail("family: stats divisor", 0, stats->divisor, want_divisor);
        }

        /* The same call on one thread: bit for bit. */
        if (!options_null && o.sig.num_threads != 1) {
            family_options o1 = o;
            guarded l1, g1;
            focal_stats s1;
            focal_status status1;
            o1.star.num_threads = o1.asym.num_threads = o1.quality.num_threads = o1.vari.num_threads = o1.sig.num_threads = o1.smx.num_threads = 1;
            family_guarded(&l1, dt, outputs_n ? outputs_n : 1, 0);
            family_guarded(&g1, dt, elements ? elements : 1, accumulate);
            s1.version = FOCAL_STATS_VERSION;
            status1 = family_call(loss, dt, &o1, batch, classes, inner, xp, tp, w, layout, up, guarded_data(&l1), gp ? guarded_data(&g1) : NULL,
                                  stats ? &s1 : NULL);
            if (status1 != FOCAL_OK) fail("family: num_threads 1 refuses what another count accepted");
            if (memcmp(l1.block + GUARD, loss_out.block + GUARD, outputs_n * width) != 0) fail("family: num_threads changes the loss");
            if (gp && memcmp(g1.block + GUARD, grad_out.block + GUARD, elements * width) != 0) fail("family: num_threads changes the gradient");
            if (stats && (memcmp(&s1.positives, &stats->positives, 8) || memcmp(&s1.weight_sum, &stats->weight_sum, 8) ||
                          memcmp(&s1.divisor, &stats->divisor, 8)))
                fail("family: num_threads changes the stats");
            free(l1.block);
            free(g1.block);
        }

        /* Poly-1 = 0: the previous struct version (without poly1_epsilon) gives the same results. */
        if (poly && !options_null && eps == 0 && version == (softmax ? 3u : 4u)) {
            family_options o0 = o;
            guarded l0, g0;
            focal_status status0;
            if (softmax) o0.smx.version = 2; else o0.sig.version = 3;
            o0.smx.poly1_epsilon = o0.sig.poly1_epsilon = NAN;  /* not read */
            family_guarded(&l0, dt, outputs_n ? outputs_n : 1, 0);
            family_guarded(&g0, dt, elements ? elements : 1, accumulate);
            status0 = family_call(loss, dt, &o0, batch, classes, inner, xp, tp, w, layout, up, guarded_data(&l0), gp ? guarded_data(&g0) : NULL, NULL);
            if (status0 != FOCAL_OK) fail("family: the previous options version refuses what poly1_epsilon 0 accepted");
            if (memcmp(l0.block + GUARD, loss_out.block + GUARD, outputs_n * width) != 0 ||
                (gp && memcmp(g0.block + GUARD, grad_out.block + GUARD, elements * width) != 0))
                fail("family: poly1_epsilon 0 differs from the focal loss (previous options version)");
            free(l0.block);
            free(g0.block);
        }

        /* Poly-1 other than 0: the gradient-and-Hessian functions refuse it, writing nothing. */
        if (poly && eps != 0 && (dt == FAM_F32 || dt == FAM_F64) && real_sizes) {
            guarded gh, hh;
            focal_status s2;
            guarded_make_nan(&gh, elements ? elements : 1, width);
            guarded_make_nan(&hh, elements ? elements : 1, width);
            if (softmax)
                s2 = dt == FAM_F32 ? focal_softmax_grad_hess_f32_i64(&o.smx, FOCAL_HESSIAN_EXACT, batch, classes, inner, (const float *)xp, (const int64_t *)tp,
                                                                     (const float *)w, (float *)guarded_data(&gh), (float *)guarded_data(&hh))
                                   : focal_softmax_grad_hess_f64_i64(&o.smx, FOCAL_HESSIAN_EXACT, batch, classes, inner, (const double *)xp, (const int64_t *)tp,
                                                                     (const double *)w, (double *)guarded_data(&gh), (double *)guarded_data(&hh));
            else
                s2 = dt == FAM_F32 ? focal_sigmoid_grad_hess_f32(&o.sig, FOCAL_HESSIAN_EXACT, batch, classes, inner, (const float *)xp, (const float *)tp,
                                                                 (const float *)w, (focal_weights_layout)layout, (float *)guarded_data(&gh), (float *)guarded_data(&hh))
                                   : focal_sigmoid_grad_hess_f64(&o.sig, FOCAL_HESSIAN_EXACT, batch, classes, inner, (const double *)xp, (const double *)tp,
                                                                 (const double *)w, (focal_weights_layout)layout, (double *)guarded_data(&gh), (double *)guarded_data(&hh));
            if (s2 != FOCAL_ERROR_INVALID_PARAMETER) {
                snprintf(family_message, sizeof family_message, "family: a grad_hess function given poly1_epsilon %g returns %d", eps, (int)s2);
                fail(family_message);
            }
            if (!untouched(&gh) || !untouched(&hh) || !guards_intact(&gh) || !guards_intact(&hh)) fail("family: grad_hess wrote on a poly1 error");
            free(gh.block);
            free(hh.block);
        }

        /* Against the f64 function on the same (widened) values; that call's own gradient finite
         * where a limit exists, its loss finite where the logits are. */
        if (real_sizes && !empty_ok) {
            double *x64 = (double *)malloc(elements * sizeof(double)), *t64 = NULL, *w64 = NULL, *up64 = NULL;
            double *l64 = (double *)malloc((outputs_n ? outputs_n : 1) * sizeof(double)), *g64 = (double *)malloc(elements * sizeof(double));
            focal_stats s64;
            focal_status status64;
            const int mean_defined = reduction_value != FOCAL_REDUCTION_MEAN || (!options_null && o.sig.use_normalizer) || divisor > 0;
            for (i = 0; i < elements; ++i) { x64[i] = family_load(dt, x, i); g64[i] = accumulate ? 0.5 : (double)NAN; }
            for (i = 0; i < outputs_n; ++i) l64[i] = NAN;
            if (!softmax) {
                t64 = (double *)malloc(elements * sizeof(double));
                for (i = 0; i < elements; ++i) t64[i] = family_load(dt, t, i);
            }
            if (w) {
                w64 = (double *)malloc(weights_n * sizeof(double));
                for (i = 0; i < weights_n; ++i) w64[i] = family_load(dt, w, i);
            }
            if (up) {
                up64 = (double *)malloc(outputs_n * sizeof(double));
                for (i = 0; i < outputs_n; ++i) up64[i] = family_load(dt, up, i);
            }
            s64.version = FOCAL_STATS_VERSION;
            status64 = family_call(loss, FAM_F64, options_null ? NULL : &o, batch, classes, inner, x64, softmax ? t : (void *)t64, w64, layout,
                                   up64, l64, want_grad ? g64 : NULL, stats ? &s64 : NULL);
            if (status64 != FOCAL_OK) fail("family: the f64 function refuses the same values");
#ifdef FUZZ_DUMP
            for (i = 0; i < elements; ++i)
                fprintf(stderr, "x[%zu] = %.17g t = %.17g grad = %.17g (f64 %.17g)\n", i, x64[i], softmax ? 0.0 : t64[i],
                        want_grad ? guarded_value(&grad_out, dt, i) : 0.0, g64[i]);
            for (i = 0; i < outputs_n; ++i) fprintf(stderr, "loss[%zu] = %.17g (f64 %.17g)\n", i, guarded_value(&loss_out, dt, i), l64[i]);
            for (i = 0; i < (size_t)positions && softmax; ++i) fprintf(stderr, "y[%zu] = %lld\n", i, (long long)((const int64_t *)t)[i]);
            for (i = 0; i < weights_n && w64; ++i) fprintf(stderr, "w[%zu] = %.17g\n", i, w64[i]);
#endif
            /* The four family losses compute in double in both tiers: their float32 results are
             * f64's rounded. The sigmoid's and softmax's float32 results are not where terms
             * cancel (a soft target's gradient, Poly-1 with a negative epsilon: docs/accuracy.md
             * bounds that error by the terms, which this target does not compute), and their fast
             * tier computes in float32: only their 16-bit results of the exact tier are compared
             * (cancellation's error there is far below a 16-bit ulp), as the twins do. */
            const int fast = !options_null && o.sig.precision == FOCAL_PRECISION_FAST && version >= 2;
            const int compare = dt != FAM_F64 && (!poly || (dt >= FAM_F16 && !fast));
            for (i = 0; i < outputs_n && compare; ++i) {
                double got = guarded_value(&loss_out, dt, i);
                int ok = dt == FAM_F32 ? f32_agrees(got, l64[i]) : half_agrees(twin_type(dt), ((const uint16_t *)guarded_data(&loss_out))[i], l64[i]);
                if (!ok) family_fail("family: loss differs from f64's on the same values", i, got, l64[i]);
            }
            for (n = 0; n < elements && want_grad && compare; ++n) {
                double got = guarded_value(&grad_out, dt, n);
                int ok = dt == FAM_F32 ? f32_agrees(got, g64[n]) : half_agrees(twin_type(dt), ((const uint16_t *)guarded_data(&grad_out))[n], g64[n]);
                if (!ok) family_fail("family: gradient differs from f64's on the same values", n, got, g64[n]);
            }
            if (want_grad && mean_defined) {
                for (n = 0; n < elements; ++n) {
                    int limit = 1;
                    if (softmax) {
                        size_t row = (n / (size_t)(classes * inner)) * (size_t)inner + n % (size_t)inner, cc;
                        size_t base = (row / (size_t)inner) * (size_t)(classes * inner) + row % (size_t)inner;
                        int above = 0;
                        for (cc = 0; cc < (size_t)classes; ++cc) {
                            double v = x64[base + cc * (size_t)inner];
                            if (isnan(v) || v == INFINITY) limit = 0;
                            if (v > -INFINITY) above = 1;
                        }
                        if (!above) limit = 0;
                    } else {
                        limit = !isnan(x64[n]);
                    }
                    if (limit && !isfinite(g64[n])) family_fail("family: f64 gradient not finite where a limit exists", n, g64[n], 0);
                }
            }
            if (none && !softmax) {
                for (n = 0; n < elements; ++n)
                    if (isfinite(x64[n]) && !isfinite(l64[n])) family_fail("family: f64 loss not finite at a finite logit", n, l64[n], x64[n]);
            }
            free(x64); free(t64); free(w64); free(up64); free(l64); free(g64);
        }
    }

    free(x);
    free(t);
    free(w);
    free(up);
    free(class_weights);
    free(over_saved);
    free(stats_block);
    free(loss_out.block);
    free(grad_out.block);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = {data, size, 0};
    uint8_t op = byte(&r);
    int f64 = op & 1, softmax = (op >> 1) & 1, i32 = (op >> 2) & 1;
    int weighted = op >= 0xF0 && op < 0xF8;  /* the _weighted functions */
    int labels = !softmax && !weighted && (op & 0x38) == 0x38;  /* the sigmoid from integer labels */
    size_t width = f64 ? 8 : 4;
    int64_t count = 0, batch = 0, classes = 0, inner = 0, positions = 0;
    int empty_sigmoid = 0;
    int64_t ignore = -100;
    size_t elements, outputs_n, i;
    int real_sizes;
    uint8_t flags = byte(&r);
    focal_sigmoid_options so;
    focal_softmax_options xo;
    focal_reduction reduction;
    int accumulate = (flags >> 1) & 1;
    double *weight_values = NULL;
    void *x = NULL, *t = NULL, *up = NULL;
    guarded loss, grad;
    focal_status status;
    /* The _weighted calls: weights NULL or given, their layout, the stats. */
    int weights_null = 0, layout_ok = 1, stats_mode = 0, stats_target = 0, stats_over = 0, bad_weight_read = 0;
    int64_t layout = FOCAL_WEIGHTS_PER_ELEMENT;
    size_t weights_n = 0, t_bytes = 0;
    void *w = NULL;
    unsigned char *stats_block = NULL, stats_saved[sizeof(focal_stats)], over_saved[sizeof(focal_stats)];
    uint32_t stats_version = 0;
    focal_stats *stats = NULL;
    uint8_t null_choice = 0;  /* for the 16-bit twin */

    if (op >= 0xF8) {  /* The small functions. */
        focal_sigmoid_options o;
        focal_softmax_options p;
        uint32_t version = byte(&r) % 4;
        if (!focal_status_string((focal_status)u32(&r))) fail("status string NULL");
        memset(&o, 0x5a, sizeof o);
        memset(&p, 0x5a, sizeof p);
        if (focal_sigmoid_options_init(&o, version) != FOCAL_OK && o.version != 0x5a5a5a5a) fail("init wrote on error");
        if (focal_softmax_options_init(&p, version) != FOCAL_OK && p.version != 0x5a5a5a5a) fail("init wrote on error");
        /* More bytes after these seven: a gradient-boosting call (no seed from before ends so),
         * or a family call when the next byte is 0x80 or more (no seed from before has one). */
        if (r.pos < r.size && r.data[r.pos] >= 0x80) {
            uint8_t selector = byte(&r);
            run_family(&r, selector);
        } else if (r.pos < r.size) {
            run_boosting(&r);
        }
        return 0;
    }

    if (weighted) {
        /* bit 0: labels (sigmoid); bit 1: weights NULL; bits 2-3: stats valid, NULL, of a
         * version from the table, or over another buffer (chosen by the next byte). */
        uint8_t wflags = byte(&r);
        labels = !softmax && (wflags & 1);
        weights_null = (wflags >> 1) & 1;
        stats_mode = (wflags >> 2) & 3;
        if (!softmax) {
            uint8_t k = byte(&r);
            layout = k < 110 ? FOCAL_WEIGHTS_PER_ELEMENT : k < 220 ? FOCAL_WEIGHTS_PER_POSITION : k == 255 ? -1 : 2 + k % 8;
            layout_ok = layout == FOCAL_WEIGHTS_PER_ELEMENT || layout == FOCAL_WEIGHTS_PER_POSITION;
        }
        if (stats_mode != 1) {
            stats_block = (unsigned char *)malloc(2 * GUARD + sizeof(focal_stats));
            memset(stats_block, guard_byte, 2 * GUARD + sizeof(focal_stats));
            stats = (focal_stats *)(void *)(stats_block + GUARD);
            memset(stats, 0x5a, sizeof *stats);
            stats->version = stats_mode == 2 ? stats_versions[byte(&r) % (sizeof stats_versions / sizeof *stats_versions)]
                                             : FOCAL_STATS_VERSION;
            if (stats_mode == 3) stats_target = byte(&r) % 6;
            stats_version = stats->version;
            memcpy(stats_saved, stats, sizeof stats_saved);
        }
    }

    /* Sizes. */
    if (softmax || labels || weighted) {
        batch = size_value(&r, 12);
        classes = size_value(&r, 9);
        inner = size_value(&r, 5);
        {
            /* Real: every size >= 0 and the products small enough to allocate, which includes a
             * huge size times 0. Anything else the library must refuse before reading. */
            int64_t p1 = 0, e = 0;
            int overflow = __builtin_mul_overflow(batch, inner, &p1) || __builtin_mul_overflow(p1, classes, &e);
            real_sizes = batch >= 0 && classes >= 0 && inner >= 0 && !overflow && p1 <= MAX_ELEMENTS &&
                         e <= MAX_ELEMENTS;
            /* The weighted sigmoid takes classes = 0 (no element): then batch * inner only sizes
             * per-position weights, NULL here, and any such count the library may accept. */
            empty_sigmoid = weighted && !softmax && !labels && classes == 0 && batch >= 0 && inner >= 0 && !overflow;
            positions = real_sizes ? p1 : 0;
            elements = real_sizes ? (size_t)e : 0;
        }
    } else {
        count = size_value(&r, 255);
        real_sizes = count >= 0 && count <= 255;
        elements = real_sizes ? (size_t)count : 0;
    }

    /* Options. */
    focal_sigmoid_options_init(&so, FOCAL_SIGMOID_OPTIONS_VERSION);
    focal_softmax_options_init(&xo, FOCAL_SOFTMAX_OPTIONS_VERSION);
    {
        uint8_t k = byte(&r);
        reduction = (focal_reduction)(k < 240 ? k % 3 : k);  /* sometimes an unknown value */
    }
    so.reduction = xo.reduction = reduction;
    so.alpha = parameter(&r, alphas, sizeof alphas / sizeof *alphas);
    so.gamma = xo.gamma = parameter(&r, gammas, sizeof gammas / sizeof *gammas);
    xo.label_smoothing = parameter(&r, smoothings, sizeof smoothings / sizeof *smoothings);
    so.use_normalizer = xo.use_normalizer = (flags >> 2) & 1;
    so.normalizer = xo.normalizer = parameter(&r, normalizers, sizeof normalizers / sizeof *normalizers);
    so.num_threads = xo.num_threads = (int32_t)(byte(&r) % 20) - 2;  /* -2 .. 17 */
    so.accumulate_grad = xo.accumulate_grad = accumulate;
    xo.ignore_index = (flags >> 3) & 1 ? -100 : (int64_t)(byte(&r) % 12) - 2;
    so.ignore_index = xo.ignore_index;
    if ((flags >> 4) & 1) {
        uint8_t v = byte(&r);
        so.version = xo.version = v < 200 ? 1 : v;
    }
    /* The ignore_index the call uses: a sigmoid options struct before version 3 has none (-100). */
    ignore = softmax || so.version >= 3 ? xo.ignore_index : -100;
    if (softmax && (flags >> 5) & 1 && real_sizes && classes > 0 && classes <= 64) {
        weight_values = (double *)malloc((size_t)classes * sizeof(double));
        for (i = 0; i < (size_t)classes; ++i) {
            uint8_t k = byte(&r);
            weight_values[i] = k < 230 ? weights[k % 6] : weights[k % 9];
        }
        xo.alpha = weight_values;
    }

    /* Inputs. */
    if (elements) {
        x = malloc(elements * width);
        for (i = 0; i < elements; ++i) {
            double v = logit(&r);
            if (f64) ((double *)x)[i] = v; else ((float *)x)[i] = (float)v;
        }
    }
    if ((softmax || labels) && positions) {
        /* Class indices, ignore_index, C (background for labels, out of range for softmax),
         * and values out of range for both. */
        t = malloc((size_t)positions * (i32 ? 4 : 8));
        for (i = 0; i < (size_t)positions; ++i) {
            uint8_t k = byte(&r);
            int64_t y = k < 200 ? (classes ? k % classes : 0) : k < 230 ? xo.ignore_index : k < 245 ? classes + k % 3 : -1 - k % 3;
            if (i32) ((int32_t *)t)[i] = (int32_t)y; else ((int64_t *)t)[i] = y;
        }
        t_bytes = (size_t)positions * (i32 ? 4 : 8);
    } else if (!softmax && !labels && elements) {
        t_bytes = elements * width;
        t = malloc(elements * width);
        for (i = 0; i < elements; ++i) {
            uint8_t k = byte(&r);
            double v = k < 100 ? 0.0 : k < 180 ? 1.0 : k < 245 ? unit(&r) : k < 250 ? 1.5 : k < 253 ? -0.25 : NAN;
            if (f64) ((double *)t)[i] = v; else ((float *)t)[i] = (float)v;
        }
    }

    /* Weights (the _weighted calls), as many as the layout asks (elements for an unknown one). */
    if (weighted && !weights_null && real_sizes) {
        weights_n = softmax || layout == FOCAL_WEIGHTS_PER_POSITION ? (size_t)positions : elements;
        if (weights_n) {
            w = malloc(weights_n * width);
            for (i = 0; i < weights_n; ++i) {
                uint8_t k = byte(&r);
                double v = k < 200 ? good_weights[k % 8] : odd_weights[k % 7];
                if (f64) ((double *)w)[i] = v; else ((float *)w)[i] = (float)v;
            }
        }
    }

    /* Outputs, and the upstream gradient. */
    {
        size_t per = softmax ? (size_t)positions : elements;
        outputs_n = reduction == FOCAL_REDUCTION_NONE ? per : 1;
        if (!real_sizes) outputs_n = 1;
        if ((flags >> 6) & 1 && outputs_n) {
            up = malloc(outputs_n * width);
            for (i = 0; i < outputs_n; ++i) {
                double v = parameter(&r, upstreams, sizeof upstreams / sizeof *upstreams);
                if (f64) ((double *)up)[i] = v; else ((float *)up)[i] = (float)v;
            }
        }
    }
    snprintf(current_call, sizeof current_call,
             "%s %s%s count=%lld batch=%lld classes=%lld inner=%lld reduction=%d alpha=%g gamma=%g smoothing=%g "
             "normalizer=%s%g threads=%d accumulate=%d ignore=%lld weights=%s upstream=%s grad=%s",
             softmax ? (weighted ? "softmax_weighted" : "softmax") : labels ? (weighted ? "sigmoid_labels_weighted" : "sigmoid_labels")
                     : weighted ? "sigmoid_weighted" : "sigmoid", f64 ? "f64" : "f32",
             softmax || labels ? (i32 ? "_i32" : "_i64") : "",
             (long long)count, (long long)batch, (long long)classes, (long long)inner, (int)reduction, so.alpha,
             so.gamma, xo.label_smoothing, so.use_normalizer ? "" : "unused ", so.normalizer, so.num_threads,
             accumulate, (long long)xo.ignore_index, weight_values ? "yes" : "no", up ? "yes" : "no",
             flags & 1 ? "yes" : "no");
    if (weighted) {
        size_t used = strlen(current_call);
        snprintf(current_call + used, sizeof current_call - used, " sample_weights=%s layout=%lld stats=%s version=%u",
                 weights_null ? "NULL" : w ? "given" : "empty", (long long)layout,
                 stats_mode == 1 ? "NULL" : stats_mode == 3 ? "over a buffer" : "yes", (unsigned)stats_version);
    }
    guarded_make(&loss, outputs_n, width, NAN);
    guarded_make(&grad, elements ? elements : 1, width, accumulate ? 0.5 : (double)NAN);
    {
        /* Sometimes a NULL where an array is needed. */
        uint8_t nulls = byte(&r);
        null_choice = nulls;
        void *xp = nulls == 1 ? NULL : x, *tp = nulls == 2 ? NULL : t;
        void *lp = nulls == 3 ? NULL : guarded_data(&loss);
        void *gp = flags & 1 ? guarded_data(&grad) : NULL;
        if (stats_mode == 3) {
            /* The stats over a buffer the call uses, of at least the struct's size: 0 logits,
             * 1 targets, 2 weights, 3 grad_loss (used with a gradient), 4 loss, 5 grad_logits. */
            void *over = NULL;
            size_t bytes = 0;
            switch (stats_target) {
            case 0: over = xp; bytes = elements * width; break;
            case 1: over = tp; bytes = t_bytes; break;
            case 2: over = w; bytes = weights_n * width; break;
            case 3: over = gp ? up : NULL; bytes = outputs_n * width; break;
            case 4: over = lp; bytes = real_sizes ? outputs_n * width : 0; break;
            default: over = gp; bytes = elements * width; break;
            }
            if (over != NULL && bytes >= sizeof(focal_stats)) {
                /* An input's first bytes read as a known version, so that only the overlap is
                 * wrong (the outputs keep their fill: any error will do there). */
                if (stats_target <= 3) memcpy(over, &stats_version, sizeof stats_version);
                stats = (focal_stats *)over;
                stats_over = 1;
                memcpy(over_saved, over, sizeof over_saved);
            }
        }
        if (weighted) {
            focal_weights_layout wl = (focal_weights_layout)layout;
            if (softmax) {
                if (f64 && i32) status = focal_softmax_weighted_f64_i32(&xo, batch, classes, inner, (const double *)xp, (const int32_t *)tp, (const double *)w, (const double *)up, (double *)lp, (double *)gp, stats);
                else if (f64) status = focal_softmax_weighted_f64_i64(&xo, batch, classes, inner, (const double *)xp, (const int64_t *)tp, (const double *)w, (const double *)up, (double *)lp, (double *)gp, stats);
                else if (i32) status = focal_softmax_weighted_f32_i32(&xo, batch, classes, inner, (const float *)xp, (const int32_t *)tp, (const float *)w, (const float *)up, (float *)lp, (float *)gp, stats);
                else status = focal_softmax_weighted_f32_i64(&xo, batch, classes, inner, (const float *)xp, (const int64_t *)tp, (const float *)w, (const float *)up, (float *)lp, (float *)gp, stats);
            } else if (labels) {
                if (f64 && i32) status = focal_sigmoid_labels_weighted_f64_i32(&so, batch, classes, inner, (const double *)xp, (const int32_t *)tp, (const double *)w, wl, (const double *)up, (double *)lp, (double *)gp, stats);
                else if (f64) status = focal_sigmoid_labels_weighted_f64_i64(&so, batch, classes, inner, (const double *)xp, (const int64_t *)tp, (const double *)w, wl, (const double *)up, (double *)lp, (double *)gp, stats);
                else if (i32) status = focal_sigmoid_labels_weighted_f32_i32(&so, batch, classes, inner, (const float *)xp, (const int32_t *)tp, (const float *)w, wl, (const float *)up, (float *)lp, (float *)gp, stats);
                else status = focal_sigmoid_labels_weighted_f32_i64(&so, batch, classes, inner, (const float *)xp, (const int64_t *)tp, (const float *)w, wl, (const float *)up, (float *)lp, (float *)gp, stats);
            } else if (f64) {
                status = focal_sigmoid_weighted_f64(&so, batch, classes, inner, (const double *)xp, (const double *)tp, (const double *)w, wl, (const double *)up, (double *)lp, (double *)gp, stats);
            } else {
                status = focal_sigmoid_weighted_f32(&so, batch, classes, inner, (const float *)xp, (const float *)tp, (const float *)w, wl, (const float *)up, (float *)lp, (float *)gp, stats);
            }
        } else if (softmax) {
            if (f64 && i32) status = focal_softmax_f64_i32(&xo, batch, classes, inner, (const double *)xp, (const int32_t *)tp, (const double *)up, (double *)lp, (double *)gp);
            else if (f64) status = focal_softmax_f64_i64(&xo, batch, classes, inner, (const double *)xp, (const int64_t *)tp, (const double *)up, (double *)lp, (double *)gp);
            else if (i32) status = focal_softmax_f32_i32(&xo, batch, classes, inner, (const float *)xp, (const int32_t *)tp, (const float *)up, (float *)lp, (float *)gp);
            else status = focal_softmax_f32_i64(&xo, batch, classes, inner, (const float *)xp, (const int64_t *)tp, (const float *)up, (float *)lp, (float *)gp);
        } else if (labels) {
            if (f64 && i32) status = focal_sigmoid_labels_f64_i32(&so, batch, classes, inner, (const double *)xp, (const int32_t *)tp, (const double *)up, (double *)lp, (double *)gp);
            else if (f64) status = focal_sigmoid_labels_f64_i64(&so, batch, classes, inner, (const double *)xp, (const int64_t *)tp, (const double *)up, (double *)lp, (double *)gp);
            else if (i32) status = focal_sigmoid_labels_f32_i32(&so, batch, classes, inner, (const float *)xp, (const int32_t *)tp, (const float *)up, (float *)lp, (float *)gp);
            else status = focal_sigmoid_labels_f32_i64(&so, batch, classes, inner, (const float *)xp, (const int64_t *)tp, (const float *)up, (float *)lp, (float *)gp);
        } else if (f64) {
            status = focal_sigmoid_f64(&so, count, (const double *)xp, (const double *)tp, (const double *)up, (double *)lp, (double *)gp);
        } else {
            status = focal_sigmoid_f32(&so, count, (const float *)xp, (const float *)tp, (const float *)up, (float *)lp, (float *)gp);
        }
        if (!real_sizes && !empty_sigmoid && status == FOCAL_OK) fail("impossible sizes accepted");
    }

    /* A bad weight where the call reads weights (every one for the sigmoid; the positions not
     * ignored for the labels and the softmax), under a known layout. */
    if (w != NULL && layout_ok) {
        for (i = 0; i < weights_n && !bad_weight_read; ++i) {
            size_t position = softmax || layout == FOCAL_WEIGHTS_PER_POSITION
                                  ? i : (i / (size_t)(classes * inner)) * (size_t)inner + i % (size_t)inner;
            int read = !(softmax || labels) || label_at(t, i32, position) != ignore;
            if (read && !weight_ok(stored(w, f64, i))) bad_weight_read = 1;
        }
    }

    if (!guards_intact(&loss) || !guards_intact(&grad)) fail("write outside an output");
    if (stats_block != NULL) {
        for (i = 0; i < GUARD; ++i)
            if (stats_block[i] != guard_byte || stats_block[GUARD + sizeof(focal_stats) + i] != guard_byte) fail("write outside the stats");
    }
    if (status != FOCAL_OK) {
        const char *message = focal_last_error_message();
        if (!untouched(&loss) || !untouched(&grad)) fail("output written on error");
        if (!message || !message[0] || strcmp(message, "no error") == 0) fail("no message");
        if (strncmp(focal_status_string(status), "FOCAL_ERROR_", 12) != 0) fail("status without a name");
        if (stats_over && memcmp(stats, over_saved, sizeof over_saved) != 0) fail("the buffer under the stats written on error");
        if (stats != NULL && !stats_over && memcmp(stats, stats_saved, sizeof stats_saved) != 0) fail("stats written on error");
        if (status == FOCAL_ERROR_INVALID_WEIGHT) {
            if (layout_ok && !bad_weight_read) fail("FOCAL_ERROR_INVALID_WEIGHT without a bad weight where weights are read");
            if (!strstr(message, "weights[")) fail("FOCAL_ERROR_INVALID_WEIGHT does not name the weight");
        }
    } else {
        /* Finite wherever the inputs are: per element (sigmoid) or per row (softmax). */
        int all_finite = 1;
        double divisor = 0;
        size_t n, c, p;
        for (i = 0; i < elements; ++i) {
            double v = f64 ? ((double *)x)[i] : ((float *)x)[i];
            if (!isfinite(v)) all_finite = 0;
        }
        if (softmax) {
            for (p = 0; p < (size_t)positions; ++p) {
                int64_t y = i32 ? ((int32_t *)t)[p] : ((int64_t *)t)[p];
                int row_finite = 1;
                size_t base = (p / (size_t)inner) * (size_t)(classes * inner) + p % (size_t)inner;
                if (y == ignore) continue;
                divisor += (xo.alpha ? xo.alpha[y] : 1.0) * (w ? stored(w, f64, p) : 1.0);
                for (c = 0; c < (size_t)classes; ++c) {
                    double v = f64 ? ((double *)x)[base + c * (size_t)inner] : ((float *)x)[base + c * (size_t)inner];
                    if (!isfinite(v)) row_finite = 0;
                }
                if (!row_finite) continue;
                if (reduction == FOCAL_REDUCTION_NONE && !isfinite(element(&loss, p))) fail("softmax loss not finite");
            }
        } else {
            divisor = (double)elements;
            if (labels) {
                /* The kept elements; an ignored element's loss is 0 (checked with the others). */
                size_t kept = 0;
                for (p = 0; p < (size_t)positions; ++p) {
                    int64_t y = i32 ? ((int32_t *)t)[p] : ((int64_t *)t)[p];
                    if (y != ignore) ++kept;
                }
                divisor = (double)kept * (double)classes;
            }
            for (n = 0; n < elements && reduction == FOCAL_REDUCTION_NONE; ++n) {
                double v = f64 ? ((double *)x)[n] : ((float *)x)[n];
                if (isfinite(v) && !isfinite(element(&loss, n))) fail("sigmoid loss not finite");
            }
        }
        {
            int defined = reduction != FOCAL_REDUCTION_MEAN || so.use_normalizer || divisor > 0;
            if (reduction != FOCAL_REDUCTION_NONE && all_finite && defined && !isfinite(element(&loss, 0))) {
                fail("reduced loss not finite");
            }
            if (flags & 1 && defined) {
                for (n = 0; n < elements; ++n) {
                    size_t row = softmax ? (n / (size_t)(classes * inner)) * (size_t)inner + n % (size_t)inner : n;
                    /* Where a limit exists (no NaN; softmax: no +inf and not every logit -inf),
                     * the gradient is finite, infinite logits included. */
                    int limit = 1;
                    if (softmax) {
                        size_t base = (row / (size_t)inner) * (size_t)(classes * inner) + row % (size_t)inner;
                        int any_above_minus_infinity = 0;
                        for (c = 0; c < (size_t)classes; ++c) {
                            double v = f64 ? ((double *)x)[base + c * (size_t)inner] : ((float *)x)[base + c * (size_t)inner];
                            if (isnan(v) || v == INFINITY) limit = 0;
                            if (v > -INFINITY) any_above_minus_infinity = 1;
                        }
                        if (!any_above_minus_infinity) limit = 0;
                    } else {
                        double v = f64 ? ((double *)x)[n] : ((float *)x)[n];
                        limit = !isnan(v);
                        if (limit && reduction == FOCAL_REDUCTION_NONE && isnan(element(&loss, n))) fail("sigmoid loss NaN");
                    }
                    if (limit && !isfinite(element(&grad, n))) fail("gradient not finite");
                }
            }
        }
        if (weighted) {
            /* Only valid layouts, stats versions and weights, and stats over no other buffer. */
            double positives = 0, weight_sum = 0, left_grad = accumulate ? 0.5 : 0.0;
            if (!layout_ok) fail("an unknown weights layout accepted");
            if (stats_over) fail("stats over another buffer accepted");
            if (stats != NULL && stats_version != FOCAL_STATS_VERSION) fail("an unknown stats version accepted");
            if (bad_weight_read) fail("an invalid weight accepted");
            /* A weight of 0 (and an ignored position) gives loss 0 and gradient 0, or leaves the
             * gradient as it was when accumulating; the stats' sums along the way. */
            if (softmax) {
                for (p = 0; p < (size_t)positions; ++p) {
                    int64_t y = label_at(t, i32, p);
                    double wp = w ? stored(w, f64, p) : 1.0;
                    size_t base = (p / (size_t)inner) * (size_t)(classes * inner) + p % (size_t)inner;
                    if (y != ignore) {
                        positives += wp * (xo.alpha ? xo.alpha[y] : 1.0);
                        weight_sum += wp;
                    }
                    if (y != ignore && wp != 0) continue;
                    if (reduction == FOCAL_REDUCTION_NONE && element(&loss, p) != 0) fail("softmax: loss of a weight-0 or ignored position");
                    for (c = 0; c < (size_t)classes && (flags & 1); ++c) {
                        if (element(&grad, base + c * (size_t)inner) != left_grad) fail("softmax: gradient of a weight-0 or ignored position");
                    }
                }
            } else {
                if (labels) {
                    for (p = 0; p < (size_t)positions; ++p) {
                        int64_t y = label_at(t, i32, p);
                        positives += y != ignore && y >= 0 && y < classes;  /* ignore_index may be a class */
                    }
                }
                for (n = 0; n < elements; ++n) {
                    size_t position = (n / (size_t)(classes * inner)) * (size_t)inner + n % (size_t)inner;
                    double wn = w ? stored(w, f64, layout == FOCAL_WEIGHTS_PER_POSITION ? position : n) : 1.0;
                    int kept = !labels || label_at(t, i32, position) != ignore;
                    if (!labels) positives += stored(t, f64, n);
                    if (kept) weight_sum += wn;
                    if (kept && wn != 0) continue;
                    if (reduction == FOCAL_REDUCTION_NONE && element(&loss, n) != 0) fail("sigmoid: loss of a weight-0 or ignored element");
                    if ((flags & 1) && element(&grad, n) != left_grad) fail("sigmoid: gradient of a weight-0 or ignored element");
                }
            }
            if (stats != NULL) {
                double want_divisor = reduction != FOCAL_REDUCTION_MEAN ? 1.0 : so.use_normalizer ? so.normalizer
                                      : softmax ? positives : divisor;
                if (stats->version != FOCAL_STATS_VERSION) fail("stats version changed");
                if (!sums_agree(stats->positives, positives)) fail("stats positives");
                if (!sums_agree(stats->weight_sum, weight_sum)) fail("stats weight_sum");
                if (!sums_agree(stats->divisor, want_divisor)) fail("stats divisor");
            }
        }
    }

    /* The 16-bit twin of a float32 call: selected by the input's last byte when the float32 call
     * left it unread, 1 for f16, 2 for bf16 (no seed from before the twins ends so). */
    if (!f64 && r.pos < r.size && (data[size - 1] == TWIN_F16 || data[size - 1] == TWIN_BF16)) {
        float32_call c;
        c.type = data[size - 1];
        c.softmax = softmax;
        c.labels = labels;
        c.weighted = weighted;
        c.i32 = i32;
        c.want_grad = flags & 1;
        c.accumulate = accumulate;
        c.nulls = null_choice;
        c.count = count;
        c.batch = batch;
        c.classes = classes;
        c.inner = inner;
        c.positions = positions;
        c.ignore = ignore;
        c.layout = layout;
        c.elements = elements;
        c.outputs_n = outputs_n;
        c.weights_n = weights_n;
        c.real_sizes = real_sizes;
        c.empty_sigmoid = empty_sigmoid;
        c.layout_ok = layout_ok;
        c.stats_mode = stats_mode;
        c.stats_target = stats_target;
        c.stats_over = stats_over;
        c.bad_weight_read = bad_weight_read;
        c.stats_version = stats_version;
        c.so = &so;
        c.xo = &xo;
        c.x = (const float *)x;
        c.t = softmax || labels ? NULL : (const float *)t;
        c.int_targets = softmax || labels ? t : NULL;
        c.w = (const float *)w;
        c.up = (const float *)up;
        c.status = status;
        run_twin(&c);
    }

    free(x);
    free(t);
    free(up);
    free(w);
    free(stats_block);
    free(weight_values);
    free(loss.block);
    free(grad.block);
    return 0;
}
