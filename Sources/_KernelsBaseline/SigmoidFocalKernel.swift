import _KernelInterface

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
///
/// `e` is `e^{−|x|}`, computed by the caller.
///
/// Hard targets (every target of a block 0 or 1) take the shorter form of DESIGN §1.4 with
/// `x_t = (2t − 1)·x`: `p_t = σ(x_t)`, `m = σ(−x_t)`, `B = −log p_t = log1p(e^{−|x|}) + max(−x_t, 0)`,
/// `∂ℓ/∂x_t = −α_t·m^γ·(m + γ·p_t·B)` and `∂ℓ/∂x = (2t − 1)·∂ℓ/∂x_t`, the same quantities
/// as above with `r` and `s − t` folded in.
///
/// Branch-free (selects only) so that a loop over elements vectorizes; `soft` and `limits` are
/// constants at each call site: blocks of hard targets skip the soft-target work entirely, and
/// blocks without an infinite logit the selects that take the limits at ±∞ (`limits`).
/// For finite logits both forms give the same bits.
///
/// Poly-1 (`poly`, ε ≠ 0) adds `ε·m^{γ+1}` to the loss and its derivative
/// `ε·(γ + 1)·m^γ·dm/dx`, `dm/dx = (1 − 2t)·s·s̄`; hard targets take `sigmoidHardPolyElement`.
@inline(__always)
func sigmoidFocalElement<T: KernelScalar, Law: FocusingLaw>(
    _: T.Type, _ x: Double, _ t: Double, _ e: Double, soft: Bool, limits: Bool, alpha: Double?, gamma: Double, law: Law,
    poly: Double? = nil
) -> (loss: Double, derivative: Double) {
    if !soft {
        if let poly {
            return sigmoidHardPolyElement(T.self, x, t, e, limits: limits, alpha: alpha, gamma: gamma, law: law, epsilon: poly)
        }
        return sigmoidHardElement(ExactArithmetic<T>.self, x, t, e, limits: limits, alpha: alpha, gamma: gamma, law: law)
    }
    let ax = abs(x)
    let big = 1 / (1 + e)       // σ(|x|)
    let small = e * big         // σ(−|x|)
    let log1pE = T.log1pUnit(e)
    let positive = x >= 0
    let s = positive ? big : small
    let sBar = positive ? small : big
    let logS = min(x, 0) - log1pE
    let logSBar = min(-x, 0) - log1pE
    // A term whose weight is 0 is 0, also where its log is −∞ (an infinite logit: 0·∞).
    let bce = limits ? (t == 0 ? 0 : -t * logS) + (t == 1 ? 0 : -(1 - t) * logSBar) : -(t * logS + (1 - t) * logSBar)
    let one = t == 1
    let hard = one || t == 0
    let mSoft = t * sBar + (1 - t) * s
    let m = hard ? (one ? sBar : s) : mSoft
    let logM = hard ? (one ? logSBar : logS) : FastMath.log(mSoft)
    let r = hard ? (one ? -s : sBar) : (1 - 2 * t) * s * sBar / mSoft
    let dBCE = hard ? (one ? -sBar : s) : sigmoidMinusTarget(x, t, e: e, s: s, sBar: sBar, big: big)
    let focus = law(m, log: logM)
    let alphaT = alpha.map { $0 * t + (1 - $0) * (1 - t) } ?? 1
    let loss = limits ? focalLoss(alphaT, bce, focus) : alphaT * bce * focus
    // B·r → 0 at an infinite logit, where B = ∞ and r = 0 (r ~ e^{−|x|}); for a finite
    // logit r = 0 only where it underflowed or t = ½, and B·r is 0 too.
    let bR = limits && r == 0 ? 0 : bce * r
    var derivative = alphaT * focus * (dBCE + gamma * bR)
    var total = loss
    if let poly {
        // Soft t: m ≥ min(t, 1 − t) > 0 and B ≥ −log p_t ≥ m, so `α_t·B + ε·m` cancels only
        // where the loss itself changes sign (ε < −α_t). A hard target in the block takes the
        // hard form (`sigmoidHardPolyElement`, which avoids the cancellation near p_t = 1), so
        // its bits do not depend on its block's other targets.
        let hardPoly = sigmoidHardPolyElement(T.self, x, hard ? t : 1, e, limits: limits, alpha: alpha, gamma: gamma,
                                              law: law, epsilon: poly)
        total = hard ? hardPoly.loss : loss + poly * focus * m
        derivative = hard ? hardPoly.derivative : derivative + poly * (gamma + 1) * focus * ((1 - 2 * t) * s * sBar)
    }
    // ±∞ logits are taken as limits above: loss 0 or +∞, gradient finite. A NaN logit poisons
    // its own element only (DESIGN §1.4).
    let defined = ax <= .infinity
    return (defined ? total : .nan, defined ? derivative : .nan)
}

