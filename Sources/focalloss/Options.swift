import CFocalLoss
import FocalLossCore

// The options structs: `_init` fills the core's defaults in, and each entry point turns a
// caller's struct (or NULL) into the core's options. The version field is read before any
// other field, so a struct of an unknown (possibly shorter) layout is never read past it.

@c @implementation
public func focal_sigmoid_options_init(_ options: UnsafeMutablePointer<focal_sigmoid_options>?, _ version: UInt32) -> focal_status {
    withStatus { () throws(FocalError) in
        guard let options else { throw FocalError(.nullPointer, "options is NULL") }
        try checkVersion(version, supported: UInt32(FOCAL_SIGMOID_OPTIONS_VERSION), of: "focal_sigmoid_options")
        let defaults = SigmoidFocalOptions()
        options.pointee = focal_sigmoid_options(
            version: version,
            reduction: cReduction(defaults.reduction),
            alpha: defaults.alpha ?? FOCAL_ALPHA_DISABLED,
            gamma: defaults.gamma,
            use_normalizer: 0,
            normalizer: 0,
            num_threads: Int32(defaults.threads),
            accumulate_grad: defaults.accumulateGradient ? 1 : 0)
    }
}

@c @implementation
public func focal_softmax_options_init(_ options: UnsafeMutablePointer<focal_softmax_options>?, _ version: UInt32) -> focal_status {
    withStatus { () throws(FocalError) in
        guard let options else { throw FocalError(.nullPointer, "options is NULL") }
        try checkVersion(version, supported: UInt32(FOCAL_SOFTMAX_OPTIONS_VERSION), of: "focal_softmax_options")
        let defaults = SoftmaxFocalOptions()
        options.pointee = focal_softmax_options(
            version: version,
            reduction: cReduction(defaults.reduction),
            gamma: defaults.gamma,
            alpha: nil,
            ignore_index: defaults.ignoreIndex,
            label_smoothing: defaults.labelSmoothing,
            use_normalizer: 0,
            normalizer: 0,
            num_threads: Int32(defaults.threads),
            accumulate_grad: defaults.accumulateGradient ? 1 : 0)
    }
}

func checkVersion(_ version: UInt32, supported: UInt32, of structName: String) throws(FocalError) {
    guard version == supported else {
        throw FocalError(.invalidOptionsVersion,
                         "\(structName).version = \(version) is not supported: this library (\(versionString)) knows version \(supported)")
    }
}

func cReduction(_ reduction: Reduction) -> focal_reduction {
    focal_reduction(rawValue: UInt32(reduction.rawValue))
}

func coreReduction(_ reduction: focal_reduction) throws(FocalError) -> Reduction {
    guard let value = Int32(exactly: reduction.rawValue), let core = Reduction(rawValue: value) else {
        throw FocalError(.invalidReduction,
                         "reduction = \(reduction.rawValue) is not FOCAL_REDUCTION_NONE (0), FOCAL_REDUCTION_SUM (1) or FOCAL_REDUCTION_MEAN (2)")
    }
    return core
}

/// The version field, read alone, through the struct's first four bytes.
func structVersion<Options>(_ options: UnsafePointer<Options>) -> UInt32 {
    UnsafeRawPointer(options).load(as: UInt32.self)
}

func sigmoidOptions(_ options: UnsafePointer<focal_sigmoid_options>?) throws(FocalError) -> SigmoidFocalOptions {
    var core = SigmoidFocalOptions()
    guard let options else { return core }
    try checkVersion(structVersion(options), supported: UInt32(FOCAL_SIGMOID_OPTIONS_VERSION), of: "focal_sigmoid_options")
    let c = options.pointee
    core.reduction = try coreReduction(c.reduction)
    core.alpha = c.alpha == FOCAL_ALPHA_DISABLED ? nil : c.alpha
    core.gamma = c.gamma
    core.normalizer = c.use_normalizer != 0 ? c.normalizer : nil
    core.threads = Int(c.num_threads)
    core.accumulateGradient = c.accumulate_grad != 0
    return core
}

/// The softmax options; `alpha` is checked as a `classes`-long input buffer.
func softmaxOptions(_ options: UnsafePointer<focal_softmax_options>?, classes: Int) throws(FocalError) -> SoftmaxFocalOptions {
    var core = SoftmaxFocalOptions()
    guard let options else { return core }
    try checkVersion(structVersion(options), supported: UInt32(FOCAL_SOFTMAX_OPTIONS_VERSION), of: "focal_softmax_options")
    let c = options.pointee
    core.reduction = try coreReduction(c.reduction)
    core.gamma = c.gamma
    core.alpha = try inputBuffer(c.alpha, count: classes, name: "alpha", nullMeans: "every class weighs 1")
    core.ignoreIndex = c.ignore_index
    core.labelSmoothing = c.label_smoothing
    core.normalizer = c.use_normalizer != 0 ? c.normalizer : nil
    core.threads = Int(c.num_threads)
    core.accumulateGradient = c.accumulate_grad != 0
    return core
}
