/*
 * _ext.c: the CPython extension backend of focalloss.
 *
 * A thin shim over include/focalloss.h: it takes buffers (numpy arrays) whose dtypes and
 * shapes the Python front end (_frontend.py) has already checked, checks again what a
 * buffer can say about itself (format, item size, contiguity, writability), releases the
 * GIL around the native call, and returns (status, message). Every buffer is released on
 * every path. The module refuses to import against a library of another version.
 *
 * sigmoid_weighted, sigmoid_labels_weighted and softmax_weighted call the _weighted functions;
 * their `stats` is None or a float64 buffer of 3 values, which a successful call fills with the
 * focal_stats fields positives, weight_sum and divisor.
 *
 * sigmoid_family(kind, ...) calls one of the focal family's functions (FL*, asymmetric, quality
 * focal, varifocal: kind 0 to 3, as _frontend.SIGMOID_STAR ... VARIFOCAL), which all have the
 * _weighted signature, with the loss's own parameters passed as (p0, p1, p2, flag).
 *
 * sigmoid_grad_hess, softmax_grad_hess, sigmoid_init_score and softmax_init_score call the
 * gradient-boosting functions (float32 and float64 storage).
 *
 * sigmoid_plain and softmax_plain are the same calls for the plain case, checks and outputs
 * included, so that a small call does not pay for the Python front end (see "Plain calls"
 * below).
 *
 * Storage types: float16 (buffer format 'e'), float32, float64, and bfloat16 as uint16 ('H'):
 * ml_dtypes' bfloat16 dtype refuses the buffer protocol, so the front end passes bfloat16 arrays
 * as their uint16 views (the same bits), to this backend as to the ctypes one. One call per
 * function reaches the C function of every storage type (STORAGE_CALL).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <string.h>

#include "focalloss.h"

/* The element kinds a buffer may hold; KIND_BF16 is a uint16 buffer (bfloat16 bits). */
enum kind { KIND_F32, KIND_F64, KIND_F16, KIND_BF16, KIND_I32, KIND_I64, KIND_OTHER };

/* Sets of kinds, for acquire_one_of. */
#define KINDS(a, b) ((1u << (a)) | (1u << (b)))
#define FLOAT_KINDS (KINDS(KIND_F32, KIND_F64) | KINDS(KIND_F16, KIND_BF16))
#define FLOAT_NAMES "float16, bfloat16 (as uint16), float32 or float64"
#define INT_KINDS KINDS(KIND_I32, KIND_I64)

/* status = focal_<stem><storage><tail>(...) for the storage `kind` (one of FLOAT_KINDS): one
 * argument list serves every storage type, its arrays passed as void pointers, which C converts
 * to each function's element pointers. STORAGE_CALL(status, kind, softmax_, _i64, ...) calls
 * focal_softmax_f16_i64 for KIND_F16; an empty `tail` gives focal_sigmoid_f16 and its peers. */
#define STORAGE_CALL(status, kind, stem, tail, ...)                                   \
    do {                                                                              \
        switch (kind) {                                                               \
        case KIND_F16: (status) = focal_##stem##f16##tail(__VA_ARGS__); break;        \
        case KIND_BF16: (status) = focal_##stem##bf16##tail(__VA_ARGS__); break;      \
        case KIND_F32: (status) = focal_##stem##f32##tail(__VA_ARGS__); break;        \
        default: (status) = focal_##stem##f64##tail(__VA_ARGS__); break;              \
        }                                                                             \
    } while (0)

/* STORAGE_CALL for the functions with integer targets or labels of `int_kind` (I32 or I64). */
#define LABELED_CALL(status, kind, int_kind, stem, ...)                               \
    do {                                                                              \
        if ((int_kind) == KIND_I64) {                                                 \
            STORAGE_CALL(status, kind, stem, _i64, __VA_ARGS__);                      \
        } else {                                                                      \
            STORAGE_CALL(status, kind, stem, _i32, __VA_ARGS__);                      \
        }                                                                             \
    } while (0)

static enum kind buffer_kind(const Py_buffer *view) {
    const char *f = view->format ? view->format : "B";
    /* numpy writes native-order formats with an optional '=', '@' or '<' prefix. */
    if (*f == '@' || *f == '=' || *f == '<') ++f;
    if (f[0] == '\0' || f[1] != '\0') return KIND_OTHER;
    switch (f[0]) {
    case 'f': return view->itemsize == 4 ? KIND_F32 : KIND_OTHER;
    case 'd': return view->itemsize == 8 ? KIND_F64 : KIND_OTHER;
    case 'e': return view->itemsize == 2 ? KIND_F16 : KIND_OTHER;
    case 'H': return view->itemsize == 2 ? KIND_BF16 : KIND_OTHER;
    case 'i': case 'l': case 'q':
        return view->itemsize == 4 ? KIND_I32 : view->itemsize == 8 ? KIND_I64 : KIND_OTHER;
    default: return KIND_OTHER;
    }
}

/* Buffers of one call, released together: at most logits, targets, weights, grad_loss, loss,
 * grad, stats and the softmax's alpha. */
#define MAX_BUFFERS 8

typedef struct {
    Py_buffer views[MAX_BUFFERS];
    int held[MAX_BUFFERS];
} buffers;

static void release_all(buffers *b) {
    int i;
    for (i = 0; i < MAX_BUFFERS; ++i) {
        if (b->held[i]) PyBuffer_Release(&b->views[i]);
        b->held[i] = 0;
    }
}

/* Acquires slot `i` from `obj` (None gives a NULL pointer when `optional`), C-contiguous,
 * writable when asked, holding `kind` elements. Sets a Python exception and returns -1 on
 * failure. */
static int acquire(buffers *b, int i, PyObject *obj, const char *name, int writable, int optional,
                   enum kind want, void **data) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    *data = NULL;
    if (obj == Py_None) {
        if (optional) return 0;
        PyErr_Format(PyExc_TypeError, "%s must be a buffer, not None", name);
        return -1;
    }
    if (PyObject_GetBuffer(obj, &b->views[i], flags) != 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous%s buffer", name, writable ? ", writable" : "");
        return -1;
    }
    b->held[i] = 1;
    if (buffer_kind(&b->views[i]) != want) {
        PyErr_Format(PyExc_TypeError, "%s has buffer format '%s' with item size %zd, which is not the expected dtype",
                     name, b->views[i].format ? b->views[i].format : "B", b->views[i].itemsize);
        return -1;
    }
    *data = b->views[i].buf;
    return 0;
}

/* Acquires slot `i` from `obj`, C-contiguous, holding one of the kinds in the set `accepted` (the
 * logits: FLOAT_KINDS; targets and labels: INT_KINDS), named `kinds`, and reports which. */
