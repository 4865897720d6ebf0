/* test_half.c: the f16 and bf16 functions through the header, as C99 and as C++11.
 *
 * Each of the 20 half-precision functions against its f64 twin on the same values (every input
 * exactly representable in the 16-bit type): every loss and gradient within 1 ulp of the 16-bit
 * type of the f64 result, for every reduction and both precision tiers; the fp16 danger points
 * (|x| >= 8.32, >= 11.09, the largest finite logit) finite; and the errors write nothing. The
 * conversions to and from the 16-bit patterns are written here, independently of the library.
 */
#include "focalloss.h"
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>



/* ---- The two formats, independently of the library ---- */

enum { F16, BF16 };

static double half_value(int type, uint16_t bits) {
    if (type == BF16) {
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

/* The 16-bit pattern nearest to v (ties to even), by search over the ordered patterns: slow
 * and obviously right. */
static uint16_t half_bits(int type, double v) {
    uint16_t sign = v < 0 || (v == 0 && signbit(v)) ? 0x8000 : 0;
    double a = fabs(v);
    uint16_t lo = 0, hi = type == F16 ? 0x7C00 : 0x7F80; /* +0 and +inf */
    if (a != a) return (uint16_t)(type == F16 ? 0x7E00 : 0x7FC0);
    while (hi - lo > 1) { /* invariant: value(lo) <= a < value(hi) unless a >= value(hi) */
        uint16_t mid = (uint16_t)((lo + hi) / 2);
        if (half_value(type, mid) <= a) lo = mid; else hi = mid;
    }
    if (a >= half_value(type, hi)) return (uint16_t)(sign | hi);
    {
        double below = half_value(type, lo), above = half_value(type, hi);
        double top = isinf(above) ? 2 * half_value(type, (uint16_t)(hi - 1)) - half_value(type, (uint16_t)(hi - 2)) : above;
        uint16_t pick = a - below < top - a ? lo : a - below > top - a ? hi : (lo & 1 ? hi : lo);
        return (uint16_t)(sign | pick);
    }
}

/* |got - exact| in ulps of the 16-bit type at exact (the smallest subnormal at 0). */
static double ulps(int type, uint16_t got, double exact) {
    double g = half_value(type, got);
    if (exact != exact || g != g) return exact != exact && g != g ? 0 : INFINITY;
    if (isinf(exact) || isinf(g)) return g == exact ? 0 : INFINITY;
    {
        uint16_t r = (uint16_t)(half_bits(type, exact) & 0x7FFF);
        double ulp = r == 0x7FFF || r == (type == F16 ? 0x7C00 : 0x7F80)
            ? half_value(type, (uint16_t)(r - 1)) - half_value(type, (uint16_t)(r - 2))
            : half_value(type, (uint16_t)(r + 1)) - half_value(type, r);
        if (r == 0) ulp = half_value(type, 1);
        return fabs(g - exact) / ulp;
    }
}

/* ---- One call of each function, by type ---- */

typedef struct {
    int family; /* 0 sigmoid, 1 sigmoid weighted, 2 labels, 3 labels weighted, 4 softmax, 5 softmax weighted */
    int64_t batch, classes, inner;
} shape_case;

enum { N_MAX = 4096 };

/* Runs family `c` in type `type` (F16, BF16) or in f64 (type = -1) on double inputs rounded to
 * the type. Labels are int64 or int32 (`labels32`). Returns the status. */
static focal_status run(int type, const shape_case *c, int labels32, const focal_sigmoid_options *so,
                        const focal_softmax_options *xo, const double *x, const double *t, const int64_t *y,
                        const double *w, double *loss, double *grad, size_t loss_count) {
    static uint16_t hx[N_MAX], ht[N_MAX], hw[N_MAX], hl[N_MAX], hg[N_MAX];
    static int32_t y32[N_MAX];
    int64_t n = c->batch * c->classes * c->inner, positions = c->batch * c->inner, i;
    focal_status s = FOCAL_OK;
    focal_stats stats = FOCAL_STATS_INIT;
    for (i = 0; i < positions; ++i) y32[i] = (int32_t)y[i];
    if (type < 0) {
        switch (c->family) {
        case 0: return focal_sigmoid_f64(so, n, x, t, NULL, loss, grad);
        case 1: return focal_sigmoid_weighted_f64(so, c->batch, c->classes, c->inner, x, t, w, FOCAL_WEIGHTS_PER_POSITION, NULL, loss, grad, &stats);
        case 2: return labels32 ? focal_sigmoid_labels_f64_i32(so, c->batch, c->classes, c->inner, x, y32, NULL, loss, grad)
                                : focal_sigmoid_labels_f64_i64(so, c->batch, c->classes, c->inner, x, y, NULL, loss, grad);
        case 3: return labels32 ? focal_sigmoid_labels_weighted_f64_i32(so, c->batch, c->classes, c->inner, x, y32, w, FOCAL_WEIGHTS_PER_POSITION, NULL, loss, grad, &stats)
                                : focal_sigmoid_labels_weighted_f64_i64(so, c->batch, c->classes, c->inner, x, y, w, FOCAL_WEIGHTS_PER_POSITION, NULL, loss, grad, &stats);
        case 4: return labels32 ? focal_softmax_f64_i32(xo, c->batch, c->classes, c->inner, x, y32, NULL, loss, grad)
                                : focal_softmax_f64_i64(xo, c->batch, c->classes, c->inner, x, y, NULL, loss, grad);
        default: return labels32 ? focal_softmax_weighted_f64_i32(xo, c->batch, c->classes, c->inner, x, y32, w, NULL, loss, grad, &stats)
                                 : focal_softmax_weighted_f64_i64(xo, c->batch, c->classes, c->inner, x, y, w, NULL, loss, grad, &stats);
        }
    }
    for (i = 0; i < n; ++i) {
        hx[i] = half_bits(type, x[i]);
        ht[i] = half_bits(type, t ? t[i] : 0);
    }
    for (i = 0; i < positions; ++i) hw[i] = half_bits(type, w[i]);
#define CALLS(S, TY)                                                                                                       \
    switch (c->family) {                                                                                                   \
    case 0: s = focal_sigmoid_##S(so, n, (const TY *)hx, (const TY *)ht, NULL, (TY *)hl, (TY *)hg); break;                 \
    case 1: s = focal_sigmoid_weighted_##S(so, c->batch, c->classes, c->inner, (const TY *)hx, (const TY *)ht,             \
                                           (const TY *)hw, FOCAL_WEIGHTS_PER_POSITION, NULL, (TY *)hl, (TY *)hg, &stats);  \
            break;                                                                                                         \
    case 2: s = labels32 ? focal_sigmoid_labels_##S##_i32(so, c->batch, c->classes, c->inner, (const TY *)hx, y32, NULL,   \
                                                          (TY *)hl, (TY *)hg)                                              \
                         : focal_sigmoid_labels_##S##_i64(so, c->batch, c->classes, c->inner, (const TY *)hx, y, NULL,     \
                                                          (TY *)hl, (TY *)hg);                                             \
            break;                                                                                                         \
    case 3: s = labels32 ? focal_sigmoid_labels_weighted_##S##_i32(so, c->batch, c->classes, c->inner, (const TY *)hx, y32, \
                                                                   (const TY *)hw, FOCAL_WEIGHTS_PER_POSITION, NULL,       \
                                                                   (TY *)hl, (TY *)hg, &stats)                             \
                         : focal_sigmoid_labels_weighted_##S##_i64(so, c->batch, c->classes, c->inner, (const TY *)hx, y,  \
                                                                   (const TY *)hw, FOCAL_WEIGHTS_PER_POSITION, NULL,       \
                                                                   (TY *)hl, (TY *)hg, &stats);                            \
            break;                                                                                                         \
    case 4: s = labels32 ? focal_softmax_##S##_i32(xo, c->batch, c->classes, c->inner, (const TY *)hx, y32, NULL, (TY *)hl, \
                                                   (TY *)hg)                                                               \
                         : focal_softmax_##S##_i64(xo, c->batch, c->classes, c->inner, (const TY *)hx, y, NULL, (TY *)hl,  \
                                                   (TY *)hg);                                                              \
            break;                                                                                                         \
    default: s = labels32 ? focal_softmax_weighted_##S##_i32(xo, c->batch, c->classes, c->inner, (const TY *)hx, y32,      \
                                                             (const TY *)hw, NULL, (TY *)hl, (TY *)hg, &stats)             \
                          : focal_softmax_weighted_##S##_i64(xo, c->batch, c->classes, c->inner, (const TY *)hx, y,        \
                                                             (const TY *)hw, NULL, (TY *)hl, (TY *)hg, &stats);            \
    }
    if (type == F16) {
        CALLS(f16, focal_f16)
    } else {
        CALLS(bf16, focal_bf16)
    }
