// Independent references for the tests, evaluated in Float80 (64-bit significand, exponent
// range to 1e±4932, so e^{±1e4} neither overflows nor underflows) straight from the
// definitions: p = 1/(1 + e^{−x}), the textbook chain rule with m^{γ−1}, and 1 − p_c as the
// sum of the other probabilities instead of a subtraction. Float80 has 11 more bits than
// Double, not more: where a textbook form cancels (σ(x) − t near ½, log p_c near 0) the
// reference uses a form that does not.
import FocalLossCore
import Glibc

typealias Wide = Float80

struct SigmoidReference {
    var loss: Wide
    var grad: Wide
    /// Sum of the absolute values of the gradient's terms: the scale of its rounding error.
    var gradScale: Wide
}

func sigmoidReference(x: Wide, t: Wide, alpha: Wide?, gamma: Wide) -> SigmoidReference {
    // log σ(x) and log σ(−x) with the exponential of −|x| only: e^{|x|} overflows even Float80
    // beyond |x| ≈ 11356, which bfloat16 logits reach.
    let logP = min(x, 0) - log1p(exp(-abs(x)))       // log σ(x)
    let logQ = min(-x, 0) - log1p(exp(-abs(x)))      // log σ(−x)
    let p = exp(logP), q = exp(logQ)
    let bce = -(t * logP + (1 - t) * logQ)
    let m = q * t + p * (1 - t)      // 1 − p_t
    let alphaT = alpha.map { $0 * t + (1 - $0) * (1 - t) } ?? 1
    let focus = gamma == 0 ? 1 : pow(m, gamma)
    // d bce / dx = σ(x) − t: `p·(1 − t) − t·q` (no cancellation for hard targets), or, where
    // σ(x) and t are both near ½ (e.g. t = ½ and |x| < 1e-9, where that form cancels to
    // nothing), `tanh(x/2)/2 + (½ − t)`: whichever has the smaller rounding-error bound.
    let direct = p * (1 - t) - t * q
    let halfTanh = tanh(x / 2) / 2                  // σ(x) − ½
    let dBCE = abs(halfTanh) + abs(0.5 - t) < p * (1 - t) + t * q ? halfTanh + (0.5 - t) : direct
    let dM = p * q * (1 - 2 * t)
    // m^{γ−1}·dm/dx as m^γ·(dm/dx / m): where m underflows even in Float80 (a hard target and
    // |x| beyond ≈ 11356), m^{γ−1} alone would be ∞ against dm/dx = 0; the ratio's limit is
    // σ(−x) (t = 0) or −σ(x) (t = 1), and the term is 0 there.
    let ratio = m > 0 ? dM / m : (t == 0 ? q : -p)
    let second = gamma == 0 ? 0 : bce * gamma * focus * ratio
    let first = dBCE * focus
    // σ(x) − t is itself the difference of two terms, σ(x)·(1 − t) and t·σ(−x): near σ(x) = t
    // they cancel, and their magnitudes, not the small difference, scale the rounding error.
    let dBCEScale = (p * (1 - t) + t * q) * focus
    return SigmoidReference(loss: alphaT * bce * focus, grad: alphaT * (first + second),
                            gradScale: abs(alphaT) * (dBCEScale + abs(second)))
}

struct SoftmaxReference {
    var loss: Wide
    var grad: [Wide]
    var gradScale: [Wide]
}

/// One row of the softmax focal loss. `weights[c]` is a_c = α_c q_c.
func softmaxRowReference(_ x: [Wide], weights a: [Wide], gamma: Wide) -> SoftmaxReference {
    let c = x.count
    let top = x.max()!
    let k = x.firstIndex(of: top)!
    var others: Wide = 0
    for j in 0 ..< c where j != k { others += exp(x[j] - top) }
    // log p_j = (x_j − top) − log1p(others), not x_j − (top + log1p(others)): that would lose
    // log p_k ≈ −others to cancellation once the margin is large (others < top·2^−64 gives 0).
    let logP = x.map { ($0 - top) - log1p(others) }
    let p = logP.map { exp($0) }
    // 1 − p_c as the sum of the others: no cancellation when p_c → 1.
    let m = (0 ..< c).map { i in (0 ..< c).reduce(Wide(0)) { $1 == i ? $0 : $0 + p[$1] } }
    var loss: Wide = 0
    var grad = [Wide](repeating: 0, count: c)
    var scale = [Wide](repeating: 0, count: c)
    for i in 0 ..< c where a[i] != 0 {
        let focus = gamma == 0 ? 1 : pow(m[i], gamma)
        let focusDerivative = gamma == 0 ? 0 : pow(m[i], gamma - 1)  // m^{γ−1}, used only where dM ≠ 0
        loss += -a[i] * focus * logP[i]
        for j in 0 ..< c {
            let dLogP = i == j ? m[i] : -p[j]            // ∂ log p_i / ∂x_j = [i = j] − p_j
            let dM = -p[i] * dLogP                        // ∂ m_i / ∂x_j
            let t1 = -a[i] * focus * dLogP
            // dM = 0 exactly (C = 1) leaves m = 0, where m^{γ−1} is infinite: the term's limit is 0.
            let t2 = gamma == 0 || dM == 0 ? 0 : -a[i] * gamma * focusDerivative * dM * logP[i]
            grad[j] += t1 + t2
            scale[j] += abs(t1) + abs(t2)
        }
    }
    return SoftmaxReference(loss: loss, grad: grad, gradScale: scale)
}