static int acquire_one_of(buffers *b, int i, PyObject *obj, const char *name, unsigned accepted,
                          const char *kinds, void **data, enum kind *found) {
    if (PyObject_GetBuffer(obj, &b->views[i], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous buffer", name);
        return -1;
    }
    b->held[i] = 1;
    *found = buffer_kind(&b->views[i]);
    if (!(accepted & (1u << *found))) {
        PyErr_Format(PyExc_TypeError, "%s must hold %s", name, kinds);
        return -1;
    }
    *data = b->views[i].buf;
    return 0;
}

/* The options structs of a call, from the arguments every entry point parses alike. */
static focal_sigmoid_options sigmoid_options(int reduction, double alpha, double gamma, long long ignore_index,
                                             int use_normalizer, double normalizer, int num_threads, int precision,
                                             double poly1_epsilon) {
    focal_sigmoid_options options;
    focal_sigmoid_options_init(&options, FOCAL_SIGMOID_OPTIONS_VERSION);
    options.reduction = (focal_reduction)reduction;
    options.alpha = alpha;
    options.gamma = gamma;
    options.ignore_index = (int64_t)ignore_index;
    options.use_normalizer = use_normalizer;
    options.normalizer = normalizer;
    options.num_threads = (int32_t)num_threads;
    options.precision = (focal_precision)precision;
    options.poly1_epsilon = poly1_epsilon;
    return options;
}

static focal_softmax_options softmax_options(int reduction, double gamma, const double *alpha, long long ignore_index,
                                             double label_smoothing, int use_normalizer, double normalizer,
                                             int num_threads, int precision, double poly1_epsilon) {
    focal_softmax_options options;
    focal_softmax_options_init(&options, FOCAL_SOFTMAX_OPTIONS_VERSION);
    options.reduction = (focal_reduction)reduction;
    options.gamma = gamma;
    options.alpha = alpha;
    options.ignore_index = (int64_t)ignore_index;
    options.label_smoothing = label_smoothing;
    options.use_normalizer = use_normalizer;
    options.normalizer = normalizer;
    options.num_threads = (int32_t)num_threads;
    options.precision = (focal_precision)precision;
    options.poly1_epsilon = poly1_epsilon;
    return options;
}

/* (status, message): the message is the library's, read on this thread right after the call. */
static PyObject *result(focal_status status) {
    if (status == FOCAL_OK) return Py_BuildValue("(iO)", (int)status, Py_None);
    return Py_BuildValue("(is)", (int)status, focal_last_error_message());
}

/* Slot `i` from `obj`: None (no statistics asked for; *out = NULL) or a writable float64 buffer of
 * exactly 3 values, so that writing the report cannot run past it. */
static int acquire_stats(buffers *b, int i, PyObject *obj, double **out) {
    void *data;
    *out = NULL;
    if (acquire(b, i, obj, "stats", 1, 1, KIND_F64, &data)) return -1;
    if (data && b->views[i].len != 3 * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_TypeError, "stats must hold 3 float64 values");
        return -1;
    }
    *out = (double *)data;
    return 0;
}

/* The end of a _weighted call: on success the library's report goes into `out` (when asked for),
 * then every buffer is released; (status, message). */
static PyObject *weighted_result(buffers *b, focal_status status, const focal_stats *report, double *out) {
    if (status == FOCAL_OK && out) {
        out[0] = report->positives;
        out[1] = report->weight_sum;
        out[2] = report->divisor;
    }
    release_all(b);
    return result(status);
}

static PyObject *ext_sigmoid(PyObject *self, PyObject *args) {
    PyObject *logits, *targets, *grad_loss, *loss, *grad;
    int reduction, use_normalizer, num_threads, precision;
    double alpha, gamma, normalizer, poly1;
    buffers b;
    void *x, *t, *g, *l, *d;
    Py_ssize_t count;
    enum kind kind;
    focal_sigmoid_options options;
    focal_status status;
    (void)self;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "OOOOOiddidiid", &logits, &targets, &grad_loss, &loss, &grad, &reduction, &alpha,
                          &gamma, &use_normalizer, &normalizer, &num_threads, &precision, &poly1)) {
        return NULL;
    }
    /* The logits decide the dtype; everything else must match it. */
    if (acquire_one_of(&b, 0, logits, "logits", FLOAT_KINDS, FLOAT_NAMES, &x, &kind)) goto fail;
    count = b.views[0].len / b.views[0].itemsize;
    if (acquire(&b, 1, targets, "targets", 0, 0, kind, &t) ||
        acquire(&b, 2, grad_loss, "grad_loss", 0, 1, kind, &g) ||
        acquire(&b, 3, loss, "loss", 1, 0, kind, &l) ||
        acquire(&b, 4, grad, "grad", 1, 1, kind, &d)) {
        goto fail;
    }
    options = sigmoid_options(reduction, alpha, gamma, -100, use_normalizer, normalizer, num_threads, precision, poly1);
    Py_BEGIN_ALLOW_THREADS
    STORAGE_CALL(status, kind, sigmoid_, , &options, (int64_t)count, x, t, g, l, d);
    Py_END_ALLOW_THREADS
    release_all(&b);
    return result(status);
fail:
    release_all(&b);
    return NULL;
}

static PyObject *ext_softmax(PyObject *self, PyObject *args) {
    PyObject *logits, *targets, *grad_loss, *loss, *grad, *alpha;
    long long batch, classes, inner, ignore_index;
    int reduction, use_normalizer, num_threads, precision;
    double gamma, label_smoothing, normalizer, poly1;
    buffers b;
    void *x, *y, *g, *l, *d, *a;
    enum kind kind, target_kind;
    focal_softmax_options options;
    focal_status status = FOCAL_OK;
    (void)self;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "OOLLLOOOidOLdidiid", &logits, &targets, &batch, &classes, &inner, &grad_loss,
                          &loss, &grad, &reduction, &gamma, &alpha, &ignore_index, &label_smoothing, &use_normalizer,
                          &normalizer, &num_threads, &precision, &poly1)) {
        return NULL;
    }
    if (acquire_one_of(&b, 0, logits, "logits", FLOAT_KINDS, FLOAT_NAMES, &x, &kind) ||
        acquire_one_of(&b, 1, targets, "targets", INT_KINDS, "int32 or int64", &y, &target_kind) ||
        acquire(&b, 2, grad_loss, "grad_loss", 0, 1, kind, &g) ||
        acquire(&b, 3, loss, "loss", 1, 0, kind, &l) ||
        acquire(&b, 4, grad, "grad", 1, 1, kind, &d) ||
        acquire(&b, 5, alpha, "alpha", 0, 1, KIND_F64, &a)) {
        goto fail;
    }
    options = softmax_options(reduction, gamma, (const double *)a, ignore_index, label_smoothing, use_normalizer,
                              normalizer, num_threads, precision, poly1);
    Py_BEGIN_ALLOW_THREADS
    LABELED_CALL(status, kind, target_kind, softmax_, &options, batch, classes, inner, x, y, g, l, d);
    Py_END_ALLOW_THREADS
    release_all(&b);
    return result(status);
fail:
    release_all(&b);
    return NULL;
}

