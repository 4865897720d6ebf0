import _KernelInterface

/// The storage types the kernels read and write, `Float`, `Double`, `Float16` and `BFloat16`
/// (the 16-bit ones computed as `Float`: read exactly, each result rounded once). The exact tier
/// evaluates in `Double` whatever the storage type (the fast tier: `FastArithmetic`); for
/// `Float` the per-element exp and log1p are FastMath's float tier (3e-10 relative), so a `Float` result is the rounding of
/// an answer good to ~1e-9: within about half an ulp (≤ 0.55 ulp for γ ≤ 10, `make accuracy`).
protocol KernelScalar: BinaryFloatingPoint {
    /// A signed integer of the same width whose order is the order of the values, −0 < +0,
    /// with every NaN outside [key(−∞), key(+∞)]: maxima and "any non-finite" then reduce
    /// with integer min and max, which vectorize without fast-math.
    associatedtype Key: FixedWidthInteger & SignedInteger
    init(_ value: Double)
    /// `value` rounded once to this type, to nearest even, as the kernels store every result:
    /// `init(_:)` for `Float` and `Double`; for the 16-bit types through a `Float` rounded to
    /// odd, whose conversion to 16 bits vectorizes where a direct one from `Double` is a call.
    init(rounding value: Double)
    var double: Double { get }
    /// 0 for a hard target (0 or 1) of a validated sigmoid target, non-zero for a soft one, for
    /// the kernels' OR over a block.
    static func softTargetKey(_ t: Self) -> Key
    var orderedKey: Key { get }
    init(orderedKey: Key)
    /// e^x and log(1 + e) on [0, 1] as accurate as this type needs (FastMath's float tier for
    /// Float), for the kernels' per-element loops.
    static func exp(_ x: Double) -> Double
    static func log1pUnit(_ e: Double) -> Double
}

extension Float: KernelScalar {
    @inline(__always) init(rounding value: Double) { self.init(value) }
    // t·(1 − t) is +0 exactly for hard targets (targets are validated in [0, 1]); its key is then 0.
    @inline(__always) static func softTargetKey(_ t: Float) -> Int32 { (t * (1 - t)).orderedKey }
    @inline(__always) var double: Double { Double(self) }
    @inline(__always) static func exp(_ x: Double) -> Double { FastMath.expFloatTier(x) }
    @inline(__always) static func log1pUnit(_ e: Double) -> Double { FastMath.log1pUnitFloatTier(e) }
    @inline(__always) var orderedKey: Int32 {
        let bits = Int32(bitPattern: bitPattern)
        return bits ^ ((bits &>> 31) & Int32.max)
    }
    @inline(__always) init(orderedKey key: Int32) {
        self.init(bitPattern: UInt32(bitPattern: key ^ ((key &>> 31) & Int32.max)))
    }
}

extension Double: KernelScalar {
    @inline(__always) init(rounding value: Double) { self.init(value) }
    @inline(__always) static func softTargetKey(_ t: Double) -> Int64 { (t * (1 - t)).orderedKey }
    @inline(__always) var double: Double { self }
    @inline(__always) static func exp(_ x: Double) -> Double { FastMath.exp(x) }
    @inline(__always) static func log1pUnit(_ e: Double) -> Double { FastMath.log1pUnit(e) }
    @inline(__always) var orderedKey: Int64 {
        let bits = Int64(bitPattern: bitPattern)
        return bits ^ ((bits &>> 63) & Int64.max)
    }
    @inline(__always) init(orderedKey key: Int64) {
        self.init(bitPattern: UInt64(bitPattern: key ^ ((key &>> 63) & Int64.max)))
    }
}

extension Float16: KernelScalar {
    @inline(__always) init(rounding value: Double) { self.init(Float(roundingToOdd: value)) }
    @inline(__always) static func softTargetKey(_ t: Float16) -> Int16 {
        let f = Float(t)
        return f == 0 || f == 1 ? 0 : 1
    }
    @inline(__always) var double: Double { Double(Float(self)) }
    @inline(__always) static func exp(_ x: Double) -> Double { FastMath.expFloatTier(x) }
    @inline(__always) static func log1pUnit(_ e: Double) -> Double { FastMath.log1pUnitFloatTier(e) }
    @inline(__always) var orderedKey: Int16 {
        let bits = Int16(bitPattern: bitPattern)
        return bits ^ ((bits &>> 15) & Int16.max)
    }
    @inline(__always) init(orderedKey key: Int16) {
        self.init(bitPattern: UInt16(bitPattern: key ^ ((key &>> 15) & Int16.max)))
    }
}

