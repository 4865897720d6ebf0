// exp, expm1, log and log1p in double precision, written so that a loop calling them
// vectorizes: no calls, no branches (selects only), no trapping integer conversions (the
// integer parts travel in bit patterns, with wrapping arithmetic).
//
// This file is compiled once per instruction set (Package.swift): the AVX2 and AVX-512
// builds define FOCAL_FMA, so `mulAdd` is one fused instruction there; on the x86-64
// baseline it is a multiply and an add (a call to fma() would be a slow library call).
//
// Accuracy, measured against glibc's libm (itself within 1 ulp of the exact value) over
// every float32 argument the float32 kernels pass and 4M random double arguments per
// function, by Tests/FocalLossCoreTests/FastMathTests.swift (numbers in README.md, "Accuracy of
// the approximations").
// Every kernel evaluates in double: the float64 kernels with the functions below (≤ 2 ulps),
// the float32 kernels with the shorter "float tier" exp and log1pUnit (≤ 3e-10 relative,
// 0.005 of a float32 ulp) in their per-element loops.

/// `a · b + c`: one rounding with FMA, two without (Double here, Float in FastMathFloat.swift).
@inline(__always)
func mulAdd<F: FloatingPoint>(_ a: F, _ b: F, _ c: F) -> F {
    #if FOCAL_FMA || arch(arm64)
    return c.addingProduct(a, b)
    #else
    return a * b + c
    #endif
}

public enum FastMath {
    // ln 2 split so that k · ln2Hi is exact for |k| < 2^21 (ln2Hi has 32 significant bits).
    @usableFromInline static let ln2Hi = 6.93147180369123816490e-01  // 0x3FE62E42FEE00000
    @usableFromInline static let ln2Lo = 1.90821492927058770002e-10  // 0x3DEA39EF35793C76
    @usableFromInline static let log2e = 1.44269504088896338700e+00
    /// 1.5 · 2^52: adding it rounds a double of magnitude < 2^51 to an integer, which then
    /// sits in the low bits of the sum's bit pattern.
    @usableFromInline static let roundingShifter = 6755399441055744.0

    /// `x = k · ln 2 + r` with k an integer and |r| ≤ ln 2 / 2 (plus rounding), and
    /// `q = e^r − 1` by its Taylor series to degree 13 (`short`: degree 8, the float tier):
    /// the truncation error on |r| ≤ 0.3466 is below 0.3466^14 / 14! < 5e-18, far under an
    /// ulp (degree 8: below 0.3466^9 / 9! < 2.1e-10).
    @inline(__always)
    static func reduced(_ x: Double, short: Bool = false) -> (k: Int64, q: Double) {
        let shifted = mulAdd(x, log2e, roundingShifter)
        let kd = shifted - roundingShifter
        let k = Int64(bitPattern: shifted.bitPattern &- roundingShifter.bitPattern)
        let r = mulAdd(-kd, ln2Lo, mulAdd(-kd, ln2Hi, x))
        // p = Σ_{n=2}^{13} r^{n−2} / n!, by Estrin's scheme: the same terms in pairs, so the
        // dependency chain is 5 operations long instead of 11 and loops overlap iterations less.
        let r2 = r * r, r4 = r2 * r2
        let a0 = mulAdd(1.0 / 6, r, 0.5)
        let a1 = mulAdd(1.0 / 120, r, 1.0 / 24)
        let a2 = mulAdd(1.0 / 5040, r, 1.0 / 720)
        let p: Double
        if short {
            p = mulAdd(mulAdd(1.0 / 40320, r2, a2), r4, mulAdd(a1, r2, a0))
        } else {
            let a3 = mulAdd(1.0 / 362880, r, 1.0 / 40320)
            let a4 = mulAdd(1.0 / 39916800, r, 1.0 / 3628800)
            let a5 = mulAdd(1.0 / 6227020800, r, 1.0 / 479001600)
            let b0 = mulAdd(a1, r2, a0), b1 = mulAdd(a3, r2, a2), b2 = mulAdd(a5, r2, a4)
            p = mulAdd(b2, r4 * r4, mulAdd(b1, r4, b0))
        }
        return (k, mulAdd(p, r2, r))
    }

    /// 2^k for −1022 ≤ k ≤ 1023, from its bit pattern.
    @inline(__always)
    static func powerOfTwo(_ k: Int64) -> Double {
        Double(bitPattern: UInt64(bitPattern: (k &+ 1023) &<< 52))
    }