static PyObject *ext_sigmoid_labels(PyObject *self, PyObject *args) {
    PyObject *logits, *labels, *grad_loss, *loss, *grad;
    long long batch, classes, inner, ignore_index;
    int reduction, use_normalizer, num_threads, precision;
    double alpha, gamma, normalizer, poly1;
    buffers b;
    void *x, *y, *g, *l, *d;
    enum kind kind, label_kind;
    focal_sigmoid_options options;
    focal_status status;
    (void)self;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "OOLLLOOOiddLidiid", &logits, &labels, &batch, &classes, &inner, &grad_loss, &loss,
                          &grad, &reduction, &alpha, &gamma, &ignore_index, &use_normalizer, &normalizer, &num_threads,
                          &precision, &poly1)) {
        return NULL;
    }
    if (acquire_one_of(&b, 0, logits, "logits", FLOAT_KINDS, FLOAT_NAMES, &x, &kind) ||
        acquire_one_of(&b, 1, labels, "labels", INT_KINDS, "int32 or int64", &y, &label_kind) ||
        acquire(&b, 2, grad_loss, "grad_loss", 0, 1, kind, &g) ||
        acquire(&b, 3, loss, "loss", 1, 0, kind, &l) ||
        acquire(&b, 4, grad, "grad", 1, 1, kind, &d)) {
        goto fail;
    }
    options = sigmoid_options(reduction, alpha, gamma, ignore_index, use_normalizer, normalizer, num_threads, precision,
                              poly1);
    Py_BEGIN_ALLOW_THREADS
    LABELED_CALL(status, kind, label_kind, sigmoid_labels_, &options, batch, classes, inner, x, y, g, l, d);
    Py_END_ALLOW_THREADS
    release_all(&b);
    return result(status);
fail:
    release_all(&b);
    return NULL;
}

/* sigmoid_weighted(logits, targets, batch, classes, inner, weights, layout, grad_loss, loss, grad,
 * stats, reduction, alpha, gamma, use_normalizer, normalizer, num_threads, precision,
 * poly1_epsilon). */
static PyObject *ext_sigmoid_weighted(PyObject *self, PyObject *args) {
    PyObject *logits, *targets, *weights, *grad_loss, *loss, *grad, *stats;
    long long batch, classes, inner;
    int layout, reduction, use_normalizer, num_threads, precision;
    double alpha, gamma, normalizer, poly1, *out;
    buffers b;
    void *x, *t, *w, *g, *l, *d;
    enum kind kind;
    focal_sigmoid_options options;
    focal_stats report = FOCAL_STATS_INIT;
    focal_status status;
    (void)self;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "OOLLLOiOOOOiddidiid", &logits, &targets, &batch, &classes, &inner, &weights,
                          &layout, &grad_loss, &loss, &grad, &stats, &reduction, &alpha, &gamma, &use_normalizer,
                          &normalizer, &num_threads, &precision, &poly1)) {
        return NULL;
    }
    if (acquire_one_of(&b, 0, logits, "logits", FLOAT_KINDS, FLOAT_NAMES, &x, &kind) ||
        acquire(&b, 1, targets, "targets", 0, 0, kind, &t) ||
        acquire(&b, 2, weights, "weights", 0, 1, kind, &w) ||
        acquire(&b, 3, grad_loss, "grad_loss", 0, 1, kind, &g) ||
        acquire(&b, 4, loss, "loss", 1, 0, kind, &l) ||
        acquire(&b, 5, grad, "grad", 1, 1, kind, &d) ||
        acquire_stats(&b, 6, stats, &out)) {
        goto fail;
    }
    options = sigmoid_options(reduction, alpha, gamma, -100, use_normalizer, normalizer, num_threads, precision, poly1);
    Py_BEGIN_ALLOW_THREADS
    STORAGE_CALL(status, kind, sigmoid_weighted_, , &options, batch, classes, inner, x, t, w,
                 (focal_weights_layout)layout, g, l, d, out ? &report : NULL);
    Py_END_ALLOW_THREADS
    return weighted_result(&b, status, &report, out);
fail:
    release_all(&b);
    return NULL;
}

/* sigmoid_labels_weighted(logits, labels, batch, classes, inner, weights, layout, grad_loss, loss,
 * grad, stats, reduction, alpha, gamma, ignore_index, use_normalizer, normalizer, num_threads,
 * precision, poly1_epsilon). */
static PyObject *ext_sigmoid_labels_weighted(PyObject *self, PyObject *args) {
    PyObject *logits, *labels, *weights, *grad_loss, *loss, *grad, *stats;
    long long batch, classes, inner, ignore_index;
    int layout, reduction, use_normalizer, num_threads, precision;
    double alpha, gamma, normalizer, poly1, *out;
    buffers b;
    void *x, *y, *w, *g, *l, *d;
    enum kind kind, label_kind;
    focal_sigmoid_options options;
    focal_stats report = FOCAL_STATS_INIT;
    focal_stats *r;
    focal_weights_layout layout_value;
    focal_status status;
    (void)self;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "OOLLLOiOOOOiddLidiid", &logits, &labels, &batch, &classes, &inner, &weights,
                          &layout, &grad_loss, &loss, &grad, &stats, &reduction, &alpha, &gamma, &ignore_index,
                          &use_normalizer, &normalizer, &num_threads, &precision, &poly1)) {
        return NULL;
    }
    if (acquire_one_of(&b, 0, logits, "logits", FLOAT_KINDS, FLOAT_NAMES, &x, &kind) ||
        acquire_one_of(&b, 1, labels, "labels", INT_KINDS, "int32 or int64", &y, &label_kind) ||
        acquire(&b, 2, weights, "weights", 0, 1, kind, &w) ||
        acquire(&b, 3, grad_loss, "grad_loss", 0, 1, kind, &g) ||
        acquire(&b, 4, loss, "loss", 1, 0, kind, &l) ||
        acquire(&b, 5, grad, "grad", 1, 1, kind, &d) ||
        acquire_stats(&b, 6, stats, &out)) {
        goto fail;
    }
    options = sigmoid_options(reduction, alpha, gamma, ignore_index, use_normalizer, normalizer, num_threads, precision,
                              poly1);
    r = out ? &report : NULL;
    layout_value = (focal_weights_layout)layout;
    Py_BEGIN_ALLOW_THREADS
    LABELED_CALL(status, kind, label_kind, sigmoid_labels_weighted_, &options, batch, classes, inner, x, y, w,
                 layout_value, g, l, d, r);
    Py_END_ALLOW_THREADS
    return weighted_result(&b, status, &report, out);
fail:
    release_all(&b);
    return NULL;
}

/* softmax_weighted(logits, targets, batch, classes, inner, weights, grad_loss, loss, grad, stats,
 * reduction, gamma, alpha, ignore_index, label_smoothing, use_normalizer, normalizer, num_threads,
 * precision, poly1_epsilon). */
