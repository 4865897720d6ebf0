/*
 * focalloss.h: the focal loss (Lin et al., "Focal Loss for Dense Object
 * Detection") and its gradient, fused in one pass.
 *
 * This is the one public header of libfocalloss.so. It is plain C99 and
 * compiles as C++ as well. The library behind it needs no Swift runtime.
 *
 * Conventions shared by every entry point
 * ---------------------------------------
 * - Every function that can fail returns a focal_status. FOCAL_OK (0) is
 *   success; every other value is an error, explained by
 *   focal_status_string() (static text) and focal_last_error_message()
 *   (a sentence naming the bad argument, kept per thread).
 * - On any error NOTHING is written to any output buffer: every argument and
 *   every target value is validated before the first write.
 * - Sizes are int64_t element counts. Negative sizes, products that overflow
 *   int64_t, and buffers whose size in bytes does not fit the address space
 *   are errors (FOCAL_ERROR_INVALID_SHAPE).
 * - A pointer to an array may be NULL only where that array has no elements,
 *   unless its documentation says what NULL means.
 * - Output buffers must not overlap any input buffer or each other
 *   (FOCAL_ERROR_OVERLAPPING_BUFFERS). Inputs may overlap each other.
 * - No pointer is kept after a function returns; the caller owns every buffer.
 * - Every function is reentrant and thread-safe; the library has no global
 *   mutable state. num_threads in the options selects the parallelism of one
 *   call (0 = library default, 1 = the caller's thread only); results are
 *   bitwise identical for every num_threads.
 * - Arrays are dense, row-major (C order), of the element type in the
 *   function's name: f32 = float, f64 = double, i32 = int32_t, i64 = int64_t,
 *   f16 = focal_f16 (IEEE binary16), bf16 = focal_bf16 (bfloat16).
 */
#ifndef FOCALLOSS_H
#define FOCALLOSS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Versions                                                                  */
/* ------------------------------------------------------------------------ */

#define FOCAL_VERSION_MAJOR 0
#define FOCAL_VERSION_MINOR 1
#define FOCAL_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH, e.g. 100 for 0.1.0. */
#define FOCAL_VERSION_NUMBER \
    (FOCAL_VERSION_MAJOR * 10000 + FOCAL_VERSION_MINOR * 100 + FOCAL_VERSION_PATCH)
#define FOCAL_VERSION_STRING "0.1.0"

/* The FOCAL_VERSION_NUMBER the library was built with. A binding compares it
 * with the number it was written for and refuses a mismatch. Never fails. */
uint32_t focal_version_number(void);

/* The library's version as static, NUL-terminated text, e.g. "0.1.0".
 * Never NULL, never to be freed. */
const char *focal_version_string(void);

/* ------------------------------------------------------------------------ */
/* Half-precision storage                                                    */
/* ------------------------------------------------------------------------ */

/* The 16-bit storage types of the _f16 and _bf16 functions, as bit patterns
 * wrapped in distinct structs (C99 has no half type, and the wrapping keeps
 * the two apart): focal_f16 is IEEE 754 binary16 (_Float16, __fp16,
 * numpy.float16, torch.float16), focal_bf16 is bfloat16 (the upper half of a
 * binary32: __bf16, ml_dtypes.bfloat16, torch.bfloat16). An array of either
 * has the layout of an array of uint16_t; cast a pointer to such an array to
 * pass it. The functions compute in float32 or double and round each result
 * once to the storage type (to nearest, ties to even); sums accumulate in
 * double. */
typedef struct focal_f16 { uint16_t bits; } focal_f16;
typedef struct focal_bf16 { uint16_t bits; } focal_bf16;

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/* Status codes. The numeric values are stable: they never change meaning. */
typedef enum focal_status {
    FOCAL_OK = 0,
    /* A pointer that must not be NULL is NULL. */
    FOCAL_ERROR_NULL_POINTER = 1,
    /* A size is negative, zero where at least one is needed (classes), or
     * too large: its product overflows int64_t or its bytes the address
     * space. */
    FOCAL_ERROR_INVALID_SHAPE = 2,
    /* A target is outside its range: sigmoid targets outside [0, 1] or NaN;
     * softmax targets outside [0, classes) that are not ignore_index. */
    FOCAL_ERROR_TARGET_OUT_OF_RANGE = 3,
    /* alpha is NaN or outside [0, 1] (sigmoid; -1 disables), or a per-class
     * weight is negative, NaN or infinite (softmax). */
    FOCAL_ERROR_INVALID_ALPHA = 4,
    /* gamma is negative, NaN or infinite. */
    FOCAL_ERROR_INVALID_GAMMA = 5,
    /* label_smoothing is outside [0, 1] or NaN. */
    FOCAL_ERROR_INVALID_LABEL_SMOOTHING = 6,
    /* normalizer is <= 0, NaN or infinite, or is set with a reduction other
     * than FOCAL_REDUCTION_MEAN. */
    FOCAL_ERROR_INVALID_NORMALIZER = 7,
    /* reduction is not one of the focal_reduction values. */
    FOCAL_ERROR_INVALID_REDUCTION = 8,
    /* The options (or stats) struct's version is not one this library
     * knows. */
    FOCAL_ERROR_INVALID_OPTIONS_VERSION = 9,
    /* num_threads is negative. */
    FOCAL_ERROR_INVALID_THREAD_COUNT = 10,
    /* An output buffer overlaps an input buffer or another output. */
    FOCAL_ERROR_OVERLAPPING_BUFFERS = 11,
    /* precision is not one of the focal_precision values. */
    FOCAL_ERROR_INVALID_PRECISION = 12,
    /* A weight (the weights of the _weighted functions) is negative, NaN or
     * infinite. */
    FOCAL_ERROR_INVALID_WEIGHT = 13,
    /* hessian (the _grad_hess functions) is not one of the focal_hessian
     * values. */
    FOCAL_ERROR_INVALID_HESSIAN = 14,
    /* A loss parameter other than alpha and gamma is out of its range (the
     * message names it): poly1_epsilon, beta, margin; or a parameter is set
     * where the function does not support it (poly1_epsilon other than 0 with
     * label smoothing, or with the _grad_hess and _init_score functions). */
    FOCAL_ERROR_INVALID_PARAMETER = 15
} focal_status;

/* A static, NUL-terminated name and one-line description of a status, e.g.
 * "FOCAL_ERROR_INVALID_GAMMA: gamma must be finite and >= 0". Unknown values
 * give "FOCAL_ERROR_UNKNOWN: unknown status". Never NULL, never to be freed. */
const char *focal_status_string(focal_status status);

/* The message of the most recent failed call made on the calling thread: one
 * sentence naming the argument and, for a bad target, its index and value,
 * e.g. "targets[37] = 80 is out of range: expected 0 <= target < 80 or
 * ignore_index (-100)". "no error" before the first failure. A successful
 * call leaves the message as it was. Never NULL; the text belongs to the
 * thread and stays valid until that thread's next failed call or its exit.
 * Never to be freed. */
const char *focal_last_error_message(void);

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

/* How per-element losses become the output. */
typedef enum focal_reduction {
    /* One loss per element (sigmoid) or per target position (softmax;
     * ignored positions give 0). */
    FOCAL_REDUCTION_NONE = 0,
    /* The sum of all losses. */
    FOCAL_REDUCTION_SUM = 1,
    /* The sum divided by: the element count (sigmoid, as torchvision);
     * the sum of alpha[y_i] over non-ignored targets, i.e. their count when
     * alpha is NULL (softmax, as torch.nn.functional.cross_entropy); or the
     * normalizer when use_normalizer is set. When that divisor is 0 (empty
     * input, every target ignored, or zero total weight) the mean is undefined:
     * the loss is NaN and so is the gradient of every non-ignored element, as
     * in PyTorch; ignored positions still get 0. */
    FOCAL_REDUCTION_MEAN = 2
} focal_reduction;

/* The precision tier of a call (the options' `precision` field, version 2).
 * Both tiers keep every numerical guarantee of this header: log space, finite
 * for every finite logit and every gamma >= 0, limits at infinite logits, a
 * NaN local to its element, bitwise identical results for every num_threads.
 * They differ in the error bound and the speed (docs/accuracy.md states each
 * bound and the command that measures it; docs/performance.md the speeds). */
