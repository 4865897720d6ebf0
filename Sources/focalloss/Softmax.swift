import CFocalLoss
import FocalLossCore

/// The core entry point of one logit and target type, as a value.
typealias SoftmaxKernel<T, Target> = (
    UnsafeBufferPointer<T>, UnsafeBufferPointer<Target>, Int64, Int64, Int64,
    UnsafeBufferPointer<T>?, SoftmaxFocalOptions,
    UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<T>?
) throws(FocalError) -> Void

/// Validates the C arguments, then hands buffers to the core; shared by the four variants.
func softmax<T, Target>(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<T>?, _ targets: UnsafePointer<Target>?, _ gradLoss: UnsafePointer<T>?,
    _ loss: UnsafeMutablePointer<T>?, _ gradLogits: UnsafeMutablePointer<T>?,
    kernel: SoftmaxKernel<T, Target>
) -> focal_status {
    withStatus { () throws(FocalError) in
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner)
        let core = try softmaxOptions(options, classes: Int(classes))
        let reducedCount = core.reduction == .none ? counts.targets : 1
        let logitsBuffer = try inputBuffer(logits, count: counts.logits, name: "logits")!
        let targetsBuffer = try inputBuffer(targets, count: counts.targets, name: "targets")!
        let gradBuffer = try outputBuffer(gradLogits, count: counts.logits, name: "grad_logits", nullMeans: "no gradient")
        let upstream = gradBuffer == nil ? nil
            : try inputBuffer(gradLoss, count: reducedCount, name: "grad_loss", nullMeans: "ones")
        let lossBuffer = try outputBuffer(loss, count: reducedCount, name: "loss")!
        try checkNoOverlap(
            outputs: [Span("loss", lossBuffer), Span("grad_logits", gradBuffer)],
            inputs: [Span("logits", logitsBuffer), Span("targets", targetsBuffer),
                     Span("grad_loss", upstream), Span("alpha", core.alpha)])
        try kernel(logitsBuffer, targetsBuffer, batch, classes, inner, upstream, core, lossBuffer, gradBuffer)
    }
}

@c @implementation
public func focal_softmax_f32_i64(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Float>?, _ targets: UnsafePointer<Int64>?, _ gradLoss: UnsafePointer<Float>?,
    _ loss: UnsafeMutablePointer<Float>?, _ gradLogits: UnsafeMutablePointer<Float>?
) -> focal_status {
    softmax(options, batch, classes, inner, logits, targets, gradLoss, loss, gradLogits, kernel: SoftmaxFocalLoss.compute)
}

@c @implementation
public func focal_softmax_f32_i32(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Float>?, _ targets: UnsafePointer<Int32>?, _ gradLoss: UnsafePointer<Float>?,
    _ loss: UnsafeMutablePointer<Float>?, _ gradLogits: UnsafeMutablePointer<Float>?
) -> focal_status {
    softmax(options, batch, classes, inner, logits, targets, gradLoss, loss, gradLogits, kernel: SoftmaxFocalLoss.compute)
}

@c @implementation
public func focal_softmax_f64_i64(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Double>?, _ targets: UnsafePointer<Int64>?, _ gradLoss: UnsafePointer<Double>?,
    _ loss: UnsafeMutablePointer<Double>?, _ gradLogits: UnsafeMutablePointer<Double>?
) -> focal_status {
    softmax(options, batch, classes, inner, logits, targets, gradLoss, loss, gradLogits, kernel: SoftmaxFocalLoss.compute)
}

@c @implementation
public func focal_softmax_f64_i32(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Double>?, _ targets: UnsafePointer<Int32>?, _ gradLoss: UnsafePointer<Double>?,
    _ loss: UnsafeMutablePointer<Double>?, _ gradLogits: UnsafeMutablePointer<Double>?
) -> focal_status {
    softmax(options, batch, classes, inner, logits, targets, gradLoss, loss, gradLogits, kernel: SoftmaxFocalLoss.compute)
}