#undef CALLS
    if (s == FOCAL_OK) {
        for (i = 0; i < (int64_t)loss_count; ++i) loss[i] = half_value(type, hl[i]);
        for (i = 0; i < n; ++i) grad[i] = half_value(type, hg[i]);
    }
    return s;
}

/* ---- The checks ---- */

static uint64_t rng = 7;
static double uniform(void) {
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0; /* 2^53 */
}

static void against_f64(void) {
    static const shape_case cases[] = {
        {0, 7, 3, 1}, {1, 7, 3, 1}, {1, 3, 4, 5}, {2, 9, 4, 1}, {2, 3, 4, 5}, {3, 9, 4, 1}, {3, 3, 4, 5},
        {4, 9, 5, 1}, {4, 3, 4, 5}, {5, 9, 5, 1}, {5, 3, 4, 5}, {0, 40, 50, 1}, {4, 40, 50, 1},
    };
    static double x[N_MAX], t[N_MAX], w[N_MAX], loss64[N_MAX], grad64[N_MAX], loss16[N_MAX], grad16[N_MAX];
    static int64_t y[N_MAX];
    size_t k;
    int type, reduction, tier, labels32;
    double worst = 0;
    for (k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
        const shape_case *c = &cases[k];
        int64_t n = c->batch * c->classes * c->inner, positions = c->batch * c->inner, i;
        for (type = F16; type <= BF16; ++type) {
            /* Inputs the type holds exactly, so that f64 sees the same values. */
            for (i = 0; i < n; ++i) {
                x[i] = half_value(type, half_bits(type, -12 + 24 * uniform()));
                t[i] = uniform() < 0.1 ? 1 : 0;
            }
            for (i = 0; i < positions; ++i) {
                w[i] = i % 5 == 2 ? 0 : half_value(type, half_bits(type, 2 * uniform()));
                y[i] = c->family >= 4 ? (i % 6 == 1 ? -100 : (int64_t)(uniform() * (double)c->classes))
                                      : (i % 6 == 1 ? -100 : (int64_t)(uniform() * (double)(c->classes + 1)));
            }
            for (reduction = 0; reduction <= 2; ++reduction)
                for (tier = 0; tier <= 1; ++tier)
                    for (labels32 = 0; labels32 <= 1; ++labels32) {
                        focal_sigmoid_options so = FOCAL_SIGMOID_OPTIONS_INIT;
                        focal_softmax_options xo = FOCAL_SOFTMAX_OPTIONS_INIT;
                        size_t losses = reduction == 0 ? (size_t)(c->family >= 4 ? positions : n) : 1, j;
                        focal_status s64, s16;
                        so.reduction = xo.reduction = (focal_reduction)reduction;
                        so.precision = xo.precision = (focal_precision)tier;
                        so.gamma = xo.gamma = labels32 ? 0.5 : 2.0;
                        s64 = run(-1, c, labels32, &so, &xo, x, t, y, w, loss64, grad64, losses);
                        s16 = run(type, c, labels32, &so, &xo, x, t, y, w, loss16, grad16, losses);
                        CHECK(s64 == FOCAL_OK && s16 == FOCAL_OK, "family %d: statuses %d %d (%s)", c->family, s64, s16,
                              focal_last_error_message());
                        for (j = 0; j < losses; ++j) {
                            double e = ulps(type, half_bits(type, loss16[j]), loss64[j]);
                            worst = e > worst ? e : worst;
                            CHECK(e <= 1, "family %d type %d reduction %d tier %d: loss[%d] %.9g vs %.9g (%.3g ulp)",
                                  c->family, type, reduction, tier, (int)j, loss16[j], loss64[j], e);
                        }
                        for (j = 0; j < (size_t)n; ++j) {
                            double e = ulps(type, half_bits(type, grad16[j]), grad64[j]);
                            worst = e > worst ? e : worst;
                            CHECK(e <= 1, "family %d type %d reduction %d tier %d: grad[%d] %.9g vs %.9g (%.3g ulp)",
                                  c->family, type, reduction, tier, (int)j, grad16[j], grad64[j], e);
                        }
                    }
        }
    }
    printf("f16 and bf16 against f64, 20 functions, every reduction, both tiers: worst %.3f ulp of the 16-bit type\n", worst);
}