typedef enum focal_precision {
    /* The default: float32 results within 2 ulps of the exact value (about
     * half an ulp in practice), arithmetic in double. */
    FOCAL_PRECISION_EXACT = 0,
    /* float32 arithmetic (16 lanes per AVX-512 register) where it applies:
     * the f32 sigmoid's elements with hard targets (0 or 1), and the f32
     * softmax's per-element exponentials and gradients, within 16 ulps for
     * gamma <= 5 (loss and gradient). f64 calls, sigmoid blocks holding a
     * soft target and softmax calls with label smoothing compute as
     * FOCAL_PRECISION_EXACT. */
    FOCAL_PRECISION_FAST = 1
} focal_precision;

/* alpha value that disables the sigmoid's class balancing (torchvision's -1). */
#define FOCAL_ALPHA_DISABLED (-1.0)

/* The options struct versions this header describes. Version 2 appended
 * `precision`; a struct of version 1 (the fields before it, as an older
 * header declared them) is still accepted, read only up to its own end, and
 * computes with FOCAL_PRECISION_EXACT. focal_sigmoid_options version 3
 * appended `ignore_index` (for the labels functions); a version 2 struct
 * gets its default, -100. Version 4 of focal_sigmoid_options and version 3
 * of focal_softmax_options appended `poly1_epsilon`; an older struct gets 0
 * (the plain focal loss). */
#define FOCAL_SIGMOID_OPTIONS_VERSION 4
#define FOCAL_SOFTMAX_OPTIONS_VERSION 3

/* Options of the sigmoid focal loss. Initialise with
 * focal_sigmoid_options_init() or FOCAL_SIGMOID_OPTIONS_INIT, then set the
 * fields you need; new fields are only ever appended, under a new version. */
typedef struct focal_sigmoid_options {
    /* FOCAL_SIGMOID_OPTIONS_VERSION. */
    uint32_t version;
    /* Default FOCAL_REDUCTION_NONE (torchvision's default). */
    focal_reduction reduction;
    /* Weight of the positive class, in [0, 1]; FOCAL_ALPHA_DISABLED (-1)
     * disables weighting. Default 0.25. */
    double alpha;
    /* Focusing parameter, finite and >= 0 (any real). Default 2. */
    double gamma;
    /* Non-zero: divide the sum by `normalizer` instead of the element count.
     * Only with FOCAL_REDUCTION_MEAN. Default 0. */
    int32_t use_normalizer;
    /* The divisor when use_normalizer is set: finite and > 0 (e.g. the
     * number of positive anchors, all-reduced over ranks). Default 0. */
    double normalizer;
    /* Threads for this call: 0 = library default (the online CPU count),
     * 1 = the caller's thread only. Must be >= 0. Default 0. */
    int32_t num_threads;
    /* Non-zero: add the gradient into grad_logits (accumulation over
     * micro-batches); zero: overwrite it. Default 0. */
    int32_t accumulate_grad;
    /* Version 2. The precision tier. Default FOCAL_PRECISION_EXACT. */
    focal_precision precision;
    /* Version 3. The labels functions (focal_sigmoid_labels_*) only: a label
     * equal to this leaves its position out. Default -100 (mmdet's, torch's). */
    int64_t ignore_index;
    /* Version 4. Poly-1 (Leng et al., ICLR 2022): the loss becomes
     *     alpha_t * BCE * (1 - p_t)^gamma + poly1_epsilon * (1 - p_t)^(gamma + 1)
     * (alpha_t weighs the focal term only, as the paper's code). Finite and
     * >= -1 / (gamma + 1); 0 (the default) is the focal loss, bit for bit.
     * The _grad_hess and _init_score functions need 0. */
    double poly1_epsilon;
} focal_sigmoid_options;

#define FOCAL_SIGMOID_OPTIONS_INIT \
    { FOCAL_SIGMOID_OPTIONS_VERSION, FOCAL_REDUCTION_NONE, 0.25, 2.0, 0, 0.0, 0, 0, FOCAL_PRECISION_EXACT, -100, 0.0 }

/* Options of the softmax focal loss. Initialise with
 * focal_softmax_options_init() or FOCAL_SOFTMAX_OPTIONS_INIT. */
typedef struct focal_softmax_options {
    /* FOCAL_SOFTMAX_OPTIONS_VERSION. */
    uint32_t version;
    /* Default FOCAL_REDUCTION_MEAN (cross_entropy's default). */
    focal_reduction reduction;
    /* Focusing parameter, finite and >= 0 (any real). Default 2.
     * gamma = 0 is exactly torch.nn.functional.cross_entropy. */
    double gamma;
    /* NULL (default: every class weighs 1) or `classes` per-class weights,
     * each finite and >= 0 (cross_entropy's `weight`). Read during the call
     * only. kornia's scalar alpha a is the vector {1 - a, a, a, ...}. */
    const double *alpha;
    /* Targets equal to this value contribute 0 to the loss and gradient and
     * are left out of the mean's divisor. Default -100. */
    int64_t ignore_index;
    /* Label smoothing eps in [0, 1]: the target distribution is
     * (1 - eps) * onehot(y) + eps / classes. Default 0. */
    double label_smoothing;
    /* Non-zero: divide the sum by `normalizer` instead of the sum of target
     * weights. Only with FOCAL_REDUCTION_MEAN. Default 0. */
    int32_t use_normalizer;
    /* The divisor when use_normalizer is set: finite and > 0. Default 0. */
    double normalizer;
    /* As in focal_sigmoid_options. Default 0. */
    int32_t num_threads;
    /* As in focal_sigmoid_options. Default 0. */
    int32_t accumulate_grad;
    /* Version 2. As in focal_sigmoid_options. Default FOCAL_PRECISION_EXACT. */
    focal_precision precision;
    /* Version 3. Poly-1: each position's loss becomes
     *     a_y (1 - p_y)^gamma (-log p_y) + poly1_epsilon * (1 - p_y)^(gamma + 1)
     * (a_y weighs the focal term only; the mean's divisor is unchanged).
     * Finite and >= -1 / (gamma + 1); 0 (the default) is the focal loss, bit
     * for bit. Needs label_smoothing = 0; the _grad_hess and _init_score
     * functions need 0. */
    double poly1_epsilon;
} focal_softmax_options;

#define FOCAL_SOFTMAX_OPTIONS_INIT \
    { FOCAL_SOFTMAX_OPTIONS_VERSION, FOCAL_REDUCTION_MEAN, 2.0, 0, -100, 0.0, 0, 0.0, 0, 0, FOCAL_PRECISION_EXACT, 0.0 }

/* Fill *options with the defaults above for the given struct version
 * (pass FOCAL_SIGMOID_OPTIONS_VERSION; 1 to 4), writing only the fields that
 * version has. Errors: FOCAL_ERROR_NULL_POINTER,
 * FOCAL_ERROR_INVALID_OPTIONS_VERSION (nothing written). */
focal_status focal_sigmoid_options_init(focal_sigmoid_options *options, uint32_t version);

/* Fill *options with the defaults above for the given struct version
 * (pass FOCAL_SOFTMAX_OPTIONS_VERSION). Errors as focal_sigmoid_options_init. */
focal_status focal_softmax_options_init(focal_softmax_options *options, uint32_t version);

/* ------------------------------------------------------------------------ */
/* Weights and statistics (the _weighted functions)                          */
/* ------------------------------------------------------------------------ */

/* How the weights of a sigmoid _weighted function map onto the logits
 * (batch, classes, inner). */
typedef enum focal_weights_layout {
    /* One weight per logit: batch * classes * inner values, the logits'
     * layout. */
    FOCAL_WEIGHTS_PER_ELEMENT = 0,
    /* One weight per position (n, i): batch * inner values, weights[n * inner
     * + i], the same for every class of the position (mmdet's per-anchor
     * weight, a per-pixel weight). */
    FOCAL_WEIGHTS_PER_POSITION = 1
} focal_weights_layout;

/* The stats struct versions this header describes. */
#define FOCAL_STATS_VERSION 1

/* What a _weighted call reports besides the loss, for a data-parallel trainer
 * that all-reduces its counts once (docs/mpi.md). An output: the caller sets
 * `version` (FOCAL_STATS_INIT does) and the library fills the fields that
 * version has, after the loss, and only on success. */
