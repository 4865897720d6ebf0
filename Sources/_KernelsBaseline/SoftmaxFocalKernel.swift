import _KernelInterface

/// One class's focal term of a softmax row, from its log-probability `u = log p_c ≤ 0`.
///
/// With `m = 1 − p = −expm1(u)` (never `1 − p` by subtraction), the term is
/// `f(u) = −m^γ·u`. Its derivative with respect to `u`, using `dm/du = −p`, is
///   `f'(u) = −m^γ + γ·p·u·m^{γ−1} = −m^γ·(1 − γ·p·ρ)`,  with  `ρ = u / m ∈ [u, −1]`,
/// which is ≤ 0 with no cancellation (`ρ ≤ 0`), and bounded at γ < 1 where `m^{γ−1}` is not:
/// `ρ → −1` as `p → 1` (`u = 0` exactly gives `m = 0`; the limit −1 is used).
struct SoftmaxClassTerm {
    let p: Double
    let m: Double
    let focus: Double       // m^γ
    let value: Double       // f(u)
    let derivative: Double  // f'(u)

    @inline(__always)
    init<Law: FocusingLaw>(logP u: Double, gamma: Double, law: Law) {
        p = FastMath.exp(u)
        m = -FastMath.expm1(u)
        focus = law(m, log: FastMath.log(m))
        value = -focus * u
        let rho = m > 0 ? u / m : -1
        // p·ρ = p·u/m is bounded (→ −1 as p → 1, → 0 as p → 0), so it is formed before γ multiplies it.
        // A −∞ logit has p = 0 and u = −∞: the limit 0 (for a finite u, p = 0 only where it
        // underflowed, and p·ρ is 0 too).
        let pRho = p == 0 ? 0 : p * rho
        derivative = -focus * (1 - gamma * pRho)
    }
}

/// Poly-1's target-class terms: `ℓ = a·f(u) + ε·m^{γ+1}` and `K = a·f'(u) − ε·(γ + 1)·m^γ·p`
/// for `u = log p`, `m = 1 − p`, `a = a_y` (the focal term's weight). Near p = 1 with
/// `a + ε ≈ 0` both cancel (ε = −1 at γ = 0, a = 1: `−log p − (1 − p) ≈ m²/2`), so they are
/// written around it, with `−u − m = Σ_{k≥2} m^k/k` and `1 + p·ρ = (m + p·u)/m =
/// Σ_{k≥2} m^{k−1}/(k(k − 1))` (ρ = u/m) as series where m < 2^-10 (truncation below 2^-52
/// relative) and directly above (at most 11 bits cancel):
///   `ℓ = m^γ·[(a + ε)·m + a·(−u − m)]`,
///   `K = −m^γ·[(γ + 1)·(a + ε) − a·γ·(1 + p·ρ) − ε·(γ + 1)·m]`.
@inline(__always)
func poly1TargetTerms(_ term: SoftmaxClassTerm, logP u: Double, weight a: Double, epsilon: Double, gamma: Double)
    -> (value: Double, k: Double) {
    let m = term.m, p = term.p
    let small = m < 0x1p-10
    let tail = small ? m * m * (0.5 + m * (1.0 / 3 + m * (0.25 + m * (0.2 + m * (1.0 / 6))))) : -u - m
    let rho = m > 0 ? u / m : -1
    let onePlusPRho = small
        ? m * (0.5 + m * (1.0 / 6 + m * (1.0 / 12 + m * (1.0 / 20 + m * (1.0 / 30 + m * (1.0 / 42))))))
        : (p == 0 ? 1 : 1 + p * rho)
    let sum = a + epsilon
    // A target logit of −∞ (u = −∞, m = 1): the focal term is +∞ unless a = 0.
    let focal = a == 0 ? 0 : a * tail
    let value = term.focus * (sum * m + focal)
    let k = -term.focus * ((gamma + 1) * sum - a * gamma * onePlusPRho - epsilon * (gamma + 1) * m)
    return (value, k)
}

// The softmax focal loss and its gradient (DESIGN §1.2), per target position, with
// `a_c = α_c·q_c` and `D_c = f'(log p_c)`:
//   `ℓ = Σ_c a_c·f(log p_c)` and, since `∂ log p_c / ∂x_j = [c = j] − p_j`,
//   `∂ℓ/∂x_j = a_j·D_j − p_j·K`,  `K = Σ_c a_c·D_c`.
// Written as `a_j·D_j·(1 − p_j) − p_j·(K − a_j·D_j)`, both parts keep their sign, and the
// target class at `p_y → 1` gives `a_y·D_y·m_y` without the cancellation of `a_y·D_y − p_y·a_y·D_y`.
// Without smoothing only `a_y` is non-zero, so `K − a_y·D_y` is exactly 0: the target class
// gets `K·m_y` and every other class `−p_j·K`.
//
// `log p_c` comes from log-sum-exp around the row's maximum `M`: with `d_c = x_c − M` and
// `S' = Σ_{c: d_c ≠ 0} e^{d_c} + (number of c with d_c = 0) − 1` (every term but one maximum),
// `log p_c = d_c − log1p(S')`, exact where `p_c → 1`, and `p_c = e^{d_c} / (1 + S')`.
//
// Two layouts: `inner = 1` (rows of C contiguous classes: reductions along a row) and
// `inner > 1` (a class's logits of consecutive positions are contiguous: a tile of positions
// is processed at once, every reduction runs down the classes, element by element across the
// tile). Both loop over plain arrays, without branches, so the loops vectorize.
// Rows of few classes (`inner = 1`, C < `softmaxTransposedClasses`) would leave the row loops
// mostly remainders: a group of them is transposed into a (C × rows) tile in the scratch and
// takes the tile path, vectorized across rows, its sums added in the row path's order (in the
// exact tier).
//
// Tiers: the kernel is generic over its arithmetic `A` (KernelScalar.swift). What runs once per
// element, e^{d_c} and the gradient, is in A's type: double in the exact tier, float32 in the fast
// tier (`x_c − M` as an exact two-sum, e^{d_c} scaled by 2^64 so that tiny terms stay normal, the
// sums across classes in double or as a float32 two-sum). What runs once per position (maxima,
// log Z, the target's class term and focusing factor) is double in both, so the laws are shared.

