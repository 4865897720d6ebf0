// The kernels' own exp, expm1, log, log1p and log1pUnit (Sources/_KernelsBaseline/FastMath.swift)
// against glibc's libm, in ulps of the double result, and the float32 kernels' shorter
// expFloatTier and log1pUnitFloatTier, relative:
// - exhaustively over every float32 argument the float32 kernels pass them (see
//   FastMathExhaustiveFloatTests), for the build the library selects on this machine, and
// - on 2^22 random doubles per function, for every build this CPU can run (the AVX2 and
//   AVX-512 builds use fused multiply-adds, the baseline does not), plus a Float80 check of
//   libm itself on a sample.
// The test target is compiled with -O (Package.swift) so the exhaustive sweeps take seconds.
import Dispatch
import FocalLossCore
import Glibc
import Testing
import _KernelsAVX2
import _KernelsAVX512
import _KernelsBaseline

/// One build's functions.
struct MathBuild: Sendable, CustomStringConvertible {
    let instructionSet: InstructionSet
    let exp, expm1, log, log1p, log1pUnit, expFloatTier, log1pUnitFloatTier: @Sendable (Double) -> Double
    /// The fast tier's single-precision functions (FastMathFloat.swift): exp of `hi + lo`, log1pUnit.
    let floatExp: @Sendable (Float, Float) -> Float
    /// e^(hi + lo) · 2^64 (the softmax fast tier's terms).
    let floatExpScaled: @Sendable (Float, Float) -> Float
    let floatLog1pUnit: @Sendable (Float) -> Float
    var description: String { "\(instructionSet)" }

    static let all: [MathBuild] = [
        MathBuild(instructionSet: .baseline, exp: _KernelsBaseline.FastMath.exp, expm1: _KernelsBaseline.FastMath.expm1,
                  log: _KernelsBaseline.FastMath.log, log1p: _KernelsBaseline.FastMath.log1p,
                  log1pUnit: _KernelsBaseline.FastMath.log1pUnit, expFloatTier: _KernelsBaseline.FastMath.expFloatTier,
                  log1pUnitFloatTier: _KernelsBaseline.FastMath.log1pUnitFloatTier,
                  floatExp: { _KernelsBaseline.FastMathFloat.exp($0, $1) },
                  floatExpScaled: { _KernelsBaseline.FastMathFloat.expScaled($0, $1) },
                  floatLog1pUnit: { _KernelsBaseline.FastMathFloat.log1pUnit($0) }),
        MathBuild(instructionSet: .avx2, exp: _KernelsAVX2.FastMath.exp, expm1: _KernelsAVX2.FastMath.expm1,
                  log: _KernelsAVX2.FastMath.log, log1p: _KernelsAVX2.FastMath.log1p,
                  log1pUnit: _KernelsAVX2.FastMath.log1pUnit, expFloatTier: _KernelsAVX2.FastMath.expFloatTier,
                  log1pUnitFloatTier: _KernelsAVX2.FastMath.log1pUnitFloatTier,
                  floatExp: { _KernelsAVX2.FastMathFloat.exp($0, $1) },
                  floatExpScaled: { _KernelsAVX2.FastMathFloat.expScaled($0, $1) },
                  floatLog1pUnit: { _KernelsAVX2.FastMathFloat.log1pUnit($0) }),
        MathBuild(instructionSet: .avx512, exp: _KernelsAVX512.FastMath.exp, expm1: _KernelsAVX512.FastMath.expm1,
                  log: _KernelsAVX512.FastMath.log, log1p: _KernelsAVX512.FastMath.log1p,
                  log1pUnit: _KernelsAVX512.FastMath.log1pUnit, expFloatTier: _KernelsAVX512.FastMath.expFloatTier,
                  log1pUnitFloatTier: _KernelsAVX512.FastMath.log1pUnitFloatTier,
                  floatExp: { _KernelsAVX512.FastMathFloat.exp($0, $1) },
                  floatExpScaled: { _KernelsAVX512.FastMathFloat.expScaled($0, $1) },
                  floatLog1pUnit: { _KernelsAVX512.FastMathFloat.log1pUnit($0) }),
    ]
    /// The builds this CPU can run.
    static let runnable = all.filter { $0.instructionSet <= InstructionSet.supported }
    /// The build calls use.
    static let selected = all.first { $0.instructionSet == InstructionSet.selected }!
}

