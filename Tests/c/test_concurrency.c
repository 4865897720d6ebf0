/*
 * test_concurrency.c: 16 threads call the library at once, each with its own options, on
 * shared read-only inputs; every result must equal, bit for bit, the one computed before on a
 * single thread. Built and run normally and under ThreadSanitizer (make test-sanitizers).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "focalloss.h"

#define THREADS 16
#define ROUNDS 6
#define COUNT 40000            /* sigmoid elements: above the library's threading threshold */
#define BATCH 300
#define CLASSES 7
#define INNER 9

static float logits[COUNT], targets[COUNT];
static double slogits[BATCH * CLASSES * INNER];
static int32_t labels[BATCH * INNER];
static const double weights[CLASSES] = {0.5, 1, 2, 0.25, 1, 3, 0.75};

/* Per thread: its options and its expected (sequential) outputs. */
typedef struct {
    focal_sigmoid_options sigmoid;
    focal_softmax_options softmax;
    float loss[COUNT], grad[COUNT];
    double sloss[BATCH * INNER], sgrad[BATCH * CLASSES * INNER];
    /* The concurrent runs' outputs. */
    float out_loss[COUNT], out_grad[COUNT];
    double out_sloss[BATCH * INNER], out_sgrad[BATCH * CLASSES * INNER];
    int failures;
} job;

static job jobs[THREADS];

static int run(const job *j, float *loss, float *grad, double *sloss, double *sgrad) {
    if (focal_sigmoid_f32(&j->sigmoid, COUNT, logits, targets, NULL, loss, grad) != FOCAL_OK) return 1;
    if (focal_softmax_f64_i32(&j->softmax, BATCH, CLASSES, INNER, slogits, labels, NULL, sloss, sgrad) != FOCAL_OK) return 1;
    return 0;
}

static void *worker(void *arg) {
    job *j = (job *)arg;
    int round;
    size_t sigmoid_loss = j->sigmoid.reduction == FOCAL_REDUCTION_NONE ? sizeof j->loss : sizeof(float);
    size_t softmax_loss = j->softmax.reduction == FOCAL_REDUCTION_NONE ? sizeof j->sloss : sizeof(double);
    for (round = 0; round < ROUNDS; ++round) {
        memset(j->out_grad, 0xff, sizeof j->out_grad);
        memset(j->out_sgrad, 0xff, sizeof j->out_sgrad);
        if (run(j, j->out_loss, j->out_grad, j->out_sloss, j->out_sgrad) ||
            memcmp(j->out_loss, j->loss, sigmoid_loss) != 0 || memcmp(j->out_grad, j->grad, sizeof j->grad) != 0 ||
            memcmp(j->out_sloss, j->sloss, softmax_loss) != 0 || memcmp(j->out_sgrad, j->sgrad, sizeof j->sgrad) != 0) {
            ++j->failures;
        }
    }
    return NULL;
}

int main(void) {
    pthread_t threads[THREADS];
    unsigned long long state = 12345;
    int i, failures = 0;
    for (i = 0; i < COUNT; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        logits[i] = (float)((double)(state >> 11) / 9007199254740992.0 * 24 - 12);
        targets[i] = (state >> 7) % 97 == 0 ? 1.0f : (state >> 9) % 5 == 0 ? 0.3f : 0.0f;
    }
    for (i = 0; i < BATCH * CLASSES * INNER; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        slogits[i] = (double)(state >> 11) / 9007199254740992.0 * 16 - 8;
    }
    for (i = 0; i < BATCH * INNER; ++i) labels[i] = i % 11 == 0 ? -100 : (int32_t)((i * 7 + i / 3) % CLASSES);

    /* Each thread its own options; expected results computed one at a time, on one thread. */
    for (i = 0; i < THREADS; ++i) {
        job *j = &jobs[i];
        focal_sigmoid_options_init(&j->sigmoid, FOCAL_SIGMOID_OPTIONS_VERSION);
        focal_softmax_options_init(&j->softmax, FOCAL_SOFTMAX_OPTIONS_VERSION);
        j->sigmoid.gamma = 0.5 * i;
        j->sigmoid.alpha = i % 3 == 0 ? FOCAL_ALPHA_DISABLED : 0.05 * i;
        j->sigmoid.reduction = (focal_reduction)(i % 3);
        j->softmax.gamma = 0.25 * i;
        j->softmax.label_smoothing = 0.02 * (i % 4);
        j->softmax.alpha = i % 2 ? weights : NULL;
        j->softmax.reduction = (focal_reduction)((i + 1) % 3);
        j->sigmoid.num_threads = j->softmax.num_threads = 1;
        if (run(j, j->loss, j->grad, j->sloss, j->sgrad)) {
            fprintf(stderr, "sequential run %d failed: %s\n", i, focal_last_error_message());
            return 1;
        }
        /* Concurrent runs use the library's own parallelism too (0 = default), or a fixed count. */
        j->sigmoid.num_threads = j->softmax.num_threads = i % 4;
    }
    for (i = 0; i < THREADS; ++i) pthread_create(&threads[i], NULL, worker, &jobs[i]);
    for (i = 0; i < THREADS; ++i) pthread_join(threads[i], NULL);
    for (i = 0; i < THREADS; ++i) {
        if (jobs[i].failures) fprintf(stderr, "thread %d: %d rounds differ from the sequential result\n", i, jobs[i].failures);
        failures += jobs[i].failures;
    }
    printf("%d passed, %d failed\n", THREADS * ROUNDS - failures, failures);
    return failures != 0;
}
