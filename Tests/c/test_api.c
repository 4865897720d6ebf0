/*
 * test_api.c: every function of include/focalloss.h called across the C ABI.
 *
 * Compiled as C99 and as C++11 with -Wall -Wextra -pedantic -Werror (see the Makefile).
 * Results are checked against references this file computes itself in long double; every
 * error case runs with sentinel-filled outputs and checks the status, the message and that
 * the sentinels survive.
 */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "focalloss.h"
#include "check.h"



/* |a - b| <= tol * max(scale, |b|), NaN equal to NaN. */
static int close_to(long double a, long double b, long double tol, long double scale) {
    long double s = fabsl(b) > scale ? fabsl(b) : scale;
    if (isnan((double)a) || isnan((double)b)) return isnan((double)a) && isnan((double)b);
    return fabsl(a - b) <= tol * s;
}

/* ------------------------------------------------------------------ references */

static void sigmoid_ref(long double x, long double t, long double alpha, long double gamma,
                        long double *loss, long double *grad) {
    /* log sigma(+-x), written so that exp never overflows (valgrind runs long double at
     * double precision, where e^1e4 would be infinite). */
    long double logp = x < 0 ? x - log1pl(expl(x)) : -log1pl(expl(-x));
    long double logq = x > 0 ? -x - log1pl(expl(-x)) : -log1pl(expl(x));
    long double p = expl(logp), q = expl(logq);
    long double bce = -(t * logp + (1 - t) * logq);
    long double m = t * q + (1 - t) * p;
    long double at = alpha < 0 ? 1 : alpha * t + (1 - alpha) * (1 - t);
    long double focus = gamma == 0 ? 1 : powl(m, gamma);
    /* m = 0 only where it underflowed; the term's limit there is 0. */
    long double second = gamma == 0 || m == 0 ? 0 : bce * gamma * powl(m, gamma - 1) * p * q * (1 - 2 * t);
    *loss = at * bce * focus;
    *grad = at * ((p * (1 - t) - t * q) * focus + second);
}

/* One softmax row x[c * stride], target weights a[c]; grad[c * stride]. */
static long double softmax_row_ref(const long double *x, const long double *a, int classes,
                                   long double gamma, long double *grad) {
    long double top = x[0], z = 0, loss = 0, p[64], m[64];
    int c, j;
    for (c = 1; c < classes; ++c) if (x[c] > top) top = x[c];
    for (c = 0; c < classes; ++c) z += expl(x[c] - top);
    for (c = 0; c < classes; ++c) p[c] = expl(x[c] - top) / z;
    for (c = 0; c < classes; ++c) {
        m[c] = 0;
        for (j = 0; j < classes; ++j) if (j != c) m[c] += p[j];
    }
    for (j = 0; j < classes; ++j) grad[j] = 0;
    for (c = 0; c < classes; ++c) {
        long double logp = x[c] - top - logl(z);
        long double focus = gamma == 0 ? 1 : powl(m[c], gamma);
        if (a[c] == 0) continue;
        loss += -a[c] * focus * logp;
        for (j = 0; j < classes; ++j) {
            long double dlogp = c == j ? m[c] : -p[j]; /* [c = j] - p_j, without cancellation */
            long double dm = -p[c] * dlogp;
            long double t2 = (gamma == 0 || dm == 0) ? 0 : -a[c] * gamma * powl(m[c], gamma - 1) * dm * logp;
            grad[j] += -a[c] * focus * dlogp + t2;
        }
    }
    return loss;
}

/* ------------------------------------------------------------------ helpers */

static void fill_f(float *v, int n, float value) { int i; for (i = 0; i < n; ++i) v[i] = value; }
static void fill_d(double *v, int n, double value) { int i; for (i = 0; i < n; ++i) v[i] = value; }
static int all_f(const float *v, int n, float value) { int i; for (i = 0; i < n; ++i) if (memcmp(&v[i], &value, sizeof value) != 0) return 0; return 1; }
static int all_d(const double *v, int n, double value) { int i; for (i = 0; i < n; ++i) if (memcmp(&v[i], &value, sizeof value) != 0) return 0; return 1; }
static int all_bytes(const unsigned char *v, size_t n, unsigned char value) { size_t i; for (i = 0; i < n; ++i) if (v[i] != value) return 0; return 1; }
static int all_zero_d(const double *v, int n) { int i; for (i = 0; i < n; ++i) if (v[i] != 0) return 0; return 1; }

/* A deterministic generator: uniform in [lo, hi). */
static unsigned long long rng_state = 88172645463325252ULL;
static double uniform(double lo, double hi) {
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return lo + (hi - lo) * (double)(rng_state >> 11) / 9007199254740992.0;
}

/* ------------------------------------------------------------------ tests */

static void test_version_and_strings(void) {
    int s;
    CHECK(focal_version_number() == FOCAL_VERSION_NUMBER, "%u", (unsigned)focal_version_number());
    CHECK(strcmp(focal_version_string(), FOCAL_VERSION_STRING) == 0, "%s", focal_version_string());
    CHECK(strcmp(focal_last_error_message(), "no error") == 0, "%s", focal_last_error_message());
    for (s = 0; s <= 11; ++s) {
        const char *text = focal_status_string((focal_status)s);
        CHECK(text != NULL && strncmp(text, "FOCAL_", 6) == 0 && strlen(text) > 12, "status %d: %s", s, text);
    }
    CHECK(strncmp(focal_status_string(FOCAL_OK), "FOCAL_OK", 8) == 0, "ok");
    CHECK(strncmp(focal_status_string(FOCAL_ERROR_INVALID_GAMMA), "FOCAL_ERROR_INVALID_GAMMA", 25) == 0, "gamma");
    CHECK(strncmp(focal_status_string((focal_status)99), "FOCAL_ERROR_UNKNOWN", 19) == 0, "unknown");
}

