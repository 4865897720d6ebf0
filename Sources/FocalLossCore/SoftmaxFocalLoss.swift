import _KernelInterface

/// Options of the softmax focal loss (DESIGN §1.2), with cross_entropy's defaults.
public struct SoftmaxFocalOptions {
    /// Focusing parameter γ ≥ 0, any real. γ = 0 is `torch.nn.functional.cross_entropy`.
    public var gamma: Double = 2
    /// `nil` (every class weighs 1) or one weight per class, each finite and ≥ 0.
    public var alpha: UnsafeBufferPointer<Double>? = nil
    /// Targets equal to this contribute nothing and are left out of the mean's divisor.
    public var ignoreIndex: Int64 = -100
    /// ε ∈ [0, 1]: the target distribution is `(1 − ε)·onehot(y) + ε / C`.
    public var labelSmoothing: Double = 0
    public var reduction: Reduction = .mean
    /// Replaces the divisor of `.mean` (the sum of the targets' weights).
    public var normalizer: Double? = nil
    /// 0 = library default, 1 = the caller's thread only.
    public var threads: Int = 0
    /// Add into the gradient buffer instead of overwriting it.
    public var accumulateGradient = false
    /// The precision tier (see `Precision`): `.fast` computes a float32 call's per-element
    /// exponentials and gradients in float32; with label smoothing it gives the exact tier's results.
    public var precision = Precision.exact
    /// Poly-1's ε: each position's loss `α_y·(1 − p_y)^γ·(−log p_y) + ε·(1 − p_y)^{γ+1}`;
    /// finite and ≥ −1/(γ + 1), with label smoothing 0. 0 is the focal loss, bit for bit.
    public var poly1Epsilon: Double = 0
    /// The kernels' instruction set; `InstructionSet.selected` unless a test asks for another.
    var instructionSet = InstructionSet.selected

    public init() {}
}

/// The softmax focal loss and its gradient in one pass (DESIGN §1.2): validation here, the
/// math, its derivation and the two memory layouts in `SoftmaxFocalKernel.swift`
/// (_KernelsBaseline).
public enum SoftmaxFocalLoss {
    /// Logit elements per chunk at least: below this a call runs on the caller's thread.
    static let grain = 16_384