/// Doubles of stack scratch per softmax chunk (32 KiB): the group's e^{d_c}.
let softmaxScratch = 4096
/// Positions per group at most: consecutive rows (`inner = 1`) or a tile of consecutive
/// positions of one batch item (`inner > 1`).
let softmaxGroup = 64
/// Per-position arrays of a group, and the lane-summed blocks of a row.
let softmaxPositionArrays = 22
/// Rows of fewer classes than this (at `inner = 1`) are transposed into tiles. At C = 10 the
/// row loops are one vector and a scalar remainder of 2 per row; across 64 rows every loop is
/// whole vectors. From 16 classes on a row fills two AVX-512 vectors of doubles, and the row
/// loops are whole vectors again (the threshold was not tuned further).
let softmaxTransposedClasses = 16

/// The weight `a_c = α_c·q_c` of class `c` for target `y`.
struct ClassWeights {
    let alpha: UnsafePointer<Double>?
    let smoothing: Double
    let share: Double  // ε / C

    @inline(__always)
    func callAsFunction(_ c: Int, target y: Int) -> Double {
        let q = c == y ? (1 - smoothing) + share : share
        return q == 0 ? 0 : (alpha?[c] ?? 1) * q
    }
}

/// Positions `range` of a softmax call: losses (or their compensated sum) and gradients, the
/// per-element exponentials and gradients in arithmetic `A` (the precision tier), every
/// per-position quantity (maxima, normalizers, the target's class term) in double.
func softmaxChunk<T: KernelScalar, Target: FixedWidthInteger, A: Arithmetic>(
    _ a: SoftmaxKernelArguments<T, Target>, _ range: Range<Int>, _: A.Type
) -> CompensatedSum {
    // The focusing law is evaluated in double in either tier (once per position), so the
    // fast tier needs no `IntegerByPowerLaw`.
    switch FocusingLawChoice(gamma: a.gamma) {
    case .square: return softmaxChunk(a, range, A.self, law: SquareLaw())
    case .integer(let law): return softmaxChunk(a, range, A.self, law: law)
    case .real(let law): return softmaxChunk(a, range, A.self, law: law)
    }
}

func softmaxChunk<T: KernelScalar, Target: FixedWidthInteger, A: Arithmetic, Law: FocusingLaw>(
    _ a: SoftmaxKernelArguments<T, Target>, _ range: Range<Int>, _: A.Type, law: Law
) -> CompensatedSum {
    // softmaxScratch + softmaxPositionArrays · softmaxGroup doubles, 4 · softmaxGroup integers.
    return withSoftmaxScratch { scratch, integers in
        let group = SoftmaxGroup<T, Target, A, Law>(a, law: law, scratch: scratch, integers: integers)
        // As many positions per group as their e^{d_c} fit in the scratch (at least one).
        let fitting = max(1, min(softmaxGroup, softmaxScratch / a.classes))
        var total = CompensatedSum()
        var start = range.lowerBound
        while start < range.upperBound {
            if a.inner == 1 && a.classes < softmaxTransposedClasses {
                // Four (C × rows) tiles in the scratch: logits, e^{d_c}, and two of terms.
                let count = min(fitting, softmaxScratch / (4 * a.classes), range.upperBound - start)
                group.transposedRows(start, count, &total)
                start += count
            } else if a.inner == 1 {
                let count = min(fitting, range.upperBound - start)
                group.rows(start, count, &total)
                start += count
            } else {
                // A tile stays within one batch item, so its positions are contiguous.
                let count = min(fitting, range.upperBound - start, a.inner - start % a.inner)
                group.tile(start, count, &total)
                start += count
            }
        }
        return total
    }
}

/// One group of positions: the per-position arrays and the two layouts' loops.
struct SoftmaxGroup<T: KernelScalar, Target: FixedWidthInteger, A: Arithmetic, Law: FocusingLaw> {
    let a: SoftmaxKernelArguments<T, Target>
    let law: Law
    let weights: ClassWeights
    let classes: Int
    /// e^{d_c} of the group's positions when they fit (always, but for C > 4096, where they are
    /// recomputed in the gradient pass), in A's type: `softmaxScratch` doubles' worth of bytes.
    let exps: UnsafeMutablePointer<A.Value>
    // Per-position arrays, `softmaxGroup` each.
    /// `kTarget` is the target class's term of K = Σ_c a_c·D_c, and `k` the other classes' sum:
    /// kept apart so that `K − a_y·D_y` is `k` itself, not a difference that cancels where the
    /// target's term dominates (a confident target under a small label smoothing).
    let maxLogit, sPrime, ties, logZ, invZ, value, k, kTarget, targetM, up, finite, weightY, logPY: UnsafeMutablePointer<Double>
    /// Lane-summed blocks of a row: `softmaxRowBlock` doubles, over the per-position arrays'
    /// unused tail; `rowValues` is the same memory in A's type (the row path's e^{d_c}).
    let rowBlock: UnsafeMutablePointer<Double>
    let rowValues: UnsafeMutablePointer<A.Value>
    let target: UnsafeMutablePointer<Int64>
    /// The maxima's integer keys, `softmaxGroup` of each, in the key type of the logits they
    /// come from (`keys(_:)`): float32's Int32 keys take 16 lanes.
    let keyStorage: UnsafeMutableRawPointer
    /// The tile path's gradient factors in A's type, `softmaxGroup` each, one double array's
    /// worth of bytes apart (see `gradientFactors`), and `savedGradient`, an accumulated
    /// gradient's value at the target class before the class loop overwrote it.
    let upValue, invZValue, kValue, targetGradient: UnsafeMutablePointer<A.Value>
    let state: UnsafeMutablePointer<A.Value.Key>
    let savedGradient: UnsafeMutablePointer<Double>

