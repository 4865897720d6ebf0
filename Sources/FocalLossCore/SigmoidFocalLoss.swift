import _KernelInterface

/// Options of the sigmoid focal loss (DESIGN §1.1), with torchvision's defaults.
public struct SigmoidFocalOptions: Sendable {
    /// Weight of the positive class in [0, 1]; `nil` disables weighting (torchvision's −1).
    public var alpha: Double? = 0.25
    /// Focusing parameter γ ≥ 0, any real.
    public var gamma: Double = 2
    public var reduction: Reduction = .none
    /// Replaces the divisor of `.mean` (e.g. the number of positive anchors).
    public var normalizer: Double? = nil
    /// 0 = library default, 1 = the caller's thread only.
    public var threads: Int = 0
    /// Add into the gradient buffer instead of overwriting it.
    public var accumulateGradient = false
    /// The precision tier (see `Precision`).
    public var precision = Precision.exact
    /// The labels entry points only: a label equal to this leaves its position out (loss 0,
    /// gradient 0, not counted by the mean). Default −100, as mmdet and torch.
    public var ignoreIndex: Int64 = -100
    /// Poly-1's ε: the loss `α_t·B·(1 − p_t)^γ + ε·(1 − p_t)^{γ+1}`; finite and ≥ −1/(γ + 1).
    /// 0 is the focal loss, bit for bit.
    public var poly1Epsilon: Double = 0
    /// Another loss of the focal family instead (issue 14), with its own parameters: alpha,
    /// gamma and poly1Epsilon are then not read. nil: the focal loss.
    public var family: SigmoidFamilyLoss? = nil
    /// The kernels' instruction set; `InstructionSet.selected` unless a test asks for another.
    var instructionSet = InstructionSet.selected

    public init() {}

    /// Options for a family loss, everything else at its default.
    public init(family: SigmoidFamilyLoss) {
        self.family = family
    }
}

/// The sigmoid focal loss and its gradient in one pass (DESIGN §1.1): validation here, the
/// per-element math and its derivation in `SigmoidFocalKernel.swift` (_KernelsBaseline).
public enum SigmoidFocalLoss {
    /// Elements per chunk at least: below this a call runs on the caller's thread.
    static let grain = 16_384

    /// Computes the loss into `loss` and, when `gradLogits` is given, the gradient of the
    /// returned loss weighted by `gradLoss` (the upstream gradient; `nil` means ones).
    ///
    /// - `logits`, `targets`, `gradLogits`: `n` elements each.
    /// - `loss`, `gradLoss`: `n` elements for `.none`, one otherwise.
    /// - Throws before writing anything if an option, a length or a target is invalid.
    public static func compute(
        logits: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Float>,
        gradLoss: UnsafeBufferPointer<Float>?, options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Float>, gradLogits: UnsafeMutableBufferPointer<Float>?
    ) throws(FocalError) {
        _ = try run(logits, targets, gradLoss, options, loss, gradLogits)
    }

    /// Double-precision variant of `compute`.
    public static func compute(
        logits: UnsafeBufferPointer<Double>, targets: UnsafeBufferPointer<Double>,
        gradLoss: UnsafeBufferPointer<Double>?, options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Double>, gradLogits: UnsafeMutableBufferPointer<Double>?
    ) throws(FocalError) {
        _ = try run(logits, targets, gradLoss, options, loss, gradLogits)
    }

    /// The sigmoid focal loss with weights and statistics: logits and targets `(batch, classes,
    /// inner)`; `weights` (nil: all ones, the results of `compute(logits:targets:…)` bit for bit)
    /// per element or per position (`layout`), each finite and ≥ 0, multiplying its elements'
    /// losses and derivatives (a weight of 0 gives 0 whatever the logit). The mean divides by
    /// the element count, as `binary_cross_entropy_with_logits(weight:)`. Returns the call's
    /// statistics when `statistics` is set (positives: Σ t), else nil.
    public static func compute(
        logits: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Float>,
        weights: UnsafeBufferPointer<Float>?, layout: WeightsLayout, batch: Int64, classes: Int64, inner: Int64,
        gradLoss: UnsafeBufferPointer<Float>?, options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Float>, gradLogits: UnsafeMutableBufferPointer<Float>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try runWeighted(logits, targets, weights, layout, batch, classes, inner, gradLoss, options, loss, gradLogits, statistics)
    }