typedef struct focal_stats {
    /* FOCAL_STATS_VERSION, set by the caller. */
    uint32_t version;
    /* The positives: the sum of the targets (sigmoid, unweighted: their
     * count for hard targets); the positions whose label is a class in
     * [0, classes) (sigmoid from labels); the sum of weight * alpha[y] over
     * the positions not ignored, the mean's own divisor (softmax). */
    double positives;
    /* The sum of the weights of what the loss covers: every element's weight
     * (sigmoid; a per-position weight counts once per class), the kept
     * elements' (sigmoid from labels), the non-ignored positions' (softmax).
     * Without weights, their count. */
    double weight_sum;
    /* The divisor the loss was divided by: the normalizer or the mean's
     * default divisor for FOCAL_REDUCTION_MEAN (0 when that mean is
     * undefined), 1 for NONE and SUM. */
    double divisor;
} focal_stats;

#define FOCAL_STATS_INIT { FOCAL_STATS_VERSION, 0.0, 0.0, 0.0 }

/* ------------------------------------------------------------------------ */
/* Sigmoid focal loss (binary and multi-label; torchvision's definition)     */
/* ------------------------------------------------------------------------ */

/* Per element, with p = sigmoid(x) and target t in [0, 1] (hard or soft):
 *
 *     p_t   = p t + (1 - p)(1 - t)
 *     alpha_t = alpha t + (1 - alpha)(1 - t)    (1 when alpha is disabled)
 *     loss  = alpha_t * BCEWithLogits(x, t) * (1 - p_t)^gamma
 *
 * equal to torchvision.ops.sigmoid_focal_loss, computed in log space so that
 * it stays finite and accurate for every finite logit and every gamma >= 0.
 *
 * options      NULL for the defaults (FOCAL_SIGMOID_OPTIONS_INIT).
 * count        number of elements, >= 0. Any shape: the layout is flat.
 * logits       count values. An infinite logit is taken as the limit: loss 0
 *              when it agrees with its target (+inf with t = 1, -inf with
 *              t = 0), +inf otherwise, and a finite gradient. A NaN logit
 *              gives a NaN loss and gradient for that element only.
 * targets      count values in [0, 1].
 * grad_loss    the upstream gradient dL/d(loss), used only when grad_logits
 *              is not NULL: count values for FOCAL_REDUCTION_NONE, one value
 *              for SUM and MEAN. NULL means all ones.
 * loss         output: count values for NONE, one value for SUM and MEAN.
 * grad_logits  output, or NULL when the gradient is not wanted: count values,
 *              grad_logits[i] = sum_j grad_loss[j] * d loss[j] / d logits[i]
 *              (added to the existing values when accumulate_grad is set).
 *
 * Errors: FOCAL_ERROR_NULL_POINTER, _INVALID_SHAPE, _TARGET_OUT_OF_RANGE,
 * _INVALID_ALPHA, _INVALID_GAMMA, _INVALID_NORMALIZER, _INVALID_REDUCTION,
 * _INVALID_OPTIONS_VERSION, _INVALID_THREAD_COUNT, _OVERLAPPING_BUFFERS,
 * _INVALID_PRECISION, _INVALID_PARAMETER (poly1_epsilon). */
focal_status focal_sigmoid_f32(const focal_sigmoid_options *options, int64_t count,
                               const float *logits, const float *targets,
                               const float *grad_loss, float *loss, float *grad_logits);

/* As focal_sigmoid_f32, in double precision. */
focal_status focal_sigmoid_f64(const focal_sigmoid_options *options, int64_t count,
                               const double *logits, const double *targets,
                               const double *grad_loss, double *loss, double *grad_logits);

/* As focal_sigmoid_f32, with f16 storage. */
focal_status focal_sigmoid_f16(const focal_sigmoid_options *options, int64_t count,
                               const focal_f16 *logits, const focal_f16 *targets,
                               const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits);

/* As focal_sigmoid_f32, with bf16 storage. */
focal_status focal_sigmoid_bf16(const focal_sigmoid_options *options, int64_t count,
                               const focal_bf16 *logits, const focal_bf16 *targets,
                               const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits);

/* focal_sigmoid_f32 with weights and statistics. Logits and targets in
 * PyTorch's layout (batch, classes, inner) (element (n, c, i) at
 * (n * classes + c) * inner + i; any factorisation of the element count will
 * do for FOCAL_WEIGHTS_PER_ELEMENT; classes may be 0 here, an empty array).
 * Element j's loss and gradient are
 * w_j times focal_sigmoid_f32's; a weight of 0 gives loss 0 and gradient 0
 * whatever the logit (no 0 * inf, no 0 * NaN). MEAN divides by the element
 * count, batch * classes * inner, as binary_cross_entropy_with_logits(weight=)
 * does, or by the normalizer.
 *
 * weights         NULL (every weight 1: the results of focal_sigmoid_f32 bit
 *                 for bit) or values finite and >= 0, laid out by
 *                 weights_layout: batch * classes * inner values per element,
 *                 batch * inner per position.
 * weights_layout  a focal_weights_layout value (read even when weights is
 *                 NULL).
 * stats           NULL, or filled on success (see focal_stats): positives =
 *                 the sum of the targets.
 * The other arguments as focal_sigmoid_f32, with count = batch * classes *
 * inner.
 *
 * Errors: as focal_sigmoid_f32, plus FOCAL_ERROR_INVALID_WEIGHT (the first
 * bad weight named), FOCAL_ERROR_INVALID_SHAPE for an unknown weights_layout,
 * and FOCAL_ERROR_INVALID_OPTIONS_VERSION for an unknown stats->version. */
focal_status focal_sigmoid_weighted_f32(const focal_sigmoid_options *options,
                                        int64_t batch, int64_t classes, int64_t inner,
                                        const float *logits, const float *targets,
                                        const float *weights, focal_weights_layout weights_layout,
                                        const float *grad_loss, float *loss, float *grad_logits,
                                        focal_stats *stats);

/* As focal_sigmoid_weighted_f32, in double precision. */
focal_status focal_sigmoid_weighted_f64(const focal_sigmoid_options *options,
                                        int64_t batch, int64_t classes, int64_t inner,
                                        const double *logits, const double *targets,
                                        const double *weights, focal_weights_layout weights_layout,
                                        const double *grad_loss, double *loss, double *grad_logits,
                                        focal_stats *stats);

/* As focal_sigmoid_weighted_f32, with f16 storage. */
focal_status focal_sigmoid_weighted_f16(const focal_sigmoid_options *options,
                                        int64_t batch, int64_t classes, int64_t inner,
                                        const focal_f16 *logits, const focal_f16 *targets,
                                        const focal_f16 *weights, focal_weights_layout weights_layout,
                                        const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits,
                                        focal_stats *stats);

/* As focal_sigmoid_weighted_f32, with bf16 storage. */
focal_status focal_sigmoid_weighted_bf16(const focal_sigmoid_options *options,
                                        int64_t batch, int64_t classes, int64_t inner,
                                        const focal_bf16 *logits, const focal_bf16 *targets,
                                        const focal_bf16 *weights, focal_weights_layout weights_layout,
                                        const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits,
                                        focal_stats *stats);

/* The sigmoid focal loss from integer labels (mmdet's and mmcv's convention),
 * without a one-hot. Logits in PyTorch's layout (batch, classes, inner):
 * element (n, c, i) is at logits[(n * classes + c) * inner + i]; labels have
 * layout (batch, inner). Label y of position (n, i):
 *     0 <= y < classes       class y is its positive, every other negative;
 *     y == classes           background: every class negative;
 *     y == ignore_index      the position is left out: its elements get loss
 *                            0 and gradient 0 (left as they are when
 *                            accumulating) and the mean does not count them.
 * The results are those of focal_sigmoid_f32 on the one-hot targets with the
 * ignored positions' elements removed, bit for bit, for every reduction: MEAN
 * divides by the kept elements' count, (positions not ignored) * classes.
 *
 * options      NULL for the defaults; version 3 for ignore_index (an older
 *              struct gets -100).
 * batch        N >= 0.  classes: C >= 1.  inner: >= 0.
 * logits       batch * classes * inner values (infinities and NaN as in
 *              focal_sigmoid_f32).
 * labels       batch * inner values, each in [0, classes] or ignore_index.
 * grad_loss    upstream gradient, used only when grad_logits is not NULL:
 *              batch * classes * inner values for FOCAL_REDUCTION_NONE, one
 *              value for SUM and MEAN. NULL means all ones.
 * loss         output: batch * classes * inner values for NONE, one for SUM
 *              and MEAN.
 * grad_logits  output or NULL: batch * classes * inner values.
 *
 * Errors: as focal_sigmoid_f32 (_TARGET_OUT_OF_RANGE names the first bad
 * label). */
