@testable import FocalLossCore
import Glibc
import Testing
import _KernelInterface

// The focal family of issue 14 (FL*, the asymmetric loss, the quality focal loss, the varifocal
// loss) and Poly-1 (sigmoid and softmax): against Float80 references written here from the
// definitions (include/focalloss.h, "The focal family"; Tests/golden/focal_family_reference.py),
// finite differences, the limits at infinite logits, the losses each reduces to, reductions,
// weights, statistics, thread counts, and the errors.
//
// Bounds: double within 1e-10 of the exact value relative to the scale of its rounding error,
// float32 within 2 ulps of the exact value. The scale is the value itself wherever the value is
// formed from terms of one sign; where the definition is a difference it is the sum of the
// magnitudes of the terms (as `SigmoidReference.gradScale`), and where a difference σ(x) − c
// (QFL's σ(x) − y, ASL's σ(x) − m) is the base of a power, the value times `1 + k·ρ` with
// `ρ` = (that difference's rounding scale) / |difference| — the error any double evaluation of
// σ(x) − c carries (ρ ≈ 1 away from the cusp or threshold, large only next to it).

// MARK: - Float80 references

struct FamilyReference {
    var loss: Wide
    var grad: Wide
    /// The scale of the loss's rounding error (the bound is 1e-10 of it).
    var lossScale: Wide
    /// The scale of the gradient's rounding error.
    var gradScale: Wide
}

/// log σ(x) without forming 1 − anything.
func wideLogSigmoid(_ x: Wide) -> Wide { min(x, 0) - log1p(exp(-abs(x))) }

/// u^g from log u, with u^0 = 1.
func widePower(_ logU: Wide, _ g: Wide) -> Wide { g == 0 ? 1 : exp(g * logU) }

/// σ(x) − c for c ∈ [0, 1] and the scale of the rounding error of its evaluation: the better of
/// `σ(x)·(1 − c) − c·σ(−x)` and `tanh(x/2)/2 + (½ − c)` by the sums of their terms' magnitudes
/// (the second is the only exact one at c = ½ near x = 0). c = 0 and c = 1 are σ(x) and −σ(−x).
func wideSigmoidMinus(_ x: Wide, _ c: Wide) -> (value: Wide, scale: Wide) {
    let s = exp(wideLogSigmoid(x)), sBar = exp(wideLogSigmoid(-x))
    if c == 0 { return (s, s) }
    if c == 1 { return (-sBar, sBar) }
    let directScale = s * (1 - c) + c * sBar
    let halfTanh = tanh(x / 2) / 2
    let centeredScale = abs(halfTanh) + abs(0.5 - c)
    return centeredScale < directScale ? (halfTanh + (0.5 - c), centeredScale) : (s * (1 - c) - c * sBar, directScale)
}

/// `log1p(e) − e/(1 + e)` (≈ e²/2), from its series `Σ_{k≥2} (−1)^k (k − 1)/k · e^k` where
/// the two logarithm-sized terms would cancel.
func wideLog1pMinusRatio(_ e: Wide) -> Wide {
    guard e <= 0.125 else { return log1p(e) - e / (1 + e) }
    var terms: [Wide] = []
    var power = e * e
    for k in 2 ... 40 {
        terms.append((k % 2 == 0 ? 1 : -1) * Wide(k - 1) / Wide(k) * power)
        power *= e
    }
    return terms.reversed().reduce(0, +)
}

/// `1 − log1p(S)/S` (≈ S/2), by its series `Σ_{k≥2} (−1)^k S^{k−1}/k` for small S.
func wideOneMinusLog1pRatio(_ s: Wide) -> Wide {
    if s == 0 { return 0 }
    guard s <= 0.125 else { return 1 - log1p(s) / s }
    var terms: [Wide] = []
    var power = s
    for k in 2 ... 40 {
        terms.append((k % 2 == 0 ? 1 : -1) * power / Wide(k))
        power *= s
    }
    return terms.reversed().reduce(0, +)
}

/// BCE(x, t) = −t log σ(x) − (1 − t) log σ(−x), a sum of non-negative terms.
func wideBCE(_ x: Wide, _ t: Wide) -> Wide {
    (t == 0 ? 0 : -t * wideLogSigmoid(x)) + (t == 1 ? 0 : -(1 - t) * wideLogSigmoid(-x))
}

/// FL*: x_t = (2t − 1)x, z = γ x_t + β, ℓ = α_t softplus(−z)/γ, ∂ℓ/∂x = −α_t (2t − 1) σ(−z).
/// (d softplus(−z)/dz = −σ(−z), dz/dx = γ(2t − 1).) Sums of positive terms: scale = value.
func focalStarReference(x: Wide, t: Wide, alpha: Wide?, gamma: Wide, beta: Wide) -> FamilyReference {
    let sign = 2 * t - 1
    let z = gamma * (sign * x) + beta
    let alphaT = alpha.map { $0 * t + (1 - $0) * (1 - t) } ?? 1
    let softplusMinusZ = max(-z, 0) + log1p(exp(-abs(z)))
    let loss = alphaT * softplusMinusZ / gamma
    let grad = -alphaT * sign * exp(wideLogSigmoid(-z))
    return FamilyReference(loss: loss, grad: grad, lossScale: abs(loss), gradScale: abs(grad))
}

/// The asymmetric loss, with s = σ(x), s̄ = σ(−x), p_m = max(s − m, 0), 1 − p_m = s̄ + m:
///   t = 1: ℓ = −s̄^{γ+} log s, ∂ℓ/∂x = −s̄^{γ+}(s̄ − γ+ s log s)  (d s̄/dx = −s s̄, d log s/dx = s̄);
///   t = 0: ℓ = −p_m^{γ−} L, L = log(1 − p_m);
///          ∂ℓ/∂x = p_m^{γ−}[s s̄/(s̄ + m) − γ− s s̄ L/p_m]  (dp_m/dx = s s̄, dL/dx = −s s̄/(s̄ + m)),
///          0 below the threshold (p_m = 0);
///   soft t: u = t s̄ + (1 − t)p_m, A = t log s + (1 − t)L, g = γ+ t + γ− (1 − t), ℓ = −u^g A,
///          ∂ℓ/∂x = −[g u^{g−1} u' A + u^g A'], u' = −t s s̄ + (1 − t)[p_m > 0] s s̄,
///          A' = t s̄ − (1 − t)[p_m > 0] s s̄/(s̄ + m), which above the margin is
///          s̄ [t(s̄ + m) − (1 − t)s]/(s̄ + m) = −s̄ (s − c)/(s̄ + m), c = t(1 + m) (t − s at m = 0):
///          formed from σ(x) − c (`wideSigmoidMinus`), not from two cancelling terms near s ≈ c.
/// L is log1p(−p_m) below ½ (log(s̄ + m) would lose a small p_m's digits) and log(s̄ + m) above.
func asymmetricReference(x: Wide, t: Wide, gammaPositive gp: Wide, gammaNegative gn: Wide, margin m: Wide) -> FamilyReference {
    let logS = wideLogSigmoid(x), logSBar = wideLogSigmoid(-x)
    let s = exp(logS), sBar = exp(logSBar)
    let slope = s * sBar
    if t == 1 {
        let focus = widePower(logSBar, gp)
        let first = focus * sBar, second = -focus * gp * s * logS
        let loss = -focus * logS
        return FamilyReference(loss: loss, grad: -(first + second), lossScale: loss, gradScale: first + second)
    }
    // p_m, log p_m, and ρ: the rounding scale of s − m over p_m (0 at m = 0, where p_m = s).
    var pm: Wide = 0, logPm: Wide = -.infinity, rho: Wide = 0
    if m == 0 {
        pm = s; logPm = logS
    } else {
        let (d, scale) = wideSigmoidMinus(x, m)
        if d > 0 { pm = d; logPm = log(d); rho = scale / d }
    }
    let above = pm > 0
    let oneMinusPm = above ? sBar + m : 1
    let l: Wide = !above ? 0 : (m == 0 ? logSBar : (pm < 0.5 ? log1p(-pm) : log(sBar + m)))
    if t == 0 {
        guard above else { return FamilyReference(loss: 0, grad: 0, lossScale: 0, gradScale: 0) }
        let focus = widePower(logPm, gn)
        let loss = -focus * l
        let first = focus * slope / oneMinusPm
        let second = -focus * gn * slope * (l / pm)
        let condition = 1 + (gn + 2) * rho
        return FamilyReference(loss: loss, grad: first + second, lossScale: loss * condition,
                               gradScale: (first + second) * condition)
    }
    let u = t * sBar + (1 - t) * pm
    let a = t * logS + (1 - t) * l
    let g = gp * t + gn * (1 - t)
    let du = slope * (above ? 1 - 2 * t : -t)
    // A' and the scale of its rounding error: that of σ(x) − c, plus the rounding of c itself
    // (t(1 + m), formed in double) where m > 0.
    var dA = t * sBar, dAScale = t * sBar
    if above {
        if m == 0 {
            let (d, scale) = wideSigmoidMinus(x, t)
            dA = -d; dAScale = scale
        } else {
            let c = t * (1 + m)
            let (d, scale) = c <= 1 ? wideSigmoidMinus(x, c) : (s - c, c - s)
            dA = -sBar * d / oneMinusPm; dAScale = sBar * (scale + c) / oneMinusPm
        }
    }
    let focus = widePower(log(u), g)
    let loss = -focus * a
    let uTerm = g == 0 ? 0 : -focus * g * (du / u) * a
    let aTerm = -focus * dA
    // p_m's rounding reaches u (relatively (1 − t)p_m ρ/u) and A ((1 − t)p_m ρ/((s̄ + m)|A|)).
    let kappa = (1 - t) * pm * rho * (1 / u + 1 / (oneMinusPm * abs(a)))
    let condition = 1 + (g + 2) * kappa
    let gradScale = (abs(uTerm) + focus * dAScale) * condition
    return FamilyReference(loss: loss, grad: uTerm + aTerm, lossScale: abs(loss) * condition, gradScale: gradScale)
}

/// The quality focal loss: d = s − y, ℓ = |d|^β B, ∂ℓ/∂x = |d|^β d + β sgn(d)|d|^{β−1} s s̄ B
/// (dB/dx = d, d|d|/dx = sgn(d) s s̄); both terms have the sign of d. At d = 0: 0.
func qualityReference(x: Wide, t: Wide, beta: Wide) -> FamilyReference {
    let b = wideBCE(x, t)
    let (d, dScale) = wideSigmoidMinus(x, t)
    if d == 0 {
        let loss: Wide = beta == 0 ? b : 0
        return FamilyReference(loss: loss, grad: 0, lossScale: loss, gradScale: 0)
    }
    let ad = abs(d)
    let logS = wideLogSigmoid(x), logSBar = wideLogSigmoid(-x)
    let focus = widePower(log(ad), beta)
    let slopeOverD = t == 0 ? exp(logSBar) : (t == 1 ? exp(logS) : exp(logS + logSBar) / ad)
    let first = focus * d
    let second = beta == 0 ? 0 : (d < 0 ? -1 : 1) * beta * focus * slopeOverD * b
    let rho = dScale / ad
    return FamilyReference(loss: focus * b, grad: first + second, lossScale: focus * b * (1 + beta * rho),
                           gradScale: (abs(first) + abs(second)) * (1 + (beta + 1) * rho))
}

/// The varifocal loss: q > 0: ℓ = w B(x, q), ∂ℓ/∂x = w(s − q) (w = q or 1);
/// q = 0: ℓ = α s^γ softplus(x), ∂ℓ/∂x = α s^γ (s + γ s̄ softplus(x)).
func varifocalReference(x: Wide, t: Wide, alpha: Wide, gamma: Wide, iouWeighted: Bool) -> FamilyReference {
    if t > 0 {
        let w = iouWeighted ? t : 1
        let (d, dScale) = wideSigmoidMinus(x, t)
        let loss = w * wideBCE(x, t)
        return FamilyReference(loss: loss, grad: w * d, lossScale: loss, gradScale: w * dScale)
    }
    let logS = wideLogSigmoid(x), logSBar = wideLogSigmoid(-x)
    let focus = widePower(logS, gamma)
    let softplus = -logSBar
    let loss = alpha * focus * softplus
    let grad = alpha * focus * (exp(logS) + gamma * exp(logSBar) * softplus)
    return FamilyReference(loss: loss, grad: grad, lossScale: loss, gradScale: grad)
}

