/*
 * trainer.c: a RetinaNet-style dense classifier trained by SGD in plain C, with the loss and its
 * gradient from focalloss, once with the focal loss and once with cross-entropy.
 *
 * The problem (generated here, seeded): every batch is 4 images of 25,000 anchors, each anchor a
 * 32-feature vector scored for 20 classes by one shared linear head. About 1 anchor in 1,000 is
 * a positive (an object seen with overlap q in [0.5, 1]); the negatives are
 *   - easy background: noise plus a few high-variance "texture" directions,
 *   - partial overlaps (q in [0.05, 0.4)): a weaker copy of an object's pattern, and
 *   - look-alikes: background whose pattern resembles one class (cosine 0.8),
 * and every image has its own contrast, which scales all of its anchors. Average precision
 * depends only on how anchors are ranked, so which negatives the loss attends to decides it.
 *
 * Training follows the paper: the classification bias starts at the prior pi = 0.01,
 * b = -log((1 - pi) / pi), so that every anchor starts as "background, p = 0.01"; the loss is
 * the sum over anchors and classes divided by the number of positive anchors in the batch; SGD
 * with momentum 0.9 and weight decay 1e-4. Both losses use the same learning rate, 0.03: the
 * best of {0.003, 0.01, 0.03, 0.1} for each of them on another problem instance (--seed 2),
 * never tuned on the held-out data of the default seed.
 *
 * Built with -DFOCAL_TRAINER_MPI (make demo-mpi) the same program is data-parallel: each rank
 * takes a contiguous share of every batch's anchors, computes the fused loss and gradient of its
 * sum on it from the integer labels (focal_sigmoid_labels_weighted_f32_i32, which also reports
 * the rank's positive anchors in its focal_stats), and one MPI_Allreduce sums the weight
 * gradients, the loss and the positive counts; every rank divides by the global count. The ranks then
 * take the same SGD step and end with the weights of the single-process run, up to the rounding
 * of a differently ordered sum. The data do not depend on the split: every anchor is generated
 * from its own counter-based random stream (seed, batch, anchor index).
 *
 * Defaults: seed 1, 10 epochs of 10 training batches, 5 held-out batches; about 30 s here.
 * Usage: trainer [--epochs N] [--train-batches N] [--test-batches N] [--seed N] [--lr X]
 *                [--threads N] [--loss focal|ce|both] [--dump PREFIX] [--local-normalizer]
 * --dump writes the final weights to PREFIX.focal.txt / PREFIX.ce.txt (%.17g, one per line).
 * --local-normalizer (MPI only) divides by each rank's own positive count: the bug the
 * all-reduce prevents, kept so that the equality test can show it would catch it.
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "focalloss.h"

#ifdef FOCAL_TRAINER_MPI
#include <mpi.h>
#endif

#define CLASSES 20
#define FEATURES 32
#define TEXTURES 4
#define IMAGES_PER_BATCH 4
#define ANCHORS_PER_IMAGE 25000
#define ANCHORS_PER_BATCH (IMAGES_PER_BATCH * ANCHORS_PER_IMAGE)

/* What an anchor sees: rates per anchor and the strengths of the patterns. */
#define P_POSITIVE 0.001   /* an object, overlap q in [0.5, 1] */
#define P_PARTIAL 0.01     /* a partial overlap, q in [0.05, 0.4): a hard negative */
#define P_LOOKALIKE 0.004  /* background resembling a class: a hard negative */
#define SIGNAL 16.0        /* object pattern strength at q = 1 */
#define TEXTURE_SD 2.0     /* standard deviation along each texture direction */
#define CONTRAST_SD 0.2    /* log-normal spread of the per-image contrast */
#define PRIOR 0.01         /* pi: the initial probability of every class */
#define MOMENTUM 0.9
#define WEIGHT_DECAY 1e-4
#define BACKGROUND (-1)

/* ---- Random numbers: one counter-based stream per anchor (splitmix64), so any rank can
 * generate any anchor, and the data set is the same however it is split. ---- */
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