/// The bounds the tests assert, in ulps of the double result against libm (README.md quotes
/// the measured maxima, printed by these tests).
let ulpBound = (exp: 1.0, expm1: 1.0, log: 1.0, log1p: 1.0, log1pUnit: 2.0)
/// The float tier's bound, relative (below the smallest normal: relative to it).
let floatTierBound = (exp: 3e-10, log1pUnit: 1e-10)

/// |ours − libm| in ulps of libm's result; NaN must match NaN and infinities must be equal.
func ulpError(_ ours: Double, _ reference: Double) -> Double {
    if reference.isNaN || ours.isNaN { return reference.isNaN && ours.isNaN ? 0 : .infinity }
    if reference.isInfinite || ours.isInfinite { return ours == reference ? 0 : .infinity }
    let ulp = reference == 0 ? Double.leastNonzeroMagnitude : reference.ulp
    return abs(ours - reference) / ulp
}

/// |ours − libm| relative to libm's result, or to the smallest normal double below it (as the
/// core tests measure), so a subnormal result's last-place rounding does not count as large.
func relativeError(_ ours: Double, _ reference: Double) -> Double {
    if reference.isNaN || ours.isNaN { return reference.isNaN && ours.isNaN ? 0 : .infinity }
    if reference.isInfinite || ours.isInfinite { return ours == reference ? 0 : .infinity }
    return abs(ours - reference) / max(abs(reference), Double.leastNormalMagnitude)
}

struct Worst: Sendable {
    var ulps = 0.0
    var at = 0.0
    mutating func merge(_ other: Worst) { if other.ulps > ulps { self = other } }
}

/// The largest error of `ours` against `reference` over every float32 in `[low, high]`
/// (both of one sign), on every core.
func sweepFloats(_ low: Float, _ high: Float, _ ours: @Sendable (Double) -> Double,
                 _ reference: @Sendable (Double) -> Double,
                 error: @Sendable (Double, Double) -> Double = ulpError) -> Worst {
    let negative = high <= 0
    let (from, to) = negative ? ((-high).bitPattern, (-low).bitPattern) : (low.bitPattern, high.bitPattern)
    let slices = 256
    let span = (UInt64(to) - UInt64(from) + 1 + UInt64(slices) - 1) / UInt64(slices)
    let results = UnsafeMutableBufferPointer<Worst>.allocate(capacity: slices)
    defer { results.deallocate() }
    nonisolated(unsafe) let out = results
    DispatchQueue.concurrentPerform(iterations: slices) { slice in
        var worst = Worst()
        var bits = UInt64(from) + UInt64(slice) * span
        let end = min(UInt64(to) + 1, bits + span)
        while bits < end {
            let magnitude = Double(Float(bitPattern: UInt32(bits)))
            let x = negative ? -magnitude : magnitude
            let e = error(ours(x), reference(x))
            if e > worst.ulps { worst = Worst(ulps: e, at: x) }
            bits += 1
        }
        out[slice] = worst
    }
    return results.reduce(into: Worst()) { $0.merge($1) }
}

/// The largest error over `count` random doubles from `sample`.
func sampleDoubles(_ count: Int, seed: UInt64, _ sample: (inout SplitMix) -> Double,
                   _ ours: (Double) -> Double, _ reference: (Double) -> Double,
                   error: (Double, Double) -> Double = ulpError) -> Worst {
    var rng = SplitMix(seed: seed)
    var worst = Worst()
    for _ in 0 ..< count {
        let x = sample(&rng)
        worst.merge(Worst(ulps: error(ours(x), reference(x)), at: x))
    }
    return worst
}

extension SplitMix {
    /// A double spread over many binades: 2^u with u uniform in `exponents`, times [1, 2).
    mutating func logUniform(_ exponents: ClosedRange<Double>) -> Double {
        exp2(Double.random(in: exponents, using: &self)) * Double.random(in: 1 ..< 2, using: &self)
    }
}