static PyObject *ext_softmax_weighted(PyObject *self, PyObject *args) {
    PyObject *logits, *targets, *weights, *grad_loss, *loss, *grad, *stats, *alpha;
    long long batch, classes, inner, ignore_index;
    int reduction, use_normalizer, num_threads, precision;
    double gamma, label_smoothing, normalizer, poly1, *out;
    buffers b;
    void *x, *y, *w, *g, *l, *d, *a;
    enum kind kind, target_kind;
    focal_softmax_options options;
    focal_stats report = FOCAL_STATS_INIT;
    focal_stats *r;
    focal_status status;
    (void)self;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "OOLLLOOOOOidOLdidiid", &logits, &targets, &batch, &classes, &inner, &weights,
                          &grad_loss, &loss, &grad, &stats, &reduction, &gamma, &alpha, &ignore_index, &label_smoothing,
                          &use_normalizer, &normalizer, &num_threads, &precision, &poly1)) {
        return NULL;
    }
    if (acquire_one_of(&b, 0, logits, "logits", FLOAT_KINDS, FLOAT_NAMES, &x, &kind) ||
        acquire_one_of(&b, 1, targets, "targets", INT_KINDS, "int32 or int64", &y, &target_kind) ||
        acquire(&b, 2, weights, "weights", 0, 1, kind, &w) ||
        acquire(&b, 3, grad_loss, "grad_loss", 0, 1, kind, &g) ||
        acquire(&b, 4, loss, "loss", 1, 0, kind, &l) ||
        acquire(&b, 5, grad, "grad", 1, 1, kind, &d) ||
        acquire_stats(&b, 6, stats, &out) ||
        acquire(&b, 7, alpha, "alpha", 0, 1, KIND_F64, &a)) {
        goto fail;
    }
    options = softmax_options(reduction, gamma, (const double *)a, ignore_index, label_smoothing, use_normalizer,
                              normalizer, num_threads, precision, poly1);
    r = out ? &report : NULL;
    Py_BEGIN_ALLOW_THREADS
    LABELED_CALL(status, kind, target_kind, softmax_weighted_, &options, batch, classes, inner, x, y, w, g, l, d, r);
    Py_END_ALLOW_THREADS
    return weighted_result(&b, status, &report, out);
fail:
    release_all(&b);
    return NULL;
}

/* ---- The focal family ------------------------------------------------------------------------ */

/* The `kind` of sigmoid_family: _frontend.SIGMOID_STAR, ASYMMETRIC, QUALITY, VARIFOCAL. */
enum family { FAMILY_SIGMOID_STAR, FAMILY_ASYMMETRIC, FAMILY_QUALITY, FAMILY_VARIFOCAL, FAMILY_COUNT };

/* The fields every family options struct shares, set from the call's arguments. */
#define SET_COMMON(o)                                  \
    do {                                               \
        (o).reduction = (focal_reduction)reduction;    \
        (o).use_normalizer = use_normalizer;           \
        (o).normalizer = normalizer;                   \
        (o).num_threads = (int32_t)num_threads;        \
        (o).precision = (focal_precision)precision;    \
    } while (0)

/* sigmoid_family(kind, logits, targets, batch, classes, inner, weights, layout, grad_loss, loss,
 * grad, stats, reduction, p0, p1, p2, flag, use_normalizer, normalizer, num_threads, precision):
 * the loss's own parameters are FL* (alpha, gamma, beta), asymmetric (gamma_pos, gamma_neg,
 * margin), quality (beta) and varifocal (alpha, gamma, iou_weighted = flag). */
static PyObject *ext_sigmoid_family(PyObject *self, PyObject *args) {
    PyObject *logits, *targets, *weights, *grad_loss, *loss, *grad, *stats;
    long long batch, classes, inner;
    int family, layout, reduction, flag, use_normalizer, num_threads, precision;
    double p0, p1, p2, normalizer, *out;
    buffers b;
    void *x, *t, *w, *g, *l, *d;
    enum kind kind;
    union {
        focal_sigmoid_star_options star;
        focal_asymmetric_options asymmetric;
        focal_quality_options quality;
        focal_varifocal_options varifocal;
    } o;
    focal_stats report = FOCAL_STATS_INIT;
    focal_stats *r;
    focal_weights_layout layout_value;
    focal_status status;
    (void)self;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "iOOLLLOiOOOOidddiidii", &family, &logits, &targets, &batch, &classes, &inner,
                          &weights, &layout, &grad_loss, &loss, &grad, &stats, &reduction, &p0, &p1, &p2, &flag,
                          &use_normalizer, &normalizer, &num_threads, &precision)) {
        return NULL;
    }
    if (family < 0 || family >= FAMILY_COUNT) {
        PyErr_Format(PyExc_ValueError, "sigmoid_family: unknown kind %d", family);
        return NULL;
    }
    if (acquire_one_of(&b, 0, logits, "logits", FLOAT_KINDS, FLOAT_NAMES, &x, &kind) ||
        acquire(&b, 1, targets, "targets", 0, 0, kind, &t) ||
        acquire(&b, 2, weights, "weights", 0, 1, kind, &w) ||
        acquire(&b, 3, grad_loss, "grad_loss", 0, 1, kind, &g) ||
        acquire(&b, 4, loss, "loss", 1, 0, kind, &l) ||
        acquire(&b, 5, grad, "grad", 1, 1, kind, &d) ||
        acquire_stats(&b, 6, stats, &out)) {
        goto fail;
    }
    switch (family) {
    case FAMILY_SIGMOID_STAR:
        focal_sigmoid_star_options_init(&o.star, FOCAL_SIGMOID_STAR_OPTIONS_VERSION);
        SET_COMMON(o.star);
        o.star.alpha = p0;
        o.star.gamma = p1;
        o.star.beta = p2;
        break;
    case FAMILY_ASYMMETRIC:
        focal_asymmetric_options_init(&o.asymmetric, FOCAL_ASYMMETRIC_OPTIONS_VERSION);
        SET_COMMON(o.asymmetric);
        o.asymmetric.gamma_pos = p0;
        o.asymmetric.gamma_neg = p1;
        o.asymmetric.margin = p2;
        break;
    case FAMILY_QUALITY:
        focal_quality_options_init(&o.quality, FOCAL_QUALITY_OPTIONS_VERSION);
        SET_COMMON(o.quality);
        o.quality.beta = p0;
        break;
    default:
        focal_varifocal_options_init(&o.varifocal, FOCAL_VARIFOCAL_OPTIONS_VERSION);
        SET_COMMON(o.varifocal);
        o.varifocal.alpha = p0;
        o.varifocal.gamma = p1;
        o.varifocal.iou_weighted = flag;
        break;
    }
    r = out ? &report : NULL;
    layout_value = (focal_weights_layout)layout;
    Py_BEGIN_ALLOW_THREADS
    switch (family) {
    case FAMILY_SIGMOID_STAR:
        STORAGE_CALL(status, kind, sigmoid_star_, , &o.star, batch, classes, inner, x, t, w, layout_value, g, l, d, r);
        break;
    case FAMILY_ASYMMETRIC:
        STORAGE_CALL(status, kind, asymmetric_, , &o.asymmetric, batch, classes, inner, x, t, w, layout_value, g, l,
                     d, r);
        break;
    case FAMILY_QUALITY:
        STORAGE_CALL(status, kind, quality_, , &o.quality, batch, classes, inner, x, t, w, layout_value, g, l, d, r);
        break;
    default:
        STORAGE_CALL(status, kind, varifocal_, , &o.varifocal, batch, classes, inner, x, t, w, layout_value, g, l, d,
                     r);
        break;
    }
    Py_END_ALLOW_THREADS
    return weighted_result(&b, status, &report, out);
