import _KernelInterface

// Gradient and Hessian of the unreduced loss with respect to the logit, per element, for
// gradient-boosting libraries (docs/boosting.md derives every formula below). The gradient is
// the loss kernels' own derivative (the same element functions, the same weighting and
// rounding: the bits of the loss call's gradient); the Hessian is computed from the same
// quantities, in log space, with every factor that blows up at γ < 1 (`m^{γ−1}`, `m^{γ−2}`)
// cancelled against the factor that vanishes with it before anything is evaluated.

// MARK: Sigmoid

/// The sigmoid's second derivative for a hard target, in arithmetic `A` (either tier), from
/// the quantities of `sigmoidHardElement`: with `x_t = (2t − 1)·x`, `p = p_t = σ(x_t)`,
/// `m = 1 − p = σ(−x_t)`, `B = −log p`, and `dm/dx_t = −p·m`, `dp/dx_t = p·m`, `dB/dx_t = −m`,
/// the gradient is `∂ℓ/∂x_t = −α_t·m^γ·(m + γ·p·B)` and
///   `∂²ℓ/∂x² = ∂²ℓ/∂x_t² = α_t·m^γ·[(1 + 2γ)·p·m + γ·(p·B)·(γ·p − m)]`
/// (the sign of `x_t` squares away). `p·B ≤ 1/e` is bounded and formed first, with the limit 0
/// at an infinite logit against its target (p = 0, B = ∞); nothing here has a negative power
/// of `m`, so it is finite for every γ ≥ 0 and every finite logit. The bracket is negative
/// where `γ·B·(m − γ·p) > (1 + 2γ)·m`: a confidently wrong example (t = 1 below x ≈ −2.8 at
/// γ = 2), where the loss is concave in the logit.
/// The approximation is the focal weight times the logistic Hessian, `α_t·m^γ·p·m ≥ 0`.
@inline(__always)
func sigmoidHardHessian<A: Arithmetic, Law: FocusingLaw>(
    _: A.Type, _ x: A.Value, _ t: A.Value, _ e: A.Value, limits: Bool, alpha: A.Value?, gamma: A.Value, law: Law,
    mode: HessianMode
) -> A.Value {
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
    let logistic = pT * m
    let h: A.Value
    if mode == .approximate {
        h = alphaT * focus * logistic
    } else {
        let pTB = limits && pT == 0 ? 0 : pT * bce
        let exact = alphaT * focus * ((1 + 2 * gamma) * logistic + gamma * (pTB * (gamma * pT - m)))
        h = mode == .clipped ? (exact > A.Value(HessianMode.floor) ? exact : A.Value(HessianMode.floor)) : exact
    }
    let defined = ax <= .infinity
    return defined ? h : .nan
}