    /// Classes per lane-summed block of a row.
    var softmaxRowBlock: Int { 4 * softmaxGroup }

    init(_ a: SoftmaxKernelArguments<T, Target>, law: Law, scratch: UnsafeMutablePointer<Double>,
         integers: UnsafeMutablePointer<Int64>) {
        self.a = a
        self.law = law
        self.classes = a.classes
        self.weights = ClassWeights(alpha: a.weights, smoothing: a.labelSmoothing,
                                    share: a.labelSmoothing / Double(a.classes))
        exps = UnsafeMutableRawPointer(scratch).bindMemory(
            to: A.Value.self, capacity: softmaxScratch * MemoryLayout<Double>.size / MemoryLayout<A.Value>.size)
        let arrays = scratch + softmaxScratch
        (maxLogit, sPrime, ties, logZ) = (arrays, arrays + softmaxGroup, arrays + 2 * softmaxGroup, arrays + 3 * softmaxGroup)
        (invZ, value, k, targetM) = (arrays + 4 * softmaxGroup, arrays + 5 * softmaxGroup, arrays + 6 * softmaxGroup,
                                     arrays + 7 * softmaxGroup)
        (up, finite, weightY, logPY) = (arrays + 8 * softmaxGroup, arrays + 9 * softmaxGroup, arrays + 10 * softmaxGroup,
                                        arrays + 11 * softmaxGroup)
        kTarget = arrays + 12 * softmaxGroup
        rowBlock = arrays + 13 * softmaxGroup
        rowValues = UnsafeMutableRawPointer(rowBlock).bindMemory(to: A.Value.self, capacity: 4 * softmaxGroup)
        @inline(__always) func values(_ index: Int) -> UnsafeMutablePointer<A.Value> {
            UnsafeMutableRawPointer(arrays + index * softmaxGroup).bindMemory(to: A.Value.self, capacity: softmaxGroup)
        }
        (upValue, invZValue, kValue, targetGradient) = (values(17), values(18), values(19), values(20))
        savedGradient = arrays + 21 * softmaxGroup
        keyStorage = UnsafeMutableRawPointer(integers)
        target = integers + 2 * softmaxGroup
        state = UnsafeMutableRawPointer(integers + 3 * softmaxGroup).bindMemory(to: A.Value.Key.self, capacity: softmaxGroup)
    }

    // MARK: Per position, shared by both layouts (vector loops over the group)

    /// The arrays of the maxima's keys (the largest and the smallest per position) in the key
    /// type `K` (two Int64 arrays' worth of bytes, bound to K: free at run time).
    @inline(__always)
    func keys<K: FixedWidthInteger>(_: K.Type) -> (max: UnsafeMutablePointer<K>, min: UnsafeMutablePointer<K>) {
        let bound = keyStorage.bindMemory(to: K.self, capacity: 2 * softmaxGroup * 8 / MemoryLayout<K>.size)
        return (bound, bound + softmaxGroup)
    }

    /// The maximum, and whether the row has a value, from the integer keys' extremes, keys of
    /// type `S` (the storage type, or A's type for a transposed tile of 16-bit logits: the same
    /// maximum, since widening keeps the order, −0 < +0 and NaN outside the infinities
    /// included), in the arrays of `keys(S.Key.self)`: every logit is
    /// finite or −∞ (a class of probability 0, as in cross_entropy), and one is finite. A NaN
    /// (either sign: its key lies beyond ±∞'s), a +∞, or a row of −∞ alone has none.
    @inline(__always)
    func finishMaxima<S: KernelScalar>(_ count: Int, _: S.Type) {
        let infinityKey = S.infinity.orderedKey, negativeInfinityKey = (-S.infinity).orderedKey
        let (maxKey, minKey) = keys(S.Key.self)
        forEach(count) { j in
            // Selects, not `&&`: a branch would keep the loop scalar.
            let hasValue = maxKey[j] > negativeInfinityKey ? (minKey[j] >= negativeInfinityKey ? 1.0 : 0) : 0
            finite[j] = maxKey[j] < infinityKey ? hasValue : 0
            maxLogit[j] = S(orderedKey: maxKey[j]).double
        }
    }

    /// `log Z = log1p(S')` and `1 / Z`, once `sPrime` holds the non-maximum terms and `ties`
    /// the number of maxima.
    @inline(__always)
    func finishNormalizers(_ count: Int) {
        forEach(count) { j in
            let s = sPrime[j] * A.inverseExpScale + (ties[j] - 1)
            logZ[j] = FastMath.log1p(s)
            invZ[j] = 1 / (1 + s)
        }
    }