/// Poly-1 for a hard target, in double: `m^γ·(α_t·B + ε·m)` and its derivative, with
/// `x_t = (2t − 1)·x`, `p_t = σ(x_t)`, `m = σ(−x_t)`, `B = −log p_t`:
///   `∂ℓ/∂x_t = −m^γ·[α_t·(m + γ·p_t·B) + ε·(γ + 1)·p_t·m]`.
/// Where x agrees with its target (m small) `α_t·B + ε·m` and the bracket cancel when
/// `α_t + ε ≈ 0` (ε = −1 at γ = 0 without α is `−log p − (1 − p) ≈ m²/2`). They are formed
/// from `D = B − m = log1p(e) − e/(1 + e) = e²·(h(e) + 1/(1 + e))` (`h` the polynomial of
/// log1p, `e = e^{−|x|}`; the sum is in [0.19, 0.5], no cancellation):
///   `α_t·B + ε·m = (α_t + ε)·m + α_t·D`,
///   bracket `= (γ + 1)(α_t + ε)·m − (α_t·γ + ε·(γ + 1))·m² + α_t·γ·p_t·D`
/// (`p_t·m = m − m²`). Where x disagrees (m ≥ ½) the direct forms cancel only where the loss
/// or its derivative changes sign.
@inline(__always)
func sigmoidHardPolyElement<T: KernelScalar, Law: FocusingLaw>(
    _: T.Type, _ x: Double, _ t: Double, _ e: Double, limits: Bool, alpha: Double?, gamma: Double, law: Law,
    epsilon: Double
) -> (loss: Double, derivative: Double) {
    let ax = abs(x)
    let big = 1 / (1 + e)       // σ(|x|)
    let small = e * big         // σ(−|x|)
    let positive = t == 1
    let agrees = (x >= 0) == positive  // x_t ≥ 0
    let h = FastMath.log1pUnitRemainder(e)
    let log1pE = mulAdd(e * h, e, e)
    let pT = agrees ? big : small
    let m = agrees ? small : big
    let bce = agrees ? log1pE : log1pE + ax
    let focus = law.focus(ExactArithmetic<T>.self, m, logHi: agrees ? -ax : 0, logLo: -log1pE)
    let alphaT: Double = alpha.map { positive ? $0 : 1 - $0 } ?? 1
    let d = e * e * (h + big)   // B − m where x agrees
    let sum = alphaT + epsilon
    let agreeing = mulAdd(sum, m, alphaT * d)
    let lossFactor = agrees ? agreeing : mulAdd(alphaT, bce, epsilon * m)
    // At an infinite logit against its target B = ∞ (m = 1): the loss is +∞ whatever ε
    // (ε·m is finite), and 0·∞ where α_t = 0 is the limit of the finite ε·m^{γ+1} term.
    let loss = limits && bce == .infinity ? (alphaT == 0 ? epsilon * focus : .infinity) : focus * lossFactor
    let pTB = limits && pT == 0 ? 0 : pT * bce
    let agreeingSlope = (gamma + 1) * sum * m - (alphaT * gamma + epsilon * (gamma + 1)) * (m * m) + alphaT * gamma * (pT * d)
    let disagreeingSlope = alphaT * (m + gamma * pTB) + epsilon * (gamma + 1) * (pT * m)
    let dt = -focus * (agrees ? agreeingSlope : disagreeingSlope)
    let derivative = positive ? dt : -dt
    let defined = ax <= .infinity
    return (defined ? loss : .nan, defined ? derivative : .nan)
}

