import _KernelInterface

// The focal family (issue 14): FL*, the asymmetric loss, the quality focal loss and the varifocal
// loss, each one element function below, run by one block loop (`familyChunk`) that stores
// through the sigmoid kernel's `storeBlock` (weights, reductions, upstream gradients): the same
// blocks and lane sums as the focal loss, so results are bitwise identical for every thread
// count. Every function computes in double in both tiers, with the storage type's exp and log1p
// (`KernelScalar`), as the exact tier does. Each block is first scanned for soft targets and
// infinite logits (as the focal loss's blocks are): a block of 0/1 targets runs the elements' hard
// forms alone (`hard`), and a block without an infinite logit plain products where the limits are
// taken (`limits`); an element gives the same bits in every kind of block.
// The loop is vectorized and computes every case of an element for every lane, so each element
// evaluates each transcendental function once, on its own case's argument, where it can.
//
// Notation: s = σ(x), s̄ = σ(−x) = 1 − s (never formed by subtraction), e = e^{−|x|},
// log s = min(x, 0) − log1p(e), log s̄ = min(−x, 0) − log1p(e), B(x, t) = −t·log s − (1 − t)·log s̄
// (BCE with logits), s − t by `sigmoidMinusTarget` (the better of two forms by their error
// bounds). Powers `u^g` are `e^{g·log u}` with `u^0 = 1`, so an underflowed base gives 0, never
// 0·∞, or (QFL's and VFL's) by the focal loss's laws of their exponent (`u·u` at 2). An infinite
// logit is taken as the limit (the loss may be +∞, the derivative is finite: each product of a
// vanishing factor and an infinite one is taken as its limit 0); a NaN logit gives NaN for its
// element only.

/// The sigmoid quantities of one logit.
struct SigmoidParts {
    let x: Double, e: Double, big: Double, s: Double, sBar: Double, logS: Double, logSBar: Double

    @inline(__always)
    init<T: KernelScalar>(_: T.Type, _ x: Double) {
        self.x = x
        e = T.exp(-abs(x))
        big = 1 / (1 + e)
        let small = e * big
        let log1pE = T.log1pUnit(e)
        s = x >= 0 ? big : small
        sBar = x >= 0 ? small : big
        logS = min(x, 0) - log1pE
        logSBar = min(-x, 0) - log1pE
    }

    /// B(x, t), with 0 for a term whose weight is 0 (also where its log is −∞: `limits`, a
    /// block with an infinite logit; for finite logits both forms give the same bits).
    @inline(__always)
    func bce(_ t: Double, limits: Bool) -> Double {
        limits ? (t == 0 ? 0 : -t * logS) + (t == 1 ? 0 : -(1 - t) * logSBar) : (-t * logS) + (-(1 - t) * logSBar)
    }

    /// `s − t`.
    @inline(__always)
    func minus(_ t: Double) -> Double { sigmoidMinusTarget(x, t, e: e, s: s, sBar: sBar, big: big) }

    /// `s·s̄`.
    var slope: Double { s * sBar }
}

/// log 2.
let familyLn2 = 0.6931471805599453

/// `u^g` from `log u`, with `u^0 = 1`.
@inline(__always)
func familyPower(_ logU: Double, _ g: Double) -> Double { g == 0 ? 1 : FastMath.exp(g * logU) }

/// `a·b` where `b` may be infinite and `a` is then 0 in the limit: 0 when `a` is 0.
@inline(__always)
func limitProduct(_ a: Double, _ b: Double) -> Double { a == 0 ? 0 : a * b }

/// `limitProduct` in a block with an infinite logit (`limits`), the plain product in others:
/// there `b` is finite, and each caller's `a` and `b` are of signs whose product is +0 where
/// `a` is 0, so both forms give the same bits (the selects cost mask registers, of which
/// AVX-512 has eight).
@inline(__always)
func limitProduct(_ a: Double, _ b: Double, limits: Bool) -> Double { limits ? limitProduct(a, b) : a * b }

protocol FamilyElement {
    /// The loss and its derivative with respect to the logit `x`, for a target `t ∈ [0, 1]`.
    /// `hard` (a constant at each call site) says that t is 0 or 1: the block of targets has
    /// no soft one, and the element leaves out what only soft targets need. `limits` (also a
    /// constant) says that the block has an infinite logit: without one, the products taken as
    /// limits are plain products. An element gives the same bits in every kind of block.
    func callAsFunction(_ x: Double, _ t: Double, hard: Bool, limits: Bool) -> (loss: Double, derivative: Double)
}