fail:
    release_all(&b);
    return NULL;
}

#undef SET_COMMON

/* ---- Gradient and Hessian, starting margins (gradient boosting; float32 and float64) ------- */

#define F32_F64 KINDS(KIND_F32, KIND_F64)

/* sigmoid_grad_hess(logits, targets, batch, classes, inner, weights, layout, grad, hess, hessian,
 * alpha, gamma, num_threads, precision). */
static PyObject *ext_sigmoid_grad_hess(PyObject *self, PyObject *args) {
    PyObject *logits, *targets, *weights, *grad, *hess;
    long long batch, classes, inner;
    int layout, hessian, num_threads, precision;
    double alpha, gamma;
    buffers b;
    void *x, *t, *w, *g, *h;
    enum kind kind;
    focal_sigmoid_options options;
    focal_status status;
    (void)self;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "OOLLLOiOOiddii", &logits, &targets, &batch, &classes, &inner, &weights, &layout,
                          &grad, &hess, &hessian, &alpha, &gamma, &num_threads, &precision)) {
        return NULL;
    }
    if (acquire_one_of(&b, 0, logits, "logits", F32_F64, "float32 or float64", &x, &kind) ||
        acquire(&b, 1, targets, "targets", 0, 0, kind, &t) ||
        acquire(&b, 2, weights, "weights", 0, 1, kind, &w) ||
        acquire(&b, 3, grad, "grad", 1, 1, kind, &g) ||
        acquire(&b, 4, hess, "hess", 1, 1, kind, &h)) {
        goto fail;
    }
    options = sigmoid_options(FOCAL_REDUCTION_NONE, alpha, gamma, -100, 0, 0.0, num_threads, precision, 0.0);
    Py_BEGIN_ALLOW_THREADS
    if (kind == KIND_F32) {
        status = focal_sigmoid_grad_hess_f32(&options, (focal_hessian)hessian, batch, classes, inner, x, t, w,
                                             (focal_weights_layout)layout, g, h);
    } else {
        status = focal_sigmoid_grad_hess_f64(&options, (focal_hessian)hessian, batch, classes, inner, x, t, w,
                                             (focal_weights_layout)layout, g, h);
    }
    Py_END_ALLOW_THREADS
    release_all(&b);
    return result(status);
fail:
    release_all(&b);
    return NULL;
}

/* softmax_grad_hess(logits, targets, batch, classes, inner, weights, grad, hess, hessian, gamma,
 * alpha, ignore_index, num_threads, precision). */
static PyObject *ext_softmax_grad_hess(PyObject *self, PyObject *args) {
    PyObject *logits, *targets, *weights, *grad, *hess, *alpha;
    long long batch, classes, inner, ignore_index;
    int hessian, num_threads, precision;
    double gamma;
    buffers b;
    void *x, *y, *w, *g, *h, *a;
    enum kind kind, target_kind;
    focal_softmax_options options;
    focal_hessian mode;
    focal_status status;
    (void)self;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "OOLLLOOOidOLii", &logits, &targets, &batch, &classes, &inner, &weights, &grad, &hess,
                          &hessian, &gamma, &alpha, &ignore_index, &num_threads, &precision)) {
        return NULL;
    }
    if (acquire_one_of(&b, 0, logits, "logits", F32_F64, "float32 or float64", &x, &kind) ||
        acquire_one_of(&b, 1, targets, "targets", INT_KINDS, "int32 or int64", &y, &target_kind) ||
        acquire(&b, 2, weights, "weights", 0, 1, kind, &w) ||
        acquire(&b, 3, grad, "grad", 1, 1, kind, &g) ||
        acquire(&b, 4, hess, "hess", 1, 1, kind, &h) ||
        acquire(&b, 5, alpha, "alpha", 0, 1, KIND_F64, &a)) {
        goto fail;
    }
    options = softmax_options(FOCAL_REDUCTION_NONE, gamma, (const double *)a, ignore_index, 0.0, 0, 0.0, num_threads,
                              precision, 0.0);
    mode = (focal_hessian)hessian;
    Py_BEGIN_ALLOW_THREADS
    if (kind == KIND_F32) {
        status = target_kind == KIND_I64
            ? focal_softmax_grad_hess_f32_i64(&options, mode, batch, classes, inner, x, y, w, g, h)
            : focal_softmax_grad_hess_f32_i32(&options, mode, batch, classes, inner, x, y, w, g, h);
    } else {
        status = target_kind == KIND_I64
            ? focal_softmax_grad_hess_f64_i64(&options, mode, batch, classes, inner, x, y, w, g, h)
            : focal_softmax_grad_hess_f64_i32(&options, mode, batch, classes, inner, x, y, w, g, h);
    }
    Py_END_ALLOW_THREADS
    release_all(&b);
    return result(status);
fail:
    release_all(&b);
    return NULL;
}

/* sigmoid_init_score(targets, batch, classes, inner, weights, layout, scores, alpha, gamma,
 * num_threads). */
static PyObject *ext_sigmoid_init_score(PyObject *self, PyObject *args) {
    PyObject *targets, *weights, *scores;
    long long batch, classes, inner;
    int layout, num_threads;
    double alpha, gamma;
    buffers b;
    void *t, *w, *s;
    enum kind kind;
    focal_sigmoid_options options;
    focal_status status;
    (void)self;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "OLLLOiOddi", &targets, &batch, &classes, &inner, &weights, &layout, &scores, &alpha,
                          &gamma, &num_threads)) {
        return NULL;
    }
    if (acquire_one_of(&b, 0, targets, "targets", F32_F64, "float32 or float64", &t, &kind) ||
        acquire(&b, 1, weights, "weights", 0, 1, kind, &w) ||
        acquire(&b, 2, scores, "scores", 1, 0, kind, &s)) {
        goto fail;
    }
    options = sigmoid_options(FOCAL_REDUCTION_NONE, alpha, gamma, -100, 0, 0.0, num_threads, FOCAL_PRECISION_EXACT,
                              0.0);
    Py_BEGIN_ALLOW_THREADS
    if (kind == KIND_F32) {
        status = focal_sigmoid_init_score_f32(&options, batch, classes, inner, t, w, (focal_weights_layout)layout, s);
    } else {
        status = focal_sigmoid_init_score_f64(&options, batch, classes, inner, t, w, (focal_weights_layout)layout, s);
    }
    Py_END_ALLOW_THREADS
    release_all(&b);
    return result(status);
fail:
    release_all(&b);
    return NULL;
}

/* softmax_init_score(targets, batch, classes, inner, weights, scores, gamma, alpha, ignore_index,
 * num_threads): weights and scores float64. */