/// Poly-1 (sigmoid): ℓ = α_t B m^γ + ε m^{γ+1}, m = 1 − p_t = t s̄ + (1 − t)s.
/// Hard targets, with x_t = (2t − 1)x, p = σ(x_t), m = σ(−x_t), B = −log p, D = B − m ≥ 0
/// (`wideLog1pMinusRatio` where x_t > 0) and σ = α_t + ε:
///   ℓ = m^γ (σ m + α_t D),
///   ∂ℓ/∂x_t = −m^γ [α_t (m + γ p B) + ε (γ + 1) p m] = −m^γ [α_t m² + α_t γ p D + σ(γ + 1) p m]
/// (substituting ε = σ − α_t and 1 − (γ + 1)p = m − γ p): every term but σ's is ≥ 0, so the
/// scales are the values with |σ|, and at σ = 0 (the cancellation case) the values themselves.
/// Soft targets: ∂ℓ/∂x = α_t (s − t) m^γ + α_t γ m^{γ−1} m' B + ε (γ + 1) m^γ m', m' = (1 − 2t) s s̄.
func poly1SigmoidReference(x: Wide, t: Wide, alpha: Wide?, gamma: Wide, epsilon: Wide) -> FamilyReference {
    let alphaT = alpha.map { $0 * t + (1 - $0) * (1 - t) } ?? 1
    let sigma = alphaT + epsilon
    if t == 0 || t == 1 {
        let sign: Wide = t == 1 ? 1 : -1
        let xt = sign * x
        let logP = wideLogSigmoid(xt), logM = wideLogSigmoid(-xt)
        let p = exp(logP), m = exp(logM)
        let d = xt > 0 ? wideLog1pMinusRatio(exp(-xt)) : -logP - m
        let focus = widePower(logM, gamma)
        let loss = focus * (sigma * m + alphaT * d)
        let lossScale = focus * (abs(sigma) * m + alphaT * d)
        let common = alphaT * m * m + alphaT * gamma * p * d
        let bracket = common + sigma * (gamma + 1) * p * m
        let bracketScale = common + abs(sigma) * (gamma + 1) * p * m
        return FamilyReference(loss: loss, grad: -sign * focus * bracket, lossScale: lossScale, gradScale: focus * bracketScale)
    }
    let logS = wideLogSigmoid(x), logSBar = wideLogSigmoid(-x)
    let s = exp(logS), sBar = exp(logSBar)
    let b = wideBCE(x, t)
    let m = t * sBar + (1 - t) * s
    let focus = widePower(log(m), gamma)
    let loss = alphaT * b * focus + epsilon * m * focus
    let (d, dScale) = wideSigmoidMinus(x, t)
    let dm = (1 - 2 * t) * s * sBar
    let first = alphaT * d * focus
    let second = alphaT * gamma * focus * (dm / m) * b
    let third = epsilon * (gamma + 1) * focus * dm
    return FamilyReference(loss: loss, grad: first + second + third,
                           lossScale: focus * (abs(sigma) * m + alphaT * (b - m)),
                           gradScale: alphaT * dScale * focus + abs(second) + abs(third))
}

/// Poly-1 (softmax), one row z with target y, class weight a = α_y: with
/// S = Σ_{c≠y} e^{z_c − z_y}, u = log p_y = −log1p(S), m = 1 − p_y = S/(1 + S), p = 1/(1 + S),
///   ℓ = a m^γ (−u) + ε m^{γ+1} = m^γ (σ m + a D),  D = −u − m = log1p(S) − S/(1 + S),  σ = a + ε;
///   dℓ/du = a(γ p m^{γ−1} u − m^γ) − ε(γ + 1) p m^γ = −m^γ [σ(γ + 1) − aγ E − ε(γ + 1) m],
///   with p u/m = −log1p(S)/S = −(1 − E), E = 1 − log1p(S)/S ≥ 0;
///   ∂ℓ/∂z_j = ([j = y] − p_j)·dℓ/du  (∂u/∂z_j = [j = y] − p_j; 1 − p_y = m).
func poly1SoftmaxReference(_ z: [Wide], y: Int, a: Wide, gamma: Wide, epsilon: Wide)
    -> (loss: Wide, lossScale: Wide, grad: [Wide], gradScale: [Wide]) {
    var terms: [Wide] = []
    for c in z.indices where c != y { terms.append(exp(z[c] - z[y])) }
    let total = terms.sorted().reduce(0, +)
    let m = total / (1 + total), p = 1 / (1 + total)
    let d = wideLog1pMinusRatio(total)
    let e = wideOneMinusLog1pRatio(total)
    let sigma = a + epsilon
    let focus = m == 0 ? (gamma == 0 ? 1 : 0) : widePower(log(m), gamma)
    let loss = focus * (sigma * m + a * d)
    let lossScale = focus * (abs(sigma) * m + a * d)
    let bracket = sigma * (gamma + 1) - a * gamma * e - epsilon * (gamma + 1) * m
    let bracketScale = abs(sigma) * (gamma + 1) + a * gamma * e + abs(epsilon) * (gamma + 1) * m
    var grad: [Wide] = [], scale: [Wide] = []
    for j in z.indices {
        let factor = j == y ? m : -exp(z[j] - z[y]) * p
        grad.append(-factor * focus * bracket)
        scale.append(abs(factor) * focus * bracketScale)
    }
    return (loss, lossScale, grad, scale)
}

// MARK: - The cases

/// One sigmoid-side loss: a family loss, or the focal loss with Poly-1's ε.
struct FamilyCase: CustomTestStringConvertible, Sendable {
    enum Kind: Sendable {
        case family(SigmoidFamilyLoss)
        case poly1(alpha: Double?, gamma: Double, epsilon: Double)
    }
    var kind: Kind

    static func star(_ alpha: Double?, _ gamma: Double, _ beta: Double) -> Self {
        Self(kind: .family(.focalStar(alpha: alpha, gamma: gamma, beta: beta)))
    }
    static func asl(_ gp: Double, _ gn: Double, _ m: Double) -> Self {
        Self(kind: .family(.asymmetric(gammaPositive: gp, gammaNegative: gn, margin: m)))
    }
    static func qfl(_ beta: Double) -> Self { Self(kind: .family(.quality(beta: beta))) }
    static func vfl(_ alpha: Double, _ gamma: Double, _ iou: Bool) -> Self {
        Self(kind: .family(.varifocal(alpha: alpha, gamma: gamma, iouWeighted: iou)))
    }
    static func poly1(_ alpha: Double?, _ gamma: Double, _ epsilon: Double) -> Self {
        Self(kind: .poly1(alpha: alpha, gamma: gamma, epsilon: epsilon))
    }

    var testDescription: String {
        switch kind {
        case let .family(f): return "\(f)"
        case let .poly1(alpha, gamma, epsilon): return "poly1(alpha: \(String(describing: alpha)), gamma: \(gamma), epsilon: \(epsilon))"
        }
    }

    var options: SigmoidFocalOptions {
        switch kind {
        case let .family(f): return SigmoidFocalOptions(family: f)
        case let .poly1(alpha, gamma, epsilon):
            var o = SigmoidFocalOptions()
            o.alpha = alpha; o.gamma = gamma; o.poly1Epsilon = epsilon
            return o
        }
    }

    func reference(x: Double, t: Double) -> FamilyReference {
        let (x, t) = (Wide(x), Wide(t))
        switch kind {
        case let .family(.focalStar(alpha, gamma, beta)):
            return focalStarReference(x: x, t: t, alpha: alpha.map { Wide($0) }, gamma: Wide(gamma), beta: Wide(beta))
        case let .family(.asymmetric(gp, gn, m)):
            return asymmetricReference(x: x, t: t, gammaPositive: Wide(gp), gammaNegative: Wide(gn), margin: Wide(m))
        case let .family(.quality(beta)):
            return qualityReference(x: x, t: t, beta: Wide(beta))
        case let .family(.varifocal(alpha, gamma, iou)):
            return varifocalReference(x: x, t: t, alpha: Wide(alpha), gamma: Wide(gamma), iouWeighted: iou)
        case let .poly1(alpha, gamma, epsilon):
            return poly1SigmoidReference(x: x, t: t, alpha: alpha.map { Wide($0) }, gamma: Wide(gamma), epsilon: Wide(epsilon))
        }
    }

    /// The limit at x = ±∞ (derived in the comments of `FamilyLimitTests`).
    func limit(x: Double, t: Double) -> (loss: Double, grad: Double) {
        let up = x > 0
        switch kind {
        case let .family(.focalStar(alpha, gamma, beta)):
            // x_t = (2t − 1)x: +∞ gives softplus(−z) → 0 and σ(−z) → 0; −∞ gives ℓ → +∞ and
            // ∂ℓ/∂x → −α_t(2t − 1); t = ½ has x_t = 0 for every x: ℓ = α_t softplus(−β)/γ, ∂ℓ/∂x = 0.
            let alphaT = alpha.map { $0 * t + (1 - $0) * (1 - t) } ?? 1
            let sign = 2 * t - 1
            if sign == 0 { return (alphaT * (max(-beta, 0) + log1p(exp(-abs(beta)))) / gamma, 0) }
            if (sign > 0) == up { return (0, 0) }
            return (alphaT == 0 ? 0 : .infinity, -alphaT * sign)
        case let .family(.asymmetric(gp, gn, m)):
            // x → +∞: s → 1, s̄ → 0, p_m → 1 − m, u → (1 − t)(1 − m), u' → 0 and A' → 0 (m > 0)
            // or A' → t − 1 (m = 0, A' = t − s), A → (1 − t) log m (−∞ at m = 0; u'A ~ s̄·x → 0).
            // x → −∞: s → 0 (below any margin), u → t, A = t log s → −∞, A' → t, u'A → 0.
            let g = gp * t + gn * (1 - t)
            if up {
                if t == 1 || m == 1 { return (0, 0) }
                if m == 0 { return (.infinity, pow(1 - t, g + 1)) }
                return (-pow((1 - t) * (1 - m), g) * (1 - t) * log(m), 0)
            }
            return t == 0 ? (0, 0) : (.infinity, -pow(t, g + 1))
        case let .family(.quality(beta)):
            // d → 1 − t (x → +∞) or −t (x → −∞); the second term's s s̄ B → 0.
            if up { return t == 1 ? (0, 0) : (.infinity, pow(1 - t, beta + 1)) }
            return t == 0 ? (0, 0) : (.infinity, -pow(t, beta + 1))
        case let .family(.varifocal(alpha, _, iou)):
            // q > 0: w(s − q); q = 0: α s^γ (s + γ s̄ softplus(x)) → α (x → +∞; s̄·x → 0) or 0.
            if t > 0 {
                let w = iou ? t : 1
                return up ? (t == 1 ? 0 : .infinity, w * (1 - t)) : (.infinity, -w * t)
            }
            return up ? (alpha == 0 ? 0 : .infinity, alpha) : (0, 0)
        case let .poly1(alpha, gamma, epsilon):
            // m → t(1 − s) + (1 − t)s with s ∈ {0, 1}; ∂ℓ/∂x → α_t m^γ (s − t) (m' B → 0, m' → 0);
            // the loss +∞ where α_t > 0 and m > 0, ε m^{γ+1} where α_t = 0.
            let s: Double = up ? 1 : 0
            let alphaT = alpha.map { $0 * t + (1 - $0) * (1 - t) } ?? 1
            let m = t * (1 - s) + (1 - t) * s
            if m == 0 { return (0, 0) }
            return (alphaT == 0 ? epsilon * pow(m, gamma + 1) : .infinity, alphaT * pow(m, gamma) * (s - t))
        }
    }

    /// Points where the loss has no derivative (QFL's cusp s = y, ASL's threshold s = m) or a
    /// third derivative too large for central differences near them.
    func nearKink(x: Double, t: Double) -> Bool {
        let s = 1 / (1 + exp(-x))
        switch kind {
        case .family(.quality): return abs(s - t) < 0.02
        case let .family(.asymmetric(_, _, m)): return m > 0 && t < 1 && abs(s - m) < 0.02
        default: return false
        }
    }

    var isPoly1: Bool { if case .poly1 = kind { return true } else { return false } }
}