static void test_options_init(void) {
    focal_sigmoid_options so, si = FOCAL_SIGMOID_OPTIONS_INIT;
    focal_softmax_options xo, xi = FOCAL_SOFTMAX_OPTIONS_INIT;
    memset(&so, 0x5a, sizeof so);
    CHECK(focal_sigmoid_options_init(&so, FOCAL_SIGMOID_OPTIONS_VERSION) == FOCAL_OK, "init");
    CHECK(so.version == 4 && so.reduction == FOCAL_REDUCTION_NONE && so.alpha == 0.25 && so.gamma == 2.0 &&
          so.use_normalizer == 0 && so.num_threads == 0 && so.accumulate_grad == 0 &&
          so.precision == FOCAL_PRECISION_EXACT && so.ignore_index == -100 && so.poly1_epsilon == 0,
          "sigmoid defaults");
    CHECK(so.version == si.version && so.reduction == si.reduction && so.alpha == si.alpha && so.gamma == si.gamma &&
          so.use_normalizer == si.use_normalizer && so.normalizer == si.normalizer && so.num_threads == si.num_threads &&
          so.accumulate_grad == si.accumulate_grad && so.precision == si.precision && so.ignore_index == si.ignore_index &&
          so.poly1_epsilon == si.poly1_epsilon, "sigmoid INIT macro equals _init");
    /* Version 3 writes the fields before `poly1_epsilon` only. */
    memset(&so, 0x5a, sizeof so);
    CHECK(focal_sigmoid_options_init(&so, 3) == FOCAL_OK, "init version 3");
    CHECK(so.version == 3 && so.ignore_index == -100 &&
          all_bytes((const unsigned char *)&so + offsetof(focal_sigmoid_options, poly1_epsilon),
                    sizeof so - offsetof(focal_sigmoid_options, poly1_epsilon), 0x5a), "sigmoid version 3 prefix only");
    /* Version 2 writes the fields before `ignore_index` only. */
    memset(&so, 0x5a, sizeof so);
    CHECK(focal_sigmoid_options_init(&so, 2) == FOCAL_OK, "init version 2");
    CHECK(so.version == 2 && so.precision == FOCAL_PRECISION_EXACT &&
          all_bytes((const unsigned char *)&so + offsetof(focal_sigmoid_options, ignore_index),
                    sizeof so - offsetof(focal_sigmoid_options, ignore_index), 0x5a), "sigmoid version 2 prefix only");
    memset(&xo, 0x5a, sizeof xo);
    CHECK(focal_softmax_options_init(&xo, FOCAL_SOFTMAX_OPTIONS_VERSION) == FOCAL_OK, "init");
    CHECK(xo.version == 3 && xo.reduction == FOCAL_REDUCTION_MEAN && xo.gamma == 2.0 && xo.alpha == NULL &&
          xo.ignore_index == -100 && xo.label_smoothing == 0 && xo.use_normalizer == 0 && xo.num_threads == 0 &&
          xo.accumulate_grad == 0 && xo.precision == FOCAL_PRECISION_EXACT && xo.poly1_epsilon == 0, "softmax defaults");
    CHECK(xo.reduction == xi.reduction && xo.gamma == xi.gamma && xo.alpha == xi.alpha && xo.ignore_index == xi.ignore_index &&
          xo.label_smoothing == xi.label_smoothing && xo.normalizer == xi.normalizer && xo.precision == xi.precision &&
          xo.poly1_epsilon == xi.poly1_epsilon, "softmax INIT macro equals _init");
    /* Version 2 writes the fields before `poly1_epsilon` only. */
    memset(&xo, 0x5a, sizeof xo);
    CHECK(focal_softmax_options_init(&xo, 2) == FOCAL_OK, "init version 2");
    CHECK(xo.version == 2 && xo.precision == FOCAL_PRECISION_EXACT &&
          all_bytes((const unsigned char *)&xo + offsetof(focal_softmax_options, poly1_epsilon),
                    sizeof xo - offsetof(focal_softmax_options, poly1_epsilon), 0x5a), "softmax version 2 prefix only");
    /* Version 1 writes the version 1 fields only: the bytes from `precision` on are untouched. */
    memset(&so, 0x5a, sizeof so);
    CHECK(focal_sigmoid_options_init(&so, 1) == FOCAL_OK, "init version 1");
    CHECK(so.version == 1 && so.alpha == 0.25 && so.accumulate_grad == 0 &&
          all_bytes((const unsigned char *)&so + offsetof(focal_sigmoid_options, precision),
                    sizeof so - offsetof(focal_sigmoid_options, precision), 0x5a), "sigmoid version 1 prefix only");
    memset(&xo, 0x5a, sizeof xo);
    CHECK(focal_softmax_options_init(&xo, 1) == FOCAL_OK, "init version 1");
    CHECK(xo.version == 1 && xo.ignore_index == -100 && xo.accumulate_grad == 0 &&
          all_bytes((const unsigned char *)&xo + offsetof(focal_softmax_options, precision),
                    sizeof xo - offsetof(focal_softmax_options, precision), 0x5a), "softmax version 1 prefix only");
    /* Errors write nothing. */
    memset(&so, 0x5a, sizeof so);
    CHECK(focal_sigmoid_options_init(&so, 5) == FOCAL_ERROR_INVALID_OPTIONS_VERSION, "version 5");
    CHECK(so.version == 0x5a5a5a5a, "untouched");
    CHECK(strstr(focal_last_error_message(), "version = 5") != NULL, "%s", focal_last_error_message());
    CHECK(focal_softmax_options_init(&xo, 4) == FOCAL_ERROR_INVALID_OPTIONS_VERSION, "softmax version 4");
    CHECK(focal_softmax_options_init(&xo, 0) == FOCAL_ERROR_INVALID_OPTIONS_VERSION, "version 0");
    CHECK(focal_sigmoid_options_init(NULL, 1) == FOCAL_ERROR_NULL_POINTER, "NULL");
    CHECK(focal_softmax_options_init(NULL, 1) == FOCAL_ERROR_NULL_POINTER, "NULL");
}

#define SN 64
static void test_sigmoid_values(void) {
    double x[SN], t[SN], loss[SN], grad[SN], up[SN], acc[SN];
    float xf[SN], tf[SN], lossf[SN], gradf[SN];
    const double gammas[] = {0, 0.5, 1, 2, 3.7};
    const double alphas[] = {0.25, FOCAL_ALPHA_DISABLED, 0.6};
    focal_sigmoid_options o;
    int i, g, a;
    long double rl, rg, sum, gsum;
    for (i = 0; i < SN; ++i) {
        x[i] = i < 6 ? (i % 2 ? -1 : 1) * (i < 2 ? 40.0 : i < 4 ? 1e4 : 1e-6) : uniform(-9, 9);
        t[i] = i % 4 == 0 ? 1 : i % 4 == 1 ? 0 : uniform(0, 1);
        xf[i] = (float)x[i]; tf[i] = (float)t[i];
        up[i] = uniform(-2, 2);
    }
    for (g = 0; g < 5; ++g) {
        for (a = 0; a < 3; ++a) {
            focal_sigmoid_options_init(&o, FOCAL_SIGMOID_OPTIONS_VERSION);
            o.gamma = gammas[g]; o.alpha = alphas[a];
            CHECK(focal_sigmoid_f64(&o, SN, x, t, NULL, loss, grad) == FOCAL_OK, "%s", focal_last_error_message());
            CHECK(focal_sigmoid_f32(&o, SN, xf, tf, NULL, lossf, gradf) == FOCAL_OK, "%s", focal_last_error_message());
            sum = 0;
            for (i = 0; i < SN; ++i) {
                sigmoid_ref(x[i], t[i], alphas[a], gammas[g], &rl, &rg);
                sum += rl;
                CHECK(close_to(loss[i], rl, 1e-12L, LDBL_MIN), "f64 loss x=%g t=%g: %.17g vs %.17Lg", x[i], t[i], loss[i], rl);
                CHECK(close_to(grad[i], rg, 1e-9L, 1e-300L) || close_to(grad[i], rg, 1e-15L, 1.0L), "f64 grad x=%g t=%g g=%g: %.17g vs %.17Lg", x[i], t[i], gammas[g], grad[i], rg);
                sigmoid_ref(xf[i], tf[i], alphas[a], gammas[g], &rl, &rg);
                CHECK(close_to(lossf[i], rl, 2.4e-7L, FLT_MIN), "f32 loss x=%g t=%g: %.9g vs %.9Lg", x[i], t[i], lossf[i], rl);
                CHECK(close_to(gradf[i], rg, 2.4e-7L, FLT_MIN) || close_to(gradf[i], rg, 1e-7L, 1.0L), "f32 grad x=%g t=%g: %.9g vs %.9Lg", x[i], t[i], gradf[i], rg);
            }
            /* Reductions: sum, mean, normalizer; scalar upstream gradient. */
            o.reduction = FOCAL_REDUCTION_SUM;
            {
                double s, up1 = 1.5, gs[SN];
                CHECK(focal_sigmoid_f64(&o, SN, x, t, &up1, &s, gs) == FOCAL_OK, "sum");
                CHECK(close_to(s, sum, 1e-13L, 0), "sum %.17g vs %.17Lg", s, sum);
                for (i = 0; i < SN; ++i) CHECK(gs[i] == 1.5 * grad[i], "sum grad %d", i);
                o.reduction = FOCAL_REDUCTION_MEAN;
                CHECK(focal_sigmoid_f64(&o, SN, x, t, NULL, &s, NULL) == FOCAL_OK, "mean");
                CHECK(close_to(s, sum / SN, 1e-13L, 0), "mean");
                o.use_normalizer = 1; o.normalizer = 3.0;
                CHECK(focal_sigmoid_f64(&o, SN, x, t, NULL, &s, gs) == FOCAL_OK, "normalizer");
                CHECK(close_to(s, sum / 3, 1e-13L, 0), "normalizer");
                for (i = 0; i < SN; ++i) CHECK(close_to(gs[i], grad[i] / 3.0L, 1e-15L, 0), "normalizer grad %d", i);
            }
        }
    }
    /* Reduction none with an upstream gradient array, then accumulation. */
    focal_sigmoid_options_init(&o, FOCAL_SIGMOID_OPTIONS_VERSION);
    CHECK(focal_sigmoid_f64(&o, SN, x, t, NULL, loss, grad) == FOCAL_OK, "plain");
    CHECK(focal_sigmoid_f64(&o, SN, x, t, up, loss, acc) == FOCAL_OK, "upstream");
    gsum = 0;
    for (i = 0; i < SN; ++i) { CHECK(acc[i] == up[i] * grad[i], "upstream %d", i); gsum += acc[i]; }
    o.accumulate_grad = 1;
    CHECK(focal_sigmoid_f64(&o, SN, x, t, up, loss, acc) == FOCAL_OK, "accumulate");
    for (i = 0; i < SN; ++i) CHECK(acc[i] == 2 * up[i] * grad[i], "accumulate %d", i);
    (void)gsum;
}