focal_status focal_sigmoid_labels_f32_i64(const focal_sigmoid_options *options,
                                          int64_t batch, int64_t classes, int64_t inner,
                                          const float *logits, const int64_t *labels,
                                          const float *grad_loss, float *loss, float *grad_logits);

/* As focal_sigmoid_labels_f32_i64, with int32_t labels. */
focal_status focal_sigmoid_labels_f32_i32(const focal_sigmoid_options *options,
                                          int64_t batch, int64_t classes, int64_t inner,
                                          const float *logits, const int32_t *labels,
                                          const float *grad_loss, float *loss, float *grad_logits);

/* As focal_sigmoid_labels_f32_i64, in double precision. */
focal_status focal_sigmoid_labels_f64_i64(const focal_sigmoid_options *options,
                                          int64_t batch, int64_t classes, int64_t inner,
                                          const double *logits, const int64_t *labels,
                                          const double *grad_loss, double *loss, double *grad_logits);

/* As focal_sigmoid_labels_f32_i64, with f16 storage. */
focal_status focal_sigmoid_labels_f16_i64(const focal_sigmoid_options *options,
                                          int64_t batch, int64_t classes, int64_t inner,
                                          const focal_f16 *logits, const int64_t *labels,
                                          const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits);

/* As focal_sigmoid_labels_f32_i64, with bf16 storage. */
focal_status focal_sigmoid_labels_bf16_i64(const focal_sigmoid_options *options,
                                          int64_t batch, int64_t classes, int64_t inner,
                                          const focal_bf16 *logits, const int64_t *labels,
                                          const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits);

/* As focal_sigmoid_labels_f64_i64, with int32_t labels. */
focal_status focal_sigmoid_labels_f64_i32(const focal_sigmoid_options *options,
                                          int64_t batch, int64_t classes, int64_t inner,
                                          const double *logits, const int32_t *labels,
                                          const double *grad_loss, double *loss, double *grad_logits);

/* As focal_sigmoid_labels_f32_i32, with f16 storage. */
focal_status focal_sigmoid_labels_f16_i32(const focal_sigmoid_options *options,
                                          int64_t batch, int64_t classes, int64_t inner,
                                          const focal_f16 *logits, const int32_t *labels,
                                          const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits);

/* As focal_sigmoid_labels_f32_i32, with bf16 storage. */
focal_status focal_sigmoid_labels_bf16_i32(const focal_sigmoid_options *options,
                                          int64_t batch, int64_t classes, int64_t inner,
                                          const focal_bf16 *logits, const int32_t *labels,
                                          const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits);

/* focal_sigmoid_labels_f32_i64 with weights and statistics: each kept
 * element's loss and gradient times its weight (0 gives 0 whatever the
 * logit); MEAN divides by the kept elements' count, as without weights.
 * weights, weights_layout and stats as in focal_sigmoid_weighted_f32 (an
 * ignored position's weights are neither checked nor used); stats->positives is
 * the number of positions not ignored whose label is a class in [0, classes),
 * and stats->weight_sum the kept elements' weights. Errors: as
 * focal_sigmoid_labels_f32_i64 and focal_sigmoid_weighted_f32. */
focal_status focal_sigmoid_labels_weighted_f32_i64(const focal_sigmoid_options *options,
                                                   int64_t batch, int64_t classes, int64_t inner,
                                                   const float *logits, const int64_t *labels,
                                                   const float *weights, focal_weights_layout weights_layout,
                                                   const float *grad_loss, float *loss, float *grad_logits,
                                                   focal_stats *stats);

/* As focal_sigmoid_labels_weighted_f32_i64, with int32_t labels. */
focal_status focal_sigmoid_labels_weighted_f32_i32(const focal_sigmoid_options *options,
                                                   int64_t batch, int64_t classes, int64_t inner,
                                                   const float *logits, const int32_t *labels,
                                                   const float *weights, focal_weights_layout weights_layout,
                                                   const float *grad_loss, float *loss, float *grad_logits,
                                                   focal_stats *stats);

/* As focal_sigmoid_labels_weighted_f32_i64, in double precision. */
focal_status focal_sigmoid_labels_weighted_f64_i64(const focal_sigmoid_options *options,
                                                   int64_t batch, int64_t classes, int64_t inner,
                                                   const double *logits, const int64_t *labels,
                                                   const double *weights, focal_weights_layout weights_layout,
                                                   const double *grad_loss, double *loss, double *grad_logits,
                                                   focal_stats *stats);

/* As focal_sigmoid_labels_weighted_f32_i64, with f16 storage. */
focal_status focal_sigmoid_labels_weighted_f16_i64(const focal_sigmoid_options *options,
                                                   int64_t batch, int64_t classes, int64_t inner,
                                                   const focal_f16 *logits, const int64_t *labels,
                                                   const focal_f16 *weights, focal_weights_layout weights_layout,
                                                   const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits,
                                                   focal_stats *stats);

/* As focal_sigmoid_labels_weighted_f32_i64, with bf16 storage. */
focal_status focal_sigmoid_labels_weighted_bf16_i64(const focal_sigmoid_options *options,
                                                   int64_t batch, int64_t classes, int64_t inner,
                                                   const focal_bf16 *logits, const int64_t *labels,
                                                   const focal_bf16 *weights, focal_weights_layout weights_layout,
                                                   const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits,
                                                   focal_stats *stats);

/* As focal_sigmoid_labels_weighted_f64_i64, with int32_t labels. */
focal_status focal_sigmoid_labels_weighted_f64_i32(const focal_sigmoid_options *options,
                                                   int64_t batch, int64_t classes, int64_t inner,
                                                   const double *logits, const int32_t *labels,
                                                   const double *weights, focal_weights_layout weights_layout,
                                                   const double *grad_loss, double *loss, double *grad_logits,
                                                   focal_stats *stats);

/* As focal_sigmoid_labels_weighted_f32_i32, with f16 storage. */
focal_status focal_sigmoid_labels_weighted_f16_i32(const focal_sigmoid_options *options,
                                                   int64_t batch, int64_t classes, int64_t inner,
                                                   const focal_f16 *logits, const int32_t *labels,
                                                   const focal_f16 *weights, focal_weights_layout weights_layout,
                                                   const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits,
                                                   focal_stats *stats);

/* As focal_sigmoid_labels_weighted_f32_i32, with bf16 storage. */
focal_status focal_sigmoid_labels_weighted_bf16_i32(const focal_sigmoid_options *options,
                                                   int64_t batch, int64_t classes, int64_t inner,
                                                   const focal_bf16 *logits, const int32_t *labels,
                                                   const focal_bf16 *weights, focal_weights_layout weights_layout,
                                                   const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits,
                                                   focal_stats *stats);

/* ------------------------------------------------------------------------ */
/* Softmax focal loss (multi-class)                                          */
/* ------------------------------------------------------------------------ */

/* Logits in PyTorch's layout (batch, classes, inner): element (n, c, i) is at
 * logits[(n * classes + c) * inner + i]. (N, C) is inner = 1; (N, C, H, W) is
 * inner = H * W. Targets have layout (batch, inner): targets[n * inner + i].
 * With p = softmax over the class axis, weights a_c (options->alpha, or 1)
 * and q_c = (1 - eps) [c = y] + eps / classes, per target position:
 *
 *     loss = - sum_c a_c q_c (1 - p_c)^gamma log p_c
 *
 * and 0 where the target equals ignore_index. gamma = 0 is exactly
 * torch.nn.functional.cross_entropy(x, y, weight, ignore_index,
 * label_smoothing, reduction).
 *
 * options      NULL for the defaults (FOCAL_SOFTMAX_OPTIONS_INIT).
 * batch        N >= 0.  classes: C >= 1.  inner: >= 0.
 * logits       batch * classes * inner values. A -inf logit is a class of
 *              probability 0 (as in cross_entropy): it adds nothing and gets a
 *              0 gradient, unless it is the target's or label smoothing gives
 *              it weight, and then the loss is +inf with a finite gradient. A
 *              NaN or +inf logit, or a row of -inf alone, gives a NaN loss and
 *              gradient for its whole (n, :, i) row only.
 * targets      batch * inner class indices in [0, classes) or ignore_index.
 * grad_loss    upstream gradient, used only when grad_logits is not NULL:
 *              batch * inner values for FOCAL_REDUCTION_NONE, one value for
 *              SUM and MEAN. NULL means all ones.
 * loss         output: batch * inner values for NONE, one for SUM and MEAN.
 * grad_logits  output or NULL: batch * classes * inner values (added to when
 *              accumulate_grad is set). Ignored positions get 0 (or are left
 *              as they are when accumulating).
 *
 * Errors: as focal_sigmoid_f32, plus _INVALID_LABEL_SMOOTHING. */
