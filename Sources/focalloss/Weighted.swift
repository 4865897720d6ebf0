import CFocalLoss
import FocalLossCore

// The header's "_weighted" functions: the sigmoid, sigmoid-from-labels and softmax calls with
// weights and a focal_stats output. Validation of the C side here (layout, stats version, NULL,
// sizes, overlaps), then the core; the stats are written last, on success only.

/// The core's layout of a C `focal_weights_layout`.
func coreLayout(_ layout: focal_weights_layout) throws(FocalError) -> WeightsLayout {
    guard let value = Int32(exactly: layout.rawValue), let core = WeightsLayout(rawValue: value) else {
        throw FocalError(.invalidShape,
                         "weights_layout = \(layout.rawValue) is not FOCAL_WEIGHTS_PER_ELEMENT (0) or FOCAL_WEIGHTS_PER_POSITION (1)")
    }
    return core
}

/// The caller's stats struct as a one-element output buffer (empty when NULL), its version checked.
func statsBuffer(_ stats: UnsafeMutablePointer<focal_stats>?) throws(FocalError) -> UnsafeMutableBufferPointer<focal_stats>? {
    guard let stats else { return nil }
    let version = structVersion(stats)
    guard version >= 1 && version <= UInt32(FOCAL_STATS_VERSION) else {
        throw FocalError(.invalidOptionsVersion,
                         "focal_stats.version = \(version) is not supported: this library (\(versionString)) knows version 1 to \(FOCAL_STATS_VERSION)")
    }
    return UnsafeMutableBufferPointer(start: stats, count: 1)
}

/// Writes the fields of the caller's stats version (version 1: all three).
func store(_ stats: FocalStats?, into buffer: UnsafeMutableBufferPointer<focal_stats>?) {
    guard let stats, let pointer = buffer?.baseAddress else { return }
    pointer.pointee.positives = stats.positives
    pointer.pointee.weight_sum = stats.weightSum
    pointer.pointee.divisor = stats.divisor
}

/// The buffers every weighted call shares, checked: logits, weights, upstream gradient, loss,
/// gradient and stats, for `elements` logits, `weightCount` weights and `reducedCount` losses.
struct WeightedBuffers<T> {
    let logits: UnsafeBufferPointer<T>
    let weights: UnsafeBufferPointer<T>?
    let upstream: UnsafeBufferPointer<T>?
    let loss: UnsafeMutableBufferPointer<T>
    let gradient: UnsafeMutableBufferPointer<T>?
    let stats: UnsafeMutableBufferPointer<focal_stats>?

    init(logits: UnsafePointer<T>?, weights: UnsafePointer<T>?, gradLoss: UnsafePointer<T>?,
         loss: UnsafeMutablePointer<T>?, gradLogits: UnsafeMutablePointer<T>?, stats: UnsafeMutablePointer<focal_stats>?,
         elements: Int, weightCount: Int, reducedCount: Int) throws(FocalError) {
        self.stats = try statsBuffer(stats)
        self.logits = try inputBuffer(logits, count: elements, name: "logits")!
        self.weights = try inputBuffer(weights, count: weightCount, name: "weights", nullMeans: "every weight 1")
        self.gradient = try outputBuffer(gradLogits, count: elements, name: "grad_logits", nullMeans: "no gradient")
        self.upstream = gradient == nil ? nil
            : try inputBuffer(gradLoss, count: reducedCount, name: "grad_loss", nullMeans: "ones")
        self.loss = try outputBuffer(loss, count: reducedCount, name: "loss")!
    }

    /// Outputs (loss, gradient, stats) overlap neither each other nor any input.
    func checkOverlaps<U>(targets: UnsafeBufferPointer<U>, name: String, alpha: UnsafeBufferPointer<Double>? = nil) throws(FocalError) {
        try checkNoOverlap(
            outputs: [Span("loss", loss), Span("grad_logits", gradient), Span("stats", stats)],
            inputs: [Span("logits", logits), Span(name, targets), Span("weights", weights), Span("grad_loss", upstream),
                     Span("alpha", alpha)])
    }
}

// MARK: Sigmoid

typealias SigmoidWeightedKernel<T> = (
    UnsafeBufferPointer<T>, UnsafeBufferPointer<T>, UnsafeBufferPointer<T>?, WeightsLayout, Int64, Int64, Int64,
    UnsafeBufferPointer<T>?, SigmoidFocalOptions, UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<T>?, Bool
) throws(FocalError) -> FocalStats?

func sigmoidWeighted<T>(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<T>?, _ targets: UnsafePointer<T>?, _ weights: UnsafePointer<T>?,
    _ layout: focal_weights_layout, _ gradLoss: UnsafePointer<T>?, _ loss: UnsafeMutablePointer<T>?,
    _ gradLogits: UnsafeMutablePointer<T>?, _ stats: UnsafeMutablePointer<focal_stats>?,
    kernel: SigmoidWeightedKernel<T>
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try sigmoidOptions(options) }, batch, classes, inner,
                    logits, targets, weights, layout, gradLoss, loss, gradLogits, stats, kernel: kernel)
}