    /// Targets, upstream gradients and `log p_y`, given the logit of the target class of
    /// position j (class 0 for an ignored one, which is masked later). One loop per quantity,
    /// and the weight hoisted when α is not given (every target's is then `(1 − ε) + ε / C`),
    /// so that all but the α lookup vectorize.
    @inline(__always)
    func readTargets(_ start: Int, _ count: Int, logit: (_ position: Int, _ classIndex: Int) -> Double) {
        if let positionWeights = a.positionWeights {
            // A position of weight 0 is left out as an ignored one (no 0·∞, no 0·NaN).
            forEach(count) { j in
                let y64 = Int64(a.targets[start &+ j])
                target[j] = y64 == a.ignoreIndex || positionWeights[start &+ j] == 0 ? -1 : y64
            }
        } else {
            forEach(count) { j in
                let y64 = Int64(a.targets[start &+ j])
                target[j] = y64 == a.ignoreIndex ? -1 : y64
            }
        }
        forEach(count) { j in logPY[j] = (logit(j, Int(Swift.max(0, target[j]))) - maxLogit[j]) - logZ[j] }
        if a.weights == nil {
            let w = weights(0, target: 0)
            forEach(count) { j in weightY[j] = target[j] < 0 ? 0 : w }
        } else {
            forEach(count) { j in weightY[j] = target[j] < 0 ? 0 : weights(Int(target[j]), target: Int(target[j])) }
        }
        if let upstream = a.upstream {
            forEach(count) { j in up[j] = upstream[start &+ j].double }
        } else {
            forEach(count) { j in up[j] = a.scale }
        }
        // A position's weight scales its gradient through the upstream factor (and its loss in
        // `storeLosses`); a weight of 1 changes no bit.
        if let positionWeights = a.positionWeights {
            forEach(count) { j in up[j] = target[j] < 0 ? up[j] : up[j] * positionWeights[start &+ j].double }
        }
    }

    /// The target class's terms: ℓ = a_y·f(log p_y) and K = a_y·D_y, all there is without
    /// smoothing (where the other classes' `k` is 0).
    ///
    /// Poly-1 (ε ≠ 0) adds `ε·m^{γ+1}` (unweighted by a_y) to ℓ and its derivative in u,
    /// `−ε·(γ + 1)·m^γ·p`, to K (`poly1TargetTerms`).
    @inline(__always)
    func targetTerms(_ count: Int) {
        if let epsilon = a.poly1 {
            forEach(count) { j in
                let term = SoftmaxClassTerm(logP: logPY[j], gamma: a.gamma, law: law)
                (value[j], kTarget[j]) = poly1TargetTerms(term, logP: logPY[j], weight: weightY[j], epsilon: epsilon,
                                                          gamma: a.gamma)
                k[j] = 0
                targetM[j] = term.m
            }
            return
        }
        forEach(count) { j in
            let term = SoftmaxClassTerm(logP: logPY[j], gamma: a.gamma, law: law)
            value[j] = weightY[j] == 0 ? 0 : weightY[j] * term.value
            kTarget[j] = weightY[j] == 0 ? 0 : weightY[j] * term.derivative
            k[j] = 0
            targetM[j] = term.m
        }
    }

    /// Each position's loss: 0 where ignored (adding nothing to the sum), NaN where the row has
    /// no value (DESIGN §1.4: a NaN or +∞ logit poisons its own row only; −∞ is a limit). The sum takes
    /// the group's lane sum, so the order of additions depends only on the group boundaries.
    @inline(__always)
    func storeLosses(_ start: Int, _ count: Int, _ total: inout CompensatedSum) {
        forEach(count) { j in value[j] = target[j] < 0 ? 0 : (finite[j] != 0 ? value[j] : .nan) }
        if let positionWeights = a.positionWeights {
            // (An ignored position's weight is not checked, and may be NaN: it is not used.)
            forEach(count) { j in value[j] = target[j] < 0 ? 0 : value[j] * positionWeights[start &+ j].double }
        }
        if let out = a.loss {
            forEach(count) { j in out[start &+ j] = T(rounding: value[j]) }
        } else {
            total.add(laneSum(value, count))
        }
    }

    /// What the gradient of position j needs, read from the arrays once (per row at inner = 1:
    /// inside the class loop LLVM would reload them, as gathers, for fear the output aliases).
    struct Position {
        let y: Int  // −1 where ignored
        let k, kTarget, invZ, up, maxLogit, logZ: Double
        let finite: Bool
    }

    @inline(__always)
    func position(_ j: Int) -> Position {
        Position(y: Int(target[j]), k: k[j], kTarget: kTarget[j], invZ: invZ[j], up: up[j],
                 maxLogit: maxLogit[j], logZ: logZ[j], finite: finite[j] != 0)
    }

    // The gradient without smoothing, from `p_c = e^{d_c} / Z`: `K·m_y` for the target class
    // (`K − a_y·D_y = 0`) and `−p_c·K` for the others, times the upstream gradient, in A's
    // arithmetic (the exact tier's double, or float32: three roundings more than e^{d_c}'s);
    // 0 for an ignored position, NaN for a row without a value (a NaN or +∞ logit). The class
    // loops compute every class as an "other" one, with no per-element comparison against
    // the target (whose 64-bit lanes would halve a float loop's width), and the target class
    // is stored afterwards, once per position.

    /// A position's gradient factors in A's type: the upstream gradient, 1 / Z, K, the target
    /// class's `K·m_y`, and its state (0: a value, 1: ignored, 2: a row without a value).
    struct GradientFactors {
        let up, invZ, k, target: A.Value
        let state: A.Value.Key
    }

