/*
 * _ext.c: the CPython extension backend of focalloss.
 *
 * A thin shim over include/focalloss.h: it takes buffers (numpy arrays) whose dtypes and
 * shapes the Python front end (_frontend.py) has already checked, checks again what a
 * buffer can say about itself (format, item size, contiguity, writability), releases the
 * GIL around the native call, and returns (status, message). Every buffer is released on
 * every path. The module refuses to import against a library of another version.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "focalloss.h"

/* The element kinds a buffer may hold. */
enum kind { KIND_F32, KIND_F64, KIND_I32, KIND_I64, KIND_OTHER };

static enum kind buffer_kind(const Py_buffer *view) {
    const char *f = view->format ? view->format : "B";
    /* numpy writes native-order formats with an optional '=', '@' or '<' prefix. */
    if (*f == '@' || *f == '=' || *f == '<') ++f;
    if (f[0] == '\0' || f[1] != '\0') return KIND_OTHER;
    switch (f[0]) {
    case 'f': return view->itemsize == 4 ? KIND_F32 : KIND_OTHER;
    case 'd': return view->itemsize == 8 ? KIND_F64 : KIND_OTHER;
    case 'i': case 'l': case 'q':
        return view->itemsize == 4 ? KIND_I32 : view->itemsize == 8 ? KIND_I64 : KIND_OTHER;
    default: return KIND_OTHER;
    }
}

/* Buffers of one call, released together. */
typedef struct {
    Py_buffer views[6];
    int held[6];
} buffers;

