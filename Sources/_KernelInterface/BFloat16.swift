#if canImport(Glibc)
import Glibc
#endif

/// bfloat16: the upper half of an IEEE 754 binary32 (8 exponent bits, 7 stored significand
/// bits), the storage format of TPUs, PyTorch's `torch.bfloat16` and `ml_dtypes.bfloat16`.
/// Swift has no such type: this one stores the 16 bits and does every operation in `Float`
/// (exact, then rounded once to nearest even), which is all the library needs of it (storage,
/// conversions, comparisons); arithmetic happens in `Float` or `Double` inside the kernels.

public struct BFloat16: Sendable {
    public var bitPattern: UInt16

    @inlinable @inline(__always)
    public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    /// The value as a `Float`, exactly.
    @inlinable @inline(__always)
    public var float: Float { Float(bitPattern: UInt32(bitPattern) &<< 16) }

    /// `value` rounded to nearest, ties to even; NaN stays NaN (quiet), ±∞ stays ±∞.
    @inlinable @inline(__always)
    public init(_ value: Float) {
        let bits = value.bitPattern
        let rounded = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16
        let nan = (bits & 0x7FFF_FFFF) > 0x7F80_0000
        bitPattern = nan ? UInt16(truncatingIfNeeded: bits &>> 16) | 0x40 : UInt16(truncatingIfNeeded: rounded)
    }

    /// `value` rounded to nearest, ties to even, once: through `Float` rounded to odd (a Float
    /// of 24 bits rounded to odd keeps the sticky information that a second rounding to 8 bits
    /// needs, so the result is the correctly rounded one, not a double rounding's).
    @inlinable @inline(__always)
    public init(_ value: Double) {
        self.init(Float(roundingToOdd: value))
    }

    @inlinable @inline(__always)
    public init(_ value: Float80) { self.init(Double(value)) }
}

extension Float {
    /// `value` rounded to a `Float` by round-to-odd: exact values unchanged; an inexact one
    /// becomes whichever of its two `Float` neighbours has an odd last bit. Branch-free.
    @inlinable @inline(__always)
    public init(roundingToOdd value: Double) {
        let nearest = Float(value)
        let back = Double(nearest)
        let inexact = back != value && value == value && nearest.isFinite
        let even = nearest.bitPattern & 1 == 0
        // Toward `value` by one ulp: a step of the magnitude's bits, down where nearest is the
        // larger in magnitude.
        let larger = abs(back) > abs(value)
        let bits = nearest.bitPattern
        let stepped = larger ? bits &- 1 : bits &+ 1
        self = Float(bitPattern: inexact && even ? stepped : bits)
    }
}

extension BFloat16: BinaryFloatingPoint {
    public typealias RawSignificand = UInt16
    public typealias RawExponent = UInt
    public typealias Exponent = Int
    public typealias Magnitude = BFloat16
    public typealias IntegerLiteralType = Int
    public typealias FloatLiteralType = Float

    public static var exponentBitCount: Int { 8 }
    public static var significandBitCount: Int { 7 }

    public init(sign: FloatingPointSign, exponentBitPattern: UInt, significandBitPattern: UInt16) {
        let s: UInt16 = sign == .minus ? 0x8000 : 0
        self.init(bitPattern: s | UInt16(truncatingIfNeeded: (exponentBitPattern & 0xFF) << 7) | (significandBitPattern & 0x7F))
    }
    public init(sign: FloatingPointSign, exponent: Int, significand: BFloat16) {
        self.init(Float(sign: sign, exponent: exponent, significand: significand.float))
    }
    public init(signOf: BFloat16, magnitudeOf: BFloat16) {
        self.init(bitPattern: (signOf.bitPattern & 0x8000) | (magnitudeOf.bitPattern & 0x7FFF))
    }
    public init(integerLiteral value: Int) { self.init(Float(value)) }
    public init(floatLiteral value: Float) { self.init(value) }
    public init(_ value: Int) { self.init(Float(value)) }
    public init<Source: BinaryInteger>(_ value: Source) { self.init(Double(value)) }

    public var exponentBitPattern: UInt { UInt((bitPattern >> 7) & 0xFF) }
    public var significandBitPattern: UInt16 { bitPattern & 0x7F }
    public var binade: BFloat16 { BFloat16(float.binade) }
    public var significandWidth: Int { float.significandWidth }

    public static var nan: BFloat16 { BFloat16(bitPattern: 0x7FC0) }
    public static var signalingNaN: BFloat16 { BFloat16(bitPattern: 0x7FA0) }
    public static var infinity: BFloat16 { BFloat16(bitPattern: 0x7F80) }
    public static var greatestFiniteMagnitude: BFloat16 { BFloat16(bitPattern: 0x7F7F) }
    public static var pi: BFloat16 { BFloat16(bitPattern: 0x4049) }  // rounded toward zero, as Float.pi
    public static var leastNormalMagnitude: BFloat16 { BFloat16(bitPattern: 0x0080) }
    public static var leastNonzeroMagnitude: BFloat16 { BFloat16(bitPattern: 0x0001) }