/// FL*: with `x_t = (2t − 1)·x` (fvcore's linear form for a soft t) and `z = γ·x_t + β`,
///   `ℓ = α_t·softplus(−z)/γ`,  `∂ℓ/∂x = −α_t·(2t − 1)·σ(−z)`.
/// `softplus(−z)/γ = max(−q, 0) + log1p(e^{−|z|})/γ` with `q = z/γ = x_t + β/γ`: no term
/// cancels, and γ·x_t is never formed (it could overflow where the loss does not).
struct FocalStarElement<T: KernelScalar>: FamilyElement {
    let alpha: Double?, gamma: Double, beta: Double
    let betaOverGamma: Double

    init(alpha: Double?, gamma: Double, beta: Double) {
        self.alpha = alpha; self.gamma = gamma; self.beta = beta; betaOverGamma = beta / gamma
    }

    @inline(__always)
    func callAsFunction(_ x: Double, _ t: Double, hard: Bool, limits: Bool) -> (loss: Double, derivative: Double) {
        let sign = 2 * t - 1
        let xT = sign == 0 ? 0 : sign * x   // t = ½: x_t = 0 for every x, ±∞ included
        let q = xT + betaOverGamma
        let e = T.exp(-gamma * abs(q))      // e^{−|z|}
        let log1pE = T.log1pUnit(e)
        let sigmoidMinusZ = q >= 0 ? e / (1 + e) : 1 / (1 + e)
        let alphaT = alpha.map { $0 * t + (1 - $0) * (1 - t) } ?? 1
        let plus = max(-q, 0) + log1pE / gamma
        return (limitProduct(alphaT, plus), -alphaT * sign * sigmoidMinusZ)
    }
}

/// The asymmetric loss (timm's AsymmetricLossMultiLabel without its eps clamp), margin m:
/// `p_m = max(s − m, 0)`, formed as `s − m` by `sigmoidMinusTarget` (no digits of s lost near
/// the threshold), `1 − p_m = s̄ + m` (a sum), `L = log(1 − p_m)` as `log1p(−p_m)` below ½ and
/// `log(s̄ + m)` above (m = 0: `log s̄`, which stays right where s̄ underflows).
///   t = 1:  `ℓ = −s̄^{γ+}·log s`,  `∂ℓ/∂x = −s̄^{γ+}·(s̄ + γ+·s·B)`, B = −log s;
///   t = 0:  `ℓ = −p_m^{γ−}·L`,  `∂ℓ/∂x = p_m^{γ−}·[s·s̄/(s̄ + m) − γ−·s·s̄·L/p_m]` (0 below the
///           margin); `L/p_m → −1` as p_m → 0 (taken as `−1 − p_m/2` below 1e-8), so the
///           factor `p_m^{γ−−1}` of the textbook form is never evaluated (finite for γ− < 1).
///   soft t (timm's mixture): `u = t·s̄ + (1 − t)·p_m`, `A = t·log s + (1 − t)·L`,
///           `g = γ+·t + γ−·(1 − t)`, `ℓ = −u^g·A`,
///           `∂ℓ/∂x = −u^g·[g·u'·(A/u) + A']`, `u' = −t·s·s̄ + (1 − t)·[p_m > 0]·s·s̄`,
///           `A' = t·s̄ − (1 − t)·[p_m > 0]·s·s̄/(s̄ + m)`, which is `−s̄·(s − t·(1 + m))/(s̄ + m)`
///           above the margin (`t − s` at m = 0).
struct AsymmetricElement<T: KernelScalar>: FamilyElement {
    let gammaPositive: Double, gammaNegative: Double, margin: Double