/* ---- The synthetic world: class patterns, look-alike patterns, background textures. ---- */
typedef struct {
    uint64_t seed;
    double prototype[CLASSES][FEATURES]; /* unit vectors: what an object of class c looks like */
    double lookalike[CLASSES][FEATURES]; /* unit, cosine 0.8 with prototype[c] */
    double texture[TEXTURES][FEATURES];  /* unit: high-variance background directions */
} world;

static void random_unit(rng *r, double *v) {
    double norm = 0.0;
    int d;
    for (d = 0; d < FEATURES; ++d) {
        v[d] = normal(r);
        norm += v[d] * v[d];
    }
    for (d = 0; d < FEATURES; ++d) v[d] /= sqrt(norm);
}

static void world_init(world *w, uint64_t seed) {
    rng r = rng_stream(seed, 0xfeedULL, 0);
    double other[FEATURES], dot, norm;
    int c, d, k;
    w->seed = seed;
    for (c = 0; c < CLASSES; ++c) random_unit(&r, w->prototype[c]);
    for (k = 0; k < TEXTURES; ++k) random_unit(&r, w->texture[k]);
    for (c = 0; c < CLASSES; ++c) {
        /* other: a unit vector orthogonal to prototype[c]; lookalike = 0.8 proto + 0.6 other */
        random_unit(&r, other);
        for (dot = 0.0, d = 0; d < FEATURES; ++d) dot += other[d] * w->prototype[c][d];
        for (norm = 0.0, d = 0; d < FEATURES; ++d) {
            other[d] -= dot * w->prototype[c][d];
            norm += other[d] * other[d];
        }
        for (d = 0; d < FEATURES; ++d)
            w->lookalike[c][d] = 0.8 * w->prototype[c][d] + 0.6 * other[d] / sqrt(norm);
    }
}

/* Anchor `index` of batch `batch`: writes its features, returns its class or BACKGROUND. */
static int make_anchor(const world *w, uint64_t batch, int64_t index, float *x) {
    rng image = rng_stream(w->seed, batch, 0x100000000ULL + (uint64_t)(index / ANCHORS_PER_IMAGE));
    rng r = rng_stream(w->seed, batch, (uint64_t)index);
    double contrast = exp(CONTRAST_SD * normal(&image));
    double v[FEATURES], u = uniform(&r), strength = 0.0;
    const double *pattern = NULL;
    int label = BACKGROUND, c = (int)(uniform(&r) * CLASSES), d, k;
    for (d = 0; d < FEATURES; ++d) v[d] = normal(&r);
    for (k = 0; k < TEXTURES; ++k) {
        double t = TEXTURE_SD * normal(&r);
        for (d = 0; d < FEATURES; ++d) v[d] += t * w->texture[k][d];
    }
    if (u < P_POSITIVE) {
        label = c;
        pattern = w->prototype[c];
        strength = SIGNAL * (0.5 + 0.5 * uniform(&r));
    } else if (u < P_POSITIVE + P_PARTIAL) {
        pattern = w->prototype[c];
        strength = SIGNAL * (0.05 + 0.35 * uniform(&r));
    } else if (u < P_POSITIVE + P_PARTIAL + P_LOOKALIKE) {
        pattern = w->lookalike[c];
        strength = SIGNAL * (0.5 + 0.5 * uniform(&r));
    }
    for (d = 0; d < FEATURES; ++d)
        x[d] = (float)(contrast * (v[d] + (pattern ? strength * pattern[d] : 0.0)));
    return label;
}

/* A set of batches, or this rank's share [begin, end) of each batch's anchors. */
typedef struct {
    int batches;
    int64_t begin, end; /* anchors of each batch held here */
    float *x;           /* batches * (end - begin) * FEATURES */
    signed char *label; /* batches * (end - begin) */
} dataset;

static void dataset_make(dataset *s, const world *w, uint64_t first_batch, int batches,
                         int64_t begin, int64_t end) {
    int64_t n = end - begin, i;
    int b;
    s->batches = batches;
    s->begin = begin;
    s->end = end;
    s->x = malloc((size_t)(batches * n * FEATURES) * sizeof(float));
    s->label = malloc((size_t)(batches * n));
    if (batches * n > 0 && (!s->x || !s->label)) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (b = 0; b < batches; ++b)
        for (i = 0; i < n; ++i)
            s->label[b * n + i] = (signed char)make_anchor(w, first_batch + (uint64_t)b, begin + i,
                                                           s->x + (b * n + i) * FEATURES);
}