/// The sigmoid's second derivative for any target in [0, 1], in double, from the quantities of
/// `sigmoidFocalElement`: `dℓ/dx = α_t·m^γ·(d + γ·B·r)` with `d = s − t`, `r = s·s̄·(1 − 2t)/m`.
/// With `v = s·s̄`, `dd/dx = v`, `dm/dx = r·m`, `dv/dx = v·(1 − 2s)` and so
/// `dr/dx = r·(1 − 2s − r)`:
///   `∂²ℓ/∂x² = α_t·m^γ·[v + 2γ·d·r + γ·(B·r)·((γ − 1)·r − 2·(s − ½))]`,
/// every factor bounded (`|r| ≤ 1`, `B·r → 0` at an infinite logit, taken as that limit), and
/// `s − ½` formed from `expm1` near 0 as in `sigmoidMinusTarget`, not as a difference. For
/// t = 1 (r = −s, d = −s̄) this is `sigmoidHardHessian`'s formula. The approximation is
/// `α_t·m^γ·v`.
@inline(__always)
func sigmoidSoftHessian<T: KernelScalar, Law: FocusingLaw>(
    _: T.Type, _ x: Double, _ t: Double, _ e: Double, limits: Bool, alpha: Double?, gamma: Double, law: Law,
    mode: HessianMode
) -> Double {
    let ax = abs(x)
    let big = 1 / (1 + e)
    let small = e * big
    let log1pE = T.log1pUnit(e)
    let positive = x >= 0
    let s = positive ? big : small
    let sBar = positive ? small : big
    let logS = min(x, 0) - log1pE
    let logSBar = min(-x, 0) - log1pE
    let one = t == 1
    let hard = one || t == 0
    let mSoft = t * sBar + (1 - t) * s
    let m = hard ? (one ? sBar : s) : mSoft
    let logM = hard ? (one ? logSBar : logS) : FastMath.log(mSoft)
    let focus = law(m, log: logM)
    let alphaT = alpha.map { $0 * t + (1 - $0) * (1 - t) } ?? 1
    let v = s * sBar
    let h: Double
    if mode == .approximate {
        h = alphaT * focus * v
    } else {
        let bce = limits ? (t == 0 ? 0 : -t * logS) + (t == 1 ? 0 : -(1 - t) * logSBar) : -(t * logS + (1 - t) * logSBar)
        let r = hard ? (one ? -s : sBar) : (1 - 2 * t) * s * sBar / mSoft
        let d = hard ? (one ? -sBar : s) : sigmoidMinusTarget(x, t, e: e, s: s, sBar: sBar, big: big)
        let bR = limits && r == 0 ? 0 : bce * r
        let oneMinusE = e > 0.5 ? -FastMath.expm1(-ax) : 1 - e
        let halfTanh = 0.5 * oneMinusE * big  // σ(|x|) − ½
        let sMinusHalf = positive ? halfTanh : -halfTanh
        let exact = alphaT * focus * (v + 2 * gamma * d * r + gamma * bR * ((gamma - 1) * r - 2 * sMinusHalf))
        h = mode == .clipped ? max(exact, HessianMode.floor) : exact
    }
    let defined = ax <= .infinity
    return defined ? h : .nan
}

/// Elements `range` of a sigmoid gradient-and-Hessian call: blocks as `sigmoidChunk`'s (hard
/// targets in arithmetic `A`, blocks with a soft target in double), so that the gradient is the
/// loss kernel's to the bit.
func sigmoidGradHessChunk<T: KernelScalar, A: Arithmetic>(_ a: SigmoidGradHessArguments<T>, _ range: Range<Int>, _: A.Type) {
    switch FocusingLawChoice(gamma: a.gamma) {
    case .square: sigmoidGradHessChunk(a, range, A.self, law: SquareLaw())
    case .integer(let law) where law.exponent > A.largestSquaredExponent:
        sigmoidGradHessChunk(a, range, A.self, law: IntegerByPowerLaw(integer: law))
    case .integer(let law): sigmoidGradHessChunk(a, range, A.self, law: law)
    case .real(let law): sigmoidGradHessChunk(a, range, A.self, law: law)
    }
}