let familyCases: [FamilyCase] = [
    .star(nil, 1, 0), .star(0.25, 2, 1), .star(nil, 0.5, -2), .star(0.75, 0.3, 0.5), .star(nil, 5, 3), .star(0.25, 0.01, 0.1),
    .asl(1, 4, 0.05), .asl(0, 0, 0), .asl(2, 2, 0), .asl(0.5, 0.7, 0.5), .asl(0, 4, 1), .asl(0.3, 0, 0.05),
    .asl(1, 0.5, 0.05), .asl(3.5, 1, 0.5),
    .qfl(0), .qfl(0.5), .qfl(1), .qfl(2), .qfl(3.5),
    .vfl(0.75, 2, true), .vfl(0.5, 0.5, false), .vfl(1, 0, true), .vfl(0, 3, false), .vfl(2.5, 1, true),
    // Poly-1: ε at its bound −1/(γ + 1) (σ = α_t + ε = 0 where α_t = 1/(γ + 1): the cancellation
    // case), negative, positive; with and without α.
    .poly1(nil, 0, -1), .poly1(nil, 2, -1 / (2.0 + 1)), .poly1(0.25, 2, 1), .poly1(nil, 0.5, -1 / (0.5 + 1)),
    .poly1(0.25, 0, -1), .poly1(nil, 1, 2), .poly1(0.75, 3.7, -0.2), .poly1(0.25, 2, -0.25), .poly1(0.75, 0.25, -0.75),
    .poly1(nil, 0.5, 0.5),
]

/// One case per loss for the thread-count tests (100k-element calls: few of them).
let threadCases: [FamilyCase] = [.star(0.25, 2, 1), .asl(1, 4, 0.05), .qfl(2), .vfl(0.75, 2, true), .poly1(0.25, 2, 1)]

/// One case per loss, for the contract tests.
let representativeCases: [FamilyCase] = [
    .star(0.25, 2, 1), .asl(1, 4, 0.05), .qfl(2), .vfl(0.75, 2, true), .poly1(0.25, 2, 1), .poly1(nil, 0, -1),
]

let familyTargets: [Double] = [0, 1, 0.5, 0.1, 0.37, 0.9, 1e-6, 1 - 1e-6]

/// −100 … 100, saturated, and subnormal-scale logits, and points next to QFL's cusps and ASL's
/// thresholds (logit(c) + δ for every soft target and margin c).
let familyLogits: [Double] = {
    let tiny = Double.leastNonzeroMagnitude, subnormal = Double.leastNormalMagnitude / 4096
    var x: [Double] = [0, tiny, -tiny, subnormal, -subnormal, 1e-40, -1e-40, 1e-8, -1e-8]
    for v in [0.25, 0.5, 1, 2, 3, 5, 10, 20, 36, 50, 88, 100, 500, 745, 1e3, 1e4] { x += [v, -v] }
    var rng = SplitMix(seed: 1401)
    x += (0 ..< 24).map { _ in Double.random(in: -100 ... 100, using: &rng) }
    for c in [0.1, 0.37, 0.5, 0.9, 1e-6, 1 - 1e-6, 0.05] {
        let logit = log(c) - log1p(-c)
        for delta in [0, 1e-9, -1e-9, 1e-6, -1e-6, 1e-3, -1e-3] { x.append(logit + delta) }
    }
    return x
}()

// MARK: - Accuracy

struct FamilyWorst {
    var loss64 = 0.0, grad64 = 0.0, loss32 = 0.0, grad32 = 0.0
}

struct FamilyAccuracyTests {
    /// The grid in three calls: the hard targets alone (Poly-1's hard-target kernel), the soft
    /// targets alone, and everything interleaved (every 256-element block mixes hard and soft
    /// targets).
    func layouts() -> [(x: [Double], t: [Double])] {
        var hard: (x: [Double], t: [Double]) = ([], []), soft: (x: [Double], t: [Double]) = ([], [])
        for t in familyTargets {
            for x in familyLogits {
                if t == 0 || t == 1 { hard.x.append(x); hard.t.append(t) } else { soft.x.append(x); soft.t.append(t) }
            }
        }
        var mixed: (x: [Double], t: [Double]) = ([], [])
        for x in familyLogits { for t in familyTargets { mixed.x.append(x); mixed.t.append(t) } }
        return [hard, soft, mixed]
    }

    func check(_ c: FamilyCase, precision: Precision, worst: inout FamilyWorst) throws {
        for (layout, grid) in layouts().enumerated() {
            let x32 = grid.x.map { Double(Float($0)) }, t32 = grid.t.map { Double(Float($0)) }
            let refs = grid.x.indices.map { c.reference(x: grid.x[$0], t: grid.t[$0]) }
            let refs32 = grid.x.indices.map { c.reference(x: x32[$0], t: t32[$0]) }
            for isa in runnableInstructionSets {
                var options = c.options
                options.instructionSet = isa; options.precision = precision
                let out64 = try sigmoid(Double.self, logits: grid.x, targets: grid.t, options: options)
                let out32 = try sigmoid(Float.self, logits: x32, targets: t32, options: options)
                for i in grid.x.indices {
                    let context = "\(c.testDescription) x=\(grid.x[i]) t=\(grid.t[i]) \(isa) \(precision) layout \(layout)"
                    let r = refs[i]
                    let l64 = relative(out64.loss[i], r.loss, scale: r.lossScale)
                    let g64 = relative(out64.grad[i], r.grad, scale: r.gradScale)
                    #expect(l64 <= doubleBound, "f64 loss \(context): \(out64.loss[i]) vs \(r.loss)")
                    #expect(g64 <= doubleBound, "f64 grad \(context): \(out64.grad[i]) vs \(r.grad)")
                    #expect(out64.loss[i].isFinite && out64.grad[i].isFinite, "f64 \(context)")
                    worst.loss64 = max(worst.loss64, l64); worst.grad64 = max(worst.grad64, g64)

                    let r32 = refs32[i]
                    var l32 = ulps(out32.loss[i], r32.loss)
                    var g32 = ulps(out32.grad[i], r32.grad)
                    // Where the scale exceeds the value (a difference, or next to a cusp), the
                    // double evaluation is good to ~1e-16 of the scale: float32 gets 1e-7 of it.
                    if l32 > floatUlpBound, r32.lossScale > abs(r32.loss),
                       relative(Double(out32.loss[i]), r32.loss, scale: r32.lossScale) <= 1e-7 { l32 = 0 }
                    if g32 > floatUlpBound, r32.gradScale > abs(r32.grad),
                       relative(Double(out32.grad[i]), r32.grad, scale: r32.gradScale) <= 1e-7 { g32 = 0 }
                    #expect(l32 <= floatUlpBound, "f32 loss \(context) x32=\(x32[i]): \(out32.loss[i]) vs \(r32.loss)")
                    #expect(g32 <= floatUlpBound, "f32 grad \(context) x32=\(x32[i]): \(out32.grad[i]) vs \(r32.grad)")
                    #expect(!out32.loss[i].isNaN && !out32.grad[i].isNaN, "f32 \(context)")
                    worst.loss32 = max(worst.loss32, l32); worst.grad32 = max(worst.grad32, g32)
                }
            }
        }
    }

    @Test(arguments: familyCases)
    func matchesReference(_ c: FamilyCase) throws {
        var worst = FamilyWorst()
        try check(c, precision: .exact, worst: &worst)
        print("accuracy \(c.testDescription): f64 max relative error loss \(worst.loss64), grad \(worst.grad64); f32 max error loss \(worst.loss32) ulp, grad \(worst.grad32) ulp")
    }

    /// The family and Poly-1 compute in double in both tiers: the fast tier's results are the
    /// exact tier's, bit for bit.
    @Test(arguments: familyCases)
    func fastTierIsTheExactTier(_ c: FamilyCase) throws {
        for grid in layouts() {
            var options = c.options
            let x32 = grid.x.map { Double(Float($0)) }, t32 = grid.t.map { Double(Float($0)) }
            let exact = try sigmoid(Float.self, logits: x32, targets: t32, options: options)
            options.precision = .fast
            let fast = try sigmoid(Float.self, logits: x32, targets: t32, options: options)
            #expect(sameArrays(exact.loss, fast.loss) && sameArrays(exact.grad, fast.grad), "\(c.testDescription)")
        }
    }
}

// MARK: - Finite differences

struct FamilyGradientTests {
    @Test(arguments: familyCases)
    func finiteDifferences(_ c: FamilyCase) throws {
        var rng = SplitMix(seed: 1402)
        let n = 32
        let x = (0 ..< n).map { _ in Double.random(in: -6 ... 6, using: &rng) }
        let cycle: [Double] = [0, 1, 0.2, 0.5, 0.7, 1, 0, 0.05]
        let t: [Double] = (0 ..< n).map { (k: Int) -> Double in cycle[k % 8] }
        for (reduction, normalizer) in [(Reduction.none, nil), (.sum, nil), (.mean, nil), (.mean, 3.5)] as [(Reduction, Double?)] {
            var options = c.options
            options.reduction = reduction; options.normalizer = normalizer
            let upstream = reduction == .none ? (0 ..< n).map { _ in Double.random(in: -2 ... 2, using: &rng) } : [1.7]
            let out = try sigmoid(Double.self, logits: x, targets: t, options: options, gradLoss: upstream)
            func objective(_ x: [Double]) throws -> Double {
                let l = try sigmoid(Double.self, logits: x, targets: t, options: options, withGrad: false).loss
                return zip(l, upstream).reduce(0) { $0 + $1.0 * $1.1 }
            }
            for i in 0 ..< n where !c.nearKink(x: x[i], t: t[i]) {
                let h = 1e-5 * max(1, abs(x[i]))
                var plus = x, minus = x
                plus[i] += h; minus[i] -= h
                let numeric = (try objective(plus) - objective(minus)) / (2 * h)
                #expect(abs(numeric - out.grad[i]) <= 1e-6 * max(1, abs(numeric)),
                        "\(c.testDescription) \(reduction) i=\(i) x=\(x[i]) t=\(t[i]): numeric \(numeric) vs \(out.grad[i])")
            }
        }
    }
}

// MARK: - Limits and the losses the family reduces to

