#if canImport(Glibc)
import Glibc
#endif

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

    public init() {}
}

/// The integer types of softmax targets: `Int32` and `Int64`.
public protocol FocalTarget: FixedWidthInteger, Sendable {}
extension Int32: FocalTarget {}
extension Int64: FocalTarget {}

/// One class's focal term of a softmax row, from its log-probability `u = log p_c ≤ 0`.
///
/// With `m = 1 − p = −expm1(u)` (never `1 − p` by subtraction), the term is
/// `f(u) = −m^γ·u`. Its derivative with respect to `u`, using `dm/du = −p`, is
///   `f'(u) = −m^γ + γ·p·u·m^{γ−1} = −m^γ·(1 − γ·p·ρ)`,  with  `ρ = u / m ∈ [u, −1]`,
/// which is ≤ 0 with no cancellation (`ρ ≤ 0`), and bounded at γ < 1 where `m^{γ−1}` is not:
/// `ρ → −1` as `p → 1` (`u = 0` exactly gives `m = 0`; the limit −1 is used).
@usableFromInline
struct SoftmaxClassTerm {
    let p: Double
    let m: Double
    let value: Double       // f(u)
    let derivative: Double  // f'(u)

    @inline(__always)
    init(logP u: Double, gamma: Double, power: FocusingPower) {
        p = fexp(u)
        m = -fexpm1(u)
        let focus = power(m, log: flog(m))
        value = -focus * u
        let rho = m > 0 ? u / m : -1
        // p·ρ = p·u/m is bounded (→ −1 as p → 1, → 0 as p → 0), so it is formed before γ multiplies it.
        derivative = -focus * (1 - gamma * (p * rho))
    }
}

/// The softmax focal loss and its gradient in one pass (DESIGN §1.2).
///
/// Per target position, with `a_c = α_c·q_c` and `D_c = f'(log p_c)`:
///   `ℓ = Σ_c a_c·f(log p_c)` and, since `∂ log p_c / ∂x_j = [c = j] − p_j`,
///   `∂ℓ/∂x_j = a_j·D_j − p_j·K`,  `K = Σ_c a_c·D_c`.
/// Written as `a_j·D_j·(1 − p_j) − p_j·(K − a_j·D_j)`, both parts keep their sign, and the
/// target class at `p_y → 1` gives `a_y·D_y·m_y` without the cancellation of `a_y·D_y − p_y·a_y·D_y`.
/// `K − a_j·D_j` (the sum of the other classes' terms) would cancel where `a_j·D_j` dominates `K`,
/// e.g. the target class under a small smoothing ε: K is therefore kept as a compensated sum
/// `s + c`, and `(s − a_j·D_j) + c` is exact to the last bits (Sterbenz: `s − a_j·D_j` is exact when
/// the two are close). Without smoothing only `a_y` is non-zero, and `K − a_y·D_y` is exactly 0.
///
/// `log p_c` comes from log-sum-exp around the row's maximum `x_k`: with
/// `S' = Σ_{c ≠ k} e^{x_c − x_k}`, `log p_k = −log1p(S')` exactly where `p_k → 1`.
public enum SoftmaxFocalLoss {
    /// Logit elements per chunk at least: below this a call runs on the caller's thread.
    static let grain = 16_384