func sigmoidGradHessChunk<T: KernelScalar, A: Arithmetic, Law: FocusingLaw>(
    _ a: SigmoidGradHessArguments<T>, _ range: Range<Int>, _: A.Type, law: Law
) {
    withSigmoidScratch { buffer in
        var start = range.lowerBound
        while start < range.upperBound {
            let count = min(sigmoidBlock, range.upperBound - start)
            let x = a.logits + start
            let t = a.targets + start
            let (soft, infinite) = blockKind(x, t, count)
            if soft {
                let derivatives = buffer, hessians = derivatives + sigmoidBlock, exps = hessians + sigmoidBlock
                forEach(count) { i in exps[i] = T.exp(-abs(x[i].double)) }
                @inline(__always) func elements(limits: Bool, mode: HessianMode) {
                    forEach(count) { i in
                        derivatives[i] = sigmoidFocalElement(
                            T.self, x[i].double, t[i].double, exps[i], soft: true, limits: limits, alpha: a.alpha,
                            gamma: a.gamma, law: law).derivative
                        hessians[i] = sigmoidSoftHessian(
                            T.self, x[i].double, t[i].double, exps[i], limits: limits, alpha: a.alpha, gamma: a.gamma,
                            law: law, mode: mode)
                    }
                }
                forEachMode(a.mode, limits: infinite, elements)
                storeGradHess(a, start, count, derivatives, hessians, exps)
            } else {
                UnsafeMutableRawPointer(buffer).withMemoryRebound(to: A.Value.self, capacity: 3 * sigmoidBlock) { values in
                    let derivatives = values, hessians = derivatives + sigmoidBlock, exps = hessians + sigmoidBlock
                    let alpha = a.alpha.map { A.Value($0) }, gamma = A.Value(a.gamma)
                    forEach(count) { i in exps[i] = A.exp(-abs(A.Value(x[i].double))) }
                    @inline(__always) func elements(limits: Bool, mode: HessianMode) {
                        forEach(count) { i in
                            derivatives[i] = sigmoidHardElement(
                                A.self, A.Value(x[i].double), A.Value(t[i].double), exps[i], limits: limits,
                                alpha: alpha, gamma: gamma, law: law).derivative
                            hessians[i] = sigmoidHardHessian(
                                A.self, A.Value(x[i].double), A.Value(t[i].double), exps[i], limits: limits,
                                alpha: alpha, gamma: gamma, law: law, mode: mode)
                        }
                    }
                    forEachMode(a.mode, limits: infinite, elements)
                    storeGradHess(a, start, count, derivatives, hessians, exps)
                }
            }
            start += count
        }
    }
}

/// `body(limits, mode)` with both arguments constants at each call, so that the element loop
/// is compiled once per combination with its selects folded.
@inline(__always)
func forEachMode(_ mode: HessianMode, limits: Bool, _ body: (_ limits: Bool, _ mode: HessianMode) -> Void) {
    switch mode {
    case .exact: if limits { body(true, .exact) } else { body(false, .exact) }
    case .clipped: if limits { body(true, .clipped) } else { body(false, .clipped) }
    case .approximate: if limits { body(true, .approximate) } else { body(false, .approximate) }
    }
}

/// A block's gradients and Hessians, each times its element's weight (gathered into `scratch`)
/// as `storeBlock` weights the loss call's derivatives: a weight of 0 gives 0 for both.
@inline(__always)
func storeGradHess<T: KernelScalar, V: KernelScalar>(
    _ a: SigmoidGradHessArguments<T>, _ start: Int, _ count: Int, _ derivatives: UnsafeMutablePointer<V>,
    _ hessians: UnsafeMutablePointer<V>, _ scratch: UnsafeMutablePointer<V>
) {
    if let weights = a.weights {
        weights.gather(into: scratch, start: start, count: count)
        forEach(count) { i in
            let w = scratch[i]
            derivatives[i] = w == 0 ? 0 : derivatives[i] * w
            hessians[i] = w == 0 ? 0 : hessians[i] * w
        }
    }
    if let g = a.gradient?.advanced(by: start) {
        // `1 · derivative`, as the loss call's gradient with reduction none and no upstream.
        forEach(count) { i in g[i] = T(rounding: 1 * derivatives[i].double) }
    }
    if let h = a.hessian?.advanced(by: start) {
        forEach(count) { i in h[i] = T(rounding: hessians[i].double) }
    }
}

// MARK: Softmax

