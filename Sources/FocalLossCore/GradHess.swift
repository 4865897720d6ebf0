import _KernelInterface
import _KernelsBaseline
#if canImport(Glibc)
import Glibc
#endif

/// The storage types of the gradient-and-Hessian calls (float32 and float64).
public protocol GradHessScalar: FocalScalar {
    static func sigmoidGradHessKernel(_ table: GradHessKernels, _ precision: Precision) -> SigmoidGradHessKernel<Self>
    static func softmaxGradHessKernel<Target: FocalTarget>(_ table: GradHessKernels, _: Target.Type) -> SoftmaxGradHessKernel<Self, Target>
}

extension Float: GradHessScalar {
    public static func sigmoidGradHessKernel(_ table: GradHessKernels, _ precision: Precision) -> SigmoidGradHessKernel<Float> {
        precision == .fast ? table.sigmoidF32Fast : table.sigmoidF32
    }
    public static func softmaxGradHessKernel<Target: FocalTarget>(_ table: GradHessKernels, _: Target.Type) -> SoftmaxGradHessKernel<Float, Target> {
        Target.self == Int32.self ? unsafeBitCast(table.softmaxF32I32, to: SoftmaxGradHessKernel<Float, Target>.self)
            : unsafeBitCast(table.softmaxF32I64, to: SoftmaxGradHessKernel<Float, Target>.self)
    }
}

extension Double: GradHessScalar {
    public static func sigmoidGradHessKernel(_ table: GradHessKernels, _: Precision) -> SigmoidGradHessKernel<Double> { table.sigmoidF64 }
    public static func softmaxGradHessKernel<Target: FocalTarget>(_ table: GradHessKernels, _: Target.Type) -> SoftmaxGradHessKernel<Double, Target> {
        Target.self == Int32.self ? unsafeBitCast(table.softmaxF64I32, to: SoftmaxGradHessKernel<Double, Target>.self)
            : unsafeBitCast(table.softmaxF64I64, to: SoftmaxGradHessKernel<Double, Target>.self)
    }
}

/// Per-element gradients and Hessians of the unreduced focal losses, and the optimal constant
/// starting margins, for gradient-boosting libraries (docs/boosting.md). The derivations are in
/// `GradHessKernel.swift` (_KernelsBaseline).
public enum FocalGradHess {
    /// The sigmoid focal loss's `w·∂ℓ/∂x` (the weighted loss call's gradient with reduction none,
    /// bit for bit) and `w·∂²ℓ/∂x²` (or the Hessian `mode` asks for) per element of logits
    /// `(batch, classes, inner)`. Reads the options' alpha, gamma, threads and precision only.
    /// Throws before writing anything.
    public static func sigmoid<T: GradHessScalar>(
        logits: UnsafeBufferPointer<T>, targets: UnsafeBufferPointer<T>, weights: UnsafeBufferPointer<T>?,
        layout: WeightsLayout, batch: Int64, classes: Int64, inner: Int64, options: SigmoidFocalOptions,
        mode: HessianMode, gradient: UnsafeMutableBufferPointer<T>?, hessian: UnsafeMutableBufferPointer<T>?
    ) throws(FocalError) {
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner, emptyClasses: true)
        let n = counts.logits
        let threads = try validatedSigmoidParameters(options)
        try expectCount(logits.count, n, "logits")
        try expectCount(targets.count, n, "targets")
        let w = weights.map { SigmoidWeights(values: $0, layout: layout, classes: Int(classes), inner: Int(inner)) }
        if let w { try expectCount(w.values.count, w.expectedCount(elements: n, positions: counts.targets), "weights") }
        if let gradient { try expectCount(gradient.count, n, "grad") }
        if let hessian { try expectCount(hessian.count, n, "hess") }
        let kernels = options.instructionSet.kernels
        try validateSigmoidTargets(targets, kernels: kernels, threads: threads)
        if let w { try validateWeights(w.values, kernels: kernels, threads: threads) { $0(0 ..< w.values.count) } }