static void test_softmax_values(void) {
    enum { N = 4, C = 5, I = 3 };
    double x[N * C * I], loss[N * I], grad[N * C * I];
    float xf[N * C * I], lossf[N * I], gradf[N * C * I];
    int64_t y64[N * I];
    int32_t y32[N * I];
    const double weights[C] = {0.5, 2.0, 0.0, 1.0, 1.25};
    const double gammas[] = {0, 0.5, 2, 3.7};
    const double smoothings[] = {0, 0.2, 1};
    focal_softmax_options o;
    int i, g, e, w, pos, c;
    for (i = 0; i < N * C * I; ++i) { x[i] = uniform(-6, 6); xf[i] = (float)x[i]; x[i] = xf[i]; }
    for (i = 0; i < N * I; ++i) { y64[i] = i % 5 == 4 ? -100 : (int64_t)(uniform(0, C)); y32[i] = (int32_t)y64[i]; }
    for (g = 0; g < 4; ++g) for (e = 0; e < 3; ++e) for (w = 0; w < 2; ++w) {
        long double total = 0, weight_sum = 0;
        focal_softmax_options_init(&o, FOCAL_SOFTMAX_OPTIONS_VERSION);
        o.gamma = gammas[g]; o.label_smoothing = smoothings[e]; o.alpha = w ? weights : NULL;
        o.reduction = FOCAL_REDUCTION_NONE;
        CHECK(focal_softmax_f64_i64(&o, N, C, I, x, y64, NULL, loss, grad) == FOCAL_OK, "%s", focal_last_error_message());
        CHECK(focal_softmax_f32_i32(&o, N, C, I, xf, y32, NULL, lossf, gradf) == FOCAL_OK, "%s", focal_last_error_message());
        for (pos = 0; pos < N * I; ++pos) {
            int n = pos / I, in = pos % I;
            long double row[C], a[C], rg[C], rl;
            if (y64[pos] == -100) {
                CHECK(loss[pos] == 0 && lossf[pos] == 0, "ignored loss");
                for (c = 0; c < C; ++c) CHECK(grad[(n * C + c) * I + in] == 0 && gradf[(n * C + c) * I + in] == 0, "ignored grad");
                continue;
            }
            for (c = 0; c < C; ++c) {
                row[c] = x[(n * C + c) * I + in];
                a[c] = (w ? weights[c] : 1.0L) * ((c == y64[pos] ? 1 - smoothings[e] : 0) + smoothings[e] / C);
            }
            weight_sum += w ? weights[y64[pos]] : 1;
            rl = softmax_row_ref(row, a, C, gammas[g], rg);
            total += rl;
            CHECK(close_to(loss[pos], rl, 1e-12L, LDBL_MIN), "f64 loss pos=%d: %.17g vs %.17Lg", pos, loss[pos], rl);
            CHECK(close_to(lossf[pos], rl, 2.4e-7L, FLT_MIN), "f32 loss pos=%d: %.9g vs %.9Lg", pos, lossf[pos], rl);
            for (c = 0; c < C; ++c) {
                CHECK(close_to(grad[(n * C + c) * I + in], rg[c], 1e-10L, 1e-12L), "f64 grad pos=%d c=%d: %.17g vs %.17Lg",
                      pos, c, grad[(n * C + c) * I + in], rg[c]);
                CHECK(close_to(gradf[(n * C + c) * I + in], rg[c], 3e-7L, 1e-7L), "f32 grad pos=%d c=%d", pos, c);
            }
        }
        {
            double s, s32;
            float sf;
            o.reduction = FOCAL_REDUCTION_MEAN;
            CHECK(focal_softmax_f64_i32(&o, N, C, I, x, y32, NULL, &s, NULL) == FOCAL_OK, "mean");
            CHECK(close_to(s, total / weight_sum, 1e-12L, 0), "mean %.17g vs %.17Lg", s, total / weight_sum);
            CHECK(focal_softmax_f32_i64(&o, N, C, I, xf, y64, NULL, &sf, NULL) == FOCAL_OK, "mean f32");
            CHECK(close_to(sf, total / weight_sum, 3e-7L, 0), "mean f32");
            o.reduction = FOCAL_REDUCTION_SUM;
            CHECK(focal_softmax_f64_i64(&o, N, C, I, x, y64, NULL, &s32, NULL) == FOCAL_OK, "sum");
            CHECK(close_to(s32, total, 1e-12L, 0), "sum");
        }
    }
}

static void test_threads_bitwise(void) {
    enum { M = 200003 };
    static float x[M], t[M], l1[M], g1[M], l2[M], g2[M];
    focal_sigmoid_options o;
    int i, k;
    const int threads[] = {0, 2, 3, 8};
    for (i = 0; i < M; ++i) { x[i] = (float)uniform(-10, 10); t[i] = i % 50 == 0 ? 1.0f : 0.0f; }
    focal_sigmoid_options_init(&o, FOCAL_SIGMOID_OPTIONS_VERSION);
    o.num_threads = 1;
    CHECK(focal_sigmoid_f32(&o, M, x, t, NULL, l1, g1) == FOCAL_OK, "1 thread");
    for (k = 0; k < 4; ++k) {
        o.num_threads = threads[k];
        CHECK(focal_sigmoid_f32(&o, M, x, t, NULL, l2, g2) == FOCAL_OK, "threads");
        CHECK(memcmp(l1, l2, sizeof l1) == 0 && memcmp(g1, g2, sizeof g1) == 0, "threads=%d differ", threads[k]);
    }
    o.reduction = FOCAL_REDUCTION_SUM;
    o.num_threads = 1;
    CHECK(focal_sigmoid_f32(&o, M, x, t, NULL, l1, NULL) == FOCAL_OK, "sum");
    for (k = 0; k < 4; ++k) {
        o.num_threads = threads[k];
        CHECK(focal_sigmoid_f32(&o, M, x, t, NULL, l2, NULL) == FOCAL_OK, "sum");
        CHECK(memcmp(l1, l2, sizeof(float)) == 0, "sum threads=%d: %.9g vs %.9g", threads[k], l1[0], l2[0]);
    }
}

/* ------------------------------------------------------------------ errors */

#define SENT_F (-31337.0f)
#define SENT_D (-31337.0)

/* A sigmoid call that must fail with `expected`, leaving every output untouched and
 * naming `mention` in the message. */
static void sigmoid_fails(const focal_sigmoid_options *o, int64_t count, const float *x, const float *t,
                          focal_status expected, const char *mention, int line) {
    float loss[8], grad[8];
    focal_status s;
    fill_f(loss, 8, SENT_F); fill_f(grad, 8, SENT_F);
    s = focal_sigmoid_f32(o, count, x, t, NULL, loss, grad);
    ++checks;
    if (s != expected || !all_f(loss, 8, SENT_F) || !all_f(grad, 8, SENT_F) ||
        strstr(focal_last_error_message(), mention) == NULL) {
        ++failures;
        fprintf(stderr, "line %d: sigmoid expected %d got %d, message \"%s\" (wanted \"%s\"), outputs %s\n", line,
                (int)expected, (int)s, focal_last_error_message(), mention,
                all_f(loss, 8, SENT_F) && all_f(grad, 8, SENT_F) ? "untouched" : "WRITTEN");
    }
}