    /// The element counts of the logits `(N, C, inner)` and targets `(N, inner)`, checked
    /// for negative sizes, `C = 0` and overflow.
    public static func elementCounts(batch: Int64, classes: Int64, inner: Int64) throws(FocalError) -> (logits: Int, targets: Int) {
        for (name, value) in [("batch", batch), ("classes", classes), ("inner", inner)] where value < 0 {
            throw FocalError(.invalidShape, "\(name) = \(value) must be >= 0")
        }
        guard classes > 0 else {
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
        try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Int32>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Float>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Float>, gradLogits: UnsafeMutableBufferPointer<Float>?
    ) throws(FocalError) {
        try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Double>, targets: UnsafeBufferPointer<Int64>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Double>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Double>, gradLogits: UnsafeMutableBufferPointer<Double>?
    ) throws(FocalError) {
        try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    public static func compute(
        logits: UnsafeBufferPointer<Double>, targets: UnsafeBufferPointer<Int32>,
        batch: Int64, classes: Int64, inner: Int64, gradLoss: UnsafeBufferPointer<Double>?,
        options: SoftmaxFocalOptions,
        loss: UnsafeMutableBufferPointer<Double>, gradLogits: UnsafeMutableBufferPointer<Double>?
    ) throws(FocalError) {
        try run(logits, targets, batch, classes, inner, gradLoss, options, loss, gradLogits)
    }

    static func run<T: FocalScalar, Target: FocalTarget>(
        _ logits: UnsafeBufferPointer<T>, _ targets: UnsafeBufferPointer<Target>,
        _ batch: Int64, _ classes64: Int64, _ inner64: Int64,
        _ gradLoss: UnsafeBufferPointer<T>?, _ options: SoftmaxFocalOptions,
        _ loss: UnsafeMutableBufferPointer<T>, _ gradLogits: UnsafeMutableBufferPointer<T>?
    ) throws(FocalError) {
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

        // Targets: every one in range, and the default divisor of the mean: Σ α_{y_i} over
        // the targets that are not ignored (their count without α), as cross_entropy.
        let ignoreIndex = options.ignoreIndex
        var weightSum = CompensatedSum()
        for position in 0 ..< positions {
            let y = Int64(targets[position])
            if y == ignoreIndex { continue }
            guard y >= 0 && y < classes64 else {
                throw FocalError(.targetOutOfRange,
                                 "targets[\(position)] = \(y) is out of range: expected 0 <= target < \(classes) or ignore_index (\(ignoreIndex))")
            }
            weightSum.add(weights?[Int(y)] ?? 1)
        }

        // Nothing was written so far; from here on nothing can fail.
        let gamma = options.gamma
        let power = FocusingPower(gamma: gamma)
        let divisor = plan.divisor(default: weightSum.value)
        let scalarUpstream = reduction == .none ? 1 : (gradLoss?[0].double ?? 1)
        let reducedScale = plan.gradientScale(upstream: scalarUpstream, divisor: divisor)
        let accumulate = options.accumulateGradient
        let uniformShare = epsilon / Double(classes)
        let chunking = Parallel.chunking(count: positions, grain: max(1, grain / classes))

        let total = withUnsafeTemporaryAllocation(of: CompensatedSum.self, capacity: max(chunking.count, 1)) { partials in
            Parallel.forEachChunk(chunking.count, threads: threads) { chunk in
                let start = chunk * chunking.size
                let end = min(start + chunking.size, positions)
                var sum = CompensatedSum()
                for position in start ..< end {
                    let base = (position / inner) * classes * inner + position % inner
                    @inline(__always) func x(_ c: Int) -> Double { logits[base + c * inner].double }
                    let y64 = Int64(targets[position])
                    let upstream = reduction == .none ? (gradLoss?[position].double ?? 1) : reducedScale

                    if y64 == ignoreIndex {
                        if reduction == .none { loss[position] = 0 }
                        if let gradLogits, !accumulate {
                            for c in 0 ..< classes { gradLogits[base + c * inner] = 0 }
                        }
                        continue
                    }
                    let y = Int(y64)

                    // The row's maximum (first one on ties) and whether every logit is finite.
                    var maxLogit = -Double.infinity
                    var argmax = 0
                    var finite = true
                    for c in 0 ..< classes {
                        let v = x(c)
                        if !v.isFinite { finite = false }
                        if v > maxLogit { maxLogit = v; argmax = c }
                    }
                    guard finite else {
                        // A NaN or ±Inf logit poisons its own row and nothing else (DESIGN §1.4).
                        if reduction == .none { loss[position] = .nan } else { sum.add(.nan) }
                        if let gradLogits {
                            for c in 0 ..< classes { gradLogits[base + c * inner] = .nan }
                        }
                        continue
                    }
                    var othersSum = 0.0
                    for c in 0 ..< classes where c != argmax { othersSum += fexp(x(c) - maxLogit) }
                    let logNormalizer = flog1p(othersSum)
                    @inline(__always) func logP(_ c: Int) -> Double {
                        c == argmax ? -logNormalizer : (x(c) - maxLogit) - logNormalizer
                    }
                    @inline(__always) func targetWeight(_ c: Int) -> Double {
                        let q = c == y ? (1 - epsilon) + uniformShare : uniformShare
                        return q == 0 ? 0 : (weights?[c] ?? 1) * q
                    }

                    // ℓ = Σ a_c f_c and K = Σ a_c D_c; only the target class when ε = 0.
                    var value = 0.0
                    var k = CompensatedSum()
                    if epsilon == 0 {
                        let a = targetWeight(y)
                        if a != 0 {
                            let term = SoftmaxClassTerm(logP: logP(y), gamma: gamma, power: power)
                            value = a * term.value
                            k.add(a * term.derivative)
                        }
                    } else {
                        for c in 0 ..< classes {
                            let a = targetWeight(c)
                            if a == 0 { continue }
                            let term = SoftmaxClassTerm(logP: logP(c), gamma: gamma, power: power)
                            value += a * term.value
                            k.add(a * term.derivative)
                        }
                    }
                    if reduction == .none { loss[position] = T(value) } else { sum.add(value) }

                    if let gradLogits {
                        for j in 0 ..< classes {
                            let a = targetWeight(j)
                            let g: Double
                            if a == 0 {
                                g = -fexp(logP(j)) * k.value
                            } else {
                                let term = SoftmaxClassTerm(logP: logP(j), gamma: gamma, power: power)
                                let own = a * term.derivative
                                g = own * term.m - term.p * k.excluding(own)
                            }
                            storeGradient(gradLogits, base + j * inner, upstream * g, accumulate: accumulate)
                        }
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
