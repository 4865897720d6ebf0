/// The storage types the kernels read and write, `Float` and `Double`. Every kernel
/// evaluates in `Double` whatever the storage type; for `Float` the per-element exp and
/// log1p are FastMath's float tier (3e-10 relative), so a `Float` result is the rounding of
/// an answer good to ~1e-9: within about half an ulp (≤ 0.55 ulp for γ ≤ 10, `make accuracy`).
protocol KernelScalar: BinaryFloatingPoint {
    /// A signed integer of the same width whose order is the order of the values, −0 < +0,
    /// with every NaN outside [key(−∞), key(+∞)]: maxima and "any non-finite" then reduce
    /// with integer min and max, which vectorize without fast-math.
    associatedtype Key: FixedWidthInteger & SignedInteger
    init(_ value: Double)
    var double: Double { get }
    var orderedKey: Key { get }
    init(orderedKey: Key)
    /// e^x and log(1 + e) on [0, 1] as accurate as this type needs (FastMath's float tier for
    /// Float), for the kernels' per-element loops.
    static func exp(_ x: Double) -> Double
    static func log1pUnit(_ e: Double) -> Double
}

extension Float: KernelScalar {
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
}

/// γ = 2, the default: one multiplication.
struct SquareLaw: FocusingLaw {
    @inline(__always) func callAsFunction(_ m: Double, log logM: Double) -> Double { m * m }
}

/// Integer γ ≤ 64 by repeated squaring over its 7 bits; multiplying by 1 where a bit is 0
/// keeps the loop branch-free and the result exactly that of the usual square-and-multiply.
struct IntegerLaw: FocusingLaw {
    let exponent: Int
    @inline(__always) func callAsFunction(_ m: Double, log logM: Double) -> Double {
        var result = 1.0
        var base = m
        for bit in 0 ..< 7 {
            result *= (exponent >> bit) & 1 == 1 ? base : 1
            base *= base
        }
        return result
    }
}

/// Any other γ: `exp(γ · log m)`.
struct RealLaw: FocusingLaw {
    let gamma: Double
    @inline(__always) func callAsFunction(_ m: Double, log logM: Double) -> Double {
        FastMath.exp(gamma * logM)
    }
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

/// Runs `body` with `SigmoidScratch.count` doubles of scratch on the stack. (Swift's
/// `withUnsafeTemporaryAllocation` uses the heap above 1 KiB on Linux, which would allocate
/// per chunk; an `InlineArray` local lives in the stack frame.)
@inline(__always)
func withSigmoidScratch<R>(_ body: (UnsafeMutablePointer<Double>) -> R) -> R {
    var storage = InlineArray<768, Double>(repeating: 0)
    return withUnsafeMutablePointer(to: &storage) { body(UnsafeMutableRawPointer($0).assumingMemoryBound(to: Double.self)) }
}

/// As `withSigmoidScratch`, for softmax: 4096 + 17 · 64 doubles (`softmaxScratch`, then
/// `softmaxPositionArrays` arrays of `softmaxGroup`) and 3 · 64 integers.
@inline(__always)
func withSoftmaxScratch<R>(_ body: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Int64>) -> R) -> R {
    var doubles = InlineArray<5184, Double>(repeating: 0)
    var integers = InlineArray<192, Int64>(repeating: 0)
    return withUnsafeMutablePointer(to: &doubles) { d in
        withUnsafeMutablePointer(to: &integers) { i in
            body(UnsafeMutableRawPointer(d).assumingMemoryBound(to: Double.self),
                 UnsafeMutableRawPointer(i).assumingMemoryBound(to: Int64.self))
        }
    }
}
