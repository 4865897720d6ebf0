import CFocalLoss
import FocalLossCore
import _KernelInterface

// The focal family's entry points (issue 14): FL*, the asymmetric, quality focal and varifocal
// losses. Each has its own options struct (version 1), read into the core's sigmoid options with
// `family` set, and one function per storage type with the shape of focal_sigmoid_weighted_*:
// the same validation, buffers and core path (SigmoidFocalLoss), another element function.

/// The options every family struct shares, into the core's.
func familyCore(_ family: SigmoidFamilyLoss, reduction: focal_reduction, useNormalizer: Int32, normalizer: Double,
                threads: Int32, accumulate: Int32, precision: focal_precision) throws(FocalError) -> SigmoidFocalOptions {
    var core = SigmoidFocalOptions(family: family)
    core.reduction = try coreReduction(reduction)
    core.normalizer = useNormalizer != 0 ? normalizer : nil
    core.threads = Int(threads)
    core.accumulateGradient = accumulate != 0
    core.precision = try corePrecision(precision)
    return core
}

/// A family struct of a supported version (1), or the defaults for NULL.
func familyStruct<Options>(_ options: UnsafePointer<Options>?, supported: Int32, name: String,
                           defaults: Options) throws(FocalError) -> Options {
    guard let options else { return defaults }
    try checkVersion(structVersion(options), supported: UInt32(supported), of: name)
    return options.pointee
}

/// Writes the defaults of a family struct after checking `version`.
func familyInit<Options>(_ options: UnsafeMutablePointer<Options>?, _ version: UInt32, supported: Int32, name: String,
                         defaults: Options) -> focal_status {
    withStatus { () throws(FocalError) in
        guard let options else { throw FocalError(.nullPointer, "options is NULL") }
        try checkVersion(version, supported: UInt32(supported), of: name)
        options.pointee = defaults
    }
}

// MARK: Options

let sigmoidStarDefaults = focal_sigmoid_star_options(
    version: UInt32(FOCAL_SIGMOID_STAR_OPTIONS_VERSION), reduction: FOCAL_REDUCTION_NONE, alpha: FOCAL_ALPHA_DISABLED,
    gamma: 1, beta: 0, use_normalizer: 0, normalizer: 0, num_threads: 0, accumulate_grad: 0,
    precision: FOCAL_PRECISION_EXACT)
let asymmetricDefaults = focal_asymmetric_options(
    version: UInt32(FOCAL_ASYMMETRIC_OPTIONS_VERSION), reduction: FOCAL_REDUCTION_NONE, gamma_pos: 1, gamma_neg: 4,
    margin: 0.05, use_normalizer: 0, normalizer: 0, num_threads: 0, accumulate_grad: 0, precision: FOCAL_PRECISION_EXACT)
let qualityDefaults = focal_quality_options(
    version: UInt32(FOCAL_QUALITY_OPTIONS_VERSION), reduction: FOCAL_REDUCTION_NONE, beta: 2, use_normalizer: 0,
    normalizer: 0, num_threads: 0, accumulate_grad: 0, precision: FOCAL_PRECISION_EXACT)
let varifocalDefaults = focal_varifocal_options(
    version: UInt32(FOCAL_VARIFOCAL_OPTIONS_VERSION), reduction: FOCAL_REDUCTION_NONE, alpha: 0.75, gamma: 2,
    iou_weighted: 1, use_normalizer: 0, normalizer: 0, num_threads: 0, accumulate_grad: 0,
    precision: FOCAL_PRECISION_EXACT)

@c @implementation
public func focal_sigmoid_star_options_init(_ options: UnsafeMutablePointer<focal_sigmoid_star_options>?, _ version: UInt32) -> focal_status {
    familyInit(options, version, supported: FOCAL_SIGMOID_STAR_OPTIONS_VERSION, name: "focal_sigmoid_star_options",
               defaults: sigmoidStarDefaults)
}

@c @implementation
public func focal_asymmetric_options_init(_ options: UnsafeMutablePointer<focal_asymmetric_options>?, _ version: UInt32) -> focal_status {
    familyInit(options, version, supported: FOCAL_ASYMMETRIC_OPTIONS_VERSION, name: "focal_asymmetric_options",
               defaults: asymmetricDefaults)
}