static void softmax_fails(const focal_softmax_options *o, int64_t n, int64_t c, int64_t inner, const double *x,
                          const int64_t *y, focal_status expected, const char *mention, int line) {
    double loss[8], grad[16];
    focal_status s;
    fill_d(loss, 8, SENT_D); fill_d(grad, 16, SENT_D);
    s = focal_softmax_f64_i64(o, n, c, inner, x, y, NULL, loss, grad);
    ++checks;
    if (s != expected || !all_d(loss, 8, SENT_D) || !all_d(grad, 16, SENT_D) ||
        strstr(focal_last_error_message(), mention) == NULL) {
        ++failures;
        fprintf(stderr, "line %d: softmax expected %d got %d, message \"%s\" (wanted \"%s\"), outputs %s\n", line,
                (int)expected, (int)s, focal_last_error_message(), mention,
                all_d(loss, 8, SENT_D) && all_d(grad, 16, SENT_D) ? "untouched" : "WRITTEN");
    }
}

static void test_sigmoid_errors(void) {
    const float x[4] = {0.5f, -1.0f, 2.0f, 0.0f}, t[4] = {1, 0, 0.5f, 0};
    float bad_t[4] = {1, 0, 1.5f, 0};
    float loss[4], grad[4];
    focal_sigmoid_options o, base;
    focal_sigmoid_options_init(&base, FOCAL_SIGMOID_OPTIONS_VERSION);

    sigmoid_fails(&base, 4, NULL, t, FOCAL_ERROR_NULL_POINTER, "logits", __LINE__);
    sigmoid_fails(&base, 4, x, NULL, FOCAL_ERROR_NULL_POINTER, "targets", __LINE__);
    sigmoid_fails(&base, -1, x, t, FOCAL_ERROR_INVALID_SHAPE, "count = -1", __LINE__);
    sigmoid_fails(&base, INT64_MAX, x, t, FOCAL_ERROR_INVALID_SHAPE, "logits", __LINE__);
    sigmoid_fails(&base, INT64_MAX / 4 + 1, x, t, FOCAL_ERROR_INVALID_SHAPE, "address space", __LINE__);
    sigmoid_fails(&base, 4, x, bad_t, FOCAL_ERROR_TARGET_OUT_OF_RANGE, "targets[2] = 1.5", __LINE__);
    bad_t[2] = -0.0f; bad_t[3] = (float)NAN;
    sigmoid_fails(&base, 4, x, bad_t, FOCAL_ERROR_TARGET_OUT_OF_RANGE, "targets[3] = nan", __LINE__);
    o = base; o.alpha = 1.5;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_ALPHA, "alpha = 1.5", __LINE__);
    o.alpha = -0.5;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_ALPHA, "alpha = -0.5", __LINE__);
    o.alpha = NAN;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_ALPHA, "alpha = nan", __LINE__);
    o = base; o.gamma = -1;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_GAMMA, "gamma = -1", __LINE__);
    o.gamma = NAN;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_GAMMA, "gamma = nan", __LINE__);
    o.gamma = INFINITY;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_GAMMA, "gamma = inf", __LINE__);
    o = base; o.reduction = FOCAL_REDUCTION_MEAN; o.use_normalizer = 1; o.normalizer = 0;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_NORMALIZER, "normalizer = 0", __LINE__);
    o.normalizer = NAN;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_NORMALIZER, "normalizer = nan", __LINE__);
    o.normalizer = -2;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_NORMALIZER, "normalizer = -2", __LINE__);
    o.reduction = FOCAL_REDUCTION_SUM; o.normalizer = 2;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_NORMALIZER, "reduction mean", __LINE__);
    o = base; o.reduction = (focal_reduction)7;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_REDUCTION, "reduction = 7", __LINE__);
    o = base; o.version = 0;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_OPTIONS_VERSION, "version = 0", __LINE__);
    o.version = 5;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_OPTIONS_VERSION, "version = 5", __LINE__);
    o = base; o.precision = (focal_precision)2;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_PRECISION, "precision = 2", __LINE__);
    o.precision = (focal_precision)-1;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_PRECISION, "precision = 4294967295", __LINE__);
    o = base; o.num_threads = -1;
    sigmoid_fails(&o, 4, x, t, FOCAL_ERROR_INVALID_THREAD_COUNT, "num_threads = -1", __LINE__);

    /* NULL loss; overlapping outputs. */
    fill_f(grad, 4, SENT_F);
    CHECK(focal_sigmoid_f32(&base, 4, x, t, NULL, NULL, grad) == FOCAL_ERROR_NULL_POINTER && all_f(grad, 4, SENT_F), "NULL loss");
    CHECK(strstr(focal_last_error_message(), "loss is NULL") != NULL, "%s", focal_last_error_message());
    {
        float buf[8];
        fill_f(buf, 8, SENT_F);
        memcpy(buf, x, sizeof x);
        CHECK(focal_sigmoid_f32(&base, 4, buf, t, NULL, buf + 2, NULL) == FOCAL_ERROR_OVERLAPPING_BUFFERS, "loss overlaps logits");
        CHECK(strstr(focal_last_error_message(), "loss overlaps logits") != NULL, "%s", focal_last_error_message());
        CHECK(all_f(buf + 4, 4, SENT_F) && memcmp(buf, x, sizeof x) == 0, "untouched");
        CHECK(focal_sigmoid_f32(&base, 4, x, t, NULL, buf, buf + 3) == FOCAL_ERROR_OVERLAPPING_BUFFERS, "grad overlaps loss");
        CHECK(memcmp(buf, x, sizeof x) == 0 && all_f(buf + 4, 4, SENT_F), "untouched");
    }
    /* Empty input: NULL arrays are fine; sum is 0 and mean NaN. */
    CHECK(focal_sigmoid_f32(&base, 0, NULL, NULL, NULL, NULL, NULL) == FOCAL_OK, "empty none");
    o = base; o.reduction = FOCAL_REDUCTION_SUM;
    CHECK(focal_sigmoid_f32(&o, 0, NULL, NULL, NULL, loss, NULL) == FOCAL_OK && loss[0] == 0, "empty sum");
    o.reduction = FOCAL_REDUCTION_MEAN;
    CHECK(focal_sigmoid_f32(&o, 0, NULL, NULL, NULL, loss, NULL) == FOCAL_OK && isnan(loss[0]), "empty mean");
    /* NULL options are the defaults. */
    {
        float l1[4], l2[4];
        CHECK(focal_sigmoid_f32(NULL, 4, x, t, NULL, l1, NULL) == FOCAL_OK, "NULL options");
        CHECK(focal_sigmoid_f32(&base, 4, x, t, NULL, l2, NULL) == FOCAL_OK, "defaults");
        CHECK(memcmp(l1, l2, sizeof l1) == 0, "NULL options equal the defaults");
    }
}

