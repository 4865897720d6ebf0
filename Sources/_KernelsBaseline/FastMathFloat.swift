// exp and log1p in single precision, for the fast tier's per-element loops: the same rules as
// FastMath.swift (no calls, no branches, integer parts in bit patterns with wrapping
// arithmetic), in float32, so that an AVX-512 register holds 16 lanes instead of 8 and each
// polynomial is about half as long.
//
// Accuracy (FastMathFloatTests in Tests/FocalLossCoreTests/FastMathTests.swift, in ulps of the
// float32 result against libm, over every float32 argument the fast kernels pass): `exp`
// within 1.02 ulps (1.2 for an unevaluated-sum argument), `log1pUnit` within 1.9 ulps (1.55
// with FMA, 1.89 without).
// `exp(hi, lo)` takes its argument as an unevaluated sum, so that a focusing factor
// `e^{γ·log m}` does not inherit the rounding of `γ·log m` (an absolute error of the
// argument is a relative error of the result: at `γ·log m = −80` one float32 rounding of the
// argument alone would be 64 ulps).

/// `a · b` as `hi + lo` exactly: one fused multiply-add, or (the baseline build) Dekker's
/// product of Veltkamp halves. Where `a · b` overflows `lo` is meaningless (NaN or ∞); the one
/// caller, `FastArithmetic.power`, then discards it (exp's argument is clamped there).
@inline(__always)
func twoProduct(_ a: Float, _ b: Float) -> (hi: Float, lo: Float) {
    let hi = a * b
    #if FOCAL_FMA || arch(arm64)
    return (hi, (-hi).addingProduct(a, b))
    #else
    @inline(__always) func split(_ v: Float) -> (Float, Float) {
        let c = 4097 * v
        let high = c - (c - v)
        return (high, v - high)
    }
    let (ah, al) = split(a), (bh, bl) = split(b)
    return (hi, ((ah * bh - hi) + ah * bl + al * bh) + al * bl)
    #endif
}

public enum FastMathFloat {
    // ln 2 split so that k · ln2Hi is exact for |k| < 2^15 (ln2Hi = 355/512 has 9 significant bits).
    static let ln2Hi: Float = 0.693359375
    static let ln2Lo: Float = -2.12194440e-4
    static let log2e: Float = 1.44269504088896341
    /// 1.5 · 2^23: adding it rounds a float of magnitude < 2^22 to an integer in the low bits.
    static let roundingShifter: Float = 12582912

    /// 2^k for −126 ≤ k ≤ 127, from its bit pattern.
    @inline(__always)
    static func powerOfTwo(_ k: Int32) -> Float {
        Float(bitPattern: UInt32(bitPattern: (k &+ 127) &<< 23))
    }

    /// e^(hi + lo) for |lo| ≤ ~2^-20·|hi| + 1 (the argument as an unevaluated sum). Overflows to
    /// +∞ above ~88.72, underflows gradually to subnormals and to 0 below ~−103.97; NaN stays
    /// NaN. `e^r` on |r| ≤ ln 2 / 2 by Cephes' minimax polynomial (`expf`, error ~1e-8).
    @inline(__always)
    public static func exp(_ hi: Float, _ lo: Float) -> Float {
        // Clamping keeps k within [−151, 129]; min/max keep a NaN.
        exp(hi, lo, low: -105, high: 89, scale: 0)
    }

    /// e^(hi + lo) · 2^64 for hi ≤ 44 (the softmax fast tier's e^{x − M} ≤ 1, scaled so that it
    /// stays normal down to e^−131 and reaches 0 only below e^−150), as accurate as `exp`.
    @inline(__always)
    public static func expScaled(_ hi: Float, _ lo: Float) -> Float {
        // k + 64 within [−153, 128] for hi in [−150, 44]: both factors of 2^(k + 64) normal.
        exp(hi, lo, low: -150, high: 44, scale: 64)
    }

    /// e^(hi + lo) · 2^scale, hi clamped to [low, high] (chosen so that each of the two factors
    /// of 2^(k + scale) is a normal float).
    @inline(__always)
    static func exp(_ hi: Float, _ lo: Float, low lowest: Float, high highest: Float, scale: Int32) -> Float {
        let clamped = min(max(hi, lowest), highest)
        let shifted = mulAdd(clamped, log2e, roundingShifter)
        let kf = shifted - roundingShifter
        let k = Int32(bitPattern: shifted.bitPattern &- roundingShifter.bitPattern)
        // Where hi was clamped (|hi| huge or infinite) lo no longer matters, and may be NaN
        // (the two-part product of γ and −∞).
        let low = clamped == hi ? lo : 0
        let r = mulAdd(-kf, ln2Lo, mulAdd(-kf, ln2Hi, clamped)) + low
        let z = r * r
        var p: Float = 1.9875691500e-4
        p = mulAdd(p, r, 1.3981999507e-3)
        p = mulAdd(p, r, 8.3334519073e-3)
        p = mulAdd(p, r, 4.1665795894e-2)
        p = mulAdd(p, r, 1.6666665459e-1)
        p = mulAdd(p, r, 5.0000001201e-1)
        let q = mulAdd(p, z, r)
        // 2^k in two factors so that neither is subnormal or infinite (see FastMath.exp).
        let scaled = k &+ scale
        let k1 = scaled &>> 1
        return (1 + q) * powerOfTwo(k1) * powerOfTwo(scaled &- k1)
    }

    /// e^x, within 1.02 ulps.
    @inline(__always)
    public static func exp(_ x: Float) -> Float { exp(x, 0) }

    /// log(1 + e) for e ∈ [0, 1], the sigmoid's `log1p(e^{−|x|})`: `e + e²·h(e)` with h of
    /// degree 8 fitted to (log1p(e) − e) / e² (tools/fit_log1p.py --float 8; fit error 2.9e-8),
    /// by Horner's scheme. Within 1.9 ulps; relative accuracy holds down to the smallest
    /// subnormal e, where the result is e.
    @inline(__always)
    public static func log1pUnit(_ e: Float) -> Float {
        var h: Float = -0.004466211423277855
        h = mulAdd(h, e, 0.025224054232239723)
        h = mulAdd(h, e, -0.06675772368907928)
        h = mulAdd(h, e, 0.11561845242977142)
        h = mulAdd(h, e, -0.15847565233707428)
        h = mulAdd(h, e, 0.198541060090065)
        h = mulAdd(h, e, -0.24986526370048523)
        h = mulAdd(h, e, 0.3333284258842468)
        h = mulAdd(h, e, -0.4999999701976776)
        return mulAdd(e * h, e, e)
    }
}