focal_status focal_softmax_f32_i64(const focal_softmax_options *options,
                                   int64_t batch, int64_t classes, int64_t inner,
                                   const float *logits, const int64_t *targets,
                                   const float *grad_loss, float *loss, float *grad_logits);

/* As focal_softmax_f32_i64, with int32_t targets. */
focal_status focal_softmax_f32_i32(const focal_softmax_options *options,
                                   int64_t batch, int64_t classes, int64_t inner,
                                   const float *logits, const int32_t *targets,
                                   const float *grad_loss, float *loss, float *grad_logits);

/* As focal_softmax_f32_i64, in double precision. */
focal_status focal_softmax_f64_i64(const focal_softmax_options *options,
                                   int64_t batch, int64_t classes, int64_t inner,
                                   const double *logits, const int64_t *targets,
                                   const double *grad_loss, double *loss, double *grad_logits);

/* As focal_softmax_f32_i64, with f16 storage. */
focal_status focal_softmax_f16_i64(const focal_softmax_options *options,
                                   int64_t batch, int64_t classes, int64_t inner,
                                   const focal_f16 *logits, const int64_t *targets,
                                   const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits);

/* As focal_softmax_f32_i64, with bf16 storage. */
focal_status focal_softmax_bf16_i64(const focal_softmax_options *options,
                                   int64_t batch, int64_t classes, int64_t inner,
                                   const focal_bf16 *logits, const int64_t *targets,
                                   const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits);

/* As focal_softmax_f64_i64, with int32_t targets. */
focal_status focal_softmax_f64_i32(const focal_softmax_options *options,
                                   int64_t batch, int64_t classes, int64_t inner,
                                   const double *logits, const int32_t *targets,
                                   const double *grad_loss, double *loss, double *grad_logits);

/* As focal_softmax_f32_i32, with f16 storage. */
focal_status focal_softmax_f16_i32(const focal_softmax_options *options,
                                   int64_t batch, int64_t classes, int64_t inner,
                                   const focal_f16 *logits, const int32_t *targets,
                                   const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits);

/* As focal_softmax_f32_i32, with bf16 storage. */
focal_status focal_softmax_bf16_i32(const focal_softmax_options *options,
                                   int64_t batch, int64_t classes, int64_t inner,
                                   const focal_bf16 *logits, const int32_t *targets,
                                   const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits);

/* focal_softmax_f32_i64 with one weight per target position and
 * statistics. Position (n, i)'s loss and gradient are w_{n,i} times
 * focal_softmax_f32_i64's; a weight of 0 leaves the position out as
 * ignore_index does (loss 0, gradient 0, left as it is when accumulating).
 * MEAN divides by sum of w_{n,i} * alpha[y_{n,i}] over the positions not
 * ignored (cross_entropy's weighted mean with a per-sample weight), or by the
 * normalizer.
 *
 * weights  NULL (every weight 1: the results of focal_softmax_f32_i64 bit for
 *          bit) or batch * inner values, finite and >= 0, the targets' layout;
 *          an ignored position's weight is neither checked nor used.
 * stats    NULL, or filled on success (see focal_stats): positives = sum of
 *          w * alpha[y], weight_sum = sum of w, over the positions not ignored.
 * Errors: as focal_softmax_f32_i64, plus FOCAL_ERROR_INVALID_WEIGHT and, for
 * an unknown stats->version, FOCAL_ERROR_INVALID_OPTIONS_VERSION. */
focal_status focal_softmax_weighted_f32_i64(const focal_softmax_options *options,
                                            int64_t batch, int64_t classes, int64_t inner,
                                            const float *logits, const int64_t *targets, const float *weights,
                                            const float *grad_loss, float *loss, float *grad_logits,
                                            focal_stats *stats);

/* As focal_softmax_weighted_f32_i64, with int32_t targets. */
focal_status focal_softmax_weighted_f32_i32(const focal_softmax_options *options,
                                            int64_t batch, int64_t classes, int64_t inner,
                                            const float *logits, const int32_t *targets, const float *weights,
                                            const float *grad_loss, float *loss, float *grad_logits,
                                            focal_stats *stats);

/* As focal_softmax_weighted_f32_i64, in double precision. */
focal_status focal_softmax_weighted_f64_i64(const focal_softmax_options *options,
                                            int64_t batch, int64_t classes, int64_t inner,
                                            const double *logits, const int64_t *targets, const double *weights,
                                            const double *grad_loss, double *loss, double *grad_logits,
                                            focal_stats *stats);

/* As focal_softmax_weighted_f32_i64, with f16 storage. */
focal_status focal_softmax_weighted_f16_i64(const focal_softmax_options *options,
                                            int64_t batch, int64_t classes, int64_t inner,
                                            const focal_f16 *logits, const int64_t *targets, const focal_f16 *weights,
                                            const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits,
                                            focal_stats *stats);

/* As focal_softmax_weighted_f32_i64, with bf16 storage. */
focal_status focal_softmax_weighted_bf16_i64(const focal_softmax_options *options,
                                            int64_t batch, int64_t classes, int64_t inner,
                                            const focal_bf16 *logits, const int64_t *targets, const focal_bf16 *weights,
                                            const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits,
                                            focal_stats *stats);

/* As focal_softmax_weighted_f64_i64, with int32_t targets. */
focal_status focal_softmax_weighted_f64_i32(const focal_softmax_options *options,
                                            int64_t batch, int64_t classes, int64_t inner,
                                            const double *logits, const int32_t *targets, const double *weights,
                                            const double *grad_loss, double *loss, double *grad_logits,
                                            focal_stats *stats);

/* As focal_softmax_weighted_f32_i32, with f16 storage. */
focal_status focal_softmax_weighted_f16_i32(const focal_softmax_options *options,
                                            int64_t batch, int64_t classes, int64_t inner,
                                            const focal_f16 *logits, const int32_t *targets, const focal_f16 *weights,
                                            const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits,
                                            focal_stats *stats);

/* As focal_softmax_weighted_f32_i32, with bf16 storage. */
focal_status focal_softmax_weighted_bf16_i32(const focal_softmax_options *options,
                                            int64_t batch, int64_t classes, int64_t inner,
                                            const focal_bf16 *logits, const int32_t *targets, const focal_bf16 *weights,
                                            const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits,
                                            focal_stats *stats);

/* ------------------------------------------------------------------------ */
/* The focal family: FL*, asymmetric, quality focal and varifocal losses     */
/* ------------------------------------------------------------------------ */

/* Four relatives of the sigmoid focal loss, each elementwise in a logit x and
 * a target t in [0, 1] (hard or soft), with s = sigmoid(x) and
 * BCE(x, t) = -t log s - (1 - t) log(1 - s). Each is computed in log space
 * with the focal loss's guarantees: finite for every finite logit and every
 * admissible parameter, 1 - s never formed by subtraction, no eps clamp,
 * infinite logits taken as limits (the loss may be +inf, the gradient is
 * finite), a NaN logit NaN for its element only. docs/math.md gives each
 * definition, its source, its derivative and where it departs from the
 * peers' code.
 *
 * Every function of the family has the shape of focal_sigmoid_weighted_f32:
 *
 *     focal_<loss>_<dtype>(options, batch, classes, inner, logits, targets,
 *                          weights, weights_layout, grad_loss, loss,
 *                          grad_logits, stats)
 *
 * logits and targets (batch, classes, inner), any factorisation of the
 * element count for per-element weights (a flat array of n is 1, n, 1);
 * weights NULL or finite and >= 0, per element or per position (a weight of 0
 * gives loss 0 and gradient 0 whatever the logit); reduction NONE, SUM or MEAN
 * (MEAN divides by the element count, or by the normalizer); grad_loss,
 * grad_logits, accumulate_grad, num_threads and stats (positives = the sum
 * of the targets) as there. Nothing is written on any error.
 *
 * Precision: the exact tier's bounds (float32 within 2 ulps, float64 within
 * 1e-10 relative of the exact value; a gradient of a soft target whose terms
 * have opposite signs relative to their magnitude, as the focal loss's;
 * docs/accuracy.md). These losses compute in double in both tiers:
 * FOCAL_PRECISION_FAST is accepted and gives the exact tier's results.
 *
 * Errors: FOCAL_ERROR_NULL_POINTER, _INVALID_SHAPE (also an unknown
 * weights_layout), _TARGET_OUT_OF_RANGE, _INVALID_ALPHA, _INVALID_GAMMA,
 * _INVALID_PARAMETER, _INVALID_WEIGHT, _INVALID_NORMALIZER,
 * _INVALID_REDUCTION, _INVALID_OPTIONS_VERSION, _INVALID_THREAD_COUNT,
 * _OVERLAPPING_BUFFERS, _INVALID_PRECISION. */