static void release_all(buffers *b) {
    int i;
    for (i = 0; i < 6; ++i) {
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

/* Acquires slot `i` from `obj`, C-contiguous, holding one of the kinds `a` or `b` (the logits:
 * float32 or float64; softmax targets: int32 or int64), and reports which. */
static int acquire_either(buffers *b, int i, PyObject *obj, const char *name, enum kind a, enum kind c,
                          const char *kinds, void **data, enum kind *found) {
    if (PyObject_GetBuffer(obj, &b->views[i], PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous buffer", name);
        return -1;
    }
    b->held[i] = 1;
    *found = buffer_kind(&b->views[i]);
    if (*found != a && *found != c) {
        PyErr_Format(PyExc_TypeError, "%s must hold %s", name, kinds);
        return -1;
    }
    *data = b->views[i].buf;
    return 0;
}

/* (status, message): the message is the library's, read on this thread right after the call. */
static PyObject *result(focal_status status) {
    if (status == FOCAL_OK) return Py_BuildValue("(iO)", (int)status, Py_None);
    return Py_BuildValue("(is)", (int)status, focal_last_error_message());
}

static PyObject *ext_sigmoid(PyObject *self, PyObject *args) {
    PyObject *logits, *targets, *grad_loss, *loss, *grad;
    int reduction, use_normalizer, num_threads, precision;
    double alpha, gamma, normalizer;
    buffers b;
    void *x, *t, *g, *l, *d;
    Py_ssize_t count;
    enum kind kind;
    focal_sigmoid_options options;
    focal_status status;
    (void)self;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "OOOOOiddidii", &logits, &targets, &grad_loss, &loss, &grad, &reduction, &alpha,
                          &gamma, &use_normalizer, &normalizer, &num_threads, &precision)) {
        return NULL;
    }
    /* The logits decide the dtype; everything else must match it. */
    if (acquire_either(&b, 0, logits, "logits", KIND_F32, KIND_F64, "float32 or float64", &x, &kind)) goto fail;
    count = b.views[0].len / b.views[0].itemsize;
    if (acquire(&b, 1, targets, "targets", 0, 0, kind, &t) ||
        acquire(&b, 2, grad_loss, "grad_loss", 0, 1, kind, &g) ||
        acquire(&b, 3, loss, "loss", 1, 0, kind, &l) ||
        acquire(&b, 4, grad, "grad", 1, 1, kind, &d)) {
        goto fail;
    }
    focal_sigmoid_options_init(&options, FOCAL_SIGMOID_OPTIONS_VERSION);
    options.reduction = (focal_reduction)reduction;
    options.alpha = alpha;
    options.gamma = gamma;
    options.use_normalizer = use_normalizer;
    options.normalizer = normalizer;
    options.num_threads = num_threads;
    options.precision = (focal_precision)precision;
    Py_BEGIN_ALLOW_THREADS
    status = kind == KIND_F32
        ? focal_sigmoid_f32(&options, (int64_t)count, (const float *)x, (const float *)t, (const float *)g, (float *)l, (float *)d)
        : focal_sigmoid_f64(&options, (int64_t)count, (const double *)x, (const double *)t, (const double *)g, (double *)l, (double *)d);
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
    double gamma, label_smoothing, normalizer;
    buffers b;
    void *x, *y, *g, *l, *d, *a;
    enum kind kind, target_kind;
    focal_softmax_options options;
    focal_status status = FOCAL_OK;
    (void)self;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "OOLLLOOOidOLdidii", &logits, &targets, &batch, &classes, &inner, &grad_loss, &loss,
                          &grad, &reduction, &gamma, &alpha, &ignore_index, &label_smoothing, &use_normalizer,
                          &normalizer, &num_threads, &precision)) {
        return NULL;
    }
    if (acquire_either(&b, 0, logits, "logits", KIND_F32, KIND_F64, "float32 or float64", &x, &kind) ||
        acquire_either(&b, 1, targets, "targets", KIND_I32, KIND_I64, "int32 or int64", &y, &target_kind) ||
        acquire(&b, 2, grad_loss, "grad_loss", 0, 1, kind, &g) ||
        acquire(&b, 3, loss, "loss", 1, 0, kind, &l) ||
        acquire(&b, 4, grad, "grad", 1, 1, kind, &d) ||
        acquire(&b, 5, alpha, "alpha", 0, 1, KIND_F64, &a)) {
        goto fail;
    }
    focal_softmax_options_init(&options, FOCAL_SOFTMAX_OPTIONS_VERSION);
    options.reduction = (focal_reduction)reduction;
    options.gamma = gamma;
    options.alpha = (const double *)a;
    options.ignore_index = (int64_t)ignore_index;
    options.label_smoothing = label_smoothing;
    options.use_normalizer = use_normalizer;
    options.normalizer = normalizer;
    options.num_threads = num_threads;
    options.precision = (focal_precision)precision;
    Py_BEGIN_ALLOW_THREADS
    if (kind == KIND_F32 && target_kind == KIND_I64) {
        status = focal_softmax_f32_i64(&options, batch, classes, inner, (const float *)x, (const int64_t *)y,
                                       (const float *)g, (float *)l, (float *)d);
    } else if (kind == KIND_F32) {
        status = focal_softmax_f32_i32(&options, batch, classes, inner, (const float *)x, (const int32_t *)y,
                                       (const float *)g, (float *)l, (float *)d);
    } else if (target_kind == KIND_I64) {
        status = focal_softmax_f64_i64(&options, batch, classes, inner, (const double *)x, (const int64_t *)y,
                                       (const double *)g, (double *)l, (double *)d);
    } else {
        status = focal_softmax_f64_i32(&options, batch, classes, inner, (const double *)x, (const int32_t *)y,
                                       (const double *)g, (double *)l, (double *)d);
    }
    Py_END_ALLOW_THREADS
    release_all(&b);
    return result(status);
fail:
    release_all(&b);
    return NULL;
}

static PyObject *ext_version_number(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyLong_FromUnsignedLong(focal_version_number());
}

static PyMethodDef methods[] = {
    {"sigmoid", ext_sigmoid, METH_VARARGS, "sigmoid(logits, targets, grad_loss, loss, grad, reduction, alpha, gamma, "
                                           "use_normalizer, normalizer, num_threads) -> (status, message)"},
    {"softmax", ext_softmax, METH_VARARGS, "softmax(logits, targets, batch, classes, inner, grad_loss, loss, grad, "
                                           "reduction, gamma, alpha, ignore_index, label_smoothing, use_normalizer, "
                                           "normalizer, num_threads) -> (status, message)"},
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
    m = PyModule_Create(&module);
    if (m && (PyModule_AddIntConstant(m, "HEADER_VERSION_NUMBER", FOCAL_VERSION_NUMBER) != 0 ||
              PyModule_AddStringConstant(m, "name", "extension") != 0)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