    public var ulp: BFloat16 {
        guard isFinite else { return .nan }
        let next = BFloat16(bitPattern: (bitPattern & 0x7FFF) + 1)
        return next.isFinite ? BFloat16(next.float - BFloat16(bitPattern: bitPattern & 0x7FFF).float)
            : BFloat16(bitPattern: 0x7F7F) - BFloat16(bitPattern: 0x7F7E)
    }
    public var sign: FloatingPointSign { bitPattern & 0x8000 != 0 ? .minus : .plus }
    public var exponent: Int { float.exponent }
    public var significand: BFloat16 { BFloat16(float.significand) }
    public var magnitude: BFloat16 { BFloat16(bitPattern: bitPattern & 0x7FFF) }

    public static func + (a: BFloat16, b: BFloat16) -> BFloat16 { BFloat16(Double(a.float) + Double(b.float)) }
    public static func - (a: BFloat16, b: BFloat16) -> BFloat16 { BFloat16(Double(a.float) - Double(b.float)) }
    public static func * (a: BFloat16, b: BFloat16) -> BFloat16 { BFloat16(a.float * b.float) }
    public static func / (a: BFloat16, b: BFloat16) -> BFloat16 { BFloat16(Double(a.float) / Double(b.float)) }
    public static func += (a: inout BFloat16, b: BFloat16) { a = a + b }
    public static func -= (a: inout BFloat16, b: BFloat16) { a = a - b }
    public static func *= (a: inout BFloat16, b: BFloat16) { a = a * b }
    public static func /= (a: inout BFloat16, b: BFloat16) { a = a / b }
    public static prefix func - (a: BFloat16) -> BFloat16 { BFloat16(bitPattern: a.bitPattern ^ 0x8000) }
    public mutating func negate() { bitPattern ^= 0x8000 }

    public mutating func formRemainder(dividingBy other: BFloat16) {
        var f = float; f.formRemainder(dividingBy: other.float); self = BFloat16(f)
    }
    public mutating func formTruncatingRemainder(dividingBy other: BFloat16) {
        var f = float; f.formTruncatingRemainder(dividingBy: other.float); self = BFloat16(f)
    }
    public mutating func formSquareRoot() { self = BFloat16(Double(float).squareRoot()) }
    public mutating func addProduct(_ lhs: BFloat16, _ rhs: BFloat16) {
        self = BFloat16(Double(float) + Double(lhs.float) * Double(rhs.float))
    }
    public mutating func round(_ rule: FloatingPointRoundingRule) { self = BFloat16(float.rounded(rule)) }

    public var nextUp: BFloat16 { BFloat16(bitPattern: 0) == self ? .leastNonzeroMagnitude : BFloat16(nextUpBits: self) }

    public func isEqual(to other: BFloat16) -> Bool { float == other.float }
    public func isLess(than other: BFloat16) -> Bool { float < other.float }
    public func isLessThanOrEqualTo(_ other: BFloat16) -> Bool { float <= other.float }
    public func isTotallyOrdered(belowOrEqualTo other: BFloat16) -> Bool { float.isTotallyOrdered(belowOrEqualTo: other.float) }

    public var isNormal: Bool { float.isNormal }
    public var isFinite: Bool { float.isFinite }
    public var isZero: Bool { bitPattern & 0x7FFF == 0 }
    public var isSubnormal: Bool { float.isSubnormal }
    public var isInfinite: Bool { float.isInfinite }
    public var isNaN: Bool { float.isNaN }
    public var isSignalingNaN: Bool { float.isSignalingNaN }
    public var isCanonical: Bool { true }

    public func distance(to other: BFloat16) -> BFloat16 { other - self }
    public func advanced(by n: BFloat16) -> BFloat16 { self + n }

    public static func == (a: BFloat16, b: BFloat16) -> Bool { a.float == b.float }
    public static func < (a: BFloat16, b: BFloat16) -> Bool { a.float < b.float }
    public func hash(into hasher: inout Hasher) { hasher.combine(isZero ? 0 : bitPattern) }
}

extension BFloat16 {
    public init?<Source: BinaryInteger>(exactly value: Source) {
        let v = BFloat16(value)
        guard v.isFinite, Source(exactly: v.float) == value else { return nil }
        self = v
    }

    @usableFromInline init(nextUpBits x: BFloat16) {
        if x.isNaN || x == .infinity { self = x; return }
        if x.bitPattern == 0x8000 || x.bitPattern == 0 { self = .leastNonzeroMagnitude; return }
        self = BFloat16(bitPattern: x.bitPattern & 0x8000 != 0 ? x.bitPattern - 1 : x.bitPattern + 1)
    }
}

extension BFloat16: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { float.description }
    public var debugDescription: String { float.debugDescription }
}