/// Every float32 argument the float32 kernels pass: `e^{−|x|}` of every logit (the float
/// tier), and `expm1(−|x|)` where the soft-target sigmoid takes it (|x| < ln 2). The other
/// functions only ever see double arguments (sums, probabilities); `log1pUnitFloatTier`, the
/// float kernels' log1p(e^{−|x|}), is swept over every float32 in its domain as well.
struct FastMathExhaustiveFloatTests {
    let build = MathBuild.selected

    @Test func expFloatTierOverEveryFloatLogit() {
        let worst = sweepFloats(-750, -0.0, build.expFloatTier, Glibc.exp, error: relativeError)
        print("FastMath.expFloatTier (\(build)) over every float32 in [-750, 0]: max relative \(worst.ulps) at \(worst.at)")
        #expect(worst.ulps <= floatTierBound.exp)
    }

    @Test func expm1OverEveryFloatItIsCalledWith() {
        let worst = sweepFloats(-0.6931472, -0.0, build.expm1, Glibc.expm1)
        print("FastMath.expm1 (\(build)) over every float32 in [-ln 2, 0]: max \(worst.ulps) ulp at \(worst.at)")
        #expect(worst.ulps <= ulpBound.expm1)
    }

    @Test func log1pUnitFloatTierOverEveryFloatInItsDomain() {
        let worst = sweepFloats(0, 1, build.log1pUnitFloatTier, Glibc.log1p, error: relativeError)
        print("FastMath.log1pUnitFloatTier (\(build)) over every float32 in [0, 1]: max relative \(worst.ulps) at \(worst.at)")
        #expect(worst.ulps <= floatTierBound.log1pUnit)
    }
}

struct FastMathSampledDoubleTests {
    static let count = 1 << 22

    @Test(arguments: MathBuild.runnable)
    func everyFunctionOnRandomDoubles(build: MathBuild) {
        let n = Self.count
        let exp = sampleDoubles(n, seed: 1, { -$0.logUniform(-1074 ... 9.54) }, build.exp, Glibc.exp)
        let expm1 = sampleDoubles(n, seed: 2, { -$0.logUniform(-1074 ... 9.54) }, build.expm1, Glibc.expm1)
        let log = sampleDoubles(n, seed: 3, { $0.logUniform(-1074 ... 1023) }, build.log, Glibc.log)
        let log1p = sampleDoubles(n, seed: 4, { $0.logUniform(-1074 ... 1023) }, build.log1p, Glibc.log1p)
        let unit = sampleDoubles(n, seed: 5, { min(1, $0.logUniform(-1074 ... 0)) }, build.log1pUnit, Glibc.log1p)
        let expTier = sampleDoubles(n, seed: 7, { -$0.logUniform(-1074 ... 9.54) }, build.expFloatTier, Glibc.exp,
                                    error: relativeError)
        let unitTier = sampleDoubles(n, seed: 8, { min(1, $0.logUniform(-1074 ... 0)) }, build.log1pUnitFloatTier,
                                     Glibc.log1p, error: relativeError)
        print("FastMath (\(build)) on \(n) random doubles each: max ulp exp \(exp.ulps), expm1 \(expm1.ulps), "
              + "log \(log.ulps), log1p \(log1p.ulps), log1pUnit \(unit.ulps); max relative expFloatTier "
              + "\(expTier.ulps), log1pUnitFloatTier \(unitTier.ulps)")
        #expect(expTier.ulps <= floatTierBound.exp, "expFloatTier at \(expTier.at)")
        #expect(unitTier.ulps <= floatTierBound.log1pUnit, "log1pUnitFloatTier at \(unitTier.at)")
        #expect(exp.ulps <= ulpBound.exp, "exp at \(exp.at)")
        #expect(expm1.ulps <= ulpBound.expm1, "expm1 at \(expm1.at)")
        #expect(log.ulps <= ulpBound.log, "log at \(log.at)")
        #expect(log1p.ulps <= ulpBound.log1p, "log1p at \(log1p.at)")
        #expect(unit.ulps <= ulpBound.log1pUnit, "log1pUnit at \(unit.at)")
    }