static void dataset_free(dataset *s) {
    free(s->x);
    free(s->label);
}

/* ---- The model: logits[a][c] = b[c] + sum_d wt[d][c] x[a][d]. Master weights in double; the
 * forward pass uses a float copy, the gradient is accumulated in double. ---- */
typedef struct {
    double wt[FEATURES][CLASSES], b[CLASSES];
    double velocity[FEATURES * CLASSES + CLASSES];
} model;

/* The weights, then the biases: the layout of a gradient (train() appends the loss to it). */
#define PARAMETERS (FEATURES * CLASSES + CLASSES)

static void model_init(model *m, uint64_t seed) {
    rng r = rng_stream(seed, 0xbeefULL, 0);
    int d, c;
    for (d = 0; d < FEATURES; ++d)
        for (c = 0; c < CLASSES; ++c) m->wt[d][c] = 0.01 * normal(&r);
    for (c = 0; c < CLASSES; ++c) m->b[c] = -log((1.0 - PRIOR) / PRIOR);
    memset(m->velocity, 0, sizeof m->velocity);
}

static void forward(const model *m, const float *x, int64_t n, float *logits) {
    float wt[FEATURES][CLASSES], b[CLASSES];
    int64_t a;
    int d, c;
    for (d = 0; d < FEATURES; ++d)
        for (c = 0; c < CLASSES; ++c) wt[d][c] = (float)m->wt[d][c];
    for (c = 0; c < CLASSES; ++c) b[c] = (float)m->b[c];
    for (a = 0; a < n; ++a) {
        float *l = logits + a * CLASSES;
        const float *xa = x + a * FEATURES;
        for (c = 0; c < CLASSES; ++c) l[c] = b[c];
        for (d = 0; d < FEATURES; ++d)
            for (c = 0; c < CLASSES; ++c) l[c] += wt[d][c] * xa[d];
    }
}

/* grad[0 .. FEATURES*CLASSES) = d loss / d wt, then d loss / d b. */
static void backward(const float *x, const float *grad_logits, int64_t n, double *grad) {
    double *gw = grad, *gb = grad + FEATURES * CLASSES;
    int64_t a;
    int d, c;
    memset(grad, 0, PARAMETERS * sizeof(double));
    for (a = 0; a < n; ++a) {
        const float *g = grad_logits + a * CLASSES, *xa = x + a * FEATURES;
        double gd[CLASSES];
        for (c = 0; c < CLASSES; ++c) {
            gd[c] = g[c];
            gb[c] += gd[c];
        }
        for (d = 0; d < FEATURES; ++d)
            for (c = 0; c < CLASSES; ++c) gw[d * CLASSES + c] += gd[c] * xa[d];
    }
}

static void sgd_step(model *m, const double *grad, double lr) {
    double *w = &m->wt[0][0];
    int i;
    for (i = 0; i < PARAMETERS; ++i) {
        double *p = i < FEATURES * CLASSES ? &w[i] : &m->b[i - FEATURES * CLASSES];
        double decay = i < FEATURES * CLASSES ? WEIGHT_DECAY * *p : 0.0;
        m->velocity[i] = MOMENTUM * m->velocity[i] + grad[i] + decay;
        *p -= lr * m->velocity[i];
    }
}

/* ---- Average precision (scikit-learn's definition: the sum over score thresholds of
 * precision times the recall gained; tied scores form one threshold). Negatives scored below
 * every positive cannot change it, so only the others are sorted. ---- */
typedef struct { float score; int positive; } scored;

static int by_score_descending(const void *pa, const void *pb) {
    float a = ((const scored *)pa)->score, b = ((const scored *)pb)->score;
    return (a < b) - (a > b);
}