    /// Double-precision variant of the weighted `compute`.
    public static func compute(
        logits: UnsafeBufferPointer<Double>, targets: UnsafeBufferPointer<Double>,
        weights: UnsafeBufferPointer<Double>?, layout: WeightsLayout, batch: Int64, classes: Int64, inner: Int64,
        gradLoss: UnsafeBufferPointer<Double>?, options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Double>, gradLogits: UnsafeMutableBufferPointer<Double>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try runWeighted(logits, targets, weights, layout, batch, classes, inner, gradLoss, options, loss, gradLogits, statistics)
    }

    static func runWeighted<T: FocalScalar>(
        _ logits: UnsafeBufferPointer<T>, _ targets: UnsafeBufferPointer<T>,
        _ weights: UnsafeBufferPointer<T>?, _ layout: WeightsLayout, _ batch: Int64, _ classes: Int64, _ inner: Int64,
        _ gradLoss: UnsafeBufferPointer<T>?, _ options: SigmoidFocalOptions,
        _ loss: UnsafeMutableBufferPointer<T>, _ gradLogits: UnsafeMutableBufferPointer<T>?, _ statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner, emptyClasses: true)
        try expectCount(logits.count, counts.logits, "logits")
        let w = weights.map { SigmoidWeights(values: $0, layout: layout, classes: Int(classes), inner: Int(inner)) }
        if let w { try expectCount(w.values.count, w.expectedCount(elements: counts.logits, positions: counts.targets), "weights") }
        return try run(logits, targets, gradLoss, options, loss, gradLogits, weights: w, statistics: statistics)
    }

    static func run<T: FocalScalar>(
        _ logits: UnsafeBufferPointer<T>, _ targets: UnsafeBufferPointer<T>,
        _ gradLoss: UnsafeBufferPointer<T>?, _ options: SigmoidFocalOptions,
        _ loss: UnsafeMutableBufferPointer<T>, _ gradLogits: UnsafeMutableBufferPointer<T>?,
        weights: SigmoidWeights<T>? = nil, statistics: Bool = false
    ) throws(FocalError) -> FocalStats? {
        let n = logits.count
        let reduction = options.reduction
        let (plan, threads) = try validated(options)
        let reducedCount = reduction == .none ? n : 1
        try expectCount(targets.count, n, "targets")
        try expectCount(loss.count, reducedCount, "loss")
        if let gradLogits { try expectCount(gradLogits.count, n, "grad_logits") }
        if let gradLoss, gradLogits != nil { try expectCount(gradLoss.count, reducedCount, "grad_loss") }
        // Counted first, in parallel by a vectorized kernel (which sums them too when the
        // statistics ask for it); searched only when one is out of range.
        let kernels = options.instructionSet.kernels
        var targetSum = 0.0
        if let t = targets.baseAddress {
            let check = T.sigmoidTargetCheck(kernels)
            let (outOfRange, sum) = Parallel.sums(count: n, grain: grain, threads: threads) { range in
                let result = check(t, range, statistics)
                var count = CompensatedSum()
                count.add(Double(result.outOfRange))
                return (count, result.sum)
            }
            if outOfRange > 0, let i = targets.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
                throw FocalError(.targetOutOfRange, "targets[\(i)] = \(targets[i]) is outside [0, 1]")
            }
            targetSum = sum
        }

        if let weights {
            try validateWeights(weights.values, kernels: kernels, threads: threads) { $0(0 ..< weights.values.count) }
        }
        let divisor = plan.divisor(default: Double(n))
        let stats = statistics ? FocalStats(
            positives: targetSum,
            weightSum: weights.map { w in
                w.elementSum(kernels: kernels, threads: threads) { $0(0 ..< w.values.count) }
            } ?? Double(n),
            divisor: divisor) : nil

        // Nothing was written so far; from here on nothing can fail.
        let scalarUpstream = reduction == .none ? 1 : (gradLoss?[0].double ?? 1)
        guard let x = logits.baseAddress, let t = targets.baseAddress else {
            if reduction != .none { loss[0] = T(plan.reduce(0, divisor: divisor)) }
            return stats
        }
        let arguments = SigmoidKernelArguments(
            logits: x, targets: t, loss: reduction == .none ? loss.baseAddress : nil,
            gradient: gradLogits?.baseAddress, upstream: reduction == .none ? gradLoss?.baseAddress : nil,
            scale: plan.gradientScale(upstream: scalarUpstream, divisor: divisor),
            accumulate: options.accumulateGradient, alpha: options.alpha, gamma: options.gamma,
            weights: weights?.elementWeights, poly1: options.poly1, family: options.family)
        let kernel = T.sigmoidKernel(kernels, options.precision)
        let total = Parallel.sum(count: n, grain: grain, threads: threads) { kernel(arguments, $0) }
        if reduction != .none {
            loss[0] = T(plan.reduce(total, divisor: divisor))
        }
        return stats
    }
}