struct FamilyLimitTests {
    func infiniteLogits<T: Storage>(_ type: T.Type, bound: Double) throws {
        let cases = familyCases + [.star(1, 2, -1), .star(0, 0.5, 2), .asl(0, 0.5, 0.5), .vfl(0, 0, true), .poly1(0, 1, 0.5), .poly1(1, 0, 0.5)]
        for c in cases {
            for x in [Double.infinity, -.infinity] {
                for t in [0, 1, 0.5, 0.3, 0.9, 1e-6] {
                    // Hard and soft neighbours: both of Poly-1's kernel paths.
                    for neighbours in [[1.0, 0], [0.7, 0.2]] {
                        var options = c.options
                        let logits = [0.5, x, -1.5], targets = [neighbours[0], t, neighbours[1]]
                        let out = try sigmoid(T.self, logits: logits, targets: targets, options: options)
                        let clean = try sigmoid(T.self, logits: [0.5, -1.5], targets: neighbours, options: options)
                        let expected = c.limit(x: x, t: T(t).double)
                        let what = "\(c.testDescription) x=\(x) t=\(t) neighbours \(neighbours)"
                        let loss = out.loss[1].double, grad = out.grad[1].double
                        if expected.loss == 0 || expected.loss == .infinity {
                            #expect(loss == expected.loss, "loss \(what): \(loss) vs \(expected.loss)")
                        } else {
                            #expect(abs(loss - expected.loss) <= bound * abs(expected.loss), "loss \(what): \(loss) vs \(expected.loss)")
                        }
                        #expect(abs(grad - expected.grad) <= bound * abs(expected.grad), "grad \(what): \(grad) vs \(expected.grad)")
                        #expect(grad.isFinite, "grad \(what)")
                        #expect(sameArrays([out.loss[0], out.loss[2]], clean.loss) && sameArrays([out.grad[0], out.grad[2]], clean.grad),
                                "neighbours \(what)")
                        // A sum with a +∞ loss is +∞, not NaN.
                        options.reduction = .sum
                        let total = try sigmoid(T.self, logits: logits, targets: targets, options: options)
                        #expect(expected.loss.isFinite ? total.loss[0].double.isFinite : total.loss[0].double == .infinity, "sum \(what)")
                    }
                }
            }
        }
    }

    @Test func infiniteLogitsFloat() throws { try infiniteLogits(Float.self, bound: 1.2e-7) }
    // (The limits' powers are libm's pow against the kernels' e^{g·log u}: a few ulps apart.)
    @Test func infiniteLogitsDouble() throws { try infiniteLogits(Double.self, bound: 1e-13) }

    @Test(arguments: familyCases)
    func nanPoisonsOnlyItsElement(_ c: FamilyCase) throws {
        let x: [Double] = [-3, -0.5, 0, 0.25, 2, 7, -9, 1.5]
        let t: [Double] = [0, 1, 0.3, 1, 0, 1, 0, 0.8]
        var options = c.options
        for bad in [Double.nan, -Double.nan] {
            var poisoned = x
            poisoned[3] = bad
            options.reduction = .none
            let clean32 = try sigmoid(Float.self, logits: x, targets: t, options: options)
            let out32 = try sigmoid(Float.self, logits: poisoned, targets: t, options: options)
            let clean64 = try sigmoid(Double.self, logits: x, targets: t, options: options)
            let out64 = try sigmoid(Double.self, logits: poisoned, targets: t, options: options)
            for i in x.indices {
                if i == 3 {
                    #expect(out32.loss[i].isNaN && out32.grad[i].isNaN && out64.loss[i].isNaN && out64.grad[i].isNaN, "\(c.testDescription)")
                } else {
                    #expect(sameBits(out32.loss[i], clean32.loss[i]) && sameBits(out32.grad[i], clean32.grad[i]), "\(c.testDescription) i=\(i)")
                    #expect(sameBits(out64.loss[i], clean64.loss[i]) && sameBits(out64.grad[i], clean64.grad[i]), "\(c.testDescription) i=\(i)")
                }
            }
            options.reduction = .sum
            let sum = try sigmoid(Float.self, logits: poisoned, targets: t, options: options)
            #expect(sum.loss[0].isNaN, "\(c.testDescription)")
            #expect(sum.grad.enumerated().allSatisfy { $0.offset == 3 ? $0.element.isNaN : !$0.element.isNaN }, "\(c.testDescription)")
        }
    }

    let grid: (x: [Double], t: [Double]) = {
        var x: [Double] = [], t: [Double] = []
        let logits = [0, 1e-8, 0.3, -0.3, 1, -1, 2.5, -2.5, 7, -7, 20, -20, 50, -50, 300, -300]
        for target in [0, 1, 0.5, 0.2, 0.75] { for v in logits { x.append(v); t.append(target) } }
        return (x, t)
    }()

    /// `a` within `bound` of `b`, relative to `scale` (the references' rounding scale).
    func close(_ a: [Double], _ b: [Double], scale: [Wide], bound: Double = 1e-13) -> Bool {
        zip(zip(a, b), scale).allSatisfy { pair, s in relative(pair.0, Wide(pair.1), scale: max(s, abs(Wide(pair.1)))) <= bound }
    }

    @Test func qualityAtBetaZeroIsBCE() throws {
        var focal = SigmoidFocalOptions()
        focal.gamma = 0; focal.alpha = nil
        let bce = try sigmoid(Double.self, logits: grid.x, targets: grid.t, options: focal)
        let qfl = try sigmoid(Double.self, logits: grid.x, targets: grid.t, options: SigmoidFocalOptions(family: .quality(beta: 0)))
        let scales = zip(grid.x, grid.t).map { sigmoidReference(x: Wide($0), t: Wide($1), alpha: nil, gamma: 0).gradScale }
        #expect(close(qfl.loss, bce.loss, scale: bce.loss.map { abs(Wide($0)) }), "\(qfl.loss) vs \(bce.loss)")
        #expect(close(qfl.grad, bce.grad, scale: scales), "\(qfl.grad) vs \(bce.grad)")
    }

    @Test func varifocalIouWeightedIsTargetTimesBCE() throws {
        var focal = SigmoidFocalOptions()
        focal.gamma = 0; focal.alpha = nil
        let positive = grid.t.indices.filter { grid.t[$0] > 0 }
        let x = positive.map { grid.x[$0] }, q = positive.map { grid.t[$0] }
        let bce = try sigmoid(Double.self, logits: x, targets: q, options: focal)
        for (alpha, gamma) in [(0.75, 2.0), (0.1, 0.5)] {
            let vfl = try sigmoid(Double.self, logits: x, targets: q,
                                  options: SigmoidFocalOptions(family: .varifocal(alpha: alpha, gamma: gamma, iouWeighted: true)))
            let scales = zip(x, q).map { Wide($1) * sigmoidReference(x: Wide($0), t: Wide($1), alpha: nil, gamma: 0).gradScale }
            #expect(close(vfl.loss, zip(q, bce.loss).map { $0 * $1 }, scale: zip(q, bce.loss).map { Wide($0 * $1) }))
            #expect(close(vfl.grad, zip(q, bce.grad).map { $0 * $1 }, scale: scales))
        }
    }

    @Test(arguments: [0, 0.5, 1, 2, 3.7])
    func asymmetricWithEqualGammasIsTheFocalLoss(gamma: Double) throws {
        var focal = SigmoidFocalOptions()
        focal.gamma = gamma; focal.alpha = nil
        let plain = try sigmoid(Double.self, logits: grid.x, targets: grid.t, options: focal)
        let asl = try sigmoid(Double.self, logits: grid.x, targets: grid.t,
                              options: SigmoidFocalOptions(family: .asymmetric(gammaPositive: gamma, gammaNegative: gamma, margin: 0)))
        let refs = zip(grid.x, grid.t).map { sigmoidReference(x: Wide($0), t: Wide($1), alpha: nil, gamma: Wide(gamma)) }
        #expect(close(asl.loss, plain.loss, scale: refs.map(\.loss)), "γ=\(gamma): \(asl.loss) vs \(plain.loss)")
        #expect(close(asl.grad, plain.grad, scale: refs.map(\.gradScale)), "γ=\(gamma): \(asl.grad) vs \(plain.grad)")
    }

    @Test func focalStarAtGammaOneBetaZeroIsBCE() throws {
        // Hard targets (for a soft t FL*'s linear x_t is not BCE's form).
        let hard = grid.t.indices.filter { grid.t[$0] == 0 || grid.t[$0] == 1 }
        let x = hard.map { grid.x[$0] }, t = hard.map { grid.t[$0] }
        for alpha in [nil, 0.25] as [Double?] {
            var focal = SigmoidFocalOptions()
            focal.gamma = 0; focal.alpha = alpha
            let bce = try sigmoid(Double.self, logits: x, targets: t, options: focal)
            let star = try sigmoid(Double.self, logits: x, targets: t,
                                   options: SigmoidFocalOptions(family: .focalStar(alpha: alpha, gamma: 1, beta: 0)))
            #expect(close(star.loss, bce.loss, scale: bce.loss.map { abs(Wide($0)) }), "α=\(String(describing: alpha))")
            #expect(close(star.grad, bce.grad, scale: bce.grad.map { abs(Wide($0)) }), "α=\(String(describing: alpha))")
        }
    }

    /// Poly-1 with ε = 0 is the focal loss, bit for bit: the dense call, the weighted call, the
    /// labels call and the softmax call; both tiers; both storage types.
    @Test(arguments: [Precision.exact, .fast])
    func poly1ZeroIsThePlainCall(precision: Precision) throws {
        var rng = SplitMix(seed: 1403)
        let (batch, classes, inner) = (40, 7, 3)
        let n = batch * classes * inner, positions = batch * inner
        let x = (0 ..< n).map { k in k % 97 == 5 ? -Double.infinity : Double(Float(Double.random(in: -15 ... 15, using: &rng))) }
        let t: [Double] = (0 ..< n).map { k in k % 5 == 0 ? 1 : (k % 11 == 3 ? 0.375 : 0) }
        let w: [Double] = (randomWeights(n, &rng) as [Float]).map { Double($0) }
        let labels: [Int64] = (0 ..< positions).map { p in p % 7 == 2 ? -100 : Int64(Int.random(in: 0 ... classes, using: &rng)) }
        let softmaxTargets = labels.map { $0 == Int64(classes) ? 0 : $0 }
        for gamma in [0, 0.5, 2, 5] {
            for reduction in Reduction.allCases {
                var plain = SigmoidFocalOptions()
                plain.gamma = gamma; plain.precision = precision; plain.reduction = reduction
                var zero = plain
                zero.poly1Epsilon = 0
                var negativeZero = plain
                negativeZero.poly1Epsilon = -0.0
                var softPlain = SoftmaxFocalOptions()
                softPlain.gamma = gamma; softPlain.precision = precision; softPlain.reduction = reduction
                var softZero = softPlain
                softZero.poly1Epsilon = -0.0
                let context = "γ=\(gamma) \(reduction) \(precision)"
                func bits<T: WeightedStorage>(_: T.Type) throws {
                    let xs = x.map { T($0) }, ts = t.map { T($0) }, ws = w.map { T($0) }
                    for options in [zero, negativeZero] {
                        let a = try sigmoidWeighted(xs, ts, nil, .perElement, (batch, classes, inner), options: plain)
                        let b = try sigmoidWeighted(xs, ts, nil, .perElement, (batch, classes, inner), options: options)
                        #expect(sameArrays(a.loss, b.loss) && sameArrays(a.grad, b.grad), "dense \(context)")
                        var dense = Outputs(loss: [T](repeating: -7, count: reduction == .none ? n : 1), grad: [T](repeating: -7, count: n))
                        try runSigmoid(xs, ts, nil, options, &dense)
                        #expect(sameArrays(a.loss, dense.loss) && sameArrays(a.grad, dense.grad), "dense entry \(context)")
                        let c = try sigmoidWeighted(xs, ts, ws, .perElement, (batch, classes, inner), options: plain)
                        let d = try sigmoidWeighted(xs, ts, ws, .perElement, (batch, classes, inner), options: options)
                        #expect(sameArrays(c.loss, d.loss) && sameArrays(c.grad, d.grad) && c.stats == d.stats, "weighted \(context)")
                        let e = try labelsWeighted(xs, labels, nil, .perElement, (batch, classes, inner), options: plain)
                        let f = try labelsWeighted(xs, labels, nil, .perElement, (batch, classes, inner), options: options)
                        #expect(sameArrays(e.loss, f.loss) && sameArrays(e.grad, f.grad), "labels \(context)")
                    }
                    let g = try softmaxWeighted(xs, softmaxTargets, nil, (batch, classes, inner), options: softPlain)
                    let h = try softmaxWeighted(xs, softmaxTargets, nil, (batch, classes, inner), options: softZero)
                    #expect(sameArrays(g.loss, h.loss) && sameArrays(g.grad, h.grad), "softmax \(context)")
                }
                try bits(Float.self)
                try bits(Double.self)
            }
        }
    }
}

// MARK: - Poly-1

struct Poly1Tests {
    /// σ = α_t + ε = 0 and p_t → 1: ℓ = α_t m^γ D, D = log1p(e) − e/(1 + e) ≈ m²/2, and the
    /// gradient −m^γ α_t (m² + γ p D); to 1e-10 of the values, in a call of hard targets only and
    /// in a call that also holds a soft target (every block mixed).
    @Test func cancellationCase() throws {
        let logits: [Double] = [3, 5, 10, 15, 20, 25, 30, 36, 40, 50, 100, 700]
        for (alpha, gamma, epsilon, target) in [(nil, 0.0, -1.0, 1.0), (nil, 0, -1, 0), (0.25, 2, -0.25, 1), (0.25, 0.25, -0.75, 0),
                                                (0.5, 1, -0.5, 1), (0.75, 0.25, -0.75, 1)] as [(Double?, Double, Double, Double)] {
            var options = SigmoidFocalOptions()
            options.alpha = alpha; options.gamma = gamma; options.poly1Epsilon = epsilon
            let x = logits.map { target == 1 ? $0 : -$0 }
            for withSoft in [false, true] {
                let xs = withSoft ? x + [0.3] : x
                let ts = (withSoft ? [Double](repeating: target, count: x.count) + [0.4] : [Double](repeating: target, count: x.count))
                let out = try sigmoid(Double.self, logits: xs, targets: ts, options: options)
                let out32 = try sigmoid(Float.self, logits: xs, targets: ts, options: options)
                for i in x.indices {
                    let r = poly1SigmoidReference(x: Wide(xs[i]), t: Wide(target), alpha: alpha.map { Wide($0) }, gamma: Wide(gamma),
                                                  epsilon: Wide(epsilon))
                    let context = "α=\(String(describing: alpha)) γ=\(gamma) ε=\(epsilon) t=\(target) x=\(xs[i]) with soft: \(withSoft)"
                    #expect(r.lossScale == r.loss, "σ = 0: the reference's loss is its own scale")
                    #expect(relative(out.loss[i], r.loss, scale: abs(r.loss)) <= doubleBound, "loss \(context): \(out.loss[i]) vs \(r.loss)")
                    #expect(relative(out.grad[i], r.grad, scale: abs(r.grad)) <= doubleBound, "grad \(context): \(out.grad[i]) vs \(r.grad)")
                    #expect(ulps(out32.loss[i], r.loss) <= floatUlpBound, "f32 loss \(context): \(out32.loss[i]) vs \(r.loss)")
                    #expect(ulps(out32.grad[i], r.grad) <= floatUlpBound, "f32 grad \(context): \(out32.grad[i]) vs \(r.grad)")
                    if gamma == 0 && alpha == nil && abs(xs[i]) >= 20 {
                        // ℓ ≈ m²/2 for m = σ(−x_t) small.
                        let m = 1 / (1 + exp(abs(xs[i])))
                        #expect(abs(out.loss[i] - m * m / 2) <= 1e-8 * m * m, "\(context)")
                    }
                }
            }
        }
    }