// The softmax's diagonal Hessian, for target y with weight a = α_y, `P = p_y`, `M = 1 − P`
// (`−expm1(log P)`), `B = −log P` and `ρ = B / M` (bounded: → 1 as P → 1; `P·ρ → 0` as P → 0).
// With `z = log p_y` and `F(z) = −a·(1 − e^z)^γ·z` the loss is `F(log p_y)`, and since
// `∂z/∂x_c = [c = y] − p_c` and `∂²z/∂x_c² = −p_c·(1 − p_c)`:
//   `∂ℓ/∂x_c = F'·([c = y] − p_c)`,  `∂²ℓ/∂x_c² = F''·([c = y] − p_c)² − F'·p_c·(1 − p_c)`,
//   `F'  = −a·M^γ·(1 + γ·P·ρ)`,
//   `F'' = a·γ·P·M^{γ−1}·K`,  `K = (γ − 1)·P·ρ − B + 2`.
// `M^{γ−1}` is unbounded at γ < 1 as P → 1, but it always comes multiplied by at least one
// factor of M: `(1 − P)² = M²` for c = y, and `p_c² ≤ p_c·M` for c ≠ y (`p_c ≤ 1 − P`). So
//   `H_y = a·M^γ·M·[(1 + 2γ)·P − γ·(P·B) + γ²·P·(P·ρ)]`,
//   `H_c = a·M^γ·p_c·[(1 − p_c)·(1 + γ·P·ρ) + γ·(p_c / M)·(P·K)]`  (c ≠ y),
// with `p_c / M ≤ 1` and `P·K = (γ − 1)·P·(P·ρ) − P·B + 2P` bounded, `1 − p_c = −expm1(log p_c)`.
// At γ = 0 both are `a·p_c·(1 − p_c)`, cross-entropy's diagonal Hessian; for two classes H_y
// and H_c are the sigmoid's hard-target Hessian. The approximation: `a·M^γ·p_c·(1 − p_c)` for
// every class.
//
// The gradient is the loss kernel's exact-tier gradient, bit for bit. Where positions go by
// groups (rows of fewer than `softmaxTransposedClasses` classes, transposed into tiles;
// class-major tiles at inner > 1) the loss kernel's own code computes it: `SoftmaxGroup`, with
// reduction none and no upstream gradient, which leaves every per-position quantity (maxima,
// log Z, 1 / Z, log p_y, the target, the weight) in its arrays and the e^{d_c} in its tile for
// the Hessian pass that follows. Rows of more classes go one position at a time, with the same
// quantities in the same order (maxima by integer keys, S' summed as the row path's `laneSum`
// adds it, `SoftmaxClassTerm`), in double.

/// Class-major tiles (inner > 1) keep their e^{d_c} in the softmax scratch when at least this
/// many positions fit (C ≤ 512); tiles of more classes take `softmaxGroup` positions and
/// recompute them, in the gradient and in the Hessian pass, rather than be a handful of
/// positions wide.
let softmaxGradHessCachedTile = 8

/// A position's Hessian factors (see above): `a·M^γ`, the other factors of `H_c` for c ≠ y,
/// and the target class's `H_y`, from its target's class term and weight, in `mode`.
struct SoftmaxHessian {
    let scale, g1, pK, ratio, target: Double

    @inline(__always)
    init(scale: Double, g1: Double, pK: Double, ratio: Double, target: Double) {
        (self.scale, self.g1, self.pK, self.ratio, self.target) = (scale, g1, pK, ratio, target)
    }

    /// With the limits at P = 0 (an infinite or underflowed B): P·B → 0, P·ρ → 0.
    @inline(__always)
    init(_ term: SoftmaxClassTerm, logPY: Double, weightY: Double, gamma: Double, mode: HessianMode) {
        let p = term.p, m = term.m, b = -logPY
        let rho = m > 0 ? b / m : 1
        let pRho = p == 0 ? 0 : p * rho
        let pB = p == 0 ? 0 : p * b
        scale = weightY * term.focus
        g1 = 1 + gamma * pRho
        pK = (gamma - 1) * p * pRho - pB + 2 * p
        // 1 / M overflows where M is subnormal (a target logit ~709 to 745 above every other):
        // capped, p_c·(1 / M) stays ≤ 1 and finite (p_c ≤ M), never ∞·0 where p_c underflowed.
        // H_c is then below M^{γ+1}·a, itself subnormal or 0, whatever the cap does to it.
        ratio = m > 0 ? Swift.min(1 / m, .greatestFiniteMagnitude) : 0
        if mode == .approximate {
            target = scale * p * m
        } else {
            let exact = scale * m * ((1 + 2 * gamma) * p - gamma * pB + gamma * gamma * p * pRho)
            target = mode == .clipped ? max(exact, HessianMode.floor) : exact
        }
    }