    @inline(__always)
    func gradientFactors(_ j: Int) -> GradientFactors {
        GradientFactors(up: A.Value(up[j]), invZ: A.Value(invZ[j] * A.inverseExpScale), k: A.Value(kTarget[j]),
                        target: A.Value(kTarget[j] * targetM[j]),
                        state: target[j] < 0 ? 1 : (finite[j] != 0 ? 0 : 2))
    }

    /// ∂ℓ/∂x_c of a class other than the target, times the upstream gradient.
    @inline(__always)
    func otherGradient(up: A.Value, invZ: A.Value, k: A.Value, state: A.Value.Key, exp e: A.Value) -> A.Value {
        state == 0 ? up * (-(e * invZ) * k) : (state == 1 ? 0 : .nan)
    }

    /// ∂ℓ/∂x_y of the target class, times the upstream gradient (for a position not ignored).
    @inline(__always)
    func targetGradientValue(_ f: GradientFactors) -> A.Value {
        f.state == 0 ? f.up * f.target : .nan
    }

    /// The gradient with smoothing: `a_c·D_c·m_c − p_c·(K − a_c·D_c)`, or `−p_c·K` where
    /// `a_c = 0`. `K − a_c·D_c` is the other classes' `k` for the target class, and
    /// `a_y·D_y + (k − a_c·D_c)` for the others, where `a_c·D_c` is one smoothing term among
    /// several. (A separate loop: as one select LLVM would compute both forms everywhere.)
    /// In double in either tier: the core hands the fast tier's calls with smoothing to the
    /// exact kernel.
    @inline(__always)
    func smoothedGradient(_ q: Position, _ c: Int, logit: Double, exp e: A.Value) -> A.Value {
        let w = q.y < 0 ? 0 : weights(c, target: q.y)
        let term = SoftmaxClassTerm(logP: (logit - q.maxLogit) - q.logZ, gamma: a.gamma, law: law)
        let own = w * term.derivative
        let others = c == q.y ? q.k : q.kTarget + (q.k - own)
        let g = w == 0 ? -((e.double * A.inverseExpScale) * q.invZ) * (q.kTarget + q.k) : own * term.m - term.p * others
        return A.Value(q.y < 0 ? 0 : (q.finite ? q.up * g : .nan))
    }

    /// Stores `count` gradient values: overwritten, or added to (an ignored position's left as
    /// it is); one loop per case, so neither computes the other's loads.
    @inline(__always)
    func storeGradients(_ out: UnsafeMutablePointer<T>, _ count: Int, ignored: (Int) -> Bool, _ value: (Int) -> A.Value) {
        if a.accumulate {
            forEach(count) { i in out[i] = ignored(i) ? out[i] : T(rounding: out[i].double + value(i).double) }
        } else {
            forEach(count) { i in out[i] = T(rounding: value(i).double) }
        }
    }

    /// With smoothing, a class term's contribution to ℓ and to the other classes' `k` (0 for
    /// the target class, whose term is `kTarget`).
    @inline(__always)
    func smoothedTerm(_ c: Int, _ j: Int, logit: Double) -> (value: Double, k: Double) {
        let y = Int(target[j])
        let w = y < 0 ? 0 : weights(c, target: y)
        let term = SoftmaxClassTerm(logP: (logit - maxLogit[j]) - logZ[j], gamma: a.gamma, law: law)
        return (w == 0 ? 0 : w * term.value, w == 0 || c == y ? 0 : w * term.derivative)
    }

    /// With smoothing, the target class's term of K, from the same log p_y as its gradient.
    @inline(__always)
    func smoothedTargetTerms(_ count: Int) {
        forEach(count) { j in
            let term = SoftmaxClassTerm(logP: logPY[j], gamma: a.gamma, law: law)
            kTarget[j] = weightY[j] == 0 ? 0 : weightY[j] * term.derivative
        }
    }

    // MARK: inner = 1: `count` consecutive rows of C contiguous classes