        // Nothing was written so far; from here on nothing can fail.
        guard let x = logits.baseAddress, let t = targets.baseAddress, gradient != nil || hessian != nil else { return }
        let arguments = SigmoidGradHessArguments(
            logits: x, targets: t, gradient: gradient?.baseAddress, hessian: hessian?.baseAddress,
            alpha: options.alpha, gamma: options.gamma, weights: w?.elementWeights, mode: mode)
        let kernel = T.sigmoidGradHessKernel(kernels.gradHess, options.precision)
        _ = Parallel.sum(count: n, grain: SigmoidFocalLoss.grain, threads: threads) { range in
            kernel(arguments, range)
            return CompensatedSum()
        }
    }

    /// The softmax focal loss's `w·∂ℓ/∂x_c` (the weighted loss call's exact-tier gradient with
    /// reduction none, bit for bit) and `w·∂²ℓ/∂x_c²` (or the approximation), logits
    /// `(batch, classes, inner)`, targets and weights `(batch, inner)`. Ignored positions and
    /// weights of 0 give 0. Reads gamma, alpha, ignoreIndex, labelSmoothing (which must be 0)
    /// and threads; both tiers compute in double.
    ///
    /// Generic over the storage and target types, for generic callers (the tests); the four
    /// concrete overloads below are the same function specialized, which the C API calls (called
    /// generically from another module it runs unspecialized, and its target check alone, a few
    /// generic conversions per target, took as long as the kernel at three classes).
    public static func softmax<T: GradHessScalar, Target: FocalTarget>(
        logits: UnsafeBufferPointer<T>, targets: UnsafeBufferPointer<Target>, weights: UnsafeBufferPointer<T>?,
        batch: Int64, classes: Int64, inner: Int64, options: SoftmaxFocalOptions, mode: HessianMode,
        gradient: UnsafeMutableBufferPointer<T>?, hessian: UnsafeMutableBufferPointer<T>?
    ) throws(FocalError) {
        try runSoftmax(logits, targets, weights, batch, classes, inner, options, mode, gradient, hessian)
    }

    public static func softmax(
        logits: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Int64>, weights: UnsafeBufferPointer<Float>?,
        batch: Int64, classes: Int64, inner: Int64, options: SoftmaxFocalOptions, mode: HessianMode,
        gradient: UnsafeMutableBufferPointer<Float>?, hessian: UnsafeMutableBufferPointer<Float>?
    ) throws(FocalError) {
        try runSoftmax(logits, targets, weights, batch, classes, inner, options, mode, gradient, hessian)
    }

    public static func softmax(
        logits: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Int32>, weights: UnsafeBufferPointer<Float>?,
        batch: Int64, classes: Int64, inner: Int64, options: SoftmaxFocalOptions, mode: HessianMode,
        gradient: UnsafeMutableBufferPointer<Float>?, hessian: UnsafeMutableBufferPointer<Float>?
    ) throws(FocalError) {
        try runSoftmax(logits, targets, weights, batch, classes, inner, options, mode, gradient, hessian)
    }

    public static func softmax(
        logits: UnsafeBufferPointer<Double>, targets: UnsafeBufferPointer<Int64>, weights: UnsafeBufferPointer<Double>?,
        batch: Int64, classes: Int64, inner: Int64, options: SoftmaxFocalOptions, mode: HessianMode,
        gradient: UnsafeMutableBufferPointer<Double>?, hessian: UnsafeMutableBufferPointer<Double>?
    ) throws(FocalError) {
        try runSoftmax(logits, targets, weights, batch, classes, inner, options, mode, gradient, hessian)
    }

    public static func softmax(
        logits: UnsafeBufferPointer<Double>, targets: UnsafeBufferPointer<Int32>, weights: UnsafeBufferPointer<Double>?,
        batch: Int64, classes: Int64, inner: Int64, options: SoftmaxFocalOptions, mode: HessianMode,
        gradient: UnsafeMutableBufferPointer<Double>?, hessian: UnsafeMutableBufferPointer<Double>?
    ) throws(FocalError) {
        try runSoftmax(logits, targets, weights, batch, classes, inner, options, mode, gradient, hessian)
    }

    static func runSoftmax<T: GradHessScalar, Target: FocalTarget>(
        _ logits: UnsafeBufferPointer<T>, _ targets: UnsafeBufferPointer<Target>, _ weights: UnsafeBufferPointer<T>?,
        _ batch: Int64, _ classes: Int64, _ inner: Int64, _ options: SoftmaxFocalOptions, _ mode: HessianMode,
        _ gradient: UnsafeMutableBufferPointer<T>?, _ hessian: UnsafeMutableBufferPointer<T>?
    ) throws(FocalError) {
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner)
        let threads = try validatedSoftmaxParameters(options, classes: Int(classes))
        try expectCount(logits.count, counts.logits, "logits")
        try expectCount(targets.count, counts.targets, "targets")
        if let weights { try expectCount(weights.count, counts.targets, "weights") }
        if let gradient { try expectCount(gradient.count, counts.logits, "grad") }
        if let hessian { try expectCount(hessian.count, counts.logits, "hess") }
        try validateSoftmaxTargets(targets, weights, classes: classes, ignoreIndex: options.ignoreIndex) { _, _, _ in }

        guard let x = logits.baseAddress, let y = targets.baseAddress, gradient != nil || hessian != nil else { return }
        let arguments = SoftmaxGradHessArguments(
            logits: x, targets: y, classes: Int(classes), inner: Int(inner), alpha: options.alpha?.baseAddress,
            ignoreIndex: options.ignoreIndex, gamma: options.gamma, gradient: gradient?.baseAddress,
            hessian: hessian?.baseAddress, positionWeights: weights?.baseAddress, mode: mode)
        let kernel = T.softmaxGradHessKernel(options.instructionSet.kernels.gradHess, Target.self)
        _ = Parallel.sum(count: counts.targets, grain: max(1, SoftmaxFocalLoss.grain / Int(classes)), threads: threads) { range in
            kernel(arguments, range)
            return CompensatedSum()
        }
    }

    // MARK: Starting margins

    /// The constant margin of each class minimising `Σ_j w_j·ℓ(x, t_j)` over that class's
    /// elements (targets `(batch, classes, inner)`), into `scores` (`classes` values): the root of
    /// the summed gradient, bracketed and then refined by Newton steps on the summed exact
    /// Hessian that fall back to bisection. For hard targets the summed loss is a convex function
    /// of the shared probability σ(x) (docs/boosting.md), so the gradient changes sign once.
    /// −∞ where nothing pulls the margin up (no positive with weight), +∞ where nothing pulls it
    /// down, NaN where nothing weighs at all. Reads alpha, gamma and threads.
    public static func sigmoidInitScores<T: GradHessScalar>(
        targets: UnsafeBufferPointer<T>, weights: UnsafeBufferPointer<T>?, layout: WeightsLayout,
        batch: Int64, classes: Int64, inner: Int64, options: SigmoidFocalOptions, scores: UnsafeMutableBufferPointer<T>
    ) throws(FocalError) {
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner)
        let threads = try validatedSigmoidParameters(options)
        try expectCount(targets.count, counts.logits, "targets")
        let w = weights.map { SigmoidWeights(values: $0, layout: layout, classes: Int(classes), inner: Int(inner)) }
        if let w { try expectCount(w.values.count, w.expectedCount(elements: counts.logits, positions: counts.targets), "weights") }
        try expectCount(scores.count, Int(classes), "scores")
        let kernels = options.instructionSet.kernels
        try validateSigmoidTargets(targets, kernels: kernels, threads: threads)
        if let w { try validateWeights(w.values, kernels: kernels, threads: threads) { $0(0 ..< w.values.count) } }

        let classCount = Int(classes), innerCount = Int(inner), positions = counts.targets
        var results = [Double](repeating: 0, count: classCount)
        for c in 0 ..< classCount {
            // Element (n, c, i) of position p = n·inner + i, and its weight.
            @inline(__always) func element(_ p: Int) -> (t: Double, w: Double) {
                let index = (p / innerCount) * classCount * innerCount + c * innerCount + p % innerCount
                let weight: Double
                if let w { weight = w.layout == .perElement ? w.values[index].double : w.values[p].double } else { weight = 1 }
                return (targets[index].double, weight)
            }
            // The hard targets' weights, and whether any target is soft.
            var ones = CompensatedSum(), zeros = CompensatedSum(), soft = false
            var pullsUp = false, pullsDown = false
            for p in 0 ..< positions {
                let (t, weight) = element(p)
                guard weight > 0 else { continue }
                let alphaT = options.alpha.map { $0 * t + (1 - $0) * (1 - t) } ?? 1
                if alphaT > 0 && t > 0 { pullsUp = true }
                if alphaT > 0 && t < 1 { pullsDown = true }
                if t == 1 { ones.add(weight) } else if t == 0 { zeros.add(weight) } else { soft = true }
            }
            if !pullsUp || !pullsDown {
                results[c] = pullsUp ? .infinity : (pullsDown ? -.infinity : .nan)
                continue
            }
            let (alpha, gamma) = (options.alpha, options.gamma)
            let (a1, a0) = (ones.value, zeros.value)
            results[c] = summedGradientRoot { x in
                let one = _KernelsBaseline.sigmoidFocalDerivatives(x, 1, alpha: alpha, gamma: gamma)
                let zero = _KernelsBaseline.sigmoidFocalDerivatives(x, 0, alpha: alpha, gamma: gamma)
                var g = a1 * one.gradient + a0 * zero.gradient, h = a1 * one.hessian + a0 * zero.hessian
                if soft {
                    let (sg, sh) = Parallel.sums(count: positions, grain: SigmoidFocalLoss.grain, threads: threads) { range in
                        var gs = CompensatedSum(), hs = CompensatedSum()
                        for p in range {
                            let (t, weight) = element(p)
                            guard weight > 0, t > 0, t < 1 else { continue }
                            let d = _KernelsBaseline.sigmoidFocalDerivatives(x, t, alpha: alpha, gamma: gamma)
                            gs.add(weight * d.gradient)
                            hs.add(weight * d.hessian)
                        }
                        return (gs, hs)
                    }
                    g += sg
                    h += sh
                }
                return (g, h)
            }
        }
        for c in 0 ..< classCount { scores[c] = T(results[c]) }
    }

    /// The logits shared by every position minimising `Σ_i w_i·ℓ(s, y_i)`, as log-probabilities,
    /// into `scores` (`classes` values). With `p = softmax(s)` shared, the summed loss is
    /// `Σ_c W_c·φ(p_c)`, `φ(p) = (1 − p)^γ·(−log p)` convex and decreasing on (0, 1],
    /// `W_c = α_c·Σ_{y_i = c} w_i`: a convex problem on the simplex whose minimiser satisfies
    /// `W_c·ψ(p_c) = λ` for every class with `W_c > 0` (`ψ = −φ'`, decreasing) and `p_c = 0`
    /// otherwise. The outer bisection finds λ where the `p_c(λ)` sum to 1; the inner one each
    /// `log p_c(λ)`, in log space (a class of probability below the double range keeps its
    /// log). The result is then shifted so that its log-sum-exp is 0.
    public static func softmaxInitScores<Target: FocalTarget>(
        targets: UnsafeBufferPointer<Target>, weights: UnsafeBufferPointer<Double>?, batch: Int64, classes: Int64,
        inner: Int64, options: SoftmaxFocalOptions, scores: UnsafeMutableBufferPointer<Double>
    ) throws(FocalError) {
        let counts = try SoftmaxFocalLoss.elementCounts(batch: batch, classes: classes, inner: inner)
        _ = try validatedSoftmaxParameters(options, classes: Int(classes))
        try expectCount(targets.count, counts.targets, "targets")
        if let weights { try expectCount(weights.count, counts.targets, "weights") }
        try expectCount(scores.count, Int(classes), "scores")
        var sums = [CompensatedSum](repeating: CompensatedSum(), count: Int(classes))
        try validateSoftmaxTargets(targets, weights, classes: classes, ignoreIndex: options.ignoreIndex) { _, y, w in
            sums[y].add(w)
        }
        let totals = (0 ..< Int(classes)).map { c in (options.alpha?[c] ?? 1) * sums[c].value }
        let logP = simplexMinimiser(totals, gamma: options.gamma)
        for c in 0 ..< Int(classes) { scores[c] = logP[c] }
    }
}

