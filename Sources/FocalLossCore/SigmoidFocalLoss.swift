#if canImport(Glibc)
import Glibc
#endif

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

    public init() {}
}

/// One element of the sigmoid focal loss and its derivative with respect to the logit.
///
/// With `s = σ(x)`, `s̄ = σ(−x) = 1 − s`, target `t ∈ [0, 1]`, `m = 1 − p_t = t·s̄ + (1 − t)·s`
/// and `B = BCEWithLogits(x, t) = −t·log s − (1 − t)·log s̄`, the loss is `ℓ = α_t·B·m^γ`.
///
/// Every quantity is a sum of non-negative terms, so nothing cancels:
///   `log s = min(x, 0) − log1p(e^{−|x|})`, `log s̄ = min(−x, 0) − log1p(e^{−|x|})`,
/// and `s`, `s̄` come from `1 / (1 + e^{−|x|})` and `e^{−|x|} / (1 + e^{−|x|})`.
///
/// Derivative. `dB/dx = s − t` (see `sigmoidMinusTarget`) and `dm/dx = s·s̄·(1 − 2t)`, so
///   `dℓ/dx = α_t·m^γ·[(s − t) + γ·B·r]`,  with  `r = s·s̄·(1 − 2t) / m`.
/// The textbook form `γ·B·m^{γ−1}·dm/dx` is 0·∞ at γ < 1 when `p_t → 1`; here `m^γ` is
/// factored out and `r` is bounded (`|r| ≤ 1`, since `m ≥ t·s̄` and `m ≥ (1 − t)·s`), so the
/// gradient is finite for every γ ≥ 0 and every finite logit.
/// For hard targets `m` may underflow, so the limits are taken exactly: t = 1 gives
/// `m = s̄`, `log m = log s̄`, `r = −s`; t = 0 gives `m = s`, `log m = log s`, `r = s̄`.
/// With `x_t = (2t − 1)·x` this is DESIGN's `∂ℓ/∂x_t = −α_t (1 − p_t)^γ [(1 − p_t) − γ p_t log p_t]`.
/// Soft targets have `m ≥ min(t, 1 − t) > 0`, so `log m` and `r` are evaluated directly.
@usableFromInline
struct SigmoidFocalTerm: Sendable {
    let alpha: Double?
    let gamma: Double
    let power: FocusingPower

    init(alpha: Double?, gamma: Double) {
        self.alpha = alpha
        self.gamma = gamma
        self.power = FocusingPower(gamma: gamma)
    }

    @inline(__always)
    func callAsFunction(_ x: Double, target t: Double) -> (loss: Double, derivative: Double) {
        guard x.isFinite else { return (.nan, .nan) }
        let e = fexp(-abs(x))
        let log1pE = flog1p(e)
        let big = 1 / (1 + e)       // σ(|x|)
        let small = e * big         // σ(−|x|)
        let s = x >= 0 ? big : small
        let sBar = x >= 0 ? small : big
        let logS = min(x, 0) - log1pE
        let logSBar = min(-x, 0) - log1pE

        let bce = -(t * logS + (1 - t) * logSBar)
        let m: Double
        let logM: Double
        let r: Double
        let dBCE: Double  // s − t
        if t == 1 {
            (m, logM, r, dBCE) = (sBar, logSBar, -s, -sBar)
        } else if t == 0 {
            (m, logM, r, dBCE) = (s, logS, sBar, s)
        } else {
            m = t * sBar + (1 - t) * s
            logM = flog(m)
            r = (1 - 2 * t) * s * sBar / m
            dBCE = Self.sigmoidMinusTarget(x, t, e: e, s: s, sBar: sBar, big: big)
        }
        let focus = power(m, log: logM)
        let alphaT = alpha.map { $0 * t + (1 - $0) * (1 - t) } ?? 1
        let loss = alphaT * bce * focus
        // B·r is bounded (|B·r| ≲ 1: B grows like |x| where r decays like e^{−|x|}), so it is formed
        // first: γ·B·r then stays finite for every finite γ, where (γ·B)·r overflows to ∞·0.
        let derivative = alphaT * focus * (dBCE + gamma * (bce * r))
        return (loss, derivative)
    }
}

extension SigmoidFocalTerm {
    /// `σ(x) − t` for a soft target, the better of two forms by their rounding-error bounds:
    /// `s·(1 − t) − t·s̄` (error ~ u·(s·(1 − t) + t·s̄)) and `(s − ½) + (½ − t)` with
    /// `s − ½ = ±(1 − e)/(2(1 + e))`, `e = e^{−|x|}`, taken from `expm1` when `e` is near 1
    /// (error ~ u·(|s − ½| + |½ − t|)). The second wins where `s ≈ t ≈ ½`, e.g. x = 1e−8,
    /// t = 0.5, whose gradient the first form gets only to ~1e−8 relative.
    @inline(__always)
    static func sigmoidMinusTarget(_ x: Double, _ t: Double, e: Double, s: Double, sBar: Double, big: Double) -> Double {
        let oneMinusE = e > 0.5 ? -fexpm1(-abs(x)) : 1 - e
        let halfTanh = 0.5 * oneMinusE * big  // σ(|x|) − ½
        let sMinusHalf = x >= 0 ? halfTanh : -halfTanh
        let centered = sMinusHalf + (0.5 - t)
        let direct = s * (1 - t) - t * sBar
        return abs(0.5 - t) + halfTanh < s * (1 - t) + t * sBar ? centered : direct
    }
}