    /// `H_c` of a class other than the target, from its `e^{d_c}`, `1 / Z` and `log p_c`.
    @inline(__always)
    func other(_ e: Double, invZ: Double, logP: Double, gamma: Double, mode: HessianMode) -> Double {
        let pc = e * invZ
        let oneMinus = -FastMath.expm1(logP)
        let exact: Double
        if mode == .approximate {
            exact = scale * pc * oneMinus
        } else {
            exact = scale * pc * (oneMinus * g1 + gamma * (pc * ratio) * pK)
        }
        return mode == .clipped ? max(exact, HessianMode.floor) : exact
    }
}

/// Positions `range` of a softmax gradient-and-Hessian call.
func softmaxGradHessChunk<T: KernelScalar, Target: FixedWidthInteger>(_ a: SoftmaxGradHessArguments<T, Target>, _ range: Range<Int>) {
    switch FocusingLawChoice(gamma: a.gamma) {
    case .square: softmaxGradHessChunk(a, range, law: SquareLaw())
    case .integer(let law): softmaxGradHessChunk(a, range, law: law)
    case .real(let law): softmaxGradHessChunk(a, range, law: law)
    }
}

func softmaxGradHessChunk<T: KernelScalar, Target: FixedWidthInteger, Law: FocusingLaw>(
    _ a: SoftmaxGradHessArguments<T, Target>, _ range: Range<Int>, law: Law
) {
    switch a.mode {
    case .exact: softmaxGradHessChunk(a, range, law: law, mode: .exact)
    case .clipped: softmaxGradHessChunk(a, range, law: law, mode: .clipped)
    case .approximate: softmaxGradHessChunk(a, range, law: law, mode: .approximate)
    }
}

@inline(__always)
func softmaxGradHessChunk<T: KernelScalar, Target: FixedWidthInteger, Law: FocusingLaw>(
    _ a: SoftmaxGradHessArguments<T, Target>, _ range: Range<Int>, law: Law, mode: HessianMode
) {
    if a.inner > 1 || a.classes < softmaxTransposedClasses {
        softmaxGradHessGroups(a, range, law: law, mode: mode)
    } else {
        softmaxGradHessPositions(a, range, law: law, mode: mode)
    }
}

