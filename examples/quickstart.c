/*
 * quickstart.c: the focal loss and its gradient on a small detection-like batch.
 *
 * A RetinaNet-style classification head scores every anchor for every class; almost all
 * anchors are background, so the targets are nearly all 0. The sigmoid focal loss
 * down-weights the many easy negatives; the softmax form does the same for one-of-C labels.
 *
 * Build and run from the repository root: `make demo`.
 */
#include <stdio.h>

#include "focalloss.h"

#define ANCHORS 6
#define CLASSES 3

/* Print the library's explanation of a failed call and stop. */
static int check(focal_status status, const char *what) {
    if (status != FOCAL_OK) {
        fprintf(stderr, "%s failed: %s\n  %s\n", what, focal_status_string(status),
                focal_last_error_message());
        return 1;
    }
    return 0;
}

int main(void) {
    /* Logits of 6 anchors x 3 classes, row-major: one confident hit, one missed object,
     * easy and hard negatives. */
    const float logits[ANCHORS * CLASSES] = {
        4.0f, -5.0f, -6.0f,   /* anchor 0: class 0, found with confidence */
        -3.0f, -2.0f, -4.0f,  /* anchor 1: class 1, missed */
        -6.0f, -7.0f, -5.5f,  /* anchors 2..4: easy background */
        -8.0f, -6.5f, -7.0f,
        -5.0f, -9.0f, -6.0f,
        1.5f, -4.0f, -3.0f,   /* anchor 5: background that looks like class 0 (hard) */
    };
    float targets[ANCHORS * CLASSES] = {0};
    float grad[ANCHORS * CLASSES];
    float loss_per_anchor[ANCHORS * CLASSES];
    float loss;
    focal_sigmoid_options options;
    int i;

    targets[0 * CLASSES + 0] = 1.0f;
    targets[1 * CLASSES + 1] = 1.0f;

    printf("focalloss %s (header %s)\n\n", focal_version_string(), FOCAL_VERSION_STRING);

    /* Sigmoid focal loss with torchvision's defaults (alpha 0.25, gamma 2), normalised the
     * RetinaNet way: the sum divided by the number of positive anchors (2). */
    if (check(focal_sigmoid_options_init(&options, FOCAL_SIGMOID_OPTIONS_VERSION), "options")) return 1;
    options.reduction = FOCAL_REDUCTION_MEAN;
    options.use_normalizer = 1;
    options.normalizer = 2.0;
    /* grad_loss NULL: the upstream gradient is 1, so `grad` is d loss / d logits. */
    if (check(focal_sigmoid_f32(&options, ANCHORS * CLASSES, logits, targets, NULL, &loss, grad),
              "focal_sigmoid_f32")) return 1;
    printf("sigmoid focal loss (alpha 0.25, gamma 2, / 2 positives) = %.6f\n", loss);
    printf("anchor   d loss / d logit per class\n");
    for (i = 0; i < ANCHORS; ++i) {
        printf("  %d     % .6f % .6f % .6f\n", i, grad[i * CLASSES], grad[i * CLASSES + 1],
               grad[i * CLASSES + 2]);
    }

    /* The same logits per element, to see where the loss comes from: the easy negatives
     * contribute almost nothing, the missed object and the hard negative dominate. */
    options.reduction = FOCAL_REDUCTION_NONE;
    options.use_normalizer = 0;
    if (check(focal_sigmoid_f32(&options, ANCHORS * CLASSES, logits, targets, NULL,
                                loss_per_anchor, NULL), "focal_sigmoid_f32")) return 1;
    printf("\nper-anchor loss (sum over classes):\n");
    for (i = 0; i < ANCHORS; ++i) {
        printf("  %d     %.3e\n", i, loss_per_anchor[i * CLASSES] + loss_per_anchor[i * CLASSES + 1] +
                                    loss_per_anchor[i * CLASSES + 2]);
    }

    /* Softmax focal loss over the 3 classes, one label per anchor (class 2 = background),
     * averaged over anchors; gamma = 0 would be exactly cross-entropy. */
    {
        const int64_t labels[ANCHORS] = {0, 1, 2, 2, 2, 2};
        focal_softmax_options softmax = FOCAL_SOFTMAX_OPTIONS_INIT;
        float ce;
        if (check(focal_softmax_f32_i64(&softmax, ANCHORS, CLASSES, 1, logits, labels, NULL, &loss,
                                        grad), "focal_softmax_f32_i64")) return 1;
        softmax.gamma = 0.0;
        if (check(focal_softmax_f32_i64(&softmax, ANCHORS, CLASSES, 1, logits, labels, NULL, &ce,
                                        NULL), "focal_softmax_f32_i64")) return 1;
        printf("\nsoftmax focal loss (gamma 2, mean) = %.6f   cross-entropy (gamma 0) = %.6f\n", loss, ce);
    }

    /* Errors are values, and nothing is written on error. */
    targets[4] = 2.0f;
    if (focal_sigmoid_f32(NULL, ANCHORS * CLASSES, logits, targets, NULL, loss_per_anchor, NULL) != FOCAL_OK) {
        printf("\nbad target -> %s\n  %s\n", focal_status_string(FOCAL_ERROR_TARGET_OUT_OF_RANGE),
               focal_last_error_message());
    }
    return 0;
}