    @Test(arguments: MathBuild.runnable)
    func specialValues(build: MathBuild) {
        #expect(build.exp(-.infinity) == 0 && build.exp(.infinity) == .infinity && build.exp(.nan).isNaN)
        #expect(build.exp(-745.2) == 0 && build.exp(-745) == Glibc.exp(-745) && build.exp(710) == .infinity)
        #expect(build.exp(0) == 1 && build.expm1(0) == 0 && build.expm1(-.infinity) == -1 && build.expm1(.nan).isNaN)
        #expect(build.expm1(1e-300) == 1e-300 && build.expm1(-1e-300) == -1e-300)
        #expect(build.log(0) == -.infinity && build.log(.infinity) == .infinity && build.log(-1).isNaN && build.log(.nan).isNaN)
        #expect(build.log(1) == 0 && build.log1p(0) == 0 && build.log1p(.infinity) == .infinity)
        #expect(build.log1pUnit(0) == 0 && build.log1pUnit(.leastNonzeroMagnitude) == .leastNonzeroMagnitude)
        #expect(build.expFloatTier(-.infinity) == 0 && build.expFloatTier(.infinity) == .infinity && build.expFloatTier(.nan).isNaN)
        #expect(build.expFloatTier(0) == 1 && build.log1pUnitFloatTier(0) == 0)
    }

    /// libm, the reference above, is itself within 1 ulp of the exact value (Float80).
    @Test func libmIsWithinOneUlpOfFloat80() {
        var rng = SplitMix(seed: 6)
        var worst = 0.0
        for _ in 0 ..< 100_000 {
            let x = -rng.logUniform(-30 ... 9)
            let y = rng.logUniform(-1000 ... 1000)
            worst = max(worst, abs(Float80(Glibc.exp(x)) - expl(Float80(x))) / Float80(Glibc.exp(x).ulp) > 1 ? 2 : 0)
            worst = max(worst, abs(Float80(Glibc.log(y)) - logl(Float80(y))) / Float80(abs(Glibc.log(y)).ulp) > 1 ? 2 : 0)
        }
        #expect(worst == 0)
    }
}

/// The fast tier's single-precision exp and log1pUnit (Sources/_KernelsBaseline/FastMathFloat.swift),
/// in ulps of the float32 result against libm in double: exhaustively over every float32 argument
/// the fast kernels pass them (exp: [−105, 0], below which it returns 0; log1pUnit: [0, 1]) for
/// the build the library selects, except the magnitudes below 2^-24 (three quarters of those
/// floats, where exp rounds to 1 and log1pUnit(e) to e), which the random arguments cover: 2^22
/// per function over every binade, for every build this CPU can run (FMA or not changes their
/// roundings).
struct FastMathFloatTests {
    /// The bounds FastMathFloat.swift states (measured maxima: exp 1.011 ulps with FMA, 0.99
    /// without; exp(hi, lo) 1.153 on the random sums; log1pUnit 1.551 with FMA, 1.885 without).
    static let bound = (exp: 1.02, expOfSum: 1.2, log1pUnit: 1.9)

    /// |ours − reference| in ulps of the reference rounded to float32 (`ulps` of Reference.swift).
    static func floatUlps(_ ours: Double, _ reference: Double) -> Double { ulps(Float(ours), Wide(reference)) }

    @Test func expOverEveryFloatArgument() {
        let exp = MathBuild.selected.floatExp
        let worst = sweepFloats(-105, -0x1p-24, { Double(exp(Float($0), 0)) }, Glibc.exp, error: Self.floatUlps)
        print("FastMathFloat.exp (\(MathBuild.selected)) over every float32 in [-105, -2^-24]: max \(worst.ulps) ulp at \(worst.at)")
        #expect(worst.ulps <= Self.bound.exp, "at \(worst.at)")
    }

    /// The softmax fast tier's e^{x − M} · 2^64, normal down to e^−131: every float32 in
    /// [−150, −2^-24] (below, 0) against e^x · 2^64 in double.
    @Test func expScaledOverEveryFloatArgument() {
        let exp = MathBuild.selected.floatExpScaled
        let worst = sweepFloats(-150, -0x1p-24, { Double(exp(Float($0), 0)) }, { Glibc.exp($0) * 0x1p64 }, error: Self.floatUlps)
        print("FastMathFloat.expScaled (\(MathBuild.selected)) over every float32 in [-150, -2^-24]: max \(worst.ulps) ulp at \(worst.at)")
        #expect(worst.ulps <= Self.bound.exp, "at \(worst.at)")
        #expect(exp(-151, 0) == 0 && exp(-.infinity, .nan) == 0 && exp(0, 0) == 0x1p64 && exp(.nan, 0).isNaN)
    }