    @inline(__always)
    func rows(_ start: Int, _ count: Int, _ total: inout CompensatedSum) {
        let x = a.logits + start * classes
        let cached = count * classes <= softmaxScratch
        // The maximum, and whether the row has a value, by integer min/max of the keys.
        let (maxKey, minKey) = keys(T.Key.self)
        for j in 0 ..< count {
            let row = x + j * classes
            var high = T.Key.min, low = T.Key.max
            forEach(classes) { c in
                let key = row[c].orderedKey
                high = Swift.max(high, key)
                low = Swift.min(low, key)
            }
            maxKey[j] = high
            minKey[j] = low
        }
        finishMaxima(count, T.self)
        // S' = every e^{d_c} but one maximum's 1, lane-summed a block at a time.
        for j in 0 ..< count {
            let row = x + j * classes
            var sum = 0.0, maxima = 0
            var c0 = 0
            while c0 < classes {
                let block = Swift.min(softmaxRowBlock, classes - c0)
                let cache = exps + (cached ? j * classes + c0 : 0)
                let m = A.Value(maxLogit[j])
                // Everything in the loop has A's width (a count of the block's maxima too, of at
                // most `softmaxRowBlock`), so that a float32 loop runs 16 lanes to a register.
                var blockMaxima: A.Value.Key = 0
                forEach(block) { c in
                    let (zero, e) = A.expDifference(row[c0 &+ c], m)
                    cache[c] = e
                    rowValues[c] = zero ? 0 : e
                    blockMaxima &+= zero ? 1 : 0
                }
                sum += laneSum(rowValues, block)
                maxima &+= Int(blockMaxima)
                c0 += block
            }
            sPrime[j] = sum
            ties[j] = Double(maxima)
        }
        finishNormalizers(count)
        readTargets(start, count) { j, y in x[j &* classes &+ y].double }
        if a.labelSmoothing == 0 {
            targetTerms(count)
        } else {
            for j in 0 ..< count {
                let row = x + j * classes
                var sumValue = 0.0, sumK = 0.0
                var c0 = 0
                while c0 < classes {
                    let block = Swift.min(softmaxRowBlock / 2, classes - c0)
                    let values = rowBlock, ks = rowBlock + softmaxRowBlock / 2
                    forEach(block) { c in
                        (values[c], ks[c]) = smoothedTerm(c0 &+ c, j, logit: row[c0 &+ c].double)
                    }
                    sumValue += laneSum(values, block)
                    sumK += laneSum(ks, block)
                    c0 += block
                }
                value[j] = sumValue
                k[j] = sumK
            }
            smoothedTargetTerms(count)
        }
        storeLosses(start, count, &total)

        guard let g = a.gradient?.advanced(by: start * classes) else { return }
        for j in 0 ..< count {
            let row = x + j * classes
            let out = g + j * classes
            let q = position(j)
            let f = gradientFactors(j)
            let ignored = q.y < 0
            var c0 = 0
            while c0 < classes {
                let block = cached ? classes : Swift.min(softmaxScratch, classes - c0)
                let cache = exps + (cached ? j * classes : 0)
                if !cached {
                    let m = A.Value(q.maxLogit)
                    forEach(block) { c in cache[c] = A.expDifference(row[c0 &+ c], m).e }
                }
                let segment = out + c0
                if a.labelSmoothing == 0 {
                    let y = q.y - c0
                    let holdsTarget = !ignored && y >= 0 && y < block
                    // (Read only to accumulate: a load of the output line stalls where a store would not.)
                    let saved = holdsTarget && a.accumulate ? segment[y].double : 0
                    storeGradients(segment, block, ignored: { _ in ignored }) { c in
                        otherGradient(up: f.up, invZ: f.invZ, k: f.k, state: f.state, exp: cache[c])
                    }
                    if holdsTarget {
                        let v = targetGradientValue(f).double
                        segment[y] = T(rounding: a.accumulate ? saved + v : v)
                    }
                } else {
                    storeGradients(segment, block, ignored: { _ in ignored }) { c in
                        smoothedGradient(q, c0 &+ c, logit: row[c0 &+ c].double, exp: cache[c])
                    }
                }
                c0 += block
            }
        }
    }

    // MARK: inner > 1: a tile of consecutive positions of one batch item

    /// Positions `start ..< start + count` (one batch item, consecutive `i`): element (j, c)
    /// is `x[c · inner + j]` from the tile's first logit, so every loop over j is contiguous
    /// and every per-position reduction runs down the classes in a fixed order.
    /// `then` runs last, with the per-position arrays still holding the group's values and the
    /// tile's e^{d_c} (class c's at `c · count`), or nil where they were not kept (C · count
    /// above `softmaxScratch`): the gradient-and-Hessian kernel's Hessian pass.
    @inline(__always)
    func tile(_ start: Int, _ count: Int, _ total: inout CompensatedSum,
              then: (_ exps: UnsafePointer<A.Value>?) -> Void = { _ in }) {
        let inner = a.inner
        let tileStart = (start / inner) * classes * inner + start % inner
        let cached = count * classes <= softmaxScratch
        let g = a.gradient?.advanced(by: tileStart)
        if let g, a.accumulate, a.labelSmoothing == 0 {
            // The target classes' values, which the class loop overwrites before they are stored.
            for j in 0 ..< count {
                let y = Int64(a.targets[start &+ j])
                savedGradient[j] = y == a.ignoreIndex ? 0 : g[Int(y) &* inner &+ j].double
            }
        }
        tile(start, count, logits: a.logits + tileStart, stride: inner, cached: cached,
             terms: nil, gradient: g != nil, &total, store: { c, value in
                 storeGradients(g.unsafelyUnwrapped + c * inner, count, ignored: { state[$0] == 1 }, value)
             }, storeTarget: { j, y, value in
                 g.unsafelyUnwrapped[y &* inner &+ j] = T(rounding: a.accumulate ? savedGradient[j] + value.double : value.double)
             })
        then(cached ? UnsafePointer(exps) : nil)
    }