    @inline(__always)
    func callAsFunction(_ x: Double, _ t: Double, hard: Bool, limits: Bool) -> (loss: Double, derivative: Double) {
        let p = SigmoidParts(T.self, x)
        let m = margin
        let one = t == 1, zero = t == 0
        // The negative part: p_m, L = log(1 − p_m), s·s̄/(s̄ + m) and s·s̄·L/p_m.
        let pm = m == 0 ? p.s : max(p.minus(m), 0)
        // At m = ½, s − m ≈ x/4 underflows for the smallest subnormal x > 0: still above the
        // margin, with log p_m = log x − 2·log 2.
        let tinyHalf = m == 0.5 && x > 0 && x < 0x1p-1000
        let above = pm > 0 || tinyHalf
        let u = t * p.sBar + (1 - t) * pm
        // The loop computes every case for every element (selects, no branches), so each
        // transcendental function is evaluated once, on the argument of the element's own case:
        // one log for log p_m (t = 0) or log u (soft t), one for L, one exp for the weight.
        let logValue = FastMath.log(hard || zero ? (tinyHalf ? x : pm) : u)
        let logPm = m == 0 ? p.logS : (tinyHalf ? logValue - 2 * familyLn2 : logValue)
        // L = log1p(−p_m) below ½ (log u + (a − (u − 1))/u with u = 1 − p_m rounded, as
        // FastMath.log1p), log(s̄ + m) above.
        let lower = pm < 0.5
        let onePlus = lower ? 1 - pm : p.sBar + m
        let logOnePlus = FastMath.log(onePlus)
        let l = m == 0 ? p.logSBar : (lower ? logOnePlus + (-pm - (onePlus - 1)) * (1 / onePlus) : logOnePlus)
        let g = one ? gammaPositive : (hard || zero ? gammaNegative : gammaPositive * t + gammaNegative * (1 - t))
        let weight = familyPower(one ? p.logSBar : (hard || zero ? logPm : logValue), g)
        // t = 1: −s̄^{γ+}·log s.
        // `0 − log s`, not `−log s`: +0 where log s = 0, so that its products are +0 in every kind
        // of block (here and below).
        let b = 0 - p.logS
        let positiveLoss = limitProduct(weight, b, limits: limits)
        let positiveDerivative = -weight * (p.sBar + gammaPositive * limitProduct(p.s, b, limits: limits))
        // t = 0: −p_m^{γ−}·L, 0 below the margin.
        let ratio = pm < 1e-8 ? -1 - 0.5 * pm : l / pm        // L/p_m
        let slopeOverOneMinus = m == 0 ? p.s : p.slope / (p.sBar + m)
        // (s·s̄ = 0 gives −0 here without `limits`, and the same bits below: γ−·(−0) is
        // subtracted from +0.)
        let slopeRatio = limitProduct(p.slope, ratio, limits: limits)         // s·s̄·L/p_m
        let negativeLoss = above ? limitProduct(weight, 0 - l, limits: limits) : 0
        let negativeDerivative = above ? weight * (slopeOverOneMinus - gammaNegative * slopeRatio) : 0
        if hard { return (one ? positiveLoss : negativeLoss, one ? positiveDerivative : negativeDerivative) }
        // Soft t: −u^g·A.
        let a = limitProduct(t, p.logS, limits: limits) + (above ? (1 - t) * l : 0)  // (soft t > 0)
        // u' = s·s̄·(1 − 2t) above the margin, −t·s·s̄ below; A' = t·s̄ − (1 − t)·s·s̄/(s̄ + m)
        // = −s̄·(s − t·(1 + m))/(s̄ + m) above (= t − s at m = 0), t·s̄ below: the difference
        // formed by `sigmoidMinusTarget`, not by cancelling two terms near s ≈ t·(1 + m).
        let du = p.slope * (above ? 1 - 2 * t : -t)
        let dA = above ? (m == 0 ? -p.minus(t) : -p.sBar * p.minus(t * (1 + m)) / (p.sBar + m)) : t * p.sBar
        let uTerm = du == 0 || u == 0 ? 0 : g * du * (a / u)
        let softLoss = limitProduct(weight, 0 - a, limits: limits)
        let softDerivative = -weight * (uTerm + dA)
        return (one ? positiveLoss : (zero ? negativeLoss : softLoss),
                one ? positiveDerivative : (zero ? negativeDerivative : softDerivative))
    }
}

/// The quality focal loss: `d = s − y` (by `sigmoidMinusTarget`; `s` for y = 0 and `−s̄` for
/// y = 1, exactly), `ℓ = |d|^β·B(x, y)`,
///   `∂ℓ/∂x = sgn(d)·[|d|^β·|d| + β·|d|^{β−1}·s·s̄·B]`,
/// with `|d|^{β−1}·s·s̄ = |d|^β·s̄` (y = 0) or `|d|^β·s` (y = 1) exactly, so hard targets never
/// divide by an underflowed |d|, and `|d|^{β−1}` for soft ones. At d = 0 (s = y exactly) the
/// derivative is 0: the true one for β = 0 and β > 1; for 0 < β ≤ 1 the loss has a cusp there
/// (no derivative) and 0 is the midpoint of its one-sided limits.
/// The powers go by the focal loss's laws (`law`: `|d|^β`, `lawBelow`: `|d|^{β−1}`): `u·u` at
/// β = 2, square-and-multiply for integer β, `e^{β·log u}` otherwise, so that the default β = 2
/// evaluates neither an exp nor log|d|.
struct QualityElement<T: KernelScalar, Law: FocusingLaw, LawBelow: FocusingLaw>: FamilyElement {
    let beta: Double
    let law: Law, lawBelow: LawBelow