static void test_softmax_errors(void) {
    const double x[6] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
    const int64_t y[2] = {0, 2};
    int64_t bad_y[2] = {1, 3};
    double weights[3] = {1, 1, 1};
    focal_softmax_options o, base;
    focal_softmax_options_init(&base, FOCAL_SOFTMAX_OPTIONS_VERSION);

    softmax_fails(&base, 2, 3, 1, NULL, y, FOCAL_ERROR_NULL_POINTER, "logits is NULL", __LINE__);
    softmax_fails(&base, 2, 3, 1, x, NULL, FOCAL_ERROR_NULL_POINTER, "targets is NULL", __LINE__);
    softmax_fails(&base, 2, 0, 1, x, y, FOCAL_ERROR_INVALID_SHAPE, "classes = 0", __LINE__);
    softmax_fails(&base, -2, 3, 1, x, y, FOCAL_ERROR_INVALID_SHAPE, "batch = -2", __LINE__);
    softmax_fails(&base, 2, -3, 1, x, y, FOCAL_ERROR_INVALID_SHAPE, "classes = -3", __LINE__);
    softmax_fails(&base, 2, 3, -1, x, y, FOCAL_ERROR_INVALID_SHAPE, "inner = -1", __LINE__);
    softmax_fails(&base, INT64_C(1) << 40, INT64_C(1) << 20, INT64_C(1) << 8, x, y, FOCAL_ERROR_INVALID_SHAPE, "overflows int64", __LINE__);
    softmax_fails(&base, INT64_C(1) << 30, INT64_C(1) << 30, 1, x, y, FOCAL_ERROR_INVALID_SHAPE, "address space", __LINE__);
    softmax_fails(&base, 2, 3, 1, x, bad_y, FOCAL_ERROR_TARGET_OUT_OF_RANGE, "targets[1] = 3", __LINE__);
    bad_y[0] = -1;
    softmax_fails(&base, 2, 3, 1, x, bad_y, FOCAL_ERROR_TARGET_OUT_OF_RANGE, "targets[0] = -1", __LINE__);
    o = base; weights[1] = -0.5; o.alpha = weights;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_ALPHA, "alpha[1] = -0.5", __LINE__);
    weights[1] = NAN;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_ALPHA, "alpha[1] = nan", __LINE__);
    weights[1] = INFINITY;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_ALPHA, "alpha[1] = inf", __LINE__);
    weights[1] = 1;
    o = base; o.label_smoothing = 1.5;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_LABEL_SMOOTHING, "label_smoothing = 1.5", __LINE__);
    o.label_smoothing = -0.1;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_LABEL_SMOOTHING, "label_smoothing = -0.1", __LINE__);
    o.label_smoothing = NAN;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_LABEL_SMOOTHING, "label_smoothing = nan", __LINE__);
    o = base; o.gamma = -0.5;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_GAMMA, "gamma = -0.5", __LINE__);
    o = base; o.use_normalizer = 1; o.normalizer = 0;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_NORMALIZER, "normalizer = 0", __LINE__);
    o.normalizer = INFINITY;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_NORMALIZER, "normalizer = inf", __LINE__);
    o.normalizer = 2; o.reduction = FOCAL_REDUCTION_NONE;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_NORMALIZER, "reduction mean", __LINE__);
    o = base; o.reduction = (focal_reduction)3;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_REDUCTION, "reduction = 3", __LINE__);
    o = base; o.version = 7;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_OPTIONS_VERSION, "version = 7", __LINE__);
    o = base; o.precision = (focal_precision)5;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_PRECISION, "precision = 5", __LINE__);
    o = base; o.num_threads = -3;
    softmax_fails(&o, 2, 3, 1, x, y, FOCAL_ERROR_INVALID_THREAD_COUNT, "num_threads = -3", __LINE__);
    {
        double buf[8];
        fill_d(buf, 8, SENT_D);
        CHECK(focal_softmax_f64_i64(&base, 2, 3, 1, x, y, NULL, buf, buf) == FOCAL_ERROR_OVERLAPPING_BUFFERS,
              "grad overlaps loss");
        CHECK(all_d(buf, 8, SENT_D), "untouched");
        o = base; o.alpha = buf;
        fill_d(buf, 3, 1.0);
        CHECK(focal_softmax_f64_i64(&o, 2, 3, 1, x, y, NULL, buf + 1, NULL) == FOCAL_ERROR_OVERLAPPING_BUFFERS,
              "loss overlaps alpha");
        CHECK(strstr(focal_last_error_message(), "loss overlaps alpha") != NULL, "%s", focal_last_error_message());
        CHECK(focal_softmax_f64_i64(&base, 2, 3, 1, x, y, NULL, NULL, NULL) == FOCAL_ERROR_NULL_POINTER, "NULL loss");
    }
    /* Every target ignored: sum 0, mean NaN, gradient 0; C = 1: zero loss. */
    {
        const int64_t ignored[2] = {-100, -100}, zeros[6] = {0, 0, 0, 0, 0, 0};
        double l, g[6];
        o = base;
        CHECK(focal_softmax_f64_i64(&o, 2, 3, 1, x, ignored, NULL, &l, g) == FOCAL_OK && isnan(l) && all_d(g, 6, 0.0),
              "all ignored mean");
        o.reduction = FOCAL_REDUCTION_SUM;
        CHECK(focal_softmax_f64_i64(&o, 2, 3, 1, x, ignored, NULL, &l, g) == FOCAL_OK && l == 0, "all ignored sum");
        CHECK(focal_softmax_f64_i64(&o, 6, 1, 1, x, zeros, NULL, &l, g) == FOCAL_OK &&
              l == 0 && all_zero_d(g, 6), "one class");
    }
}

/* The last error message belongs to the thread that failed. */
static void *fail_in_thread(void *arg) {
    focal_sigmoid_options o;
    float x = 0, t = 0, l;
    (void)arg;
    focal_sigmoid_options_init(&o, FOCAL_SIGMOID_OPTIONS_VERSION);
    o.gamma = -42;
    if (focal_sigmoid_f32(&o, 1, &x, &t, NULL, &l, NULL) != FOCAL_ERROR_INVALID_GAMMA) return (void *)1;
    return strstr(focal_last_error_message(), "gamma = -42") ? NULL : (void *)1;
}

static void test_thread_local_errors(void) {
    pthread_t thread;
    void *result = (void *)1;
    focal_sigmoid_options o;
    float x = 0, t = 0, l;
    focal_sigmoid_options_init(&o, FOCAL_SIGMOID_OPTIONS_VERSION);
    o.alpha = 7;
    CHECK(focal_sigmoid_f32(&o, 1, &x, &t, NULL, &l, NULL) == FOCAL_ERROR_INVALID_ALPHA, "alpha");
    CHECK(pthread_create(&thread, NULL, fail_in_thread, NULL) == 0, "pthread_create");
    pthread_join(thread, &result);
    CHECK(result == NULL, "the other thread saw its own message");
    CHECK(strstr(focal_last_error_message(), "alpha = 7") != NULL, "main thread kept its message: %s", focal_last_error_message());
    /* A successful call leaves the message as it was. */
    CHECK(focal_sigmoid_f32(NULL, 1, &x, &t, NULL, &l, NULL) == FOCAL_OK, "ok");
    CHECK(strstr(focal_last_error_message(), "alpha = 7") != NULL, "kept after success");
}

/* The options as a caller compiled against a version 1 header declared them. */
typedef struct {
    uint32_t version; focal_reduction reduction; double alpha; double gamma; int32_t use_normalizer;
    double normalizer; int32_t num_threads; int32_t accumulate_grad;
} sigmoid_options_v1;
typedef struct {
    uint32_t version; focal_reduction reduction; double gamma; const double *alpha; int64_t ignore_index;
    double label_smoothing; int32_t use_normalizer; double normalizer; int32_t num_threads; int32_t accumulate_grad;
} softmax_options_v1;

/* Float32 ulps between a and the float64 value b. */
static double ulps_f(float a, double b) {
    float r = (float)b;
    double spacing = (double)nextafterf(fabsf(r), INFINITY) - (double)fabsf(r);
    return fabs((double)a - b) / spacing;
}

/* The precision tiers: a version 1 struct (exactly its own size on the heap, so an overread
 * shows under ASan and valgrind) computes the exact tier; the fast tier stays within its bound
 * on hard targets, is bitwise identical for every thread count, and equals the exact tier
 * where it computes in double (soft-target blocks, float64). The softmax's: test_softmax_precision. */