static PyObject *ext_softmax_init_score(PyObject *self, PyObject *args) {
    PyObject *targets, *weights, *scores, *alpha;
    long long batch, classes, inner, ignore_index;
    int num_threads;
    double gamma;
    buffers b;
    void *y, *w, *s, *a;
    enum kind target_kind;
    focal_softmax_options options;
    focal_status status;
    (void)self;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "OLLLOOdOLi", &targets, &batch, &classes, &inner, &weights, &scores, &gamma, &alpha,
                          &ignore_index, &num_threads)) {
        return NULL;
    }
    if (acquire_one_of(&b, 0, targets, "targets", INT_KINDS, "int32 or int64", &y, &target_kind) ||
        acquire(&b, 1, weights, "weights", 0, 1, KIND_F64, &w) ||
        acquire(&b, 2, scores, "scores", 1, 0, KIND_F64, &s) ||
        acquire(&b, 3, alpha, "alpha", 0, 1, KIND_F64, &a)) {
        goto fail;
    }
    options = softmax_options(FOCAL_REDUCTION_NONE, gamma, (const double *)a, ignore_index, 0.0, 0, 0.0, num_threads,
                              FOCAL_PRECISION_EXACT, 0.0);
    Py_BEGIN_ALLOW_THREADS
    status = target_kind == KIND_I64
        ? focal_softmax_init_score_f64_i64(&options, batch, classes, inner, y, w, s)
        : focal_softmax_init_score_f64_i32(&options, batch, classes, inner, y, w, s);
    Py_END_ALLOW_THREADS
    release_all(&b);
    return result(status);
fail:
    release_all(&b);
    return NULL;
}

/* ---- Plain calls ---------------------------------------------------------------------------
 *
 * focalloss.sigmoid_focal_loss and softmax_focal_loss first offer their arguments to
 * sigmoid_plain / softmax_plain. These accept only the plain case: exact numpy.ndarray inputs,
 * C-contiguous, of native float32, float64 or float16 (not bfloat16, which has no buffer; and
 * int32/int64 targets) with matching dtypes and shapes, arguments of exactly the types the front
 * end takes without conversion (float or int for reals, None where allowed, True/False, the exact
 * option strings; softmax without alpha; no weights and no statistics). They take the public
 * function's arguments in its order, the trailing weights and return_stats, or weights,
 * return_stats and poly1_epsilon, optional (the public functions pass all three, having declined
 * weighted calls themselves; poly1_epsilon goes into the options, 0.0 when not given, which is
 * the options' default and the plain focal loss bit for bit). For anything else, and for any
 * status other than FOCAL_OK, they return NotImplemented, having written nothing the caller can
 * see, and the Python front end (_frontend.py) runs the call as before, with its checks and its
 * messages: so every error is raised by one code path and the plain path cannot change a result
 * or a message, only skip work. What they return for the plain case is what the front end
 * returns: the loss array, or for "sum"/"mean" element 0 of a one-element array (a numpy scalar
 * of the logits' dtype), and with return_grad the pair. */

/* numpy.ndarray, numpy.empty, its dtypes float32, float64 and float16, and the int 1: looked up
 * at import (numpy is the package's one dependency). */
static PyObject *ndarray_type, *numpy_empty, *dtype_f32, *dtype_f64, *dtype_f16, *one, *shape_name;

/* The storage kinds of the plain path: float32, float64 and float16. Never KIND_BF16: here a
 * uint16 buffer is a caller's uint16 array (which the front end refuses), not bfloat16 bits, and
 * a bfloat16 array has no buffer to take. */
static int plain_storage(enum kind kind) {
    return kind == KIND_F32 || kind == KIND_F64 || kind == KIND_F16;
}

/* The reduction and precision names, in the order of their C values. */
static const char *const reduction_names[] = {"none", "sum", "mean", NULL};
static const char *const precision_names[] = {"exact", "fast", NULL};

/* `o` as the front end would take a real without converting anything it cannot: an exact float,
 * or an exact int (float(int), which is PyLong_AsDouble). 0 on success, -1 (no error set) else. */
static int plain_real(PyObject *o, double *value) {
    if (PyFloat_CheckExact(o)) {
        *value = PyFloat_AS_DOUBLE(o);
        return 0;
    }
    if (PyLong_CheckExact(o)) {
        *value = PyLong_AsDouble(o);
        if (*value == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            return -1;
        }
        return 0;
    }
    return -1;
}

/* An exact int within [low, high]; 0 on success, -1 (no error set) else. */
static int plain_integer(PyObject *o, long long low, long long high, long long *value) {
    int overflow = 0;
    if (!PyLong_CheckExact(o)) return -1;
    *value = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow || (*value == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return -1;
    }
    return *value >= low && *value <= high ? 0 : -1;
}

/* The index of exact str `o` in `names`, or -1. */
static int plain_choice(PyObject *o, const char *const *names) {
    int i;
    if (!PyUnicode_CheckExact(o)) return -1;
    for (i = 0; names[i]; ++i) {
        if (PyUnicode_CompareWithASCIIString(o, names[i]) == 0) return i;
    }
    if (PyErr_Occurred()) PyErr_Clear();
    return -1;
}

/* Slot `i` of `b` from an exact, C-contiguous numpy.ndarray `o`; -1 (no error set) otherwise. */
static int plain_array(buffers *b, int i, PyObject *o, int writable, enum kind *kind) {
    if ((PyObject *)Py_TYPE(o) != ndarray_type) return -1;
    if (PyObject_GetBuffer(o, &b->views[i], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) != 0) {
        PyErr_Clear();
        return -1;
    }
    b->held[i] = 1;
    *kind = buffer_kind(&b->views[i]);
    return 0;
}

/* numpy.empty(shape, dtype) of `kind`, in slot `i` of `b`, or NULL with the error set. */
static PyObject *plain_output(buffers *b, int i, PyObject *shape, enum kind kind) {
    PyObject *dtype = kind == KIND_F32 ? dtype_f32 : kind == KIND_F64 ? dtype_f64 : dtype_f16;
    PyObject *array = PyObject_CallFunctionObjArgs(numpy_empty, shape, dtype, NULL);
    enum kind found;
    if (!array) return NULL;
    if (plain_array(b, i, array, 1, &found) != 0 || found != kind) {
        Py_DECREF(array);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "numpy.empty gave an unexpected array");
        return NULL;
    }
    return array;
}

/* The front end's return value from the outputs (consumed): the loss array or its element 0,
 * and the gradient with return_grad. */
static PyObject *plain_result(PyObject *loss, int reduced, PyObject *grad) {
    PyObject *value = loss;
    if (reduced) {
        value = PySequence_GetItem(loss, 0);
        Py_DECREF(loss);
        if (!value) {
            Py_XDECREF(grad);
            return NULL;
        }
    }
    if (!grad) return value;
    return Py_BuildValue("(NN)", value, grad);
}

/* sigmoid_plain(logits, targets, alpha, gamma, reduction, normalizer, return_grad, num_threads,
 * precision[, weights, return_stats[, poly1_epsilon]]): focalloss.sigmoid_focal_loss's result, or
 * NotImplemented. */
