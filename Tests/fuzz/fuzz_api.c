/*
 * fuzz_api.c: a libFuzzer target for the C API of include/focalloss.h.
 *
 * Random bytes become calls: which function, sizes (small and real, or 0, negative, or
 * overflowing), options (NaN/Inf/negative gamma, alpha, smoothing, normalizer; unknown
 * reductions and struct versions; thread counts), logits (including NaN, +-Inf, +-1e30,
 * +-1e4, subnormals), targets (in range, ignored, out of range), NULL pointers.
 *
 * Invariants, on every input:
 *  - no crash, no sanitizer report (built with ASan + UBSan against an ASan-built library);
 *  - nothing is written outside the outputs: guard zones around every output stay intact;
 *  - on an error: every output is bitwise untouched, the status has a name, and the
 *    message is non-empty;
 *  - on FOCAL_OK: the outputs are finite wherever the logits (the softmax row) are finite, and
 *    the gradient is finite wherever a limit exists (no NaN; softmax: no +inf, not all -inf),
 *    except a mean over zero total weight, which is NaN by contract.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r = {data, size, 0};
    uint8_t op = byte(&r);
    int f64 = op & 1, softmax = (op >> 1) & 1, i32 = (op >> 2) & 1;
    int labels = !softmax && (op & 0x38) == 0x38;  /* the sigmoid from integer labels */
    size_t width = f64 ? 8 : 4;
    int64_t count = 0, batch = 0, classes = 0, inner = 0, positions = 0;
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

    if (op >= 0xF0) {  /* The small functions. */
        focal_sigmoid_options o;
        focal_softmax_options p;
        uint32_t version = byte(&r) % 4;
        if (!focal_status_string((focal_status)u32(&r))) fail("status string NULL");
        memset(&o, 0x5a, sizeof o);
        memset(&p, 0x5a, sizeof p);
        if (focal_sigmoid_options_init(&o, version) != FOCAL_OK && o.version != 0x5a5a5a5a) fail("init wrote on error");
        if (focal_softmax_options_init(&p, version) != FOCAL_OK && p.version != 0x5a5a5a5a) fail("init wrote on error");
        return 0;
    }

    /* Sizes. */
    if (softmax || labels) {
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
    } else if (!softmax && !labels && elements) {
        t = malloc(elements * width);
        for (i = 0; i < elements; ++i) {
            uint8_t k = byte(&r);
            double v = k < 100 ? 0.0 : k < 180 ? 1.0 : k < 245 ? unit(&r) : k < 250 ? 1.5 : k < 253 ? -0.25 : NAN;
            if (f64) ((double *)t)[i] = v; else ((float *)t)[i] = (float)v;
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
             softmax ? "softmax" : labels ? "sigmoid_labels" : "sigmoid", f64 ? "f64" : "f32",
             softmax || labels ? (i32 ? "_i32" : "_i64") : "",
             (long long)count, (long long)batch, (long long)classes, (long long)inner, (int)reduction, so.alpha,
             so.gamma, xo.label_smoothing, so.use_normalizer ? "" : "unused ", so.normalizer, so.num_threads,
             accumulate, (long long)xo.ignore_index, weight_values ? "yes" : "no", up ? "yes" : "no",
             flags & 1 ? "yes" : "no");
    guarded_make(&loss, outputs_n, width, NAN);
    guarded_make(&grad, elements ? elements : 1, width, accumulate ? 0.5 : (double)NAN);
    {
        /* Sometimes a NULL where an array is needed. */
        uint8_t nulls = byte(&r);
        void *xp = nulls == 1 ? NULL : x, *tp = nulls == 2 ? NULL : t;
        void *lp = nulls == 3 ? NULL : guarded_data(&loss);
        void *gp = flags & 1 ? guarded_data(&grad) : NULL;
        if (softmax) {
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
        if (!real_sizes && status == FOCAL_OK) fail("impossible sizes accepted");
    }

    if (!guards_intact(&loss) || !guards_intact(&grad)) fail("write outside an output");
    if (status != FOCAL_OK) {
        const char *message = focal_last_error_message();
        if (!untouched(&loss) || !untouched(&grad)) fail("output written on error");
        if (!message || !message[0] || strcmp(message, "no error") == 0) fail("no message");
        if (strncmp(focal_status_string(status), "FOCAL_ERROR_", 12) != 0) fail("status without a name");
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
                if (y == xo.ignore_index) continue;
                divisor += xo.alpha ? xo.alpha[y] : 1.0;
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
                    if (y != so.ignore_index) ++kept;
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
    }

    free(x);
    free(t);
    free(up);
    free(weight_values);
    free(loss.block);
    free(grad.block);
    return 0;
}