/// Positions `range` by the loss kernel's groups (rows transposed into tiles at inner = 1, tiles
/// of one batch item's consecutive positions at inner > 1, split as `softmaxChunk` splits them
/// but for `softmaxGradHessCachedTile`), each followed by its Hessian pass: the per-position
/// factors in one loop across the group, then one loop per class across its positions, from
/// the group's arrays and tiles.
@inline(__always)
func softmaxGradHessGroups<T: KernelScalar, Target: FixedWidthInteger, Law: FocusingLaw>(
    _ a: SoftmaxGradHessArguments<T, Target>, _ range: Range<Int>, law: Law, mode: HessianMode
) {
    let classes = a.classes, inner = a.inner, gamma = a.gamma
    // The weighted loss call with reduction none and no upstream gradient (its losses, summed
    // into `total`, are not used).
    let arguments = SoftmaxKernelArguments(
        logits: a.logits, targets: a.targets, classes: classes, inner: inner, weights: a.alpha, labelSmoothing: 0,
        ignoreIndex: a.ignoreIndex, gamma: gamma, loss: nil, gradient: a.gradient, upstream: nil, scale: 1,
        accumulate: false, positionWeights: a.positionWeights)
    withSoftmaxScratch { scratch, integers in
        // The softmax scratch is all the group's; the Hessian's per-position arrays are here.
        withSigmoidScratch { factors in
            let group = SoftmaxGroup<T, Target, ExactArithmetic<T>, Law>(arguments, law: law, scratch: scratch, integers: integers)
            let (scale, g1, pK) = (factors, factors + softmaxGroup, factors + 2 * softmaxGroup)
            let (ratio, targetH, column) = (factors + 3 * softmaxGroup, factors + 4 * softmaxGroup, factors + 5 * softmaxGroup)
            @inline(__always) func hessianFactors(_ count: Int) {
                forEach(count) { j in
                    let logPY = group.logPY[j]
                    let term = SoftmaxClassTerm(logP: logPY, gamma: gamma, law: law)
                    let f = SoftmaxHessian(term, logPY: logPY, weightY: group.weightY[j], gamma: gamma, mode: mode)
                    (scale[j], g1[j], pK[j], ratio[j], targetH[j]) = (f.scale, f.g1, f.pK, f.ratio, f.target)
                }
            }
            // `w·H` of class c at position j: the target class's `H_y` or another's `H_c`, chosen
            // per element (a select, not a branch); 0 where ignored, NaN for a row without a value.
            @inline(__always) func weightedHessian(_ c: Int, _ j: Int, logit: Double, exp e: Double) -> Double {
                let f = SoftmaxHessian(scale: scale[j], g1: g1[j], pK: pK[j], ratio: ratio[j], target: targetH[j])
                let logP = (logit - group.maxLogit[j]) - group.logZ[j]
                let y = group.target[j]
                let h = y == Int64(c) ? f.target : f.other(e, invZ: group.invZ[j], logP: logP, gamma: gamma, mode: mode)
                return y < 0 ? 0 : (group.finite[j] != 0 ? group.up[j] * h : .nan)
            }
            var total = CompensatedSum()
            let fitting = max(1, min(softmaxGroup, softmaxScratch / classes))
            var start = range.lowerBound
            while start < range.upperBound {
                let first = start
                if inner == 1 {
                    let count = min(fitting, softmaxScratch / (4 * classes), range.upperBound - start)
                    group.transposedRows(start, count, &total) { logit, exps in
                        guard let h = a.hessian?.advanced(by: first * classes) else { return }
                        hessianFactors(count)
                        // A class's values across the rows, then stored at stride C.
                        for c in 0 ..< classes {
                            let (x, e) = (c * count, exps + c * count)
                            forEach(count) { j in column[j] = weightedHessian(c, j, logit: logit(x &+ j), exp: e[j]) }
                            forEach(count) { j in h[j &* classes &+ c] = T(rounding: column[j]) }
                        }
                    }
                    start += count
                } else {
                    let width = fitting >= softmaxGradHessCachedTile ? fitting : softmaxGroup
                    let count = min(width, range.upperBound - start, inner - start % inner)
                    group.tile(start, count, &total) { exps in
                        let tileStart = (first / inner) * classes * inner + first % inner
                        guard let h = a.hessian?.advanced(by: tileStart) else { return }
                        hessianFactors(count)
                        for c in 0 ..< classes {
                            let (x, out) = (a.logits + tileStart + c * inner, h + c * inner)
                            let e: UnsafePointer<Double>
                            if let exps {
                                e = exps + c * count
                            } else {
                                forEach(count) { j in column[j] = ExactArithmetic<T>.expDifference(x[j], group.maxLogit[j]).e }
                                e = UnsafePointer(column)
                            }
                            forEach(count) { j in out[j] = T(rounding: weightedHessian(c, j, logit: x[j].double, exp: e[j])) }
                        }
                    }
                    start += count
                }
            }
        }
    }
}