static PyObject *ext_sigmoid_plain(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    buffers b;
    enum kind kind, target_kind;
    double alpha = -1.0, gamma, normalizer = 0.0, poly1 = 0.0;
    long long threads = 0;
    int reduction, precision, use_normalizer = 0, return_grad, i;
    PyObject *shape = NULL, *loss = NULL, *grad = NULL;
    focal_sigmoid_options options;
    focal_status status;
    (void)self;
    if (nargs != 9 && nargs != 11 && nargs != 12) {
        PyErr_SetString(PyExc_TypeError, "sigmoid_plain takes 9 arguments, or 11 with weights and return_stats, "
                                         "or 12 with poly1_epsilon");
        return NULL;
    }
    /* Weights or statistics: the _weighted function, through the front end. */
    if (nargs >= 11 && (args[9] != Py_None || args[10] != Py_False)) Py_RETURN_NOTIMPLEMENTED;
    memset(&b, 0, sizeof b);
    if ((nargs == 12 && plain_real(args[11], &poly1) != 0) ||
        (args[2] != Py_None && plain_real(args[2], &alpha) != 0) || plain_real(args[3], &gamma) != 0 ||
        (reduction = plain_choice(args[4], reduction_names)) < 0 ||
        (args[5] != Py_None && (use_normalizer = 1, plain_real(args[5], &normalizer) != 0)) ||
        (args[6] != Py_True && args[6] != Py_False) ||
        (args[7] != Py_None && plain_integer(args[7], -2147483647LL - 1, 2147483647LL, &threads) != 0) ||
        (precision = plain_choice(args[8], precision_names)) < 0) {
        goto not_plain;
    }
    return_grad = args[6] == Py_True;
    if (plain_array(&b, 0, args[0], 0, &kind) != 0 || !plain_storage(kind) ||
        plain_array(&b, 1, args[1], 0, &target_kind) != 0 || target_kind != kind ||
        b.views[0].ndim != b.views[1].ndim) {
        goto not_plain;
    }
    for (i = 0; i < b.views[0].ndim; ++i) {
        if (b.views[0].shape[i] != b.views[1].shape[i]) goto not_plain;
    }
    if (!(shape = PyObject_GetAttr(args[0], shape_name)) ||
        !(loss = plain_output(&b, 2, reduction == FOCAL_REDUCTION_NONE ? shape : one, kind)) ||
        (return_grad && !(grad = plain_output(&b, 3, shape, kind)))) {
        goto fail;
    }
    options = sigmoid_options(reduction, alpha, gamma, -100, use_normalizer, normalizer, (int)threads, precision,
                              poly1);
    {
        int64_t count = (int64_t)(b.views[0].len / b.views[0].itemsize);
        const void *x = b.views[0].buf, *t = b.views[1].buf;
        void *l = b.views[2].buf, *d = grad ? b.views[3].buf : NULL;
        Py_BEGIN_ALLOW_THREADS
        STORAGE_CALL(status, kind, sigmoid_, , &options, count, x, t, NULL, l, d);
        Py_END_ALLOW_THREADS
    }
    release_all(&b);
    Py_DECREF(shape);
    if (status != FOCAL_OK) {
        Py_DECREF(loss);
        Py_XDECREF(grad);
        Py_RETURN_NOTIMPLEMENTED;
    }
    return plain_result(loss, reduction != FOCAL_REDUCTION_NONE, grad);
not_plain:
    release_all(&b);
    Py_RETURN_NOTIMPLEMENTED;
fail:
    release_all(&b);
    Py_XDECREF(shape);
    Py_XDECREF(loss);
    Py_XDECREF(grad);
    return NULL;
}

/* softmax_plain(logits, targets, alpha, gamma, reduction, ignore_index, label_smoothing,
 * normalizer, return_grad, num_threads, precision[, weights, return_stats[, poly1_epsilon]]):
 * focalloss.softmax_focal_loss's result for alpha=None, or NotImplemented. */
static PyObject *ext_softmax_plain(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    buffers b;
    enum kind kind, target_kind;
    double gamma, label_smoothing, normalizer = 0.0, poly1 = 0.0;
    long long threads = 0, ignore_index, inner = 1;
    int reduction, precision, use_normalizer = 0, return_grad, i;
    PyObject *shape = NULL, *targets_shape = NULL, *loss = NULL, *grad = NULL;
    focal_softmax_options options;
    focal_status status;
    (void)self;
    if (nargs != 11 && nargs != 13 && nargs != 14) {
        PyErr_SetString(PyExc_TypeError, "softmax_plain takes 11 arguments, or 13 with weights and return_stats, "
                                         "or 14 with poly1_epsilon");
        return NULL;
    }
    /* Weights or statistics: the _weighted function, through the front end. */
    if (nargs >= 13 && (args[11] != Py_None || args[12] != Py_False)) Py_RETURN_NOTIMPLEMENTED;
    memset(&b, 0, sizeof b);
    if ((nargs == 14 && plain_real(args[13], &poly1) != 0) || args[2] != Py_None ||
        plain_real(args[3], &gamma) != 0 ||
        (reduction = plain_choice(args[4], reduction_names)) < 0 ||
        plain_integer(args[5], LLONG_MIN, LLONG_MAX, &ignore_index) != 0 || plain_real(args[6], &label_smoothing) != 0 ||
        (args[7] != Py_None && (use_normalizer = 1, plain_real(args[7], &normalizer) != 0)) ||
        (args[8] != Py_True && args[8] != Py_False) ||
        (args[9] != Py_None && plain_integer(args[9], -2147483647LL - 1, 2147483647LL, &threads) != 0) ||
        (precision = plain_choice(args[10], precision_names)) < 0) {
        goto not_plain;
    }
    return_grad = args[8] == Py_True;
    /* Logits (N, C, d1, ...), targets (N, d1, ...). */
    if (plain_array(&b, 0, args[0], 0, &kind) != 0 || !plain_storage(kind) ||
        b.views[0].ndim < 2 || plain_array(&b, 1, args[1], 0, &target_kind) != 0 ||
        (target_kind != KIND_I32 && target_kind != KIND_I64) || b.views[1].ndim != b.views[0].ndim - 1 ||
        b.views[1].shape[0] != b.views[0].shape[0]) {
        goto not_plain;
    }
    for (i = 2; i < b.views[0].ndim; ++i) {
        if (b.views[1].shape[i - 1] != b.views[0].shape[i]) goto not_plain;
        inner *= b.views[0].shape[i];
    }
    if (!(shape = PyObject_GetAttr(args[0], shape_name)) || !(targets_shape = PyObject_GetAttr(args[1], shape_name)) ||
        !(loss = plain_output(&b, 2, reduction == FOCAL_REDUCTION_NONE ? targets_shape : one, kind)) ||
        (return_grad && !(grad = plain_output(&b, 3, shape, kind)))) {
        goto fail;
    }
    options = softmax_options(reduction, gamma, NULL, ignore_index, label_smoothing, use_normalizer, normalizer,
                              (int)threads, precision, poly1);
    {
        int64_t batch = (int64_t)b.views[0].shape[0], classes = (int64_t)b.views[0].shape[1];
        const void *x = b.views[0].buf, *y = b.views[1].buf;
        void *l = b.views[2].buf, *d = grad ? b.views[3].buf : NULL;
        Py_BEGIN_ALLOW_THREADS
        LABELED_CALL(status, kind, target_kind, softmax_, &options, batch, classes, inner, x, y, NULL, l, d);
        Py_END_ALLOW_THREADS
    }
    release_all(&b);
    Py_DECREF(shape);
    Py_DECREF(targets_shape);
    if (status != FOCAL_OK) {
        Py_DECREF(loss);
        Py_XDECREF(grad);
        Py_RETURN_NOTIMPLEMENTED;
    }
    return plain_result(loss, reduction != FOCAL_REDUCTION_NONE, grad);
not_plain:
    release_all(&b);
    Py_RETURN_NOTIMPLEMENTED;
fail:
    release_all(&b);
    Py_XDECREF(shape);
    Py_XDECREF(targets_shape);
    Py_XDECREF(loss);
    Py_XDECREF(grad);
    return NULL;
}

