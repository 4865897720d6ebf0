import CFocalLoss
import FocalLossCore
import _KernelInterface

// The header's gradient-and-Hessian and init-score functions (gradient boosting): the C side's
// checks (enums, NULL, sizes, overlaps) here, then the core.

/// The core's Hessian mode of a C `focal_hessian`.
func coreHessian(_ hessian: focal_hessian) throws(FocalError) -> HessianMode {
    guard let value = Int32(exactly: hessian.rawValue), let mode = HessianMode(rawValue: value) else {
        throw FocalError(.invalidHessian,
                         "hessian = \(hessian.rawValue) is not FOCAL_HESSIAN_EXACT (0), FOCAL_HESSIAN_CLIPPED (1) or FOCAL_HESSIAN_APPROXIMATE (2)")
    }
    return mode
}

/// The outputs `grad` and `hess` (either may be NULL) of `elements` values each, checked against
/// each other and the inputs.
func gradHessOutputs<T>(
    _ grad: UnsafeMutablePointer<T>?, _ hess: UnsafeMutablePointer<T>?, elements: Int,
    _ a: Span, _ b: Span, _ c: Span, _ d: Span = Span("", UnsafeBufferPointer<Double>?.none)
) throws(FocalError) -> (UnsafeMutableBufferPointer<T>?, UnsafeMutableBufferPointer<T>?) {
    let g = try outputBuffer(grad, count: elements, name: "grad", nullMeans: "no gradient")
    let h = try outputBuffer(hess, count: elements, name: "hess", nullMeans: "no Hessian")
    try checkNoOverlap(outputs: [Span("grad", g), Span("hess", h)], inputs: [a, b, c, d])
    return (g, h)
}

func sigmoidGradHess<T: GradHessScalar>(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ hessian: focal_hessian, _ batch: Int64, _ classes: Int64,
    _ inner: Int64, _ logits: UnsafePointer<T>?, _ targets: UnsafePointer<T>?, _ weights: UnsafePointer<T>?,
    _ layout: focal_weights_layout, _ grad: UnsafeMutablePointer<T>?, _ hess: UnsafeMutablePointer<T>?
) -> focal_status {
    withStatus { () throws(FocalError) in
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner, emptyClasses: true)
        let core = try sigmoidOptions(options, reading: .precision)
        let mode = try coreHessian(hessian)
        let coreLayout = try coreLayout(layout)
        let x = try inputBuffer(logits, count: counts.logits, name: "logits")!
        let t = try inputBuffer(targets, count: counts.logits, name: "targets")!
        let w = try inputBuffer(weights, count: coreLayout == .perElement ? counts.logits : counts.targets,
                                name: "weights", nullMeans: "every weight 1")
        let (g, h) = try gradHessOutputs(grad, hess, elements: counts.logits,
                                         Span("logits", x), Span("targets", t), Span("weights", w))
        try FocalGradHess.sigmoid(logits: x, targets: t, weights: w, layout: coreLayout, batch: batch, classes: classes,
                                  inner: inner, options: core, mode: mode, gradient: g, hessian: h)
    }
}

/// The core's softmax gradient-and-Hessian entry point of one logit and target type, as a value
/// (a concrete overload of `FocalGradHess.softmax`, specialized: the generic one runs unspecialized
/// from this module).
typealias SoftmaxGradHessCore<T, Target> = (
    UnsafeBufferPointer<T>, UnsafeBufferPointer<Target>, UnsafeBufferPointer<T>?, Int64, Int64, Int64,
    SoftmaxFocalOptions, HessianMode, UnsafeMutableBufferPointer<T>?, UnsafeMutableBufferPointer<T>?
) throws(FocalError) -> Void