/// The hard-target form of `sigmoidFocalElement` (t = 0 or 1), in the arithmetic `A`: the
/// exact tier's double (`ExactArithmetic`), or the fast tier's float (`FastArithmetic`). The
/// same operations in the same order either way; the focusing factor takes `log m` as the
/// unevaluated sum `logHi + logLo` (`−|x|` and `−log1p(e^{−|x|})` where x agrees with its
/// target), which the fast tier uses to keep `γ·log m` exact (see `FastArithmetic.power`).
@inline(__always)
func sigmoidHardElement<A: Arithmetic, Law: FocusingLaw>(
    _: A.Type, _ x: A.Value, _ t: A.Value, _ e: A.Value, limits: Bool, alpha: A.Value?, gamma: A.Value, law: Law
) -> (loss: A.Value, derivative: A.Value) {
    let ax = abs(x)
    let big = 1 / (1 + e)       // σ(|x|)
    let small = e * big         // σ(−|x|)
    let log1pE = A.log1pUnit(e)
    let positive = t == 1
    let agrees = (x >= 0) == positive  // x_t ≥ 0
    let pT = agrees ? big : small
    let m = agrees ? small : big
    let bce = agrees ? log1pE : log1pE + ax
    let focus = law.focus(A.self, m, logHi: agrees ? -ax : 0, logLo: -log1pE)
    let alphaT: A.Value = alpha.map { positive ? $0 : 1 - $0 } ?? 1
    let loss = limits ? focalLoss(alphaT, bce, focus) : alphaT * bce * focus
    // p_t·B = −p_t·log p_t ≤ 1/e, and B·r below is as bounded: each is formed before γ
    // multiplies it, so γ·(…) stays finite for every finite γ (γ·B first overflows to ∞·0).
    // At an infinite logit that disagrees with its target p_t = 0 and B = ∞: the limit of
    // p_t·B is 0. (For a finite logit p_t = 0 only where it underflowed, and p_t·B is 0 too.)
    let pTB = limits && pT == 0 ? 0 : pT * bce
    let dt = -(alphaT * focus) * (m + gamma * pTB)
    let derivative = positive ? dt : -dt
    // ±∞ logits are taken as limits above: loss 0 or +∞, gradient finite. A NaN logit poisons
    // its own element only (DESIGN §1.4).
    let defined = ax <= .infinity
    return (defined ? loss : .nan, defined ? derivative : .nan)
}

/// `α_t·B·m^γ`, with the limits of an infinite logit: a zero weight (α = 0 or 1 against the
/// element's class) contributes 0, and B = ∞ (a logit of ±∞ against its target) gives +∞ even
/// where a huge γ made `m^γ` underflow (m > 0 there, so the limit is +∞, not 0·∞). For finite
/// logits this is the plain product.
@inline(__always)
func focalLoss<V: KernelScalar>(_ alphaT: V, _ bce: V, _ focus: V) -> V {
    alphaT == 0 ? 0 : (bce == .infinity ? .infinity : alphaT * bce * focus)
}