static double average_precision(const float *logits, const signed char *label, int64_t n, int c,
                                scored *work) {
    float lowest = INFINITY;
    int64_t a, m = 0, positives = 0, tp = 0, fp = 0, i, j;
    double ap = 0.0;
    for (a = 0; a < n; ++a)
        if (label[a] == c) {
            ++positives;
            if (logits[a * CLASSES + c] < lowest) lowest = logits[a * CLASSES + c];
        }
    if (positives == 0) return NAN;
    for (a = 0; a < n; ++a)
        if (label[a] == c || logits[a * CLASSES + c] >= lowest) {
            work[m].score = logits[a * CLASSES + c];
            work[m++].positive = label[a] == c;
        }
    qsort(work, (size_t)m, sizeof *work, by_score_descending);
    for (i = 0; i < m; i = j) {
        int64_t gained = 0;
        for (j = i; j < m && work[j].score == work[i].score; ++j) {
            gained += work[j].positive;
            fp += !work[j].positive;
        }
        tp += gained;
        ap += (double)gained / (double)positives * (double)tp / (double)(tp + fp);
    }
    return ap;
}

/* Mean over the classes of the held-out AP (the detection "mAP" at one overlap threshold). */
static double mean_average_precision(const model *m, const dataset *test, float *logits, scored *work) {
    int64_t n = test->end - test->begin;
    double sum = 0.0;
    int b, c, classes = 0;
    for (b = 0; b < test->batches; ++b) forward(m, test->x + b * n * FEATURES, n, logits + b * n * CLASSES);
    for (c = 0; c < CLASSES; ++c) {
        double ap = average_precision(logits, test->label, test->batches * n, c, work);
        if (ap == ap) {
            sum += ap;
            ++classes;
        }
    }
    return sum / classes;
}

/* ---- One process or many: the only two places training talks to other ranks. ---- */
static int rank = 0, ranks = 1;

static void allreduce_sum(double *values, int count) {
#ifdef FOCAL_TRAINER_MPI
    MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
#else
    (void)values;
    (void)count;
#endif
}