@c @implementation
public func focal_quality_options_init(_ options: UnsafeMutablePointer<focal_quality_options>?, _ version: UInt32) -> focal_status {
    familyInit(options, version, supported: FOCAL_QUALITY_OPTIONS_VERSION, name: "focal_quality_options",
               defaults: qualityDefaults)
}

@c @implementation
public func focal_varifocal_options_init(_ options: UnsafeMutablePointer<focal_varifocal_options>?, _ version: UInt32) -> focal_status {
    familyInit(options, version, supported: FOCAL_VARIFOCAL_OPTIONS_VERSION, name: "focal_varifocal_options",
               defaults: varifocalDefaults)
}

func sigmoidStarOptions(_ options: UnsafePointer<focal_sigmoid_star_options>?) throws(FocalError) -> SigmoidFocalOptions {
    let c = try familyStruct(options, supported: FOCAL_SIGMOID_STAR_OPTIONS_VERSION, name: "focal_sigmoid_star_options",
                             defaults: sigmoidStarDefaults)
    return try familyCore(.focalStar(alpha: c.alpha == FOCAL_ALPHA_DISABLED ? nil : c.alpha, gamma: c.gamma, beta: c.beta),
                          reduction: c.reduction, useNormalizer: c.use_normalizer, normalizer: c.normalizer,
                          threads: c.num_threads, accumulate: c.accumulate_grad, precision: c.precision)
}

func asymmetricOptions(_ options: UnsafePointer<focal_asymmetric_options>?) throws(FocalError) -> SigmoidFocalOptions {
    let c = try familyStruct(options, supported: FOCAL_ASYMMETRIC_OPTIONS_VERSION, name: "focal_asymmetric_options",
                             defaults: asymmetricDefaults)
    return try familyCore(.asymmetric(gammaPositive: c.gamma_pos, gammaNegative: c.gamma_neg, margin: c.margin),
                          reduction: c.reduction, useNormalizer: c.use_normalizer, normalizer: c.normalizer,
                          threads: c.num_threads, accumulate: c.accumulate_grad, precision: c.precision)
}

func qualityOptions(_ options: UnsafePointer<focal_quality_options>?) throws(FocalError) -> SigmoidFocalOptions {
    let c = try familyStruct(options, supported: FOCAL_QUALITY_OPTIONS_VERSION, name: "focal_quality_options",
                             defaults: qualityDefaults)
    return try familyCore(.quality(beta: c.beta),
                          reduction: c.reduction, useNormalizer: c.use_normalizer, normalizer: c.normalizer,
                          threads: c.num_threads, accumulate: c.accumulate_grad, precision: c.precision)
}

func varifocalOptions(_ options: UnsafePointer<focal_varifocal_options>?) throws(FocalError) -> SigmoidFocalOptions {
    let c = try familyStruct(options, supported: FOCAL_VARIFOCAL_OPTIONS_VERSION, name: "focal_varifocal_options",
                             defaults: varifocalDefaults)
    return try familyCore(.varifocal(alpha: c.alpha, gamma: c.gamma, iouWeighted: c.iou_weighted != 0),
                          reduction: c.reduction, useNormalizer: c.use_normalizer, normalizer: c.normalizer,
                          threads: c.num_threads, accumulate: c.accumulate_grad, precision: c.precision)
}

// MARK: FL*