    @inline(__always)
    func callAsFunction(_ x: Double, _ t: Double, hard: Bool, limits: Bool) -> (loss: Double, derivative: Double) {
        let p = SigmoidParts(T.self, x)
        let d = t == 0 ? p.s : (hard || t == 1 ? -p.sBar : p.minus(t))
        let ad = abs(d)
        // At y = ½, d = tanh(x/2)/2 ≈ x/4, which underflows for the smallest subnormal x:
        // log|d| = log|x| − 2·log 2 there, and the cusp is x = 0 exactly.
        let tinyHalf = t == 0.5 && abs(x) < 0x1p-1000
        let logAd = t == 0 ? p.logS : (hard || t == 1 ? p.logSBar : (tinyHalf ? FastMath.log(abs(x)) - 2 * familyLn2 : FastMath.log(ad)))
        // The integer laws read |d| itself, not its log: x/4 where d underflowed.
        let base = !hard && tinyHalf ? abs(x) * 0.25 : ad
        let cusp = !hard && tinyHalf ? x == 0 : d == 0
        let negative = !hard && tinyHalf ? x < 0 : d < 0
        let b = p.bce(t, limits: limits)
        let power = law(base, log: logAd)
        // β·|d|^{β−1}·s·s̄·B: for hard targets |d|^β·(s·s̄/|d|) with s·s̄/|d| = s̄ or s exactly;
        // for soft ones |d|^{β−1}·s·s̄, which stays finite where s·s̄/|d| would overflow.
        let hardQ = t == 0 ? p.sBar : p.s
        let second = beta == 0 ? 0 : (hard || t == 0 || t == 1
            ? beta * power * limitProduct(hardQ, b, limits: limits)
            : beta * lawBelow(base, log: logAd) * limitProduct(p.slope, b, limits: limits))
        let magnitude = power * ad + second
        let derivative = cusp ? 0 : (negative ? -magnitude : magnitude)
        return (limitProduct(power, b, limits: limits), derivative)
    }
}

/// The varifocal loss:
///   q > 0:  `ℓ = w·B(x, q)`, w = q (iou_weighted) or 1,  `∂ℓ/∂x = w·(s − q)`;
///   q = 0:  `ℓ = α·s^γ·softplus(x)` (softplus(x) = B(x, 0) = −log s̄),
///           `∂ℓ/∂x = α·s^γ·(s + γ·s̄·softplus(x))`, `s^γ` by the focusing law of γ (the focal
///           loss's: `s·s` at γ = 2, square-and-multiply for integer γ, `e^{γ·log s}` otherwise).
struct VarifocalElement<T: KernelScalar, Law: FocusingLaw>: FamilyElement {
    let alpha: Double, gamma: Double, iouWeighted: Bool, law: Law

    @inline(__always)
    func callAsFunction(_ x: Double, _ t: Double, hard: Bool, limits: Bool) -> (loss: Double, derivative: Double) {
        let p = SigmoidParts(T.self, x)
        if t > 0 {
            let w = iouWeighted ? t : 1
            // s − 1 = −s̄ exactly.
            return (w * p.bce(t, limits: limits), w * (hard || t == 1 ? -p.sBar : p.minus(t)))
        }
        let focus = law(p.s, log: p.logS)
        let plus = 0 - p.logSBar  // (+0 where log s̄ = 0, as ASL's B)
        let weighted = alpha * focus
        return (limitProduct(weighted, plus, limits: limits),
                weighted * (p.s + gamma * limitProduct(p.sBar, plus, limits: limits)))
    }
}

/// A property of a block (its targets all 0 or 1; an infinite logit in it) as a type, so that
/// each kind of block has its own specialization of `familyBlock`.
protocol BlockFlag { static var value: Bool { get } }
enum Yes: BlockFlag { static var value: Bool { true } }
enum No: BlockFlag { static var value: Bool { false } }