/* The options struct versions of the family. */
#define FOCAL_SIGMOID_STAR_OPTIONS_VERSION 1
#define FOCAL_ASYMMETRIC_OPTIONS_VERSION 1
#define FOCAL_QUALITY_OPTIONS_VERSION 1
#define FOCAL_VARIFOCAL_OPTIONS_VERSION 1

/* FL* (Lin et al. 2017, appendix A; fvcore.nn.sigmoid_focal_loss_star): with
 * x_t = (2t - 1) x,
 *
 *     loss = alpha_t * (-log sigmoid(gamma x_t + beta)) / gamma.
 *
 * At gamma = 1, beta = 0 it is BCE(x, t). Defaults are fvcore's. */
typedef struct focal_sigmoid_star_options {
    /* FOCAL_SIGMOID_STAR_OPTIONS_VERSION. */
    uint32_t version;
    /* Default FOCAL_REDUCTION_NONE. */
    focal_reduction reduction;
    /* Weight of the positive class in [0, 1], alpha_t = alpha t +
     * (1 - alpha)(1 - t); FOCAL_ALPHA_DISABLED (-1, the default) disables. */
    double alpha;
    /* gamma > 0, finite. Default 1. */
    double gamma;
    /* beta, finite (any sign). Default 0. */
    double beta;
    /* As in focal_sigmoid_options. Defaults 0. */
    int32_t use_normalizer;
    double normalizer;
    int32_t num_threads;
    int32_t accumulate_grad;
    /* Default FOCAL_PRECISION_EXACT. */
    focal_precision precision;
} focal_sigmoid_star_options;

#define FOCAL_SIGMOID_STAR_OPTIONS_INIT \
    { FOCAL_SIGMOID_STAR_OPTIONS_VERSION, FOCAL_REDUCTION_NONE, -1.0, 1.0, 0.0, 0, 0.0, 0, 0, FOCAL_PRECISION_EXACT }

/* The asymmetric loss (Ridnik et al., ICCV 2021; timm's
 * AsymmetricLossMultiLabel without its eps clamp): with the probability
 * margin m, p_m = max(s - m, 0) (formed without cancellation),
 *
 *     t = 1:  loss = -(1 - s)^gamma_pos log s
 *     t = 0:  loss = -p_m^gamma_neg log(1 - p_m)   (0 where s <= m)
 *
 * and for a soft t timm's mixture: u = t (1 - s) + (1 - t) p_m,
 * g = gamma_pos t + gamma_neg (1 - t),
 * loss = -u^g [t log s + (1 - t) log(1 - p_m)]. No alpha: the asymmetry is
 * the two gammas. With gamma_pos = gamma_neg = gamma and m = 0 it is the
 * sigmoid focal loss without alpha. timm returns the sum (or the sum over the
 * batch size): use FOCAL_REDUCTION_SUM, or MEAN with the normalizer. */
typedef struct focal_asymmetric_options {
    /* FOCAL_ASYMMETRIC_OPTIONS_VERSION. */
    uint32_t version;
    /* Default FOCAL_REDUCTION_NONE. */
    focal_reduction reduction;
    /* Focusing of the positives, finite and >= 0. Default 1 (timm's). */
    double gamma_pos;
    /* Focusing of the negatives, finite and >= 0. Default 4 (timm's). */
    double gamma_neg;
    /* The probability margin m (timm's clip) in [0, 1]. Default 0.05. */
    double margin;
    int32_t use_normalizer;
    double normalizer;
    int32_t num_threads;
    int32_t accumulate_grad;
    focal_precision precision;
} focal_asymmetric_options;

#define FOCAL_ASYMMETRIC_OPTIONS_INIT \
    { FOCAL_ASYMMETRIC_OPTIONS_VERSION, FOCAL_REDUCTION_NONE, 1.0, 4.0, 0.05, 0, 0.0, 0, 0, FOCAL_PRECISION_EXACT }

/* The quality focal loss (Li et al., NeurIPS 2020, GFL; mmdet's
 * quality_focal_loss on dense targets): a soft target y in [0, 1] (an IoU
 * score for the positive class, 0 elsewhere),
 *
 *     loss = |y - s|^beta * BCE(x, y),
 *
 * |y - s| formed without cancellation. At beta = 0 it is BCE. Where s = y
 * exactly and 0 < beta <= 1 the loss has no derivative (a cusp): the
 * gradient there is 0 (mmdet's autograd gives 0 at beta = 1, NaN below).
 * mmdet sums each row over the classes before its mean: its 'mean' is
 * FOCAL_REDUCTION_MEAN with normalizer = the number of rows. */
typedef struct focal_quality_options {
    /* FOCAL_QUALITY_OPTIONS_VERSION. */
    uint32_t version;
    /* Default FOCAL_REDUCTION_NONE. */
    focal_reduction reduction;
    /* beta, finite and >= 0. Default 2 (GFL's). */
    double beta;
    int32_t use_normalizer;
    double normalizer;
    int32_t num_threads;
    int32_t accumulate_grad;
    focal_precision precision;
} focal_quality_options;

#define FOCAL_QUALITY_OPTIONS_INIT \
    { FOCAL_QUALITY_OPTIONS_VERSION, FOCAL_REDUCTION_NONE, 2.0, 0, 0.0, 0, 0, FOCAL_PRECISION_EXACT }

/* The varifocal loss (Zhang et al., CVPR 2021, VarifocalNet; mmdet's
 * varifocal_loss): a target q in [0, 1] (the IoU-aware classification score
 * of a positive, 0 for a negative),
 *
 *     q > 0:  loss = w * BCE(x, q),  w = q (iou_weighted) or 1
 *     q = 0:  loss = alpha * s^gamma * BCE(x, 0)
 */
typedef struct focal_varifocal_options {
    /* FOCAL_VARIFOCAL_OPTIONS_VERSION. */
    uint32_t version;
    /* Default FOCAL_REDUCTION_NONE. */
    focal_reduction reduction;
    /* Weight of the negatives, finite and >= 0. Default 0.75. */
    double alpha;
    /* Focusing of the negatives, finite and >= 0. Default 2. */
    double gamma;
    /* Non-zero (the default, 1): positives weighted by their target q;
     * zero: by 1. */
    int32_t iou_weighted;
    int32_t use_normalizer;
    double normalizer;
    int32_t num_threads;
    int32_t accumulate_grad;
    focal_precision precision;
} focal_varifocal_options;

#define FOCAL_VARIFOCAL_OPTIONS_INIT \
    { FOCAL_VARIFOCAL_OPTIONS_VERSION, FOCAL_REDUCTION_NONE, 0.75, 2.0, 1, 0, 0.0, 0, 0, FOCAL_PRECISION_EXACT }

/* Fill *options with the defaults above for the given struct version (pass
 * the header's FOCAL_<LOSS>_OPTIONS_VERSION). Errors as
 * focal_sigmoid_options_init. */
focal_status focal_sigmoid_star_options_init(focal_sigmoid_star_options *options, uint32_t version);
focal_status focal_asymmetric_options_init(focal_asymmetric_options *options, uint32_t version);
focal_status focal_quality_options_init(focal_quality_options *options, uint32_t version);
focal_status focal_varifocal_options_init(focal_varifocal_options *options, uint32_t version);