/* The fp16 danger points: 1 - sigmoid(x) is 0 in fp16 from |x| = 8.32, e^x overflows from 11.09. */
static void danger_points(void) {
    static const double xs[] = {8.32, 8.5, 11.09, 11.1, 20, 1000, 65504};
    focal_f16 x[14], t[14], loss[14], grad[14];
    double gammas[3] = {0, 0.5, 2};
    int g, target, i;
    for (g = 0; g < 3; ++g)
        for (target = 0; target <= 1; ++target) {
            focal_sigmoid_options so = FOCAL_SIGMOID_OPTIONS_INIT;
            so.gamma = gammas[g];
            for (i = 0; i < 14; ++i) {
                x[i].bits = half_bits(F16, i % 2 ? -xs[i / 2] : xs[i / 2]);
                t[i].bits = half_bits(F16, target);
            }
            CHECK(focal_sigmoid_f16(&so, 14, x, t, NULL, loss, grad) == FOCAL_OK, "danger points");
            for (i = 0; i < 14; ++i)
                CHECK(isfinite(half_value(F16, loss[i].bits)) && isfinite(half_value(F16, grad[i].bits)),
                      "x = %g t = %d gamma %g: loss %g grad %g", half_value(F16, x[i].bits), target, gammas[g],
                      half_value(F16, loss[i].bits), half_value(F16, grad[i].bits));
        }
}