    /// Softmax Poly-1 rows, with and without class weights, inner = 1 and > 1, ignored targets,
    /// int32 and int64 targets, against the Float80 reference; the mean against Σℓ / Σα_y.
    @Test(arguments: [0.0, 0.5, 1, 2, 3.7])
    func softmaxMatchesReference(gamma: Double) throws {
        let configurations: [(classes: Int, inner: Int, scale: Double)] = [
            (1, 1, 3), (2, 1, 5), (5, 3, 4), (20, 1, 10), (7, 2, 100), (3, 1, 30), (4, 1, 1e3),
        ]
        var worst = FamilyWorst()
        for (k, config) in configurations.enumerated() {
            let problem = SoftmaxProblem(batch: 6, classes: config.classes, inner: config.inner, scale: config.scale,
                                         ignoreEvery: 5, seed: UInt64(1410 + k))
            var rounded = problem
            rounded.logits = problem.logits.map { Double(Float($0)) }
            // Class 0's weight 1/(γ + 1) meets ε = −1/(γ + 1): σ = 0 on its rows.
            var alpha: [Double]? = nil
            if k % 2 == 1 {
                alpha = (0 ..< config.classes).map { (c: Int) -> Double in c == 0 ? 1 / (gamma + 1) : Double(c % 3) * 0.75 + 0.5 }
            }
            let epsilons: [Double] = [-1 / (gamma + 1), -0.5 / (gamma + 1), 0.7, 3]
            for epsilon in epsilons {
                var options = SoftmaxFocalOptions()
                options.gamma = gamma; options.poly1Epsilon = epsilon; options.reduction = .none
                let out64 = try softmax(Double.self, logits: rounded.logits, targets: problem.targets, batch: 6,
                                        classes: config.classes, inner: config.inner, alpha: alpha, options: options)
                let out32 = try softmax(Float.self, int32Targets: k % 3 == 0, logits: rounded.logits, targets: problem.targets,
                                        batch: 6, classes: config.classes, inner: config.inner, alpha: alpha, options: options)
                var options32Fast = options
                options32Fast.precision = .fast
                let fast = try softmax(Float.self, logits: rounded.logits, targets: problem.targets, batch: 6,
                                       classes: config.classes, inner: config.inner, alpha: alpha, options: options32Fast)
                var sum: Wide = 0, sumScale: Wide = 0, divisor: Wide = 0
                for position in 0 ..< 6 * config.inner {
                    let y = problem.targets[position]
                    let context = "C=\(config.classes) inner=\(config.inner) scale=\(config.scale) γ=\(gamma) ε=\(epsilon) pos=\(position)"
                    if y == -100 {
                        #expect(out64.loss[position] == 0 && out32.loss[position] == 0 && fast.loss[position] == 0, "\(context)")
                        for c in 0 ..< config.classes {
                            let i = problem.index(position, c)
                            #expect(out64.grad[i] == 0 && out32.grad[i] == 0 && fast.grad[i] == 0, "\(context)")
                        }
                        continue
                    }
                    let a = Wide(alpha?[y] ?? 1)
                    let r = poly1SoftmaxReference(rounded.row(position).map { Wide($0) }, y: y, a: a, gamma: Wide(gamma),
                                                  epsilon: Wide(epsilon))
                    sum += r.loss; sumScale += r.lossScale; divisor += a
                    let l64 = relative(out64.loss[position], r.loss, scale: r.lossScale)
                    var l32 = ulps(out32.loss[position], r.loss)
                    if l32 > floatUlpBound, r.lossScale > abs(r.loss),
                       relative(Double(out32.loss[position]), r.loss, scale: r.lossScale) <= 1e-7 { l32 = 0 }
                    #expect(l64 <= doubleBound, "\(context): loss \(out64.loss[position]) vs \(r.loss)")
                    #expect(l32 <= floatUlpBound, "\(context): f32 loss \(out32.loss[position]) vs \(r.loss)")
                    #expect(ulps(fast.loss[position], r.loss) <= 16.5 || relative(Double(fast.loss[position]), r.loss, scale: r.lossScale) <= 2e-6,
                            "\(context): fast loss \(fast.loss[position]) vs \(r.loss)")
                    worst.loss64 = max(worst.loss64, l64); worst.loss32 = max(worst.loss32, l32)
                    for c in 0 ..< config.classes {
                        let i = problem.index(position, c)
                        let g64 = relative(out64.grad[i], r.grad[c], scale: r.gradScale[c])
                        var g32 = ulps(out32.grad[i], r.grad[c])
                        if g32 > floatUlpBound, relative(Double(out32.grad[i]), r.grad[c], scale: r.gradScale[c]) <= 1e-7 { g32 = 0 }
                        #expect(g64 <= doubleBound, "\(context) c=\(c): grad \(out64.grad[i]) vs \(r.grad[c])")
                        #expect(g32 <= floatUlpBound, "\(context) c=\(c): f32 grad \(out32.grad[i]) vs \(r.grad[c])")
                        // (ulps: a gradient below float32's range is 0.)
                        #expect(relative(Double(fast.grad[i]), r.grad[c], scale: r.gradScale[c]) <= 4e-6 || ulps(fast.grad[i], r.grad[c]) <= 16,
                                "\(context) c=\(c): fast grad \(fast.grad[i]) vs \(r.grad[c])")
                        worst.grad64 = max(worst.grad64, g64); worst.grad32 = max(worst.grad32, g32)
                    }
                }
                options.reduction = .mean
                let mean = try softmax(Double.self, logits: rounded.logits, targets: problem.targets, batch: 6,
                                       classes: config.classes, inner: config.inner, alpha: alpha, options: options)
                if divisor > 0 {
                    #expect(relative(mean.loss[0], sum / divisor, scale: sumScale / divisor) <= doubleBound,
                            "mean C=\(config.classes) ε=\(epsilon): \(mean.loss[0]) vs \(sum / divisor)")
                }
            }
        }
        print("accuracy softmax poly1 gamma=\(gamma): f64 max relative error loss \(worst.loss64), grad \(worst.grad64); f32 max error loss \(worst.loss32) ulp, grad \(worst.grad32) ulp")
    }

    /// Confident rows at σ = 0 (a = 1, γ = 0, ε = −1; a = ½, γ = 1, ε = −½): ℓ ≈ m²/2-sized values
    /// to 1e-10 of themselves.
    @Test func softmaxCancellationCase() throws {
        for (gamma, epsilon, weight) in [(0.0, -1.0, 1.0), (1, -0.5, 0.5), (3, -0.25, 0.25)] {
            for margin in [3.0, 8, 15, 20, 30, 40, 100, 700] {
                let logits = [margin, 0, -1, margin, -2, 0.5]
                var options = SoftmaxFocalOptions()
                options.gamma = gamma; options.poly1Epsilon = epsilon; options.reduction = .none
                let alpha = [weight, 2, 3]
                let out = try softmax(Double.self, logits: logits, targets: [0, 0], batch: 2, classes: 3, alpha: alpha, options: options)
                let out32 = try softmax(Float.self, logits: logits, targets: [0, 0], batch: 2, classes: 3, alpha: alpha, options: options)
                for row in 0 ..< 2 {
                    let z = logits[(row * 3) ..< (row * 3 + 3)].map { Wide($0) }
                    let r = poly1SoftmaxReference(z, y: 0, a: Wide(weight), gamma: Wide(gamma), epsilon: Wide(epsilon))
                    let context = "γ=\(gamma) ε=\(epsilon) margin=\(margin) row=\(row)"
                    #expect(relative(out.loss[row], r.loss, scale: abs(r.loss)) <= doubleBound, "\(context): \(out.loss[row]) vs \(r.loss)")
                    #expect(ulps(out32.loss[row], r.loss) <= floatUlpBound, "\(context): f32 \(out32.loss[row]) vs \(r.loss)")
                    for c in 0 ..< 3 {
                        #expect(relative(out.grad[row * 3 + c], r.grad[c], scale: abs(r.grad[c])) <= doubleBound,
                                "\(context) c=\(c): \(out.grad[row * 3 + c]) vs \(r.grad[c])")
                    }
                }
            }
        }
    }

    /// Infinite logits in a Poly-1 row: a −∞ class is a class of probability 0 (the row without
    /// it, its own gradient 0); a −∞ target logit (p_y → 0, m → 1, S → ∞, E → 1) gives ℓ = +∞
    /// and dℓ/du → −m^γ[σ(γ + 1) − aγ − ε(γ + 1)] = −a, so ∂ℓ/∂z_y → −a and ∂ℓ/∂z_j → a·p_j with
    /// p_j the softmax of the other classes; +∞ in a row is NaN for that row only.
    @Test func softmaxInfiniteLogits() throws {
        for (gamma, epsilon) in [(0.0, -1.0), (2, 1.5), (0.5, -0.5)] {
            var options = SoftmaxFocalOptions()
            options.gamma = gamma; options.poly1Epsilon = epsilon; options.reduction = .none
            let alpha = [0.5, 1.5, 2.5, 1]
            // Class 1 masked by −∞, against the same row without it (the weights follow their classes).
            let masked = try softmax(Double.self, logits: [1, -.infinity, 2, -0.5], targets: [2], batch: 1, classes: 4, alpha: alpha,
                                     options: options)
            let kept = try softmax(Double.self, logits: [1, 2, -0.5], targets: [1], batch: 1, classes: 3, alpha: [0.5, 2.5, 1],
                                   options: options)
            #expect(sameBits(masked.loss[0], kept.loss[0]), "γ=\(gamma) ε=\(epsilon): \(masked.loss) vs \(kept.loss)")
            #expect(sameArrays([masked.grad[0], masked.grad[2], masked.grad[3]], kept.grad) && sameBits(masked.grad[1], 0),
                    "γ=\(gamma) ε=\(epsilon): \(masked.grad) vs \(kept.grad)")
            // A −∞ target logit, next to a clean row and a +∞ row.
            let logits: [Double] = [-.infinity, 1, 2, -0.5, 0.3, -1, 2, 0, 1, .infinity, 0, 1]
            for type in [0, 1] {
                let loss: [Double], grad: [Double]
                if type == 0 {
                    let out = try softmax(Double.self, logits: logits, targets: [0, 1, 2], batch: 3, classes: 4, alpha: alpha, options: options)
                    (loss, grad) = (out.loss, out.grad)
                } else {
                    let out = try softmax(Float.self, logits: logits, targets: [0, 1, 2], batch: 3, classes: 4, alpha: alpha, options: options)
                    (loss, grad) = (out.loss.map { Double($0) }, out.grad.map { Double($0) })
                }
                let bound = type == 0 ? 1e-15 : 1.2e-7
                let others = [1.0, 2, -0.5].map { exp($0) }, z = others.reduce(0, +)
                #expect(loss[0] == .infinity, "γ=\(gamma) ε=\(epsilon)")
                #expect(abs(grad[0] + alpha[0]) <= bound * alpha[0], "γ=\(gamma) ε=\(epsilon): \(grad[0])")
                for j in 1 ..< 4 {
                    let expected = alpha[0] * others[j - 1] / z
                    #expect(abs(grad[j] - expected) <= 4 * bound * expected, "γ=\(gamma) ε=\(epsilon) j=\(j): \(grad[j]) vs \(expected)")
                }
                let r = poly1SoftmaxReference([0.3, -1, 2, 0].map { Wide($0) }, y: 1, a: Wide(alpha[1]), gamma: Wide(gamma), epsilon: Wide(epsilon))
                #expect(relative(loss[1], r.loss, scale: r.lossScale) <= (type == 0 ? doubleBound : 2e-7), "γ=\(gamma) ε=\(epsilon)")
                #expect(loss[2].isNaN && grad[8 ..< 12].allSatisfy(\.isNaN), "γ=\(gamma) ε=\(epsilon): +∞ row")
            }
        }
    }

    @Test(arguments: [0.0, 0.5, 2])
    func softmaxFiniteDifferences(gamma: Double) throws {
        let problem = SoftmaxProblem(batch: 3, classes: 5, inner: 2, scale: 4, ignoreEvery: 4, seed: 1411)
        var rng = SplitMix(seed: 1412)
        for alpha in [nil, [0.2, 1.5, 0.7, 1, 0.4]] as [[Double]?] {
            for epsilon in [-1 / (gamma + 1), 1.3] {
                for (reduction, normalizer) in [(Reduction.none, nil), (.sum, nil), (.mean, nil), (.mean, 2.5)] as [(Reduction, Double?)] {
                    var options = SoftmaxFocalOptions()
                    options.gamma = gamma; options.poly1Epsilon = epsilon; options.reduction = reduction; options.normalizer = normalizer
                    let upstream = reduction == .none ? (0 ..< 6).map { _ in Double.random(in: -2 ... 2, using: &rng) } : [0.8]
                    let out = try softmax(Double.self, logits: problem.logits, targets: problem.targets, batch: 3, classes: 5, inner: 2,
                                          alpha: alpha, options: options, gradLoss: upstream)
                    func objective(_ x: [Double]) throws -> Double {
                        let l = try softmax(Double.self, logits: x, targets: problem.targets, batch: 3, classes: 5, inner: 2,
                                            alpha: alpha, options: options, withGrad: false).loss
                        return zip(l, upstream).reduce(0) { $0 + $1.0 * $1.1 }
                    }
                    for i in problem.logits.indices {
                        var plus = problem.logits, minus = problem.logits
                        plus[i] += 1e-5; minus[i] -= 1e-5
                        let numeric = (try objective(plus) - objective(minus)) / 2e-5
                        #expect(abs(numeric - out.grad[i]) <= 1e-6 * max(1, abs(numeric)),
                                "γ=\(gamma) ε=\(epsilon) \(reduction) i=\(i): numeric \(numeric) vs \(out.grad[i])")
                    }
                }
            }
        }
    }

    /// Softmax Poly-1 with per-position weights: the reference times the weight, a weight of 0
    /// leaving a NaN row out.
    @Test func softmaxWeightedRows() throws {
        var rng = SplitMix(seed: 1413)
        let (batch, classes, inner) = (9, 4, 3)
        let positions = batch * inner
        var x = (0 ..< positions * classes).map { _ in Double.random(in: -6 ... 6, using: &rng) }
        let y: [Int64] = (0 ..< positions).map { p in p % 8 == 7 ? -100 : Int64(p % classes) }
        var w: [Double] = randomWeights(positions, &rng)
        // A NaN logit (batch item 1, class 2, inner 1) at a position of weight 0.
        x[(1 * classes + 2) * inner + 1] = .nan
        w[1 * inner + 1] = 0
        let alpha = [0.5, 1, 2, 0.25]
        for epsilon in [-1.0 / 3, 2] {
            var options = SoftmaxFocalOptions()
            options.gamma = 2; options.poly1Epsilon = epsilon; options.reduction = .none
            let run = try softmaxWeighted(x, y, w, (batch, classes, inner), alpha: alpha, options: options)
            for p in 0 ..< positions {
                let (b, i) = (p / inner, p % inner)
                let row = (0 ..< classes).map { c in Wide(x[(b * classes + c) * inner + i]) }
                if y[p] < 0 || w[p] == 0 {
                    #expect(sameBits(run.loss[p], 0), "p=\(p)")
                    for c in 0 ..< classes { #expect(sameBits(run.grad[(b * classes + c) * inner + i], 0), "p=\(p) c=\(c)") }
                    continue
                }
                let r = poly1SoftmaxReference(row, y: Int(y[p]), a: Wide(alpha[Int(y[p])]), gamma: 2, epsilon: Wide(epsilon))
                let we = Wide(w[p])
                #expect(relative(run.loss[p], r.loss * we, scale: r.lossScale * we) <= doubleBound, "p=\(p) ε=\(epsilon)")
                for c in 0 ..< classes {
                    #expect(relative(run.grad[(b * classes + c) * inner + i], r.grad[c] * we, scale: r.gradScale[c] * we) <= doubleBound,
                            "p=\(p) c=\(c) ε=\(epsilon)")
                }
            }
            options.reduction = .sum
            let sum = try softmaxWeighted(x, y, w, (batch, classes, inner), alpha: alpha, options: options)
            #expect(sum.loss[0].isFinite && sum.grad.allSatisfy(\.isFinite))
        }
    }

    /// The labels call with Poly-1 is the dense call on the kept elements' one-hot targets, bit
    /// for bit (the labels' contract), both tiers.
    @Test(arguments: [Precision.exact, .fast])
    func labelsAreTheDenseCall(precision: Precision) throws {
        var rng = SplitMix(seed: 1414)
        for (batch, classes, inner) in [(7, 3, 1), (5, 4, 7), (300, 80, 1)] {
            let n = batch * classes * inner, positions = batch * inner
            let x = (0 ..< n).map { _ in Float(Double.random(in: -12 ... 12, using: &rng)) }
            let labels: [Int64] = (0 ..< positions).map { p in p % 3 == 1 ? -100 : Int64(Int.random(in: 0 ... classes, using: &rng)) }
            func position(_ e: Int) -> Int { (e / (classes * inner)) * inner + e % inner }
            var keptX: [Float] = [], keptT: [Float] = [], keptIndex = [Int?](repeating: nil, count: n)
            for e in 0 ..< n where labels[position(e)] != -100 {
                keptIndex[e] = keptX.count
                keptX.append(x[e]); keptT.append(labels[position(e)] == Int64((e / inner) % classes) ? 1 : 0)
            }
            for (alpha, gamma, epsilon) in [(0.25, 2.0, 1.0), (nil, 0, -1), (nil, 0.5, -0.5)] as [(Double?, Double, Double)] {
                for reduction in Reduction.allCases {
                    var options = SigmoidFocalOptions()
                    options.alpha = alpha; options.gamma = gamma; options.poly1Epsilon = epsilon
                    options.reduction = reduction; options.precision = precision
                    let run = try labelsWeighted(x, labels, nil, .perElement, (batch, classes, inner), options: options)
                    let dense = try sigmoidWeighted(keptX, keptT, nil, .perElement, (1, 1, keptX.count), options: options)
                    var bad = 0
                    for e in 0 ..< n {
                        if let k = keptIndex[e] {
                            if !sameBits(run.grad[e], dense.grad[k]) { bad += 1 }
                            if reduction == .none && !sameBits(run.loss[e], dense.loss[k]) { bad += 1 }
                        } else if !sameBits(run.grad[e], 0) || (reduction == .none && !sameBits(run.loss[e], 0)) {
                            bad += 1
                        }
                    }
                    #expect(bad == 0, "\(batch)x\(classes)x\(inner) ε=\(epsilon) \(reduction): \(bad) differ")
                    if reduction != .none { #expect(sameBits(run.loss[0], dense.loss[0])) }
                }
            }
        }
    }
}