/// The sigmoid focal loss and its gradient in one pass (DESIGN §1.1).
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
        try run(logits, targets, gradLoss, options, loss, gradLogits)
    }

    /// Double-precision variant of `compute`.
    public static func compute(
        logits: UnsafeBufferPointer<Double>, targets: UnsafeBufferPointer<Double>,
        gradLoss: UnsafeBufferPointer<Double>?, options: SigmoidFocalOptions,
        loss: UnsafeMutableBufferPointer<Double>, gradLogits: UnsafeMutableBufferPointer<Double>?
    ) throws(FocalError) {
        try run(logits, targets, gradLoss, options, loss, gradLogits)
    }

    static func run<T: FocalScalar>(
        _ logits: UnsafeBufferPointer<T>, _ targets: UnsafeBufferPointer<T>,
        _ gradLoss: UnsafeBufferPointer<T>?, _ options: SigmoidFocalOptions,
        _ loss: UnsafeMutableBufferPointer<T>, _ gradLogits: UnsafeMutableBufferPointer<T>?
    ) throws(FocalError) {
        let n = logits.count
        let reduction = options.reduction
        let plan = try ReductionPlan(reduction: reduction, normalizer: options.normalizer)
        if let alpha = options.alpha, !(alpha >= 0 && alpha <= 1) {
            throw FocalError(.invalidAlpha, "alpha = \(alpha) must be in [0, 1], or -1 to disable weighting")
        }
        try validateGamma(options.gamma)
        let threads = try validatedThreadCount(options.threads)
        let reducedCount = reduction == .none ? n : 1
        try expectCount(targets.count, n, "targets")
        try expectCount(loss.count, reducedCount, "loss")
        if let gradLogits { try expectCount(gradLogits.count, n, "grad_logits") }
        if let gradLoss, gradLogits != nil { try expectCount(gradLoss.count, reducedCount, "grad_loss") }
        for i in 0 ..< n {
            let t = targets[i]
            guard t >= 0 && t <= 1 else {
                throw FocalError(.targetOutOfRange, "targets[\(i)] = \(t) is outside [0, 1]")
            }
        }

        // Nothing was written so far; from here on nothing can fail.
        let term = SigmoidFocalTerm(alpha: options.alpha, gamma: options.gamma)
        let divisor = plan.divisor(default: Double(n))
        let scalarUpstream = reduction == .none ? 1 : (gradLoss?[0].double ?? 1)
        let reducedScale = plan.gradientScale(upstream: scalarUpstream, divisor: divisor)
        let accumulate = options.accumulateGradient
        let chunking = Parallel.chunking(count: n, grain: grain)

        let total = withUnsafeTemporaryAllocation(of: CompensatedSum.self, capacity: max(chunking.count, 1)) { partials in
            Parallel.forEachChunk(chunking.count, threads: threads) { chunk in
                let start = chunk * chunking.size
                let end = min(start + chunking.size, n)
                var sum = CompensatedSum()
                for i in start ..< end {
                    let (value, derivative) = term(logits[i].double, target: targets[i].double)
                    if reduction == .none {
                        loss[i] = T(value)
                    } else {
                        sum.add(value)
                    }
                    if let gradLogits {
                        let upstream = reduction == .none ? (gradLoss?[i].double ?? 1) : reducedScale
                        storeGradient(gradLogits, i, upstream * derivative, accumulate: accumulate)
                    }
                }
                partials[chunk] = sum
            }
            var total = CompensatedSum()
            for chunk in 0 ..< chunking.count { total.add(partials[chunk]) }
            return total.value
        }
        if reduction != .none {
            loss[0] = T(plan.reduce(total, divisor: divisor))
        }
    }
}

@inline(__always)
func storeGradient<T: FocalScalar>(_ grad: UnsafeMutableBufferPointer<T>, _ i: Int, _ value: Double, accumulate: Bool) {
    grad[i] = accumulate ? T(grad[i].double + value) : T(value)
}

func validateGamma(_ gamma: Double) throws(FocalError) {
    guard gamma.isFinite, gamma >= 0 else {
        throw FocalError(.invalidGamma, "gamma = \(gamma) must be finite and >= 0")
    }
}

func expectCount(_ actual: Int, _ expected: Int, _ name: String) throws(FocalError) {
    guard actual == expected else {
        throw FocalError(.invalidShape, "\(name) has \(actual) elements where \(expected) are needed")
    }
}