/// Positions `range` one at a time: rows of many classes, whose loops run along the row.
@inline(__always)
func softmaxGradHessPositions<T: KernelScalar, Target: FixedWidthInteger, Law: FocusingLaw>(
    _ a: SoftmaxGradHessArguments<T, Target>, _ range: Range<Int>, law: Law, mode: HessianMode
) {
    withSigmoidScratch { values in
        let classes = a.classes, gamma = a.gamma
        let infinityKey = T.infinity.orderedKey, negativeInfinityKey = (-T.infinity).orderedKey
        for position in range {
            let first = position * classes
            let x = a.logits + first
            let g = a.gradient.map { $0 + first }, h = a.hessian.map { $0 + first }
            let y64 = Int64(a.targets[position])
            let w = a.positionWeights.map { $0[position].double } ?? 1
            if y64 == a.ignoreIndex || w == 0 {
                if let g { forEach(classes) { c in g[c] = 0 } }
                if let h { forEach(classes) { c in h[c] = 0 } }
                continue
            }
            // The maximum by integer keys, and whether the row has a value (SoftmaxGroup.finishMaxima).
            var high = T.Key.min, low = T.Key.max
            forEach(classes) { c in
                let key = x[c].orderedKey
                high = Swift.max(high, key)
                low = Swift.min(low, key)
            }
            let finite = high > negativeInfinityKey && low >= negativeInfinityKey && high < infinityKey
            let maxLogit = T(orderedKey: high).double
            // S' as the row path lane-sums it, in blocks of `4 · softmaxGroup` classes, with a
            // row's e^{d_c} kept for the outputs when it fits (C ≤ 256).
            var sum = 0.0, ties = 0.0
            let cached = classes <= 4 * softmaxGroup
            let exps = values + 4 * softmaxGroup
            var c0 = 0
            while c0 < classes {
                let block = Swift.min(4 * softmaxGroup, classes - c0)
                var maxima = 0
                forEach(block) { c in
                    let (zero, e) = ExactArithmetic<T>.expDifference(x[c0 &+ c], maxLogit)
                    exps[c] = e
                    values[c] = zero ? 0 : e
                    maxima &+= zero ? 1 : 0
                }
                sum += laneSum(values, block)
                ties += Double(maxima)
                c0 += block
            }
            let s = sum * ExactArithmetic<T>.inverseExpScale + (ties - 1)
            let logZ = FastMath.log1p(s)
            let invZ = 1 / (1 + s)
            let y = Int(y64)
            let logPY = (x[y].double - maxLogit) - logZ
            let weightY = a.alpha?[y] ?? 1
            let term = SoftmaxClassTerm(logP: logPY, gamma: gamma, law: law)
            let k = weightY == 0 ? 0 : weightY * term.derivative
            let up = 1 * w
            let hessian = SoftmaxHessian(term, logPY: logPY, weightY: weightY, gamma: gamma, mode: mode)
            // One plain loop per output over a block's e^{d_c}, so each vectorizes.
            c0 = 0
            while c0 < classes {
                let block = Swift.min(4 * softmaxGroup, classes - c0)
                let row = x + c0
                if !cached { forEach(block) { c in exps[c] = ExactArithmetic<T>.expDifference(row[c], maxLogit).e } }
                if let out = g?.advanced(by: c0) {
                    forEach(block) { c in out[c] = T(rounding: finite ? up * (-(exps[c] * invZ) * k) : .nan) }
                }
                if let out = h?.advanced(by: c0) {
                    forEach(block) { c in
                        let logP = (row[c].double - maxLogit) - logZ
                        out[c] = T(rounding: finite ? w * hessian.other(exps[c], invZ: invZ, logP: logP, gamma: gamma, mode: mode) : .nan)
                    }
                }
                c0 += block
            }
            g?[y] = T(rounding: finite ? up * (k * term.m) : .nan)
            h?[y] = T(rounding: finite ? w * hessian.target : .nan)
        }
    }
}

// MARK: One element, for the core's starting-margin solver

/// One sigmoid element's derivative and exact second derivative in double (the exact tier's
/// formulas, limits at infinite logits), for `FocalGradHess.sigmoidInitScores`.
public func sigmoidFocalDerivatives(_ x: Double, _ t: Double, alpha: Double?, gamma: Double) -> (gradient: Double, hessian: Double) {
    let e = FastMath.exp(-abs(x))
    let hard = t == 0 || t == 1
    func derivatives<Law: FocusingLaw>(_ law: Law) -> (gradient: Double, hessian: Double) {
        let g = sigmoidFocalElement(Double.self, x, t, e, soft: !hard, limits: true, alpha: alpha, gamma: gamma, law: law).derivative
        let h = hard
            ? sigmoidHardHessian(ExactArithmetic<Double>.self, x, t, e, limits: true, alpha: alpha, gamma: gamma, law: law, mode: .exact)
            : sigmoidSoftHessian(Double.self, x, t, e, limits: true, alpha: alpha, gamma: gamma, law: law, mode: .exact)
        return (g, h)
    }
    switch FocusingLawChoice(gamma: gamma) {
    case .square: return derivatives(SquareLaw())
    case .integer(let law): return derivatives(law)
    case .real(let law): return derivatives(law)
    }
}
