/*
 * xgboost_focal.c: gradient boosting with the focal loss, in C, on XGBoost's C API: every round
 * focalloss computes the focal gradient and Hessian of the current margins
 * (focal_sigmoid_grad_hess_f32) and XGBoosterBoostOneIter grows a tree on them. The same trees
 * are grown with XGBoost's own binary:logistic, with and without scale_pos_weight, and the
 * three are compared on held-out data over several seeds.
 *
 * The problem (generated here, seeded): tabular rows of 16 float features, 1.6% positive.
 *   - Ordinary rows (97.5%): features x0..x5 standard normal, and a label drawn with probability
 *     sigmoid(f), f = -11.2 + 2.5 x0 + 2.5 x1 x2 + 0.8 x3^2 - 1.5 x4 + 1.5 [x5 > 1]: a main
 *     effect, an interaction, a curvature, a threshold. Even the true probabilities rank
 *     imperfectly (held-out AP 0.67, printed as "a ceiling").
 *   - Hard negatives (2.5%): a tight cluster around x0 = 1.6, x1 = x2 = 1.3, where ordinary rows
 *     are often positive, all labelled 0; their x4 is shifted up by 0.6, which f counts against
 *     them, but only partly.
 *   - Label noise: 0.2% of rows are labelled positive whatever they look like (about one
 *     positive in eight).
 *   - x6 and x7 are noisy copies of informative features, x8..x15 pure noise.
 * Every row comes from its own counter-based random stream (splitmix64, Box-Muller normals),
 * so a row depends only on (seed, row index). The held-out rows are a disjoint range of indices.
 *
 * The models: depth-4 trees, learning rate 0.1, 200 rounds, XGBoost's hist method, and the
 * regularisers at XGBoost's defaults (lambda 1, min_child_weight 1), the same for every model and
 * never tuned on held-out data. Each starts from its own optimal constant margin, passed as the
 * DMatrix's base_margin (which replaces base_score):
 *   - focal: focal_sigmoid_init_score_f32, the margin that minimises the summed focal loss.
 *     (base_score would do as well, but XGBoost reads it as a raw margin under a custom
 *     objective and through the link function otherwise; base_margin means one thing.) The
 *     booster gets no objective: the gradients are ours, and margins are read raw (type 1).
 *   - binary:logistic: the logit of the positive rate (XGBoost 1.7 starts from base_score 0.5,
 *     margin 0, whatever the labels); with scale_pos_weight = negatives / positives, the logit
 *     of the weighted rate, 0.
 * The focal gradient and Hessian are multiplied by one constant per run, the "scale": lambda
 * and min_child_weight are absolute amounts of Hessian, sized for the log-loss, whose Hessian
 * sums to N pi (1 - pi) at its start; the focal loss's sums to less (alpha_t (1 - p_t)^gamma is
 * small almost everywhere: about 10 times less here at gamma 2, 38 times at gamma 5), so that
 * unscaled, the same lambda would regularise the focal trees that much harder. The scale makes
 * the focal Hessian (its FOCAL_HESSIAN_APPROXIMATE form, positive) sum at the start to what the
 * log-loss's does: the regularisers then weigh the same for every objective. A constant factor
 * changes neither the loss's minimiser nor an unregularised Newton step. --scale X sets it by
 * hand (--scale 1: none).
 *
 * Scores, on the held-out rows: average precision (scikit-learn's definition: the sum over
 * score thresholds of precision times the recall gained; tied scores are one threshold) and the
 * log-loss of sigmoid(margin). The focal loss does not estimate probabilities: it flattens the
 * loss of confident predictions, so its sigmoid(margin) is not calibrated and its log-loss is
 * expected to be worse; AP depends only on the ranking.
 *
 * Usage: xgboost_focal [--seeds N] [--seed S] [--rounds R] [--rows N] [--test-rows N]
 *                      [--alpha A] [--gamma G] [--hessian exact|clipped|approximate|all]
 *                      [--depth D] [--eta E] [--lambda L] [--scale X] [--threads N] [--short]
 *                      [--dump-grad PATH] [--write-data PATH]
 * Defaults: seeds 1..5, 200 rounds, 50,000 training and 50,000 held-out rows, alpha 0.25,
 * gamma 2, all three Hessians (FOCAL_HESSIAN_EXACT, _CLIPPED and _APPROXIMATE, one focal model
 * each), depth 4, eta 0.1, lambda 1, scale 0 (automatic), threads 1 (for XGBoost and focalloss;
 * 0 = every core). One thread because XGBoost's OpenMP workers spin-wait between parallel
 * regions: on a 2-core machine with anything else running, two threads made the default run 10
 * to 20 times slower (331 s against 17 s with one busy process beside it); same results.
 * --short: 2 seeds, 20 rounds, 5,000 + 5,000 rows.
 * The program exits with 1 when a check fails: a margin not finite, a model whose held-out AP
 * is not above the positive rate (a random ranking), a focal model whose training focal loss did
 * not go down, or, at --gamma 0 --alpha -1 (the focal loss is then the log-loss), a focal model
 * whose held-out AP or log-loss (relative) differs from binary:logistic's by more than 1e-4.
 *
 * --dump-grad PATH writes, for the focal model of the first seed (and the first Hessian mode
 * run), the first 3 rounds' inputs and outputs of focal_sigmoid_grad_hess_f32, as text:
 *     # xgboost_focal gradient dump, format 1
 *     # alpha=0.25 gamma=2 hessian=exact seed=1 rows=50000 rounds=3 scale=9.6155532793017784
 *     # round row target margin grad hess
 *     0 0 0 -1.95362246 0.00412031962 0.01065588
 *     ...
 * one line per round and training row; margin is the model's raw margin before the round
 * (base_margin included), grad and hess what focal_sigmoid_grad_hess_f32 returned for it (before
 * the scale, which the header line gives), all float32 values printed with %.9g, which reads
 * back exactly. hessian is the FOCAL_HESSIAN_ mode in lower case.
 *
 * --write-data PATH writes the first seed's data as CSV, for other trainers (a LightGBM demo):
 *     # xgboost_focal data, format 1: seed=1 train_rows=50000 test_rows=50000 features=16
 *     split,label,x0,x1,...,x15
 *     0,0,1.56878424,1.80185235,...
 * lines starting with '#' are comments; then one header row; split is 0 for a training row,
 * 1 for a held-out row (training rows first); label 0 or 1; features are float32 values printed
 * with %.9g. numpy: np.loadtxt(PATH, delimiter=",", skiprows=2); pandas: read_csv(PATH, comment="#").
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xgboost/c_api.h>

#include "focalloss.h"

#define FEATURES 16
#define INTERCEPT (-11.2)  /* of the ordinary rows' score: about 1.4% of them positive */
#define P_HARD 0.025       /* hard negatives: a cluster where the positives are densest */
#define P_NOISE 0.002      /* rows labelled positive whatever they look like */
#define DUMP_ROUNDS 3
#define MAX_SEEDS 64
#define MAX_METHODS 5
#define CHECKPOINTS 8