extension BFloat16: KernelScalar {
    @inline(__always) init(rounding value: Double) { self.init(value) }
    @inline(__always) static func softTargetKey(_ t: BFloat16) -> Int16 {
        let f = t.float
        return f == 0 || f == 1 ? 0 : 1
    }
    @inline(__always) var double: Double { Double(float) }
    @inline(__always) static func exp(_ x: Double) -> Double { FastMath.expFloatTier(x) }
    @inline(__always) static func log1pUnit(_ e: Double) -> Double { FastMath.log1pUnitFloatTier(e) }
    @inline(__always) var orderedKey: Int16 {
        let bits = Int16(bitPattern: bitPattern)
        return bits ^ ((bits &>> 15) & Int16.max)
    }
    @inline(__always) init(orderedKey key: Int16) {
        self.init(bitPattern: UInt16(bitPattern: key ^ ((key &>> 15) & Int16.max)))
    }
}

/// `(1 − p)^γ` for a fixed γ, given `m = 1 − p ∈ [0, 1]` and `log m`.
///
/// Integer γ (0, 1, 2, 3, …, up to 64) is evaluated by repeated squaring: exact for γ = 0
/// (`0^0 = 1`, as `torch.pow`), one rounding per multiplication otherwise, and faster than
/// `exp`. Any other γ is `exp(γ · log m)`, where the caller supplies `log m` computed in log
/// space, so an underflowed `m` never turns into garbage or NaN: `exp(γ · −∞) = 0` for γ > 0.
/// Each law is its own type so that the kernels are specialized for it and `log m` is not
/// even computed when an integer law ignores it.
protocol FocusingLaw {
    func callAsFunction(_ m: Double, log logM: Double) -> Double
    /// The same factor in arithmetic `A`, with `log m = logHi + logLo` unevaluated.
    func focus<A: Arithmetic>(_: A.Type, _ m: A.Value, logHi: A.Value, logLo: A.Value) -> A.Value
}

/// γ = 2, the default: one multiplication.
struct SquareLaw: FocusingLaw {
    @inline(__always) func callAsFunction(_ m: Double, log logM: Double) -> Double { m * m }
    @inline(__always) func focus<A: Arithmetic>(_: A.Type, _ m: A.Value, logHi: A.Value, logLo: A.Value) -> A.Value { m * m }
}

/// Integer γ ≤ 64 by repeated squaring over its 7 bits; multiplying by 1 where a bit is 0
/// keeps the loop branch-free and the result exactly that of the usual square-and-multiply.
struct IntegerLaw: FocusingLaw {
    let exponent: Int
    @inline(__always) func callAsFunction(_ m: Double, log logM: Double) -> Double {
        focus(ExactArithmetic<Double>.self, m, logHi: logM, logLo: 0)
    }
    @inline(__always) func focus<A: Arithmetic>(_: A.Type, _ m: A.Value, logHi: A.Value, logLo: A.Value) -> A.Value {
        var result: A.Value = 1
        var base = m
        for bit in 0 ..< 7 {
            result *= (exponent >> bit) & 1 == 1 ? base : 1
            base *= base
        }
        return result
    }
}

/// Integer γ above `A.largestSquaredExponent` (the fast tier's γ ≥ 3): `A.power` in the
/// hard-target elements, square-and-multiply where a kernel computes in double (soft-target
/// blocks, which stay bit-identical to the exact tier's).
struct IntegerByPowerLaw: FocusingLaw {
    let integer: IntegerLaw
    @inline(__always) func callAsFunction(_ m: Double, log logM: Double) -> Double { integer(m, log: logM) }
    @inline(__always) func focus<A: Arithmetic>(_: A.Type, _ m: A.Value, logHi: A.Value, logLo: A.Value) -> A.Value {
        A.power(logHi: logHi, logLo: logLo, gamma: A.Value(integer.exponent), gammaLo: 0)
    }
}