// MARK: Validation shared by the calls above

/// alpha, gamma and the thread count of a sigmoid gradient-and-Hessian or init-score call.
func validatedSigmoidParameters(_ options: SigmoidFocalOptions) throws(FocalError) -> Int {
    if let alpha = options.alpha, !(alpha >= 0 && alpha <= 1) {
        throw FocalError(.invalidAlpha, "alpha = \(alpha) must be in [0, 1], or -1 to disable weighting")
    }
    try validateGamma(options.gamma)
    try refusePoly1(options.poly1Epsilon)
    guard options.family == nil else {
        throw FocalError(.invalidParameter, "the gradient-and-Hessian and init-score functions compute the focal loss: no family loss")
    }
    return try validatedThreadCount(options.threads)
}

/// The gradient-and-Hessian and init-score functions have no Poly-1 term: ε must be 0.
func refusePoly1(_ epsilon: Double) throws(FocalError) {
    guard epsilon == 0 else {
        throw FocalError(.invalidParameter,
                         "poly1_epsilon = \(epsilon): the gradient-and-Hessian and init-score functions take none (0)")
    }
}

/// gamma, alpha, label smoothing (0 only) and the thread count of a softmax call.
func validatedSoftmaxParameters(_ options: SoftmaxFocalOptions, classes: Int) throws(FocalError) -> Int {
    try validateGamma(options.gamma)
    try refusePoly1(options.poly1Epsilon)
    guard options.labelSmoothing == 0 else {
        throw FocalError(.invalidLabelSmoothing,
                         "label_smoothing = \(options.labelSmoothing): the gradient-and-Hessian and init-score functions take none (0)")
    }
    if let alpha = options.alpha {
        try expectCount(alpha.count, classes, "alpha")
        for c in 0 ..< classes where !(alpha[c].isFinite && alpha[c] >= 0) {
            throw FocalError(.invalidAlpha, "alpha[\(c)] = \(alpha[c]) must be finite and >= 0")
        }
    }
    return try validatedThreadCount(options.threads)
}