@c @implementation
public func focal_sigmoid_star_f32(
    _ options: UnsafePointer<focal_sigmoid_star_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Float>?, _ targets: UnsafePointer<Float>?, _ weights: UnsafePointer<Float>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Float>?, _ loss: UnsafeMutablePointer<Float>?,
    _ gradLogits: UnsafeMutablePointer<Float>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try sigmoidStarOptions(options) }, batch, classes, inner,
                    logits, targets, weights, weightsLayout, gradLoss, loss, gradLogits, stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_star_f64(
    _ options: UnsafePointer<focal_sigmoid_star_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Double>?, _ targets: UnsafePointer<Double>?, _ weights: UnsafePointer<Double>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Double>?, _ loss: UnsafeMutablePointer<Double>?,
    _ gradLogits: UnsafeMutablePointer<Double>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try sigmoidStarOptions(options) }, batch, classes, inner,
                    logits, targets, weights, weightsLayout, gradLoss, loss, gradLogits, stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_star_f16(
    _ options: UnsafePointer<focal_sigmoid_star_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ targets: UnsafePointer<focal_f16>?, _ weights: UnsafePointer<focal_f16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_f16>?, _ loss: UnsafeMutablePointer<focal_f16>?,
    _ gradLogits: UnsafeMutablePointer<focal_f16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try sigmoidStarOptions(options) }, batch, classes, inner,
                    storage(logits, Float16.self), storage(targets, Float16.self), storage(weights, Float16.self), weightsLayout,
                    storage(gradLoss, Float16.self), storage(loss, Float16.self), storage(gradLogits, Float16.self), stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_sigmoid_star_bf16(
    _ options: UnsafePointer<focal_sigmoid_star_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ targets: UnsafePointer<focal_bf16>?, _ weights: UnsafePointer<focal_bf16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_bf16>?, _ loss: UnsafeMutablePointer<focal_bf16>?,
    _ gradLogits: UnsafeMutablePointer<focal_bf16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try sigmoidStarOptions(options) }, batch, classes, inner,
                    storage(logits, BFloat16.self), storage(targets, BFloat16.self), storage(weights, BFloat16.self), weightsLayout,
                    storage(gradLoss, BFloat16.self), storage(loss, BFloat16.self), storage(gradLogits, BFloat16.self), stats, kernel: SigmoidFocalLoss.compute)
}

// MARK: asymmetric loss

@c @implementation
public func focal_asymmetric_f32(
    _ options: UnsafePointer<focal_asymmetric_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Float>?, _ targets: UnsafePointer<Float>?, _ weights: UnsafePointer<Float>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Float>?, _ loss: UnsafeMutablePointer<Float>?,
    _ gradLogits: UnsafeMutablePointer<Float>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try asymmetricOptions(options) }, batch, classes, inner,
                    logits, targets, weights, weightsLayout, gradLoss, loss, gradLogits, stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_asymmetric_f64(
    _ options: UnsafePointer<focal_asymmetric_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Double>?, _ targets: UnsafePointer<Double>?, _ weights: UnsafePointer<Double>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Double>?, _ loss: UnsafeMutablePointer<Double>?,
    _ gradLogits: UnsafeMutablePointer<Double>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try asymmetricOptions(options) }, batch, classes, inner,
                    logits, targets, weights, weightsLayout, gradLoss, loss, gradLogits, stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_asymmetric_f16(
    _ options: UnsafePointer<focal_asymmetric_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ targets: UnsafePointer<focal_f16>?, _ weights: UnsafePointer<focal_f16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_f16>?, _ loss: UnsafeMutablePointer<focal_f16>?,
    _ gradLogits: UnsafeMutablePointer<focal_f16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try asymmetricOptions(options) }, batch, classes, inner,
                    storage(logits, Float16.self), storage(targets, Float16.self), storage(weights, Float16.self), weightsLayout,
                    storage(gradLoss, Float16.self), storage(loss, Float16.self), storage(gradLogits, Float16.self), stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_asymmetric_bf16(
    _ options: UnsafePointer<focal_asymmetric_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ targets: UnsafePointer<focal_bf16>?, _ weights: UnsafePointer<focal_bf16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_bf16>?, _ loss: UnsafeMutablePointer<focal_bf16>?,
    _ gradLogits: UnsafeMutablePointer<focal_bf16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try asymmetricOptions(options) }, batch, classes, inner,
                    storage(logits, BFloat16.self), storage(targets, BFloat16.self), storage(weights, BFloat16.self), weightsLayout,
                    storage(gradLoss, BFloat16.self), storage(loss, BFloat16.self), storage(gradLogits, BFloat16.self), stats, kernel: SigmoidFocalLoss.compute)
}

// MARK: quality focal loss