func softmaxGradHess<T: GradHessScalar, Target: FocalTarget>(
    _ options: UnsafePointer<focal_softmax_options>?, _ hessian: focal_hessian, _ batch: Int64, _ classes: Int64,
    _ inner: Int64, _ logits: UnsafePointer<T>?, _ targets: UnsafePointer<Target>?, _ weights: UnsafePointer<T>?,
    _ grad: UnsafeMutablePointer<T>?, _ hess: UnsafeMutablePointer<T>?, core compute: SoftmaxGradHessCore<T, Target>
) -> focal_status {
    withStatus { () throws(FocalError) in
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner)
        let core = try softmaxOptions(options, classes: Int(classes), reading: .precision)
        let mode = try coreHessian(hessian)
        let x = try inputBuffer(logits, count: counts.logits, name: "logits")!
        let y = try inputBuffer(targets, count: counts.targets, name: "targets")!
        let w = try inputBuffer(weights, count: counts.targets, name: "weights", nullMeans: "every weight 1")
        let (g, h) = try gradHessOutputs(grad, hess, elements: counts.logits,
                                         Span("logits", x), Span("targets", y), Span("weights", w), Span("alpha", core.alpha))
        try compute(x, y, w, batch, classes, inner, core, mode, g, h)
    }
}

@c @implementation
public func focal_sigmoid_grad_hess_f32(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ hessian: focal_hessian, _ batch: Int64, _ classes: Int64,
    _ inner: Int64, _ logits: UnsafePointer<Float>?, _ targets: UnsafePointer<Float>?, _ weights: UnsafePointer<Float>?,
    _ weightsLayout: focal_weights_layout, _ grad: UnsafeMutablePointer<Float>?, _ hess: UnsafeMutablePointer<Float>?
) -> focal_status {
    sigmoidGradHess(options, hessian, batch, classes, inner, logits, targets, weights, weightsLayout, grad, hess)
}

@c @implementation
public func focal_sigmoid_grad_hess_f64(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ hessian: focal_hessian, _ batch: Int64, _ classes: Int64,
    _ inner: Int64, _ logits: UnsafePointer<Double>?, _ targets: UnsafePointer<Double>?, _ weights: UnsafePointer<Double>?,
    _ weightsLayout: focal_weights_layout, _ grad: UnsafeMutablePointer<Double>?, _ hess: UnsafeMutablePointer<Double>?
) -> focal_status {
    sigmoidGradHess(options, hessian, batch, classes, inner, logits, targets, weights, weightsLayout, grad, hess)
}

@c @implementation
public func focal_softmax_grad_hess_f32_i64(
    _ options: UnsafePointer<focal_softmax_options>?, _ hessian: focal_hessian, _ batch: Int64, _ classes: Int64,
    _ inner: Int64, _ logits: UnsafePointer<Float>?, _ targets: UnsafePointer<Int64>?, _ weights: UnsafePointer<Float>?,
    _ grad: UnsafeMutablePointer<Float>?, _ hess: UnsafeMutablePointer<Float>?
) -> focal_status {
    softmaxGradHess(options, hessian, batch, classes, inner, logits, targets, weights, grad, hess, core: FocalGradHess.softmax)
}

@c @implementation
public func focal_softmax_grad_hess_f32_i32(
    _ options: UnsafePointer<focal_softmax_options>?, _ hessian: focal_hessian, _ batch: Int64, _ classes: Int64,
    _ inner: Int64, _ logits: UnsafePointer<Float>?, _ targets: UnsafePointer<Int32>?, _ weights: UnsafePointer<Float>?,
    _ grad: UnsafeMutablePointer<Float>?, _ hess: UnsafeMutablePointer<Float>?
) -> focal_status {
    softmaxGradHess(options, hessian, batch, classes, inner, logits, targets, weights, grad, hess, core: FocalGradHess.softmax)
}

@c @implementation
public func focal_softmax_grad_hess_f64_i64(
    _ options: UnsafePointer<focal_softmax_options>?, _ hessian: focal_hessian, _ batch: Int64, _ classes: Int64,
    _ inner: Int64, _ logits: UnsafePointer<Double>?, _ targets: UnsafePointer<Int64>?, _ weights: UnsafePointer<Double>?,
    _ grad: UnsafeMutablePointer<Double>?, _ hess: UnsafeMutablePointer<Double>?
) -> focal_status {
    softmaxGradHess(options, hessian, batch, classes, inner, logits, targets, weights, grad, hess, core: FocalGradHess.softmax)
}

