/// A compensated (Neumaier / Kahan–Babuška) sum: the running sum plus the rounding error of
/// every addition, so the result is as good as a sum in twice the precision, whatever the
/// length, and it depends only on the order of the terms, which the callers fix.
public struct CompensatedSum: Sendable {
    public var sum = 0.0
    public var compensation = 0.0

    @inlinable public init() {}

    @inlinable @inline(__always)
    public mutating func add(_ x: Double) {
        let t = sum + x
        // The rounding error of `sum + x`, exact when |sum| >= |x| (and symmetrically). An
        // infinite or NaN sum has none: its "error" would be ∞ − ∞, a NaN that would turn an
        // infinite sum (a loss that is +∞ in the limit) into NaN.
        let error = abs(sum) >= abs(x) ? (sum - t) + x : (x - t) + sum
        compensation += t.isFinite ? error : 0
        sum = t
    }

    @inlinable @inline(__always)
    public mutating func add(_ other: CompensatedSum) {
        add(other.sum)
        add(other.compensation)
    }

    @inlinable public var value: Double { sum + compensation }
}