// MARK: - Reductions, weights, statistics, accumulation, threads

/// The same bytes (bitwise equality, NaN payloads included), compared as raw memory: fast where
/// `sameArrays` would run unspecialized in a generic context (100k-element arrays).
func sameBytes<T>(_ a: [T], _ b: [T]) -> Bool {
    a.count == b.count && (a.isEmpty || a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 } })
}

struct FamilyReductionTests {
    let x: [Double] = [-3, -0.5, 0, 0.25, 2, 7, -9, 1.5, 40, -0.125, 3.5, -12]
    let t: [Double] = [0, 1, 0.375, 1, 0, 1, 0, 0.75, 0, 0.5, 1, 0.25]

    @Test(arguments: representativeCases)
    func sumMeanAndNormalizer(_ c: FamilyCase) throws {
        var options = c.options
        let none = try sigmoid(Double.self, logits: x, targets: t, options: options)
        let exactSum = none.loss.map { Wide($0) }.reduce(0, +)
        let scale = none.loss.map { abs(Wide($0)) }.reduce(0, +)
        let n = Double(x.count)
        options.reduction = .sum
        let sum = try sigmoid(Double.self, logits: x, targets: t, options: options, gradLoss: [2])
        #expect(relative(sum.loss[0], exactSum, scale: scale) <= 1e-15, "\(c.testDescription)")
        #expect(zip(sum.grad, none.grad).allSatisfy { $0 == 2 * $1 }, "\(c.testDescription)")
        options.reduction = .mean
        let mean = try sigmoid(Double.self, logits: x, targets: t, options: options)
        #expect(relative(mean.loss[0], exactSum / Wide(n), scale: scale / Wide(n)) <= 1e-15, "\(c.testDescription)")
        #expect(zip(mean.grad, none.grad).allSatisfy { abs($0 - $1 / n) <= 1e-16 * abs($1) }, "\(c.testDescription)")
        options.normalizer = 2.5
        let normalized = try sigmoid(Double.self, logits: x, targets: t, options: options, gradLoss: [0.5])
        #expect(relative(normalized.loss[0], exactSum / 2.5, scale: scale / 2.5) <= 1e-15, "\(c.testDescription)")
        #expect(zip(normalized.grad, none.grad).allSatisfy { abs($0 - 0.5 * $1 / 2.5) <= 1e-16 * abs($1) }, "\(c.testDescription)")
        // The reduced losses of float32 calls too.
        options.normalizer = nil; options.reduction = .sum
        let sum32 = try sigmoid(Float.self, logits: x, targets: t, options: options)
        #expect(ulps(sum32.loss[0], exactSum) <= 2, "\(c.testDescription): f32 sum \(sum32.loss[0]) vs \(exactSum)")
    }

    @Test(arguments: representativeCases)
    func accumulateAddsIntoTheGradient(_ c: FamilyCase) throws {
        var options = c.options
        options.reduction = .mean
        let fresh = try sigmoid(Double.self, logits: x, targets: t, options: options)
        options.accumulateGradient = true
        var out = Outputs(loss: [0.0], grad: (0 ..< x.count).map { Double($0) - 3.5 })
        let start = out.grad
        try runSigmoid(x, t, nil, options, &out)
        #expect(out.grad == zip(start, fresh.grad).map { $0 + $1 }, "\(c.testDescription)")
        #expect(sameBits(out.loss[0], fresh.loss[0]))
    }