/// `sigmoidWeighted` with the core's options from `readOptions` (the family's entry points
/// read their own structs).
func sigmoidWeighted<T>(
    readOptions: () throws(FocalError) -> SigmoidFocalOptions, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<T>?, _ targets: UnsafePointer<T>?, _ weights: UnsafePointer<T>?,
    _ layout: focal_weights_layout, _ gradLoss: UnsafePointer<T>?, _ loss: UnsafeMutablePointer<T>?,
    _ gradLogits: UnsafeMutablePointer<T>?, _ stats: UnsafeMutablePointer<focal_stats>?,
    kernel: SigmoidWeightedKernel<T>
) -> focal_status {
    withStatus { () throws(FocalError) in
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner, emptyClasses: true)
        let core = try readOptions()
        let coreLayout = try coreLayout(layout)
        let buffers = try WeightedBuffers(
            logits: logits, weights: weights, gradLoss: gradLoss, loss: loss, gradLogits: gradLogits, stats: stats,
            elements: counts.logits, weightCount: coreLayout == .perElement ? counts.logits : counts.targets,
            reducedCount: core.reduction == .none ? counts.logits : 1)
        let targetsBuffer = try inputBuffer(targets, count: counts.logits, name: "targets")!
        try buffers.checkOverlaps(targets: targetsBuffer, name: "targets")
        let result = try kernel(buffers.logits, targetsBuffer, buffers.weights, coreLayout, batch, classes, inner,
                                buffers.upstream, core, buffers.loss, buffers.gradient, buffers.stats != nil)
        store(result, into: buffers.stats)
    }
}