@c @implementation
public func focal_quality_f32(
    _ options: UnsafePointer<focal_quality_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Float>?, _ targets: UnsafePointer<Float>?, _ weights: UnsafePointer<Float>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Float>?, _ loss: UnsafeMutablePointer<Float>?,
    _ gradLogits: UnsafeMutablePointer<Float>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try qualityOptions(options) }, batch, classes, inner,
                    logits, targets, weights, weightsLayout, gradLoss, loss, gradLogits, stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_quality_f64(
    _ options: UnsafePointer<focal_quality_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Double>?, _ targets: UnsafePointer<Double>?, _ weights: UnsafePointer<Double>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Double>?, _ loss: UnsafeMutablePointer<Double>?,
    _ gradLogits: UnsafeMutablePointer<Double>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try qualityOptions(options) }, batch, classes, inner,
                    logits, targets, weights, weightsLayout, gradLoss, loss, gradLogits, stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_quality_f16(
    _ options: UnsafePointer<focal_quality_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ targets: UnsafePointer<focal_f16>?, _ weights: UnsafePointer<focal_f16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_f16>?, _ loss: UnsafeMutablePointer<focal_f16>?,
    _ gradLogits: UnsafeMutablePointer<focal_f16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try qualityOptions(options) }, batch, classes, inner,
                    storage(logits, Float16.self), storage(targets, Float16.self), storage(weights, Float16.self), weightsLayout,
                    storage(gradLoss, Float16.self), storage(loss, Float16.self), storage(gradLogits, Float16.self), stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_quality_bf16(
    _ options: UnsafePointer<focal_quality_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ targets: UnsafePointer<focal_bf16>?, _ weights: UnsafePointer<focal_bf16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_bf16>?, _ loss: UnsafeMutablePointer<focal_bf16>?,
    _ gradLogits: UnsafeMutablePointer<focal_bf16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try qualityOptions(options) }, batch, classes, inner,
                    storage(logits, BFloat16.self), storage(targets, BFloat16.self), storage(weights, BFloat16.self), weightsLayout,
                    storage(gradLoss, BFloat16.self), storage(loss, BFloat16.self), storage(gradLogits, BFloat16.self), stats, kernel: SigmoidFocalLoss.compute)
}

// MARK: varifocal loss

@c @implementation
public func focal_varifocal_f32(
    _ options: UnsafePointer<focal_varifocal_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Float>?, _ targets: UnsafePointer<Float>?, _ weights: UnsafePointer<Float>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Float>?, _ loss: UnsafeMutablePointer<Float>?,
    _ gradLogits: UnsafeMutablePointer<Float>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try varifocalOptions(options) }, batch, classes, inner,
                    logits, targets, weights, weightsLayout, gradLoss, loss, gradLogits, stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_varifocal_f64(
    _ options: UnsafePointer<focal_varifocal_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<Double>?, _ targets: UnsafePointer<Double>?, _ weights: UnsafePointer<Double>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<Double>?, _ loss: UnsafeMutablePointer<Double>?,
    _ gradLogits: UnsafeMutablePointer<Double>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try varifocalOptions(options) }, batch, classes, inner,
                    logits, targets, weights, weightsLayout, gradLoss, loss, gradLogits, stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_varifocal_f16(
    _ options: UnsafePointer<focal_varifocal_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_f16>?, _ targets: UnsafePointer<focal_f16>?, _ weights: UnsafePointer<focal_f16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_f16>?, _ loss: UnsafeMutablePointer<focal_f16>?,
    _ gradLogits: UnsafeMutablePointer<focal_f16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try varifocalOptions(options) }, batch, classes, inner,
                    storage(logits, Float16.self), storage(targets, Float16.self), storage(weights, Float16.self), weightsLayout,
                    storage(gradLoss, Float16.self), storage(loss, Float16.self), storage(gradLogits, Float16.self), stats, kernel: SigmoidFocalLoss.compute)
}

@c @implementation
public func focal_varifocal_bf16(
    _ options: UnsafePointer<focal_varifocal_options>?, _ batch: Int64, _ classes: Int64, _ inner: Int64,
    _ logits: UnsafePointer<focal_bf16>?, _ targets: UnsafePointer<focal_bf16>?, _ weights: UnsafePointer<focal_bf16>?,
    _ weightsLayout: focal_weights_layout, _ gradLoss: UnsafePointer<focal_bf16>?, _ loss: UnsafeMutablePointer<focal_bf16>?,
    _ gradLogits: UnsafeMutablePointer<focal_bf16>?, _ stats: UnsafeMutablePointer<focal_stats>?
) -> focal_status {
    sigmoidWeighted(readOptions: { () throws(FocalError) in try varifocalOptions(options) }, batch, classes, inner,
                    storage(logits, BFloat16.self), storage(targets, BFloat16.self), storage(weights, BFloat16.self), weightsLayout,
                    storage(gradLoss, BFloat16.self), storage(loss, BFloat16.self), storage(gradLogits, BFloat16.self), stats, kernel: SigmoidFocalLoss.compute)
}