    @Test func log1pUnitOverEveryFloatInItsDomain() {
        let log1pUnit = MathBuild.selected.floatLog1pUnit
        let worst = sweepFloats(0x1p-24, 1, { Double(log1pUnit(Float($0))) }, Glibc.log1p, error: Self.floatUlps)
        print("FastMathFloat.log1pUnit (\(MathBuild.selected)) over every float32 in [2^-24, 1]: max \(worst.ulps) ulp at \(worst.at)")
        #expect(worst.ulps <= Self.bound.log1pUnit, "at \(worst.at)")
    }

    /// Every build on random arguments, exp's both as one float (either sign, up to overflow)
    /// and as an unevaluated sum hi + lo with lo below hi's last place, the way the focusing
    /// factor passes γ·log m (a two-product), against e^(hi + lo) in double.
    @Test(arguments: MathBuild.runnable)
    func randomArguments(build: MathBuild) {
        var rng = SplitMix(seed: 11)
        var exp = Worst(), sum = Worst(), unit = Worst(), scaled = Worst()
        for _ in 0 ..< 1 << 22 {
            let x = Float(rng.next() & 1 == 0 ? -rng.logUniform(-149 ... 6.7) : Double.random(in: -105 ... 88.7, using: &rng))
            exp.merge(Worst(ulps: Self.floatUlps(Double(build.floatExp(x, 0)), Glibc.exp(Double(x))), at: Double(x)))
            let hi = Float(-rng.logUniform(-20 ... 6.7))
            let lo = Float(Double.random(in: -0.5 ... 0.5, using: &rng)) * hi.ulp
            let e = Self.floatUlps(Double(build.floatExp(hi, lo)), Glibc.exp(Double(hi) + Double(lo)))
            sum.merge(Worst(ulps: e, at: Double(hi)))
            let h = Float(-rng.logUniform(-20 ... 5))
            let l = Float(Double.random(in: -0.5 ... 0.5, using: &rng)) * h.ulp
            let es = Self.floatUlps(Double(build.floatExpScaled(h, l)), Glibc.exp(Double(h) + Double(l)) * 0x1p64)
            scaled.merge(Worst(ulps: es, at: Double(h)))
            let u = Float(min(1, rng.logUniform(-149 ... 0)))
            unit.merge(Worst(ulps: Self.floatUlps(Double(build.floatLog1pUnit(u)), Glibc.log1p(Double(u))), at: Double(u)))
        }
        print("FastMathFloat (\(build)) on 2^22 random arguments each: max ulp exp \(exp.ulps), exp(hi, lo) \(sum.ulps), "
              + "expScaled(hi, lo) \(scaled.ulps), log1pUnit \(unit.ulps)")
        #expect(scaled.ulps <= Self.bound.expOfSum, "expScaled(hi, lo) at hi = \(scaled.at)")
        #expect(exp.ulps <= Self.bound.exp, "exp at \(exp.at)")
        #expect(sum.ulps <= Self.bound.expOfSum, "exp(hi, lo) at hi = \(sum.at)")
        #expect(unit.ulps <= Self.bound.log1pUnit, "log1pUnit at \(unit.at)")
    }

    @Test(arguments: MathBuild.runnable)
    func specialValues(build: MathBuild) {
        #expect(build.floatExp(-.infinity, 0) == 0 && build.floatExp(.infinity, 0) == .infinity && build.floatExp(.nan, 0).isNaN)
        #expect(build.floatExp(-.infinity, .nan) == 0 && build.floatExp(-200, 0) == 0 && build.floatExp(89, 0) == .infinity)
        #expect(build.floatExp(0, 0) == 1 && build.floatLog1pUnit(0) == 0 && build.floatLog1pUnit(.leastNonzeroMagnitude) == .leastNonzeroMagnitude)
    }
}