@c @implementation
public func focal_sigmoid_weighted_f32(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Float>?, _ targets: UnsafePointer<Float>?, _ weights: UnsafePointer<Float>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Float>?, _ loss: UnsafeMutablePointer<Float>?,
    _ gradLogits: UnsafeMutablePointer<Float>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(options, batch, classes, inner, logits, targets, weights, weightsLayout, gradLoss, loss, gradLogits,
                    stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_weighted_f64(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Double>?, _ targets: UnsafePointer<Double>?, _ weights: UnsafePointer<Double>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Double>?, _ loss: UnsafeMutablePointer<Double>?,
    _ gradLogits: UnsafeMutablePointer<Double>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(options, batch, classes, inner, logits, targets, weights, weightsLayout, gradLoss, loss, gradLogits,
                    stats, kernel: SigmoidFocalLoss.compute)
}

// MARK: Sigmoid from labels

typealias SigmoidLabelsWeightedKernel<T, Label> = (
    UnsafeBufferPointer<T>, UnsafeBufferPointer<Label>, UnsafeBufferPointer<T>?, WeightsLayout, Int64, Int64, Int64,
    UnsafeBufferPointer<T>?, SigmoidFocalOptions, UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<T>?, Bool
) throws(FocalError) -> FocalStats?

func sigmoidLabelsWeighted<T, Label>(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<T>?, _ labels: UnsafePointer<Label>?, _ weights: UnsafePointer<T>?,
    _ layout: focal_weights_layout, _ gradLoss: UnsafePointer<T>?, _ loss: UnsafeMutablePointer<T>?,
    _ gradLogits: UnsafeMutablePointer<T>?, _ stats: UnsafeMutablePointer<focal_stats>?,
    kernel: SigmoidLabelsWeightedKernel<T, Label>
) -> focal_status {
    withStatus { () throws(FocalError) in
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner)
        let core = try sigmoidOptions(options)
        let coreLayout = try coreLayout(layout)
        let buffers = try WeightedBuffers(
            logits: logits, weights: weights, gradLoss: gradLoss, loss: loss, gradLogits: gradLogits, stats: stats,
            elements: counts.logits, weightCount: coreLayout == .perElement ? counts.logits : counts.targets,
            reducedCount: core.reduction == .none ? counts.logits : 1)
        let labelsBuffer = try inputBuffer(labels, count: counts.targets, name: "labels")!
        try buffers.checkOverlaps(targets: labelsBuffer, name: "labels")
        let result = try kernel(buffers.logits, labelsBuffer, buffers.weights, coreLayout, batch, classes, inner,
                                buffers.upstream, core, buffers.loss, buffers.gradient, buffers.stats != nil)
        store(result, into: buffers.stats)
    }
}

@c @implementation
public func focal_sigmoid_labels_weighted_f32_i64(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Float>?, _ labels: UnsafePointer<Int64>?, _ weights: UnsafePointer<Float>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Float>?, _ loss: UnsafeMutablePointer<Float>?,
    _ gradLogits: UnsafeMutablePointer<Float>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidLabelsWeighted(options, batch, classes, inner, logits, labels, weights, weightsLayout, gradLoss, loss,
                          gradLogits, stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_weighted_f32_i32(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Float>?, _ labels: UnsafePointer<Int32>?, _ weights: UnsafePointer<Float>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Float>?, _ loss: UnsafeMutablePointer<Float>?,
    _ gradLogits: UnsafeMutablePointer<Float>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidLabelsWeighted(options, batch, classes, inner, logits, labels, weights, weightsLayout, gradLoss, loss,
                          gradLogits, stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_weighted_f64_i64(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Double>?, _ labels: UnsafePointer<Int64>?, _ weights: UnsafePointer<Double>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Double>?, _ loss: UnsafeMutablePointer<Double>?,
    _ gradLogits: UnsafeMutablePointer<Double>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidLabelsWeighted(options, batch, classes, inner, logits, labels, weights, weightsLayout, gradLoss, loss,
                          gradLogits, stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_weighted_f64_i32(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Double>?, _ labels: UnsafePointer<Int32>?, _ weights: UnsafePointer<Double>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Double>?, _ loss: UnsafeMutablePointer<Double>?,
    _ gradLogits: UnsafeMutablePointer<Double>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidLabelsWeighted(options, batch, classes, inner, logits, labels, weights, weightsLayout, gradLoss, loss,
                          gradLogits, stats, kernel: SigmoidFocalLoss.compute)
}

// MARK: Softmax

typealias SoftmaxWeightedKernel<T, Target> = (
    UnsafeBufferPointer<T>, UnsafeBufferPointer<Target>, UnsafeBufferPointer<T>?, Int64, Int64, Int64,
    UnsafeBufferPointer<T>?, SoftmaxFocalOptions, UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<T>?, Bool
) throws(FocalError) -> FocalStats?

func softmaxWeighted<T, Target>(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<T>?, _ targets: UnsafePointer<Target>?, _ weights: UnsafePointer<T>?,
    _ gradLoss: UnsafePointer<T>?, _ loss: UnsafeMutablePointer<T>?,
    _ gradLogits: UnsafeMutablePointer<T>?, _ stats: UnsafeMutablePointer<focal_stats>?,
    kernel: SoftmaxWeightedKernel<T, Target>
) -> focal_status {
    withStatus { () throws(FocalError) in
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner)
        let core = try softmaxOptions(options, classes: Int(classes))
        let buffers = try WeightedBuffers(
            logits: logits, weights: weights, gradLoss: gradLoss, loss: loss, gradLogits: gradLogits, stats: stats,
            elements: counts.logits, weightCount: counts.targets,
            reducedCount: core.reduction == .none ? counts.targets : 1)
        let targetsBuffer = try inputBuffer(targets, count: counts.targets, name: "targets")!
        try buffers.checkOverlaps(targets: targetsBuffer, name: "targets", alpha: core.alpha)
        let result = try kernel(buffers.logits, targetsBuffer, buffers.weights, batch, classes, inner,
                                buffers.upstream, core, buffers.loss, buffers.gradient, buffers.stats != nil)
        store(result, into: buffers.stats)
    }
}

@c @implementation
public func focal_softmax_weighted_f32_i64(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Float>?, _ targets: UnsafePointer<Int64>?, _ weights: UnsafePointer<Float>?,
    _ gradLoss: UnsafePointer<Float>?, _ loss: UnsafeMutablePointer<Float>?,
    _ gradLogits: UnsafeMutablePointer<Float>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    softmaxWeighted(options, batch, classes, inner, logits, targets, weights, gradLoss, loss, gradLogits, stats,
                    kernel: SoftmaxFocalLoss.compute)
}

@c @implementation
public func focal_softmax_weighted_f32_i32(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Float>?, _ targets: UnsafePointer<Int32>?, _ weights: UnsafePointer<Float>?,
    _ gradLoss: UnsafePointer<Float>?, _ loss: UnsafeMutablePointer<Float>?,
    _ gradLogits: UnsafeMutablePointer<Float>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    softmaxWeighted(options, batch, classes, inner, logits, targets, weights, gradLoss, loss, gradLogits, stats,
                    kernel: SoftmaxFocalLoss.compute)
}

@c @implementation
public func focal_softmax_weighted_f64_i64(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Double>?, _ targets: UnsafePointer<Int64>?, _ weights: UnsafePointer<Double>?,
    _ gradLoss: UnsafePointer<Double>?, _ loss: UnsafeMutablePointer<Double>?,
    _ gradLogits: UnsafeMutablePointer<Double>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    softmaxWeighted(options, batch, classes, inner, logits, targets, weights, gradLoss, loss, gradLogits, stats,
                    kernel: SoftmaxFocalLoss.compute)
}

@c @implementation
public func focal_softmax_weighted_f64_i32(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Double>?, _ targets: UnsafePointer<Int32>?, _ weights: UnsafePointer<Double>?,
    _ gradLoss: UnsafePointer<Double>?, _ loss: UnsafeMutablePointer<Double>?,
    _ gradLogits: UnsafeMutablePointer<Double>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    softmaxWeighted(options, batch, classes, inner, logits, targets, weights, gradLoss, loss, gradLogits, stats,
                    kernel: SoftmaxFocalLoss.compute)
}