    /// e^x. Overflows to +∞ above ~709.78, underflows gradually to subnormals and to 0 below
    /// ~−745.13; NaN stays NaN. Max error 1 ulp.
    @inline(__always)
    public static func exp(_ x: Double) -> Double { exp(x, short: false) }

    @inline(__always)
    static func exp(_ x: Double, short: Bool) -> Double {
        // Clamping keeps k within [−1077, 1025]; min/max keep a NaN (Swift's min(x, c) is x).
        let clamped = min(max(x, -746), 710)
        let (k, q) = reduced(clamped, short: short)
        // 2^k in two factors so that neither is subnormal or infinite: the first product is
        // exact, the second rounds once, also into the subnormal range.
        let k1 = k &>> 1
        return (1 + q) * powerOfTwo(k1) * powerOfTwo(k &- k1)
    }

    /// e^x − 1 without cancellation near 0: `2^k · q + (2^k − 1)`, where `2^k − 1` is exact
    /// for the k that occur. For x ≤ 709 (the kernels call it with x ≤ 0). Max error 1 ulp.
    @inline(__always)
    public static func expm1(_ x: Double) -> Double {
        // Below −60, e^x − 1 rounds to −1; clamping keeps 2^k normal.
        let (k, q) = reduced(max(x, -60))
        let scale = powerOfTwo(k)
        return mulAdd(scale, q, scale - 1)
    }

    // log(1 + s) − log(1 − s) = 2s + 2s³/3 + …, as fdlibm's e_log.c writes it: the minimax
    // coefficients of (log(1 + s) − log(1 − s) − 2s) / s on |s| ≤ 0.1716 (error < 2^-58.45).
    @usableFromInline static let lg1 = 6.666666666666735130e-01
    @usableFromInline static let lg2 = 3.999999999940941908e-01
    @usableFromInline static let lg3 = 2.857142874366239149e-01
    @usableFromInline static let lg4 = 2.222219843214978396e-01
    @usableFromInline static let lg5 = 1.818357216161805012e-01
    @usableFromInline static let lg6 = 1.531383769920937332e-01
    @usableFromInline static let lg7 = 1.479819860511658591e-01

    /// log x for x > 0, subnormals included; log 0 = −∞, log ∞ = ∞, NaN for x < 0 or NaN.
    /// Max error 1 ulp.
    @inline(__always)
    public static func log(_ x: Double) -> Double {
        // Subnormals are scaled into the normal range first.
        let subnormal = x < Double.leastNormalMagnitude
        let scaled = subnormal ? x * 0x1p54 : x
        // x = 2^k · f with f ∈ [√½, √2): k from the bits of x / √½.
        let bits = Int64(bitPattern: scaled.bitPattern)
        let offset = bits &- 0x3FE6_A09E_667F_3BCD
        let k = (offset &>> 52) &- (subnormal ? 54 : 0)
        let f = Double(bitPattern: UInt64(bitPattern: bits &- ((offset &>> 52) &<< 52)))
        let z = f - 1                      // exact (Sterbenz)
        let s = z / (2 + z)
        let halfSquare = 0.5 * z * z
        let w = s * s
        var p = lg7
        p = mulAdd(p, w, lg6)
        p = mulAdd(p, w, lg5)
        p = mulAdd(p, w, lg4)
        p = mulAdd(p, w, lg3)
        p = mulAdd(p, w, lg2)
        p = mulAdd(p, w, lg1)
        let r = w * p
        let kd = Double(k)
        let result = kd * ln2Hi - ((halfSquare - mulAdd(s, halfSquare + r, kd * ln2Lo)) - z)
        // Edge cases by selection, so the loop stays branch-free.
        let finitePositive = x > 0 && x < .infinity
        return finitePositive ? result : (x == 0 ? -.infinity : (x == .infinity ? x : .nan))
    }

    /// log(1 + a) for a > −1, given `u = 1 + a` rounded and its reciprocal: the rounding
    /// error of `u` is put back by `log(1 + a) = log u + (a − (u − 1)) / u` (u − 1 is exact).
    @inline(__always)
    static func log1p(_ a: Double, onePlus u: Double, reciprocal: Double) -> Double {
        let corrected = log(u) + (a - (u - 1)) * reciprocal
        return a < .infinity ? corrected : a
    }

    /// log(1 + a) for a > −1; log1p(∞) = ∞. Max error 1 ulp.
    @inline(__always)
    public static func log1p(_ a: Double) -> Double {
        let u = 1 + a
        return log1p(a, onePlus: u, reciprocal: 1 / u)
    }