/// `σ(x) − t` for a soft target, the better of two forms by their rounding-error bounds:
/// `s·(1 − t) − t·s̄` (error ~ u·(s·(1 − t) + t·s̄)) and `(s − ½) + (½ − t)` with
/// `s − ½ = ±(1 − e)/(2(1 + e))`, `e = e^{−|x|}`, taken from `expm1` when `e` is near 1
/// (error ~ u·(|s − ½| + |½ − t|)). The second wins where `s ≈ t ≈ ½`, e.g. x = 1e−8,
/// t = 0.5, whose gradient the first form gets only to ~1e−8 relative.
@inline(__always)
func sigmoidMinusTarget(_ x: Double, _ t: Double, e: Double, s: Double, sBar: Double, big: Double) -> Double {
    let oneMinusE = e > 0.5 ? -FastMath.expm1(-abs(x)) : 1 - e
    let halfTanh = 0.5 * oneMinusE * big  // σ(|x|) − ½
    let sMinusHalf = x >= 0 ? halfTanh : -halfTanh
    let centered = sMinusHalf + (0.5 - t)
    let direct = s * (1 - t) - t * sBar
    return abs(0.5 - t) + halfTanh < s * (1 - t) + t * sBar ? centered : direct
}

/// Elements per block: the block's e^{−|x|}, losses and derivatives live in three stack
/// arrays of this many doubles (6 KiB), so the element loops run over arrays and vectorize.
let sigmoidBlock = 256

/// Elements `range` of a sigmoid call: losses (or their compensated sum) and gradients, the
/// blocks of hard targets in arithmetic `A` (the precision tier), blocks with a soft target in
/// the exact tier's double.
func sigmoidChunk<T: KernelScalar, A: Arithmetic>(_ a: SigmoidKernelArguments<T>, _ range: Range<Int>, _: A.Type) -> CompensatedSum {
    if let family = a.family { return familyChunk(a, range, family) }
    // Poly-1 computes in the exact tier's double whatever the tier (docs/accuracy.md).
    if a.poly1 != nil && A.self != ExactArithmetic<T>.self { return sigmoidChunk(a, range, ExactArithmetic<T>.self) }
    switch FocusingLawChoice(gamma: a.gamma) {
    case .square: return sigmoidChunk(a, range, A.self, law: SquareLaw())
    case .integer(let law) where law.exponent > A.largestSquaredExponent:
        return sigmoidChunk(a, range, A.self, law: IntegerByPowerLaw(integer: law))
    case .integer(let law): return sigmoidChunk(a, range, A.self, law: law)
    case .real(let law): return sigmoidChunk(a, range, A.self, law: law)
    }
}

func sigmoidChunk<T: KernelScalar, A: Arithmetic, Law: FocusingLaw>(
    _ a: SigmoidKernelArguments<T>, _ range: Range<Int>, _: A.Type, law: Law
) -> CompensatedSum {
    withSigmoidScratch { buffer in
        var total = CompensatedSum()
        var start = range.lowerBound
        while start < range.upperBound {
            let count = min(sigmoidBlock, range.upperBound - start)
            let x = a.logits + start
            let t = a.targets + start
            // (`let`s: a nested function capturing a `var` would box it on the heap.)
            let (soft, infinite) = blockKind(x, t, count)
            if soft || a.poly1 != nil {
                // Soft targets, and Poly-1's blocks (in double: `sigmoidChunk` hands them to the
                // exact tier).
                let losses = buffer, derivatives = losses + sigmoidBlock, exps = derivatives + sigmoidBlock
                // e^{−|x|} first, in its own loop: two short dependency chains instead of one
                // long one, so the out-of-order core overlaps many more iterations of each.
                forEach(count) { i in exps[i] = T.exp(-abs(x[i].double)) }
                @inline(__always) func elements(limits: Bool, soft: Bool, poly: Double?) {
                    forEach(count) { i in
                        (losses[i], derivatives[i]) = sigmoidFocalElement(
                            T.self, x[i].double, t[i].double, exps[i], soft: soft, limits: limits, alpha: a.alpha,
                            gamma: a.gamma, law: law, poly: poly)
                    }
                }
                @inline(__always) func elements(limits: Bool) {
                    if let poly = a.poly1 {
                        if soft {
                            elements(limits: limits, soft: true, poly: poly)
                        } else {
                            elements(limits: limits, soft: false, poly: poly)
                        }
                    } else {
                        elements(limits: limits, soft: true, poly: nil)
                    }
                }
                if infinite { elements(limits: true) } else { elements(limits: false) }
                storeBlock(a, start, count, losses, derivatives, exps, &total)
            } else {
                // The block's arrays in A's type: 3 · 256 of them fit the scratch whether A.Value
                // is a float or a double.
                UnsafeMutableRawPointer(buffer).withMemoryRebound(to: A.Value.self, capacity: 3 * sigmoidBlock) { values in
                    let losses = values, derivatives = losses + sigmoidBlock, exps = derivatives + sigmoidBlock
                    let alpha = a.alpha.map { A.Value($0) }, gamma = A.Value(a.gamma)
                    forEach(count) { i in exps[i] = A.exp(-abs(A.Value(x[i].double))) }
                    @inline(__always) func elements(limits: Bool) {
                        forEach(count) { i in
                            (losses[i], derivatives[i]) = sigmoidHardElement(
                                A.self, A.Value(x[i].double), A.Value(t[i].double), exps[i], limits: limits,
                                alpha: alpha, gamma: gamma, law: law)
                        }
                    }
                    if infinite { elements(limits: true) } else { elements(limits: false) }
                    storeBlock(a, start, count, losses, derivatives, exps, &total)
                }
            }
            start += count
        }
        return total
    }
}