// MARK: - Running the core from arrays

/// Float and Double, each calling its own overload of the core's entry points.
protocol Storage: FocalScalar {
    static func sigmoid(_ x: UnsafeBufferPointer<Self>, _ t: UnsafeBufferPointer<Self>, _ g: UnsafeBufferPointer<Self>?,
                        _ o: SigmoidFocalOptions, _ l: UnsafeMutableBufferPointer<Self>,
                        _ d: UnsafeMutableBufferPointer<Self>?) throws(FocalError)
    static func softmax(_ x: UnsafeBufferPointer<Self>, _ y: UnsafeBufferPointer<Int64>, _ b: Int64, _ c: Int64, _ i: Int64,
                        _ g: UnsafeBufferPointer<Self>?, _ o: SoftmaxFocalOptions, _ l: UnsafeMutableBufferPointer<Self>,
                        _ d: UnsafeMutableBufferPointer<Self>?) throws(FocalError)
    static func softmax(_ x: UnsafeBufferPointer<Self>, _ y: UnsafeBufferPointer<Int32>, _ b: Int64, _ c: Int64, _ i: Int64,
                        _ g: UnsafeBufferPointer<Self>?, _ o: SoftmaxFocalOptions, _ l: UnsafeMutableBufferPointer<Self>,
                        _ d: UnsafeMutableBufferPointer<Self>?) throws(FocalError)
}

extension Float: Storage {
    static func sigmoid(_ x: UnsafeBufferPointer<Float>, _ t: UnsafeBufferPointer<Float>, _ g: UnsafeBufferPointer<Float>?,
                        _ o: SigmoidFocalOptions, _ l: UnsafeMutableBufferPointer<Float>,
                        _ d: UnsafeMutableBufferPointer<Float>?) throws(FocalError) {
        try SigmoidFocalLoss.compute(logits: x, targets: t, gradLoss: g, options: o, loss: l, gradLogits: d)
    }
    static func softmax(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Int64>, _ b: Int64, _ c: Int64, _ i: Int64,
                        _ g: UnsafeBufferPointer<Float>?, _ o: SoftmaxFocalOptions, _ l: UnsafeMutableBufferPointer<Float>,
                        _ d: UnsafeMutableBufferPointer<Float>?) throws(FocalError) {
        try SoftmaxFocalLoss.compute(logits: x, targets: y, batch: b, classes: c, inner: i, gradLoss: g, options: o, loss: l, gradLogits: d)
    }
    static func softmax(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Int32>, _ b: Int64, _ c: Int64, _ i: Int64,
                        _ g: UnsafeBufferPointer<Float>?, _ o: SoftmaxFocalOptions, _ l: UnsafeMutableBufferPointer<Float>,
                        _ d: UnsafeMutableBufferPointer<Float>?) throws(FocalError) {
        try SoftmaxFocalLoss.compute(logits: x, targets: y, batch: b, classes: c, inner: i, gradLoss: g, options: o, loss: l, gradLogits: d)
    }
}

extension Double: Storage {
    static func sigmoid(_ x: UnsafeBufferPointer<Double>, _ t: UnsafeBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>?,
                        _ o: SigmoidFocalOptions, _ l: UnsafeMutableBufferPointer<Double>,
                        _ d: UnsafeMutableBufferPointer<Double>?) throws(FocalError) {
        try SigmoidFocalLoss.compute(logits: x, targets: t, gradLoss: g, options: o, loss: l, gradLogits: d)
    }
    static func softmax(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Int64>, _ b: Int64, _ c: Int64, _ i: Int64,
                        _ g: UnsafeBufferPointer<Double>?, _ o: SoftmaxFocalOptions, _ l: UnsafeMutableBufferPointer<Double>,
                        _ d: UnsafeMutableBufferPointer<Double>?) throws(FocalError) {
        try SoftmaxFocalLoss.compute(logits: x, targets: y, batch: b, classes: c, inner: i, gradLoss: g, options: o, loss: l, gradLogits: d)
    }
    static func softmax(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Int32>, _ b: Int64, _ c: Int64, _ i: Int64,
                        _ g: UnsafeBufferPointer<Double>?, _ o: SoftmaxFocalOptions, _ l: UnsafeMutableBufferPointer<Double>,
                        _ d: UnsafeMutableBufferPointer<Double>?) throws(FocalError) {
        try SoftmaxFocalLoss.compute(logits: x, targets: y, batch: b, classes: c, inner: i, gradLoss: g, options: o, loss: l, gradLogits: d)
    }
}

struct Outputs<T> {
    var loss: [T]
    var grad: [T]
}