/// Every sigmoid target in [0, 1], counted by the vectorized check and searched only when one is not.
func validateSigmoidTargets<T: FocalScalar>(_ targets: UnsafeBufferPointer<T>, kernels: KernelTable, threads: Int) throws(FocalError) {
    guard let t = targets.baseAddress else { return }
    let check = T.sigmoidTargetCheck(kernels)
    let outOfRange = Parallel.sum(count: targets.count, grain: SigmoidFocalLoss.grain, threads: threads) { range in
        var count = CompensatedSum()
        count.add(Double(check(t, range, false).outOfRange))
        return count
    }
    if outOfRange > 0, let i = targets.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
        throw FocalError(.targetOutOfRange, "targets[\(i)] = \(targets[i]) is outside [0, 1]")
    }
}

/// Every softmax target in `[0, classes)` or `ignoreIndex`, and the weight of every position not
/// ignored finite and ≥ 0 (an ignored position's is neither checked nor used); `kept(position,
/// class, weight)` for each position not ignored, in order, once all are known to be valid.
func validateSoftmaxTargets<T: FocalScalar, Target: FocalTarget>(
    _ targets: UnsafeBufferPointer<Target>, _ weights: UnsafeBufferPointer<T>?, classes: Int64, ignoreIndex: Int64,
    kept: (_ position: Int, _ y: Int, _ weight: Double) -> Void
) throws(FocalError) {
    for position in 0 ..< targets.count {
        let y = Int64(targets[position])
        if y == ignoreIndex { continue }
        guard y >= 0 && y < classes else {
            throw FocalError(.targetOutOfRange,
                             "targets[\(position)] = \(y) is out of range: expected 0 <= target < \(classes) or ignore_index (\(ignoreIndex))")
        }
        if let weights, !(weights[position].isFinite && weights[position] >= 0) {
            throw FocalError(.invalidWeight, "weights[\(position)] = \(weights[position]) must be finite and >= 0")
        }
    }
    for position in 0 ..< targets.count {
        let y = Int64(targets[position])
        if y != ignoreIndex { kept(position, Int(y), weights?[position].double ?? 1) }
    }
}