static void test_precision(void) {
    enum { N = 70000 };
    static float x[N], t[N], soft[N], l_exact[N], g_exact[N], l_fast[N], g_fast[N], l2[N], g2[N];
    static double xd[N], td[N], ld[N], gd[N], ld2[N], gd2[N];
    static const double gammas[] = {0, 0.5, 1, 2, 3, 3.7, 5};
    focal_sigmoid_options exact, fast;
    sigmoid_options_v1 *v1 = (sigmoid_options_v1 *)malloc(sizeof *v1);
    softmax_options_v1 *w1 = (softmax_options_v1 *)malloc(sizeof *w1);
    double worst_loss = 0, worst_grad = 0;
    size_t k;
    int i;
    for (i = 0; i < N; ++i) {
        x[i] = (float)uniform(-30, 30);
        t[i] = uniform(0, 1) < 0.1 ? 1.0f : 0.0f;
        soft[i] = (float)uniform(0, 1);
        xd[i] = x[i]; td[i] = t[i];
    }
    x[0] = INFINITY; x[1] = -INFINITY; x[2] = 1e30f; x[3] = -1e30f; x[4] = 0;
    xd[0] = x[0]; xd[1] = x[1]; xd[2] = x[2]; xd[3] = x[3]; xd[4] = 0;
    focal_sigmoid_options_init(&exact, FOCAL_SIGMOID_OPTIONS_VERSION);
    exact.num_threads = 1;
    fast = exact; fast.precision = FOCAL_PRECISION_FAST;

    /* Version 1: the exact tier, bit for bit. */
    CHECK(v1 != NULL && w1 != NULL, "malloc");
    if (v1 == NULL || w1 == NULL) return;
    CHECK(focal_sigmoid_options_init((focal_sigmoid_options *)(void *)v1, 1) == FOCAL_OK, "v1 init");
    v1->num_threads = 1;
    CHECK(focal_sigmoid_f32(&exact, N, x, t, NULL, l_exact, g_exact) == FOCAL_OK, "exact");
    CHECK(focal_sigmoid_f32((const focal_sigmoid_options *)(void *)v1, N, x, t, NULL, l2, g2) == FOCAL_OK, "v1: %s",
          focal_last_error_message());
    CHECK(memcmp(l_exact, l2, sizeof l2) == 0 && memcmp(g_exact, g2, sizeof g2) == 0, "version 1 is the exact tier");
    CHECK(focal_softmax_options_init((focal_softmax_options *)(void *)w1, 1) == FOCAL_OK, "v1 init");
    {
        int64_t y[4] = {0, 2, 1, -100};
        float sl[1], sl1[1], sg[12], sg1[12];
        focal_softmax_options so;
        focal_softmax_options_init(&so, FOCAL_SOFTMAX_OPTIONS_VERSION);
        CHECK(focal_softmax_f32_i64(&so, 4, 3, 1, x + 10, y, NULL, sl, sg) == FOCAL_OK, "softmax");
        CHECK(focal_softmax_f32_i64((const focal_softmax_options *)(void *)w1, 4, 3, 1, x + 10, y, NULL, sl1, sg1) == FOCAL_OK,
              "softmax v1: %s", focal_last_error_message());
        CHECK(memcmp(sl, sl1, sizeof sl) == 0 && memcmp(sg, sg1, sizeof sg) == 0, "softmax version 1");
    }
    free(v1);
    free(w1);

    /* The fast tier's bound on hard targets, against float64, for each gamma and alpha. */
    for (k = 0; k < sizeof gammas / sizeof gammas[0]; ++k) {
        int a;
        for (a = 0; a < 2; ++a) {
            exact.gamma = fast.gamma = gammas[k];
            exact.alpha = fast.alpha = a == 0 ? 0.25 : FOCAL_ALPHA_DISABLED;
            CHECK(focal_sigmoid_f32(&fast, N, x, t, NULL, l_fast, g_fast) == FOCAL_OK, "fast");
            CHECK(focal_sigmoid_f64(&exact, N, xd, td, NULL, ld, gd) == FOCAL_OK, "f64");
            for (i = 0; i < N; ++i) {
                double el = ulps_f(l_fast[i], ld[i]), eg = ulps_f(g_fast[i], gd[i]);
                if (el > worst_loss) worst_loss = el;
                if (eg > worst_grad) worst_grad = eg;
            }
            CHECK(isfinite(g_fast[0]) && isfinite(g_fast[1]) && l_fast[0] == ld[0] && l_fast[1] == ld[1],
                  "fast: infinite logits as limits (gamma %g)", gammas[k]);
            /* Every thread count, bit for bit. */
            fast.num_threads = 2;
            CHECK(focal_sigmoid_f32(&fast, N, x, t, NULL, l2, g2) == FOCAL_OK, "fast, 2 threads");
            CHECK(memcmp(l_fast, l2, sizeof l2) == 0 && memcmp(g_fast, g2, sizeof g2) == 0, "fast: threads 1 and 2 (gamma %g)",
                  gammas[k]);
            fast.num_threads = 1;
        }
    }
    printf("fast tier, %d hard-target float32 logits in [-30, 30], gamma 0..5, alpha 0.25 and off: "
           "worst loss %.2f ulp, gradient %.2f ulp (bound 16)\n", (int)N, worst_loss, worst_grad);
    CHECK(worst_loss <= 16 && worst_grad <= 16, "fast tier within 16 ulps: loss %.2f, gradient %.2f", worst_loss, worst_grad);
    CHECK(worst_loss > 0.5, "the fast tier is not the exact one (loss %.2f ulps)", worst_loss);

    /* Where the fast tier computes in double it equals the exact tier: soft-target blocks, f64. */
    exact.gamma = fast.gamma = 2; exact.alpha = fast.alpha = 0.25;
    CHECK(focal_sigmoid_f32(&exact, N, x, soft, NULL, l_exact, g_exact) == FOCAL_OK, "exact soft");
    CHECK(focal_sigmoid_f32(&fast, N, x, soft, NULL, l_fast, g_fast) == FOCAL_OK, "fast soft");
    CHECK(memcmp(l_exact, l_fast, sizeof l_fast) == 0 && memcmp(g_exact, g_fast, sizeof g_fast) == 0, "fast soft = exact");
    CHECK(focal_sigmoid_f64(&exact, N, xd, td, NULL, ld, gd) == FOCAL_OK, "f64 exact");
    CHECK(focal_sigmoid_f64(&fast, N, xd, td, NULL, ld2, gd2) == FOCAL_OK, "f64 fast");
    CHECK(memcmp(ld, ld2, sizeof ld) == 0 && memcmp(gd, gd2, sizeof gd) == 0, "f64 fast = exact");
}

/* The softmax's fast tier, every layout (rows of 3 and 10 classes, transposed into tiles; rows
 * of 19 and 80; class-major positions, inner = 7), against float64: within 16 ulps for gamma
 * <= 5 with and without alpha, with ignored targets, classes of probability 0 (-inf logits) and
 * a NaN row that stays its own; bitwise identical for 1 and 2 threads; an upstream gradient, the
 * sum reduction's scale and accumulation; label smoothing and float64 as the exact tier. */
