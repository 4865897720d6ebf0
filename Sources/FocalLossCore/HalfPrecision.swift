import _KernelInterface

// The 16-bit storage types' entry points: the same generic implementations as the float32
// ones, specialized for `Float16` and `BFloat16` (a generic entry point called from the C-ABI
// module would run unspecialized). Every result is computed in float32 or double and rounded
// once to the storage type; sums accumulate in double.

extension SigmoidFocalLoss {
    public static func compute(
        logits: UnsafeBufferPointer<Float16>, targets: UnsafeBufferPointer<Float16>,
        gradLoss: UnsafeBufferPointer<Float16>?, options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Float16>, gradLogits: UnsafeMutableBufferPointer<Float16>?
    ) throws(FocalError) {
        _ = try run(logits, targets, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float16>, targets: UnsafeBufferPointer<Float16>,
        weights: UnsafeBufferPointer<Float16>?, layout: WeightsLayout, batch: Int64, classes: Int64, inner: Int64,
        gradLoss: UnsafeBufferPointer<Float16>?, options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Float16>, gradLogits: UnsafeMutableBufferPointer<Float16>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try runWeighted(logits, targets, weights, layout, batch, classes, inner, gradLoss, options, loss, gradLogits, statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float16>, labels: UnsafeBufferPointer<Int64>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float16>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Float16>, gradLogits: UnsafeMutableBufferPointer<Float16>?
    ) throws(FocalError) {
        _ = try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float16>, labels: UnsafeBufferPointer<Int64>,
        weights: UnsafeBufferPointer<Float16>?, layout: WeightsLayout,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float16>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Float16>, gradLogits: UnsafeMutableBufferPointer<Float16>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits,
                      weights: weights, layout: layout, statistics: statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float16>, labels: UnsafeBufferPointer<Int32>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float16>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Float16>, gradLogits: UnsafeMutableBufferPointer<Float16>?
    ) throws(FocalError) {
        _ = try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float16>, labels: UnsafeBufferPointer<Int32>,
        weights: UnsafeBufferPointer<Float16>?, layout: WeightsLayout,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float16>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Float16>, gradLogits: UnsafeMutableBufferPointer<Float16>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits,
                      weights: weights, layout: layout, statistics: statistics)
    }
}

extension SoftmaxFocalLoss {
    public static func compute(
        logits: UnsafeBufferPointer<Float16>, targets: UnsafeBufferPointer<Int64>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float16>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Float16>, gradLogits: UnsafeMutableBufferPointer<Float16>?
    ) throws(FocalError) {
        _ = try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float16>, targets: UnsafeBufferPointer<Int64>, weights: UnsafeBufferPointer<Float16>?,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float16>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Float16>, gradLogits: UnsafeMutableBufferPointer<Float16>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits,
                weights: weights, statistics: statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float16>, targets: UnsafeBufferPointer<Int32>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float16>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Float16>, gradLogits: UnsafeMutableBufferPointer<Float16>?
    ) throws(FocalError) {
        _ = try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float16>, targets: UnsafeBufferPointer<Int32>, weights: UnsafeBufferPointer<Float16>?,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float16>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Float16>, gradLogits: UnsafeMutableBufferPointer<Float16>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits,
                weights: weights, statistics: statistics)
    }
}

extension SigmoidFocalLoss {
    public static func compute(
        logits: UnsafeBufferPointer<BFloat16>, targets: UnsafeBufferPointer<BFloat16>,
        gradLoss: UnsafeBufferPointer<BFloat16>?, options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<BFloat16>, gradLogits: UnsafeMutableBufferPointer<BFloat16>?
    ) throws(FocalError) {
        _ = try run(logits, targets, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<BFloat16>, targets: UnsafeBufferPointer<BFloat16>,
        weights: UnsafeBufferPointer<BFloat16>?, layout: WeightsLayout, batch: Int64, classes: Int64, inner: Int64,
        gradLoss: UnsafeBufferPointer<BFloat16>?, options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<BFloat16>, gradLogits: UnsafeMutableBufferPointer<BFloat16>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try runWeighted(logits, targets, weights, layout, batch, classes, inner, gradLoss, options, loss, gradLogits, statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<BFloat16>, labels: UnsafeBufferPointer<Int64>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<BFloat16>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<BFloat16>, gradLogits: UnsafeMutableBufferPointer<BFloat16>?
    ) throws(FocalError) {
        _ = try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<BFloat16>, labels: UnsafeBufferPointer<Int64>,
        weights: UnsafeBufferPointer<BFloat16>?, layout: WeightsLayout,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<BFloat16>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<BFloat16>, gradLogits: UnsafeMutableBufferPointer<BFloat16>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits,
                      weights: weights, layout: layout, statistics: statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<BFloat16>, labels: UnsafeBufferPointer<Int32>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<BFloat16>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<BFloat16>, gradLogits: UnsafeMutableBufferPointer<BFloat16>?
    ) throws(FocalError) {
        _ = try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<BFloat16>, labels: UnsafeBufferPointer<Int32>,
        weights: UnsafeBufferPointer<BFloat16>?, layout: WeightsLayout,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<BFloat16>?,
        options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<BFloat16>, gradLogits: UnsafeMutableBufferPointer<BFloat16>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try runLabels(logits, labels, batch, classes, inner, gradLoss, options, loss, gradLogits,
                      weights: weights, layout: layout, statistics: statistics)
    }
}

extension SoftmaxFocalLoss {
    public static func compute(
        logits: UnsafeBufferPointer<BFloat16>, targets: UnsafeBufferPointer<Int64>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<BFloat16>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<BFloat16>, gradLogits: UnsafeMutableBufferPointer<BFloat16>?
    ) throws(FocalError) {
        _ = try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<BFloat16>, targets: UnsafeBufferPointer<Int64>, weights: UnsafeBufferPointer<BFloat16>?,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<BFloat16>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<BFloat16>, gradLogits: UnsafeMutableBufferPointer<BFloat16>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits,
                weights: weights, statistics: statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<BFloat16>, targets: UnsafeBufferPointer<Int32>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<BFloat16>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<BFloat16>, gradLogits: UnsafeMutableBufferPointer<BFloat16>?
    ) throws(FocalError) {
        _ = try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<BFloat16>, targets: UnsafeBufferPointer<Int32>, weights: UnsafeBufferPointer<BFloat16>?,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<BFloat16>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<BFloat16>, gradLogits: UnsafeMutableBufferPointer<BFloat16>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits,
                weights: weights, statistics: statistics)
    }
}