    /// The tile computation on logits `x[c · stride + j]` (the storage type `S`, or a transposed
    /// tile in A's type), handing each class's gradient values to `store`: without smoothing
    /// every class's as an "other" class's, then the target classes' to `storeTarget`.
    ///
    /// With `terms` nil, the per-position sums run down the classes one addition at a time.
    /// With `terms` (2 · C · count doubles), each class's terms are kept and summed at the end
    /// in the order of the row path's `laneSum` (`rowOrderSums`), so that rows transposed into
    /// a tile give the bits they give in the row path.
    @inline(__always)
    func tile<S: KernelScalar>(_ start: Int, _ count: Int, logits x: UnsafePointer<S>, stride: Int, cached: Bool,
                               terms: UnsafeMutablePointer<Double>?, gradient: Bool, _ total: inout CompensatedSum,
                               store: (_ c: Int, _ value: (Int) -> A.Value) -> Void,
                               storeTarget: (_ j: Int, _ y: Int, _ value: A.Value) -> Void) {
        let (maxKey, minKey) = keys(S.Key.self)
        forEach(count) { j in
            maxKey[j] = S.Key.min
            minKey[j] = S.Key.max
        }
        for c in 0 ..< classes {
            let row = x + c &* stride
            forEach(count) { j in
                let key = row[j].orderedKey
                maxKey[j] = Swift.max(maxKey[j], key)
                minKey[j] = Swift.min(minKey[j], key)
            }
        }
        finishMaxima(count, S.self)
        // S' = every e^{d_c} but one maximum's 1: the others' sum, then the other maxima.
        if let terms {
            forEach(count) { j in ties[j] = 0 }
            for c in 0 ..< classes {
                let (row, term) = (x + c &* stride, terms + c &* count)
                let cache = exps + (cached ? c &* count : 0)
                forEach(count) { j in
                    let (zero, e) = A.expDifference(row[j], A.Value(maxLogit[j]))
                    cache[j] = e
                    term[j] = 0 + (zero ? 0 : e.double)
                    ties[j] += zero ? 1 : 0
                }
            }
            rowOrderSums(count, terms, into: sPrime)
        } else {
            // Every array of this loop in A's width (float32: 16 lanes), the sum by
            // `A.accumulate`, in the arrays of the gradient factors (free until the gradient).
            let (maxValue, sumHi, sumLo, maxima) = (upValue, invZValue, kValue, state)
            forEach(count) { j in (maxValue[j], sumHi[j], sumLo[j], maxima[j]) = (A.Value(maxLogit[j]), 0, 0, 0) }
            for c in 0 ..< classes {
                let row = x + c &* stride
                let cache = exps + (cached ? c &* count : 0)
                forEach(count) { j in
                    let (zero, e) = A.expDifference(row[j], maxValue[j])
                    cache[j] = e
                    A.accumulate(zero ? 0 : e, &sumHi[j], &sumLo[j])
                    maxima[j] &+= zero ? 1 : 0
                }
            }
            // In double `sumLo` is 0 and `sumHi` the plain sum from +0, one class at a time.
            forEach(count) { j in (sPrime[j], ties[j]) = (sumHi[j].double + sumLo[j].double, Double(maxima[j])) }
        }
        finishNormalizers(count)
        readTargets(start, count) { j, y in x[y &* stride &+ j].double }
        if a.labelSmoothing == 0 {
            targetTerms(count)
        } else if let terms {
            let kTerms = terms + classes * count
            for c in 0 ..< classes {
                let row = x + c &* stride
                let (term, kTerm) = (terms + c &* count, kTerms + c &* count)
                forEach(count) { j in
                    let (v, kc) = smoothedTerm(c, j, logit: row[j].double)
                    (term[j], kTerm[j]) = (0 + v, 0 + kc)
                }
            }
            rowOrderSums(count, terms, into: value)
            rowOrderSums(count, kTerms, into: k)
            smoothedTargetTerms(count)
        } else {
            forEach(count) { j in value[j] = 0; k[j] = 0 }
            for c in 0 ..< classes {
                let row = x + c &* stride
                forEach(count) { j in
                    let (v, kc) = smoothedTerm(c, j, logit: row[j].double)
                    value[j] += v
                    k[j] += kc
                }
            }
            smoothedTargetTerms(count)
        }
        storeLosses(start, count, &total)

        guard gradient else { return }
        forEach(count) { j in
            let f = gradientFactors(j)
            (upValue[j], invZValue[j], kValue[j], targetGradient[j], state[j]) = (f.up, f.invZ, f.k, f.target, f.state)
        }
        for c in 0 ..< classes {
            let row = x + c &* stride
            let cache = exps + (cached ? c &* count : 0)
            if !cached { forEach(count) { j in cache[j] = A.expDifference(row[j], A.Value(maxLogit[j])).e } }
            if a.labelSmoothing == 0 {
                store(c) { j in
                    otherGradient(up: upValue[j], invZ: invZValue[j], k: kValue[j], state: state[j], exp: cache[j])
                }
            } else {
                store(c) { j in smoothedGradient(position(j), c, logit: row[j].double, exp: cache[j]) }
            }
        }
        guard a.labelSmoothing == 0 else { return }
        for j in 0 ..< count where state[j] != 1 {
            let f = GradientFactors(up: upValue[j], invZ: invZValue[j], k: kValue[j], target: targetGradient[j], state: state[j])
            storeTarget(j, Int(target[j]), targetGradientValue(f))
        }
    }

    /// Per position j, the sum of the tile `terms` (class c's term at `terms[c · count + j]`,
    /// C ≤ `softmaxRowBlock / 2`), added as `laneSum` adds a row: eight lanes, each the sum of
    /// every eighth term from +0, combined pairwise, then the tail one at a time. (The lanes are
    /// formed in the tile's first eight rows, which are overwritten.) The terms must be stored
    /// as `0 + t`: a lane then starts from its first term as `laneSum`'s starts from `+0 + t`,
    /// and no sum is ever −0, so every later `+ t` is the same whichever zero t is.
    @inline(__always)
    func rowOrderSums(_ count: Int, _ terms: UnsafeMutablePointer<Double>, into sums: UnsafeMutablePointer<Double>) {
        let whole = classes & ~7
        if whole == 0 {
            forEach(count) { j in sums[j] = 0 }
        } else {
            var c = 8
            while c < whole {
                let (lane, t) = (terms + (c & 7) &* count, terms + c &* count)
                forEach(count) { j in lane[j] += t[j] }
                c += 1
            }
            let (l0, l1, l2, l3) = (terms, terms + count, terms + 2 * count, terms + 3 * count)
            let (l4, l5, l6, l7) = (terms + 4 * count, terms + 5 * count, terms + 6 * count, terms + 7 * count)
            forEach(count) { j in sums[j] = ((l0[j] + l4[j]) + (l2[j] + l6[j])) + ((l1[j] + l5[j]) + (l3[j] + l7[j])) }
        }
        for c in whole ..< classes {
            let t = terms + c &* count
            forEach(count) { j in sums[j] += t[j] }
        }
    }