@c @implementation
public func focal_softmax_grad_hess_f64_i32(
    _ options: UnsafePointer<focal_softmax_options>?, _ hessian: focal_hessian, _ batch: Int64, _ classes: Int64,
    _ inner: Int64, _ logits: UnsafePointer<Double>?, _ targets: UnsafePointer<Int32>?, _ weights: UnsafePointer<Double>?,
    _ grad: UnsafeMutablePointer<Double>?, _ hess: UnsafeMutablePointer<Double>?
) -> focal_status {
    softmaxGradHess(options, hessian, batch, classes, inner, logits, targets, weights, grad, hess, core: FocalGradHess.softmax)
}

// MARK: Starting margins

func sigmoidInitScore<T: GradHessScalar>(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ targets: UnsafePointer<T>?, _ weights: UnsafePointer<T>?, _ layout: focal_weights_layout,
    _ scores: UnsafeMutablePointer<T>?
) -> focal_status {
    withStatus { () throws(FocalError) in
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner)
        let core = try sigmoidOptions(options, reading: [])
        let coreLayout = try coreLayout(layout)
        let t = try inputBuffer(targets, count: counts.logits, name: "targets")!
        let w = try inputBuffer(weights, count: coreLayout == .perElement ? counts.logits : counts.targets,
                                name: "weights", nullMeans: "every weight 1")
        let s = try outputBuffer(scores, count: Int(classes), name: "scores")!
        try checkNoOverlap(outputs: [Span("scores", s)], inputs: [Span("targets", t), Span("weights", w)])
        try FocalGradHess.sigmoidInitScores(targets: t, weights: w, layout: coreLayout, batch: batch, classes: classes,
                                            inner: inner, options: core, scores: s)
    }
}

func softmaxInitScore<Target: FocalTarget>(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ targets: UnsafePointer<Target>?, _ weights: UnsafePointer<Double>?, _ scores: UnsafeMutablePointer<Double>?
) -> focal_status {
    withStatus { () throws(FocalError) in
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner)
        let core = try softmaxOptions(options, classes: Int(classes), reading: [])
        let y = try inputBuffer(targets, count: counts.targets, name: "targets")!
        let w = try inputBuffer(weights, count: counts.targets, name: "weights", nullMeans: "every weight 1")
        let s = try outputBuffer(scores, count: Int(classes), name: "scores")!
        try checkNoOverlap(outputs: [Span("scores", s)],
                           inputs: [Span("targets", y), Span("weights", w), Span("alpha", core.alpha)])
        try FocalGradHess.softmaxInitScores(targets: y, weights: w, batch: batch, classes: classes, inner: inner,
                                            options: core, scores: s)
    }
}

@c @implementation
public func focal_sigmoid_init_score_f32(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ targets: UnsafePointer<Float>?, _ weights: UnsafePointer<Float>?, _ weightsLayout: focal_weights_layout,
    _ scores: UnsafeMutablePointer<Float>?
) -> focal_status {
    sigmoidInitScore(options, batch, classes, inner, targets, weights, weightsLayout, scores)
}

@c @implementation
public func focal_sigmoid_init_score_f64(
    _ options: UnsafePointer<focal_sigmoid_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ targets: UnsafePointer<Double>?, _ weights: UnsafePointer<Double>?, _ weightsLayout: focal_weights_layout,
    _ scores: UnsafeMutablePointer<Double>?
) -> focal_status {
    sigmoidInitScore(options, batch, classes, inner, targets, weights, weightsLayout, scores)
}

@c @implementation
public func focal_softmax_init_score_f64_i64(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ targets: UnsafePointer<Int64>?, _ weights: UnsafePointer<Double>?, _ scores: UnsafeMutablePointer<Double>?
) -> focal_status {
    softmaxInitScore(options, batch, classes, inner, targets, weights, scores)
}

@c @implementation
public func focal_softmax_init_score_f64_i32(
    _ options: UnsafePointer<focal_softmax_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ targets: UnsafePointer<Int32>?, _ weights: UnsafePointer<Double>?, _ scores: UnsafeMutablePointer<Double>?
) -> focal_status {
    softmaxInitScore(options, batch, classes, inner, targets, weights, scores)
}