    /// Per-element weights multiply each element's loss and gradient (f64: bit for bit, as the
    /// product is the kernel's own); per-position weights are per-element ones broadcast; all-ones
    /// and nil weights are the unweighted call; statistics.
    @Test(arguments: representativeCases)
    func weightsAndStatistics(_ c: FamilyCase) throws {
        var rng = SplitMix(seed: 1420)
        let (batch, classes, inner) = (5, 4, 7)
        let n = batch * classes * inner, positions = batch * inner
        let x = (0 ..< n).map { _ in Double(Float(Double.random(in: -15 ... 15, using: &rng))) }
        let targetCycle: [Double] = [0, 1, 0.5, 0, 0.25, 0, 1, 0.75]
        let t: [Double] = (0 ..< n).map { (k: Int) -> Double in targetCycle[k % 8] }
        let wElement: [Double] = (0 ..< n).map { (k: Int) -> Double in k % 11 == 3 ? 0 : Double(k % 5) * 0.5 + 0.25 }
        let wPosition: [Double] = (0 ..< positions).map { (p: Int) -> Double in p % 6 == 1 ? 0 : Double(p % 3) + 0.5 }
        let expanded = (0 ..< n).map { e in wPosition[(e / (classes * inner)) * inner + e % inner] }
        let targetSum = t.reduce(0, +)
        for reduction in Reduction.allCases {
            for precision in [Precision.exact, .fast] {
                var options = c.options
                options.reduction = reduction; options.precision = precision
                let context = "\(c.testDescription) \(reduction) \(precision)"
                let plain = try sigmoidWeighted(x, t, nil, .perElement, (batch, classes, inner), options: options)
                let ones = try sigmoidWeighted(x, t, [Double](repeating: 1, count: n), .perElement, (batch, classes, inner), options: options)
                let onesPosition = try sigmoidWeighted(x, t, [Double](repeating: 1, count: positions), .perPosition,
                                                       (batch, classes, inner), options: options)
                var dense = Outputs(loss: [Double](repeating: -7, count: reduction == .none ? n : 1), grad: [Double](repeating: -7, count: n))
                try runSigmoid(x, t, nil, options, &dense)
                #expect(sameArrays(plain.loss, dense.loss) && sameArrays(plain.grad, dense.grad), "nil weights \(context)")
                #expect(sameArrays(ones.loss, dense.loss) && sameArrays(ones.grad, dense.grad), "ones \(context)")
                #expect(sameArrays(onesPosition.loss, dense.loss) && sameArrays(onesPosition.grad, dense.grad), "ones per position \(context)")
                let weighted = try sigmoidWeighted(x, t, wElement, .perElement, (batch, classes, inner), options: options)
                if reduction == .none {
                    #expect(sameArrays(weighted.loss, zip(wElement, plain.loss).map { $0 == 0 ? 0 : $0 * $1 }), "weighted loss \(context)")
                    #expect(sameArrays(weighted.grad, zip(wElement, plain.grad).map { $0 == 0 ? 0 : $0 * $1 }), "weighted grad \(context)")
                } else {
                    var unreduced = options
                    unreduced.reduction = .none
                    let losses = try sigmoid(Double.self, logits: x, targets: t, options: unreduced).loss
                    let exact = zip(wElement, losses).map { Wide($0) * Wide($1) }.reduce(0, +)
                    let scale = zip(wElement, losses).map { Wide($0) * abs(Wide($1)) }.reduce(0, +)
                    let divisor = reduction == .mean ? Wide(n) : 1
                    #expect(relative(weighted.loss[0], exact / divisor, scale: scale / divisor) <= 1e-14, "weighted \(context)")
                }
                let a = try sigmoidWeighted(x, t, wPosition, .perPosition, (batch, classes, inner), options: options)
                let b = try sigmoidWeighted(x, t, expanded, .perElement, (batch, classes, inner), options: options)
                #expect(sameArrays(a.loss, b.loss) && sameArrays(a.grad, b.grad) && a.stats == b.stats, "per position \(context)")
                // Statistics: Σt, Σw, the divisor.
                let divisor = reduction == .mean ? Double(n) : 1
                #expect(weighted.stats == FocalStats(positives: targetSum, weightSum: wElement.reduce(0, +), divisor: divisor), "stats \(context)")
                #expect(plain.stats == FocalStats(positives: targetSum, weightSum: Double(n), divisor: divisor), "stats \(context)")
                // Float32 weighted against the float-rounded reference times the weight.
                if reduction == .none {
                    let f = try sigmoidWeighted(x.map { Float($0) }, t.map { Float($0) }, wElement.map { Float($0) }, .perElement,
                                                (batch, classes, inner), options: options)
                    for e in 0 ..< n {
                        let r = c.reference(x: x[e], t: t[e])
                        let we = Wide(wElement[e])
                        var lossUlps = ulps(f.loss[e], r.loss * we)
                        if lossUlps > floatUlpBound, relative(f.loss[e].double, r.loss * we, scale: r.lossScale * we) <= 1e-7 { lossUlps = 0 }
                        #expect(lossUlps <= floatUlpBound, "f32 weighted loss e=\(e) \(context)")
                        #expect(relative(f.grad[e].double, r.grad * we, scale: r.gradScale * we) <= 2e-7, "f32 weighted grad e=\(e) \(context)")
                    }
                }
            }
        }
        var options = c.options
        options.reduction = .mean; options.normalizer = 4
        let normalized = try sigmoidWeighted(x, t, wElement, .perElement, (batch, classes, inner), options: options)
        #expect(normalized.stats == FocalStats(positives: targetSum, weightSum: wElement.reduce(0, +), divisor: 4))
    }

    @Test(arguments: representativeCases)
    func zeroWeightMasksNaNAndInfinity(_ c: FamilyCase) throws {
        let x: [Float] = [.nan, .infinity, -.infinity, 3, .nan, 2, .infinity, -.infinity]
        let t: [Float] = [1, 0, 1, 0.5, 0, 1, 0.5, 0.25]
        let w: [Float] = [0, 0, 0, 0, 2, 1, 0, 0]
        let run = try sigmoidWeighted(x, t, w, .perElement, (1, 8, 1), options: c.options)
        for e in [0, 1, 2, 3, 6, 7] { #expect(sameBits(run.loss[e], 0) && sameBits(run.grad[e], 0), "\(c.testDescription) element \(e)") }
        #expect(run.loss[4].isNaN && run.grad[4].isNaN, "\(c.testDescription)")
        var options = c.options
        options.reduction = .sum
        let sum = try sigmoidWeighted(x, t, [0, 0, 0, 0, 0, 1, 0, 0], .perElement, (1, 8, 1), options: options)
        #expect(sum.loss[0].isFinite && sum.grad.allSatisfy { $0.isFinite }, "\(c.testDescription)")
        let rowX: [Float] = [.nan, .infinity, -.infinity, .nan, 3, -2, 0.5, 7]
        let rows = try sigmoidWeighted(rowX, t, [0, 1], .perPosition, (2, 4, 1), options: options)
        #expect(rows.loss[0].isFinite && rows.grad[0 ..< 4].allSatisfy { sameBits($0, 0) }, "\(c.testDescription)")
        #expect(rows.grad[4 ..< 8].allSatisfy { $0.isFinite }, "\(c.testDescription)")
    }

    /// ≥ 100,000 elements (several chunks), infinite logits and soft targets mixed in: the
    /// results (losses, gradients, statistics) are bitwise the same on 1, 2, 3 and 4 threads, for
    /// both storage types and both tiers (each with its own weights and reduction, to keep the
    /// number of 100k-element calls down).
    /// A block of 0/1 targets runs the family elements' hard forms alone, and a block without an
    /// infinite logit takes plain products where the limits are taken: an element gives the same
    /// bits whichever kind its block (the kernels' `sigmoidBlock`, 256 elements) is, for every
    /// loss and parameter set, storage type, tier and instruction set.
    @Test(arguments: familyCases.filter { if case .family = $0.kind { true } else { false } })
    func bitsDoNotDependOnTheirBlock(_ c: FamilyCase) throws {
        var rng = SplitMix(seed: 1431)
        let block = 256  // the kernels' `sigmoidBlock`
        let n = 3 * block
        // Saturated logits (|x| > 745: s̄ or s, and log s or log s̄, are 0) in every block, where
        // the signs of zeros differ between a limit and a plain product.
        var finite: [Double] = (0 ..< n).map { k in
            k % 17 == 3 ? (k % 2 == 0 ? 800 : -800) : Double.random(in: -30 ... 30, using: &rng)
        }
        finite[13] = 0; finite[14] = 1e-320
        // The same with infinite logits in the first two blocks.
        let infinities = [11, 12, block + 44, block + 45]
        var x = finite
        for (k, i) in infinities.enumerated() { x[i] = k % 2 == 0 ? .infinity : -.infinity }
        let hard: [Double] = (0 ..< n).map { k in k % 3 == 0 ? 1 : 0 }
        // A soft target in each of the first two blocks; the third stays hard in both runs.
        var mixed = hard
        mixed[7] = 0.375; mixed[block + 200] = 0.9
        func compare<T: Storage>(_: T.Type) throws {
            for isa in runnableInstructionSets {
                for precision in [Precision.exact, .fast] {
                    var options = c.options
                    options.instructionSet = isa; options.precision = precision
                    let alone = try sigmoid(T.self, logits: x, targets: hard, options: options)
                    let beside = try sigmoid(T.self, logits: x, targets: mixed, options: options)
                    let withoutInfinities = try sigmoid(T.self, logits: finite, targets: hard, options: options)
                    for i in 0 ..< n {
                        let pair = [alone.loss[i], alone.grad[i]]
                        let context = "\(c.testDescription) \(T.self) \(isa) \(precision) x=\(x[i]) t=\(hard[i])"
                        if hard[i] == mixed[i] {
                            #expect(sameBytes(pair, [beside.loss[i], beside.grad[i]]), "soft block: \(context)")
                        }
                        if !infinities.contains(i) {
                            #expect(sameBytes(pair, [withoutInfinities.loss[i], withoutInfinities.grad[i]]),
                                    "finite block: \(context)")
                        }
                    }
                }
            }
        }
        try compare(Float.self)
        try compare(Double.self)
    }

    @Test(arguments: threadCases)
    func bitwiseIdenticalForEveryThreadCount(_ c: FamilyCase) throws {
        var rng = SplitMix(seed: 1430)
        let n = 100_003
        let x: [Double] = (0 ..< n).map { (k: Int) -> Double in
            k % 5003 == 17 ? (k % 2 == 0 ? .infinity : -.infinity) : Double.random(in: -12 ... 12, using: &rng)
        }
        let t: [Double] = (0 ..< n).map { (k: Int) -> Double in k % 7 == 0 ? 1 : (k % 13 == 4 ? 0.375 : 0) }
        let w: [Double] = randomWeights(n, &rng)
        func runs<T: WeightedStorage>(_: T.Type, precision: Precision, weighted: Bool, reduction: Reduction) throws {
            let xs = x.map { T($0) }, ts = t.map { T($0) }
            let ws: [T]? = weighted ? w.map { T($0) } : nil
            var first: WeightedRun<T>? = nil
            for threads in [1, 2, 3, 4] {
                var options = c.options
                options.threads = threads; options.precision = precision; options.reduction = reduction
                let run = try sigmoidWeighted(xs, ts, ws, .perElement, (1, 1, n), options: options)
                if let first {
                    #expect(sameBytes(run.loss, first.loss) && sameBytes(run.grad, first.grad) && run.stats == first.stats,
                            "\(c.testDescription) \(T.self) \(precision) \(reduction) weighted \(weighted) threads=\(threads)")
                } else {
                    first = run
                }
            }
        }
        try runs(Float.self, precision: .exact, weighted: true, reduction: .mean)
        try runs(Float.self, precision: .fast, weighted: false, reduction: .none)
        try runs(Double.self, precision: .exact, weighted: true, reduction: .none)
        try runs(Double.self, precision: .fast, weighted: false, reduction: .sum)
    }

    @Test func softmaxPoly1BitwiseIdenticalForEveryThreadCount() throws {
        var rng = SplitMix(seed: 1431)
        for (batch, classes, inner) in [(12_500, 8, 1), (4, 5, 5_000)] {
            let positions = batch * inner, n = positions * classes
            let x = (0 ..< n).map { _ in Double.random(in: -10 ... 10, using: &rng) }
            let y: [Int64] = (0 ..< positions).map { p in p % 9 == 4 ? -100 : Int64(Int.random(in: 0 ..< classes, using: &rng)) }
            let w: [Double] = randomWeights(positions, &rng)
            let alpha = (0 ..< classes).map { Double($0 % 4) * 0.5 + 0.25 }
            func runs<T: FocalScalar>(_: T.Type, precision: Precision, reduction: Reduction) throws {
                let xs = x.map { T($0) }, ws = w.map { T($0) }
                var first: WeightedRun<T>? = nil
                for threads in [1, 2, 3, 4] {
                    var options = SoftmaxFocalOptions()
                    options.gamma = 2; options.poly1Epsilon = -1.0 / 3; options.threads = threads
                    options.precision = precision; options.reduction = reduction
                    let run = try softmaxWeighted(xs, y, ws, (batch, classes, inner), alpha: alpha, options: options)
                    if let first {
                        #expect(sameBytes(run.loss, first.loss) && sameBytes(run.grad, first.grad) && run.stats == first.stats,
                                "\(batch)x\(classes)x\(inner) \(T.self) \(precision) \(reduction) threads=\(threads)")
                    } else {
                        first = run
                    }
                }
            }
            try runs(Float.self, precision: .exact, reduction: .none)
            try runs(Float.self, precision: .fast, reduction: .mean)
            try runs(Double.self, precision: .exact, reduction: .none)
        }
    }
}