/* FL* (focal_sigmoid_star_options), per dtype. */
focal_status focal_sigmoid_star_f32(const focal_sigmoid_star_options *options,
                                    int64_t batch, int64_t classes, int64_t inner,
                                    const float *logits, const float *targets,
                                    const float *weights, focal_weights_layout weights_layout,
                                    const float *grad_loss, float *loss, float *grad_logits,
                                    focal_stats *stats);

focal_status focal_sigmoid_star_f64(const focal_sigmoid_star_options *options,
                                    int64_t batch, int64_t classes, int64_t inner,
                                    const double *logits, const double *targets,
                                    const double *weights, focal_weights_layout weights_layout,
                                    const double *grad_loss, double *loss, double *grad_logits,
                                    focal_stats *stats);

focal_status focal_sigmoid_star_f16(const focal_sigmoid_star_options *options,
                                    int64_t batch, int64_t classes, int64_t inner,
                                    const focal_f16 *logits, const focal_f16 *targets,
                                    const focal_f16 *weights, focal_weights_layout weights_layout,
                                    const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits,
                                    focal_stats *stats);

focal_status focal_sigmoid_star_bf16(const focal_sigmoid_star_options *options,
                                     int64_t batch, int64_t classes, int64_t inner,
                                     const focal_bf16 *logits, const focal_bf16 *targets,
                                     const focal_bf16 *weights, focal_weights_layout weights_layout,
                                     const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits,
                                     focal_stats *stats);

/* The asymmetric loss (focal_asymmetric_options), per dtype. */
focal_status focal_asymmetric_f32(const focal_asymmetric_options *options,
                                  int64_t batch, int64_t classes, int64_t inner,
                                  const float *logits, const float *targets,
                                  const float *weights, focal_weights_layout weights_layout,
                                  const float *grad_loss, float *loss, float *grad_logits,
                                  focal_stats *stats);

focal_status focal_asymmetric_f64(const focal_asymmetric_options *options,
                                  int64_t batch, int64_t classes, int64_t inner,
                                  const double *logits, const double *targets,
                                  const double *weights, focal_weights_layout weights_layout,
                                  const double *grad_loss, double *loss, double *grad_logits,
                                  focal_stats *stats);

focal_status focal_asymmetric_f16(const focal_asymmetric_options *options,
                                  int64_t batch, int64_t classes, int64_t inner,
                                  const focal_f16 *logits, const focal_f16 *targets,
                                  const focal_f16 *weights, focal_weights_layout weights_layout,
                                  const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits,
                                  focal_stats *stats);

focal_status focal_asymmetric_bf16(const focal_asymmetric_options *options,
                                   int64_t batch, int64_t classes, int64_t inner,
                                   const focal_bf16 *logits, const focal_bf16 *targets,
                                   const focal_bf16 *weights, focal_weights_layout weights_layout,
                                   const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits,
                                   focal_stats *stats);

/* The quality focal loss (focal_quality_options), per dtype. */
focal_status focal_quality_f32(const focal_quality_options *options,
                               int64_t batch, int64_t classes, int64_t inner,
                               const float *logits, const float *targets,
                               const float *weights, focal_weights_layout weights_layout,
                               const float *grad_loss, float *loss, float *grad_logits,
                               focal_stats *stats);

focal_status focal_quality_f64(const focal_quality_options *options,
                               int64_t batch, int64_t classes, int64_t inner,
                               const double *logits, const double *targets,
                               const double *weights, focal_weights_layout weights_layout,
                               const double *grad_loss, double *loss, double *grad_logits,
                               focal_stats *stats);

focal_status focal_quality_f16(const focal_quality_options *options,
                               int64_t batch, int64_t classes, int64_t inner,
                               const focal_f16 *logits, const focal_f16 *targets,
                               const focal_f16 *weights, focal_weights_layout weights_layout,
                               const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits,
                               focal_stats *stats);

focal_status focal_quality_bf16(const focal_quality_options *options,
                                int64_t batch, int64_t classes, int64_t inner,
                                const focal_bf16 *logits, const focal_bf16 *targets,
                                const focal_bf16 *weights, focal_weights_layout weights_layout,
                                const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits,
                                focal_stats *stats);

/* The varifocal loss (focal_varifocal_options), per dtype. */
focal_status focal_varifocal_f32(const focal_varifocal_options *options,
                                 int64_t batch, int64_t classes, int64_t inner,
                                 const float *logits, const float *targets,
                                 const float *weights, focal_weights_layout weights_layout,
                                 const float *grad_loss, float *loss, float *grad_logits,
                                 focal_stats *stats);

focal_status focal_varifocal_f64(const focal_varifocal_options *options,
                                 int64_t batch, int64_t classes, int64_t inner,
                                 const double *logits, const double *targets,
                                 const double *weights, focal_weights_layout weights_layout,
                                 const double *grad_loss, double *loss, double *grad_logits,
                                 focal_stats *stats);

focal_status focal_varifocal_f16(const focal_varifocal_options *options,
                                 int64_t batch, int64_t classes, int64_t inner,
                                 const focal_f16 *logits, const focal_f16 *targets,
                                 const focal_f16 *weights, focal_weights_layout weights_layout,
                                 const focal_f16 *grad_loss, focal_f16 *loss, focal_f16 *grad_logits,
                                 focal_stats *stats);

focal_status focal_varifocal_bf16(const focal_varifocal_options *options,
                                  int64_t batch, int64_t classes, int64_t inner,
                                  const focal_bf16 *logits, const focal_bf16 *targets,
                                  const focal_bf16 *weights, focal_weights_layout weights_layout,
                                  const focal_bf16 *grad_loss, focal_bf16 *loss, focal_bf16 *grad_logits,
                                  focal_stats *stats);

/* ------------------------------------------------------------------------ */
/* Gradient and Hessian (gradient boosting)                                  */
/* ------------------------------------------------------------------------ */

/* The per-element first and second derivatives of the unreduced loss with
 * respect to the raw margin (the logit), as gradient-boosting libraries
 * consume them (XGBoost's XGBoosterBoostOneIter, LightGBM's custom
 * objective). docs/boosting.md derives each Hessian. */
typedef enum focal_hessian {
    /* The true second derivative d2 loss / d logit2. It is negative where a
     * hard example is confidently wrong (t = 1 below x = -2.8 at gamma = 2):
     * the loss is not convex in the logit there. */
    FOCAL_HESSIAN_EXACT = 0,
    /* The exact value floored at FOCAL_HESSIAN_FLOOR (before the weight
     * multiplies it). */
    FOCAL_HESSIAN_CLIPPED = 1,
    /* Always >= 0: the focal weight alpha_t (1 - p_t)^gamma times the
     * cross-entropy Hessian (sigmoid: p (1 - p); softmax: p_c (1 - p_c), with
     * the target class's weight and focusing factor). Exact at gamma = 0. */
    FOCAL_HESSIAN_APPROXIMATE = 2
} focal_hessian;

/* The floor of FOCAL_HESSIAN_CLIPPED: it raises the negative Hessians of
 * confidently wrong examples and the tiny ones of well-fit examples, so that
 * no leaf's Newton step divides by a sum near 0. (XGBoost floors its own
 * logistic Hessian at 1e-16; LightGBM does not floor its own.) */
#define FOCAL_HESSIAN_FLOOR 1e-6

/* The sigmoid focal loss's per-element gradient and Hessian with respect to
 * the logits, for every element, in one pass. Logits and targets in the
 * layout (batch, classes, inner) of focal_sigmoid_weighted_f32 (a binary
 * problem of N rows: batch = N, classes = 1, inner = 1; multi-label (N, C):
 * batch = N, classes = C, inner = 1). With weight w_j (1 without weights):
 *
 *     grad[j] = w_j * d loss_j / d logits[j]
 *     hess[j] = w_j * (the chosen Hessian of loss_j)
 *
 * grad is, bit for bit, the grad_logits of focal_sigmoid_weighted_f32 with
 * FOCAL_REDUCTION_NONE and grad_loss NULL, in both precision tiers. A weight
 * of 0 gives 0 for both, whatever the logit. Infinite logits are taken as
 * limits (finite gradient and Hessian); a NaN logit gives NaN for its
 * element only.
 *
 * options      NULL for the defaults. Only alpha, gamma, num_threads,
 *              precision and poly1_epsilon (which must be 0) are read;
 *              reduction, normalizer, accumulate_grad and ignore_index do not
 *              apply.
 * hessian      a focal_hessian value.
 * weights      NULL or values finite and >= 0, laid out by weights_layout
 *              (per element, or per position: a sample weight of a row).
 * grad, hess   outputs of batch * classes * inner values; either may be NULL
 *              when not wanted.
 *
 * Errors: FOCAL_ERROR_NULL_POINTER, _INVALID_SHAPE (also for an unknown
 * weights_layout), _INVALID_HESSIAN, _TARGET_OUT_OF_RANGE, _INVALID_ALPHA,
 * _INVALID_GAMMA, _INVALID_WEIGHT, _INVALID_OPTIONS_VERSION,
 * _INVALID_THREAD_COUNT, _OVERLAPPING_BUFFERS, _INVALID_PRECISION. */