extension SigmoidFocalLoss {
    /// The options both sigmoid entry points check first: the reduction's plan and the thread count.
    static func validated(_ options: SigmoidFocalOptions) throws(FocalError) -> (plan: ReductionPlan, threads: Int) {
        let plan = try ReductionPlan(reduction: options.reduction, normalizer: options.normalizer)
        if let family = options.family {
            try validateFamily(family)
        } else {
            if let alpha = options.alpha, !(alpha >= 0 && alpha <= 1) {
                throw FocalError(.invalidAlpha, "alpha = \(alpha) must be in [0, 1], or -1 to disable weighting")
            }
            try validateGamma(options.gamma)
            try validatePoly1(options.poly1Epsilon, gamma: options.gamma)
        }
        return (plan, try validatedThreadCount(options.threads))
    }

    /// The parameters of a family loss, each error naming its parameter.
    static func validateFamily(_ family: SigmoidFamilyLoss) throws(FocalError) {
        switch family {
        case let .focalStar(alpha, gamma, beta):
            if let alpha, !(alpha >= 0 && alpha <= 1) {
                throw FocalError(.invalidAlpha, "alpha = \(alpha) must be in [0, 1], or -1 to disable weighting")
            }
            guard gamma.isFinite, gamma > 0 else {
                throw FocalError(.invalidGamma, "gamma = \(gamma) must be finite and > 0 (FL* divides by it)")
            }
            guard beta.isFinite else { throw FocalError(.invalidParameter, "beta = \(beta) must be finite") }
        case let .asymmetric(gammaPositive, gammaNegative, margin):
            try validateGamma(gammaPositive, name: "gamma_pos")
            try validateGamma(gammaNegative, name: "gamma_neg")
            guard margin >= 0 && margin <= 1 else {
                throw FocalError(.invalidParameter, "margin = \(margin) must be in [0, 1]")
            }
        case let .quality(beta):
            guard beta.isFinite, beta >= 0 else {
                throw FocalError(.invalidParameter, "beta = \(beta) must be finite and >= 0")
            }
        case let .varifocal(alpha, gamma, _):
            guard alpha.isFinite, alpha >= 0 else {
                throw FocalError(.invalidAlpha, "alpha = \(alpha) must be finite and >= 0")
            }
            try validateGamma(gamma)
        }
    }
}

extension SigmoidFocalOptions {
    /// Poly-1's ε for the kernels: nil for 0 (the focal loss's own code path).
    var poly1: Double? { poly1Epsilon == 0 ? nil : poly1Epsilon }
}

/// Poly-1's ε: finite and ≥ −1/(γ + 1) (Leng et al.: the loss stays ≥ 0 near p_t = 1 without α).
func validatePoly1(_ epsilon: Double, gamma: Double) throws(FocalError) {
    guard epsilon.isFinite, epsilon >= -1 / (gamma + 1) else {
        throw FocalError(.invalidParameter,
                         "poly1_epsilon = \(epsilon) must be finite and >= -1 / (gamma + 1) = \(-1 / (gamma + 1))")
    }
}

func validateGamma(_ gamma: Double, name: String = "gamma") throws(FocalError) {
    guard gamma.isFinite, gamma >= 0 else {
        throw FocalError(.invalidGamma, "\(name) = \(gamma) must be finite and >= 0")
    }
}

func expectCount(_ actual: Int, _ expected: Int, _ name: String) throws(FocalError) {
    guard actual == expected else {
        throw FocalError(.invalidShape, "\(name) has \(actual) elements where \(expected) are needed")
    }
}