/// A block's losses (or their sum, into `total`) and gradients, from its arrays of values,
/// each times its element's weight when the call has weights (gathered into `scratch`, the
/// block's e^{−|x|}, no longer needed). A weight of 0 gives 0, not 0·∞ or 0·NaN: it masks its
/// element whatever the logit. A weight of 1 changes no bit.
@inline(__always)
func storeBlock<T: KernelScalar, V: KernelScalar>(
    _ a: SigmoidKernelArguments<T>, _ start: Int, _ count: Int, _ losses: UnsafeMutablePointer<V>,
    _ derivatives: UnsafeMutablePointer<V>, _ scratch: UnsafeMutablePointer<V>, _ total: inout CompensatedSum
) {
    if let weights = a.weights {
        weights.gather(into: scratch, start: start, count: count)
        forEach(count) { i in
            let w = scratch[i]
            losses[i] = w == 0 ? 0 : losses[i] * w
            derivatives[i] = w == 0 ? 0 : derivatives[i] * w
        }
    }
    if let loss = a.loss {
        forEach(count) { i in loss[start &+ i] = T(rounding: losses[i].double) }
    } else {
        total.add(laneSum(losses, count))
    }
    if let gradient = a.gradient {
        storeGradient(gradient + start, derivatives, count, upstream: a.upstream.map { $0 + start },
                      scale: a.scale, accumulate: a.accumulate)
    }
}

/// How many of targets `range` are outside [0, 1] (NaN included), by integer keys:
/// t ∈ [−0, 1] exactly when `key(−0) = −1 ≤ key(t) ≤ key(1)`, one unsigned comparison of
/// `key + 1`, so the loop vectorizes (`&&` would leave a branch that keeps it scalar). The
/// core runs it on every chunk before any kernel writes.
func sigmoidTargetsOutOfRange<T: KernelScalar>(_ targets: UnsafePointer<T>, _ range: Range<Int>) -> Int {
    let limit = UInt64(T(1).orderedKey) + 1
    let t = targets + range.lowerBound
    var count = 0
    forEach(range.count) { i in
        count &+= UInt64(bitPattern: Int64(t[i].orderedKey) &+ 1) <= limit ? 0 : 1
    }
    return count
}