// MARK: - Errors

struct FamilyErrorTests {
    /// Runs a sigmoid call that must fail, and checks that no output was touched.
    func expectFailure(_ kind: FocalError.Kind, _ mentions: String, options: SigmoidFocalOptions,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let x: [Float] = [0.5, -1, 2], t: [Float] = [1, 0, 0.5]
        let sentinel = Float(-12345)
        var out = Outputs(loss: [Float](repeating: sentinel, count: options.reduction == .none ? x.count : 1),
                          grad: [Float](repeating: sentinel, count: x.count))
        do {
            try runSigmoid(x, t, nil, options, &out)
            Issue.record("expected \(kind) (\(mentions))", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == kind, "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.contains(mentions), "\(error.message)", sourceLocation: sourceLocation)
        }
        #expect(out.loss.allSatisfy { $0 == sentinel } && out.grad.allSatisfy { $0 == sentinel }, sourceLocation: sourceLocation)
        // The weighted entry point too.
        do {
            _ = try sigmoidWeighted(x, t, [1, 1, 1], .perElement, (1, 3, 1), options: options)
            Issue.record("weighted: expected \(kind) (\(mentions))", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == kind, "\(error.message)", sourceLocation: sourceLocation)
        }
    }

    func expectSuccess(_ options: SigmoidFocalOptions, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let out = try sigmoid(Double.self, logits: [0.5, -1, 2], targets: [1, 0, 0.5], options: options)
            #expect(out.loss.allSatisfy { !$0.isNaN }, sourceLocation: sourceLocation)
        } catch {
            Issue.record("refused: \(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test func familyParameters() {
        func o(_ f: SigmoidFamilyLoss) -> SigmoidFocalOptions { SigmoidFocalOptions(family: f) }
        for gamma in [0, -1, -0.0, .nan, .infinity, -.infinity] {
            expectFailure(.invalidGamma, "gamma", options: o(.focalStar(alpha: nil, gamma: gamma, beta: 0)))
        }
        for beta in [Double.nan, .infinity, -.infinity] {
            expectFailure(.invalidParameter, "beta", options: o(.focalStar(alpha: nil, gamma: 1, beta: beta)))
        }
        for alpha in [-0.5, 1.5, .nan] {
            expectFailure(.invalidAlpha, "alpha", options: o(.focalStar(alpha: alpha, gamma: 1, beta: 0)))
        }
        for gamma in [-1, -1e-300, .nan, .infinity] {
            expectFailure(.invalidGamma, "gamma_pos", options: o(.asymmetric(gammaPositive: gamma, gammaNegative: 4, margin: 0.05)))
            expectFailure(.invalidGamma, "gamma_neg", options: o(.asymmetric(gammaPositive: 1, gammaNegative: gamma, margin: 0.05)))
        }
        for margin in [-0.1, -1e-300, 1.5, 1 + 1e-15, .nan, .infinity] {
            expectFailure(.invalidParameter, "margin", options: o(.asymmetric(gammaPositive: 1, gammaNegative: 4, margin: margin)))
        }
        for beta in [-1, -1e-300, .nan, .infinity] {
            expectFailure(.invalidParameter, "beta", options: o(.quality(beta: beta)))
        }
        for alpha in [-0.1, .nan, .infinity] {
            expectFailure(.invalidAlpha, "alpha", options: o(.varifocal(alpha: alpha, gamma: 2, iouWeighted: true)))
        }
        for gamma in [-1, .nan, .infinity] {
            expectFailure(.invalidGamma, "gamma", options: o(.varifocal(alpha: 0.75, gamma: gamma, iouWeighted: false)))
        }
        // The edges are accepted.
        expectSuccess(o(.focalStar(alpha: 1, gamma: 1e-300, beta: -1e300)))
        expectSuccess(o(.asymmetric(gammaPositive: 0, gammaNegative: 0, margin: 0)))
        expectSuccess(o(.asymmetric(gammaPositive: 0, gammaNegative: 0, margin: 1)))
        expectSuccess(o(.quality(beta: 0)))
        expectSuccess(o(.varifocal(alpha: 0, gamma: 0, iouWeighted: true)))
        expectSuccess(o(.varifocal(alpha: 7.5, gamma: 0, iouWeighted: false)))
    }

    @Test func familyDoesNotReadTheFocalParameters() throws {
        // alpha, gamma and poly1Epsilon are not read with a family loss (SigmoidFocalOptions.family).
        let family = SigmoidFamilyLoss.quality(beta: 2)
        var odd = SigmoidFocalOptions(family: family)
        odd.alpha = 7; odd.gamma = .nan; odd.poly1Epsilon = -5
        let a = try sigmoid(Double.self, logits: [0.5, -1, 2], targets: [1, 0, 0.5], options: odd)
        let b = try sigmoid(Double.self, logits: [0.5, -1, 2], targets: [1, 0, 0.5], options: SigmoidFocalOptions(family: family))
        #expect(sameArrays(a.loss, b.loss) && sameArrays(a.grad, b.grad))
    }

    @Test func poly1Epsilon() {
        for gamma in [0, 0.5, 2, 3.7] {
            var options = SigmoidFocalOptions()
            options.gamma = gamma
            let bound = -1 / (gamma + 1)
            for epsilon in [bound.nextDown, bound - 0.01, -10, .nan, .infinity, -.infinity] {
                options.poly1Epsilon = epsilon
                expectFailure(.invalidParameter, "poly1_epsilon", options: options)
            }
            for epsilon in [bound, bound.nextUp, 0.5, 1e6] {
                options.poly1Epsilon = epsilon
                expectSuccess(options)
            }
        }
    }

    /// A softmax call that must fail writes nothing.
    func expectSoftmaxFailure(_ kind: FocalError.Kind, _ mentions: String, options: SoftmaxFocalOptions,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        let x: [Double] = [1, 2, 3, -1, 0, 4], y = [0, 2]
        var out = Outputs(loss: [Double](repeating: -7, count: options.reduction == .none ? 2 : 1), grad: [Double](repeating: -7, count: 6))
        do {
            try runSoftmax(x, y, batch: 2, classes: 3, inner: 1, alpha: nil, options: options, upstream: nil, int32Targets: false, &out)
            Issue.record("expected \(kind) (\(mentions))", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == kind, "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.contains(mentions), "\(error.message)", sourceLocation: sourceLocation)
        }
        #expect(out.loss.allSatisfy { $0 == -7 } && out.grad.allSatisfy { $0 == -7 }, sourceLocation: sourceLocation)
    }

    @Test func softmaxPoly1() throws {
        for gamma in [0, 0.5, 2] {
            var options = SoftmaxFocalOptions()
            options.gamma = gamma
            let bound = -1 / (gamma + 1)
            for epsilon in [bound.nextDown, -3, .nan, .infinity] {
                options.poly1Epsilon = epsilon
                expectSoftmaxFailure(.invalidParameter, "poly1_epsilon", options: options)
            }
            options.poly1Epsilon = bound
            _ = try softmax(Double.self, logits: [1, 2, 3], targets: [1], batch: 1, classes: 3, options: options)
        }
        var options = SoftmaxFocalOptions()
        options.poly1Epsilon = 0.5; options.labelSmoothing = 0.1
        expectSoftmaxFailure(.invalidParameter, "poly1_epsilon", options: options)
        expectSoftmaxFailure(.invalidParameter, "label_smoothing", options: options)
        options.poly1Epsilon = 0
        _ = try softmax(Double.self, logits: [1, 2, 3], targets: [1], batch: 1, classes: 3, options: options)
    }

    @Test func labelsRefuseAFamily() {
        let x: [Double] = [1, 2, 3, 4, 5, 6]
        for family in [SigmoidFamilyLoss.quality(beta: 2), .focalStar(alpha: nil, gamma: 1, beta: 0),
                       .asymmetric(gammaPositive: 1, gammaNegative: 4, margin: 0.05), .varifocal(alpha: 0.75, gamma: 2, iouWeighted: true)] {
            var caught: FocalError? = nil
            do { _ = try labelsWeighted(x, [0, 1], nil, .perElement, (2, 3, 1), options: SigmoidFocalOptions(family: family)) } catch { caught = error }
            #expect(caught?.kind == .invalidParameter && caught?.message.contains("family") == true, "\(String(describing: caught))")
        }
        // Poly-1 is accepted there.
        var options = SigmoidFocalOptions()
        options.poly1Epsilon = 1
        #expect(throws: Never.self) { _ = try labelsWeighted(x, [0, 1], nil, .perElement, (2, 3, 1), options: options) }
    }

    @Test func gradHessAndInitScoresRefusePoly1AndFamilies() {
        var poly = SigmoidFocalOptions()
        poly.poly1Epsilon = 0.5
        let family = SigmoidFocalOptions(family: .quality(beta: 2))
        for (options, mentions) in [(poly, "poly1_epsilon"), (family, "family")] {
            var grad = [Double](repeating: -7, count: 3), hess = [Double](repeating: -7, count: 3)
            var caught: FocalError? = nil
            do {
                try [0.5, -1.0, 2].withUnsafeBufferPointer { xb in
                    try [1.0, 0, 0.5].withUnsafeBufferPointer { tb in
                        try grad.withUnsafeMutableBufferPointer { gb in
                            try hess.withUnsafeMutableBufferPointer { hb in
                                try FocalGradHess.sigmoid(logits: xb, targets: tb, weights: nil, layout: .perElement, batch: 1, classes: 3,
                                                          inner: 1, options: options, mode: .exact, gradient: gb, hessian: hb)
                            }
                        }
                    }
                }
            } catch { caught = error as? FocalError }
            #expect(caught?.kind == .invalidParameter && caught?.message.contains(mentions) == true, "grad-hess: \(String(describing: caught))")
            #expect(grad.allSatisfy { $0 == -7 } && hess.allSatisfy { $0 == -7 })
            var scores = [Double](repeating: -7, count: 3)
            caught = nil
            do {
                try [1.0, 0, 0.5, 0, 1, 0].withUnsafeBufferPointer { tb in
                    try scores.withUnsafeMutableBufferPointer { sb in
                        try FocalGradHess.sigmoidInitScores(targets: tb, weights: nil, layout: .perElement, batch: 2, classes: 3, inner: 1,
                                                            options: options, scores: sb)
                    }
                }
            } catch { caught = error as? FocalError }
            #expect(caught?.kind == .invalidParameter && caught?.message.contains(mentions) == true, "init scores: \(String(describing: caught))")
            #expect(scores.allSatisfy { $0 == -7 })
        }
        var softmaxOptions = SoftmaxFocalOptions()
        softmaxOptions.poly1Epsilon = 0.5
        var grad = [Double](repeating: -7, count: 6), hess = [Double](repeating: -7, count: 6)
        var caught: FocalError? = nil
        do {
            try [1.0, 2, 3, -1, 0, 4].withUnsafeBufferPointer { xb in
                try [Int64(0), 2].withUnsafeBufferPointer { yb in
                    try grad.withUnsafeMutableBufferPointer { gb in
                        try hess.withUnsafeMutableBufferPointer { hb in
                            try FocalGradHess.softmax(logits: xb, targets: yb, weights: nil, batch: 2, classes: 3, inner: 1,
                                                      options: softmaxOptions, mode: .exact, gradient: gb, hessian: hb)
                        }
                    }
                }
            }
        } catch { caught = error as? FocalError }
        #expect(caught?.kind == .invalidParameter && caught?.message.contains("poly1_epsilon") == true, "softmax grad-hess: \(String(describing: caught))")
        #expect(grad.allSatisfy { $0 == -7 } && hess.allSatisfy { $0 == -7 })
        var scores = [Double](repeating: -7, count: 3)
        caught = nil
        do {
            try [Int64(0), 2].withUnsafeBufferPointer { yb in
                try scores.withUnsafeMutableBufferPointer { sb in
                    try FocalGradHess.softmaxInitScores(targets: yb, weights: nil, batch: 2, classes: 3, inner: 1,
                                                        options: softmaxOptions, scores: sb)
                }
            }
        } catch { caught = error as? FocalError }
        #expect(caught?.kind == .invalidParameter && caught?.message.contains("poly1_epsilon") == true, "softmax init scores: \(String(describing: caught))")
        #expect(scores.allSatisfy { $0 == -7 })
    }
}
