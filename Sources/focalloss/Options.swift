import CFocalLoss
import FocalLossCore

// The options structs: `_init` fills the core's defaults in, and each entry point turns a
// caller's struct (or NULL) into the core's options. The version field is read before any
// other field, so a struct of an unknown (possibly shorter) layout is never read past it, and
// a struct of an older version is read and written only up to its own end: version 1 is the
// prefix before `precision`, focal_sigmoid_options' version 2 the prefix before `ignore_index`
// (fields are only ever appended, so every offset is the same).

@c @implementation
public func focal_sigmoid_options_init(_ options: UnsafeMutablePointer<focal_sigmoid_options>?, _ version: UInt32) -> focal_status {
    withStatus { () throws(FocalError) in
        guard let options else { throw FocalError(.nullPointer, "options is NULL") }
        try checkVersion(version, supported: UInt32(FOCAL_SIGMOID_OPTIONS_VERSION), of: "focal_sigmoid_options")
        let defaults = SigmoidFocalOptions()
        copyPrefix(of: focal_sigmoid_options(
            version: version,
            reduction: cReduction(defaults.reduction),
            alpha: defaults.alpha ?? FOCAL_ALPHA_DISABLED,
            gamma: defaults.gamma,
            use_normalizer: 0,
            normalizer: 0,
            num_threads: Int32(defaults.threads),
            accumulate_grad: defaults.accumulateGradient ? 1 : 0,
            precision: cPrecision(defaults.precision),
            ignore_index: defaults.ignoreIndex,
            poly1_epsilon: defaults.poly1Epsilon),
            to: options, bytes: sigmoidOptionsSize(version))
    }
}

@c @implementation
public func focal_softmax_options_init(_ options: UnsafeMutablePointer<focal_softmax_options>?, _ version: UInt32) -> focal_status {
    withStatus { () throws(FocalError) in
        guard let options else { throw FocalError(.nullPointer, "options is NULL") }
        try checkVersion(version, supported: UInt32(FOCAL_SOFTMAX_OPTIONS_VERSION), of: "focal_softmax_options")
        let defaults = SoftmaxFocalOptions()
        copyPrefix(of: focal_softmax_options(
            version: version,
            reduction: cReduction(defaults.reduction),
            gamma: defaults.gamma,
            alpha: nil,
            ignore_index: defaults.ignoreIndex,
            label_smoothing: defaults.labelSmoothing,
            use_normalizer: 0,
            normalizer: 0,
            num_threads: Int32(defaults.threads),
            accumulate_grad: defaults.accumulateGradient ? 1 : 0,
            precision: cPrecision(defaults.precision),
            poly1_epsilon: defaults.poly1Epsilon),
            to: options, bytes: softmaxOptionsSize(version))
    }
}

/// Versions 1 (the fields before `precision`) up to `supported`, the header's.
func checkVersion(_ version: UInt32, supported: UInt32, of structName: String) throws(FocalError) {
    guard version >= 1 && version <= supported else {
        throw FocalError(.invalidOptionsVersion,
                         "\(structName).version = \(version) is not supported: this library (\(versionString)) knows versions 1 to \(supported)")
    }
}

/// The size in bytes of a struct of `version`: version 1 ends where `precision` begins,
/// version 2 where `ignore_index` does, version 3 where `poly1_epsilon` does.
func sigmoidOptionsSize(_ version: UInt32) -> Int {
    switch version {
    case 1: return MemoryLayout<focal_sigmoid_options>.offset(of: \.precision)!
    case 2: return MemoryLayout<focal_sigmoid_options>.offset(of: \.ignore_index)!
    case 3: return MemoryLayout<focal_sigmoid_options>.offset(of: \.poly1_epsilon)!
    default: return MemoryLayout<focal_sigmoid_options>.size
    }
}

/// Version 1 ends where `precision` begins, version 2 where `poly1_epsilon` does.
func softmaxOptionsSize(_ version: UInt32) -> Int {
    switch version {
    case 1: return MemoryLayout<focal_softmax_options>.offset(of: \.precision)!
    case 2: return MemoryLayout<focal_softmax_options>.offset(of: \.poly1_epsilon)!
    default: return MemoryLayout<focal_softmax_options>.size
    }
}