    // MARK: inner = 1 with few classes: rows transposed into a tile

    /// Rows `start ..< start + count`, transposed into a (C × count) tile, computed by the tile
    /// path, and their gradient transposed back. The scratch holds four such tiles: e^{d_c}, the
    /// logits, and two of per-class terms (the second of which also takes the gradient). The
    /// logits' tile holds them in their storage type (float32 logits in either tier: the tile
    /// path reads them as the row path does, and their Int32 keys take 16 lanes), 16-bit ones
    /// converted to A's type. In the exact tier the values and their order of additions are the
    /// row path's, so the results are its bits (below 8 classes `laneSum` adds a row's terms one
    /// at a time, as the tile path does without `terms`); the fast tier sums in float32
    /// (`A.sumsInRowOrder`). `then` runs once the tile is computed, with the per-position arrays
    /// holding the group's values, and sees each logit (class c's of position j at `c · count + j`)
    /// and the e^{d_c} tile (the same layout): the gradient-and-Hessian kernel's Hessian pass.
    @inline(__always)
    func transposedRows(_ start: Int, _ count: Int, _ total: inout CompensatedSum,
                        then: (_ logit: (Int) -> Double, _ exps: UnsafePointer<A.Value>) -> Void = { _, _ in }) {
        let x = a.logits + start * classes
        let size = classes * count
        // Four tiles of `size` doubles' worth of bytes each: e^{d_c} and the gradients in A's
        // type, the logits in theirs, the terms in double.
        let raw = UnsafeMutableRawPointer(exps), tileBytes = size * MemoryLayout<Double>.size
        let terms = (raw + 2 * tileBytes).bindMemory(to: Double.self, capacity: 2 * size)
        // The gradients' tile is the second tile of terms, bound to A's type once those are summed
        // (binding is free at run time).
        let gradientTile = raw + 3 * tileBytes
        let ordered = classes >= 8 && A.sumsInRowOrder
        @inline(__always) func compute<S: KernelScalar>(_ logits: UnsafePointer<S>) {
            tile(start, count, logits: logits, stride: count, cached: true, terms: ordered ? terms : nil,
                 gradient: a.gradient != nil, &total, store: { c, value in
                     let column = gradientTile.bindMemory(to: A.Value.self, capacity: size) + c * count
                     forEach(count) { j in column[j] = value(j) }
                 }, storeTarget: { j, y, value in
                     gradientTile.assumingMemoryBound(to: A.Value.self)[y &* count &+ j] = value
                 })
            then({ logits[$0].double }, UnsafePointer(exps))
        }
        let halfStorage = MemoryLayout<T>.size == 2
        if halfStorage {
            // 16-bit storage converts in contiguous, vectorized passes through the e^{d_c} tile
            // (free until the tile computation), and transposes values of A's type: a strided
            // loop converting one 16-bit value at a time cost as much as the rest of a call.
            let logits = (raw + tileBytes).bindMemory(to: A.Value.self, capacity: size)
            let rowMajor = raw.bindMemory(to: A.Value.self, capacity: size)
            forEach(size) { i in rowMajor[i] = A.Value(x[i].double) }
            // Through the tiles of terms (free until the tile computation).
            transposeTile(rows: raw, tile: raw + tileBytes, middle: raw + 2 * tileBytes, classes: classes, count: count,
                          unit: MemoryLayout<A.Value>.size, toColumns: true)
            compute(UnsafePointer(logits))
        } else {
            let logits = (raw + tileBytes).bindMemory(to: T.self, capacity: size)
            // Through the e^{d_c} tile (free until the tile computation); the rows are only read.
            transposeTile(rows: UnsafeMutableRawPointer(mutating: x), tile: raw + tileBytes, middle: raw, classes: classes,
                          count: count, unit: MemoryLayout<T>.size, toColumns: true)
            compute(UnsafePointer(logits))
        }
        guard let g = a.gradient?.advanced(by: start * classes) else { return }
        let gradients = gradientTile.assumingMemoryBound(to: A.Value.self)
        if a.accumulate {
            for c in 0 ..< classes {
                let column = gradients + c * count
                forEach(count) { j in
                    let i = j &* classes &+ c
                    g[i] = target[j] < 0 ? g[i] : T(rounding: g[i].double + column[j].double)
                }
            }
        } else if halfStorage {
            // Transposed in A's type into the logits' tile (free now, as is the e^{d_c} tile),
            // then rounded in one pass.
            let rowMajor = (raw + tileBytes).bindMemory(to: A.Value.self, capacity: size)
            transposeTile(rows: raw + tileBytes, tile: gradientTile, middle: raw, classes: classes, count: count,
                          unit: MemoryLayout<A.Value>.size, toColumns: false)
            forEach(size) { i in g[i] = T(rounding: rowMajor[i].double) }
        } else {
            // Rounded in one pass where A's type is not the storage type (into the logits' tile,
            // free now), then transposed through the e^{d_c} tile (free too).
            let same = MemoryLayout<A.Value>.size == MemoryLayout<T>.size
            let rounded = same ? gradientTile : raw + tileBytes
            if !same {
                let storage = rounded.bindMemory(to: T.self, capacity: size)
                forEach(size) { i in storage[i] = T(rounding: gradients[i].double) }
            }
            transposeTile(rows: UnsafeMutableRawPointer(g), tile: rounded, middle: raw, classes: classes, count: count,
                          unit: MemoryLayout<T>.size, toColumns: false)
        }
    }
}