// MARK: The solvers

/// The root of an increasing-through-zero function `g` (with derivative `h`) on the doubles: a
/// bracket `[lo, hi]` with `g(lo) ≤ 0 ≤ g(hi)` found by doubling from ±1, then Newton steps that
/// stay inside the bracket (bisection otherwise), each evaluation shrinking it, until it holds
/// two adjacent doubles or `g` is 0.
func summedGradientRoot(_ evaluate: (Double) -> (g: Double, h: Double)) -> Double {
    var lo = -1.0, hi = 1.0
    while evaluate(lo).g > 0 {
        if lo < -1e6 { return -.infinity }
        lo *= 2
    }
    while evaluate(hi).g < 0 {
        if hi > 1e6 { return .infinity }
        hi *= 2
    }
    var x = lo / 2 + hi / 2
    for _ in 0 ..< 400 {
        let (g, h) = evaluate(x)
        if g == 0 { return x }
        if g < 0 { lo = x } else { hi = x }
        let mid = lo / 2 + hi / 2
        if mid <= lo || mid >= hi { break }
        let newton = x - g / h
        x = h > 0 && newton > lo && newton < hi ? newton : mid
    }
    // The bracket's end with the smaller |g|.
    return abs(evaluate(lo).g) <= abs(evaluate(hi).g) ? lo : hi
}