/// The first `bytes` bytes of `value` into `destination`.
func copyPrefix<Options>(of value: Options, to destination: UnsafeMutablePointer<Options>, bytes: Int) {
    withUnsafeBytes(of: value) { source in
        UnsafeMutableRawPointer(destination).copyMemory(from: source.baseAddress!, byteCount: bytes)
    }
}

/// A caller's struct of any supported version, as the current layout: the fields a version 1
/// struct lacks keep the values of `defaults`.
func readPrefix<Options>(_ options: UnsafePointer<Options>, bytes: Int, defaults: Options) -> Options {
    var value = defaults
    withUnsafeMutableBytes(of: &value) { target in
        target.baseAddress!.copyMemory(from: UnsafeRawPointer(options), byteCount: bytes)
    }
    return value
}

func cPrecision(_ precision: Precision) -> focal_precision {
    focal_precision(rawValue: UInt32(precision.rawValue))
}

func corePrecision(_ precision: focal_precision) throws(FocalError) -> Precision {
    guard let value = Int32(exactly: precision.rawValue), let core = Precision(rawValue: value) else {
        throw FocalError(.invalidPrecision,
                         "precision = \(precision.rawValue) is not FOCAL_PRECISION_EXACT (0) or FOCAL_PRECISION_FAST (1)")
    }
    return core
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

/// The sigmoid options. `reading` names the enum fields a function reads, and checks: the loss
/// functions read both, the gradient-and-Hessian functions the precision only, the init-score
/// functions neither (the header documents them as not read, so any value passes).
func sigmoidOptions(_ options: UnsafePointer<focal_sigmoid_options>?,
                    reading fields: OptionFields = .all) throws(FocalError) -> SigmoidFocalOptions {
    var core = SigmoidFocalOptions()
    guard let options else { return core }
    let version = structVersion(options)
    try checkVersion(version, supported: UInt32(FOCAL_SIGMOID_OPTIONS_VERSION), of: "focal_sigmoid_options")
    var defaults = focal_sigmoid_options()
    defaults.ignore_index = core.ignoreIndex
    let c = readPrefix(options, bytes: sigmoidOptionsSize(version), defaults: defaults)
    core.ignoreIndex = c.ignore_index
    if fields.contains(.reduction) { core.reduction = try coreReduction(c.reduction) }
    core.alpha = c.alpha == FOCAL_ALPHA_DISABLED ? nil : c.alpha
    core.gamma = c.gamma
    core.normalizer = c.use_normalizer != 0 ? c.normalizer : nil
    core.threads = Int(c.num_threads)
    core.accumulateGradient = c.accumulate_grad != 0
    if fields.contains(.precision) { core.precision = try corePrecision(c.precision) }
    core.poly1Epsilon = c.poly1_epsilon
    return core
}

/// The enum fields of an options struct a function reads (and so checks).
struct OptionFields: OptionSet {
    let rawValue: Int
    static let reduction = OptionFields(rawValue: 1)
    static let precision = OptionFields(rawValue: 2)
    static let all: OptionFields = [.reduction, .precision]
}

/// The softmax options; `alpha` is checked as a `classes`-long input buffer. `reading` as for
/// `sigmoidOptions`.
func softmaxOptions(_ options: UnsafePointer<focal_softmax_options>?, classes: Int,
                    reading fields: OptionFields = .all) throws(FocalError) -> SoftmaxFocalOptions {
    var core = SoftmaxFocalOptions()
    guard let options else { return core }
    let version = structVersion(options)
    try checkVersion(version, supported: UInt32(FOCAL_SOFTMAX_OPTIONS_VERSION), of: "focal_softmax_options")
    let c = readPrefix(options, bytes: softmaxOptionsSize(version), defaults: focal_softmax_options())
    if fields.contains(.reduction) { core.reduction = try coreReduction(c.reduction) }
    core.gamma = c.gamma
    core.alpha = try inputBuffer(c.alpha, count: classes, name: "alpha", nullMeans: "every class weighs 1")
    core.ignoreIndex = c.ignore_index
    core.labelSmoothing = c.label_smoothing
    core.normalizer = c.use_normalizer != 0 ? c.normalizer : nil
    core.threads = Int(c.num_threads)
    core.accumulateGradient = c.accumulate_grad != 0
    if fields.contains(.precision) { core.precision = try corePrecision(c.precision) }
    core.poly1Epsilon = c.poly1_epsilon
    return core
}