/// Any other γ: `exp(γ · log m)`.
struct RealLaw: FocusingLaw {
    let gamma: Double
    @inline(__always) func callAsFunction(_ m: Double, log logM: Double) -> Double {
        FastMath.exp(gamma * logM)
    }
    @inline(__always) func focus<A: Arithmetic>(_: A.Type, _ m: A.Value, logHi: A.Value, logLo: A.Value) -> A.Value {
        let g = A.Value(gamma)
        return A.power(logHi: logHi, logLo: logLo, gamma: g, gammaLo: A.Value(gamma - g.double))
    }
}

/// The arithmetic a kernel's hard-target elements evaluate in (the precision tier): the exact
/// tier's double, with the storage type's exp and log1p, or the fast tier's float32.
protocol Arithmetic {
    associatedtype Value: KernelScalar
    static func exp(_ x: Value) -> Value
    static func log1pUnit(_ e: Value) -> Value
    /// `e^{γ·(logHi + logLo)}`, a focusing factor `m^γ` from `log m` as an unevaluated sum.
    /// `gammaLo` is what `gamma` lost in its rounding to `Value` (0 in double).
    static func power(logHi: Value, logLo: Value, gamma: Value, gammaLo: Value) -> Value
    /// Integer γ up to this go by square-and-multiply in this arithmetic, larger ones by
    /// `power`: in float32 each multiplication's rounding and m's own error compound γ times
    /// (19 ulps at γ = 5 measured, against 7 by `power`).
    static var largestSquaredExponent: Int { get }
    /// `e^{x − M}` of a softmax logit `x` (storage type `S`) and its row's maximum `M` (a value
    /// of `S`, held in `Value` exactly), and whether `x − M` is 0 (x is a maximum), scaled by
    /// `1 / inverseExpScale`: `x − M` is exact in double; in float32 it is formed as an
    /// unevaluated sum, so that its rounding (up to 2^-24·|x − M| absolute, 44 ulps of the
    /// result at x − M = −88) never reaches the exp.
    static func expDifference<S: KernelScalar>(_ x: S, _ max: Value) -> (zero: Bool, e: Value)
    /// `hi + lo += x` for a softmax sum of terms `x ≥ 0` across classes: in double the plain
    /// sum (`lo` stays 0); in float32 Knuth's two-sum, so that a sum of C terms is good to the
    /// terms' own error whatever C, with every operation in float32 (16 lanes).
    static func accumulate(_ x: Value, _ hi: inout Value, _ lo: inout Value)
    /// `expDifference` returns `e^{x − M}` times a power of two, and a kernel multiplies its
    /// sums by this, the inverse: 1 in double; in float32 the scaled terms stay
    /// normal down to e^{x − M} ≈ e^−131 instead of e^−87, so that a row's sum of many tiny
    /// terms (its whole loss, where the target is the maximum) keeps float32's relative
    /// precision instead of a subnormal rounding per term.
    static var inverseExpScale: Double { get }
    /// Whether the softmax's rows of 8 to 15 classes, transposed into tiles, sum their terms in
    /// the row path's order (giving its bits, at the cost of a tile of double terms): the exact
    /// tier's promise; the fast tier sums them by `accumulate`, all in float32.
    static var sumsInRowOrder: Bool { get }
}

/// The exact tier: double, whatever the storage type `T`, with `T`'s exp and log1p (FastMath's
/// float tier for float32 storage). `power` is `exp(γ·log m)` with `T`'s exp too: for float32
/// storage the float tier's (degree 8, 3e-10 relative: 0.005 ulp of the result) instead of the
/// degree-13 exp that `RealLaw` keeps for soft targets and for the softmax's per-position factor
/// (docs/performance.md: what it gains).
enum ExactArithmetic<T: KernelScalar>: Arithmetic {
    @inline(__always) static func exp(_ x: Double) -> Double { T.exp(x) }
    @inline(__always) static func log1pUnit(_ e: Double) -> Double { T.log1pUnit(e) }
    @inline(__always) static func power(logHi: Double, logLo: Double, gamma: Double, gammaLo: Double) -> Double {
        T.exp(gamma * (logHi + logLo))
    }
    static var largestSquaredExponent: Int { 64 }
    @inline(__always) static func expDifference<S: KernelScalar>(_ x: S, _ max: Double) -> (zero: Bool, e: Double) {
        let d = x.double - max
        return (d == 0, T.exp(d))
    }
    @inline(__always) static func accumulate(_ x: Double, _ hi: inout Double, _ lo: inout Double) { hi += x }
    static var sumsInRowOrder: Bool { true }
    static var inverseExpScale: Double { 1 }
}