focal_status focal_sigmoid_grad_hess_f32(const focal_sigmoid_options *options, focal_hessian hessian,
                                         int64_t batch, int64_t classes, int64_t inner,
                                         const float *logits, const float *targets,
                                         const float *weights, focal_weights_layout weights_layout,
                                         float *grad, float *hess);

/* As focal_sigmoid_grad_hess_f32, in double precision. */
focal_status focal_sigmoid_grad_hess_f64(const focal_sigmoid_options *options, focal_hessian hessian,
                                         int64_t batch, int64_t classes, int64_t inner,
                                         const double *logits, const double *targets,
                                         const double *weights, focal_weights_layout weights_layout,
                                         double *grad, double *hess);

/* The softmax focal loss's gradient and diagonal Hessian (d2 loss_i /
 * d logit_{i,c}^2, what gradient-boosting libraries take) with respect to the
 * logits, for every element, in one pass. Logits in the layout (batch,
 * classes, inner) of focal_softmax_f32_i64: XGBoost's row-major (N, C) is
 * batch = N, inner = 1; LightGBM's class-major (C, N) is batch = 1,
 * inner = N. Targets and weights have layout (batch, inner). With weight w
 * of the position (1 without weights):
 *
 *     grad = w * d loss / d logits, bit for bit the grad_logits of
 *            focal_softmax_weighted_f32_i64 with FOCAL_REDUCTION_NONE and
 *            grad_loss NULL (FOCAL_PRECISION_EXACT; the fast tier computes
 *            these functions as the exact one)
 *     hess = w * (the chosen diagonal Hessian)
 *
 * Ignored targets (ignore_index) and weights of 0 give 0 for the whole
 * position. Rows holding NaN or +inf give NaN for the whole position.
 *
 * options      NULL for the defaults. Only gamma, alpha, ignore_index,
 *              label_smoothing and poly1_epsilon (which must be 0),
 *              num_threads and precision are read.
 * grad, hess   outputs of batch * classes * inner values; either may be NULL.
 *
 * Errors: as focal_sigmoid_grad_hess_f32, plus
 * FOCAL_ERROR_INVALID_LABEL_SMOOTHING for a label_smoothing other than 0. */
focal_status focal_softmax_grad_hess_f32_i64(const focal_softmax_options *options, focal_hessian hessian,
                                             int64_t batch, int64_t classes, int64_t inner,
                                             const float *logits, const int64_t *targets, const float *weights,
                                             float *grad, float *hess);

/* As focal_softmax_grad_hess_f32_i64, with int32_t targets. */
focal_status focal_softmax_grad_hess_f32_i32(const focal_softmax_options *options, focal_hessian hessian,
                                             int64_t batch, int64_t classes, int64_t inner,
                                             const float *logits, const int32_t *targets, const float *weights,
                                             float *grad, float *hess);

/* As focal_softmax_grad_hess_f32_i64, in double precision. */
focal_status focal_softmax_grad_hess_f64_i64(const focal_softmax_options *options, focal_hessian hessian,
                                             int64_t batch, int64_t classes, int64_t inner,
                                             const double *logits, const int64_t *targets, const double *weights,
                                             double *grad, double *hess);

/* As focal_softmax_grad_hess_f64_i64, with int32_t targets. */
focal_status focal_softmax_grad_hess_f64_i32(const focal_softmax_options *options, focal_hessian hessian,
                                             int64_t batch, int64_t classes, int64_t inner,
                                             const double *logits, const int32_t *targets, const double *weights,
                                             double *grad, double *hess);

/* The optimal constant starting margin of a sigmoid problem, per class: for
 * each class c, the logit x minimising the summed loss
 * sum_j w_j * loss(x, t_j) over the elements of class c (all batch * inner
 * positions). Gradient-boosting libraries start from margin 0, and the focal
 * loss's flat region makes a bad start slow (XGBoost: base_score, read as a
 * raw margin when the objective is a custom one; LightGBM: init_score).
 * The loss summed over a class is convex in the class's shared probability,
 * and the minimiser is found to within a few ulps by bisection on the
 * summed gradient (docs/boosting.md). At gamma = 0 with alpha disabled it is
 * the logit of the (weighted) positive rate. Where nothing pulls the
 * margin up (every target of the class 0, or the positives weighing 0, as
 * with alpha = 0) the infimum is not attained and the score is -inf; +inf
 * where nothing pulls it down; NaN where nothing weighs at all (no
 * positions, or every weight 0).
 *
 * options      NULL for the defaults. Only alpha, gamma, num_threads and
 *              poly1_epsilon (which must be 0) are read.
 * targets      batch * classes * inner values in [0, 1].
 * weights      NULL or values finite and >= 0, laid out by weights_layout.
 * scores       output: classes values.
 *
 * Errors: FOCAL_ERROR_NULL_POINTER, _INVALID_SHAPE (classes < 1, an unknown
 * weights_layout), _TARGET_OUT_OF_RANGE, _INVALID_ALPHA, _INVALID_GAMMA,
 * _INVALID_WEIGHT, _INVALID_OPTIONS_VERSION, _INVALID_THREAD_COUNT,
 * _OVERLAPPING_BUFFERS. */
focal_status focal_sigmoid_init_score_f32(const focal_sigmoid_options *options,
                                          int64_t batch, int64_t classes, int64_t inner,
                                          const float *targets, const float *weights,
                                          focal_weights_layout weights_layout, float *scores);

/* As focal_sigmoid_init_score_f32, in double precision. */
focal_status focal_sigmoid_init_score_f64(const focal_sigmoid_options *options,
                                          int64_t batch, int64_t classes, int64_t inner,
                                          const double *targets, const double *weights,
                                          focal_weights_layout weights_layout, double *scores);

/* The optimal constant starting margins of a softmax problem: the logits
 * (s_0, ..., s_{C-1}) shared by every position that minimise the summed loss
 * sum_i w_i * loss(s, y_i), returned as log-probabilities (log-sum-exp 0).
 * With every position sharing p = softmax(s) the summed loss is
 * sum_c W_c (1 - p_c)^gamma (-log p_c), W_c = alpha_c * (sum of the weights
 * of the positions labelled c), convex on the simplex; its minimiser is found
 * from the optimality conditions by nested bisection (docs/boosting.md). At
 * gamma = 0 it is the log of the (weighted) class frequencies. A class with
 * W_c = 0 gets -inf; every score is NaN where every W_c is 0 (every
 * position ignored or weighing 0: nothing to fit).
 *
 * options      NULL for the defaults. Only gamma, alpha, ignore_index,
 *              label_smoothing and poly1_epsilon (which must be 0) and
 *              num_threads are read.
 * targets      batch * inner labels in [0, classes) or ignore_index.
 * weights      NULL or batch * inner values finite and >= 0.
 * scores       output: classes values.
 *
 * Errors: as focal_sigmoid_init_score_f32, plus
 * FOCAL_ERROR_INVALID_LABEL_SMOOTHING. */
focal_status focal_softmax_init_score_f64_i64(const focal_softmax_options *options,
                                              int64_t batch, int64_t classes, int64_t inner,
                                              const int64_t *targets, const double *weights, double *scores);

/* As focal_softmax_init_score_f64_i64, with int32_t targets. */
focal_status focal_softmax_init_score_f64_i32(const focal_softmax_options *options,
                                              int64_t batch, int64_t classes, int64_t inner,
                                              const int32_t *targets, const double *weights, double *scores);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FOCALLOSS_H */