/* 1 when every rank holds bitwise the same model as rank 0. */
static int ranks_agree(const model *m) {
#ifdef FOCAL_TRAINER_MPI
    model root = *m;
    int differs;
    MPI_Bcast(&root, (int)sizeof root, MPI_BYTE, 0, MPI_COMM_WORLD);
    differs = memcmp(&root.wt, &m->wt, sizeof m->wt) != 0 || memcmp(&root.b, &m->b, sizeof m->b) != 0;
    MPI_Allreduce(MPI_IN_PLACE, &differs, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return !differs;
#else
    (void)m;
    return 1;
#endif
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void fail(focal_status status) {
    fprintf(stderr, "focalloss: %s\n  %s\n", focal_status_string(status), focal_last_error_message());
    exit(1);
}

typedef struct {
    int epochs, train_batches, test_batches, threads, local_normalizer;
    uint64_t seed;
    double lr;
    const char *loss, *dump;
} settings;

typedef struct {
    double epoch_loss[64], epoch_map[64], map, loss_seconds, step_seconds;
    double shares[3]; /* of the final loss: positives, negatives above the prior, below it */
    long steps;
} run;

/* One-hot targets of n anchors (for the loss shares' per-element losses). */
static void make_targets(const signed char *label, int64_t n, float *targets) {
    int64_t a;
    memset(targets, 0, (size_t)(n * CLASSES) * sizeof(float));
    for (a = 0; a < n; ++a)
        if (label[a] != BACKGROUND) targets[a * CLASSES + label[a]] = 1.0f;
}

/* The labels of n anchors in focal_sigmoid_labels_*'s convention: a class, or CLASSES for
 * background. */
static void make_labels(const signed char *label, int64_t n, int32_t *labels) {
    int64_t a;
    for (a = 0; a < n; ++a) labels[a] = label[a] == BACKGROUND ? CLASSES : label[a];
}

/* Where the trained model's loss comes from, on the first training batch: the positives, the
 * negatives it still scores above the prior (p >= 0.01: the hard ones) and those below. Per
 * element losses (reduction none) summed by kind, over all ranks, as fractions. */
static void loss_shares(const model *m, focal_sigmoid_options options, const dataset *train_set,
                        float *logits, float *targets, float *losses, double shares[3]) {
    int64_t n = train_set->end - train_set->begin, i;
    const float prior_logit = (float)-log((1.0 - PRIOR) / PRIOR);
    double total;
    focal_status status;
    forward(m, train_set->x, n, logits);
    make_targets(train_set->label, n, targets);
    options.reduction = FOCAL_REDUCTION_NONE;
    options.use_normalizer = 0;
    if ((status = focal_sigmoid_f32(&options, n * CLASSES, logits, targets, NULL, losses, NULL)) != FOCAL_OK)
        fail(status);
    shares[0] = shares[1] = shares[2] = 0.0;
    for (i = 0; i < n * CLASSES; ++i)
        shares[targets[i] == 1.0f ? 0 : logits[i] >= prior_logit ? 1 : 2] += losses[i];
    allreduce_sum(shares, 3);
    total = shares[0] + shares[1] + shares[2];
    for (i = 0; i < 3; ++i) shares[i] /= total;
}

/* Trains one model with the given loss options; fills `out`. Scratch buffers are the caller's. */
static void train(const settings *cfg, const char *name, focal_sigmoid_options options,
                  const dataset *train_set, const dataset *test, model *m, run *out, float *logits,
                  float *targets, float *grad_logits, int32_t *labels, scored *work) {
    int64_t n = train_set->end - train_set->begin;
    double grad[PARAMETERS + 2];
    int epoch, b, i;
    memset(out, 0, sizeof *out);
    model_init(m, cfg->seed);
    /* The loss is the sum over anchors and classes divided by the batch's positive count over
     * all ranks: each rank computes its sum and the gradient of its sum, and the call reports
     * its positive anchors (focal_stats) from the labels it has read anyway, so that one
     * all-reduce carries the weight gradient, the loss and the count together, and every rank
     * then divides by the same global count (at least 1, as detectron does). */
    options.reduction = FOCAL_REDUCTION_SUM;
    options.use_normalizer = 0;
    options.num_threads = cfg->threads;
    for (epoch = 0; epoch < cfg->epochs; ++epoch) {
        double epoch_loss = 0.0;
        for (b = 0; b < train_set->batches; ++b) {
            const float *x = train_set->x + b * n * FEATURES;
            double normalizer, t0 = now(), t1, t2;
            float loss;
            focal_stats stats = FOCAL_STATS_INIT;
            focal_status status;
            make_labels(train_set->label + b * n, n, labels);
            forward(m, x, n, logits);
            t1 = now();
            status = focal_sigmoid_labels_weighted_f32_i32(&options, n, CLASSES, 1, logits, labels, NULL,
                                                           FOCAL_WEIGHTS_PER_ELEMENT, NULL, &loss, grad_logits,
                                                           &stats);
            t2 = now();
            if (status != FOCAL_OK) fail(status);
            backward(x, grad_logits, n, grad);
            grad[PARAMETERS] = loss;                /* this rank's sum of the batch loss */
            grad[PARAMETERS + 1] = stats.positives; /* and its positive anchors */
            if (cfg->local_normalizer) {
                /* The classic mistake the MPI check must catch: each rank its own count. */
                normalizer = stats.positives > 1.0 ? stats.positives : 1.0;
                for (i = 0; i <= PARAMETERS; ++i) grad[i] /= normalizer;
                allreduce_sum(grad, PARAMETERS + 1);
            } else {
                allreduce_sum(grad, PARAMETERS + 2);
                normalizer = grad[PARAMETERS + 1] > 1.0 ? grad[PARAMETERS + 1] : 1.0;
                for (i = 0; i <= PARAMETERS; ++i) grad[i] /= normalizer;
            }
            sgd_step(m, grad, cfg->lr);
            epoch_loss += grad[PARAMETERS];
            out->loss_seconds += t2 - t1;
            out->step_seconds += now() - t0;
            out->steps += 1;
        }
        out->epoch_loss[epoch] = epoch_loss / train_set->batches;
        out->epoch_map[epoch] = rank == 0 ? mean_average_precision(m, test, logits, work) : 0.0;
    }
    out->map = out->epoch_map[cfg->epochs - 1];
    loss_shares(m, options, train_set, logits, targets, grad_logits, out->shares);
    if (!ranks_agree(m)) {
        if (rank == 0) fprintf(stderr, "%s: the ranks ended with different weights\n", name);
        exit(1);
    }
}

static void dump(const settings *cfg, const char *name, const model *m) {
    char path[4096];
    FILE *f;
    int d, c;
    if (!cfg->dump || rank != 0) return;
    snprintf(path, sizeof path, "%s.%s.txt", cfg->dump, name);
    if (!(f = fopen(path, "w"))) {
        perror(path);
        exit(1);
    }
    for (d = 0; d < FEATURES; ++d)
        for (c = 0; c < CLASSES; ++c) fprintf(f, "%.17g\n", m->wt[d][c]);
    for (c = 0; c < CLASSES; ++c) fprintf(f, "%.17g\n", m->b[c]);
    fclose(f);
}

static void parse(int argc, char **argv, settings *cfg) {
    int i;
    for (i = 1; i < argc; ++i) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--local-normalizer")) {
            cfg->local_normalizer = 1;
            continue;
        }
        if (!value) goto usage;
        ++i;
        if (!strcmp(arg, "--epochs")) cfg->epochs = atoi(value);
        else if (!strcmp(arg, "--train-batches")) cfg->train_batches = atoi(value);
        else if (!strcmp(arg, "--test-batches")) cfg->test_batches = atoi(value);
        else if (!strcmp(arg, "--seed")) cfg->seed = strtoull(value, NULL, 10);
        else if (!strcmp(arg, "--lr")) cfg->lr = atof(value);
        else if (!strcmp(arg, "--threads")) cfg->threads = atoi(value);
        else if (!strcmp(arg, "--loss")) cfg->loss = value;
        else if (!strcmp(arg, "--dump")) cfg->dump = value;
        else goto usage;
    }
    if (cfg->epochs >= 1 && cfg->epochs <= 64 && cfg->train_batches >= 1 && cfg->test_batches >= 1 &&
        cfg->threads >= 0 && cfg->lr > 0 &&
        (!strcmp(cfg->loss, "focal") || !strcmp(cfg->loss, "ce") || !strcmp(cfg->loss, "both")))
        return;
usage:
    if (rank == 0)
        fprintf(stderr, "usage: %s [--epochs 1..64] [--train-batches N] [--test-batches N] [--seed N] "
                        "[--lr X] [--threads N] [--loss focal|ce|both] [--dump PREFIX] [--local-normalizer]\n",
                argv[0]);
    exit(2);
}