/* ---- Random numbers: one counter-based stream per row (splitmix64). ---- */
static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct { uint64_t state; } rng;

static rng rng_stream(uint64_t seed, uint64_t a, uint64_t b) {
    rng r;
    r.state = mix64(mix64(mix64(seed) ^ a) ^ b);
    return r;
}

static double uniform(rng *r) { /* in [0, 1) */
    r->state += 0x9e3779b97f4a7c15ULL;
    return (double)(mix64(r->state) >> 11) * 0x1.0p-53;
}

static double normal(rng *r) { /* Box-Muller; one of the pair is enough here */
    double u = 1.0 - uniform(r), v = uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* ---- The data. ---- */
typedef struct {
    int64_t rows, positives, hard, noisy;
    float *x;     /* rows * FEATURES, row-major: XGDMatrixCreateFromMat's layout */
    float *label; /* rows, 0 or 1 */
    float *truth; /* rows: the logit of the probability the row's label was drawn with */
} dataset;

/* Row `index` of the problem `seed`: writes its features, returns its label; *kind is 0 for an
 * ordinary row, 1 for a hard negative, 2 for a noisy label. */
static int make_row(uint64_t seed, uint64_t index, float *x, int *kind, float *truth) {
    rng r = rng_stream(seed, 0x7ab1eULL, index);
    double v[FEATURES], u = uniform(&r), f, p;
    int d, label;
    for (d = 0; d < FEATURES; ++d) v[d] = normal(&r);
    *kind = 0;
    if (u < P_HARD) {
        /* Where the score f is high, but with feature 4 one standard deviation higher than the
         * positives there (f counts it against them): a negative that looks like a positive. */
        v[0] = 1.6 + 0.4 * v[0];
        v[1] = 1.3 + 0.4 * v[1];
        v[2] = 1.3 + 0.4 * v[2];
        v[4] = 0.6 + 0.5 * v[4];
        label = 0;
        p = 0.0;
        *kind = 1;
    } else {
        f = INTERCEPT + 2.5 * v[0] + 2.5 * v[1] * v[2] + 0.8 * v[3] * v[3] - 1.5 * v[4] +
            (v[5] > 1.0 ? 1.5 : 0.0);
        p = 1.0 / (1.0 + exp(-f));
        label = uniform(&r) < p;
    }
    p = P_NOISE + (1.0 - P_NOISE) * p;
    *truth = (float)log(p / (1.0 - p));
    if (uniform(&r) < P_NOISE) {
        *kind = label ? *kind : 2;
        label = 1;
    }
    /* Noisy copies of informative features, then pure noise (already drawn). */
    v[6] = 0.7 * v[0] + 0.7 * v[6];
    v[7] = 0.5 * (v[1] + v[2]) + 0.7 * v[7];
    for (d = 0; d < FEATURES; ++d) x[d] = (float)v[d];
    return label;
}

static void dataset_make(dataset *s, uint64_t seed, uint64_t first_row, int64_t rows) {
    int64_t i;
    int kind, label;
    memset(s, 0, sizeof *s);
    s->rows = rows;
    s->x = malloc((size_t)(rows * FEATURES) * sizeof(float));
    s->label = malloc((size_t)rows * sizeof(float));
    s->truth = malloc((size_t)rows * sizeof(float));
    if (!s->x || !s->label || !s->truth) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (i = 0; i < rows; ++i) {
        label = make_row(seed, first_row + (uint64_t)i, s->x + i * FEATURES, &kind, s->truth + i);
        s->label[i] = (float)label;
        s->positives += label;
        s->hard += kind == 1;
        s->noisy += kind == 2;
    }
}

static void dataset_free(dataset *s) {
    free(s->x);
    free(s->label);
    free(s->truth);
}

/* ---- Scores. ---- */
typedef struct { float score; int positive; } scored;

static int by_score_descending(const void *pa, const void *pb) {
    float a = ((const scored *)pa)->score, b = ((const scored *)pb)->score;
    return (a < b) - (a > b);
}

/* scikit-learn's average_precision_score: sum over thresholds of precision x recall gained. */
static double average_precision(const float *margin, const float *label, int64_t n, scored *work) {
    int64_t i, j, positives = 0, tp = 0, fp = 0;
    double ap = 0.0;
    for (i = 0; i < n; ++i) {
        work[i].score = margin[i];
        work[i].positive = label[i] == 1.0f;
        positives += work[i].positive;
    }
    if (positives == 0) return NAN;
    qsort(work, (size_t)n, sizeof *work, by_score_descending);
    for (i = 0; i < n; i = j) {
        int64_t gained = 0;
        for (j = i; j < n && work[j].score == work[i].score; ++j) {
            gained += work[j].positive;
            fp += !work[j].positive;
        }
        tp += gained;
        ap += (double)gained / (double)positives * (double)tp / (double)(tp + fp);
    }
    return ap;
}

/* Mean log-loss of sigmoid(margin): softplus(-z), z = (2t - 1) margin, without forming p. */
static double log_loss(const float *margin, const float *label, int64_t n) {
    double sum = 0.0, z;
    int64_t i;
    for (i = 0; i < n; ++i) {
        z = label[i] == 1.0f ? margin[i] : -margin[i];
        sum += log1p(exp(-fabs(z))) + (z < 0.0 ? -z : 0.0);
    }
    return sum / (double)n;
}

static double mean_probability(const float *margin, int64_t n) {
    double sum = 0.0;
    int64_t i;
    for (i = 0; i < n; ++i) sum += 1.0 / (1.0 + exp(-(double)margin[i]));
    return sum / (double)n;
}

static int all_finite(const float *v, int64_t n) {
    int64_t i;
    for (i = 0; i < n; ++i)
        if (!isfinite(v[i])) return 0;
    return 1;
}

/* ---- Errors. ---- */
static void focal_fail(focal_status status) {
    fprintf(stderr, "focalloss: %s\n  %s\n", focal_status_string(status), focal_last_error_message());
    exit(1);
}

#define XGB(call)                                                                   \
    do {                                                                            \
        if ((call) != 0) {                                                          \
            fprintf(stderr, "xgboost: %s\n  in %s\n", XGBGetLastError(), #call);   \
            exit(1);                                                                \
        }                                                                           \
    } while (0)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- Settings and methods. ---- */
typedef struct {
    int seeds, rounds, depth, threads, all_hessians;
    uint64_t seed;
    int64_t rows, test_rows;
    double alpha, gamma, eta, scale, lambda;
    focal_hessian hessian;
    const char *dump_grad, *write_data;
} settings;

enum { FOCAL, LOGISTIC, LOGISTIC_WEIGHTED };

typedef struct {
    int kind;
    focal_hessian hessian;
    char name[48];
} method;

static const char *hessian_name(focal_hessian h) {
    return h == FOCAL_HESSIAN_EXACT ? "exact" : h == FOCAL_HESSIAN_CLIPPED ? "clipped" : "approximate";
}

/* What one model did on one seed. */
typedef struct {
    double ap, logloss, mean_p, seconds, grad_seconds, scale;
    double train_focal[CHECKPOINTS], test_ap[CHECKPOINTS]; /* at the checkpoints */
    double train_focal_start, start, negative_hessians; /* the last: a share of row-rounds */
} result;

static int checkpoint_rounds(int rounds, int *at) {
    static const int candidates[] = {10, 25, 50, 100, 200, 400, 800};
    int k, n = 0;
    for (k = 0; k < (int)(sizeof candidates / sizeof *candidates) && n < CHECKPOINTS - 1; ++k)
        if (candidates[k] < rounds) at[n++] = candidates[k];
    at[n++] = rounds;
    return n;
}

/* The mean focal loss of margins (the library's own loss, reduction mean). */
static double focal_mean(const focal_sigmoid_options *options, const float *margin, const float *label,
                         int64_t n) {
    focal_sigmoid_options o = *options;
    float loss;
    focal_status status;
    o.reduction = FOCAL_REDUCTION_MEAN;
    if ((status = focal_sigmoid_f32(&o, n, margin, label, NULL, &loss, NULL)) != FOCAL_OK) focal_fail(status);
    return loss;
}

static void set_param(BoosterHandle b, const char *name, const char *value) {
    XGB(XGBoosterSetParam(b, name, value));
}

static void set_param_number(BoosterHandle b, const char *name, double value) {
    char text[64];
    snprintf(text, sizeof text, "%.17g", value);
    set_param(b, name, text);
}

static const float *predict_margin(BoosterHandle b, DMatrixHandle d, int training) {
    const bst_ulong *shape;
    bst_ulong dim;
    const float *out;
    XGB(XGBoosterPredictFromDMatrix(b, d,
                                    training ? "{\"type\": 1, \"training\": true, \"iteration_begin\": 0, "
                                               "\"iteration_end\": 0, \"strict_shape\": false}"
                                             : "{\"type\": 1, \"training\": false, \"iteration_begin\": 0, "
                                               "\"iteration_end\": 0, \"strict_shape\": false}",
                                    &shape, &dim, &out));
    return out;
}

static void fill(float *v, int64_t n, float value) {
    int64_t i;
    for (i = 0; i < n; ++i) v[i] = value;
}

/* Trains one model on one seed's data and scores it. */
static void run_method(const settings *cfg, const method *m, uint64_t seed, const dataset *train,
                       const dataset *test, DMatrixHandle dtrain, DMatrixHandle dtest, FILE *dump, result *out,
                       float *grad, float *hess, float *margin, scored *work) {
    DMatrixHandle both[2];
    BoosterHandle b;
    focal_sigmoid_options options;
    focal_status status;
    int64_t n = train->rows, i;
    double positives = (double)train->positives, negatives = (double)(n - train->positives), spw = 1.0;
    double t0, t1, scale = 1.0;
    float start;
    int round, at[CHECKPOINTS], checkpoints = checkpoint_rounds(cfg->rounds, at), next = 0;
    const float *pred;

    memset(out, 0, sizeof *out);
    focal_sigmoid_options_init(&options, FOCAL_SIGMOID_OPTIONS_VERSION);
    options.alpha = cfg->alpha;
    options.gamma = cfg->gamma;
    options.num_threads = cfg->threads;

    /* The starting margin, as base_margin on both matrices. */
    if (m->kind == FOCAL) {
        status = focal_sigmoid_init_score_f32(&options, n, 1, 1, train->label, NULL, FOCAL_WEIGHTS_PER_ELEMENT,
                                              &start);
        if (status != FOCAL_OK) focal_fail(status);
    } else {
        spw = m->kind == LOGISTIC_WEIGHTED ? negatives / positives : 1.0;
        start = (float)log(spw * positives / negatives);
    }
    fill(margin, n, start);
    XGB(XGDMatrixSetFloatInfo(dtrain, "base_margin", margin, (bst_ulong)n));
    fill(margin, test->rows, start);
    XGB(XGDMatrixSetFloatInfo(dtest, "base_margin", margin, (bst_ulong)test->rows));

    if (m->kind == FOCAL) {
        /* The scale: the log-loss's Hessian sum at its own start over the focal one's. */
        if (cfg->scale > 0.0) scale = cfg->scale;
        else {
            double focal_sum = 0.0, pi = positives / (double)n;
            fill(margin, n, start);
            status = focal_sigmoid_grad_hess_f32(&options, FOCAL_HESSIAN_APPROXIMATE, n, 1, 1, margin, train->label,
                                                 NULL, FOCAL_WEIGHTS_PER_ELEMENT, NULL, hess);
            if (status != FOCAL_OK) focal_fail(status);
            for (i = 0; i < n; ++i) focal_sum += hess[i];
            scale = (double)n * pi * (1.0 - pi) / focal_sum;
        }
    }
    out->scale = scale;
    out->start = start;
    if (dump)
        fprintf(dump, "# alpha=%.17g gamma=%.17g hessian=%s seed=%llu rows=%lld rounds=%d scale=%.17g\n"
                      "# round row target margin grad hess\n",
                cfg->alpha, cfg->gamma, hessian_name(m->hessian), (unsigned long long)seed, (long long)n,
                cfg->rounds < DUMP_ROUNDS ? cfg->rounds : DUMP_ROUNDS, scale);

    both[0] = dtrain;
    both[1] = dtest; /* in the booster's cache: held-out predictions are updated, not redone */
    XGB(XGBoosterCreate(both, 2, &b));
    set_param(b, "tree_method", "hist");
    set_param_number(b, "max_depth", cfg->depth);
    set_param_number(b, "eta", cfg->eta);
    set_param_number(b, "lambda", cfg->lambda);
    set_param_number(b, "seed", 0);
    set_param(b, "verbosity", "1");
    if (cfg->threads > 0) set_param_number(b, "nthread", cfg->threads);
    if (m->kind != FOCAL) {
        set_param(b, "objective", "binary:logistic");
        if (m->kind == LOGISTIC_WEIGHTED) set_param_number(b, "scale_pos_weight", spw);
    }

    t0 = now();
    for (round = 0; round < cfg->rounds; ++round) {
        if (m->kind == FOCAL) {
            double g0 = now();
            pred = predict_margin(b, dtrain, 1);
            if (round == 0) out->train_focal_start = focal_mean(&options, pred, train->label, n);
            status = focal_sigmoid_grad_hess_f32(&options, m->hessian, n, 1, 1, pred, train->label, NULL,
                                                 FOCAL_WEIGHTS_PER_ELEMENT, grad, hess);
            if (status != FOCAL_OK) focal_fail(status);
            for (i = 0; i < n; ++i) out->negative_hessians += hess[i] < 0.0f;
            if (dump && round < DUMP_ROUNDS) {
                t1 = now();
                for (i = 0; i < n; ++i)
                    fprintf(dump, "%d %lld %.9g %.9g %.9g %.9g\n", round, (long long)i, train->label[i], pred[i],
                            grad[i], hess[i]);
                t1 = now() - t1; /* not timed */
                t0 += t1;
                g0 += t1;
            }
            if (scale != 1.0)
                for (i = 0; i < n; ++i) {
                    grad[i] = (float)(scale * grad[i]);
                    hess[i] = (float)(scale * hess[i]);
                }
            out->grad_seconds += now() - g0;
            XGB(XGBoosterBoostOneIter(b, dtrain, grad, hess, (bst_ulong)n));
        } else {
            XGB(XGBoosterUpdateOneIter(b, round, dtrain));
        }
        if (next < checkpoints && round + 1 == at[next]) {
            /* Checkpoints are not timed. */
            t1 = now();
            pred = predict_margin(b, dtrain, 0);
            out->train_focal[next] = focal_mean(&options, pred, train->label, n);
            pred = predict_margin(b, dtest, 0);
            memcpy(margin, pred, (size_t)test->rows * sizeof(float));
            out->test_ap[next] = average_precision(margin, test->label, test->rows, work);
            ++next;
            t0 += now() - t1;
        }
    }
    out->seconds = now() - t0;
    out->negative_hessians /= (double)n * cfg->rounds;

    pred = predict_margin(b, dtest, 0);
    memcpy(margin, pred, (size_t)test->rows * sizeof(float));
    if (!all_finite(margin, test->rows)) {
        fprintf(stderr, "%s: a held-out margin is not finite\n", m->name);
        exit(1);
    }
    out->ap = average_precision(margin, test->label, test->rows, work);
    out->logloss = log_loss(margin, test->label, test->rows);
    out->mean_p = mean_probability(margin, test->rows);
    XGB(XGBoosterFree(b));
}

static void write_data(const char *path, uint64_t seed, const dataset *train, const dataset *test) {
    FILE *f = fopen(path, "w");
    const dataset *sets[2];
    int s, d;
    int64_t i;
    if (!f) {
        perror(path);
        exit(1);
    }
    sets[0] = train;
    sets[1] = test;
    fprintf(f, "# xgboost_focal data, format 1: seed=%llu train_rows=%lld test_rows=%lld features=%d\n",
            (unsigned long long)seed, (long long)train->rows, (long long)test->rows, FEATURES);
    fprintf(f, "split,label");
    for (d = 0; d < FEATURES; ++d) fprintf(f, ",x%d", d);
    fprintf(f, "\n");
    for (s = 0; s < 2; ++s)
        for (i = 0; i < sets[s]->rows; ++i) {
            fprintf(f, "%d,%d", s, (int)sets[s]->label[i]);
            for (d = 0; d < FEATURES; ++d) fprintf(f, ",%.9g", sets[s]->x[i * FEATURES + d]);
            fprintf(f, "\n");
        }
    if (fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void mean_spread(const double *v, int n, double *mean, double *sd) {
    double s = 0.0, q = 0.0;
    int i;
    for (i = 0; i < n; ++i) s += v[i];
    *mean = s / n;
    for (i = 0; i < n; ++i) q += (v[i] - *mean) * (v[i] - *mean);
    *sd = n > 1 ? sqrt(q / (n - 1)) : 0.0;
}

static int parse_hessian(const char *value, settings *cfg) {
    cfg->all_hessians = 0;
    if (!strcmp(value, "exact")) cfg->hessian = FOCAL_HESSIAN_EXACT;
    else if (!strcmp(value, "clipped")) cfg->hessian = FOCAL_HESSIAN_CLIPPED;
    else if (!strcmp(value, "approximate")) cfg->hessian = FOCAL_HESSIAN_APPROXIMATE;
    else if (!strcmp(value, "all")) cfg->all_hessians = 1;
    else return 0;
    return 1;
}

static void parse(int argc, char **argv, settings *cfg) {
    int i;
    for (i = 1; i < argc; ++i) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--short")) {
            cfg->seeds = 2;
            cfg->rounds = 20;
            cfg->rows = cfg->test_rows = 5000;
            continue;
        }
        if (!value) goto usage;
        ++i;
        if (!strcmp(arg, "--seeds")) cfg->seeds = atoi(value);
        else if (!strcmp(arg, "--seed")) cfg->seed = strtoull(value, NULL, 10);
        else if (!strcmp(arg, "--rounds")) cfg->rounds = atoi(value);
        else if (!strcmp(arg, "--rows")) cfg->rows = atoll(value);
        else if (!strcmp(arg, "--test-rows")) cfg->test_rows = atoll(value);
        else if (!strcmp(arg, "--alpha")) cfg->alpha = atof(value);
        else if (!strcmp(arg, "--gamma")) cfg->gamma = atof(value);
        else if (!strcmp(arg, "--hessian")) {
            if (!parse_hessian(value, cfg)) goto usage;
        } else if (!strcmp(arg, "--depth")) cfg->depth = atoi(value);
        else if (!strcmp(arg, "--eta")) cfg->eta = atof(value);
        else if (!strcmp(arg, "--scale")) cfg->scale = atof(value);
        else if (!strcmp(arg, "--lambda")) cfg->lambda = atof(value);
        else if (!strcmp(arg, "--threads")) cfg->threads = atoi(value);
        else if (!strcmp(arg, "--dump-grad")) cfg->dump_grad = value;
        else if (!strcmp(arg, "--write-data")) cfg->write_data = value;
        else goto usage;
    }
    if (cfg->seeds >= 1 && cfg->seeds <= MAX_SEEDS && cfg->rounds >= 1 && cfg->rows >= 100 &&
        cfg->test_rows >= 100 && cfg->depth >= 1 && cfg->eta > 0 && cfg->scale >= 0 && cfg->lambda >= 0 &&
        cfg->threads >= 0)
        return;
usage:
    fprintf(stderr,
            "usage: %s [--seeds 1..%d] [--seed S] [--rounds R] [--rows N] [--test-rows N] [--alpha A] "
            "[--gamma G] [--hessian exact|clipped|approximate|all] [--depth D] [--eta E] [--lambda L] "
            "[--scale X] [--threads N] [--short] [--dump-grad PATH] [--write-data PATH]\n",
            argv[0], MAX_SEEDS);
    exit(2);
}

int main(int argc, char **argv) {
    settings cfg = {5, 200, 4, 1, 1, 1, 50000, 50000, 0.25, 2.0, 0.1, 0.0, 1.0, FOCAL_HESSIAN_EXACT, NULL, NULL};
    method methods[MAX_METHODS];
    static result results[MAX_METHODS][MAX_SEEDS];
    dataset train, test;
    DMatrixHandle dtrain, dtest;
    FILE *dump = NULL;
    float *grad, *hess, *margin;
    scored *work;
    double seed_rate[MAX_SEEDS], oracle[3][MAX_SEEDS], started = now();
    double total_rate = 0.0, hard_rate = 0.0, noisy_rate = 0.0, test_rate = 0.0;
    int k, s, c, n_methods = 0, logistic, failed = 0, major, minor, patch, at[CHECKPOINTS], checkpoints;

    parse(argc, argv, &cfg);
    checkpoints = checkpoint_rounds(cfg.rounds, at);
    for (k = 0; k < 3; ++k) {
        focal_hessian h = (focal_hessian)k;
        if (!cfg.all_hessians && h != cfg.hessian) continue;
        methods[n_methods].kind = FOCAL;
        methods[n_methods].hessian = h;
        snprintf(methods[n_methods].name, sizeof methods[n_methods].name, "focal, %s Hessian", hessian_name(h));
        ++n_methods;
    }
    logistic = n_methods;
    methods[n_methods].kind = LOGISTIC;
    snprintf(methods[n_methods++].name, sizeof methods[0].name, "binary:logistic");
    methods[n_methods].kind = LOGISTIC_WEIGHTED;
    snprintf(methods[n_methods++].name, sizeof methods[0].name, "binary:logistic, scale_pos_weight");

    grad = malloc((size_t)cfg.rows * sizeof(float));
    hess = malloc((size_t)cfg.rows * sizeof(float));
    margin = malloc((size_t)(cfg.rows > cfg.test_rows ? cfg.rows : cfg.test_rows) * sizeof(float));
    work = malloc((size_t)cfg.test_rows * sizeof(scored));
    if (!grad || !hess || !margin || !work) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (cfg.dump_grad) {
        if (!(dump = fopen(cfg.dump_grad, "w"))) {
            perror(cfg.dump_grad);
            return 1;
        }
        fprintf(dump, "# xgboost_focal gradient dump, format 1\n");
    }

    XGBoostVersion(&major, &minor, &patch);
    printf("focalloss %s, XGBoost %d.%d.%d (XGBoosterBoostOneIter): focal loss against binary:logistic\n",
           focal_version_string(), major, minor, patch);
    printf("seeds %llu..%llu; %lld training and %lld held-out rows of %d features each; "
           "depth %d, eta %g, lambda %g, %d rounds\n",
           (unsigned long long)cfg.seed, (unsigned long long)(cfg.seed + (uint64_t)cfg.seeds - 1),
           (long long)cfg.rows, (long long)cfg.test_rows, FEATURES, cfg.depth, cfg.eta, cfg.lambda, cfg.rounds);
    printf("focal loss: alpha %g, gamma %g; every model starts from its optimal constant margin\n",
           cfg.alpha, cfg.gamma);
    fflush(stdout);

    for (s = 0; s < cfg.seeds; ++s) {
        uint64_t seed = cfg.seed + (uint64_t)s;
        dataset_make(&train, seed, 0, cfg.rows);
        dataset_make(&test, seed, (uint64_t)1 << 40, cfg.test_rows);
        total_rate += (double)train.positives / (double)train.rows;
        hard_rate += (double)train.hard / (double)train.rows;
        noisy_rate += (double)train.noisy / (double)train.rows;
        seed_rate[s] = (double)test.positives / (double)test.rows;
        oracle[0][s] = average_precision(test.truth, test.label, test.rows, work);
        oracle[1][s] = log_loss(test.truth, test.label, test.rows);
        oracle[2][s] = mean_probability(test.truth, test.rows);
        test_rate += seed_rate[s];
        if (s == 0 && cfg.write_data) write_data(cfg.write_data, seed, &train, &test);
        XGB(XGDMatrixCreateFromMat(train.x, (bst_ulong)train.rows, FEATURES, NAN, &dtrain));
        XGB(XGDMatrixCreateFromMat(test.x, (bst_ulong)test.rows, FEATURES, NAN, &dtest));
        XGB(XGDMatrixSetFloatInfo(dtrain, "label", train.label, (bst_ulong)train.rows));
        XGB(XGDMatrixSetFloatInfo(dtest, "label", test.label, (bst_ulong)test.rows));
        for (k = 0; k < n_methods; ++k)
            run_method(&cfg, &methods[k], seed, &train, &test, dtrain, dtest,
                       s == 0 && k == 0 && methods[k].kind == FOCAL ? dump : NULL, &results[k][s], grad, hess,
                       margin, work);
        XGB(XGDMatrixFree(dtrain));
        XGB(XGDMatrixFree(dtest));
        dataset_free(&train);
        dataset_free(&test);
    }
    if (dump && fclose(dump) != 0) {
        perror(cfg.dump_grad);
        return 1;
    }

    printf("training rows: %.2f%% positive (%.2f%% of rows noisy labels), %.2f%% hard negatives; "
           "held out: %.2f%% positive\n\n",
           100 * total_rate / cfg.seeds, 100 * noisy_rate / cfg.seeds, 100 * hard_rate / cfg.seeds,
           100 * test_rate / cfg.seeds);
    printf("held-out scores, mean +- standard deviation over %d seed%s:\n", cfg.seeds, cfg.seeds > 1 ? "s" : "");
    printf("  %-36s %17s %17s %8s %8s %9s\n", "method", "average precision", "log-loss", "mean p", "seconds",
           "ms/round");
    for (k = 0; k < n_methods; ++k) {
        double v[MAX_SEEDS], ap, ap_sd, ll, ll_sd, p, p_sd, t, t_sd;
        for (s = 0; s < cfg.seeds; ++s) v[s] = results[k][s].ap;
        mean_spread(v, cfg.seeds, &ap, &ap_sd);
        for (s = 0; s < cfg.seeds; ++s) v[s] = results[k][s].logloss;
        mean_spread(v, cfg.seeds, &ll, &ll_sd);
        for (s = 0; s < cfg.seeds; ++s) v[s] = results[k][s].mean_p;
        mean_spread(v, cfg.seeds, &p, &p_sd);
        for (s = 0; s < cfg.seeds; ++s) v[s] = results[k][s].seconds;
        mean_spread(v, cfg.seeds, &t, &t_sd);
        printf("  %-36s  %.4f +- %.4f  %.4f +- %.4f %8.4f %8.2f %9.2f\n", methods[k].name, ap, ap_sd, ll, ll_sd, p,
               t, 1e3 * t / cfg.rounds);
        for (s = 0; s < cfg.seeds; ++s)
            if (!(results[k][s].ap > seed_rate[s])) {
                fprintf(stderr, "check failed: %s, seed %llu: held-out AP %.4f is not above the positive rate\n",
                        methods[k].name, (unsigned long long)(cfg.seed + (uint64_t)s), results[k][s].ap);
                failed = 1;
            }
    }
    {
        double ap, ap_sd, ll, ll_sd, p, p_sd;
        mean_spread(oracle[0], cfg.seeds, &ap, &ap_sd);
        mean_spread(oracle[1], cfg.seeds, &ll, &ll_sd);
        mean_spread(oracle[2], cfg.seeds, &p, &p_sd);
        printf("  %-36s  %.4f +- %.4f  %.4f +- %.4f %8.4f\n", "the true probabilities (a ceiling)", ap, ap_sd, ll,
               ll_sd, p);
    }
    printf("  (held-out positive rate %.4f; mean p: the mean of sigmoid(margin) on the held-out rows)\n",
           test_rate / cfg.seeds);

    if (cfg.seeds > 1) {
        printf("\nheld-out average precision per seed:\n  %-36s", "seed");
        for (s = 0; s < cfg.seeds; ++s) printf(" %7llu", (unsigned long long)(cfg.seed + (uint64_t)s));
        printf("\n");
        for (k = 0; k < n_methods; ++k) {
            printf("  %-36s", methods[k].name);
            for (s = 0; s < cfg.seeds; ++s) printf(" %7.4f", results[k][s].ap);
            printf("\n");
        }
    }

    printf("\nconvergence of the focal models (mean over seeds): training focal loss / held-out AP\n");
    printf("  %-10s %11s", "round", "start");
    for (c = 0; c < checkpoints; ++c) printf(" %17d", at[c]);
    printf("\n");
    for (k = 0; k < n_methods; ++k) {
        double v[MAX_SEEDS], mean, sd;
        if (methods[k].kind != FOCAL) continue;
        for (s = 0; s < cfg.seeds; ++s) v[s] = results[k][s].train_focal_start;
        mean_spread(v, cfg.seeds, &mean, &sd);
        printf("  %-10s %11.6f", hessian_name(methods[k].hessian), mean);
        for (c = 0; c < checkpoints; ++c) {
            double ap;
            for (s = 0; s < cfg.seeds; ++s) v[s] = results[k][s].train_focal[c];
            mean_spread(v, cfg.seeds, &mean, &sd);
            for (s = 0; s < cfg.seeds; ++s) v[s] = results[k][s].test_ap[c];
            mean_spread(v, cfg.seeds, &ap, &sd);
            printf("  %8.6f / %.4f", mean, ap);
        }
        printf("\n");
        for (s = 0; s < cfg.seeds; ++s)
            if (!(results[k][s].train_focal[checkpoints - 1] < results[k][s].train_focal_start)) {
                fprintf(stderr, "check failed: %s, seed %llu: the training focal loss did not go down\n",
                        methods[k].name, (unsigned long long)(cfg.seed + (uint64_t)s));
                failed = 1;
            }
    }
    if (cfg.gamma == 0.0 && cfg.alpha == FOCAL_ALPHA_DISABLED) {
        /* At gamma 0 without alpha the focal loss is the log-loss, and every Hessian mode its
         * Hessian: each focal model is binary:logistic, grown from focalloss's gradients. */
        double ap = 0.0, ll = 0.0, d;
        for (k = 0; k < n_methods; ++k)
            for (s = 0; s < cfg.seeds && methods[k].kind == FOCAL; ++s) {
                const result *f = &results[k][s], *l = &results[logistic][s];
                d = fabs(f->ap - l->ap);
                ap = d > ap ? d : ap;
                d = fabs(f->logloss - l->logloss) / l->logloss;
                ll = d > ll ? d : ll;
            }
        printf("\ngamma 0 without alpha is the log-loss: the focal models against binary:logistic differ by at "
               "most %.2g in AP, %.2g relative in log-loss\n", ap, ll);
        if (!(ap <= 1e-4 && ll <= 1e-4)) {
            fprintf(stderr, "check failed: at gamma 0 without alpha the focal models are not binary:logistic\n");
            failed = 1;
        }
    }

    printf("\nper model, mean over seeds: the starting margin; for the focal models the scale, the share of\n"
           "row-rounds with a negative Hessian, and the share of the training time spent on predicting the\n"
           "training margins and computing the gradient and Hessian\n");
    printf("  %-36s %8s %8s %10s %10s\n", "method", "start", "scale", "h < 0", "gradient");
    for (k = 0; k < n_methods; ++k) {
        double start = 0.0, scale = 0.0, negative = 0.0, share = 0.0;
        for (s = 0; s < cfg.seeds; ++s) {
            start += results[k][s].start / cfg.seeds;
            scale += results[k][s].scale / cfg.seeds;
            negative += results[k][s].negative_hessians / cfg.seeds;
            share += results[k][s].grad_seconds / results[k][s].seconds / cfg.seeds;
        }
        if (methods[k].kind == FOCAL)
            printf("  %-36s %8.4f %8.2f %9.4f%% %9.1f%%\n", methods[k].name, start, scale, 100 * negative,
                   100 * share);
        else
            printf("  %-36s %8.4f\n", methods[k].name, start);
    }
    printf("total %.1f s\n", now() - started);
    free(grad);
    free(hess);
    free(margin);
    free(work);
    return failed;
}
