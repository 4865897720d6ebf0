import CFocalLoss
import FocalLossCore

/// The core entry point of one storage type, as a value.
typealias SigmoidKernel<T> = (
    UnsafeBufferPointer<T>, UnsafeBufferPointer<T>, UnsafeBufferPointer<T>?, SigmoidFocalOptions,
    UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<T>?
) throws(FocalError) -> Void

/// Validates the C arguments, then hands buffers to the core; shared by f32 and f64.
func sigmoid<T>(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ count: Int64,
    _ logits: UnsafePointer<T>?, _ targets: UnsafePointer<T>?, _ gradLoss: UnsafePointer<T>?,
    _ loss: UnsafeMutablePointer<T>?, _ gradLogits: UnsafeMutablePointer<T>?,
    kernel: SigmoidKernel<T>
) -> focal_status {
    withStatus { () throws(FocalError) in
        let core = try sigmoidOptions(options)
        guard count >= 0, let n = Int(exactly: count) else {
            throw FocalError(.invalidShape, "count = \(count) must be >= 0")
        }
        let reducedCount = core.reduction == .none ? n : 1
        let logitsBuffer = try inputBuffer(logits, count: n, name: "logits")!
        let targetsBuffer = try inputBuffer(targets, count: n, name: "targets")!
        let gradBuffer = try outputBuffer(gradLogits, count: n, name: "grad_logits", nullMeans: "no gradient")
        let upstream = gradBuffer == nil ? nil
            : try inputBuffer(gradLoss, count: reducedCount, name: "grad_loss", nullMeans: "ones")
        let lossBuffer = try outputBuffer(loss, count: reducedCount, name: "loss")!
        try checkNoOverlap(
            outputs: [Span("loss", lossBuffer), Span("grad_logits", gradBuffer)],
            inputs: [Span("logits", logitsBuffer), Span("targets", targetsBuffer), Span("grad_loss", upstream)])
        try kernel(logitsBuffer, targetsBuffer, upstream, core, lossBuffer, gradBuffer)
    }
}

@c @implementation
public func focal_sigmoid_f32(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ count: Int64,
    _ logits: UnsafePointer<Float>?, _ targets: UnsafePointer<Float>?, _ gradLoss: UnsafePointer<Float>?,
    _ loss: UnsafeMutablePointer<Float>?, _ gradLogits: UnsafeMutablePointer<Float>?
) -> focal_status {
    sigmoid(options, count, logits, targets, gradLoss, loss, gradLogits, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_f64(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ count: Int64,
    _ logits: UnsafePointer<Double>?, _ targets: UnsafePointer<Double>?, _ gradLoss: UnsafePointer<Double>?,
    _ loss: UnsafeMutablePointer<Double>?, _ gradLogits: UnsafeMutablePointer<Double>?
) -> focal_status {
    sigmoid(options, count, logits, targets, gradLoss, loss, gradLogits, kernel: SigmoidFocalLoss.compute)
}