    /// The element counts of the logits `(N, C, inner)` and targets `(N, inner)`, checked
    /// for negative sizes, `C = 0` and overflow.
    /// `emptyClasses` allows `C = 0` (the dense sigmoid's factorisation of an empty array).
    public static func elementCounts(batch: Int64, classes: Int64, inner: Int64, emptyClasses: Bool = false) throws(FocalError) -> (logits: Int, targets: Int) {
        for (name, value) in [("batch", batch), ("classes", classes), ("inner", inner)] where value < 0 {
            throw FocalError(.invalidShape, "\(name) = \(value) must be >= 0")
        }
        guard classes > 0 || emptyClasses else {
            throw FocalError(.invalidShape, "classes = 0: at least one class is needed")
        }
        let (positions, o1) = batch.multipliedReportingOverflow(by: inner)
        let (elements, o2) = positions.multipliedReportingOverflow(by: classes)
        guard !o1, !o2, let p = Int(exactly: positions), let e = Int(exactly: elements) else {
            throw FocalError(.invalidShape, "batch * classes * inner = \(batch) * \(classes) * \(inner) overflows int64")
        }
        return (logits: e, targets: p)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Int64>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Float>, gradLogits: UnsafeMutableBufferPointer<Float>?
    ) throws(FocalError) {
        _ = try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Int32>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Float>, gradLogits: UnsafeMutableBufferPointer<Float>?
    ) throws(FocalError) {
        _ = try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Double>, targets: UnsafeBufferPointer<Int64>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Double>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Double>, gradLogits: UnsafeMutableBufferPointer<Double>?
    ) throws(FocalError) {
        _ = try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Double>, targets: UnsafeBufferPointer<Int32>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Double>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Double>, gradLogits: UnsafeMutableBufferPointer<Double>?
    ) throws(FocalError) {
        _ = try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    /// The softmax focal loss with one weight per target position and statistics: `weights`
    /// (nil: all ones, the results of `compute(logits:targets:…)` bit for bit) of the targets'
    /// layout, each finite and ≥ 0 where its position is not ignored (an ignored position's weight
    /// is neither checked nor used), multiplying its position's loss and gradient; a weight of 0
    /// leaves the position out as `ignoreIndex` does. The mean divides by Σ w·α_y over the
    /// positions not ignored. Returns the statistics when `statistics` is set, else nil.
    public static func compute<T: FocalScalar, Target: FocalTarget>(
        logits: UnsafeBufferPointer<T>, targets: UnsafeBufferPointer<Target>, weights: UnsafeBufferPointer<T>?,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<T>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<T>, gradLogits: UnsafeMutableBufferPointer<T>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits,
                weights: weights, statistics: statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Int64>, weights: UnsafeBufferPointer<Float>?,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Float>, gradLogits: UnsafeMutableBufferPointer<Float>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits,
                weights: weights, statistics: statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Int32>, weights: UnsafeBufferPointer<Float>?,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Float>, gradLogits: UnsafeMutableBufferPointer<Float>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits,
                weights: weights, statistics: statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Double>, targets: UnsafeBufferPointer<Int64>, weights: UnsafeBufferPointer<Double>?,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Double>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Double>, gradLogits: UnsafeMutableBufferPointer<Double>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits,
                weights: weights, statistics: statistics)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Double>, targets: UnsafeBufferPointer<Int32>, weights: UnsafeBufferPointer<Double>?,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Double>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Double>, gradLogits: UnsafeMutableBufferPointer<Double>?, statistics: Bool
    ) throws(FocalError) -> FocalStats? {
        try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits,
                weights: weights, statistics: statistics)
    }

    @discardableResult
    static func run<T: FocalScalar, Target: FocalTarget>(
        _ logits: UnsafeBufferPointer<T>, _ targets: UnsafeBufferPointer<Target>,
        _ batch: Int64, _ classes64: Int64, _ inner64: Int64,
        _ gradLoss: UnsafeBufferPointer<T>?, _ options: SoftmaxFocalOptions,
        _ loss: UnsafeMutableBufferPointer<T>, _ gradLogits: UnsafeMutableBufferPointer<T>?,
        weights positionWeights: UnsafeBufferPointer<T>? = nil, statistics: Bool = false
    ) throws(FocalError) -> FocalStats? {
        let counts = try elementCounts(batch: batch, classes: classes64, inner: inner64)
        let classes = Int(classes64)
        let inner = Int(inner64)
        let positions = counts.targets
        let reduction = options.reduction
        let plan = try ReductionPlan(reduction: reduction, normalizer: options.normalizer)
        try validateGamma(options.gamma)
        let epsilon = options.labelSmoothing
        guard epsilon >= 0 && epsilon <= 1 else {
            throw FocalError(.invalidLabelSmoothing, "label_smoothing = \(epsilon) must be in [0, 1]")
        }
        try validatePoly1(options.poly1Epsilon, gamma: options.gamma)
        guard options.poly1Epsilon == 0 || epsilon == 0 else {
            throw FocalError(.invalidParameter,
                             "poly1_epsilon = \(options.poly1Epsilon) needs label_smoothing = 0 (it is \(epsilon))")
        }
        let weights = options.alpha
        if let weights {
            try expectCount(weights.count, classes, "alpha")
            for c in 0 ..< classes where !(weights[c].isFinite && weights[c] >= 0) {
                throw FocalError(.invalidAlpha, "alpha[\(c)] = \(weights[c]) must be finite and >= 0")
            }
        }
        let threads = try validatedThreadCount(options.threads)
        let reducedCount = reduction == .none ? positions : 1
        try expectCount(logits.count, counts.logits, "logits")
        try expectCount(targets.count, positions, "targets")
        try expectCount(loss.count, reducedCount, "loss")
        if let gradLogits { try expectCount(gradLogits.count, counts.logits, "grad_logits") }
        if let gradLoss, gradLogits != nil { try expectCount(gradLoss.count, reducedCount, "grad_loss") }
        if let positionWeights { try expectCount(positionWeights.count, positions, "weights") }

        // Targets: every one in range, and the default divisor of the mean: Σ w_i·α_{y_i} over
        // the targets that are not ignored (their count without weights or α), as cross_entropy.
        let ignoreIndex = options.ignoreIndex
        // Without α or weights the divisor is the count, from a branch-free pass (the compensated
        // sum of ones it replaces gave the same, exact, value); the first bad target is looked for
        // only when that pass found one.
        var counted = 0, outOfRange = 0
        let counting = weights == nil && positionWeights == nil
        if counting {
            (counted, outOfRange) = countTargets(targets, below: UInt64(classes64), ignoreIndex: ignoreIndex)
        }
        var weightSum = CompensatedSum(), positionWeightSum = CompensatedSum()
        if !counting || outOfRange != 0 {
            for position in 0 ..< positions {
                let y = Int64(targets[position])
                if y == ignoreIndex { continue }
                guard y >= 0 && y < classes64 else {
                    throw FocalError(.targetOutOfRange,
                                     "targets[\(position)] = \(y) is out of range: expected 0 <= target < \(classes) or ignore_index (\(ignoreIndex))")
                }
                let w = positionWeights?[position].double ?? 1
                guard w.isFinite && w >= 0 else {
                    throw FocalError(.invalidWeight, "weights[\(position)] = \(positionWeights![position]) must be finite and >= 0")
                }
                let alpha = weights?[Int(y)] ?? 1
                weightSum.add(positionWeights == nil ? alpha : w * alpha)
                positionWeightSum.add(w)
            }
        }

        let divisor = plan.divisor(default: counting ? Double(counted) : weightSum.value)
        let stats = statistics ? FocalStats(
            positives: counting ? Double(counted) : weightSum.value,
            weightSum: counting ? Double(counted) : positionWeightSum.value, divisor: divisor) : nil

        // Nothing was written so far; from here on nothing can fail.
        let scalarUpstream = reduction == .none ? 1 : (gradLoss?[0].double ?? 1)
        guard let x = logits.baseAddress, let y = targets.baseAddress else {
            if reduction != .none { loss[0] = T(plan.reduce(0, divisor: divisor)) }
            return stats
        }
        let arguments = SoftmaxKernelArguments(
            logits: x, targets: y, classes: classes, inner: inner, weights: weights?.baseAddress,
            labelSmoothing: epsilon, ignoreIndex: ignoreIndex, gamma: options.gamma,
            loss: reduction == .none ? loss.baseAddress : nil, gradient: gradLogits?.baseAddress,
            upstream: reduction == .none ? gradLoss?.baseAddress : nil,
            scale: plan.gradientScale(upstream: scalarUpstream, divisor: divisor),
            accumulate: options.accumulateGradient, positionWeights: positionWeights?.baseAddress,
            poly1: options.poly1Epsilon == 0 ? nil : options.poly1Epsilon)
        // Smoothing puts a class term (exp, expm1, log) on every element, which the fast tier
        // does not take into float32 yet: such calls run the exact kernel.
        let precision = epsilon == 0 ? options.precision : .exact
        let kernel = T.softmaxKernel(options.instructionSet.kernels, Target.self, precision)
        let total = Parallel.sum(count: positions, grain: max(1, grain / classes), threads: threads) {
            kernel(arguments, $0)
        }
        if reduction != .none {
            loss[0] = T(plan.reduce(total, divisor: divisor))
        }
        return stats
    }
}

/// How many of `targets` are not `ignoreIndex` (`kept`), and how many of those are outside
/// `0 ..< limit`: one branch-free pass (the softmax's targets, the sigmoid's labels).
func countTargets<Target: FocalTarget>(
    _ targets: UnsafeBufferPointer<Target>, below limit: UInt64, ignoreIndex: Int64
) -> (kept: Int, outOfRange: Int) {
    guard let t = targets.baseAddress else { return (0, 0) }
    var kept = 0, outOfRange = 0, i = 0
    while i < targets.count {
        let y = Int64(t[i])
        let ignored = y == ignoreIndex
        kept &+= ignored ? 0 : 1
        outOfRange &+= !ignored && UInt64(bitPattern: y) >= limit ? 1 : 0
        i &+= 1
    }
    return (kept, outOfRange)
}
