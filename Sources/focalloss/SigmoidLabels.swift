import CFocalLoss
import FocalLossCore

/// The core entry point of one logit and label type, as a value.
typealias SigmoidLabelsKernel<T, Label> = (
    UnsafeBufferPointer<T>, UnsafeBufferPointer<Label>, Int64, Int64, Int64,
    UnsafeBufferPointer<T>?, SigmoidFocalOptions,
    UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<T>?
) throws(FocalError) -> Void

/// Validates the C arguments, then hands buffers to the core; shared by the four variants.
func sigmoidLabels<T, Label>(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<T>?, _ labels: UnsafePointer<Label>?, _ gradLoss: UnsafePointer<T>?,
    _ loss: UnsafeMutablePointer<T>?, _ gradLogits: UnsafeMutablePointer<T>?,
    kernel: SigmoidLabelsKernel<T, Label>
) -> focal_status {
    withStatus { () throws(FocalError) in
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner)
        let core = try sigmoidOptions(options)
        let reducedCount = core.reduction == .none ? counts.logits : 1
        let logitsBuffer = try inputBuffer(logits, count: counts.logits, name: "logits")!
        let labelsBuffer = try inputBuffer(labels, count: counts.targets, name: "labels")!
        let gradBuffer = try outputBuffer(gradLogits, count: counts.logits, name: "grad_logits", nullMeans: "no gradient")
        let upstream = gradBuffer == nil ? nil
            : try inputBuffer(gradLoss, count: reducedCount, name: "grad_loss", nullMeans: "ones")
        let lossBuffer = try outputBuffer(loss, count: reducedCount, name: "loss")!
        try checkNoOverlap(
            outputs: [Span("loss", lossBuffer), Span("grad_logits", gradBuffer)],
            inputs: [Span("logits", logitsBuffer), Span("labels", labelsBuffer), Span("grad_loss", upstream)])
        try kernel(logitsBuffer, labelsBuffer, batch, classes, inner, upstream, core, lossBuffer, gradBuffer)
    }
}

@c @implementation
public func focal_sigmoid_labels_f32_i64(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Float>?, _ labels: UnsafePointer<Int64>?, _ gradLoss: UnsafePointer<Float>?,
    _ loss: UnsafeMutablePointer<Float>?, _ gradLogits: UnsafeMutablePointer<Float>?
) -> focal_status {
    sigmoidLabels(options, batch, classes, inner, logits, labels, gradLoss, loss, gradLogits, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_f32_i32(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Float>?, _ labels: UnsafePointer<Int32>?, _ gradLoss: UnsafePointer<Float>?,
    _ loss: UnsafeMutablePointer<Float>?, _ gradLogits: UnsafeMutablePointer<Float>?
) -> focal_status {
    sigmoidLabels(options, batch, classes, inner, logits, labels, gradLoss, loss, gradLogits, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_f64_i64(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Double>?, _ labels: UnsafePointer<Int64>?, _ gradLoss: UnsafePointer<Double>?,
    _ loss: UnsafeMutablePointer<Double>?, _ gradLogits: UnsafeMutablePointer<Double>?
) -> focal_status {
    sigmoidLabels(options, batch, classes, inner, logits, labels, gradLoss, loss, gradLogits, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_labels_f64_i32(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Double>?, _ labels: UnsafePointer<Int32>?, _ gradLoss: UnsafePointer<Double>?,
    _ loss: UnsafeMutablePointer<Double>?, _ gradLogits: UnsafeMutablePointer<Double>?
) -> focal_status {
    sigmoidLabels(options, batch, classes, inner, logits, labels, gradLoss, loss, gradLogits, kernel: SigmoidFocalLoss.compute)
}