/// The fast tier: float32 throughout (16 lanes per AVX-512 register), FastMathFloat's exp and
/// log1p. `power` forms `γ·logHi` exactly as a two-part product (with FMA) and hands exp the
/// unevaluated sum, so the result's relative error is that of `γ·logLo` and of exp itself
/// rather than the rounding of a large argument (`−γ·|x|` at |x| = 16, γ = 5 is −80, whose
/// float32 rounding alone would be a 4e-6 relative error, 64 ulps).
enum FastArithmetic: Arithmetic {
    @inline(__always) static func exp(_ x: Float) -> Float { FastMathFloat.exp(x) }
    @inline(__always) static func log1pUnit(_ e: Float) -> Float { FastMathFloat.log1pUnit(e) }
    @inline(__always) static func power(logHi: Float, logLo: Float, gamma: Float, gammaLo: Float) -> Float {
        // γ·logHi = p + pLo exactly, plus γLo·logHi for the part of γ float32 does not hold
        // (γ = 3.7 is 3.7 − 9.5e-8: times logHi = −18 that alone is 1.7e-6, 29 ulps);
        // γ·logLo (|logLo| ≤ log 2) rounded once; their sum as s + sLo by Knuth's two-sum
        // (either may be the larger), so exp sees an argument good to ~2^-40 of its size
        // instead of one rounded to 2^-24.
        let (p, pProduct) = twoProduct(gamma, logHi)
        let pLo = mulAdd(gammaLo, logHi, pProduct)
        let q = gamma * logLo
        let s = p + q
        let v = s - p
        let sLo = (p - (s - v)) + (q - v)
        return FastMathFloat.exp(s, sLo + pLo)
    }
    static var largestSquaredExponent: Int { 2 }
    static var sumsInRowOrder: Bool { false }
    @inline(__always) static func accumulate(_ x: Float, _ hi: inout Float, _ lo: inout Float) {
        let s = hi + x
        let xPart = s - hi
        lo += (hi - (s - xPart)) + (x - xPart)
        hi = s
    }
    @inline(__always) static func expDifference<S: KernelScalar>(_ x: S, _ max: Float) -> (zero: Bool, e: Float) {
        // Knuth's two-sum of x and −M (either may be the larger in magnitude): hi + lo = x − M
        // exactly. hi = 0 only where x = M. Where hi is infinite (an infinite logit, or x − M
        // beyond the float range) lo is NaN, and exp ignores it (its argument is clamped).
        let a = Float(x.double), b = -max
        let hi = a + b
        let bPart = hi - a
        let lo = (a - (hi - bPart)) + (b - bPart)
        return (hi == 0, FastMathFloat.expScaled(hi, lo))
    }
    static var inverseExpScale: Double { 0x1p-64 }
}

/// Which law γ takes; a kernel switches on it once and runs specialized for that law.
enum FocusingLawChoice {
    case square
    case integer(IntegerLaw)
    case real(RealLaw)

    init(gamma: Double) {
        if gamma == 2 {
            self = .square
        } else if gamma == gamma.rounded(), gamma <= 64 {
            self = .integer(IntegerLaw(exponent: Int(gamma)))
        } else {
            self = .real(RealLaw(gamma: gamma))
        }
    }
}

/// Sums `count` doubles in eight interleaved lanes, then the lanes and the tail, in a fixed
/// order (so the result depends only on the data), at vector speed. The terms the kernels
/// sum are losses and weighted derivatives of one sign, so the error stays within
/// ~count/8 ulps of the sum.
@inline(__always)
func laneSum(_ values: UnsafePointer<Double>, _ count: Int) -> Double {
    var lanes = SIMD8<Double>()
    var i = 0
    while i + 8 <= count {
        lanes += UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<Double>.self)
        i += 8
    }
    var sum = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]))
    while i < count {
        sum += values[i]
        i += 1
    }
    return sum
}

