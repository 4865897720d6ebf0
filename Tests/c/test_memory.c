/*
 * test_memory.c: a million small calls (and a thousand short-lived threads that each fail
 * once, so each gets a thread-local error message) leave the resident set flat: nothing
 * allocated per call or per thread is kept.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "focalloss.h"

#define CALLS 1000000L
#define THREADS 4000  /* a leaked 1 KiB message buffer per thread would be 4 MiB */

/* Resident set size in KiB, from /proc/self/statm. */
static long rss_kib(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static const float x[8] = {0.5f, -1, 2, 0, 3, -4, 0.25f, 1};
static const float t[8] = {1, 0, 0, 1, 0, 0, 1, 0};
static const int64_t y[4] = {0, 1, -100, 1};

static int calls(long n) {
    focal_sigmoid_options so;
    focal_softmax_options xo;
    float loss[8], grad[8];
    long i;
    focal_sigmoid_options_init(&so, FOCAL_SIGMOID_OPTIONS_VERSION);
    focal_softmax_options_init(&xo, FOCAL_SOFTMAX_OPTIONS_VERSION);
    for (i = 0; i < n; ++i) {
        so.reduction = (focal_reduction)(i % 3);
        so.gamma = i % 1000 == 999 ? -1.0 : 2.0;  /* an error now and then */
        if ((focal_sigmoid_f32(&so, 8, x, t, NULL, loss, grad) != FOCAL_OK) != (i % 1000 == 999)) return 1;
        if (i % 4 == 0 && focal_softmax_f32_i64(&xo, 4, 2, 1, x, y, NULL, loss, grad) != FOCAL_OK) return 1;
    }
    return 0;
}

static void *fail_once(void *arg) {
    focal_sigmoid_options so;
    float loss;
    (void)arg;
    focal_sigmoid_options_init(&so, FOCAL_SIGMOID_OPTIONS_VERSION);
    so.alpha = 3;
    return focal_sigmoid_f32(&so, 1, x, t, NULL, &loss, NULL) == FOCAL_ERROR_INVALID_ALPHA ? NULL : (void *)1;
}

static int threads(int n) {
    int i;
    for (i = 0; i < n; ++i) {
        pthread_t thread;
        void *result = (void *)1;
        if (pthread_create(&thread, NULL, fail_once, NULL) != 0) return 1;
        pthread_join(thread, &result);
        if (result) return 1;
    }
    return 0;
}

int main(void) {
    long warm, after_calls, after_threads;
    int failed = 0;
    if (calls(20000) || threads(50)) { fprintf(stderr, "warm-up failed\n"); return 1; }
    warm = rss_kib();
    if (calls(CALLS)) { fprintf(stderr, "calls failed\n"); return 1; }
    after_calls = rss_kib();
    if (threads(THREADS)) { fprintf(stderr, "threads failed\n"); return 1; }
    after_threads = rss_kib();
    printf("rss: %ld KiB after warm-up, %ld after %ld calls, %ld after %d threads\n", warm, after_calls, CALLS,
           after_threads, THREADS);
    /* Flat: growth under 1 MiB (a leak of even 8 bytes a call would be 8 MB). */
    if (after_calls - warm > 1024) { fprintf(stderr, "FAIL: rss grew over the calls\n"); failed = 1; }
    if (after_threads - after_calls > 1024) { fprintf(stderr, "FAIL: rss grew over the threads\n"); failed = 1; }
    printf("%d passed, %d failed\n", 2 - failed, failed);
    return failed;
}