/* Errors write nothing: the outputs keep their sentinel bits. */
static void errors(void) {
    focal_bf16 x[6], t[6], w[2], loss[6], grad[6];
    focal_f16 hx[6], ht[6], hl[6], hg[6];
    int64_t y[2] = {0, 1};
    focal_sigmoid_options so = FOCAL_SIGMOID_OPTIONS_INIT;
    focal_softmax_options xo = FOCAL_SOFTMAX_OPTIONS_INIT;
    focal_stats stats = FOCAL_STATS_INIT;
    int i, untouched;
    for (i = 0; i < 6; ++i) {
        x[i].bits = half_bits(BF16, i - 2.5);
        t[i].bits = half_bits(BF16, i % 2);
        loss[i].bits = grad[i].bits = hl[i].bits = hg[i].bits = 0x1234;
        hx[i].bits = half_bits(F16, i - 2.5);
        ht[i].bits = half_bits(F16, i % 2);
    }
    w[0].bits = half_bits(BF16, 1);
    w[1].bits = half_bits(BF16, -1);
    t[3].bits = half_bits(BF16, 1.5);
    CHECK(focal_sigmoid_bf16(&so, 6, x, t, NULL, loss, grad) == FOCAL_ERROR_TARGET_OUT_OF_RANGE, "bf16 target 1.5");
    CHECK(strstr(focal_last_error_message(), "targets[3]") != NULL, "message: %s", focal_last_error_message());
    t[3].bits = half_bits(BF16, 1);
    CHECK(focal_sigmoid_weighted_bf16(&so, 2, 3, 1, x, t, w, FOCAL_WEIGHTS_PER_POSITION, NULL, loss, grad, &stats)
              == FOCAL_ERROR_INVALID_WEIGHT, "bf16 weight -1");
    CHECK(strstr(focal_last_error_message(), "weights[1]") != NULL, "message: %s", focal_last_error_message());
    ht[5].bits = 0x7E00; /* NaN target */
    CHECK(focal_sigmoid_f16(&so, 6, hx, ht, NULL, hl, hg) == FOCAL_ERROR_TARGET_OUT_OF_RANGE, "f16 NaN target");
    CHECK(focal_sigmoid_f16(&so, 6, NULL, ht, NULL, hl, hg) == FOCAL_ERROR_NULL_POINTER, "f16 NULL logits");
    CHECK(focal_softmax_f16_i64(&xo, 2, 3, 1, hx, y, NULL, hl, hx) == FOCAL_ERROR_OVERLAPPING_BUFFERS, "f16 overlap");
    y[1] = 3;
    CHECK(focal_softmax_bf16_i64(&xo, 2, 3, 1, x, y, NULL, loss, grad) == FOCAL_ERROR_TARGET_OUT_OF_RANGE, "bf16 target 3");
    untouched = 1;
    for (i = 0; i < 6; ++i)
        untouched &= loss[i].bits == 0x1234 && grad[i].bits == 0x1234 && hl[i].bits == 0x1234 && hg[i].bits == 0x1234;
    CHECK(untouched, "an error wrote an output");
    CHECK(stats.positives == 0.0 && stats.weight_sum == 0.0 && stats.divisor == 0.0, "an error wrote the stats");
}

int main(void) {
    against_f64();
    danger_points();
    errors();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures != 0;
}