/// `laneSum` of values of any kernel type, each widened to double: the same lanes and order.
@inline(__always)
func laneSum<V: KernelScalar>(_ values: UnsafePointer<V>, _ count: Int) -> Double {
    if V.self == Double.self {
        return laneSum(UnsafeRawPointer(values).assumingMemoryBound(to: Double.self), count)
    }
    var lanes = SIMD8<Double>()
    var i = 0
    while i + 8 <= count {
        var v = SIMD8<Double>()
        for k in 0 ..< 8 { v[k] = values[i + k].double }
        lanes += v
        i += 8
    }
    var sum = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]))
    while i < count {
        sum += values[i].double
        i += 1
    }
    return sum
}

/// What a block of sigmoid elements holds, from one pass over it: soft targets (any target but
/// 0 and 1: `softTargetKey` is 0 exactly for hard ones) and infinite logits. The sigmoid, family
/// and gradient-and-Hessian kernels choose their blocks' loops by it. Integer ORs, because LLVM
/// keeps a loop computing "any" scalar.
@inline(__always)
func blockKind<T: KernelScalar>(_ x: UnsafePointer<T>, _ t: UnsafePointer<T>, _ count: Int) -> (soft: Bool, infinite: Bool) {
    var softTargets: T.Key = 0, infiniteLogits: T.Key = 0
    forEach(count) { i in
        softTargets |= T.softTargetKey(t[i])
        infiniteLogits |= x[i].magnitude == .infinity ? 1 : 0
    }
    return (softTargets != 0, infiniteLogits != 0)
}

/// `body(i)` for i in `0 ..< count`, in order. The kernels' vectorizable loops use this rather
/// than `for i in 0 ..< count`: when LLVM cannot bound `count`, the range iterator keeps an
/// overflow trap in the loop, a second exit that stops vectorization.
@inline(__always)
func forEach(_ count: Int, _ body: (Int) -> Void) {
    var i = 0
    while i < count {
        body(i)
        i &+= 1
    }
}

/// An `InlineArray` of `count` elements of a trivial type, left uninitialized: a stack buffer
/// (Swift's `withUnsafeTemporaryAllocation` uses the heap above 1 KiB on Linux, which would
/// allocate per chunk) without `InlineArray(repeating:)`'s fill, a memset of 6 KiB per sigmoid
/// chunk and 43 KiB per softmax chunk that was most of a tiny call's time. The kernels write
/// every element before they read it. The ASan builds (Makefile) define FOCAL_SCRATCH_POISON,
/// which fills it with all-ones bytes instead (NaN doubles, −1 integers), so that an element
/// read before it is written shows in a result the tests check.
@inline(__always)
func uninitializedScratch<let count: Int, Element: BitwiseCopyable>(_: Element.Type) -> InlineArray<count, Element> {
    InlineArray(initializingWith: { span in
        span.withUnsafeMutableBufferPointer { buffer, initialized in
            #if FOCAL_SCRATCH_POISON
            UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0xFF)
            #endif
            initialized = buffer.count
        }
    })
}

/// Runs `body` with `3 · sigmoidBlock` doubles of uninitialized stack scratch.
@inline(__always)
func withSigmoidScratch<R>(_ body: (UnsafeMutablePointer<Double>) -> R) -> R {
    var storage: InlineArray<768, Double> = uninitializedScratch(Double.self)
    return withUnsafeMutablePointer(to: &storage) { body(UnsafeMutableRawPointer($0).assumingMemoryBound(to: Double.self)) }
}

/// As `withSigmoidScratch`, for softmax: 4096 + 22 · 64 doubles (`softmaxScratch`, then
/// `softmaxPositionArrays` arrays of `softmaxGroup`) and 4 · 64 integers.
@inline(__always)
func withSoftmaxScratch<R>(_ body: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Int64>) -> R) -> R {
    var doubles: InlineArray<5504, Double> = uninitializedScratch(Double.self)
    var integers: InlineArray<256, Int64> = uninitializedScratch(Int64.self)
    return withUnsafeMutablePointer(to: &doubles) { d in
        withUnsafeMutablePointer(to: &integers) { i in
            body(UnsafeMutableRawPointer(d).assumingMemoryBound(to: Double.self),
                 UnsafeMutableRawPointer(i).assumingMemoryBound(to: Int64.self))
        }
    }
}