static void test_softmax_precision(void) {
    enum { E = 48000 };
    static float x[E], l[E], g[E], l2[E], g2[E], acc[E], start[E];
    static double xd[E], ld[E], gd[E], upd[E];
    static float up[E];
    static int64_t y[E];
    static const double gammas[] = {0, 0.5, 1, 2, 3, 3.7, 5};
    /* The last two: rows and class-major positions of more classes than the kernel's cache of
     * e^(x - M) holds (4096), which recompute them for the gradient. */
    static const int64_t shapes[][2] = {{3, 1}, {10, 1}, {19, 1}, {80, 1}, {5, 7}, {4500, 1}, {4200, 3}};
    static double alpha[4500];
    double worst_loss = 0, worst_grad = 0;
    focal_softmax_options exact, fast;
    size_t s, k;
    int64_t i;
    focal_softmax_options_init(&exact, FOCAL_SOFTMAX_OPTIONS_VERSION);
    exact.reduction = FOCAL_REDUCTION_NONE;
    exact.num_threads = 1;
    for (i = 0; i < 4500; ++i) alpha[i] = uniform(0.1, 2);
    for (s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
        int64_t classes = shapes[s][0], inner = shapes[s][1], batch = E / (classes * inner);
        int64_t positions = batch * inner, elements = positions * classes, c;
        for (i = 0; i < elements; ++i) {
            x[i] = (float)(uniform(-1, 1) * (uniform(0, 1) < 0.2 ? 40 : 4));
            xd[i] = x[i];
        }
        for (i = 0; i < positions; ++i) {
            y[i] = i % 13 == 5 ? -100 : (int64_t)(uniform(0, 1) * (double)classes) % classes;
            up[i] = (float)uniform(-2, 2);
            upd[i] = up[i];
        }
        x[1] = -INFINITY; xd[1] = -INFINITY;  /* a class of probability 0 in position 0 (or 1) */
        y[0] = 0; y[1] = inner == 1 ? 0 : 1;  /* never its target: the loss stays finite */
        /* Position 3 has a NaN logit (class 0 of row 3; class-major: class 1). */
        c = inner == 1 ? 3 * classes : ((3 / inner) * classes + 1) * inner + 3 % inner;
        x[c] = NAN; xd[c] = NAN;
        for (k = 0; k < sizeof gammas / sizeof gammas[0]; ++k) {
            int a;
            for (a = 0; a < 2; ++a) {
                exact.gamma = gammas[k];
                exact.alpha = a ? alpha : NULL;
                fast = exact; fast.precision = FOCAL_PRECISION_FAST;
                CHECK(focal_softmax_f32_i64(&fast, batch, classes, inner, x, y, up, l, g) == FOCAL_OK, "softmax fast");
                CHECK(focal_softmax_f64_i64(&exact, batch, classes, inner, xd, y, upd, ld, gd) == FOCAL_OK, "softmax f64");
                for (i = 0; i < positions; ++i) {
                    int nan_row = i == 3;
                    double el = ulps_f(l[i], ld[i]);
                    if (nan_row) {
                        CHECK(isnan(l[i]) && isnan(ld[i]), "the NaN row's loss (C = %d)", (int)classes);
                        continue;
                    }
                    if (el > worst_loss) worst_loss = el;
                    if (y[i] == -100) CHECK(l[i] == 0, "ignored position's loss");
                }
                for (i = 0; i < elements; ++i) {
                    int64_t position = inner == 1 ? i / classes : (i / (classes * inner)) * inner + i % inner;
                    double eg = ulps_f(g[i], gd[i]);
                    if (position == 3) {
                        CHECK(isnan(g[i]) && isnan(gd[i]), "the NaN row's gradient (C = %d)", (int)classes);
                        continue;
                    }
                    if (y[position] == -100) CHECK(g[i] == 0, "ignored position's gradient");
                    CHECK(isfinite(g[i]), "finite gradient (C = %d, element %d)", (int)classes, (int)i);
                    if (eg > worst_grad) worst_grad = eg;
                }
                /* Two threads, bit for bit (the call is split into more than one chunk). */
                fast.num_threads = 2;
                CHECK(focal_softmax_f32_i64(&fast, batch, classes, inner, x, y, up, l2, g2) == FOCAL_OK, "fast, 2 threads");
                CHECK(memcmp(l, l2, (size_t)positions * sizeof l[0]) == 0 && memcmp(g, g2, (size_t)elements * sizeof g[0]) == 0,
                      "softmax fast: threads 1 and 2 (C = %d, gamma %g)", (int)classes, gammas[k]);
            }
        }
        /* Accumulation adds the gradient to the buffer (one rounding) and leaves ignored
         * positions as they were; the sum reduction scales by grad_loss. */
        fast = exact; fast.gamma = 2; fast.alpha = NULL; fast.precision = FOCAL_PRECISION_FAST;
        CHECK(focal_softmax_f32_i64(&fast, batch, classes, inner, x, y, NULL, l, g) == FOCAL_OK, "fast, no upstream");
        for (i = 0; i < elements; ++i) start[i] = acc[i] = (float)uniform(-1, 1);
        fast.accumulate_grad = 1;
        CHECK(focal_softmax_f32_i64(&fast, batch, classes, inner, x, y, NULL, l2, acc) == FOCAL_OK, "fast, accumulate");
        for (i = 0; i < elements; ++i) {
            int64_t position = inner == 1 ? i / classes : (i / (classes * inner)) * inner + i % inner;
            float expected = y[position] == -100 ? start[i] : (float)((double)start[i] + (double)g[i]);
            if (position == 3) continue;
            if (memcmp(&acc[i], &expected, sizeof expected) != 0) {
                CHECK(0, "fast accumulate, C = %d, element %d: %g, expected %g", (int)classes, (int)i, acc[i], expected);
                break;
            }
        }
        {
            float sum_loss[1], half[1] = {0.5f};
            double sum_ref[1], half_d[1] = {0.5};
            fast.accumulate_grad = 0;
            fast.reduction = FOCAL_REDUCTION_SUM;
            exact.reduction = FOCAL_REDUCTION_SUM; exact.gamma = 2; exact.alpha = NULL;
            x[c] = 0; xd[c] = 0;  /* a finite sum */
            CHECK(focal_softmax_f32_i64(&fast, batch, classes, inner, x, y, half, sum_loss, g) == FOCAL_OK, "fast sum");
            CHECK(focal_softmax_f64_i64(&exact, batch, classes, inner, xd, y, half_d, sum_ref, gd) == FOCAL_OK, "f64 sum");
            CHECK(fabs(sum_loss[0] - sum_ref[0]) <= 16 * 6e-8 * sum_ref[0], "fast sum %.9g vs %.9g", sum_loss[0], sum_ref[0]);
            for (i = 0; i < elements; ++i) {
                double eg = ulps_f(g[i], gd[i]);
                if (eg > worst_grad) worst_grad = eg;
            }
            exact.reduction = FOCAL_REDUCTION_NONE;
        }
        /* Label smoothing, and float64, compute in the exact tier. */
        fast = exact; fast.gamma = exact.gamma = 2; fast.alpha = exact.alpha = NULL; fast.label_smoothing = exact.label_smoothing = 0.1;
        fast.precision = FOCAL_PRECISION_FAST;
        CHECK(focal_softmax_f32_i64(&fast, batch, classes, inner, x, y, NULL, l, g) == FOCAL_OK, "fast smoothing");
        CHECK(focal_softmax_f32_i64(&exact, batch, classes, inner, x, y, NULL, l2, g2) == FOCAL_OK, "exact smoothing");
        CHECK(memcmp(l, l2, (size_t)positions * sizeof l[0]) == 0 && memcmp(g, g2, (size_t)elements * sizeof g[0]) == 0,
              "fast smoothing = exact (C = %d)", (int)classes);
        exact.label_smoothing = 0;
    }
    printf("softmax fast tier, 48,000 float32 logits per layout (C = 3, 10, 19, 80, 4500; 5 x inner 7, 4200 x inner 3), gamma 0..5, "
           "alpha and none: worst loss %.2f ulp, gradient %.2f ulp (bound 16)\n", worst_loss, worst_grad);
    CHECK(worst_loss <= 16 && worst_grad <= 16, "softmax fast tier within 16 ulps: loss %.2f, gradient %.2f", worst_loss,
          worst_grad);
    CHECK(worst_grad > 0.6, "the softmax fast tier is not the exact one (gradient %.2f ulps)", worst_grad);
}

/* The options as a caller compiled against a version 2 header declared them. */
typedef struct {
    uint32_t version; focal_reduction reduction; double alpha; double gamma; int32_t use_normalizer;
    double normalizer; int32_t num_threads; int32_t accumulate_grad; focal_precision precision;
} sigmoid_options_v2;