/// `log p` minimising `Σ_c W_c·(1 − p_c)^γ·(−log p_c)` on the simplex (see
/// `FocalGradHess.softmaxInitScores`).
func simplexMinimiser(_ totals: [Double], gamma: Double) -> [Double] {
    let classes = totals.count
    let active = (0 ..< classes).filter { totals[$0] > 0 }
    guard !active.isEmpty else { return [Double](repeating: .nan, count: classes) }
    var logP = [Double](repeating: -.infinity, count: classes)
    if active.count == 1 {
        logP[active[0]] = 0
        return logP
    }
    // log ψ(u) at u = log p: ψ = m^γ·(γ·ρ + 1/p), m = 1 − p = −expm1(u), ρ = −u/m (→ 1 as u → 0).
    func logPsi(_ u: Double) -> Double {
        let m = -expm1(u)
        let rho = m > 0 ? -u / m : 1
        // log(γρ + e^{−u}) = −u + log1p(γρ·e^{u}), with no overflow of e^{−u}.
        let tail = -u + log1p(gamma * rho * exp(u))
        return (gamma == 0 ? 0 : gamma * log(m)) + tail
    }
    // log p_c where W_c·ψ(p_c) = λ, i.e. log ψ(u) = logλ − log W_c (ψ decreasing in u).
    func logProbability(_ logTarget: Double) -> Double {
        if logPsi(0) >= logTarget { return 0 }
        var lo = -1.0, hi = 0.0
        while logPsi(lo) < logTarget { hi = lo; lo *= 2 }
        for _ in 0 ..< 200 {
            let mid = lo / 2 + hi / 2
            if mid <= lo || mid >= hi { break }
            if logPsi(mid) < logTarget { hi = mid } else { lo = mid }
        }
        return lo / 2 + hi / 2
    }
    func probabilitySum(_ logLambda: Double) -> Double {
        var sum = CompensatedSum()
        for c in active { sum.add(exp(logProbability(logLambda - log(totals[c])))) }
        return sum.value
    }
    // Σ p_c(λ) decreases in λ: bracket the λ where it is 1, then bisect on log λ.
    // (Doubling steps: log λ moves about like −γ/C, so a huge γ is reached in a few dozen steps.)
    var lo = log(totals[active.max { totals[$0] < totals[$1] }!]), hi = lo
    var step = 8.0
    while probabilitySum(lo) < 1 { lo -= step; step *= 2 }
    step = 8
    while probabilitySum(hi) > 1 { hi += step; step *= 2 }
    for _ in 0 ..< 200 {
        let mid = lo / 2 + hi / 2
        if mid <= lo || mid >= hi { break }
        if probabilitySum(mid) > 1 { lo = mid } else { hi = mid }
    }
    let logLambda = lo / 2 + hi / 2
    for c in active { logP[c] = logProbability(logLambda - log(totals[c])) }
    // Shift so that the log-sum-exp is exactly what softmax would normalise away.
    let top = active.map { logP[$0] }.max()!
    var sum = CompensatedSum()
    for c in active { sum.add(exp(logP[c] - top)) }
    let shift = top + log(sum.value)
    for c in active { logP[c] -= shift }
    return logP
}