    /// log(1 + e) for e ∈ [0, 1], the sigmoid's `log1p(e^{−|x|})`, with neither division nor
    /// range reduction: `e + e²·h(e)`, h a degree-19 polynomial fitted to (log1p(e) − e) / e²
    /// (tools/fit_log1p.py; fit error 6e-17). Max error 2 ulps; relative accuracy holds down
    /// to the smallest subnormal e, where the result is e.
    @inline(__always)
    public static func log1pUnit(_ e: Double) -> Double { log1pUnit(e, short: false) }

    /// log1pUnit with h of degree 18, or (`short`, the float tier) of degree 11, both by
    /// Estrin's scheme (see `reduced`), coefficients from tools/fit_log1p.py.
    @inline(__always)
    static func log1pUnit(_ e: Double, short: Bool) -> Double {
        mulAdd(e * log1pUnitRemainder(e, short: short), e, e)
    }

    /// `h(e) = (log1p(e) − e) / e²` for e ∈ [0, 1], the polynomial of `log1pUnit` (in
    /// [−½, log 2 − 1]): `log1pUnit(e) = e + e²·h(e)`. Poly-1 forms `log1p(e) − e/(1 + e)`
    /// from it without cancellation.
    @inline(__always)
    static func log1pUnitRemainder(_ e: Double, short: Bool = false) -> Double {
        let e2 = e * e, e4 = e2 * e2, e8 = e4 * e4
        let h: Double
        if short {
            let a0 = mulAdd(0.3333332981138023, e, -0.4999999998780975)
            let a1 = mulAdd(0.19996719986775702, e, -0.24999829427637563)
            let a2 = mulAdd(0.14084001010579714, e, -0.1663354003469392)
            let a3 = mulAdd(0.08907937721356587, e, -0.11697161413148038)
            let a4 = mulAdd(0.02666285302885365, e, -0.056546791059659804)
            let a5 = mulAdd(0.0011261745502929483, e, -0.008009632563823666)
            let b0 = mulAdd(a1, e2, a0), b1 = mulAdd(a3, e2, a2), b2 = mulAdd(a5, e2, a4)
            h = mulAdd(b2, e8, mulAdd(b1, e4, b0))
        } else {
            let a0 = mulAdd(0.33333333333328546, e, -0.49999999999999994)
            let a1 = mulAdd(0.19999999965822401, e, -0.2499999999935962)
            let a2 = mulAdd(0.14285697368176903, e, -0.1666666569676973)
            let a3 = mulAdd(0.11109469727104494, e, -0.12499802193640867)
            let a4 = mulAdd(0.09044038405818781, e, -0.09989940978337618)
            let a5 = mulAdd(0.07206052783890503, e, -0.0816358369873179)
            let a6 = mulAdd(0.045718328874219644, e, -0.06024571849605114)
            let a7 = mulAdd(0.016177448292083774, e, -0.030006248922024147)
            let a8 = mulAdd(0.002030846248409763, e, -0.006761419498849802)
            let a9 = mulAdd(3.496499999517753e-05, e, -0.00038701111085803037)
            let b0 = mulAdd(a1, e2, a0), b1 = mulAdd(a3, e2, a2), b2 = mulAdd(a5, e2, a4)
            let b3 = mulAdd(a7, e2, a6), b4 = mulAdd(a9, e2, a8)
            let d0 = mulAdd(b1, e4, b0), d1 = mulAdd(b3, e4, b2)
            h = mulAdd(b4, e8 * e8, mulAdd(d1, e8, d0))
        }
        return h
    }

    // MARK: Float tier

    // The float32 kernels need ~1e-9 relative from these, not 1e-16: an intermediate error of
    // 2e-10 moves a float32 result by at most 0.004 ulp before its final rounding. Shorter
    // polynomials, same structure.

    /// e^x to 3e-10 relative (Taylor degree 8: 0.3466^9 / 9! < 2.1e-10, plus the reduction;
    /// 2.7e-10 measured), for the float32 kernels. Same range, overflow, underflow and NaN
    /// behaviour as `exp`.
    @inline(__always)
    public static func expFloatTier(_ x: Double) -> Double { exp(x, short: true) }

    /// log(1 + e) for e ∈ [0, 1] to 1e-10 relative (h of degree 11, tools/fit_log1p.py 11;
    /// 9.2e-11 measured), for the float32 kernels.
    @inline(__always)
    public static func log1pUnitFloatTier(_ e: Double) -> Double { log1pUnit(e, short: true) }
}