/// Runs the sigmoid core on arrays. Outputs start filled with `sentinel`; `grad` stays so
/// when `withGrad` is false.
func sigmoid<T: Storage>(_ type: T.Type, logits: [Double], targets: [Double], options: SigmoidFocalOptions,
                         gradLoss: [Double]? = nil, withGrad: Bool = true, sentinel: T = T(-7)) throws(FocalError) -> Outputs<T> {
    let x = logits.map { T($0) }, t = targets.map { T($0) }
    let upstream = gradLoss?.map { T($0) }
    var out = Outputs(loss: [T](repeating: sentinel, count: options.reduction == .none ? x.count : 1),
                      grad: [T](repeating: sentinel, count: x.count))
    try runSigmoid(x, t, upstream, options, &out, withGrad: withGrad)
    return out
}

func runSigmoid<T: Storage>(_ x: [T], _ t: [T], _ upstream: [T]?, _ options: SigmoidFocalOptions,
                            _ out: inout Outputs<T>, withGrad: Bool = true) throws(FocalError) {
    let result: Result<Void, FocalError> = x.withUnsafeBufferPointer { xb in
        t.withUnsafeBufferPointer { tb in
            withOptionalBuffer(upstream) { ub in
                out.loss.withUnsafeMutableBufferPointer { lb in
                    out.grad.withUnsafeMutableBufferPointer { gb in
                        Result { () throws(FocalError) in try T.sigmoid(xb, tb, ub, options, lb, withGrad ? gb : nil) }
                    }
                }
            }
        }
    }
    try result.get()
}

/// Runs the softmax core on arrays, targets converted to `Target`.
func softmax<T: Storage>(
    _ type: T.Type, int32Targets: Bool = false, logits: [Double], targets: [Int], batch: Int, classes: Int, inner: Int = 1,
    alpha: [Double]? = nil, options: SoftmaxFocalOptions, gradLoss: [Double]? = nil, withGrad: Bool = true,
    sentinel: T = T(-7)
) throws(FocalError) -> Outputs<T> {
    var out = Outputs(loss: [T](repeating: sentinel, count: options.reduction == .none ? batch * inner : 1),
                      grad: [T](repeating: sentinel, count: logits.count))
    try runSoftmax(logits.map { T($0) }, targets, batch: batch, classes: classes, inner: inner, alpha: alpha,
                   options: options, upstream: gradLoss?.map { T($0) }, int32Targets: int32Targets, &out, withGrad: withGrad)
    return out
}

func runSoftmax<T: Storage>(
    _ x: [T], _ targets: [Int], batch: Int, classes: Int, inner: Int, alpha: [Double]?, options: SoftmaxFocalOptions,
    upstream: [T]?, int32Targets: Bool, _ out: inout Outputs<T>, withGrad: Bool = true
) throws(FocalError) {
    let y64 = targets.map { Int64(truncatingIfNeeded: $0) }
    let y32 = targets.map { Int32(truncatingIfNeeded: $0) }
    let (b, c, i) = (Int64(batch), Int64(classes), Int64(inner))
    let result: Result<Void, FocalError> = withOptionalBuffer(alpha) { ab in
        var opts = options
        opts.alpha = ab
        return x.withUnsafeBufferPointer { xb in
            withOptionalBuffer(upstream) { ub in
                out.loss.withUnsafeMutableBufferPointer { lb in
                    out.grad.withUnsafeMutableBufferPointer { gAll in
                        let gb = withGrad ? gAll : nil
                        if int32Targets {
                            return y32.withUnsafeBufferPointer { yb in
                                Result { () throws(FocalError) in try T.softmax(xb, yb, b, c, i, ub, opts, lb, gb) }
                            }
                        }
                        return y64.withUnsafeBufferPointer { yb in
                            Result { () throws(FocalError) in try T.softmax(xb, yb, b, c, i, ub, opts, lb, gb) }
                        }
                    }
                }
            }
        }
    }
    try result.get()
}

func withOptionalBuffer<T, R>(_ array: [T]?, _ body: (UnsafeBufferPointer<T>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0) }
}

// MARK: - Error measures

/// |a − b| in units of the last place of `b` rounded to `T` (1 ulp of the smallest subnormal
/// at 0), the way swift-numerics measures accuracy.
func ulps<T: FocalScalar>(_ value: T, _ exact: Wide) -> Double {
    if value.isNaN || exact.isNaN { return value.isNaN && exact.isNaN ? 0 : .infinity }
    let rounded = T(Double(exact))
    let ulp = rounded == 0 ? T.leastNonzeroMagnitude : rounded.ulp
    return Double(abs(Wide(value.double) - exact) / Wide(ulp.double))
}

/// |a − b| relative to `scale` (never below the smallest normal Double).
func relative(_ value: Double, _ exact: Wide, scale: Wide) -> Double {
    if value.isNaN || exact.isNaN { return value.isNaN && exact.isNaN ? 0 : .infinity }
    return Double(abs(Wide(value) - exact) / max(scale, Wide(Double.leastNormalMagnitude)))
}

/// A deterministic generator (SplitMix64), so every run checks the same cases.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
