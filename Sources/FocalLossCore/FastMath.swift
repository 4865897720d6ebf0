#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The storage types of logits, targets, losses and gradients: `Float` and `Double`.
///
/// Every kernel evaluates in `Double` whatever the storage type: a `Float` result is then
/// the correctly rounded value of an answer that is good to about 1e-15, i.e. within about
/// half an ulp, and the `Double` path needs no second code path.
public protocol FocalScalar: BinaryFloatingPoint, Sendable {
    init(_ value: Double)
    var double: Double { get }
}

extension Float: FocalScalar {
    @inline(__always) public var double: Double { Double(self) }
}

extension Double: FocalScalar {
    @inline(__always) public var double: Double { self }
}

/// `(1 − p)^γ` for a fixed γ, given `1 − p` and its logarithm.
///
/// Integer γ (0, 1, 2, 3, …, up to 64) is evaluated by repeated squaring: exact for γ = 0
/// (`0^0 = 1`, as `torch.pow`), one rounding per multiplication otherwise, and faster than
/// `exp`. Any other γ is `exp(γ · log(1 − p))`, where the caller supplies `log(1 − p)`
/// computed in log space, so an underflowed `1 − p` never turns into garbage or NaN:
/// `exp(γ · −∞) = 0` for γ > 0.
@usableFromInline
struct FocusingPower: Sendable {
    @usableFromInline let gamma: Double
    @usableFromInline let integerExponent: Int  // −1 when γ is not a small integer

    @usableFromInline
    init(gamma: Double) {
        self.gamma = gamma
        if gamma == gamma.rounded(), gamma <= 64 {
            integerExponent = Int(gamma)
        } else {
            integerExponent = -1
        }
    }

    /// `m^γ` where `m = 1 − p ∈ [0, 1]` and `logM = log(m)` (only read for non-integer γ).
    @inline(__always)
    func callAsFunction(_ m: Double, log logM: @autoclosure () -> Double) -> Double {
        if integerExponent >= 0 {
            var n = integerExponent
            var base = m
            var result = 1.0
            while n > 0 {
                if n & 1 == 1 { result *= base }
                n >>= 1
                if n > 0 { base *= base }
            }
            return result
        }
        return exp(gamma * logM())
    }
}

/// `exp`, `log`, `log1p` and `expm1` in double precision, from the C library. Named here so
/// that a later, faster implementation replaces them in one place.
@inline(__always) func fexp(_ x: Double) -> Double { exp(x) }
@inline(__always) func flog(_ x: Double) -> Double { log(x) }
@inline(__always) func flog1p(_ x: Double) -> Double { log1p(x) }
@inline(__always) func fexpm1(_ x: Double) -> Double { expm1(x) }