/* The numpy objects the plain calls use; 0 on success, -1 with the error set. */
static int plain_init(void) {
    PyObject *numpy = PyImport_ImportModule("numpy");
    if (!numpy) return -1;
    ndarray_type = PyObject_GetAttrString(numpy, "ndarray");
    numpy_empty = PyObject_GetAttrString(numpy, "empty");
    dtype_f32 = ndarray_type && numpy_empty ? PyObject_CallMethod(numpy, "dtype", "s", "float32") : NULL;
    dtype_f64 = dtype_f32 ? PyObject_CallMethod(numpy, "dtype", "s", "float64") : NULL;
    dtype_f16 = dtype_f64 ? PyObject_CallMethod(numpy, "dtype", "s", "float16") : NULL;
    Py_DECREF(numpy);
    one = dtype_f16 ? PyLong_FromLong(1) : NULL;
    shape_name = one ? PyUnicode_InternFromString("shape") : NULL;
    return shape_name ? 0 : -1;
}

static PyObject *ext_version_number(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyLong_FromUnsignedLong(focal_version_number());
}

static PyMethodDef methods[] = {
    {"sigmoid", ext_sigmoid, METH_VARARGS, "sigmoid(logits, targets, grad_loss, loss, grad, reduction, alpha, gamma, "
                                           "use_normalizer, normalizer, num_threads, precision, poly1_epsilon) -> "
                                           "(status, message)"},
    {"softmax", ext_softmax, METH_VARARGS, "softmax(logits, targets, batch, classes, inner, grad_loss, loss, grad, "
                                           "reduction, gamma, alpha, ignore_index, label_smoothing, use_normalizer, "
                                           "normalizer, num_threads, precision, poly1_epsilon) -> (status, message)"},
    {"sigmoid_labels", ext_sigmoid_labels, METH_VARARGS,
     "sigmoid_labels(logits, labels, batch, classes, inner, grad_loss, loss, grad, reduction, alpha, gamma, "
     "ignore_index, use_normalizer, normalizer, num_threads, precision, poly1_epsilon) -> (status, message)"},
    {"sigmoid_weighted", ext_sigmoid_weighted, METH_VARARGS,
     "sigmoid_weighted(logits, targets, batch, classes, inner, weights, layout, grad_loss, loss, grad, stats, "
     "reduction, alpha, gamma, use_normalizer, normalizer, num_threads, precision, poly1_epsilon) -> "
     "(status, message)"},
    {"sigmoid_labels_weighted", ext_sigmoid_labels_weighted, METH_VARARGS,
     "sigmoid_labels_weighted(logits, labels, batch, classes, inner, weights, layout, grad_loss, loss, grad, stats, "
     "reduction, alpha, gamma, ignore_index, use_normalizer, normalizer, num_threads, precision, poly1_epsilon) -> "
     "(status, message)"},
    {"softmax_weighted", ext_softmax_weighted, METH_VARARGS,
     "softmax_weighted(logits, targets, batch, classes, inner, weights, grad_loss, loss, grad, stats, reduction, "
     "gamma, alpha, ignore_index, label_smoothing, use_normalizer, normalizer, num_threads, precision, "
     "poly1_epsilon) -> (status, message)"},
    {"sigmoid_family", ext_sigmoid_family, METH_VARARGS,
     "sigmoid_family(kind, logits, targets, batch, classes, inner, weights, layout, grad_loss, loss, grad, stats, "
     "reduction, p0, p1, p2, flag, use_normalizer, normalizer, num_threads, precision) -> (status, message)"},
    {"sigmoid_grad_hess", ext_sigmoid_grad_hess, METH_VARARGS,
     "sigmoid_grad_hess(logits, targets, batch, classes, inner, weights, layout, grad, hess, hessian, alpha, gamma, "
     "num_threads, precision) -> (status, message)"},
    {"softmax_grad_hess", ext_softmax_grad_hess, METH_VARARGS,
     "softmax_grad_hess(logits, targets, batch, classes, inner, weights, grad, hess, hessian, gamma, alpha, "
     "ignore_index, num_threads, precision) -> (status, message)"},
    {"sigmoid_init_score", ext_sigmoid_init_score, METH_VARARGS,
     "sigmoid_init_score(targets, batch, classes, inner, weights, layout, scores, alpha, gamma, num_threads) -> "
     "(status, message)"},
    {"softmax_init_score", ext_softmax_init_score, METH_VARARGS,
     "softmax_init_score(targets, batch, classes, inner, weights, scores, gamma, alpha, ignore_index, num_threads) -> "
     "(status, message)"},
    {"sigmoid_plain", (PyCFunction)(void (*)(void))ext_sigmoid_plain, METH_FASTCALL,
     "sigmoid_plain(logits, targets, alpha, gamma, reduction, normalizer, return_grad, num_threads, precision"
     "[, weights, return_stats[, poly1_epsilon]]) -> focalloss.sigmoid_focal_loss's result, or NotImplemented "
     "outside the plain case"},
    {"softmax_plain", (PyCFunction)(void (*)(void))ext_softmax_plain, METH_FASTCALL,
     "softmax_plain(logits, targets, alpha, gamma, reduction, ignore_index, label_smoothing, normalizer, "
     "return_grad, num_threads, precision[, weights, return_stats[, poly1_epsilon]]) -> "
     "focalloss.softmax_focal_loss's result, or NotImplemented outside the plain case"},
    {"version_number", ext_version_number, METH_NOARGS, "focal_version_number() of the loaded library"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "focalloss._ext", "CPython extension backend of focalloss.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__ext(void) {
    unsigned long library = focal_version_number();
    PyObject *m;
    if (library != (unsigned long)FOCAL_VERSION_NUMBER) {
        PyErr_Format(PyExc_ImportError,
                     "focalloss._ext was built for libfocalloss version number %d but loaded version number %lu",
                     FOCAL_VERSION_NUMBER, library);
        return NULL;
    }
    if (plain_init() != 0) return NULL;
    m = PyModule_Create(&module);
    if (m && (PyModule_AddIntConstant(m, "HEADER_VERSION_NUMBER", FOCAL_VERSION_NUMBER) != 0 ||
              PyModule_AddStringConstant(m, "name", "extension") != 0)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