/* The sigmoid from integer labels: equal, bit for bit, to focal_sigmoid_f32/f64 on the kept
 * elements' one-hot targets (every reduction, both label types, (N, C) and (N, C, inner),
 * several chunks), zeros at ignored elements, a version 2 struct with the default
 * ignore_index (-100), and errors that write nothing. */
#define LB 600
#define LC 40
static void test_sigmoid_labels(void) {
    static float x[LB * LC], t[LB * LC], kx[LB * LC], kt[LB * LC], loss[LB * LC], grad[LB * LC], kloss[LB * LC],
        kgrad[LB * LC];
    static double xd[LB * LC], td[LB * LC], lossd[LB * LC], gradd[LB * LC], klossd[LB * LC], kgradd[LB * LC];
    static int64_t y64[LB * LC];
    static int32_t y32[LB * LC];
    int shape, reduction, i, kept;
    focal_sigmoid_options o = FOCAL_SIGMOID_OPTIONS_INIT;
    sigmoid_options_v2 *v2 = (sigmoid_options_v2 *)malloc(sizeof *v2);
    for (i = 0; i < LB * LC; ++i) xd[i] = x[i] = (float)uniform(-10, 10);
    for (shape = 0; shape < 2; ++shape) {
        /* (600, 40) and (6, 40, 100): 24,000 elements, two chunks of the dense call. */
        int64_t batch = shape == 0 ? LB : 6, inner = shape == 0 ? 1 : 100, positions = batch * inner, e;
        for (i = 0; i < positions; ++i) {
            int label = (int)uniform(0, LC + 1.0);
            if (i % 7 == 3) label = -100;
            y64[i] = label;
            y32[i] = label;
        }
        for (reduction = 0; reduction < 3; ++reduction) {
            focal_status s1, s2, s3, s4;
            int same = 1, zeros = 1;
            o.reduction = (focal_reduction)reduction;
            o.num_threads = 2;
            fill_f(loss, LB * LC, -7);
            fill_f(grad, LB * LC, -7);
            s1 = focal_sigmoid_labels_f32_i64(&o, batch, LC, inner, x, y64, NULL, loss, grad);
            /* The dense call on the kept elements. */
            kept = 0;
            for (e = 0; e < batch * LC * inner; ++e) {
                int64_t p = (e / (LC * inner)) * inner + e % inner, c = (e / inner) % LC;
                t[e] = y64[p] == c ? 1.0f : 0.0f;
                if (y64[p] == -100) continue;
                kx[kept] = x[e];
                kt[kept] = t[e];
                ++kept;
            }
            s2 = focal_sigmoid_f32(&o, kept, kx, kt, NULL, kloss, kgrad);
            CHECK(s1 == FOCAL_OK && s2 == FOCAL_OK, "labels f32: %s", focal_last_error_message());
            kept = 0;
            for (e = 0; e < batch * LC * inner; ++e) {
                int64_t p = (e / (LC * inner)) * inner + e % inner;
                if (y64[p] == -100) {
                    zeros &= grad[e] == 0 && (reduction != 0 || loss[e] == 0);
                    continue;
                }
                same &= memcmp(&grad[e], &kgrad[kept], sizeof(float)) == 0 &&
                        (reduction != 0 || memcmp(&loss[e], &kloss[kept], sizeof(float)) == 0);
                ++kept;
            }
            if (reduction != 0) same &= memcmp(&loss[0], &kloss[0], sizeof(float)) == 0;
            CHECK(same && zeros, "labels f32 = dense on the kept one-hot targets (shape %d, reduction %d)", shape, reduction);
            /* int32 labels, float64. */
            for (i = 0; i < LB * LC; ++i) td[i] = t[i];
            s3 = focal_sigmoid_labels_f64_i32(&o, batch, LC, inner, xd, y32, NULL, lossd, gradd);
            {
                static double kxd[LB * LC], ktd[LB * LC];
                int k = 0;
                for (e = 0; e < batch * LC * inner; ++e) {
                    int64_t p = (e / (LC * inner)) * inner + e % inner;
                    if (y32[p] == -100) continue;
                    kxd[k] = xd[e];
                    ktd[k] = td[e];
                    ++k;
                }
                s4 = focal_sigmoid_f64(&o, k, kxd, ktd, NULL, klossd, kgradd);
                same = s3 == FOCAL_OK && s4 == FOCAL_OK;
                k = 0;
                for (e = 0; e < batch * LC * inner; ++e) {
                    int64_t p = (e / (LC * inner)) * inner + e % inner;
                    if (y32[p] == -100) continue;
                    same &= memcmp(&gradd[e], &kgradd[k], sizeof(double)) == 0;
                    ++k;
                }
                if (reduction != 0) same &= memcmp(&lossd[0], &klossd[0], sizeof(double)) == 0;
                CHECK(same, "labels f64/i32 = dense (shape %d, reduction %d)", shape, reduction);
            }
        }
    }
    /* A version 2 struct (its own size on the heap): ignore_index -100. */
    CHECK(v2 != NULL, "malloc");
    if (v2 != NULL) {
        float l2[6], g2[6], l3[6], g3[6];
        const float x6[6] = {0.5f, -1.0f, 2.0f, 1.0f, 0.0f, -3.0f};
        const int64_t y2[2] = {1, -100};
        focal_sigmoid_options o3 = FOCAL_SIGMOID_OPTIONS_INIT;
        CHECK(focal_sigmoid_options_init((focal_sigmoid_options *)(void *)v2, 2) == FOCAL_OK, "v2 init");
        CHECK(focal_sigmoid_labels_f32_i64((const focal_sigmoid_options *)(void *)v2, 2, 3, 1, x6, y2, NULL, l2, g2) == FOCAL_OK,
              "v2: %s", focal_last_error_message());
        CHECK(focal_sigmoid_labels_f32_i64(&o3, 2, 3, 1, x6, y2, NULL, l3, g3) == FOCAL_OK, "v3");
        CHECK(memcmp(l2, l3, sizeof l2) == 0 && memcmp(g2, g3, sizeof g2) == 0 && l2[3] == 0 && g2[5] == 0,
              "version 2 ignores -100");
        free(v2);
    }
    /* Errors write nothing: a label above background, a label that is not ignore_index, NULL labels. */
    {
        float l[6], g[6];
        const float x6[6] = {0};
        const int64_t above[2] = {0, 4}, minus[2] = {-1, 0};
        fill_f(l, 6, -7);
        fill_f(g, 6, -7);
        CHECK(focal_sigmoid_labels_f32_i64(NULL, 2, 3, 1, x6, above, NULL, l, g) == FOCAL_ERROR_TARGET_OUT_OF_RANGE,
              "label 4 of 3 classes");
        CHECK(strstr(focal_last_error_message(), "labels[1] = 4") != NULL, "%s", focal_last_error_message());
        CHECK(focal_sigmoid_labels_f32_i64(NULL, 2, 3, 1, x6, minus, NULL, l, g) == FOCAL_ERROR_TARGET_OUT_OF_RANGE,
              "label -1");
        CHECK(focal_sigmoid_labels_f32_i64(NULL, 2, 3, 1, x6, NULL, NULL, l, g) == FOCAL_ERROR_NULL_POINTER, "NULL labels");
        CHECK(focal_sigmoid_labels_f32_i64(NULL, 2, 0, 1, x6, above, NULL, l, g) == FOCAL_ERROR_INVALID_SHAPE, "0 classes");
        CHECK(focal_sigmoid_labels_f32_i64(NULL, 2, 3, 1, x6, above, NULL, l, (float *)(void *)above) ==
                  FOCAL_ERROR_OVERLAPPING_BUFFERS, "gradient over the labels");
        CHECK(all_f(l, 6, -7) && all_f(g, 6, -7), "nothing written");
    }
}

int main(void) {
    test_version_and_strings();
    test_options_init();
    test_sigmoid_values();
    test_softmax_values();
    test_threads_bitwise();
    test_sigmoid_errors();
    test_softmax_errors();
    test_thread_local_errors();
    test_precision();
    test_softmax_precision();
    test_sigmoid_labels();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