int main(int argc, char **argv) {
    settings cfg = {10, 10, 5, 0, 0, 1, 0.03, "both", NULL};
    world w;
    dataset train_set, test;
    model m;
    run runs[2];
    focal_sigmoid_options options[2];
    const char *names[2] = {"focal", "ce"}, *titles[2] = {"focal (alpha 0.25, gamma 2)", "cross-entropy"};
    float *logits, *targets, *grad_logits;
    int32_t *labels;
    scored *work;
    int64_t n, test_n, a, train_positives = 0, test_positives = 0;
    int which, epoch, first = 0, last = 1;

#ifdef FOCAL_TRAINER_MPI
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
#endif
#ifdef FOCAL_TRAINER_MPI
    cfg.threads = 1; /* the ranks are the parallelism: one thread each unless told otherwise */
#endif
    parse(argc, argv, &cfg);
    if (!strcmp(cfg.loss, "focal")) last = 0;
    if (!strcmp(cfg.loss, "ce")) first = 1;

    /* Focal loss with the paper's alpha and gamma; cross-entropy is gamma 0 with alpha off. */
    focal_sigmoid_options_init(&options[0], FOCAL_SIGMOID_OPTIONS_VERSION);
    options[0].alpha = 0.25;
    options[0].gamma = 2.0;
    options[1] = options[0];
    options[1].alpha = FOCAL_ALPHA_DISABLED;
    options[1].gamma = 0.0;

    world_init(&w, cfg.seed);
    /* This rank's share of every training batch; rank 0 alone holds the held-out batches. */
    dataset_make(&train_set, &w, 0, cfg.train_batches, ANCHORS_PER_BATCH * (int64_t)rank / ranks,
                 ANCHORS_PER_BATCH * (int64_t)(rank + 1) / ranks);
    dataset_make(&test, &w, 1000000, rank == 0 ? cfg.test_batches : 0, 0, ANCHORS_PER_BATCH);
    n = train_set.end - train_set.begin;
    test_n = (int64_t)test.batches * ANCHORS_PER_BATCH;
    for (a = 0; a < cfg.train_batches * n; ++a) train_positives += train_set.label[a] != BACKGROUND;
    for (a = 0; a < test_n; ++a) test_positives += test.label[a] != BACKGROUND;
    {
        double count = (double)train_positives;
        allreduce_sum(&count, 1);
        train_positives = (int64_t)count;
    }

    logits = malloc((size_t)((test_n > n ? test_n : n) * CLASSES) * sizeof(float));
    targets = malloc((size_t)(n * CLASSES) * sizeof(float));
    grad_logits = malloc((size_t)(n * CLASSES) * sizeof(float));
    labels = malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    work = malloc((size_t)(test_n > 0 ? test_n : 1) * sizeof(scored));
    if (!logits || !targets || !grad_logits || !labels || !work) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    if (rank == 0) {
        printf("focalloss %s: dense classification, %d classes, %d features, a linear head, SGD\n",
               focal_version_string(), CLASSES, FEATURES);
        printf("train: %d batches x %d anchors, %lld positive (1 in %.0f); held out: %lld anchors, %lld positive\n",
               cfg.train_batches, ANCHORS_PER_BATCH, (long long)train_positives,
               (double)cfg.train_batches * ANCHORS_PER_BATCH / (double)train_positives, (long long)test_n,
               (long long)test_positives);
        printf("bias initialised to the prior 0.01; loss = sum / positive anchors; lr %g, momentum %g, %d rank%s\n\n",
               cfg.lr, MOMENTUM, ranks, ranks > 1 ? "s" : "");
    }
    for (which = first; which <= last; ++which) {
        train(&cfg, names[which], options[which], &train_set, &test, &m, &runs[which], logits, targets,
              grad_logits, labels, work);
        dump(&cfg, names[which], &m);
    }
    if (rank == 0) {
        printf("epoch");
        for (which = first; which <= last; ++which) printf("  %12s loss  held-out mAP", names[which]);
        printf("\n");
        for (epoch = 0; epoch < cfg.epochs; ++epoch) {
            printf("%5d", epoch + 1);
            for (which = first; which <= last; ++which)
                printf("  %17.5f  %12.4f", runs[which].epoch_loss[epoch], runs[which].epoch_map[epoch]);
            printf("\n");
        }
        printf("\nheld-out mean average precision over %d classes:\n", CLASSES);
        for (which = first; which <= last; ++which)
            printf("  %-28s %.4f\n", titles[which], runs[which].map);
        printf("\nwhere the final loss comes from (first training batch):\n");
        printf("  %-14s %10s %22s %22s\n", "", "positives", "negatives p >= 0.01", "negatives p < 0.01");
        for (which = first; which <= last; ++which)
            printf("  %-14s %9.1f%% %21.1f%% %21.1f%%\n", names[which], 100 * runs[which].shares[0],
                   100 * runs[which].shares[1], 100 * runs[which].shares[2]);
        printf("\ntime per step (%lld anchors x %d classes = %lld logits on this rank):\n", (long long)n, CLASSES,
               (long long)(n * CLASSES));
        for (which = first; which <= last; ++which)
            printf("  %-14s loss + gradient %6.2f ms (%4.1f ns per logit), whole step %6.2f ms\n", names[which],
                   1e3 * runs[which].loss_seconds / runs[which].steps,
                   1e9 * runs[which].loss_seconds / runs[which].steps / (double)(n * CLASSES),
                   1e3 * runs[which].step_seconds / runs[which].steps);
        if (ranks > 1) printf("ranks agree bitwise on the final weights: yes\n");
    }
    free(logits);
    free(targets);
    free(grad_logits);
    free(labels);
    free(work);
    dataset_free(&train_set);
    dataset_free(&test);
#ifdef FOCAL_TRAINER_MPI
    MPI_Finalize();
#endif
    return 0;
}