/// `sigmoidTargetsOutOfRange`, and with `sum` the targets' sum (the statistics' positives) from
/// the same pass, block by block while each block is in cache: a lane sum per block of
/// `sigmoidBlock`, compensated across blocks, as `blockSum`.
func sigmoidTargetCheck<T: KernelScalar>(_ targets: UnsafePointer<T>, _ range: Range<Int>, sum: Bool) -> TargetCheck {
    guard sum else { return TargetCheck(outOfRange: sigmoidTargetsOutOfRange(targets, range), sum: CompensatedSum()) }
    var check = TargetCheck(outOfRange: 0, sum: CompensatedSum())
    var start = range.lowerBound
    while start < range.upperBound {
        let count = min(sigmoidBlock, range.upperBound - start)
        check.outOfRange &+= sigmoidTargetsOutOfRange(targets, start ..< start + count)
        check.sum.add(laneSum(targets + start, count))
        start += count
    }
    return check
}

/// How many of weights `range` are negative, NaN or infinite: w ∈ [−0, max] exactly when
/// `key(−0) = −1 ≤ key(w) ≤ key(max)`, one unsigned comparison, as for the targets.
func weightsOutOfRange<T: KernelScalar>(_ weights: UnsafePointer<T>, _ range: Range<Int>) -> Int {
    let limit = UInt64(T.greatestFiniteMagnitude.orderedKey) + 1
    let w = weights + range.lowerBound
    var count = 0
    forEach(range.count) { i in
        count &+= UInt64(bitPattern: Int64(w[i].orderedKey) &+ 1) <= limit ? 0 : 1
    }
    return count
}

/// The sum of values `range` (targets or weights, for a call's statistics): a lane sum per
/// block of `sigmoidBlock`, the blocks' sums compensated, in a fixed order.
func blockSum<T: KernelScalar>(_ values: UnsafePointer<T>, _ range: Range<Int>) -> CompensatedSum {
    var total = CompensatedSum()
    var start = range.lowerBound
    while start < range.upperBound {
        let count = min(sigmoidBlock, range.upperBound - start)
        total.add(laneSum(values + start, count))
        start += count
    }
    return total
}

extension ElementWeights where T: KernelScalar {
    /// The weights of elements `start ..< start + count` of the index space into `out`: a copy
    /// per element; per position, runs of a class plane copied (inner > 1), or each row's one
    /// weight repeated over its classes (inner = 1).
    @inline(__always)
    func gather<V: KernelScalar>(into out: UnsafeMutablePointer<V>, start: Int, count: Int) {
        var m = offset &+ start
        if classes == 1 && inner == 1 {
            let source = base + m
            forEach(count) { k in out[k] = V(source[k].double) }
            return
        }
        var k = 0
        if inner == 1 {
            var n = m / classes, c = m % classes
            while k < count {
                let run = Swift.min(classes &- c, count &- k)
                let w = V(base[n].double), to = out + k
                forEach(run) { j in to[j] = w }
                k &+= run
                c = 0
                n &+= 1
            }
            return
        }
        let slab = classes &* inner
        while k < count {
            let i = m % inner
            let run = Swift.min(inner &- i, count &- k)
            let source = base + ((m / slab) &* inner &+ i), to = out + k
            forEach(run) { j in to[j] = V(source[j].double) }
            k &+= run
            m &+= run
        }
    }
}

/// `gradient[i] = upstream_i · derivative_i`, or added into it, with `upstream_i` per element
/// or the one `scale`; one plain loop per case so each vectorizes.
@inline(__always)
func storeGradient<T: KernelScalar, V: KernelScalar>(
    _ gradient: UnsafeMutablePointer<T>, _ derivatives: UnsafePointer<V>, _ count: Int,
    upstream: UnsafePointer<T>?, scale: Double, accumulate: Bool
) {
    switch (upstream, accumulate) {
    case (let upstream?, false):
        forEach(count) { i in gradient[i] = T(rounding: upstream[i].double * derivatives[i].double) }
    case (let upstream?, true):
        forEach(count) { i in gradient[i] = T(rounding: gradient[i].double + upstream[i].double * derivatives[i].double) }
    case (nil, false):
        forEach(count) { i in gradient[i] = T(rounding: scale * derivatives[i].double) }
    case (nil, true):
        forEach(count) { i in gradient[i] = T(rounding: gradient[i].double + scale * derivatives[i].double) }
    }
}