/// One block's losses and derivatives. A plain loop, not `forEach`: with a closure the larger
/// elements (ASL, QFL, VFL) stayed a call per element, which the loop vectorizer cannot see
/// through. Not inlined: each loss and kind of block has a function of its own (measured as
/// fast as, or faster than, both kinds' loops inlined into `familyChunk`).
@inline(never)
func familyBlock<T: KernelScalar, L: FamilyElement, Hard: BlockFlag, Limits: BlockFlag>(
    _ element: L, _ x: UnsafePointer<T>, _ t: UnsafePointer<T>, _ count: Int, _ losses: UnsafeMutablePointer<Double>,
    _ derivatives: UnsafeMutablePointer<Double>, hard _: Hard.Type, limits _: Limits.Type
) {
    var i = 0
    while i < count {
        let xi = x[i].double
        let (loss, derivative) = element(xi, t[i].double, hard: Hard.value, limits: Limits.value)
        // A NaN logit poisons its own element only (DESIGN §1.4).
        let defined = abs(xi) <= .infinity
        losses[i] = defined ? loss : .nan
        derivatives[i] = defined ? derivative : .nan
        i &+= 1
    }
}

/// Elements `range` of a call of a family loss: losses (or their compensated sum) and
/// gradients, block by block as `sigmoidChunk`.
func familyChunk<T: KernelScalar>(_ a: SigmoidKernelArguments<T>, _ range: Range<Int>, _ family: SigmoidFamilyLoss) -> CompensatedSum {
    switch family {
    case let .focalStar(alpha, gamma, beta):
        return familyChunk(a, range, FocalStarElement<T>(alpha: alpha, gamma: gamma, beta: beta))
    case let .asymmetric(gammaPositive, gammaNegative, margin):
        return familyChunk(a, range, AsymmetricElement<T>(gammaPositive: gammaPositive, gammaNegative: gammaNegative,
                                                          margin: margin))
    case let .quality(beta):
        @inline(__always) func quality<Law: FocusingLaw, Below: FocusingLaw>(_ law: Law, _ below: Below) -> CompensatedSum {
            familyChunk(a, range, QualityElement<T, Law, Below>(beta: beta, law: law, lawBelow: below))
        }
        // (At β = 0 `lawBelow` is not used.)
        switch FocusingLawChoice(gamma: beta) {
        case .square: return quality(SquareLaw(), IntegerLaw(exponent: 1))
        case .integer(let law): return quality(law, IntegerLaw(exponent: max(law.exponent - 1, 0)))
        case .real(let law): return quality(law, RealLaw(gamma: beta - 1))
        }
    case let .varifocal(alpha, gamma, iouWeighted):
        @inline(__always) func varifocal<Law: FocusingLaw>(_ law: Law) -> CompensatedSum {
            familyChunk(a, range, VarifocalElement<T, Law>(alpha: alpha, gamma: gamma, iouWeighted: iouWeighted, law: law))
        }
        switch FocusingLawChoice(gamma: gamma) {
        case .square: return varifocal(SquareLaw())
        case .integer(let law): return varifocal(law)
        case .real(let law): return varifocal(law)
        }
    }
}

func familyChunk<T: KernelScalar, L: FamilyElement>(_ a: SigmoidKernelArguments<T>, _ range: Range<Int>, _ element: L) -> CompensatedSum {
    withSigmoidScratch { buffer in
        var total = CompensatedSum()
        var start = range.lowerBound
        let losses = buffer, derivatives = losses + sigmoidBlock, scratch = derivatives + sigmoidBlock
        while start < range.upperBound {
            let count = min(sigmoidBlock, range.upperBound - start)
            let x = a.logits + start
            let t = a.targets + start
            switch blockKind(x, t, count) {
            case (soft: false, infinite: false): familyBlock(element, x, t, count, losses, derivatives, hard: Yes.self, limits: No.self)
            case (soft: false, infinite: true): familyBlock(element, x, t, count, losses, derivatives, hard: Yes.self, limits: Yes.self)
            case (soft: true, infinite: false): familyBlock(element, x, t, count, losses, derivatives, hard: No.self, limits: No.self)
            case (soft: true, infinite: true): familyBlock(element, x, t, count, losses, derivatives, hard: No.self, limits: Yes.self)
            }
            storeBlock(a, start, count, losses, derivatives, scratch, &total)
            start += count
        }
        return total
    }
}
